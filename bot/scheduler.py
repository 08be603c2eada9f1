"""One persistent table of due jobs (bot/storage/jobs.py) and one loop that sleeps until the next.

Kinds of job (retention, timers, reminders...) register a handler. A job survives a restart:
one that fell due while the bot was down runs at once after start, and its handler is told it
is late. A handler that fails is logged and tried again later, a few times, then dropped. The
clock is injectable, so tests move time forward instead of sleeping. No discord imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.storage import JobRow, Storage

log = logging.getLogger(__name__)

# A job that runs more than this after it fell due is "late" (it fell due while the bot was
# not running, or the loop was held up).
LATE_AFTER = timedelta(seconds=30)
RETRY_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 3
IDLE_SLEEP = timedelta(days=365)


def iso(moment: datetime) -> str:
    """How job times are stored: UTC, ISO 8601 with milliseconds (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        """Return at ``moment`` or as soon as ``wake`` is set, whichever comes first (or
        earlier: callers look at the time again)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=delay)


class ManualClock:
    """A clock for tests: time moves only when :meth:`advance` (or :meth:`set`) is called."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment
        self._moved.set()

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        self.set(self._now + timedelta(seconds=seconds, **delta))
        return self._now

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        """Return when the clock moves (whether or not ``moment`` is reached: the caller looks
        again) or ``wake`` is set."""
        if self._now >= moment or wake.is_set():
            return
        self._moved.clear()
        waits = {asyncio.ensure_future(self._moved.wait()), asyncio.ensure_future(wake.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()


@dataclass(frozen=True, slots=True)
class Due:
    """A job being run: its row, and whether it is late."""

    job: JobRow
    late: bool

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload


Handler = Callable[[Due], Awaitable[None]]


class Scheduler:
    def __init__(self, db: Storage, clock: Clock | None = None) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self._handlers: dict[str, Handler] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ran = 0  # jobs run (for tests and logs)
        self.idle = asyncio.Event()  # set whenever the loop has nothing due and sleeps
        self._checked_at: datetime | None = None  # the clock time of the last look
        self._went_idle = asyncio.Event()

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def schedule(self, kind: str, key: str, due: datetime, *, guild_id: int | None = None,
                       payload: dict[str, Any] | None = None) -> JobRow:
        """Add (or move) the job ``kind``/``key``; durable when this returns."""
        row = await self.db.schedule_job(kind=kind, key=key, due_at=iso(due),
                                         guild_id=guild_id, payload=payload)
        self._poke()
        return row

    async def cancel(self, kind: str, key: str) -> bool:
        cancelled = await self.db.cancel_job(kind, key)
        self._poke()
        return cancelled

    async def job(self, kind: str, key: str) -> JobRow | None:
        return await self.db.job(kind, key)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="workshop-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def settled(self) -> None:
        """Wait until every job due at the clock's current time has run and the loop sleeps
        (for tests that move a :class:`ManualClock`)."""
        while not (self.idle.is_set() and self._checked_at is not None
                   and self._checked_at >= self.clock.now()):
            self._went_idle.clear()
            await self._went_idle.wait()

    def _poke(self) -> None:
        self.idle.clear()
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            now = self.clock.now()
            due = await self.db.jobs_due(iso(now))
            for job in due:
                await self._run(job, now)
            if due:
                continue
            nxt = await self.db.next_due()
            if self._wake.is_set():  # something was scheduled meanwhile: look again
                continue
            self._checked_at = now
            self.idle.set()
            self._went_idle.set()
            # With nothing scheduled, sleep "for a year": the clock (a test's ManualClock moving)
            # or a new job (the wake event) ends the sleep sooner.
            until = datetime.fromisoformat(nxt) if nxt is not None else now + IDLE_SLEEP
            await self.clock.sleep_until(until, self._wake)

    async def _run(self, job: JobRow, now: datetime) -> None:
        handler = self._handlers.get(job.kind)
        late = now - datetime.fromisoformat(job.due_at) > LATE_AFTER
        if handler is None:
            log.warning("no handler for scheduled job %s/%s; dropping it", job.kind, job.key)
            await self.db.finish_job(job)
            return
        try:
            await handler(Due(job, late))
        except Exception:
            attempts = int(job.payload.get("_attempts", 0)) + 1
            if attempts >= MAX_ATTEMPTS:
                log.exception("scheduled job %s/%s failed %d times; dropping it", job.kind,
                              job.key, attempts)
                await self.db.finish_job(job)
            else:
                log.exception("scheduled job %s/%s failed; trying again in %s", job.kind,
                              job.key, RETRY_AFTER)
                await self.db.schedule_job(
                    kind=job.kind, key=job.key, due_at=iso(now + RETRY_AFTER),
                    guild_id=job.guild_id, payload={**job.payload, "_attempts": attempts},
                )
            return
        self.ran += 1
        await self.db.finish_job(job)  # unless the handler scheduled it again meanwhile
