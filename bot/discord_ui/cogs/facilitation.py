"""`/session …`: the facilitator runs a group through a prompt set and exports what it said."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import gallery, outgoing, render, synthesis
from bot.discord_ui.cards import card, remember_card
from bot.discord_ui.choices import (
    ANSWER_CHOICES,
    PACE_CHOICES,
    THEN_CHOICES,
    choices,
    prompt_set_choices,
    workshop_choices,
)
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import (
    ensure_facilitator,
    guild_id_of,
    in_time,
    is_facilitator,
    respond,
)
from bot.discord_ui.upload import fit_for_upload
from bot.engine import Engine, NotFound
from bot.exports import ExportFormat, ExportScope, export_to_dir
from bot.storage import SessionRow

log = logging.getLogger(__name__)

FORMAT_CHOICES = [
    app_commands.Choice(name="CSV (one row per answer field)", value="csv"),
    app_commands.Choice(name="Excel workbook (XLSX)", value="xlsx"),
    app_commands.Choice(name="JSON (complete record)", value="json"),
    app_commands.Choice(name="Markdown report", value="markdown"),
    app_commands.Choice(name="HTML report with charts (opens in a browser)", value="html"),
]
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel", "json": "JSON", "markdown": "Markdown",
                "html": "HTML report"}
SCOPE_CHOICES = [
    app_commands.Choice(name="this session (this group)", value="session"),
    app_commands.Choice(name="the whole workshop (every group)", value="workshop"),
]
class Facilitation(commands.Cog):
    session = app_commands.Group(
        name="session", description="Run a workshop session in this channel (facilitators)",
        guild_only=True,
    )
    timer = app_commands.Group(name="timer", description="A timer on the live prompt",
                               parent=session)

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot

    @property
    def engine(self) -> Engine:
        return self.bot.engine

    async def _show_card(
        self, interaction: discord.Interaction, session: SessionRow, note: str
    ) -> None:
        message_id = await respond(interaction, note, ephemeral=False,
                                   **card(self.engine, session))
        await remember_card(self.engine, session, message_id)

    async def _move(
        self, interaction: discord.Interaction,
        move: Callable[[int, int], Awaitable[SessionRow]], note: str,
    ) -> None:
        """Run a move of the live prompt (next, back, goto) and post the new card; ``note``
        may use ``{n}`` for the new prompt's number."""
        guild_id = ensure_facilitator(interaction)
        session = await in_time(interaction, move(guild_id, interaction.channel_id),
                                ephemeral=False)
        await self._show_card(interaction, session, note.format(n=session.current_prompt))

    # --- start ------------------------------------------------------------------------------

    @session.command(
        name="start", description="Start a prompt set here, as one group of a workshop"
    )
    @app_commands.describe(
        set="The prompt set to run",
        workshop="The workshop (event) this group belongs to; groups with the same name are "
                 "exported together",
        anonymous="Show participants as P01, P02… in exports instead of their names",
        pace="Who moves through the prompts",
        answers="Each person answers, or the group agrees one answer (default: the set's)",
    )
    @app_commands.choices(pace=PACE_CHOICES, answers=ANSWER_CHOICES)
    async def start(
        self, interaction: discord.Interaction, set: str, workshop: str,
        anonymous: bool = False, pace: app_commands.Choice[str] | None = None,
        answers: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        channel = interaction.channel
        group = getattr(channel, "name", None) or f"channel {interaction.channel_id}"
        session = await in_time(interaction, self.engine.start(
            guild_id, interaction.channel_id, group_name=group, workshop=workshop, set_id=set,
            started_by=interaction.user.id, anonymous=anonymous,
            pace=pace.value if pace else "facilitator",  # type: ignore[arg-type]
            answers=answers.value if answers else None,  # type: ignore[arg-type]
        ), ephemeral=False)
        pset = self.engine.prompt_set(session.prompt_set)
        note = (
            f"**{render.safe(pset.title)}** has started for this group "
            f"(workshop **{render.safe(session.workshop)}**, {render.pace_label(session)}"
            f"{', one answer per group' if session.group_mode else ''}"
            f"{', anonymous exports' if session.anonymous else ''}). "
            "Press **Answer** on the card to respond."
        )
        if session.pace == "self":
            note += (" This session is self-paced: answer any prompt, in any order, with "
                     "`/answer prompt:`.")
        await self._show_card(interaction, session, note)

    @start.autocomplete("set")
    async def _set_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await prompt_set_choices(interaction, current)

    @start.autocomplete("workshop")
    async def _workshop_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await workshop_choices(interaction, current)

    # --- moving -----------------------------------------------------------------------------

    @session.command(name="next", description="Move the group to the next prompt")
    async def next(self, interaction: discord.Interaction) -> None:
        await self._move(interaction, self.engine.next, "Moving on to prompt {n}.")

    @session.command(name="back", description="Go back to the previous prompt")
    async def back(self, interaction: discord.Interaction) -> None:
        await self._move(interaction, self.engine.back, "Back to prompt {n}.")

    @session.command(name="goto", description="Jump to a prompt by its number")
    @app_commands.describe(number="The prompt number, starting at 1")
    async def goto(
        self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 25]
    ) -> None:
        async def to_number(guild_id: int, channel_id: int) -> SessionRow:
            return await self.engine.goto(guild_id, channel_id, number)

        await self._move(interaction, to_number, "Prompt {n} is live.")

    # --- answering on / off ---------------------------------------------------------------

    @session.command(name="pause", description="Stop answering for now")
    async def pause(self, interaction: discord.Interaction) -> None:
        guild_id = ensure_facilitator(interaction)
        await in_time(interaction, self.engine.pause(guild_id, interaction.channel_id),
                      ephemeral=False)
        await respond(interaction, "⏸️ Answering is paused. Anything you are typing is kept: "
                      "submit it once the facilitator resumes.", ephemeral=False)

    @session.command(name="resume", description="Reopen answering")
    async def resume(self, interaction: discord.Interaction) -> None:
        await self._move(interaction, self.engine.resume, "▶️ Answering is open again.")

    @timer.command(name="start", description="Start a timer on the live prompt")
    @app_commands.describe(
        minutes="How long (default: the prompt's suggested time)",
        then="What happens when the time is up",
    )
    @app_commands.choices(then=THEN_CHOICES)
    async def timer_start(
        self, interaction: discord.Interaction,
        minutes: app_commands.Range[int, 1, 240] | None = None,
        then: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        timer = await in_time(interaction, self.engine.set_timer(
            guild_id, interaction.channel_id, minutes,
            then.value if then else "nothing"))  # type: ignore[arg-type]
        await respond(interaction, f"⏱️ Timer set: {timer.minutes} minutes on prompt "
                                   f"{timer.prompt_number}. {render.timer_text(timer)}")

    @timer.command(name="cancel", description="Stop the timer on the live prompt")
    async def timer_cancel(self, interaction: discord.Interaction) -> None:
        guild_id = ensure_facilitator(interaction)
        await in_time(interaction, self.engine.cancel_timer(guild_id, interaction.channel_id))
        await respond(interaction, "⏱️ Timer stopped.")

    @session.command(name="remind",
                     description="Post how many have not answered the live prompt (no pings)")
    @app_commands.describe(names="Named sessions: list who has not answered (as text, no ping)")
    async def remind(self, interaction: discord.Interaction, names: bool = False) -> None:
        guild_id = ensure_facilitator(interaction)
        reminder = await in_time(interaction, self.engine.remind(
            guild_id, interaction.channel_id, names), ephemeral=False)
        await respond(interaction, render.reminder_text(reminder), ephemeral=False)

    @session.command(name="status", description="Answers per prompt, participants, what is live")
    async def status(self, interaction: discord.Interaction) -> None:
        guild_id = ensure_facilitator(interaction)
        status = await in_time(interaction, self.engine.status(guild_id, interaction.channel_id))
        await respond(interaction, embed=render.status_embed(status))

    @session.command(name="close", description="Lock answers and post a summary")
    async def close(self, interaction: discord.Interaction) -> None:
        guild_id = ensure_facilitator(interaction)
        status = await in_time(interaction, self.engine.close(guild_id, interaction.channel_id),
                               ephemeral=False)
        embed = render.status_embed(status, title="Session closed: thank you all")
        await respond(
            interaction, "🔒 Answers are locked. Facilitators can still export them with "
            "`/session export`.", embed=embed, ephemeral=False,
        )

    @session.command(name="comments",
                     description="What other groups said about this group's answers (after a "
                                 "gallery walk)")
    async def comments(self, interaction: discord.Interaction) -> None:
        await gallery.show_comments(interaction)  # for the group's people and facilitators

    # --- synthesis --------------------------------------------------------------------------

    @session.command(name="chain",
                     description="The theory-of-change chain your answers make so far")
    async def chain(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)
        own = await in_time(interaction, self.engine.own_chain(
            guild_id, interaction.channel_id, interaction.user.id,
            interaction.user.display_name))
        # group mode: the group's own answer, for the group to see; otherwise one person's
        public = own.session.group_mode
        if public and interaction.response.is_done():  # deferred as private: post it in the
            await outgoing.send(interaction.channel,  # type: ignore[arg-type]  # channel first
                                embed=synthesis.chain_embed(self.bot.library, own))
            await respond(interaction, "The group's chain is posted in the channel.")
            return
        await respond(interaction, embed=synthesis.chain_embed(self.bot.library, own),
                      ephemeral=not public)

    @session.command(name="digest",
                     description="Per prompt: answers, examples cited most and never, top votes")
    @app_commands.describe(
        prompt="One prompt (number or id; default: every prompt)",
        public="Post it in the channel for everyone (default: only you see it)",
    )
    async def digest(self, interaction: discord.Interaction, prompt: str | None = None,
                     public: bool = False) -> None:
        guild_id = ensure_facilitator(interaction)
        session = await self.engine.latest_session(guild_id, interaction.channel_id)
        if session is None:
            raise NotFound("No session has run in this channel yet, so there is nothing to "
                           "sum up here. `/workshop digest` sums up a whole workshop.")
        await synthesis.post_digest(interaction, self.bot, ExportScope.session(session.id),
                                    prompt, public, session.workshop)

    @digest.autocomplete("prompt")
    async def _digest_prompt_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not is_facilitator(interaction):
            return []
        session = await self.engine.latest_session(interaction.guild_id,
                                                   interaction.channel_id)
        pset = self.bot.library.prompt_sets.get(session.prompt_set) if session else None
        return choices(pset.prompts if pset else [], current,
                       name=lambda p: f"{p.number}. {p.title}", value=lambda p: p.id,
                       search=lambda p: (p.title, p.id, str(p.number)))

    # --- export -----------------------------------------------------------------------------

    @session.command(name="export", description="Export the answers as a file (only you see it)")
    @app_commands.describe(
        format="File format",
        scope="This group only, or every group of the workshop",
        workshop="Export this workshop (every group), from any channel",
    )
    @app_commands.choices(format=FORMAT_CHOICES, scope=SCOPE_CHOICES)
    async def export(
        self, interaction: discord.Interaction, format: app_commands.Choice[str],
        scope: app_commands.Choice[str] | None = None, workshop: str | None = None,
    ) -> None:
        guild_id = ensure_facilitator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        group: str | None = None  # set when exporting one group
        if workshop:
            export_scope = ExportScope.workshop(await self._workshop_name(guild_id, workshop))
        else:
            session = await self.engine.latest_session(guild_id, interaction.channel_id)
            if session is None:
                raise NotFound(
                    "No session has run in this channel yet, so there is nothing to export "
                    "here. To export a whole workshop from anywhere, give its name in "
                    "`workshop`."
                )
            if scope is not None and scope.value == "workshop":
                export_scope = ExportScope.workshop(session.workshop)
            else:
                export_scope = ExportScope.session(session.id)
                group = session.group_name
        with tempfile.TemporaryDirectory(prefix="workshop-export-") as tmp:
            result = await export_to_dir(
                self.engine.db, self.bot.library, guild_id=guild_id, scope=export_scope,
                fmt=ExportFormat.parse(format.value), out_dir=Path(tmp),
                actor_id=interaction.user.id,
            )
            path, filename, note = await fit_for_upload(
                result.path, result.filename, interaction.filesize_limit
            )
            groups = f"{result.sessions} group{'s' if result.sessions != 1 else ''}"
            what = (f"this group ({render.safe(group)})" if group is not None
                    else f"workshop **{render.safe(result.workshop)}** ({groups})")
            await respond(
                interaction,
                f"Here is the {FORMAT_NAMES[format.value]} export of {what}: {result.answers} "
                f"answer{'s' if result.answers != 1 else ''}.{note}",
                file=discord.File(path, filename=filename),
            )

    async def _workshop_name(self, guild_id: int, typed: str) -> str:
        """The stored name of the workshop a facilitator typed (or chose)."""
        try:
            return (await self.engine.workshop(guild_id, typed)).name
        except NotFound:
            raise NotFound(
                f"No workshop called '{render.safe(' '.join(typed.split()), 100)}' in this "
                "server. Start typing in the `workshop` option to choose one."
            ) from None

    @export.autocomplete("workshop")
    async def _export_workshop_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await workshop_choices(interaction, current)


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Facilitation(bot))
