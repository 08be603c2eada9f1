"""RETENTION_DAYS: closed sessions are deleted that many days after closing, once their channel
has been warned at least a day before. A job of the scheduler: it runs at start and then daily.
No discord imports: the warning is published as an event, which the Discord layer posts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.events import Event
from bot.scheduler import Due
from bot.storage import SessionRow, Storage

if TYPE_CHECKING:  # the engine imports nothing from here; typing only
    from bot.engine import Engine

log = logging.getLogger(__name__)

WARNING_NOTICE = timedelta(days=1)
EVERY = timedelta(days=1)
JOB_KIND = "retention"
JOB_KEY = "daily"


@dataclass(frozen=True)
class RetentionPlan:
    warn: list[SessionRow]
    delete: list[SessionRow]


@dataclass(frozen=True, slots=True)
class RetentionWarning(Event):
    """Post a notice in ``session``'s channel: its answers are deleted from ``delete_from``."""

    session: SessionRow
    days: int
    delete_from: datetime


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


async def plan(db: Storage, days: int, now: datetime | None = None) -> RetentionPlan:
    """What is due now: warnings for sessions that reach ``days`` within a day, and deletions
    of sessions past ``days`` whose channel was warned at least a day ago."""
    now = now or datetime.now(UTC)
    warn, delete = await db.retention_candidates(
        warn_before=_iso(now - timedelta(days=days) + WARNING_NOTICE),
        delete_before=_iso(now - timedelta(days=days)),
        warned_before=_iso(now - WARNING_NOTICE),
    )
    return RetentionPlan(warn=warn, delete=delete)


async def delete_due(db: Storage, due: RetentionPlan) -> int:
    if not due.delete:
        return 0
    count = await db.delete_sessions(due.delete, reason="retention")
    log.info("retention: deleted %d closed sessions (%d answers)", len(due.delete), count)
    return count


class Retention:
    """Runs :meth:`run_once` at start and every day, as the scheduler's ``retention`` job, when
    ``days`` is set."""

    def __init__(self, engine: Engine, days: int | None) -> None:
        self.engine = engine
        self.days = days
        self.runs = 0
        self.ran = asyncio.Event()  # set after each completed run
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Register the job; schedule it now (so it runs at start) when days are set, else
        remove any job left from a run that had them."""
        scheduler = self.engine.scheduler
        scheduler.register(JOB_KIND, self._run_job)
        if self.days is None:
            await scheduler.cancel(JOB_KIND, JOB_KEY)
        else:
            await scheduler.schedule(JOB_KIND, JOB_KEY, scheduler.clock.now())

    async def _run_job(self, due: Due) -> None:
        if self.days is None:
            return
        await self.run_once()
        scheduler = self.engine.scheduler
        await scheduler.schedule(JOB_KIND, JOB_KEY, scheduler.clock.now() + EVERY)

    async def run_once(self, now: datetime | None = None) -> int:
        """Warn what reaches its retention time within a day, delete what is due; returns the
        number of answers deleted. Does nothing when ``days`` is not set."""
        days = self.days
        if days is None:
            return 0
        async with self._lock:
            db = self.engine.db
            now = now or self.engine.clock.now()
            due = await plan(db, days, now=now)
            for session in due.warn:
                closed = datetime.fromisoformat(session.closed_at) if session.closed_at else now
                delete_from = max(closed + timedelta(days=days), now + WARNING_NOTICE)
                await self.engine.events.publish(
                    RetentionWarning(session, days, delete_from.astimezone(UTC))
                )
            if due.warn:
                await db.mark_retention_warned([s.id for s in due.warn])
            deleted = await delete_due(db, due)
            self.runs += 1
            self.ran.set()
            log.info("retention: %d warned, %d sessions deleted (%d answers)",
                     len(due.warn), len(due.delete), deleted)
            return deleted
