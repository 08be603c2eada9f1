"""Prompt cards: the embed plus the persistent **Answer** and **Examples** buttons."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.engine import Engine
from bot.models import Prompt
from bot.storage import SessionRow

from . import render

# Ids in custom ids: a session number and a content id (validated as [a-z0-9-]{1,50}).
ID = r"[a-z0-9][a-z0-9-]{0,49}"
ANSWER_TEMPLATE = re.compile(rf"wb:answer:(?P<sid>[0-9]{{1,19}}):(?P<pid>{ID})")
EXAMPLES_TEMPLATE = re.compile(rf"wb:examples:(?P<sid>[0-9]{{1,19}}):(?P<pid>{ID})")
EXAMPLE_SELECT_TEMPLATE = re.compile(rf"wb:exselect:(?P<sid>[0-9]{{1,19}}):(?P<pid>{ID})")
SUBMIT_TEMPLATE = re.compile(rf"wb:submit:(?P<sid>[0-9]{{1,19}}):(?P<pid>{ID})")
FORGET_TEMPLATE = re.compile(r"wb:forget:(?P<uid>[0-9]{1,19})")


def frozen_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view that is sent but never kept in memory: its items are persistent DynamicItems,
    dispatched by custom id, so nothing accumulates per message and cards survive restarts."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def card_view(session: SessionRow, prompt: Prompt) -> discord.ui.View:
    from .cogs.answering import AnswerButton
    from .cogs.examples import ExamplesButton

    items: list[discord.ui.Item[Any]] = [AnswerButton(session.id, prompt.id)]
    if prompt.examples:
        items.append(ExamplesButton(session.id, prompt.id))
    return frozen_view(*items)


def card(engine: Engine, session: SessionRow, prompt: Prompt | None = None) -> dict[str, Any]:
    """Keyword arguments for sending the card of ``prompt`` (default: the live one)."""
    prompt = prompt or engine.live_prompt(session)
    pset = engine.prompt_set(session.prompt_set)
    return {
        "embed": render.prompt_card(engine.library, pset, prompt, session),
        "view": card_view(session, prompt),
    }
