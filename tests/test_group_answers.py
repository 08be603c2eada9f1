"""Group answers in the engine and storage: one answer per prompt per group, every version kept,
edits at the same time detected, erasure of one contributor, and workshop-wide moves."""

from __future__ import annotations

import asyncio

import pytest

from bot.engine import EditConflict, Engine
from bot.storage import GROUP, SessionStatus

G = 7


def fill(prompt, text: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every text field, and the prompt's first example cited."""
    return {f.id: list(prompt.example_ids[:1]) if f.is_cite else f"{text} ({f.id})"
            for f in prompt.fields}


async def group(engine: Engine, channel: int = 1, name: str = "g1", **kw: object):
    return await engine.start(G, channel, group_name=name, workshop="Groups",
                              set_id="key-questions", started_by=1, answers="group", **kw)


async def test_one_answer_per_prompt_that_any_member_edits(engine: Engine) -> None:
    s = await group(engine)
    assert s.group_mode
    p = engine.live_prompt(s)
    assert engine.peek_answer(s.id, p.id, 10) is None and engine.peek_version(s.id, p.id) == 0
    first = await engine.submit(G, s.id, p.id, user_id=10, display_name="Asha",
                                values=fill(p, "draft"), base_version=0)
    assert first.created and first.answer.user_id == GROUP and first.answer.version == 1
    # Ben opens the form: it is pre-filled with the group's answer, on version 1
    assert engine.peek_answer(s.id, p.id, 11) == fill(p, "draft")
    assert engine.peek_version(s.id, p.id) == 1
    second = await engine.submit(G, s.id, p.id, user_id=11, display_name="Ben",
                                 values=fill(p, "agreed"), base_version=1)
    assert not second.created and second.answer.version == 2
    status = await engine.status(G, 1)
    first_prompt = status.per_prompt[0]
    assert first_prompt.answers == 1 and first_prompt.versions == 2
    assert first_prompt.contributors == ("Asha", "Ben")
    assert first_prompt.updated_at == second.answer.updated_at
    assert status.participants == 2
    history = await engine.db.versions(G, s.id)
    assert [(v.number, v.display_name, v.fields) for v in history] == [
        (1, "Asha", fill(p, "draft")), (2, "Ben", fill(p, "agreed"))]
    mine = await engine.my_answers(G, 10)  # Asha sees the group answer she wrote into
    assert [a.fields for a in mine] == [fill(p, "agreed")]


async def test_two_members_saving_at_once_one_is_refused_with_both_texts(
    engine: Engine,
) -> None:
    s = await group(engine)
    p = engine.live_prompt(s)
    await engine.submit(G, s.id, p.id, user_id=10, display_name="Asha",
                        values=fill(p, "start"), base_version=0)
    # both opened the form on version 1, and save at the same moment
    results = await asyncio.gather(
        engine.submit(G, s.id, p.id, user_id=11, display_name="Ben", values=fill(p, "ben's"),
                      base_version=1),
        engine.submit(G, s.id, p.id, user_id=12, display_name="Cy", values=fill(p, "cy's"),
                      base_version=1),
        return_exceptions=True,
    )
    saved = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, EditConflict)]
    assert len(saved) == 1 and len(refused) == 1
    conflict = refused[0]
    assert conflict.by == "Ben" and conflict.current == fill(p, "ben's")
    assert conflict.yours == fill(p, "cy's") and conflict.version == 2
    assert "Ben saved the group's answer after you opened the form" in conflict.message
    # nothing was overwritten: Ben's text is current, Cy's was never stored
    assert engine.peek_answer(s.id, p.id, 12) == fill(p, "ben's")
    assert [v.display_name for v in await engine.db.versions(G, s.id)] == ["Asha", "Ben"]
    # Cy merges on the current version and saves
    merged = await engine.submit(G, s.id, p.id, user_id=12, display_name="Cy",
                                 values=fill(p, "merged"), base_version=conflict.version)
    assert merged.answer.version == 3


