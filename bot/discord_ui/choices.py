"""Autocomplete answers: at most 25 choices, names within Discord's 100 characters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from discord import app_commands

from bot.discord_ui.render import clip

T = TypeVar("T")
MAX_CHOICES = 25


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
