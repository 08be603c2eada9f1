"""The synthesis in the core and the exports: the theory-of-change chain and its gaps, how
answers cite the seminar examples, and both in the JSON and Markdown exports (the engine and
a real database; the Discord side is in tests/discord_layer/test_synthesis.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine, InvalidAnswer
from bot.exports import ExportScope, export_to_dir
from bot.models import Library, Prompt
from bot.storage import Database
from bot.synthesis import GAP_MARK, CitationTally, chain_row

G, FACILITATOR = 5, 9
LONG = "A clear answer with enough words in it to be used in the chain."


def fill(prompt: Prompt, text: str = LONG, cite: list[str] | None = None) -> dict[str, Any]:
    return {f.id: (cite if cite is not None else list(prompt.example_ids[:1])) if f.is_cite
            else text for f in prompt.fields}


# --- the chain of one group ---------------------------------------------------------------------


def test_the_bundled_key_question_sets_declare_their_chain(library: Library) -> None:
    for set_id in ("key-questions", "key-questions-group"):
        chain = library.prompt_sets[set_id].chain
        assert chain is not None and chain.min_chars == 40
        assert [(c.id, c.title, c.prompt_ids) for c in chain.columns] == [
            ("change", "Change and for whom", ("identify-change",)),
            ("intervention", "Intervention, scale and sustainability", ("scale-and-sustain",)),
            ("impact", "Outcomes, costs and value for money", ("measure-impact",)),
        ]
        assert [p.field_id for p in chain.columns[2].parts] == ["outcomes", "costs", "value"]
    assert library.prompt_sets["quick-reflection"].chain is None


def test_a_complete_chain_has_no_gaps(library: Library) -> None:
    pset = library.prompt_sets["key-questions"]
    row = chain_row(pset, "Group A", {p.id: fill(p) for p in pset.prompts})
    assert row.complete and row.gaps == ()
    change = row.cells[0]
    assert change.text() == ("The change you are setting out to make: " + LONG + "\n"
                             "Who it is for: " + LONG)
    assert change.cited == pset.prompts[0].example_ids[:1]


def test_every_kind_of_gap_is_flagged(library: Library) -> None:
    pset = library.prompt_sets["key-questions"]
    q1, q2, _q3 = pset.prompts
    stored_before_a_field = {k: v for k, v in fill(q1).items() if k != "for-whom"}
    row = chain_row(pset, "Group B", {
        q1.id: stored_before_a_field,  # a required part empty (the prompt gained a field)
        q2.id: fill(q2, "Too short", cite=[]),  # too short to use, and nothing cited
        # question 3: no answer
    })
    assert [(g.kind, g.column, g.prompt_number) for g in row.gaps] == [
        ("empty", "change", 1), ("too-short", "intervention", 2),
        ("no-citation", "intervention", 2), ("no-answer", "impact", 3)]
    texts = [g.text for g in row.gaps]
    assert texts[0] == "'Who it is for' is empty (prompt 1 (Identifying the change))"
    assert texts[1] == ("Too short to use: 27 characters for prompt 2 (Scale and "
                        "sustainability) (at least 40)")  # 3 parts x "Too short"
    assert texts[3] == "No answer to prompt 3 (Measuring impact and value for money)"
    assert row.cells[1].gap_text().startswith(f"{GAP_MARK} Too short to use")
    # the parts of an unanswered link are there, empty, so every row has the same shape
    assert [v.text for v in row.cells[2].parts] == ["", "", ""]


def test_a_text_that_only_looks_short_is_fine_once_long_enough(library: Library) -> None:
    pset = library.prompt_sets["key-questions"]
    q1 = pset.prompts[0]
    just = "x" * 20  # change + for whom: 40 characters together, the set's minimum
    row = chain_row(pset, "g", {q1.id: fill(q1, just)})
    assert [g.kind for g in row.cells[0].gaps] == []


def test_citation_tally() -> None:
    tally = CitationTally(("a", "b", "c", "d"))
    for ids in (["b", "a"], ["b"], [], ["b", "b", "c"]):
        tally.add(ids)
    assert (tally.answers, tally.citing) == (4, 3)
    assert tally.most_cited() == [("b", 3), ("a", 1), ("c", 1)]
    assert tally.never_cited() == ["d"]


# --- citations in the engine ---------------------------------------------------------------------


async def test_the_engine_checks_citations(engine: Engine) -> None:
    s = await engine.start(G, 1, group_name="g", workshop="W", set_id="key-questions",
                           started_by=FACILITATOR)
    prompt = engine.live_prompt(s)
    ids = prompt.example_ids

    async def submit(cite: object) -> Any:
        return await engine.submit(G, s.id, prompt.id, user_id=7, display_name="P",
                                   values={**fill(prompt), "examples": cite})

    with pytest.raises(InvalidAnswer, match="must be a list of the prompt's examples"):
        await submit("dudley-keep")
    with pytest.raises(InvalidAnswer, match="'holmes-costs-value' is not an example linked"):
        await submit(["holmes-costs-value"])
    with pytest.raises(InvalidAnswer, match="an unknown example is not an example linked"):
        await submit(["<@123> **x**"])
    sub = await submit([ids[3], ids[1], ids[3]])  # duplicates dropped, the prompt's order
    assert sub.answer.fields["examples"] == [ids[1], ids[3]]
    # a required cite field with a limit (a content pack's)
    cite = prompt.cite_field
    assert cite is not None
    import dataclasses
    strict = dataclasses.replace(cite, required=True, max_values=2)
    strict_prompt = dataclasses.replace(prompt, fields=(*prompt.fields[:-1], strict))
    with pytest.raises(InvalidAnswer, match="is required: choose at least one example"):
        engine.validate_answer(strict_prompt, {**fill(prompt), "examples": []})
    with pytest.raises(InvalidAnswer, match="3 examples chosen; the limit is 2"):
        engine.validate_answer(strict_prompt, {**fill(prompt), "examples": list(ids[:3])})
    # an example no longer linked may stay in an answer that cited it (it is not theirs to
    # remove now), and the limit too
    kept = engine.validate_answer(strict_prompt, {**fill(prompt), "examples": ["gone", ids[0],
                                                                               ids[1]]},
                                  previous={"examples": ["gone", ids[0], ids[1]]})
    assert kept["examples"] == [ids[0], ids[1], "gone"]


# --- citations and the chain in the exports -------------------------------------------------------


async def _workshop(engine: Engine) -> tuple[int, int]:
    """A group-mode group (a complete chain) and an individual group of two people (Ann's
    chain complete but for a citation; Ben answered only question 1, too briefly)."""
    pset = engine.prompt_set("key-questions")
    ids = pset.prompts[0].example_ids
    group = await engine.start(G, 1, group_name="Agreed", workshop="Chain day",
                               set_id="key-questions", started_by=FACILITATOR, pace="self",
                               answers="group")
    alone = await engine.start(G, 2, group_name="Alone", workshop="Chain day",
                               set_id="key-questions", started_by=FACILITATOR, pace="self",
                               anonymous=True)
    for p in pset.prompts:
        await engine.submit(G, group.id, p.id, user_id=11, display_name="Gia",
                            values=fill(p, cite=list(p.example_ids[:2])))
        await engine.submit(G, alone.id, p.id, user_id=21, display_name="Ann",
                            values=fill(p, cite=[] if p.number == 3 else [ids[0]]
                                        if p.number == 1 else None))
    await engine.submit(G, alone.id, pset.prompts[0].id, user_id=22, display_name="Ben",
                        values=fill(pset.prompts[0], "Short.", cite=[ids[0], ids[2]]))
    return group.id, alone.id


async def _export(db: Database, library: Library, fmt: str, tmp_path: Path) -> str:
    result = await export_to_dir(db, library, guild_id=G, scope=ExportScope.workshop(
        "Chain day"), fmt=fmt, out_dir=tmp_path / fmt, actor_id=None)
    return result.path.read_text(encoding="utf-8")


async def test_json_carries_citations_and_the_chain(engine: Engine, db: Database,
                                                    library: Library, tmp_path: Path) -> None:
    group_id, alone_id = await _workshop(engine)
    doc = json.loads(await _export(db, library, "json", tmp_path))
    first = doc["prompts"]["key-questions"][0]
    ids = [e["id"] for e in first["examples"]]
    assert first["citations"]["answers"] == 3 and first["citations"]["answers_citing"] == 3
    assert first["citations"]["cited"] == [
        {"id": ids[0], "title": first["examples"][0]["title"], "answers": 3},
        {"id": ids[1], "title": first["examples"][1]["title"], "answers": 1},
        {"id": ids[2], "title": first["examples"][2]["title"], "answers": 1}]
    assert [e["id"] for e in first["citations"]["never_cited"]] == ids[3:]
    third = doc["prompts"]["key-questions"][2]["citations"]
    assert (third["answers"], third["answers_citing"]) == (2, 1)
    # the answers keep their example ids as stored
    assert {tuple(a["fields"]["examples"]) for a in doc["answers"]
            if a["prompt_number"] == 1} == {(ids[0], ids[1]), (ids[0],), (ids[0], ids[2])}

    (chain,) = doc["theory_of_change"]
    assert chain["prompt_set"] == "key-questions" and chain["min_chars"] == 40
    assert [c["id"] for c in chain["columns"]] == ["change", "intervention", "impact"]
    rows = {(r["session_id"], r["participant"]): r for r in chain["rows"]}
    assert list(rows) == [(group_id, None), (alone_id, "P01"), (alone_id, "P02")]
    agreed = rows[(group_id, None)]
    assert agreed["group"] == "Agreed" and agreed["gaps"] == 0
    assert agreed["cells"][0]["parts"][0] == {
        "prompt_id": "identify-change", "field_id": "change",
        "label": "The change you are setting out to make", "text": LONG}
    assert agreed["cells"][0]["cited"] == ids[:2]
    ann = rows[(alone_id, "P01")]
    assert [(c["column"], [g["kind"] for g in c["gaps"]]) for c in ann["cells"]] == [
        ("change", []), ("intervention", []), ("impact", ["no-citation"])]
    ben = rows[(alone_id, "P02")]
    assert [[g["kind"] for g in c["gaps"]] for c in ben["cells"]] == [
        ["too-short"], ["no-answer"], ["no-answer"]]
    assert "Ben" not in json.dumps(chain) and "Ann" not in json.dumps(chain)  # anonymous


async def test_markdown_lists_citations_and_the_chain(engine: Engine, db: Database,
                                                      library: Library,
                                                      tmp_path: Path) -> None:
    await _workshop(engine)
    text = await _export(db, library, "md", tmp_path)
    titles = [library.examples[e].title for e in
              library.prompt_sets["key-questions"].prompts[0].example_ids]

    def md(title: str) -> str:
        from bot.exports.markdown import md_escape
        return md_escape(title)

    assert (f"**Examples cited** (answers citing each; 3 of 3 answers cite one): "
            f"{md(titles[0])} (3); {md(titles[1])} (1); {md(titles[2])} (1)") in text
    assert f"**Linked but never cited:** {md(titles[3])}; " in text
    assert f"  *Seminar examples that informed this*: {md(titles[0])}; {md(titles[2])}" in text
    assert "  *Seminar examples that informed this*: none cited" in text
    chain = text[text.index("## Theory of change"):]
    table = [line for line in chain.splitlines() if line.startswith("|")]
    assert table[0] == ("| Group | Change and for whom | Intervention, scale and "
                        "sustainability | Outcomes, costs and value for money | Gaps |")
    assert [row.split(" | ")[0] for row in table[2:]] == [
        "| Agreed", "| Alone · P01", "| Alone · P02"]
    assert table[2].endswith(" | 0 |") and table[4].endswith(" | 3 |")
    assert f"{GAP_MARK} No answer to prompt 2 \\(Scale and sustainability\\)" in table[4]
    assert f"{GAP_MARK} No seminar example cited for prompt 3" in table[3]
    assert "- **Theory of change:** the chain each group made is at the end" in text


async def test_xlsx_has_the_chain_and_the_citations(engine: Engine, db: Database,
                                                    library: Library, tmp_path: Path) -> None:
    import openpyxl

    await _workshop(engine)
    result = await export_to_dir(db, library, guild_id=G, scope=ExportScope.workshop(
        "Chain day"), fmt="xlsx", out_dir=tmp_path, actor_id=None)
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames[:3] == ["Overview", "Theory of change", "Citations"]
    ws = wb["Theory of change"]
    header = [c.value for c in ws[4]]
    assert header == ["Group", "Participant", "Change and for whom",
                      "Intervention, scale and sustainability",
                      "Outcomes, costs and value for money", "Examples cited", "Gaps"]
    rows = [[c for c in row] for row in ws.iter_rows(min_row=5)]
    assert [(r[0].value, r[1].value, r[6].value) for r in rows] == [
        ("Agreed", "Group answer", 0), ("Alone", "P01", 1), ("Alone", "P02", 3)]
    agreed, ann, ben = rows
    assert agreed[2].value.startswith("The change you are setting out to make: " + LONG)
    assert ann[4].value.startswith(f"{GAP_MARK} No seminar example cited for prompt 3")
    assert ben[3].value == f"{GAP_MARK} No answer to prompt 2 (Scale and sustainability)"
    # gap cells are highlighted (and marked, for whoever cannot see the colour)
    gap_fill = ann[4].fill.fgColor.rgb
    assert gap_fill.endswith("FCE4D6") and ann[2].fill.fgColor.rgb != gap_fill
    assert all(GAP_MARK in c.value for c in (ben[2], ben[3], ben[4]))
    titles = [library.examples[e].title for e in
              library.prompt_sets["key-questions"].prompts[0].example_ids]
    assert ben[5].value == f"{titles[0]}\n{titles[2]}"

    cites = wb["Citations"]
    assert [c.value for c in cites[3]] == ["Prompt", "Example", "Answers citing it",
                                           "Never cited", "Answers",
                                           "Answers citing any example"]
    first = [[c.value for c in r] for r in cites.iter_rows(min_row=4)
             if r[0].value == "1. Identifying the change"]
    assert [r[1] for r in first] == titles  # every linked example, cited or not
    assert [r[2] for r in first][:4] == [3, 1, 1, 0]
    assert first[3][3] == "never cited" and first[0][3] is None
    assert (first[0][4], first[0][5]) == (3, 3)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "md", "html"])
async def test_a_damaged_answer_does_not_stop_the_synthesis(
        engine: Engine, db: Database, library: Library, tmp_path: Path, fmt: str) -> None:
    """A stored answer that is not JSON, or whose citations are not a list, is exported as it
    is (under "?") and cites nothing; the rest of the export, chain included, is whole."""
    group_id, alone_id = await _workshop(engine)
    conn = sqlite3.connect(db.path)  # (damaged by hand, as a broken disk or tool might)
    with conn:
        conn.execute("UPDATE answers SET fields = ? WHERE session_id = ? AND prompt_id = ?",
                     ("{not json", alone_id, "scale-and-sustain"))
        conn.execute("UPDATE answers SET fields = ? WHERE session_id = ? AND prompt_id = ?",
                     (json.dumps({"change": "x", "examples": "dudley-keep"}), group_id,
                      "identify-change"))
    conn.close()
    result = await export_to_dir(db, library, guild_id=G, scope=ExportScope.workshop(
        "Chain day"), fmt=fmt, out_dir=tmp_path, actor_id=None)
    assert result.answers == 7
    if fmt == "json":
        doc = json.loads(result.path.read_text(encoding="utf-8"))
        first = doc["prompts"]["key-questions"][0]["citations"]
        assert first["answers_citing"] == 2  # Ann's and Ben's; not the damaged one
        rows = doc["theory_of_change"][0]["rows"]
        assert len(rows) == 3 and rows[0]["gaps"] >= 1


async def test_the_html_report_counts_citations_as_sqlite_does(
        engine: Engine, db: Database, library: Library, tmp_path: Path) -> None:
    """The HTML report counts the citations as the answers stream past; the other formats
    have SQLite count them. Both give the same figures, for answers that cite an example
    twice, cite something that is not an example id, or cite nothing in a damaged way."""
    from datetime import UTC, datetime

    from bot.exports.data import build_plan
    from bot.exports.html_report import Report, citations_part

    group_id, alone_id = await _workshop(engine)
    ids = library.prompt_sets["key-questions"].prompts[0].example_ids
    conn = sqlite3.connect(db.path)  # (stored by hand: the engine would refuse these)
    with conn:
        for session_id, cite in ((group_id, [ids[1], ids[1], 7, None]),
                                 (alone_id, {"not": "a list"})):
            conn.execute("UPDATE answers SET fields = json_set(fields, '$.examples', "
                         "json(?)) WHERE session_id = ? AND prompt_id = ?",
                         (json.dumps(cite), session_id, "identify-change"))
    conn.close()
    text = await _export(db, library, "html", tmp_path)
    scope = ExportScope.workshop("Chain day")
    async with db.snapshot() as snap:
        plan = await build_plan(snap, library, guild_id=G, scope=scope,
                                exported_at=datetime.now(UTC))
    assert plan.citations_counted
    first = plan.citations[plan.prompts[0].index]
    assert (first.answers, first.citing, first.counts) == (3, 1, {ids[1]: 1})
    report = Report.of(plan)
    for prompt in plan.prompts:
        part = citations_part(report, prompt)
        assert part is not None and part in text, prompt.id


async def test_a_chain_without_answers_yet(engine: Engine, db: Database, library: Library,
                                           tmp_path: Path) -> None:
    await engine.start(G, 3, group_name="Quiet", workshop="Quiet day", set_id="key-questions",
                       started_by=FACILITATOR)
    for fmt in ("json", "md", "html", "xlsx"):
        result = await export_to_dir(db, library, guild_id=G, scope=ExportScope.workshop(
            "Quiet day"), fmt=fmt, out_dir=tmp_path / fmt, actor_id=None)
        if fmt == "json":
            doc = json.loads(result.path.read_text(encoding="utf-8"))
            assert doc["theory_of_change"][0]["rows"] == []
            assert doc["prompts"]["key-questions"][0]["citations"]["answers"] == 0
        elif fmt == "md":
            assert "| *no answers yet* |" in result.path.read_text(encoding="utf-8")
        elif fmt == "html":
            assert "No answers yet.</td></tr>" in result.path.read_text(encoding="utf-8")
