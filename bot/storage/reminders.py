"""Who answered in a session (for reminders) and who asked for a DM when a prompt opens."""

from __future__ import annotations

import sqlite3

from bot.storage.base import StoreBase
from bot.storage.rows import utcnow_iso


class Reminders(StoreBase):
    async def session_people(self, guild_id: int, session_id: int) -> dict[int, str]:
        """Everyone who answered (or wrote a version of a group answer) in a session: user
        id -> the display name they last gave."""
        rows = await self.fetchall(
            "SELECT user_id, display_name, at FROM ("
            "SELECT user_id, display_name, updated_at AS at FROM answers "
            "WHERE guild_id = ? AND session_id = ? AND user_id != 0 "
            "UNION ALL SELECT v.user_id, v.display_name, v.created_at FROM answer_versions v "
            "JOIN answers a ON a.id = v.answer_id WHERE a.guild_id = ? AND a.session_id = ?"
            ") ORDER BY at",
            (guild_id, session_id, guild_id, session_id),
        )
        return {int(r[0]): r[1] for r in rows}

    async def answered(self, guild_id: int, session_id: int, prompt_id: str) -> set[int]:
        """Who has answered a prompt of an individual-mode session."""
        rows = await self.fetchall(
            "SELECT user_id FROM answers WHERE guild_id = ? AND session_id = ? "
            "AND prompt_id = ? AND user_id != 0", (guild_id, session_id, prompt_id),
        )
        return {int(r[0]) for r in rows}

    async def set_reminders(self, guild_id: int, user_id: int, on: bool) -> None:
        def job(conn: sqlite3.Connection) -> None:
            if on:
                conn.execute(
                    "INSERT INTO reminder_subscriptions (guild_id, user_id, created_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                    "dm_closed_at = NULL", (guild_id, user_id, utcnow_iso()),
                )
            else:
                conn.execute("DELETE FROM reminder_subscriptions WHERE guild_id = ? AND "
                             "user_id = ?", (guild_id, user_id))

        await self.write(job)

    async def reminder_recipients(self, guild_id: int, session_id: int) -> list[int]:
        """People who asked for a DM, whose DMs are not known to be closed, and who answered in
        the session."""
        rows = await self.fetchall(
            "SELECT r.user_id FROM reminder_subscriptions r WHERE r.guild_id = ? "
            "AND r.dm_closed_at IS NULL AND (r.user_id IN (SELECT user_id FROM answers "
            "WHERE guild_id = ? AND session_id = ?) OR r.user_id IN (SELECT v.user_id FROM "
            "answer_versions v JOIN answers a ON a.id = v.answer_id WHERE a.guild_id = ? "
            "AND a.session_id = ?)) ORDER BY r.user_id",
            (guild_id, guild_id, session_id, guild_id, session_id),
        )
        return [int(r[0]) for r in rows]

    async def mark_dm_closed(self, guild_id: int, user_id: int) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE reminder_subscriptions SET dm_closed_at = ? WHERE guild_id = ? "
                         "AND user_id = ?", (utcnow_iso(), guild_id, user_id))

        await self.write(job)