async def test_a_replayed_group_save_changes_nothing(engine: Engine) -> None:
    s = await group(engine)
    p = engine.live_prompt(s)
    one = await engine.submit(G, s.id, p.id, user_id=10, display_name="A",
                              values=fill(p, "x"), base_version=0, interaction_id=555)
    again = await engine.submit(G, s.id, p.id, user_id=10, display_name="A",
                                values=fill(p, "x"), base_version=0, interaction_id=555)
    assert again.replayed and again.answer.version == one.answer.version == 1


@pytest.mark.parametrize("who_wrote_last", ["someone else", "the erased person"])
async def test_forget_me_removes_the_persons_versions(engine: Engine,
                                                      who_wrote_last: str) -> None:
    s = await group(engine)
    p = engine.live_prompt(s)
    await engine.submit(G, s.id, p.id, user_id=10, display_name="Asha",
                        values=fill(p, "asha 1"), base_version=0)
    await engine.submit(G, s.id, p.id, user_id=11, display_name="Ben",
                        values=fill(p, "ben 2"), base_version=1)
    if who_wrote_last == "the erased person":
        await engine.submit(G, s.id, p.id, user_id=10, display_name="Asha",
                            values=fill(p, "asha 3"), base_version=2)
    erased = await engine.forget(G, 10)
    assert erased == (2 if who_wrote_last == "the erased person" else 1)
    history = await engine.db.versions(G, s.id)
    assert [v.display_name for v in history] == ["Ben"]
    # the current text is Ben's: kept when he wrote it last, restored when Asha did
    assert engine.peek_answer(s.id, p.id, 11) == fill(p, "ben 2")
    (answer,) = await engine.db.group_answers(G, s.id)
    assert answer.fields == fill(p, "ben 2") and answer.version == 2
    status = await engine.status(G, 1)
    assert status.per_prompt[0].contributors == ("Ben",)
    # and Ben can go on from there
    await engine.submit(G, s.id, p.id, user_id=11, display_name="Ben",
                        values=fill(p, "ben 3"), base_version=2)


async def test_forget_me_of_the_only_contributor_removes_the_group_answer(
    engine: Engine,
) -> None:
    s = await group(engine)
    p = engine.live_prompt(s)
    await engine.submit(G, s.id, p.id, user_id=10, display_name="Asha",
                        values=fill(p, "only"), base_version=0)
    assert await engine.forget(G, 10) == 1
    assert await engine.db.group_answers(G, s.id) == []
    assert engine.peek_answer(s.id, p.id, 11) is None and engine.peek_version(s.id, p.id) == 0


async def test_the_prompt_sets_declared_mode_is_the_default(engine: Engine) -> None:
    s = await engine.start(G, 1, group_name="g", workshop="W", set_id="key-questions",
                           started_by=1)
    assert s.answer_mode == engine.prompt_set("key-questions").answers


async def test_moving_a_whole_workshop(engine: Engine) -> None:
    sessions = [await group(engine, channel=c, name=f"group-{c}") for c in range(1, 7)]
    await engine.next(G, 3)  # group-3 is ahead
    moved = await engine.move_workshop(G, "groups", "goto", 2)
    assert [g.outcome for g in moved.groups] == ["moved", "moved", "unchanged", "moved",
                                                  "moved", "moved"]
    assert {g.session.current_prompt for g in moved.groups} == {2}
    paused = await engine.move_workshop(G, "GROUPS", "pause")
    assert all(g.session.status is SessionStatus.PAUSED for g in paused.groups)
    again = await engine.move_workshop(G, "groups", "pause")
    assert {g.outcome for g in again.groups} == {"unchanged"}
    await engine.move_workshop(G, "groups", "resume")
    nxt = await engine.move_workshop(G, "groups", "next")
    assert {g.session.current_prompt for g in nxt.moved} == {3}
    last = await engine.move_workshop(G, "groups", "next")
    assert {g.outcome for g in last.groups} == {"unchanged"}
    assert "last one" in last.groups[0].reason
    _, statuses = await engine.workshop_status(G, "groups")
    assert [st.session.group_name for st in statuses] == [s.group_name for s in sessions]
    closed = await engine.move_workshop(G, "groups", "close")
    assert len(closed.moved) == 6
    assert engine.live_groups(moved.workshop) == []


