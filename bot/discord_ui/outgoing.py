"""The one place every outgoing message passes: it keeps Discord's limits (2,000 characters of
content; embed parts and 6,000 characters over all embeds; 10 embeds) and never pings anyone.

Text people wrote is escaped where it is put into a message (:func:`render.safe`); this module
makes sure that whatever was composed fits, so Discord never refuses a reply (a refused reply
is a reply the person never gets). Messages the bot edits later are edited here by channel and
message id, since interaction tokens expire after 15 minutes.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord_ui.render import clip

log = logging.getLogger(__name__)

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
NO_PINGS = discord.AllowedMentions.none()


def _embed_size(embed: discord.Embed) -> int:
    size = len(embed.title or "") + len(embed.description or "")
    size += sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    size += len(embed.footer.text or "") + len(embed.author.name or "")
    return size


def fit_embed(embed: discord.Embed, budget: int = EMBED_TOTAL) -> discord.Embed:
    """Clip every part of ``embed`` to its limit and its total to ``budget`` (dropping fields
    from the end, then shortening the description)."""
    if embed.title:
        embed.title = clip(embed.title, TITLE)
    if embed.description:
        embed.description = clip(embed.description, DESCRIPTION)
    fields = [(clip(f.name or "\u200b", FIELD_NAME), clip(f.value or "\u200b", FIELD_VALUE),
               bool(f.inline)) for f in embed.fields][:FIELDS]
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(name=clip(embed.author.name, AUTHOR), url=embed.author.url,
                         icon_url=embed.author.icon_url)
    while _embed_size(embed) > budget and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    excess = _embed_size(embed) - budget
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(1, len(embed.description) - excess))
    return embed


def fit(content: str | None = None, embeds: list[discord.Embed] | None = None
        ) -> tuple[str | None, list[discord.Embed]]:
    """``content`` and ``embeds`` within Discord's limits."""
    if content is not None:
        content = clip(content, CONTENT)
    kept: list[discord.Embed] = []
    left = EMBED_TOTAL
    for embed in (embeds or [])[:EMBEDS]:
        if left <= 0:
            break
        fit_embed(embed, left)
        left -= _embed_size(embed)
        kept.append(embed)
    return content, kept


def message_kwargs(content: str | None = None, *, embed: discord.Embed | None = None,
                   embeds: list[discord.Embed] | None = None, **rest: Any) -> dict[str, Any]:
    """Keyword arguments for ``send``/``edit`` calls, fitted, with pings off."""
    all_embeds = ([embed] if embed is not None else []) + list(embeds or [])
    content, fitted = fit(content, all_embeds)
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS, **rest}
    if content is not None:
        kwargs["content"] = content
    if fitted:
        kwargs["embeds"] = fitted
    return kwargs


async def send(channel: discord.abc.Messageable, content: str | None = None, **kw: Any
               ) -> discord.Message:
    """Post in a channel or thread (not a reply to an interaction)."""
    return await channel.send(**message_kwargs(content, **kw))


async def edit(bot: discord.Client, channel_id: int, message_id: int,
               content: str | None = None, **kw: Any) -> discord.Message:
    """Edit a message the bot posted, by channel and message id (works for hours and across
    restarts, unlike an interaction token). Raises ``discord.NotFound`` when it is gone."""
    channel = bot.get_partial_messageable(channel_id)
    return await channel.get_partial_message(message_id).edit(**message_kwargs(content, **kw))
