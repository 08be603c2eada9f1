"""Session engine flows and every error path, on a real database and the bundled prompt sets."""

from __future__ import annotations

import asyncio

import pytest

from bot.engine import (
    AnsweringClosed,
    Engine,
    InvalidAnswer,
    InvalidMove,
    NoLiveSession,
    NotFound,
    SessionAlreadyLive,
    WorkshopError,
)
from bot.models import FieldValue, Prompt
from bot.storage import SaveOutcome, SessionStatus

GUILD, OTHER_GUILD = 1001, 2002
CHANNEL = 501
FACILITATOR = 9


def full_answer(prompt: Prompt, text: str = "An answer") -> dict[str, FieldValue]:
    """Every field filled: text, and the first linked example cited."""
    return {f.id: list(prompt.example_ids[:1]) if f.is_cite else text[: f.max_length]
            for f in prompt.fields}


async def start(engine: Engine, channel: int = CHANNEL, **kw: object):
    args = dict(group_name="group-a", workshop="Leeds seminar", set_id="key-questions",
                started_by=FACILITATOR)
    args.update(kw)
    return await engine.start(GUILD, channel, **args)  # type: ignore[arg-type]


async def test_facilitator_walks_through_the_key_questions(engine: Engine) -> None:
    s = await start(engine)
    assert (s.current_prompt, s.status, s.prompt_count) == (1, SessionStatus.OPEN, 3)
    assert engine.live_prompt(s).key_question == "identify-change"
    s = await engine.next(GUILD, CHANNEL)
    assert s.current_prompt == 2
    s = await engine.next(GUILD, CHANNEL)
    assert engine.live_prompt(s).key_question == "measure-impact"
    s = await engine.back(GUILD, CHANNEL)
    assert s.current_prompt == 2
    s = await engine.goto(GUILD, CHANNEL, 1)
    assert s.current_prompt == 1
    s = await engine.pause(GUILD, CHANNEL)
    assert s.status is SessionStatus.PAUSED
    s = await engine.resume(GUILD, CHANNEL)
    assert s.status is SessionStatus.OPEN
    status = await engine.close(GUILD, CHANNEL)
    assert status.session.status is SessionStatus.CLOSED
    assert status.session.closed_at is not None
    with pytest.raises(NoLiveSession):
        await engine.status(GUILD, CHANNEL)
    # the channel is free again
    again = await start(engine)
    assert again.id != s.id


async def test_moves_out_of_bounds_are_errors(engine: Engine) -> None:
    await start(engine)
    with pytest.raises(InvalidMove, match="already the first prompt"):
        await engine.back(GUILD, CHANNEL)
    for bad in (0, 4, -1):
        with pytest.raises(InvalidMove, match="prompts 1 to 3"):
            await engine.goto(GUILD, CHANNEL, bad)
    await engine.goto(GUILD, CHANNEL, 3)
    with pytest.raises(InvalidMove, match="last one"):
        await engine.next(GUILD, CHANNEL)
    with pytest.raises(InvalidMove, match="already open"):
        await engine.resume(GUILD, CHANNEL)
    await engine.pause(GUILD, CHANNEL)
    with pytest.raises(InvalidMove, match="already paused"):
        await engine.pause(GUILD, CHANNEL)


async def test_start_errors(engine: Engine) -> None:
    with pytest.raises(NotFound, match=r"no prompt set called 'nope'.*key-questions"):
        await start(engine, set_id="nope")
    with pytest.raises(WorkshopError, match="name"):
        await start(engine, workshop="   ")
    with pytest.raises(WorkshopError, match="limit is 100"):
        await start(engine, workshop="x" * 101)
    await start(engine)
    with pytest.raises(SessionAlreadyLive, match="already running"):
        await start(engine)


async def test_commands_without_a_session(engine: Engine) -> None:
    for action in (engine.next, engine.back, engine.pause, engine.resume, engine.close,
                   engine.status):
        with pytest.raises(NoLiveSession, match="/session start"):
            await action(GUILD, CHANNEL)


