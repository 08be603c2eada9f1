"""The seminar examples: `/example`, `/examples`, and a card's **Examples** button."""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import render
from bot.discord_ui.cards import EXAMPLE_SELECT_TEMPLATE, EXAMPLES_TEMPLATE, frozen_view
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import guarded, guild_id_of, respond, workshop_bot
from bot.engine import NotFound
from bot.models import Library, Prompt


async def _prompt_of(interaction: discord.Interaction, session_id: int, prompt_id: str) -> Prompt:
    engine = workshop_bot(interaction).engine
    session = await engine.session(guild_id_of(interaction), session_id)
    return engine.prompt(session, prompt_id)


def _linked_list(library: Library, prompt: Prompt) -> discord.Embed:
    lines = [
        f"• **{library.examples[link.example_id].title}**: {link.look_at}"
        for link in prompt.examples if link.example_id in library.examples
    ]
    embed = discord.Embed(
        title=render.clip(f"Examples for prompt {prompt.number}: {prompt.title}", 256),
        description=render.clip("\n".join(lines), render.EMBED_DESCRIPTION),
        colour=render.COLOUR,
    )
    embed.set_footer(text="Choose one below to read its card.")
    return embed


class ExamplesButton(discord.ui.DynamicItem[discord.ui.Button], template=EXAMPLES_TEMPLATE):
    def __init__(self, session_id: int, prompt_id: str) -> None:
        super().__init__(discord.ui.Button(
            label="Examples", style=discord.ButtonStyle.secondary, emoji="📚",
            custom_id=f"wb:examples:{session_id}:{prompt_id}",
        ))
        self.session_id = session_id
        self.prompt_id = prompt_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ExamplesButton:
        return cls(int(match["sid"]), match["pid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await show_linked(self.session_id, self.prompt_id, interaction)


@guarded
async def show_linked(session_id: int, prompt_id: str, interaction: discord.Interaction) -> None:
    library = workshop_bot(interaction).library
    prompt = await _prompt_of(interaction, session_id, prompt_id)
    if not prompt.examples:
        await respond(interaction, "This prompt has no linked examples.")
        return
    await respond(
        interaction, embed=_linked_list(library, prompt),
        view=frozen_view(ExampleSelect(session_id, prompt, library)),
    )


class ExampleSelect(discord.ui.DynamicItem[discord.ui.Select], template=EXAMPLE_SELECT_TEMPLATE):
    def __init__(self, session_id: int, prompt: Prompt | None, library: Library | None) -> None:
        options = [
            discord.SelectOption(
                label=render.clip(library.examples[link.example_id].title, 100),
                value=link.example_id,
                description=render.clip(link.look_at, 100),
            )
            for link in (prompt.examples if prompt else ())
            if library and link.example_id in library.examples
        ][:25] or [discord.SelectOption(label="(none)", value="none")]
        super().__init__(discord.ui.Select(
            custom_id=f"wb:exselect:{session_id}:{prompt.id if prompt else 'none'}",
            placeholder="Read an example…", options=options,
        ))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> ExampleSelect:
        # The options live on the message; only the chosen value matters here.
        return cls(int(match["sid"]), None, None)

    async def callback(self, interaction: discord.Interaction) -> None:
        await show_chosen(interaction)


@guarded
async def show_chosen(interaction: discord.Interaction) -> None:
    library = workshop_bot(interaction).library
    values = (interaction.data or {}).get("values") or []
    example = library.examples.get(values[0]) if values else None
    if example is None:
        raise NotFound("That example is no longer in the loaded content.")
    await respond(interaction, embed=render.example_card(library, example))


class Examples(commands.Cog):
    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ExamplesButton, ExampleSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ExamplesButton, ExampleSelect)

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
        needle = current.lower()
        return [
            app_commands.Choice(name=render.clip(e.title, 100), value=e.id)
            for e in self.bot.library.examples.values()
            if needle in e.title.lower() or needle in e.organisation.lower()
            or any(needle in p for p in e.programmes) or needle in e.id
        ][:25]

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
        needle = current.lower()
        return [
            app_commands.Choice(name=render.clip(f"Q{k.number}. {k.title}", 100), value=k.id)
            for k in sorted(self.bot.library.key_questions.values(), key=lambda k: k.number)
            if needle in k.title.lower() or needle in k.text.lower() or needle == str(k.number)
        ][:25]


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Examples(bot))
