"""The scheduler's table of due jobs (see bot/scheduler.py): one row per (kind, key)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.storage.base import StoreBase
from bot.storage.rows import JobRow, utcnow_iso

_COLUMNS = "id, kind, key, due_at, guild_id, payload"


def _job(row: Sequence[Any]) -> JobRow:
    return JobRow(id=row[0], kind=row[1], key=row[2], due_at=row[3], guild_id=row[4],
                  payload=json.loads(row[5] or "{}"))


class Jobs(StoreBase):
    async def schedule_job(
        self, *, kind: str, key: str, due_at: str, guild_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> JobRow:
        """Add a job, or move the existing job of the same kind and key (new time and
        payload)."""
        encoded = json.dumps(payload or {}, ensure_ascii=False)

        def job(conn: sqlite3.Connection) -> JobRow:
            row = conn.execute(
                "INSERT INTO jobs (kind, key, due_at, guild_id, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET "
                "due_at = excluded.due_at, guild_id = excluded.guild_id, "
                f"payload = excluded.payload RETURNING {_COLUMNS}",
                (kind, key, due_at, guild_id, encoded, utcnow_iso()),
            ).fetchone()
            return _job(row)

        return await self.write(job)

    async def cancel_job(self, kind: str, key: str) -> bool:
        """Remove a job; False when there was none."""

        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM jobs WHERE kind = ? AND key = ?",
                                (kind, key)).rowcount > 0

        return await self.write(job)

    async def finish_job(self, job_row: JobRow) -> None:
        """Remove a job that ran, unless it was moved meanwhile (scheduled again)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM jobs WHERE id = ? AND due_at = ?",
                         (job_row.id, job_row.due_at))

        await self.write(job)

    async def job(self, kind: str, key: str) -> JobRow | None:
        row = await self.fetchone(f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND key = ?",
                                  (kind, key))
        return _job(row) if row else None

    async def jobs_of(self, kind: str) -> list[JobRow]:
        rows = await self.fetchall(f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? ORDER BY id",
                                   (kind,))
        return [_job(r) for r in rows]

    async def jobs_due(self, before: str, limit: int = 100) -> list[JobRow]:
        rows = await self.fetchall(
            f"SELECT {_COLUMNS} FROM jobs WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
            (before, limit),
        )
        return [_job(r) for r in rows]

    async def next_due(self) -> str | None:
        row = await self.fetchone("SELECT min(due_at) FROM jobs")
        return row[0] if row else None
