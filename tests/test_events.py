"""The engine publishes what happened, after it is committed; subscribers see it in order, and
a failing subscriber neither stops the others nor the engine."""

from __future__ import annotations

import logging

import pytest

from bot import events as ev
from bot.engine import Engine
from bot.storage import SessionStatus, WorkshopPhase

GUILD, CHANNEL = 1, 10


def _fields(prompt) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.id: f"text for {f.id}" for f in prompt.fields if not f.is_cite}


async def test_the_engine_publishes_every_change(engine: Engine) -> None:
    seen: list[ev.Event] = []
    engine.events.subscribe(ev.Event, seen.append)
    answers: list[ev.AnswerSaved] = []

    async def on_answer(event: ev.AnswerSaved) -> None:  # async subscribers are awaited
        # the answer is already on disk when the event arrives
        assert await engine.db.answers_of_user(GUILD, event.answer.user_id)
        answers.append(event)

    engine.events.subscribe(ev.AnswerSaved, on_answer)

    session = await engine.start(GUILD, CHANNEL, group_name="g", workshop="W",
                                 set_id="key-questions", started_by=1)
    prompt = engine.live_prompt(session)
    await engine.submit(GUILD, session.id, prompt.id, user_id=5, display_name="A",
                        values=_fields(prompt), interaction_id=99)
    await engine.submit(GUILD, session.id, prompt.id, user_id=5, display_name="A",
                        values=_fields(prompt), interaction_id=99)  # a replay: no event
    await engine.submit(GUILD, session.id, prompt.id, user_id=5, display_name="A",
                        values=_fields(prompt))  # an edit
    await engine.next(GUILD, CHANNEL)
    await engine.pause(GUILD, CHANNEL)
    await engine.resume(GUILD, CHANNEL)
    await engine.close(GUILD, CHANNEL)
    await engine.forget(GUILD, 5)
    workshop = await engine.workshop(GUILD, "w")
    await engine.update_workshop(workshop, phase=WorkshopPhase.GALLERY)

    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["SessionStarted", "AnswerSaved", "AnswerSaved", "PromptMoved",
                     "SessionPaused", "SessionResumed", "SessionClosed", "AnswersErased",
                     "WorkshopChanged"]
    assert [a.created for a in answers] == [True, False]
    moved = seen[3]
    assert isinstance(moved, ev.PromptMoved)
    assert (moved.previous, moved.session.current_prompt) == (1, 2)
    assert isinstance(seen[6], ev.SessionClosed)
    assert seen[6].session.status is SessionStatus.CLOSED
    erased = seen[7]
    assert isinstance(erased, ev.AnswersErased) and erased.count == 1
    changed = seen[8]
    assert isinstance(changed, ev.WorkshopChanged)
    assert changed.workshop.phase is WorkshopPhase.GALLERY


async def test_a_failing_subscriber_is_logged_and_the_rest_go_on(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[str] = []

    def broken(event: ev.SessionStarted) -> None:
        raise RuntimeError("board exploded")

    engine.events.subscribe(ev.SessionStarted, broken)
    unsubscribe = engine.events.subscribe(ev.SessionStarted,
                                          lambda e: got.append(e.session.group_name))
    with caplog.at_level(logging.ERROR):
        await engine.start(GUILD, CHANNEL, group_name="g1", workshop="W",
                           set_id="key-questions", started_by=1)
    assert got == ["g1"]
    assert "board exploded" in caplog.text
    unsubscribe()
    await engine.start(GUILD, CHANNEL + 1, group_name="g2", workshop="W",
                       set_id="key-questions", started_by=1)
    assert got == ["g1"]
