"""Workshops and their sessions (one session per group: a channel or thread)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.storage.base import SESSION_COLUMNS, SESSION_FROM, StoreBase, fetchone, session_row
from bot.storage.rows import SessionRow, SessionStatus, WorkshopPhase, WorkshopRow, utcnow_iso

_WORKSHOP_COLUMNS = "id, guild_id, name, phase, settings, created_at"


def _workshop(row: Sequence[Any]) -> WorkshopRow:
    return WorkshopRow(
        id=row[0], guild_id=row[1], name=row[2], phase=WorkshopPhase(row[3]),
        settings=json.loads(row[4] or "{}"), created_at=row[5],
    )


class Sessions(StoreBase):
    # --- workshops ------------------------------------------------------------------------

    async def workshop(self, guild_id: int, name: str) -> WorkshopRow | None:
        """The workshop of that name in this server (names match case-insensitively)."""
        row = await self.fetchone(
            f"SELECT {_WORKSHOP_COLUMNS} FROM workshops "
            "WHERE guild_id = ? AND name = ? COLLATE NOCASE",
            (guild_id, name),
        )
        return _workshop(row) if row else None

    async def workshop_by_id(self, guild_id: int, workshop_id: int) -> WorkshopRow | None:
        row = await self.fetchone(
            f"SELECT {_WORKSHOP_COLUMNS} FROM workshops WHERE id = ? AND guild_id = ?",
            (workshop_id, guild_id),
        )
        return _workshop(row) if row else None

    async def workshops(self, guild_id: int) -> list[WorkshopRow]:
        rows = await self.fetchall(
            f"SELECT {_WORKSHOP_COLUMNS} FROM workshops WHERE guild_id = ? "
            "ORDER BY name COLLATE NOCASE",
            (guild_id,),
        )
        return [_workshop(r) for r in rows]

    async def workshop_names(self, guild_id: int) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM workshops WHERE guild_id = ? ORDER BY name", (guild_id,)
        )
        return [r[0] for r in rows]

    async def all_workshop_names(self) -> list[str]:
        """Every workshop name in every server (for the command line, which has no server)."""
        rows = await self.fetchall("SELECT DISTINCT name FROM workshops ORDER BY name")
        return [r[0] for r in rows]

    async def find_workshop_guilds(self, name: str) -> dict[int, str]:
        """Servers that have a workshop called ``name`` (case-insensitive): guild id -> the
        workshop's stored name. For the command line, which has no server context."""
        rows = await self.fetchall(
            "SELECT guild_id, name FROM workshops WHERE name = ? COLLATE NOCASE "
            "ORDER BY guild_id",
            (name,),
        )
        return {int(r[0]): r[1] for r in rows}

    async def find_session_guild(self, session_id: int) -> int | None:
        """The server a session belongs to (for the command line)."""
        row = await self.fetchone("SELECT guild_id FROM sessions WHERE id = ?", (session_id,))
        return int(row[0]) if row else None

    async def update_workshop(
        self, guild_id: int, workshop_id: int, *, phase: WorkshopPhase | None = None,
        settings: dict[str, Any] | None = None,
    ) -> WorkshopRow | None:
        """Change a workshop's phase and/or merge ``settings`` into its settings."""

        def job(conn: sqlite3.Connection) -> WorkshopRow | None:
            now = utcnow_iso()
            if phase is not None:
                conn.execute(
                    "UPDATE workshops SET phase = ?, updated_at = ? WHERE id = ? AND guild_id = ?",
                    (phase.value, now, workshop_id, guild_id),
                )
            if settings:
                conn.execute(
                    "UPDATE workshops SET settings = json_patch(settings, ?), updated_at = ? "
                    "WHERE id = ? AND guild_id = ?",
                    (json.dumps(settings), now, workshop_id, guild_id),
                )
            row = fetchone(conn, f"SELECT {_WORKSHOP_COLUMNS} FROM workshops "
                                 "WHERE id = ? AND guild_id = ?", (workshop_id, guild_id))
            return _workshop(row) if row else None

        return await self.write(job)

    # --- sessions ---------------------------------------------------------------------------

    async def create_session(
        self, *, guild_id: int, workshop: str, channel_id: int, group_name: str,
        prompt_set: str, prompt_count: int, anonymous: bool, pace: str, started_by: int,
        answer_mode: str = "individual",
    ) -> SessionRow | None:
        """Create a session (and its workshop on first use); ``None`` when the channel already
        has a live one."""

        def job(conn: sqlite3.Connection) -> SessionRow | None:
            now = utcnow_iso()
            conn.execute(
                "INSERT INTO workshops (guild_id, name, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (guild_id, workshop, now),
            )
            row = fetchone(
                conn, "SELECT id FROM workshops WHERE guild_id = ? AND name = ? COLLATE NOCASE",
                (guild_id, workshop),
            )
            try:
                cur = conn.execute(
                    "INSERT INTO sessions (guild_id, workshop_id, channel_id, group_name, "
                    "prompt_set, anonymous, pace, status, current_prompt, prompt_count, "
                    "started_by, created_at, answer_mode) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'open', 1, ?, ?, ?, ?)",
                    (guild_id, row[0], channel_id, group_name, prompt_set, int(anonymous), pace,
                     prompt_count, started_by, now, answer_mode),
                )
            except sqlite3.IntegrityError:
                return None
            srow = fetchone(conn, f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.id = ?",
                            (cur.lastrowid,))
            return session_row(srow)

        return await self.write(job)

    async def session(self, guild_id: int, session_id: int) -> SessionRow | None:
        row = await self.fetchone(
            f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.id = ? AND s.guild_id = ?",
            (session_id, guild_id),
        )
        return session_row(row) if row else None

    async def sessions(self, guild_id: int, workshop: str | None = None) -> list[SessionRow]:
        if workshop is None:
            rows = await self.fetchall(
                f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.guild_id = ? ORDER BY s.id",
                (guild_id,),
            )
        else:
            rows = await self.fetchall(
                f"SELECT {SESSION_COLUMNS} {SESSION_FROM} "
                "WHERE s.guild_id = ? AND w.name = ? COLLATE NOCASE ORDER BY s.id",
                (guild_id, workshop),
            )
        return [session_row(r) for r in rows]

    async def latest_session(self, guild_id: int, channel_id: int) -> SessionRow | None:
        row = await self.fetchone(
            f"SELECT {SESSION_COLUMNS} {SESSION_FROM} "
            "WHERE s.channel_id = ? AND s.guild_id = ? ORDER BY s.id DESC LIMIT 1",
            (channel_id, guild_id),
        )
        return session_row(row) if row else None

    async def unclosed_sessions(self) -> list[SessionRow]:
        """Every session that is open or paused, in every server (for the engine's cache)."""
        rows = await self.fetchall(
            f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.status != 'closed'"
        )
        return [session_row(r) for r in rows]

    async def update_session(
        self, guild_id: int, session_id: int, *, status: SessionStatus | None = None,
        current_prompt: int | None = None,
    ) -> SessionRow | None:
        def job(conn: sqlite3.Connection) -> SessionRow | None:
            if current_prompt is not None:
                conn.execute(
                    "UPDATE sessions SET current_prompt = ? WHERE id = ? AND guild_id = ?",
                    (current_prompt, session_id, guild_id),
                )
            if status is not None:
                conn.execute(
                    "UPDATE sessions SET status = ?, closed_at = CASE WHEN ? = 'closed' "
                    "THEN ? ELSE closed_at END WHERE id = ? AND guild_id = ?",
                    (status.value, status.value, utcnow_iso(), session_id, guild_id),
                )
            row = fetchone(
                conn,
                f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.id = ? AND s.guild_id = ?",
                (session_id, guild_id),
            )
            return session_row(row) if row else None

        return await self.write(job)
