"""RETENTION_DAYS: post the notice in a closed session's channel a day before its answers are
deleted (bot/retention.py decides and deletes, as a job of the scheduler; this posts)."""

from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord.ext import commands

from bot.discord_ui import outgoing, render
from bot.discord_ui.client import WorkshopBot
from bot.retention import RetentionWarning
from bot.storage import SessionRow

log = logging.getLogger(__name__)


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
    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        self._unsubscribe = bot.engine.events.subscribe(RetentionWarning, self.post_warning)

    async def cog_unload(self) -> None:
        self._unsubscribe()

    async def post_warning(self, event: RetentionWarning) -> None:
        session = event.session
        try:
            channel = self.bot.get_partial_messageable(session.channel_id)
            await outgoing.send(channel, warning_text(session, event.days, event.delete_from))
        except discord.HTTPException as exc:
            # The channel is gone or closed to the bot: the deletion still goes ahead a day
            # later, as RETENTION_DAYS promises; the log says which session was not announced.
            log.warning("retention: could not warn channel %s about session %s: %s",
                        session.channel_id, session.id, exc)


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Retention(bot))