async def test_submit_edit_and_read_back(engine: Engine) -> None:
    s = await start(engine)
    prompt = engine.live_prompt(s)
    sub = await engine.submit(GUILD, s.id, prompt.id, user_id=42, display_name="Priya",
                              values=full_answer(prompt, "first"), interaction_id=1)
    assert sub.created and sub.first_in_guild and not sub.replayed
    sub2 = await engine.submit(GUILD, s.id, prompt.id, user_id=42, display_name="Priya K",
                               values=full_answer(prompt, "second"), interaction_id=2)
    assert not sub2.created and not sub2.first_in_guild
    mine = await engine.my_answers(GUILD, 42)
    assert len(mine) == 1
    assert mine[0].fields == full_answer(prompt, "second")
    assert mine[0].display_name == "Priya K"
    status = await engine.status(GUILD, CHANNEL)
    assert status.participants == 1
    assert [c.answers for c in status.per_prompt] == [1, 0, 0]


async def test_answer_validation(engine: Engine) -> None:
    s = await start(engine)
    prompt = engine.live_prompt(s)
    required = next(f for f in prompt.fields if f.required)
    values = full_answer(prompt)
    with pytest.raises(InvalidAnswer, match=f"'{required.label}' is required"):
        await engine.submit(GUILD, s.id, prompt.id, user_id=1, display_name="A",
                            values={**values, required.id: "   "})
    too_long = "x" * (required.max_length + 1)
    with pytest.raises(InvalidAnswer, match=f"limit is {required.max_length}"):
        await engine.submit(GUILD, s.id, prompt.id, user_id=1, display_name="A",
                            values={**values, required.id: too_long})
    with pytest.raises(InvalidAnswer, match="'bogus' is not a field"):
        await engine.submit(GUILD, s.id, prompt.id, user_id=1, display_name="A",
                            values={**values, "bogus": "x"})
    with pytest.raises(NotFound, match="not part of this session"):
        await engine.submit(GUILD, s.id, "no-such-prompt", user_id=1, display_name="A",
                            values=values)
    assert await engine.my_answers(GUILD, 1) == []
    # exactly at the limit is accepted
    await engine.submit(GUILD, s.id, prompt.id, user_id=1, display_name="A",
                        values={**values, required.id: "y" * required.max_length})


async def test_paused_closed_and_moved_on_prompts_refuse_answers(engine: Engine) -> None:
    s = await start(engine)
    p1 = engine.live_prompt(s)
    await engine.pause(GUILD, CHANNEL)
    with pytest.raises(AnsweringClosed, match="paused") as paused:
        await engine.submit(GUILD, s.id, p1.id, user_id=1, display_name="A",
                            values=full_answer(p1))
    assert paused.value.reason is SaveOutcome.PAUSED
    await engine.resume(GUILD, CHANNEL)
    await engine.next(GUILD, CHANNEL)
    with pytest.raises(AnsweringClosed, match="moved on from prompt 1 to prompt 2"):
        await engine.submit(GUILD, s.id, p1.id, user_id=1, display_name="A",
                            values=full_answer(p1))
    await engine.close(GUILD, CHANNEL)
    with pytest.raises(AnsweringClosed, match="closed"):
        await engine.submit(GUILD, s.id, p1.id, user_id=1, display_name="A",
                            values=full_answer(p1))
    assert await engine.my_answers(GUILD, 1) == []


async def test_self_paced_sessions_accept_any_prompt(engine: Engine) -> None:
    s = await start(engine, pace="self")
    pset = engine.prompt_set("key-questions")
    for prompt in reversed(pset.prompts):
        await engine.submit(GUILD, s.id, prompt.id, user_id=5, display_name="Sam",
                            values=full_answer(prompt))
    assert len(await engine.my_answers(GUILD, 5)) == 3


async def test_forget_erases_in_one_server_only(engine: Engine) -> None:
    s = await start(engine)
    other = await engine.start(OTHER_GUILD, 777, group_name="g", workshop="Other",
                               set_id="key-questions", started_by=1)
    p = engine.live_prompt(s)
    for guild, sid in ((GUILD, s.id), (OTHER_GUILD, other.id)):
        await engine.submit(guild, sid, p.id, user_id=42, display_name="Priya",
                            values=full_answer(p, "secret reflection"))
    assert await engine.forget(GUILD, 42) == 1
    assert await engine.my_answers(GUILD, 42) == []
    assert len(await engine.my_answers(OTHER_GUILD, 42)) == 1
    entries = await engine.db.audit_entries(GUILD)
    # the audit entry has the count and a keyed hash, never the person's id (issue 11)
    _at, actor, action, detail = entries[-1]
    assert action == "erase" and actor is None
    assert detail["answers_erased"] == 1 and set(detail) == {"answers_erased", "subject"}
    assert len(detail["subject"]) == 32
    assert "secret" not in repr(entries)
    # after erasure the privacy notice shows again on their next answer
    again = await engine.submit(GUILD, s.id, p.id, user_id=42, display_name="Priya",
                                values=full_answer(p))
    assert again.first_in_guild


