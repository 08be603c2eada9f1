"""Timers and reminders in the engine, on a ManualClock (time moves without sleeping)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import events as ev
from bot.engine import Engine
from bot.engine.timers import TimerCancelled, TimerSet, TimerWarning, TimeUp
from bot.models import Library
from bot.scheduler import ManualClock
from bot.storage import Database, SessionStatus

G, C = 3, 30


class Seen:
    def __init__(self, engine: Engine) -> None:
        self.events: list[ev.Event] = []
        self.changed = asyncio.Event()
        engine.events.subscribe(ev.Event, self._add)

    def _add(self, event: ev.Event) -> None:
        self.events.append(event)
        self.changed.set()

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


async def settle(engine: Engine) -> None:
    await asyncio.wait_for(engine.scheduler.settled(), timeout=5)


async def test_a_timer_warns_then_ends_and_pauses(db: Database, library: Library) -> None:
    clock = ManualClock()
    engine = await Engine.create(db, library, clock=clock)
    engine.scheduler.start()
    seen = Seen(engine)
    try:
        session = await engine.start(G, C, group_name="g", workshop="W",
                                     set_id="key-questions", started_by=1)
        prompt = engine.live_prompt(session)
        timer = await engine.set_timer(G, C, None, "pause")  # the prompt's suggested minutes
        assert timer.minutes == prompt.minutes and timer.then == "pause"
        assert engine.timer_of(session.id) == timer
        await settle(engine)
        clock.advance(minutes=prompt.minutes - 1)
        await settle(engine)
        assert seen.names()[-1] == "TimerWarning"
        assert not seen.events[-1].late
        clock.advance(minutes=1)
        await settle(engine)
        assert seen.names()[-2:] == ["TimeUp", "SessionPaused"]
        up = seen.events[-2]
        assert isinstance(up, TimeUp) and not up.late
        assert engine.peek_session(G, session.id).status is SessionStatus.PAUSED
        assert engine.timer_of(session.id) is None
    finally:
        await engine.scheduler.stop()


async def test_then_next_moves_on_and_a_move_cancels_a_timer(db: Database,
                                                              library: Library) -> None:
    clock = ManualClock()
    engine = await Engine.create(db, library, clock=clock)
    engine.scheduler.start()
    seen = Seen(engine)
    try:
        session = await engine.start(G, C, group_name="g", workshop="W",
                                     set_id="key-questions", started_by=1)
        await engine.set_timer(G, C, 5, "next")
        clock.advance(minutes=5)
        await settle(engine)
        assert "TimeUp" in seen.names() and seen.names()[-1] == "PromptMoved"
        assert engine.peek_session(G, session.id).current_prompt == 2
        # a timer on prompt 2, then the facilitator moves on by hand: it is cancelled
        await engine.set_timer(G, C, 10, "next")
        await engine.next(G, C)
        cancelled = [e for e in seen.events if isinstance(e, TimerCancelled)]
        assert cancelled and cancelled[-1].why == "moved"
        clock.advance(minutes=30)
        await settle(engine)
        assert engine.peek_session(G, session.id).current_prompt == 3  # not moved again
    finally:
        await engine.scheduler.stop()


async def test_a_timer_survives_a_restart_and_a_late_one_says_so(db_path, library) -> None:
    clock = ManualClock()
    db = await Database.open(db_path)
    engine = await Engine.create(db, library, clock=clock)
    await engine.start(G, C, group_name="g", workshop="W", set_id="key-questions",
                       started_by=1)
    await engine.set_timer(G, C, 10, "pause")
    await db.close()  # the bot stops...

    clock.advance(minutes=25)  # ...and comes back 15 minutes after the timer ran out
    db = await Database.open(db_path)
    engine = await Engine.create(db, library, clock=clock)
    seen = Seen(engine)
    assert engine.timer_of(engine.peek_live(G, C).id) is not None  # read back at start
    engine.scheduler.start()
    try:
        await settle(engine)
        ups = [e for e in seen.events if isinstance(e, TimeUp)]
        assert len(ups) == 1 and ups[0].late and ups[0].late_by == timedelta(minutes=15)
        assert not [e for e in seen.events if isinstance(e, TimerWarning)]  # a stale warning
        assert engine.peek_live(G, C).status is SessionStatus.PAUSED
    finally:
        await engine.scheduler.stop()
        await db.close()


async def test_timers_for_a_whole_workshop_and_cancelling(engine: Engine) -> None:
    for channel in (1, 2, 3):
        await engine.start(G, channel, group_name=f"g{channel}", workshop="Day",
                           set_id="key-questions", started_by=1)
    await engine.close(G, 3)
    seen = Seen(engine)
    _, results = await engine.set_workshop_timer(G, "day", 15, "nothing")
    assert [type(r).__name__ for _, r in results] == ["Timer", "Timer"]  # live groups only
    assert seen.names() == ["TimerSet", "TimerSet"]
    assert isinstance(seen.events[0], TimerSet)
    assert await engine.cancel_workshop_timer(G, "day") == 2
    assert seen.names()[-2:] == ["TimerCancelled", "TimerCancelled"]


async def test_reminders_count_who_has_not_answered(engine: Engine) -> None:
    named = await engine.start(G, 1, group_name="named", workshop="W", set_id="key-questions",
                               started_by=1, pace="self")
    anon = await engine.start(G, 2, group_name="anon", workshop="W", set_id="key-questions",
                              started_by=1, pace="self", anonymous=True)
    p1, p2 = engine.prompt_set("key-questions").prompts[:2]
    for session in (named, anon):
        for uid, name in ((10, "Asha"), (11, "Ben"), (12, "Cy")):
            await engine.submit(G, session.id, p1.id, user_id=uid, display_name=name,
                                values={f.id: "x" for f in p1.fields if not f.is_cite})
        await engine.submit(G, session.id, p2.id, user_id=11, display_name="Ben",
                            values={f.id: "x" for f in p2.fields if not f.is_cite})
    for session in (named, anon):
        await engine.goto(G, session.channel_id, 2)
    plain = await engine.remind(G, 1)
    assert (plain.missing, plain.of, plain.names) == (2, 3, ())
    listed = await engine.remind(G, 1, names=True)
    assert listed.names == ("Asha", "Cy")
    hidden = await engine.remind(G, 2, names=True)  # anonymous: never names
    assert (hidden.missing, hidden.names) == (2, ())
