"""Discord permission bits the emulator checks, and what people/bots get by default."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.emulator._util import EmulatorUsageError

PermissionsLike = int | discord.Permissions | str | Iterable[str] | None

ALL_PERMISSIONS = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
SEND_MESSAGES_IN_THREADS = discord.Permissions(send_messages_in_threads=True).value
ATTACH_FILES = discord.Permissions(attach_files=True).value
MENTION_EVERYONE = discord.Permissions(mention_everyone=True).value
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
CREATE_PUBLIC_THREADS = discord.Permissions(create_public_threads=True).value
CREATE_PRIVATE_THREADS = discord.Permissions(create_private_threads=True).value

DEFAULT_EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
    use_external_emojis=True,
    connect=True,
    speak=True,
    change_nickname=True,
    create_instant_invite=True,
).value
DEFAULT_BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    manage_threads=True,
    manage_messages=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    mention_everyone=True,
    use_application_commands=True,
    use_external_emojis=True,
).value
# What a bot may do in a DM channel (the interaction's app_permissions there).
DM_BOT_PERMISSIONS = discord.Permissions(
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
).value


def permission_value(perms: PermissionsLike) -> int:
    """``discord.Permissions``, an int, a permission name or names (``"manage_guild"``) → int."""
    if perms is None:
        return 0
    if isinstance(perms, discord.Permissions):
        return perms.value
    if isinstance(perms, int):
        return perms
    names = [perms] if isinstance(perms, str) else list(perms)
    try:
        return discord.Permissions(**dict.fromkeys(names, True)).value
    except TypeError as exc:
        raise EmulatorUsageError(f"unknown permission name in {names!r}: {exc}") from None
