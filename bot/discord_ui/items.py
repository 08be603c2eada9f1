"""Every button and select the bot sends, with what it does when used.

They are :class:`discord.ui.DynamicItem`\\ s dispatched by custom id (bot/discord_ui/ids.py), so
they work on messages posted before a restart and nothing is kept in memory per message.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import discord

from bot.discord_ui import forms, ids, render
from bot.discord_ui.respond import guarded, guild_id_of, in_time, respond, workshop_bot
from bot.engine import NotFound, WorkshopError
from bot.models import Library, Prompt

NEVER = re.compile(r"(?!)")  # the abstract bases below are never dispatched


class IdButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=NEVER):
    """A button whose custom id is made from (and read back into) :attr:`values`."""

    custom: ClassVar[ids.CustomId]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary
    emoji: ClassVar[str | None] = None

    def __init__(self, **values: Any) -> None:
        super().__init__(discord.ui.Button(
            label=self.label, style=self.style, emoji=self.emoji,
            custom_id=self.custom.make(**values),
        ))
        self.values = values

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> IdButton:
        return cls(**(cls.custom.parse(match.string) or {}))


def frozen_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view that is sent but never kept in memory: its items are persistent DynamicItems,
    dispatched by custom id, so nothing accumulates per message and cards survive restarts."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


# --- answering ---------------------------------------------------------------------------------


class AnswerButton(IdButton, template=ids.ANSWER.template):
    custom = ids.ANSWER
    label = "Answer"
    style = discord.ButtonStyle.primary
    emoji = "✍️"

    async def callback(self, interaction: discord.Interaction) -> None:
        await open_form(self.values["sid"], self.values["pid"], interaction)


@guarded
async def open_form(session_id: int, prompt_id: str, interaction: discord.Interaction,
                    draft: forms.Draft | None = None) -> None:
    """Open the answer form at once, from memory only (no database work before the modal),
    pre-filled with the person's saved answer (group mode: the group's current answer), or
    with ``draft`` when given."""
    bot = workshop_bot(interaction)
    engine = bot.engine
    guild_id = guild_id_of(interaction)
    session = engine.peek_session(guild_id, session_id)
    if session is None:
        raise NotFound("This session is closed, so answers can no longer be changed.")
    prompt = engine.prompt(session, prompt_id)
    engine.check_answerable(session, prompt)
    if draft is not None:
        previous = draft.values
        base = draft.base_version if draft.base_version is not None else \
            engine.peek_version(session.id, prompt.id)
    else:
        previous = engine.peek_answer(session.id, prompt.id, interaction.user.id)
        base = engine.peek_version(session.id, prompt.id)
    await interaction.response.send_modal(
        forms.answer_modal(session, prompt, previous, base, bot.library))


class RetryButton(IdButton, template=ids.RETRY.template):
    """On a "not saved" reply: reopen the form with exactly what was typed."""

    custom = ids.RETRY
    label = "Try again"
    style = discord.ButtonStyle.primary
    emoji = "🔁"

    async def callback(self, interaction: discord.Interaction) -> None:
        await retry(self.values["sid"], self.values["pid"], str(self.values["draft"]),
                    interaction)


@guarded
async def retry(session_id: int, prompt_id: str, token: str,
                interaction: discord.Interaction) -> None:
    draft = workshop_bot(interaction).drafts.get(token, interaction.user.id)
    if draft is None:
        raise WorkshopError(
            "The text kept for this button is gone (the bot restarted, or it was long ago). "
            "Copy it from the message above and press **Answer** on the card."
        )
    await open_form(session_id, prompt_id, interaction, draft)


class MergeButton(IdButton, template=ids.MERGE.template):
    """On a group answer not saved because someone saved first: open the form on the group's
    current answer, to merge in what was typed."""

    custom = ids.MERGE
    label = "Edit the current version"
    style = discord.ButtonStyle.primary
    emoji = "🤝"

    async def callback(self, interaction: discord.Interaction) -> None:
        await open_form(self.values["sid"], self.values["pid"], interaction)


class ForgetButton(IdButton, template=ids.FORGET.template):
    custom = ids.FORGET
    label = "Yes, erase my answers"
    style = discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        await erase(self.values["uid"], interaction)


@guarded
async def erase(user_id: int, interaction: discord.Interaction) -> None:
    guild_id = guild_id_of(interaction)
    if interaction.user.id != user_id:
        raise WorkshopError("This button erases someone else's answers, so it is not for you.")
    count = await in_time(interaction, workshop_bot(interaction).engine.forget(guild_id, user_id),
                          update=True)
    text = (f"Erased {count} answer{'s' if count != 1 else ''} of yours in this server, with "
            "any comments and dots you gave. They will not appear in any later export.") \
        if count else ("You had no answers stored in this server; any comments and dots you "
                       "gave are erased.")
    # the outcome replaces the confirmation, and its button goes with it
    if interaction.response.is_done():
        await interaction.edit_original_response(content=text, view=None)
    else:
        await interaction.response.edit_message(content=text, view=None)


# --- examples ----------------------------------------------------------------------------------


class ExamplesButton(IdButton, template=ids.EXAMPLES.template):
    custom = ids.EXAMPLES
    label = "Examples"
    emoji = "📚"

    async def callback(self, interaction: discord.Interaction) -> None:
        await show_linked(self.values["sid"], self.values["pid"], interaction)


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


@guarded
async def show_linked(session_id: int, prompt_id: str, interaction: discord.Interaction) -> None:
    bot = workshop_bot(interaction)
    session = await bot.engine.session(guild_id_of(interaction), session_id)
    prompt = bot.engine.prompt(session, prompt_id)
    if not prompt.examples:
        await respond(interaction, "This prompt has no linked examples.")
        return
    await respond(
        interaction, embed=_linked_list(bot.library, prompt),
        view=frozen_view(ExampleSelect.for_prompt(session_id, prompt, bot.library)),
    )


class ExampleSelect(discord.ui.DynamicItem[discord.ui.Select[Any]],
                    template=ids.EXAMPLE_SELECT.template):
    def __init__(self, session_id: int, prompt_id: str,
                 options: list[discord.SelectOption] | None = None) -> None:
        super().__init__(discord.ui.Select(
            custom_id=ids.EXAMPLE_SELECT.make(sid=session_id, pid=prompt_id),
            placeholder="Read an example…",
            options=options or [discord.SelectOption(label="(none)", value="none")],
        ))

    @classmethod
    def for_prompt(cls, session_id: int, prompt: Prompt, library: Library) -> ExampleSelect:
        options = [
            discord.SelectOption(
                label=render.clip(library.examples[link.example_id].title, 100),
                value=link.example_id,
                description=render.clip(link.look_at, 100),
            )
            for link in prompt.examples if link.example_id in library.examples
        ][:25]
        return cls(session_id, prompt.id, options)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select[Any], match: re.Match[str]
    ) -> ExampleSelect:
        # The options live on the message; only the chosen value matters here.
        values = ids.EXAMPLE_SELECT.parse(match.string) or {}
        return cls(int(values.get("sid", 0)), str(values.get("pid", "none")))

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


#: every item class, for the bot to register (``add_dynamic_items``)
ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AnswerButton, RetryButton, MergeButton, ForgetButton, ExamplesButton, ExampleSelect,
)
