"""Messages the bot posted and will edit later (cards, summaries, boards...), so it can edit them
by channel and message id after a restart (interaction tokens expire after 15 minutes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.storage.base import StoreBase
from bot.storage.rows import BotMessage, utcnow_iso

_COLUMNS = ("id, guild_id, kind, session_id, workshop_id, channel_id, message_id, created_at, "
            "answer_id")


def _message(row: Sequence[Any]) -> BotMessage:
    return BotMessage(*row)


class Messages(StoreBase):
    async def remember_message(
        self, *, guild_id: int, kind: str, channel_id: int, message_id: int,
        session_id: int | None = None, workshop_id: int | None = None,
        replace: bool = False, answer_id: int | None = None,
    ) -> BotMessage:
        """Record a message the bot posted. With ``replace``, an earlier message of the same
        ``kind`` for the same session/workshop is forgotten (one live card per session).
        ``answer_id``: the answer a gallery card shows (found again by :meth:`cards_showing`
        when its author erases it)."""

        def job(conn: sqlite3.Connection) -> BotMessage:
            if replace:
                conn.execute(
                    "DELETE FROM bot_messages WHERE guild_id = ? AND kind = ? "
                    "AND session_id IS ? AND workshop_id IS ?",
                    (guild_id, kind, session_id, workshop_id),
                )
            row = conn.execute(
                "INSERT INTO bot_messages (guild_id, kind, session_id, workshop_id, channel_id, "
                "message_id, created_at, answer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (message_id) DO UPDATE SET kind = excluded.kind, "
                f"answer_id = excluded.answer_id RETURNING {_COLUMNS}",
                (guild_id, kind, session_id, workshop_id, channel_id, message_id, utcnow_iso(),
                 answer_id),
            ).fetchone()
            return _message(row)

        return await self.write(job)

    async def messages(
        self, guild_id: int | None, kind: str, *, session_id: int | None = None,
        workshop_id: int | None = None,
    ) -> list[BotMessage]:
        """Messages of ``kind`` (for a session or workshop when given; every server when
        ``guild_id`` is None, e.g. to resume boards at start)."""
        sql = f"SELECT {_COLUMNS} FROM bot_messages WHERE kind = ?"
        params: list[Any] = [kind]
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params.append(guild_id)
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)
        if workshop_id is not None:
            sql += " AND workshop_id = ?"
            params.append(workshop_id)
        rows = await self.fetchall(sql + " ORDER BY id", params)
        return [_message(r) for r in rows]

    async def cards_showing(self, guild_id: int, answer_ids: Sequence[int]) -> list[BotMessage]:
        """Messages of any kind that show one of these answers (gallery cards, results)."""
        if not answer_ids:
            return []
        marks = ", ".join("?" for _ in answer_ids)
        rows = await self.fetchall(
            f"SELECT {_COLUMNS} FROM bot_messages WHERE guild_id = ? AND answer_id IN ({marks}) "
            "ORDER BY id", (guild_id, *answer_ids),
        )
        return [_message(r) for r in rows]

    async def forget_message(self, message_id: int) -> None:
        """The message is gone (deleted in Discord) or replaced: stop tracking it."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM bot_messages WHERE message_id = ?", (message_id,))

        await self.write(job)