async def test_sessions_of_other_servers_are_invisible(engine: Engine) -> None:
    s = await start(engine)
    p = engine.live_prompt(s)
    with pytest.raises(NotFound):
        await engine.submit(OTHER_GUILD, s.id, p.id, user_id=1, display_name="A",
                            values=full_answer(p))
    with pytest.raises(NotFound):
        await engine.session_status(OTHER_GUILD, s.id)
    with pytest.raises(NoLiveSession):
        await engine.next(OTHER_GUILD, CHANNEL)
    assert await engine.sessions(OTHER_GUILD) == []


async def test_list_sessions_by_workshop(engine: Engine) -> None:
    await start(engine, 1, group_name="group-a")
    await start(engine, 2, group_name="group-b")
    await start(engine, 3, group_name="other", workshop="Birmingham")
    assert [s.group_name for s in await engine.sessions(GUILD, "leeds seminar")] == [
        "group-a", "group-b"]
    assert len(await engine.sessions(GUILD)) == 3
    assert await engine.workshop_names(GUILD) == ["Birmingham", "Leeds seminar"]
    assert [w.name for w in await engine.workshops(GUILD)] == ["Birmingham", "Leeds seminar"]


async def test_hundred_participants_at_once(engine: Engine) -> None:
    s = await start(engine)
    p = engine.live_prompt(s)
    subs = await asyncio.gather(*(
        engine.submit(GUILD, s.id, p.id, user_id=10_000 + i, display_name=f"P{i}",
                      values=full_answer(p, f"answer {i}"), interaction_id=i)
        for i in range(100)
    ))
    assert all(x.created for x in subs)
    status = await engine.status(GUILD, CHANNEL)
    assert status.participants == 100 and status.per_prompt[0].answers == 100


TRICKY = [
    "@everyone look 👩🏽‍⚕️ at this",
    "\u202eevil\u202c and \u200fRTL mark \u05e9\u05dc\u05d5\u05dd",
    "Robert'); DROP TABLE answers;--",
    '"double" and \'single\' quotes, back\\slash',
    "=HYPERLINK(\"http://x\")",
    "line one\nline two\r\n\ttabbed",
    "<@123> <@&456> [link](http://example.com) ||spoiler||",
]


@pytest.mark.parametrize("text", TRICKY)
async def test_text_round_trips_exactly(engine: Engine, text: str) -> None:
    s = await start(engine)
    p = engine.live_prompt(s)
    values = full_answer(p)
    first = p.fields[0].id
    values[first] = text
    await engine.submit(GUILD, s.id, p.id, user_id=3, display_name=text[:20], values=values)
    (stored,) = await engine.my_answers(GUILD, 3)
    assert stored.fields[first] == text
    assert stored.display_name == text[:20]
    assert (await engine.db.fetchone("SELECT count(*) FROM answers"))[0] == 1


async def test_a_new_engine_starts_from_the_database(engine: Engine) -> None:
    s = await start(engine)
    p = engine.live_prompt(s)
    await engine.submit(GUILD, s.id, p.id, user_id=7, display_name="Sam",
                        values=full_answer(p, "kept"))
    await engine.set_facilitator_role(GUILD, 555)
    closed = await start(engine, channel=CHANNEL + 1)
    await engine.close(GUILD, CHANNEL + 1)
    fresh = await Engine.create(engine.db, engine.library)  # as after a restart
    assert fresh.peek_live(GUILD, CHANNEL) == await engine.live_session(GUILD, CHANNEL)
    assert fresh.peek_answer(s.id, p.id, 7) == full_answer(p, "kept")
    assert fresh.peek_live(GUILD, CHANNEL + 1) is None
    assert fresh.peek_session(GUILD, closed.id) is None
    assert (await fresh.session(GUILD, closed.id)).status is SessionStatus.CLOSED
    assert fresh.facilitator_role(GUILD) == 555
