"""Autocomplete answers: at most 25 choices, names within Discord's 100 characters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import discord
from discord import app_commands

from bot.discord_ui.render import clip
from bot.discord_ui.respond import is_facilitator, workshop_bot

T = TypeVar("T")
MAX_CHOICES = 25

ANSWER_CHOICES = [
    app_commands.Choice(name="each person answers", value="individual"),
    app_commands.Choice(name="one agreed answer per group", value="group"),
]
THEN_CHOICES = [
    app_commands.Choice(name="nothing (the group carries on)", value="nothing"),
    app_commands.Choice(name="pause answering", value="pause"),
    app_commands.Choice(name="move to the next prompt", value="next"),
]
PACE_CHOICES = [
    app_commands.Choice(name="facilitator-paced (you move the group on)", value="facilitator"),
    app_commands.Choice(name="self-paced (any prompt, any order)", value="self"),
]


def choices(
    items: Iterable[T], current: str, *, name: Callable[[T], str],
    value: Callable[[T], str], search: Callable[[T], Iterable[str]] | None = None,
) -> list[app_commands.Choice[str]]:
    """The items whose name (or any text ``search`` gives) contains what was typed so far,
    case-insensitively, as choices."""
    needle = current.casefold()
    out: list[app_commands.Choice[str]] = []
    for item in items:
        texts = search(item) if search is not None else (name(item),)
        if needle and not any(needle in text.casefold() for text in texts):
            continue
        out.append(app_commands.Choice(name=clip(name(item), 100), value=value(item)[:100]))
        if len(out) == MAX_CHOICES:
            break
    return out


async def workshop_choices(interaction: discord.Interaction, current: str
                           ) -> list[app_commands.Choice[str]]:
    """The server's workshop names, for facilitators only (names are the server's business)."""
    if interaction.guild_id is None or not is_facilitator(interaction):
        return []
    names = await workshop_bot(interaction).engine.workshop_names(interaction.guild_id)
    return choices(names, current, name=str, value=str)


async def prompt_set_choices(interaction: discord.Interaction, current: str
                             ) -> list[app_commands.Choice[str]]:
    """The library's prompt sets, by title or id."""
    return choices(workshop_bot(interaction).library.prompt_sets.values(), current,
                   name=lambda ps: f"{ps.title} ({ps.id})", value=lambda ps: ps.id,
                   search=lambda ps: (ps.id, ps.title))
