"""The scheduler: jobs fire when due (time moved by a ManualClock, no sleeping), survive a
restart, say when they are late, are retried when they fail, and can be cancelled."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.scheduler import LATE_AFTER, MAX_ATTEMPTS, Due, ManualClock, Scheduler
from bot.storage import Database


class Recorder:
    def __init__(self) -> None:
        self.runs: list[Due] = []
        self.changed = asyncio.Event()
        self.fail = 0

    async def __call__(self, due: Due) -> None:
        if self.fail:
            self.fail -= 1
            self.runs.append(due)
            self.changed.set()
            raise RuntimeError("the channel is gone")
        self.runs.append(due)
        self.changed.set()

    async def next(self) -> Due:
        await asyncio.wait_for(self.changed.wait(), timeout=5)
        self.changed.clear()
        return self.runs[-1]


async def idle(s: Scheduler) -> None:
    """Every job due now has run and the loop sleeps."""
    await asyncio.wait_for(s.settled(), timeout=5)


async def test_a_job_fires_when_due_and_not_before(db: Database) -> None:
    clock = ManualClock()
    s = Scheduler(db, clock)
    rec = Recorder()
    s.register("timer", rec)
    s.start()
    try:
        await s.schedule("timer", "session:1", clock.now() + timedelta(minutes=5),
                         guild_id=7, payload={"then": "pause"})
        await idle(s)
        clock.advance(minutes=4, seconds=59)
        await idle(s)
        assert rec.runs == []
        clock.advance(seconds=1)
        due = await rec.next()
        assert (due.job.kind, due.job.key, due.job.guild_id, due.payload) == \
            ("timer", "session:1", 7, {"then": "pause"})
        assert not due.late
        await idle(s)
        assert await s.job("timer", "session:1") is None  # done, so gone
    finally:
        await s.stop()


async def test_a_job_survives_a_restart_and_a_missed_one_is_late(db_path) -> None:
    clock = ManualClock()
    db = await Database.open(db_path)
    s = Scheduler(db, clock)
    await s.schedule("timer", "session:1", clock.now() + timedelta(minutes=10))
    await db.close()  # the bot stops before it is due

    clock.advance(minutes=30)  # ...and starts again long after
    db = await Database.open(db_path)
    s = Scheduler(db, clock)
    rec = Recorder()
    s.register("timer", rec)
    s.start()
    try:
        due = await rec.next()
        assert due.job.key == "session:1" and due.late  # 20 minutes late
        assert timedelta(minutes=20) > LATE_AFTER
    finally:
        await s.stop()
        await db.close()


async def test_moving_and_cancelling_jobs(db: Database) -> None:
    clock = ManualClock()
    s = Scheduler(db, clock)
    rec = Recorder()
    s.register("timer", rec)
    s.start()
    try:
        await s.schedule("timer", "a", clock.now() + timedelta(minutes=1))
        await s.schedule("timer", "b", clock.now() + timedelta(minutes=1))
        await s.schedule("timer", "a", clock.now() + timedelta(minutes=3))  # moved
        assert await s.cancel("timer", "b")
        assert not await s.cancel("timer", "nothing")
        await idle(s)
        clock.advance(minutes=2)
        await idle(s)
        assert rec.runs == []
        clock.advance(minutes=1)
        assert (await rec.next()).job.key == "a"
    finally:
        await s.stop()


async def test_a_failing_job_is_retried_then_dropped(db: Database) -> None:
    clock = ManualClock()
    s = Scheduler(db, clock)
    rec = Recorder()
    rec.fail = MAX_ATTEMPTS + 5
    s.register("timer", rec)
    s.start()
    try:
        await s.schedule("timer", "x", clock.now())
        await rec.next()
        for _ in range(MAX_ATTEMPTS - 1):
            await idle(s)
            clock.advance(minutes=1)
            await rec.next()
        await idle(s)
        assert len(rec.runs) == MAX_ATTEMPTS
        assert await s.job("timer", "x") is None  # dropped, not retried for ever
    finally:
        await s.stop()


async def test_a_handler_that_reschedules_its_job_keeps_it(db: Database) -> None:
    clock = ManualClock()
    s = Scheduler(db, clock)
    runs: list[str] = []

    async def daily(due: Due) -> None:
        runs.append(due.job.due_at)
        await s.schedule("daily", "k", clock.now() + timedelta(days=1))

    s.register("daily", daily)
    s.start()
    try:
        await s.schedule("daily", "k", clock.now())
        await idle(s)
        assert len(runs) == 1 and await s.job("daily", "k") is not None
        clock.advance(days=1)
        await idle(s)
        assert len(runs) == 2 and await s.job("daily", "k") is not None
    finally:
        await s.stop()


async def test_settled_returns_when_nothing_is_scheduled(db: Database) -> None:
    clock = ManualClock()
    s = Scheduler(db, clock)
    s.start()
    try:
        await idle(s)
        clock.advance(hours=1)  # no job at all: the loop still looks again, and settles
        await idle(s)
    finally:
        await s.stop()
