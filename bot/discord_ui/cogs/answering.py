"""Participants: `/answer` (the form), `/my-answers`, `/forget-me`; form submissions."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import render, submissions
from bot.discord_ui.choices import choices
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.items import ForgetButton, frozen_view, open_form
from bot.discord_ui.respond import guild_id_of, in_time, respond
from bot.engine import Engine, NoLiveSession, NotFound
from bot.storage import SessionRow

log = logging.getLogger(__name__)

PROMPT_NUMBER = re.compile(r"[0-9]{1,2}")


class Answering(commands.Cog):
    RECENT = 4096  # interaction ids remembered to drop a re-delivered submission

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        self._recent: OrderedDict[int, None] = OrderedDict()

    @property
    def engine(self) -> Engine:
        return self.bot.engine

    # --- the form ---------------------------------------------------------------------------

    @app_commands.command(name="answer", description="Answer the live prompt in this channel")
    @app_commands.describe(prompt="Which prompt (self-paced sessions; default: the live one)")
    @app_commands.guild_only()
    async def answer(self, interaction: discord.Interaction, prompt: str | None = None) -> None:
        guild_id = guild_id_of(interaction)
        session = self.engine.peek_live(guild_id, interaction.channel_id)
        if session is None:
            raise NoLiveSession(
                "There is no session running in this channel. Answer in the channel where "
                "your group's session runs."
            )
        chosen = self.engine.live_prompt(session)
        if prompt:
            pset = self.engine.prompt_set(session.prompt_set)
            found = pset.prompt_by_id(prompt) or (
                pset.prompt_by_number(int(prompt)) if PROMPT_NUMBER.fullmatch(prompt) else None
            )
            if found is None:
                raise NotFound(f"This session has no prompt '{render.safe(prompt, 60)}'.")
            chosen = found
        await open_form(session.id, chosen.id, interaction)

    @answer.autocomplete("prompt")
    async def _prompt_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        session = self.engine.peek_live(interaction.guild_id, interaction.channel_id)
        if session is None:
            return []
        return choices(self.engine.answerable_prompts(session), current,
                       name=lambda p: f"{p.number}. {p.title}", value=lambda p: p.id,
                       search=lambda p: (p.title, p.id))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        if interaction.id in self._recent:  # delivered again (e.g. after a gateway resume)
            log.info("ignoring a repeated delivery of interaction %s", interaction.id)
            return
        self._recent[interaction.id] = None
        if len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)
        await submissions.handle(interaction)

    # --- own data ---------------------------------------------------------------------------

    @app_commands.command(name="my-answers", description="See your own answers in this server")
    @app_commands.guild_only()
    async def my_answers(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)

        async def load() -> tuple[list[Any], dict[int, SessionRow]]:
            answers = await self.engine.my_answers(guild_id, interaction.user.id)
            sessions = {s.id: s for s in await self.engine.sessions(guild_id)}
            return answers, sessions

        answers, sessions = await in_time(interaction, load())
        if not answers:
            await respond(interaction, "You have no answers stored in this server.")
            return
        embeds = render.my_answers_embeds(self.bot.library, answers, sessions)
        more = len(answers) - len(embeds)
        note = f"Your {len(answers)} answer{'s' if len(answers) != 1 else ''} in this server"
        note += f" (the first {len(embeds)} shown)." if more else "."
        await respond(interaction, note, embeds=embeds)

    @app_commands.command(name="forget-me", description="Erase all your answers in this server")
    @app_commands.guild_only()
    async def forget_me(self, interaction: discord.Interaction) -> None:
        guild_id_of(interaction)
        await respond(
            interaction,
            "This erases **every answer you gave in this server**, in every session, with "
            "your comments and dots in gallery walks and votes; they will not appear in later "
            "exports, and gallery cards that showed your answers are withdrawn. Files already "
            "exported by facilitators are not changed. Are you sure?",
            view=frozen_view(ForgetButton(uid=interaction.user.id)),
        )


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Answering(bot))
