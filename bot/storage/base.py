"""What every part of the SQLite store shares: the connection, the writer, small read helpers."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.rows import AnswerRow, SessionRow, SessionStatus
from bot.storage.writer import Job, Writer

T = TypeVar("T")

SESSION_COLUMNS = (
    "s.id, s.guild_id, s.workshop_id, w.name, s.channel_id, s.group_name, s.prompt_set, "
    "s.anonymous, s.pace, s.status, s.current_prompt, s.prompt_count, s.started_by, "
    "s.created_at, s.closed_at, s.answer_mode"
)
SESSION_FROM = "FROM sessions s JOIN workshops w ON w.id = s.workshop_id"
ANSWER_COLUMNS = (
    "id, guild_id, session_id, prompt_id, user_id, display_name, fields, created_at, updated_at, "
    "version"
)
ANSWER_COLUMNS_A = ", ".join(f"a.{c.strip()}" for c in ANSWER_COLUMNS.split(","))


def session_row(row: Sequence[Any]) -> SessionRow:
    return SessionRow(
        id=row[0], guild_id=row[1], workshop_id=row[2], workshop=row[3], channel_id=row[4],
        group_name=row[5], prompt_set=row[6], anonymous=bool(row[7]), pace=row[8],
        status=SessionStatus(row[9]), current_prompt=row[10], prompt_count=row[11],
        started_by=row[12], created_at=row[13], closed_at=row[14], answer_mode=row[15],
    )


def answer_row(row: Sequence[Any]) -> AnswerRow:
    return AnswerRow(
        id=row[0], guild_id=row[1], session_id=row[2], prompt_id=row[3], user_id=row[4],
        display_name=row[5], fields=json.loads(row[6]), created_at=row[7], updated_at=row[8],
        version=row[9],
    )


def fetchone(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    return conn.execute(sql, params).fetchone()


async def one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def every(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


class StoreBase:
    """The connection (reads on the event loop's side of aiosqlite) and the single writer."""

    path: Path
    _conn: aiosqlite.Connection
    _writer: Writer

    async def write(self, job: Job[T]) -> T:
        """Run ``job`` on the connection in the next committed batch; returns once durable."""
        return await self._writer.write(job)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await one(self._conn, sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await every(self._conn, sql, params)
