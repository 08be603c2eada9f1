"""Prompt cards: the embed plus the persistent **Answer** and **Examples** buttons, and where a
posted card is remembered (so it can be edited later by channel and message id)."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord_ui import outgoing, render
from bot.discord_ui.items import AnswerButton, ExamplesButton, frozen_view
from bot.engine import Engine
from bot.models import Prompt
from bot.storage import SessionRow, StorageError

log = logging.getLogger(__name__)

CARD = "card"  # the kind of a card in the bot's message register


def card_view(session: SessionRow, prompt: Prompt) -> discord.ui.View:
    items: list[discord.ui.Item[Any]] = [AnswerButton(sid=session.id, pid=prompt.id)]
    if prompt.examples:
        items.append(ExamplesButton(sid=session.id, pid=prompt.id))
    return frozen_view(*items)


def card(engine: Engine, session: SessionRow, prompt: Prompt | None = None) -> dict[str, Any]:
    """Keyword arguments for sending the card of ``prompt`` (default: the live one)."""
    prompt = prompt or engine.live_prompt(session)
    pset = engine.prompt_set(session.prompt_set)
    embed = render.prompt_card(engine.library, pset, prompt, session)
    timer = engine.timer_of(session.id)
    if timer is not None and timer.prompt_number == prompt.number:
        embed.insert_field_at(0, name="⏱️ Timer", value=render.timer_text(timer), inline=False)
    if session.group_mode:
        embed.insert_field_at(
            max(0, len(embed.fields) - 1), name="One answer for the group",
            value="Agree your answer together: anyone in the group can press **Answer** to "
                  "write or edit it, and the form opens on the latest version.",
            inline=False,
        )
    return {"embed": embed, "view": card_view(session, prompt)}


async def remember_card(engine: Engine, session: SessionRow, message_id: int | None) -> None:
    """Record the session's live card (one per session: the newest). The card is posted
    already: if the database cannot take the note, the card just will not be edited later."""
    if message_id is None:
        return
    try:
        await engine.db.remember_message(
            guild_id=session.guild_id, kind=CARD, channel_id=session.channel_id,
            message_id=message_id, session_id=session.id, workshop_id=session.workshop_id,
            replace=True,
        )
    except StorageError as exc:
        log.warning("could not note the card of session %s: %s", session.id, exc)


async def post_card(bot: discord.Client, engine: Engine, session: SessionRow, note: str) -> None:
    """Post the live card in the session's own channel or thread (not as a reply), and
    remember it."""
    channel = bot.get_partial_messageable(session.channel_id)
    message = await outgoing.send(channel, note, **card(engine, session))
    await remember_card(engine, session, message.id)


async def refresh_card(bot: discord.Client, engine: Engine, session: SessionRow) -> None:
    """Edit the session's live card in place (by channel and message id) to show its state
    now, e.g. a timer started or stopped. A card deleted meanwhile is forgotten."""
    notes = await engine.db.messages(session.guild_id, CARD, session_id=session.id)
    if not notes:
        return
    note = notes[-1]
    try:
        await outgoing.edit(bot, note.channel_id, note.message_id, **card(engine, session))
    except discord.NotFound:
        await engine.db.forget_message(note.message_id)
    except discord.HTTPException as exc:
        log.warning("could not update the card of session %s: %s", session.id, exc)
