"""RETENTION_DAYS: closed sessions are deleted that many days after closing, once their channel
has been warned at least a day before. No discord imports: the Discord layer posts warnings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage import Database, SessionRow

log = logging.getLogger(__name__)

WARNING_NOTICE = timedelta(days=1)


@dataclass(frozen=True)
class RetentionPlan:
    warn: list[SessionRow]
    delete: list[SessionRow]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


async def plan(db: Database, days: int, now: datetime | None = None) -> RetentionPlan:
    """What is due now: warnings for sessions that reach ``days`` within a day, and deletions
    of sessions past ``days`` whose channel was warned at least a day ago."""
    now = now or datetime.now(UTC)
    warn, delete = await db.retention_candidates(
        warn_before=_iso(now - timedelta(days=days) + WARNING_NOTICE),
        delete_before=_iso(now - timedelta(days=days)),
        warned_before=_iso(now - WARNING_NOTICE),
    )
    return RetentionPlan(warn=warn, delete=delete)


async def delete_due(db: Database, due: RetentionPlan) -> int:
    if not due.delete:
        return 0
    count = await db.delete_sessions(due.delete, reason="retention")
    log.info("retention: deleted %d closed sessions (%d answers)", len(due.delete), count)
    return count
