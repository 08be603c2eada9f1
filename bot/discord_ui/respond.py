"""Shared plumbing for the cogs: replying once, deferring before Discord's deadline, the single
error path, and the facilitator check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import discord
from discord import app_commands

from bot.discord_ui.outgoing import message_kwargs
from bot.engine import WorkshopError
from bot.storage import StorageUnavailable

if TYPE_CHECKING:
    from bot.discord_ui.client import WorkshopBot

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

# Discord drops an interaction not acknowledged within 3 s. Work that has not finished by
# this point is deferred ("thinking…") and its result sent as a follow-up.
DEFER_AFTER = 1.5

GENERIC_ERROR = "Something went wrong on our side, so that was not done. Please try again."
UNAVAILABLE_ERROR = ("The bot's database cannot save anything right now ({reason}), so that was "
                     "not done. The bot's operator can see why in its log; try again later.")

# Discord's codes for an interaction that can no longer be answered: already acknowledged
# (e.g. a copy delivered again after a restart) or expired. Nobody is waiting for a reply.
UNANSWERABLE = {40060, 10062}


class NotInServer(WorkshopError, app_commands.NoPrivateMessage):
    def __init__(self) -> None:
        WorkshopError.__init__(self, "This bot works in a server's channels, not in DMs.")


class NotFacilitator(WorkshopError):
    pass


def workshop_bot(interaction: discord.Interaction) -> WorkshopBot:
    return interaction.client  # type: ignore[return-value]


def guild_id_of(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise NotInServer()
    return interaction.guild_id


async def respond(
    interaction: discord.Interaction, content: str | None = None, *,
    embed: discord.Embed | None = None, embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None, file: discord.File | None = None,
    ephemeral: bool = True,
) -> int | None:
    """Answer the interaction, or follow up if it was already acknowledged (deferred). Goes
    through :func:`~bot.discord_ui.outgoing.message_kwargs`: within Discord's limits, no
    pings. Returns the id of the message sent (None when Discord did not say)."""
    kwargs = message_kwargs(content, embed=embed, embeds=embeds, ephemeral=ephemeral)
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        sent = await interaction.followup.send(wait=True, **kwargs)
        return sent.id
    callback = await interaction.response.send_message(**kwargs)
    return callback.message_id if callback is not None else None


async def in_time(
    interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = True,
    update: bool = False,
) -> T:
    """Await ``work``; if it takes longer than :data:`DEFER_AFTER`, acknowledge the interaction
    with a deferral first so Discord's 3-second deadline is always met. ``update``: a button's
    deferral that will edit the button's own message (no "thinking…" message)."""
    deferral: asyncio.Future[None] | None = None

    def defer() -> None:
        nonlocal deferral
        if not interaction.response.is_done():
            deferral = asyncio.ensure_future(
                interaction.response.defer() if update
                else interaction.response.defer(ephemeral=ephemeral, thinking=True))

    # a timer rather than a task per call: this runs for every submission of a burst
    timer = asyncio.get_running_loop().call_later(DEFER_AFTER, defer)
    try:
        return await work
    finally:
        timer.cancel()
        if deferral is not None:  # the answer goes out only once the deferral is through
            await deferral


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error path: a short ephemeral message for the user, a traceback in the log."""
    original = getattr(error, "original", None) or getattr(error, "__cause__", None) or error
    if isinstance(error, WorkshopError):
        original = error
    if isinstance(original, discord.HTTPException) and original.code in UNANSWERABLE:
        log.warning("interaction %s can no longer be answered (%s); nothing to tell the user",
                    interaction.id, original.text or original.code)
        return
    if isinstance(original, WorkshopError):
        message = original.message
    elif isinstance(original, StorageUnavailable):
        message = UNAVAILABLE_ERROR.format(reason=original.reason)
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = NotInServer().message
    elif isinstance(error, app_commands.CommandOnCooldown):
        message = f"Slow down a little: try again in {error.retry_after:.0f} s."
    else:
        log.error(
            "unhandled error in interaction %s (%s)", interaction.id,
            interaction.command.qualified_name if interaction.command else
            (interaction.data or {}).get("custom_id", "?"),
            exc_info=original,
        )
        message = GENERIC_ERROR
    try:
        await respond(interaction, message)
    except discord.HTTPException:
        log.warning("could not tell the user about an error in interaction %s", interaction.id)


def guarded(
    func: Callable[P, Coroutine[Any, Any, None]],
) -> Callable[P, Coroutine[Any, Any, None]]:
    """For component and modal handlers: route every exception to :func:`report_error`.
    The interaction must be the last positional argument."""

    @wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(*args, **kwargs)
        except Exception as exc:
            interaction = args[-1]
            assert isinstance(interaction, discord.Interaction)
            await report_error(interaction, exc)

    return wrapper


def is_facilitator(interaction: discord.Interaction) -> bool:
    """:func:`ensure_facilitator` as a yes/no (e.g. for autocomplete, which cannot reply)."""
    try:
        ensure_facilitator(interaction)
    except WorkshopError:
        return False
    return True


def ensure_facilitator(interaction: discord.Interaction) -> int:
    """Facilitator = the server's configured role, or Manage Server when none is set.
    Checked by the bot itself on every facilitator action (a server admin can loosen who may
    see a command in Discord's settings). Returns the guild id."""
    guild_id = guild_id_of(interaction)
    member = interaction.user
    perms = interaction.permissions
    if perms.administrator or perms.manage_guild:
        return guild_id
    role_id = workshop_bot(interaction).engine.facilitator_role(guild_id)
    if role_id is not None and isinstance(member, discord.Member) and any(
        r.id == role_id for r in member.roles
    ):
        return guild_id
    if role_id is None:
        raise NotFacilitator(
            "Only facilitators can do that. No facilitator role is set in this server yet, so "
            "it needs the Manage Server permission (an admin can set a role with "
            "`/workshop-config facilitator-role`)."
        )
    raise NotFacilitator(
        f"Only facilitators can do that: it needs the <@&{role_id}> role or the Manage "
        "Server permission."
    )
