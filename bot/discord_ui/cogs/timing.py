"""What the clock says in the groups' channels: a timer started (and shown on the card), one
minute left, time's up; and the direct messages participants asked for with `/reminders`.

The engine decides (bot/engine/timers.py); this cog posts. Nothing here pings anyone.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import events as ev
from bot.discord_ui import outgoing, render
from bot.discord_ui.cards import post_card, refresh_card
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import guild_id_of, in_time, respond
from bot.engine.timers import TimerCancelled, TimerSet, TimerWarning, TimeUp
from bot.storage import SessionRow

log = logging.getLogger(__name__)

DM_CLOSED = 50007  # Discord: "Cannot send messages to this user"


class Timing(commands.Cog):
    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        events = bot.engine.events
        self._unsubscribe = [
            events.subscribe(TimerSet, self.on_timer_set),
            events.subscribe(TimerCancelled, self.on_timer_cancelled),
            events.subscribe(TimerWarning, self.on_warning),
            events.subscribe(TimeUp, self.on_time_up),
            events.subscribe(ev.PromptMoved, self.on_prompt_moved),
        ]
        self._tasks: set[asyncio.Task[None]] = set()

    async def cog_unload(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for task in self._tasks:
            task.cancel()

    async def _post(self, session: SessionRow, text: str) -> None:
        try:
            await outgoing.send(self.bot.get_partial_messageable(session.channel_id), text)
        except discord.HTTPException as exc:
            log.warning("could not post in the channel of session %s: %s", session.id, exc)

    # --- timers ---------------------------------------------------------------------------

    async def on_timer_set(self, event: TimerSet) -> None:
        await self._post(event.session, f"⏱️ **{event.timer.minutes} minutes** on the clock "
                                        f"for prompt {event.timer.prompt_number}. "
                                        f"{render.timer_text(event.timer)}")
        await refresh_card(self.bot, self.bot.engine, event.session)

    async def on_timer_cancelled(self, event: TimerCancelled) -> None:
        if event.why == "cancelled":
            await self._post(event.session, "⏱️ The facilitator stopped the timer.")
            await refresh_card(self.bot, self.bot.engine, event.session)

    async def on_warning(self, event: TimerWarning) -> None:
        text = (f"⏳ **One minute left** on prompt {event.timer.prompt_number} "
                f"({render.timestamp(event.timer.ends_at.isoformat())}).")
        if event.reminder is not None:
            text += "\n" + render.reminder_text(event.reminder)
        await self._post(event.session, text)

    async def on_time_up(self, event: TimeUp) -> None:
        then = {"nothing": "Finish your thought; the facilitator will move you on.",
                "pause": "Answering is paused now.",
                "next": "Moving on to the next prompt."}[event.timer.then]
        if event.timer.then == "next" and \
                event.session.current_prompt >= event.session.prompt_count:
            then = "That was the last prompt, so answering is paused now."
        late = ""
        if event.late:
            minutes = int(event.late_by.total_seconds() // 60)
            late = (f" (The bot was offline when it ran out, {minutes} minute"
                    f"{'s' if minutes != 1 else ''} ago.)")
        await self._post(event.session, f"⏰ **Time's up** on prompt "
                                        f"{event.timer.prompt_number}. {then}{late}")

    # --- DM reminders ---------------------------------------------------------------------

    async def on_prompt_moved(self, event: ev.PromptMoved) -> None:
        """A move by a timer shows the new card (a facilitator's command shows it itself).
        Direct messages go out in the background: the facilitator's command does not wait
        for them."""
        if event.cause == "timer":
            try:
                await post_card(self.bot, self.bot.engine, event.session,
                                f"Prompt {event.session.current_prompt} is live.")
            except discord.HTTPException as exc:
                log.warning("could not post the card of session %s: %s", event.session.id,
                            exc)
        task = asyncio.create_task(self._dm_round(event.session), name="workshop-dm-reminders")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def dm_rounds_done(self) -> None:
        """Wait for the reminder messages being sent now (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def _dm_round(self, session: SessionRow) -> None:
        engine = self.bot.engine
        try:
            recipients = await engine.db.reminder_recipients(session.guild_id, session.id)
            prompt = engine.live_prompt(session)
        except Exception:
            log.exception("DM reminders for session %s failed", session.id)
            return
        text = (f"🔔 A new prompt is open in <#{session.channel_id}> (workshop "
                f"**{render.safe(session.workshop)}**): {prompt.number}. "
                f"{render.safe(prompt.title)}. Turn these messages off with "
                "`/reminders off` in the server.")
        for user_id in recipients:
            try:
                channel = await self.bot.create_dm(discord.Object(user_id))
                await outgoing.send(channel, text)
            except discord.Forbidden as exc:
                if exc.code == DM_CLOSED:  # their DMs are closed: do not try again
                    await engine.db.mark_dm_closed(session.guild_id, user_id)
                else:
                    log.info("DM reminder not sent: %s", exc)
            except discord.HTTPException as exc:
                log.info("DM reminder not sent: %s", exc)

    @app_commands.command(name="reminders",
                          description="A direct message when a new prompt opens for you")
    @app_commands.describe(on="On: a DM when a session you answered in moves to a new prompt")
    @app_commands.guild_only()
    async def reminders(self, interaction: discord.Interaction, on: bool) -> None:
        guild_id = guild_id_of(interaction)
        await in_time(interaction, self.bot.engine.set_reminders(guild_id, interaction.user.id,
                                                                 on))
        if on:
            text = ("🔔 You will get a direct message when a session you have answered in "
                    "moves to a new prompt (in this server). If your DMs are closed the bot "
                    "stops trying until you turn this on again. `/reminders on:False` stops "
                    "them.")
        else:
            text = "🔕 No more reminder messages from this server."
        await respond(interaction, text)


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Timing(bot))
