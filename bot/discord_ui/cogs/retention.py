"""RETENTION_DAYS: at start and then daily, warn each closed session's channel a day before its
answers are deleted, then delete what is due (bot/retention.py decides; this posts).

Only closed sessions are ever deleted, and the engine's in-memory mirror holds only open and
paused ones, so deleting needs no cache change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import discord
from discord.ext import commands, tasks

from bot import retention
from bot.discord_ui import render
from bot.discord_ui.client import WorkshopBot
from bot.storage import SessionRow

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def warning_text(session: SessionRow, days: int, delete_from: datetime) -> str:
    """The notice posted in a session's channel (names escaped; the bot pings no one)."""
    closed = (session.closed_at or "")[:10]
    return (
        f"⏳ **Retention notice.** Session {session.id} of workshop "
        f"**{render.safe(session.workshop, 200)}** (group **{render.safe(session.group_name, 200)}"
        f"**, closed {closed}) will be deleted with all its answers from "
        f"**{delete_from:%Y-%m-%d %H:%M} UTC**: this server keeps answers {days} days after a "
        "session closes. Facilitators: export it now with `/session export` in this channel "
        "(or `/session export` with the workshop's name, from any channel)."
    )


class Retention(commands.Cog):
    """Runs :meth:`run_once` at start and every 24 hours when ``RETENTION_DAYS`` is set."""

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        self.now: Callable[[], datetime] = _utcnow  # replaceable, for tests
        self.runs = 0
        self.ran = asyncio.Event()  # set after each completed run
        self._lock = asyncio.Lock()

    @property
    def days(self) -> int | None:
        return self.bot.settings.retention_days

    async def cog_load(self) -> None:
        if self.days is not None:
            self.daily.start()

    async def cog_unload(self) -> None:
        self.daily.cancel()

    @tasks.loop(hours=24)
    async def daily(self) -> None:
        try:
            await self.run_once()
        except Exception:  # keep the daily loop alive; try again tomorrow
            log.exception("retention: the daily check failed")

    @daily.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def run_once(self) -> int:
        """Warn what reaches its retention time within a day, delete what is due; returns the
        number of answers deleted. Does nothing when ``RETENTION_DAYS`` is not set."""
        days = self.days
        if days is None:
            return 0
        async with self._lock:
            db = self.bot.engine.db
            now = self.now()
            due = await retention.plan(db, days, now=now)
            if due.warn:
                for session in due.warn:
                    await self._warn(session, days, now)
                await db.mark_retention_warned([s.id for s in due.warn])
            deleted = await retention.delete_due(db, due)
            self.runs += 1
            self.ran.set()
            log.info("retention: %d warned, %d sessions deleted (%d answers)",
                     len(due.warn), len(due.delete), deleted)
            return deleted

    async def _warn(self, session: SessionRow, days: int, now: datetime) -> None:
        closed = datetime.fromisoformat(session.closed_at) if session.closed_at else now
        delete_from = max(closed + timedelta(days=days), now + retention.WARNING_NOTICE)
        text = warning_text(session, days, delete_from.astimezone(UTC))
        try:
            channel = self.bot.get_channel(session.channel_id) or \
                await self.bot.fetch_channel(session.channel_id)
            await channel.send(  # type: ignore[union-attr]
                render.clip(text, render.MESSAGE_CONTENT),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (discord.HTTPException, AttributeError) as exc:
            # The channel is gone or closed to the bot: the deletion still goes ahead a day
            # later, as RETENTION_DAYS promises; the log says which session was not announced.
            log.warning("retention: could not warn channel %s about session %s: %s",
                        session.channel_id, session.id, exc)


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Retention(bot))
