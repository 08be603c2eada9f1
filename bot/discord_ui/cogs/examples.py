"""The seminar examples: `/example` and `/examples` (a card's **Examples** button and its
select are in bot/discord_ui/items.py)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import render
from bot.discord_ui.choices import choices
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import guild_id_of, respond
from bot.engine import NotFound


class Examples(commands.Cog):
    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot

    @app_commands.command(name="example", description="Read one example from the seminars")
    @app_commands.describe(name="Start typing a title, organisation or programme")
    @app_commands.guild_only()
    async def example(self, interaction: discord.Interaction, name: str) -> None:
        guild_id_of(interaction)
        library = self.bot.library
        example = library.examples.get(name) or next(
            (e for e in library.examples.values() if e.title.lower() == name.lower()), None
        )
        if example is None:
            raise NotFound(
                f"No example matches '{render.safe(name, 80)}'. Pick one from the list as you "
                "type, or see them all with `/examples`."
            )
        await respond(interaction, embed=render.example_card(library, example))

    @example.autocomplete("name")
    async def _example_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self.bot.library.examples.values(), current,
                       name=lambda e: e.title, value=lambda e: e.id,
                       search=lambda e: (e.title, e.organisation, e.id, *e.programmes))

    @app_commands.command(
        name="examples", description="List the seminar examples for a key question"
    )
    @app_commands.describe(question="Which key question (leave empty for all examples)")
    @app_commands.guild_only()
    async def examples(
        self, interaction: discord.Interaction, question: str | None = None
    ) -> None:
        guild_id_of(interaction)
        library = self.bot.library
        if question:
            kq = library.key_questions.get(question) or next(
                (k for k in library.key_questions.values() if str(k.number) == question), None
            )
            if kq is None:
                raise NotFound(f"There is no key question '{render.safe(question, 60)}'.")
            embed = render.examples_list(
                library, library.examples_for_question(kq.id), f"Q{kq.number}. {kq.title}"
            )
            embed.description = render.clip(
                f"*{kq.text}*\n\n{embed.description}", render.EMBED_DESCRIPTION
            )
        else:
            embed = render.examples_list(
                library, list(library.examples.values()), "Examples from the seminars"
            )
        await respond(interaction, embed=embed)

    @examples.autocomplete("question")
    async def _question_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        questions = sorted(self.bot.library.key_questions.values(), key=lambda k: k.number)
        return choices(questions, current, name=lambda k: f"Q{k.number}. {k.title}",
                       value=lambda k: k.id, search=lambda k: (k.title, k.text, str(k.number)))


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Examples(bot))
