"""`/workshop …`: one facilitator steers every group of a workshop at once, from any channel,
opens breakout threads (one group each), and lets the groups learn from each other (gallery
walks and dot-votes: behaviour in bot/discord_ui/gallery.py)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import gallery, outgoing, render, synthesis
from bot.discord_ui.cards import post_card
from bot.discord_ui.choices import (
    ANSWER_CHOICES,
    PACE_CHOICES,
    THEN_CHOICES,
    prompt_set_choices,
    workshop_choices,
)
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import ensure_facilitator, in_time, respond
from bot.engine import Engine, NotFound, WorkshopError
from bot.engine.gallery import NAMES
from bot.engine.workshop_run import Move, WorkshopMove
from bot.exports import ExportScope
from bot.rules import clean_name
from bot.storage import SessionRow

log = logging.getLogger(__name__)

MAX_GROUPS = 25  # breakout threads per command
THREAD_NAME = 100


class Workshop(commands.Cog):
    workshop = app_commands.Group(
        name="workshop", description="Steer every group of a workshop at once (facilitators)",
        guild_only=True,
    )
    timer = app_commands.Group(name="timer", description="A timer for every group",
                               parent=workshop)
    gallery = app_commands.Group(name="gallery",
                                 description="Each group reads another group's answers, in turn",
                                 parent=workshop)
    vote = app_commands.Group(name="vote", description="Dot-voting on the groups' answers",
                              parent=workshop)

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        self._gallery_events = gallery.GalleryEvents(bot)

    async def cog_unload(self) -> None:
        self._gallery_events.close()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await gallery.handle_modal(interaction)  # a comment form (answer forms: answering.py)

    @property
    def engine(self) -> Engine:
        return self.bot.engine

    # --- moving every group -----------------------------------------------------------------

    async def _move(self, interaction: discord.Interaction, workshop: str, move: Move,
                    number: int | None = None) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.engine.move_workshop(guild_id, workshop, move, number)
        problems = await self._announce(result)
        await respond(interaction, render.workshop_move_summary(result, problems))

    async def _announce(self, result: WorkshopMove) -> dict[int, str]:
        """Post what changed in each moved group's channel; returns the groups (session ids)
        whose channel could not be reached, with why."""
        problems: dict[int, str] = {}
        for group in result.moved:
            session = group.session
            try:
                if result.move in ("next", "back", "goto", "resume"):
                    note = ("▶️ Answering is open again." if result.move == "resume"
                            else f"The facilitator moved every group to prompt "
                                 f"{session.current_prompt}.")
                    await post_card(self.bot, self.engine, session, note)
                elif result.move == "pause":
                    await outgoing.send(self._channel(session),
                                        "⏸️ The facilitator paused answering for every group. "
                                        "Anything you are typing is kept: submit it once "
                                        "answering resumes.")
                else:
                    status = await self.engine.session_status(session.guild_id, session.id)
                    await outgoing.send(
                        self._channel(session), "🔒 Answers are locked for every group.",
                        embed=render.status_embed(status, title="Session closed: thank you all"),
                    )
            except discord.HTTPException as exc:
                log.warning("could not post in the channel of session %s: %s", session.id, exc)
                problems[session.id] = exc.text or str(exc.status)
        return problems

    def _channel(self, session: SessionRow) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(session.channel_id)

    @workshop.command(name="next", description="Move every group to its next prompt")
    @app_commands.describe(workshop="The workshop whose groups to move")
    async def next(self, interaction: discord.Interaction, workshop: str) -> None:
        await self._move(interaction, workshop, "next")

    @workshop.command(name="back", description="Move every group back a prompt")
    @app_commands.describe(workshop="The workshop whose groups to move")
    async def back(self, interaction: discord.Interaction, workshop: str) -> None:
        await self._move(interaction, workshop, "back")

    @workshop.command(name="goto", description="Move every group to one prompt")
    @app_commands.describe(workshop="The workshop whose groups to move",
                           number="The prompt number, starting at 1")
    async def goto(self, interaction: discord.Interaction, workshop: str,
                   number: app_commands.Range[int, 1, 25]) -> None:
        await self._move(interaction, workshop, "goto", number)

    @workshop.command(name="pause", description="Stop answering in every group")
    @app_commands.describe(workshop="The workshop whose groups to pause")
    async def pause(self, interaction: discord.Interaction, workshop: str) -> None:
        await self._move(interaction, workshop, "pause")

    @workshop.command(name="resume", description="Reopen answering in every group")
    @app_commands.describe(workshop="The workshop whose groups to resume")
    async def resume(self, interaction: discord.Interaction, workshop: str) -> None:
        await self._move(interaction, workshop, "resume")

    @workshop.command(name="close", description="Lock answers in every group")
    @app_commands.describe(workshop="The workshop whose groups to close")
    async def close(self, interaction: discord.Interaction, workshop: str) -> None:
        await self._move(interaction, workshop, "close")

    @workshop.command(name="status", description="Where every group of a workshop is")
    @app_commands.describe(workshop="The workshop")
    async def status(self, interaction: discord.Interaction, workshop: str) -> None:
        guild_id = ensure_facilitator(interaction)
        found, statuses = await in_time(interaction,
                                        self.engine.workshop_status(guild_id, workshop))
        if not statuses:
            raise NotFound(f"No group of workshop **{render.safe(found.name)}** is running.")
        embeds = render.workshop_status_embeds(found, statuses)
        await respond(interaction, embeds=embeds)

    @workshop.command(name="board",
                      description="Post a live board of every group here (it keeps itself up "
                                  "to date)")
    @app_commands.describe(workshop="The workshop to show")
    async def board(self, interaction: discord.Interaction, workshop: str) -> None:
        guild_id = ensure_facilitator(interaction)
        found = await self.engine.workshop(guild_id, workshop)
        channel = interaction.channel
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            raise WorkshopError("Run `/workshop board` in a channel where the bot can post.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.boards.post(channel, found)
        await respond(interaction, f"📋 The live board of workshop **{render.safe(found.name)}** "
                                   "is posted here; it updates itself as groups answer and "
                                   "move on (at most every few seconds). Post it again to "
                                   "move it; delete it to stop it.")

    # --- timers and settings ------------------------------------------------------------

    @timer.command(name="start", description="Start a timer on every group's live prompt")
    @app_commands.describe(
        workshop="The workshop whose groups to time",
        minutes="How long (default: each live prompt's suggested time)",
        then="What happens when the time is up",
    )
    @app_commands.choices(then=THEN_CHOICES)
    async def timer_start(
        self, interaction: discord.Interaction, workshop: str,
        minutes: app_commands.Range[int, 1, 240] | None = None,
        then: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found, results = await self.engine.set_workshop_timer(
            guild_id, workshop, minutes, then.value if then else "nothing")  # type: ignore[arg-type]
        lines = [f"⏱️ Workshop **{render.safe(found.name)}**:"]
        for session, outcome in results:
            if isinstance(outcome, str):
                lines.append(f"• {render.safe(session.group_name)}: no timer "
                             f"({outcome.rstrip('.')})")
            else:
                lines.append(f"• {render.safe(session.group_name)}: {outcome.minutes} minutes "
                             f"on prompt {outcome.prompt_number}; "
                             f"{render.timer_text(outcome)}")
        await respond(interaction, "\n".join(lines))

    @timer.command(name="cancel", description="Stop the timers of every group")
    @app_commands.describe(workshop="The workshop whose timers to stop")
    async def timer_cancel(self, interaction: discord.Interaction, workshop: str) -> None:
        guild_id = ensure_facilitator(interaction)
        stopped = await in_time(interaction,
                                self.engine.cancel_workshop_timer(guild_id, workshop))
        await respond(interaction, f"⏱️ Stopped {stopped} timer{'s' if stopped != 1 else ''}.")

    @workshop.command(name="settings", description="How this workshop runs")
    @app_commands.describe(
        workshop="The workshop",
        reminders="Post who has not answered with every one-minute timer warning (no pings)",
        names="Gallery cards, comments and results show people's names (named sessions "
              "only; default off)",
    )
    async def settings(self, interaction: discord.Interaction, workshop: str,
                       reminders: bool | None = None, names: bool | None = None) -> None:
        guild_id = ensure_facilitator(interaction)
        found = await self.engine.workshop(guild_id, workshop)
        changes: dict[str, object] = {}
        if reminders is not None:
            changes["remind_at_warning"] = reminders
        if names is not None:
            changes[NAMES] = names
        if changes:
            found = await in_time(interaction, self.engine.update_workshop(found,
                                                                           settings=changes))
        await respond(interaction, render.workshop_settings_text(found))

    # --- gallery walks and votes ------------------------------------------------------------

    @gallery.command(name="start",
                     description="Show each group another group's answers, in turn")
    @app_commands.describe(
        workshop="The workshop whose groups walk the gallery",
        prompt="Which prompt's answers (default: the groups' live prompt)",
        rotate_minutes="Move every group on by itself every this many minutes (default: "
                       "when you run /workshop gallery rotate)",
    )
    async def gallery_start(
        self, interaction: discord.Interaction, workshop: str, prompt: str | None = None,
        rotate_minutes: app_commands.Range[int, 1, 120] | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        step = await self.engine.start_walk(guild_id, workshop, prompt, rotate_minutes)
        problems = await gallery.post_step(self.bot, self.engine, step)
        await respond(interaction, gallery.step_summary(step, problems))

    @gallery.command(name="rotate",
                     description="Move every group on to the next group's answers")
    @app_commands.describe(workshop="The workshop whose walk moves on")
    async def gallery_rotate(self, interaction: discord.Interaction, workshop: str) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        step = await self.engine.rotate_walk(guild_id, workshop)
        problems = await gallery.post_step(self.bot, self.engine, step)
        await respond(interaction, gallery.step_summary(step, problems))

    @gallery.command(name="end", description="End the gallery walk now")
    @app_commands.describe(workshop="The workshop whose walk ends")
    async def gallery_end(self, interaction: discord.Interaction, workshop: str) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        step = await self.engine.end_walk(guild_id, workshop)
        problems = await gallery.post_step(self.bot, self.engine, step)
        await respond(interaction, gallery.step_summary(step, problems))

    @vote.command(name="start",
                  description="Everyone places dots on other groups' answers to a prompt")
    @app_commands.describe(
        workshop="The workshop whose groups vote",
        dots="Dots per person",
        prompt="Which prompt's answers (default: the groups' live prompt)",
    )
    async def vote_start(
        self, interaction: discord.Interaction, workshop: str,
        dots: app_commands.Range[int, 1, 20], prompt: str | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        start = await self.engine.start_vote(guild_id, workshop, dots, prompt)
        problems = await gallery.post_vote(self.bot, self.engine, start)
        await respond(interaction, gallery.vote_summary(start, problems))

    @vote.command(name="close", description="Close the vote and post the top answers")
    @app_commands.describe(workshop="The workshop whose votes close")
    async def vote_close(self, interaction: discord.Interaction, workshop: str) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.engine.close_votes(guild_id, workshop)
        problems = await gallery.post_results(self.bot, self.engine, closed)
        await respond(interaction, gallery.results_summary(closed, problems))

    @workshop.command(name="digest",
                      description="Per prompt: answers, examples cited most and never, top votes")
    @app_commands.describe(
        workshop="The workshop to sum up (every group)",
        prompt="One prompt (default: every prompt)",
        public="Post it in this channel for everyone (default: only you see it)",
    )
    async def digest(self, interaction: discord.Interaction, workshop: str,
                     prompt: str | None = None, public: bool = False) -> None:
        guild_id = ensure_facilitator(interaction)
        found = await self.engine.workshop(guild_id, workshop)
        await synthesis.post_digest(interaction, self.bot, ExportScope.workshop(found.name),
                                    prompt, public, found.name)

    @gallery_start.autocomplete("prompt")
    @vote_start.autocomplete("prompt")
    @digest.autocomplete("prompt")
    async def _prompt_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await gallery.prompt_choices(interaction, current)

    # --- breakouts ------------------------------------------------------------------------

    @workshop.command(name="breakouts",
                      description="Open a thread per group here and start the set in each")
    @app_commands.describe(
        count="How many groups (threads)",
        set="The prompt set every group runs",
        workshop="The workshop (event) the groups belong to",
        names="Group names, comma-separated (default: Group 1, Group 2…)",
        answers="Each person answers, or each group agrees one answer (default: the set's)",
        anonymous="Show participants as P01, P02… in exports instead of their names",
        pace="Who moves through the prompts",
    )
    @app_commands.choices(pace=PACE_CHOICES, answers=ANSWER_CHOICES)
    async def breakouts(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, MAX_GROUPS],
        set: str, workshop: str, names: str | None = None,
        answers: app_commands.Choice[str] | None = None, anonymous: bool = False,
        pace: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise WorkshopError("Run `/workshop breakouts` in a text channel (not a thread or "
                                "a DM): the group threads are opened under it.")
        missing = [name for name, granted in (
            ("Create Public Threads", interaction.app_permissions.create_public_threads),
            ("Send Messages in Threads", interaction.app_permissions.send_messages_in_threads),
        ) if not granted]
        if missing:
            raise WorkshopError(f"The bot needs the **{' and '.join(missing)}** permission in "
                                "this channel to open breakout threads; ask an admin to grant "
                                "it (see the README's invite link).")
        group_names = _group_names(count, names)
        self.engine.prompt_set(set)  # fails now, before any thread is made
        await interaction.response.defer(thinking=True)
        started: list[tuple[discord.Thread, SessionRow]] = []
        for name in group_names:
            thread = await channel.create_thread(
                name=name, type=discord.ChannelType.public_thread,
                auto_archive_duration=1440, reason=f"workshop breakout: {workshop}"[:500],
            )
            session = await self.engine.start(
                guild_id, thread.id, group_name=name, workshop=workshop, set_id=set,
                started_by=interaction.user.id, anonymous=anonymous,
                pace=pace.value if pace else "facilitator",  # type: ignore[arg-type]
                answers=answers.value if answers else None,  # type: ignore[arg-type]
            )
            await post_card(self.bot, self.engine, session,
                            f"**{render.safe(name)}**: this thread is your group's space for "
                            f"workshop **{render.safe(session.workshop)}**. Press **Answer** "
                            "on the card to respond.")
            started.append((thread, session))
        first = started[0][1]
        listing = "\n".join(f"• {thread.mention} ({render.safe(s.group_name)})"
                            for thread, s in started)
        await respond(
            interaction,
            f"🧵 **{len(started)} breakout groups** are open for workshop "
            f"**{render.safe(first.workshop)}**"
            f"{' (one agreed answer per group)' if first.group_mode else ''}. Join yours:\n"
            f"{listing}",
            ephemeral=False,
        )

    @breakouts.autocomplete("set")
    async def _set_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await prompt_set_choices(interaction, current)

    @next.autocomplete("workshop")
    @back.autocomplete("workshop")
    @goto.autocomplete("workshop")
    @pause.autocomplete("workshop")
    @resume.autocomplete("workshop")
    @close.autocomplete("workshop")
    @status.autocomplete("workshop")
    @breakouts.autocomplete("workshop")
    @timer_start.autocomplete("workshop")
    @timer_cancel.autocomplete("workshop")
    @settings.autocomplete("workshop")
    @board.autocomplete("workshop")
    @gallery_start.autocomplete("workshop")
    @gallery_rotate.autocomplete("workshop")
    @gallery_end.autocomplete("workshop")
    @vote_start.autocomplete("workshop")
    @vote_close.autocomplete("workshop")
    @digest.autocomplete("workshop")
    async def _workshop_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await workshop_choices(interaction, current)


def _group_names(count: int, names: str | None) -> list[str]:
    """``Group 1``…``Group N``, or the names given (cleaned, one per group, all different)."""
    if not names:
        return [f"Group {n}" for n in range(1, count + 1)]
    given = [clean_name(n)[:THREAD_NAME] for n in names.split(",")]
    given = [n for n in given if n]
    if len(given) != count:
        raise WorkshopError(f"You asked for {count} groups and gave {len(given)} names: give "
                            "one name per group, separated by commas.")
    if len({n.casefold() for n in given}) != len(given):
        raise WorkshopError("Two groups have the same name; give each group its own.")
    return given


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Workshop(bot))