async def test_exports_of_a_group_mode_workshop_in_every_format(
    engine: Engine, library, tmp_path  # type: ignore[no-untyped-def]
) -> None:
    import csv
    import io
    import json

    import openpyxl

    from bot.exports import ExportScope, export_to_dir

    named = await group(engine, channel=1, name="Named group")
    anon = await group(engine, channel=2, name="Anonymous group", anonymous=True)
    p = engine.live_prompt(named)
    for session in (named, anon):
        await engine.submit(G, session.id, p.id, user_id=10, display_name="Asha Secret",
                            values=fill(p, f"{session.group_name} draft"), base_version=0)
        await engine.submit(G, session.id, p.id, user_id=11, display_name="Ben Secret",
                            values=fill(p, f"{session.group_name} final"), base_version=1)

    async def export(fmt: str) -> bytes:
        result = await export_to_dir(engine.db, library, guild_id=G,
                                     scope=ExportScope.workshop("groups"), fmt=fmt,
                                     out_dir=tmp_path / fmt, actor_id=None)
        assert result.answers == 2  # one answer per group per prompt
        return result.path.read_bytes()

    rows = list(csv.reader(io.StringIO((await export("csv")).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[-3:] == ["Contributors", "Versions", "Examples cited"]
    by_group = {(r[1], r[7]): (r[-3], r[-2]) for r in body}
    assert by_group == {("Named group", "Group answer"): ("Asha Secret, Ben Secret", "2"),
                        ("Anonymous group", "Group answer"): ("P01, P02", "2")}
    assert {r[8] for r in body if r[1] == "Named group"} == {
        v for v in fill(p, "Named group final").values() if isinstance(v, str)}
    # the group's answer cites the prompt's first example (by title, on each of its rows)
    assert {r[-1] for r in body} == {library.examples[p.example_ids[0]].title}

    doc = json.loads(await export("json"))
    answers = {a["group"]: a for a in doc["answers"]}
    assert answers["Named group"]["contributors"] == ["Asha Secret", "Ben Secret"]
    assert [(v["version"], v["participant"]) for v in answers["Named group"]["history"]] == \
        [(1, "Asha Secret"), (2, "Ben Secret")]
    assert answers["Named group"]["history"][0]["fields"] == fill(p, "Named group draft")
    anon_history = answers["Anonymous group"]["history"]
    assert [v["participant"] for v in anon_history] == ["P01", "P02"]
    assert all(v["saved_at"][16:] == ":00.000+00:00" for v in anon_history)
    session_info = {s["group"]: s for s in doc["sessions"]}
    assert session_info["Named group"]["participants"] == 2

    workbook = openpyxl.load_workbook(io.BytesIO(await export("xlsx")))
    assert workbook.sheetnames[:3] == ["Overview", "Theory of change", "Citations"]
    sheet = workbook.worksheets[3]  # the first prompt's
    head = [c.value for c in sheet[2]]
    values = [{h: c.value for h, c in zip(head, row, strict=False)}
              for row in sheet.iter_rows(min_row=3)]
    assert {(v["Group"], v["Contributors"], v["Versions"]) for v in values} == {
        ("Named group", "Asha Secret, Ben Secret", 2), ("Anonymous group", "P01, P02", 2)}

    markdown = (await export("md")).decode("utf-8")
    assert "**Group answer** (2 versions by Asha Secret, Ben Secret)" in markdown
    assert "**Group answer** (2 versions by P01, P02)" in markdown
    anonymous_part = markdown[markdown.index("Anonymous group"):]
    anonymous_part = anonymous_part[:anonymous_part.find("Named group")
                                    if "Named group" in anonymous_part else None]
    assert "Secret" not in anonymous_part

    page = (await export("html")).decode("utf-8")
    assert "Asha Secret" in page and "2 versions" in page
    anonymous_page = page[page.index("Anonymous group"):]
    assert "P01" in page and "Secret" not in anonymous_page[:anonymous_page.find("Named")]
