"""The emulated Discord world: guilds, channels, roles, people, messages and interactions.

Objects here are what tests hold and inspect. People (:class:`Member`) act through coroutine
methods that build real interaction payloads and send them to the bot over the gateway.
Every object reaches the rest of the emulator only through :class:`Host`, the narrow interface
the emulator implements (``host.WorldHost``); nothing here imports the server.
"""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.emulator import rules
from bot.emulator._util import EmulatorUsageError, Waiters, iso
from bot.emulator.permissions import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    PermissionsLike,
    permission_value,
)
from bot.emulator.records import Violation

T = TypeVar("T")

TEXT_CHANNEL = 0
DM_CHANNEL = 1
CATEGORY_CHANNEL = 4
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})

INTENT_GUILDS = 1 << 0
INTENT_MEMBERS = 1 << 1


class Host(Protocol):
    """What the world's objects need from the emulator around them (``host.WorldHost``)."""

    @property
    def bot_user_id(self) -> int: ...

    @property
    def bot_name(self) -> str: ...

    @property
    def owner_user_id(self) -> int: ...

    def next_id(self) -> int:
        """A new snowflake."""
        ...

    def now(self) -> float:
        """The emulator clock (seconds; see ``Emulator.now``)."""
        ...

    def bot_user_payload(self) -> dict[str, Any]: ...

    def channel_added(self, channel: Channel) -> None:
        """Register a new channel (DM channels included) and tell the bot about it."""
        ...

    def member_added(self, member: Member) -> None:
        """Register a new person and tell the bot (GUILD_MEMBER_ADD)."""
        ...

    def guild_event(
        self, guild: Guild, event: str, data: Any, *, intent: int = INTENT_GUILDS
    ) -> None:
        """Dispatch a guild event to the bot if its session has ``intent``."""
        ...

    async def wait(
        self, waiters: Waiters, check: Callable[[], T | None], what: str, timeout: float | None
    ) -> T:
        """Wait (event based) until ``check()`` returns a value; EmulatorTimeout names ``what``."""
        ...

    async def run_command(
        self,
        member: Member,
        command: str,
        channel: Channel | None,
        *,
        dm: bool,
        options: Mapping[str, Any],
        force: bool,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult: ...

    async def autocomplete(
        self,
        member: Member,
        command: str,
        option: str,
        value: str,
        channel: Channel | None,
        *,
        dm: bool,
        options: Mapping[str, Any],
        timeout: float | None,
    ) -> InteractionResult: ...

    async def click(
        self,
        member: Member,
        message: EmulatedMessage,
        label: str,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult: ...

    async def select(
        self,
        member: Member,
        message: EmulatedMessage,
        values: list[Any],
        which: str | None,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult: ...

    async def submit_modal(
        self,
        modal: EmulatedModal,
        member: Member,
        values: dict[str, Any],
        *,
        wait: bool,
        timeout: float | None,
        force: bool,
    ) -> InteractionResult: ...

    def post_message(self, member: Member, channel: Channel, content: str) -> EmulatedMessage:
        """``member`` posts ``content`` in ``channel`` (the bot gets MESSAGE_CREATE)."""
        ...

    def delete_message(self, message: EmulatedMessage, by: Member | None) -> None:
        """``by`` (or a moderator when None) deletes ``message`` (the bot gets MESSAGE_DELETE)."""
        ...


class Role:
    """A guild role. ``permissions`` is an int bit set."""

    def __init__(
        self,
        guild: Guild,
        role_id: int,
        name: str,
        *,
        permissions: int,
        mentionable: bool = False,
        color: int = 0,
        position: int = 0,
        managed: bool = False,
        bot_id: int | None = None,
    ) -> None:
        self.guild = guild
        self.id = role_id
        self.name = name
        self.permissions = permissions
        self.mentionable = mentionable
        self.color = color
        self.position = position
        self.managed = managed
        self.bot_id = bot_id

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data

    def __repr__(self) -> str:
        return f"<Role {self.name!r} id={self.id}>"


class Channel:
    """A text channel, category, thread or DM channel."""

    def __init__(
        self,
        host: Host,
        channel_id: int,
        name: str,
        *,
        guild: Guild | None,
        type: int = TEXT_CHANNEL,
        position: int = 0,
        parent_id: int | None = None,
        topic: str | None = None,
        owner_id: int | None = None,
        recipient: Member | None = None,
    ) -> None:
        self._host = host
        self.id = channel_id
        self.name = name
        self.guild = guild
        self.type = type
        self.position = position
        self.parent_id = parent_id
        self.topic = topic
        self.owner_id = owner_id
        self.recipient = recipient
        self.archived = False
        self.locked = False
        self.created_at = iso()
        self.auto_archive_duration = 1440
        self.messages: list[EmulatedMessage] = []  # every message, people's included, in order
        self.waiters = Waiters()

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def parent(self) -> Channel | None:
        if self.parent_id is None or self.guild is None:
            return None
        return self.guild.channels.get(self.parent_id)

    def bot_messages(self, *, include_deleted: bool = False) -> list[EmulatedMessage]:
        """What the bot posted here that everyone sees, in order."""
        return [
            m
            for m in self.messages
            if m.from_bot and not m.ephemeral and (include_deleted or not m.deleted)
        ]

    def to_payload(self, permissions: int | None = None) -> dict[str, Any]:
        last = self.messages[-1].id if self.messages else None
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(last) if last else None,
            "flags": 0,
        }
        if self.type == DM_CHANNEL:
            assert self.recipient is not None
            data["recipients"] = [self.recipient.user_payload()]
        else:
            assert self.guild is not None
            data.update(
                name=self.name,
                guild_id=str(self.guild.id),
                position=self.position,
                parent_id=str(self.parent_id) if self.parent_id else None,
                nsfw=False,
                rate_limit_per_user=0,
            )
            if self.is_thread:
                data.update(
                    owner_id=str(self.owner_id or self._host.bot_user_id),
                    member_count=1,
                    message_count=len(self.messages),
                    total_message_sent=len(self.messages),
                    thread_metadata={
                        "archived": self.archived,
                        "auto_archive_duration": self.auto_archive_duration,
                        "archive_timestamp": self.created_at,
                        "locked": self.locked,
                        "create_timestamp": self.created_at,
                        **({"invitable": True} if self.type == PRIVATE_THREAD else {}),
                    },
                )
            else:
                data.update(topic=self.topic, permission_overwrites=[])
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def __repr__(self) -> str:
        return f"<Channel #{self.name} id={self.id} type={self.type}>"


class Guild:
    """A server. Build it with ``add_channel``/``add_thread``/``add_role``/``add_member``."""

    def __init__(self, host: Host, guild_id: int, name: str, *, locale: str = "en-US") -> None:
        self._host = host
        self.id = guild_id
        self.name = name
        self.locale = locale
        self.owner_id: int | None = None
        self.channels: dict[int, Channel] = {}
        self.roles: dict[int, Role] = {}
        self.members: dict[int, Member] = {}
        self.commands: dict[tuple[int, str], dict[str, Any]] = {}  # (type, name) → synced command
        self.joined_at = iso()
        self.everyone = Role(self, guild_id, "@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS)
        self.roles[guild_id] = self.everyone
        self.bot_role = Role(
            self,
            host.next_id(),
            host.bot_name,
            permissions=DEFAULT_BOT_PERMISSIONS,
            position=1,
            managed=True,
            bot_id=host.bot_user_id,
        )
        self.roles[self.bot_role.id] = self.bot_role

    # --- building ---------------------------------------------------------------------------

    def add_channel(
        self, name: str, *, topic: str | None = None, category: Channel | None = None
    ) -> Channel:
        """A text channel (type 0)."""
        channel = Channel(
            self._host,
            self._host.next_id(),
            name,
            guild=self,
            position=len(self.channels),
            parent_id=category.id if category else None,
            topic=topic,
        )
        self._host.channel_added(channel)
        return channel

    def add_category(self, name: str) -> Channel:
        channel = Channel(
            self._host,
            self._host.next_id(),
            name,
            guild=self,
            type=CATEGORY_CHANNEL,
            position=len(self.channels),
        )
        self._host.channel_added(channel)
        return channel

    def add_thread(
        self, parent: Channel, name: str, *, private: bool = False, owner: Member | None = None
    ) -> Channel:
        """A thread under ``parent`` (public by default), as if someone had opened it."""
        thread = Channel(
            self._host,
            self._host.next_id(),
            name,
            guild=self,
            type=PRIVATE_THREAD if private else PUBLIC_THREAD,
            parent_id=parent.id,
            owner_id=owner.id if owner else self._host.bot_user_id,
        )
        self._host.channel_added(thread)
        return thread

    def add_role(
        self,
        name: str,
        *,
        permissions: PermissionsLike = None,
        mentionable: bool = False,
        color: int = 0,
    ) -> Role:
        role = Role(
            self,
            self._host.next_id(),
            name,
            permissions=permission_value(permissions),
            mentionable=mentionable,
            color=color,
            position=len(self.roles),
        )
        self.roles[role.id] = role
        self._host.guild_event(
            self, "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.to_payload()}
        )
        return role

    def add_member(
        self,
        name: str,
        *,
        roles: Sequence[Role] = (),
        permissions: PermissionsLike = None,
        nick: str | None = None,
        global_name: str | None = None,
        owner: bool = False,
        locale: str = "en-US",
        dms_open: bool = True,
    ) -> Member:
        """A person in this guild. ``permissions`` adds to what their roles grant.
        ``dms_open=False``: their privacy settings refuse DMs from the bot (Discord answers
        403 50007 to a message in their DM channel); ``member.dms_open`` changes it later."""
        member = Member(
            self._host,
            self._host.next_id(),
            name,
            guild=self,
            roles=list(roles),
            permissions=permission_value(permissions),
            nick=nick,
            global_name=global_name,
            locale=locale,
            dms_open=dms_open,
        )
        if owner:
            self.owner_id = member.id
        self.members[member.id] = member
        self._host.member_added(member)
        return member

    def set_bot_permissions(self, permissions: PermissionsLike) -> None:
        """What the bot's managed role grants (default: the usual text-channel permissions).
        The bot also has what @everyone grants (see :meth:`set_permissions`)."""
        self.set_permissions(self.bot_role, permissions)

    def set_permissions(self, role: Role, permissions: PermissionsLike) -> None:
        """Change what ``role`` grants (``guild.everyone`` included); the bot gets
        GUILD_ROLE_UPDATE."""
        role.permissions = permission_value(permissions)
        self._host.guild_event(
            self, "GUILD_ROLE_UPDATE", {"guild_id": str(self.id), "role": role.to_payload()}
        )

    @property
    def bot_permissions(self) -> int:
        value = self.everyone.permissions | self.bot_role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    @property
    def threads(self) -> list[Channel]:
        """Every thread in this guild (the bot's and people's), in creation order."""
        return [c for c in self.channels.values() if c.is_thread]

    def channel(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise EmulatorUsageError(f"guild {self.name!r} has no channel named {name!r}")

    def member(self, name: str) -> Member:
        for member in self.members.values():
            if member.name == name:
                return member
        raise EmulatorUsageError(f"guild {self.name!r} has no member named {name!r}")

    def bot_member_payload(self) -> dict[str, Any]:
        return {
            "user": self._host.bot_user_payload(),
            "roles": [str(self.bot_role.id)],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def to_payload(self, intents: int) -> dict[str, Any]:
        """The GUILD_CREATE payload (members only with the members intent, like Discord)."""
        members = [self.bot_member_payload()]
        if intents & (1 << 1):
            members += [m.member_payload() for m in self.members.values()]
        channels = [c.to_payload() for c in self.channels.values() if not c.is_thread]
        threads = [c.to_payload() for c in self.channels.values() if c.is_thread and not c.archived]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id or self._host.owner_user_id),
            "region": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": self.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.members) + 1,
            "roles": [r.to_payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "members": members,
            "channels": channels,
            "threads": threads,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def __repr__(self) -> str:
        return f"<Guild {self.name!r} id={self.id}>"


class Member:
    """A person (a guild member). Their coroutine methods act in Discord as they would."""

    def __init__(
        self,
        host: Host,
        user_id: int,
        name: str,
        *,
        guild: Guild,
        roles: list[Role],
        permissions: int,
        nick: str | None,
        global_name: str | None,
        locale: str,
        dms_open: bool = True,
    ) -> None:
        self._host = host
        self.id = user_id
        self.dms_open = dms_open
        self.name = name
        self.guild = guild
        self.roles = roles
        self.extra_permissions = permissions
        self.nick = nick
        self.global_name = global_name if global_name is not None else name
        self.locale = locale
        self.joined_at = iso()
        self._dm: Channel | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def display_name(self) -> str:
        return self.nick or self.global_name or self.name

    @property
    def permissions(self) -> int:
        """Guild-level permissions: @everyone + roles + member-level; Administrator means all."""
        value = self.guild.everyone.permissions | self.extra_permissions
        for role in self.roles:
            value |= role.permissions
        if value & ADMINISTRATOR or self.guild.owner_id == self.id:
            return ALL_PERMISSIONS
        return value

    def set_roles(self, roles: Sequence[Role]) -> None:
        """Change this person's roles (the bot gets GUILD_MEMBER_UPDATE with the members intent)."""
        self.roles = list(roles)
        self._host.guild_event(
            self.guild,
            "GUILD_MEMBER_UPDATE",
            {**self.member_payload(), "guild_id": str(self.guild.id)},
            intent=INTENT_MEMBERS,
        )

    def has_permissions(self, perms: PermissionsLike) -> bool:
        wanted = permission_value(perms)
        return self.permissions & wanted == wanted

    @property
    def dm_channel(self) -> Channel:
        """The DM channel between this person and the bot."""
        if self._dm is None:
            self._dm = Channel(
                self._host,
                self._host.next_id(),
                self.name,
                guild=None,
                type=DM_CHANNEL,
                recipient=self,
            )
            self._host.channel_added(self._dm)
        return self._dm

    def user_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", "_"),
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "primary_guild": None,
            "collectibles": None,
            "bot": False,
        }

    def member_payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r.id) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if with_user:
            data["user"] = self.user_payload()
        return data

    # --- acting as this person --------------------------------------------------------------

    async def run_command(
        self,
        command: str,
        channel: Channel | None = None,
        *,
        dm: bool = False,
        options: Mapping[str, Any] | None = None,
        force: bool = False,
        wait: bool = True,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> InteractionResult:
        """Run a slash command (``"session start"`` = command + subcommand) with options.

        Options come from ``options`` and keyword arguments (``workshop_name`` also matches an
        option called ``workshop-name``). Values are converted to the synced option's type; for
        user/role/channel options pass a :class:`Member`/:class:`Role`/:class:`Channel`; for
        attachment options a ``(filename, bytes)`` pair. Waits for the bot's response unless
        ``wait=False``. ``force=True`` sends it even where Discord would hide the command.
        """
        return await self._host.run_command(
            self,
            command,
            channel,
            dm=dm,
            options={**(options or {}), **kwargs},
            force=force,
            wait=wait,
            timeout=timeout,
        )

    async def autocomplete(
        self,
        command: str,
        option: str,
        value: str,
        channel: Channel | None = None,
        *,
        dm: bool = False,
        timeout: float | None = None,
        **other_options: Any,
    ) -> list[dict[str, Any]]:
        """Type ``value`` into ``option``; returns the bot's choices (``[{"name", "value"}]``)."""
        result = await self._host.autocomplete(
            self, command, option, value, channel, dm=dm, options=other_options, timeout=timeout
        )
        return result.choices or []

    async def click(
        self,
        message: EmulatedMessage,
        button: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Click the button whose label (or custom_id) is ``button`` on ``message``."""
        return await self._host.click(self, message, button, wait=wait, timeout=timeout)

    async def select(
        self,
        message: EmulatedMessage,
        values: Sequence[Any],
        *,
        select: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Pick ``values`` in a select menu of ``message``.

        ``select`` names the menu by custom_id or placeholder (needed if there are several).
        String selects take option values (or labels); user/role/channel selects take the objects.
        """
        return await self._host.select(
            self, message, list(values), select, wait=wait, timeout=timeout
        )

    async def send(self, channel: Channel, content: str) -> EmulatedMessage:
        """Post a plain message as this person (the bot gets MESSAGE_CREATE)."""
        return self._host.post_message(self, channel, content)

    async def delete(self, message: EmulatedMessage) -> None:
        """Delete ``message``: their own, or anyone's with Manage Messages (a moderator
        removing the bot's board, say). The bot gets MESSAGE_DELETE; editing the message
        afterwards answers 404 Unknown Message (10008)."""
        self._host.delete_message(message, self)

    def __repr__(self) -> str:
        return f"<Member {self.name!r} id={self.id}>"


class EmulatedAttachment:
    """A file on a message. ``data`` holds the bytes; ``url`` serves them from 127.0.0.1."""

    def __init__(
        self,
        attachment_id: int,
        filename: str,
        data: bytes,
        *,
        url: str,
        content_type: str | None,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> None:
        self.id = attachment_id
        self.filename = filename
        self.data = data
        self.url = url
        self.content_type = content_type
        self.description = description
        self.ephemeral = ephemeral

    @property
    def size(self) -> int:
        return len(self.data)

    async def read(self) -> bytes:
        return self.data

    def text(self, encoding: str = "utf-8") -> str:
        return self.data.decode(encoding)

    def to_payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.description:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r} {self.size} bytes>"


class EmulatedMessage:
    """A message as Discord stores it (``data``) plus what the emulator worked out about it."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        channel: Channel | None,
        from_bot: bool,
        interaction: InteractionResult | None = None,
        attachments: list[EmulatedAttachment] | None = None,
    ) -> None:
        self.data = data
        self.id: int = int(data["id"])
        self.channel = channel
        self.from_bot = from_bot
        self.interaction = interaction
        self.attachments: list[EmulatedAttachment] = attachments or []
        self.deleted = False
        self.history: list[dict[str, Any]] = []  # earlier versions, oldest first
        self.pinged_users: list[Member] = []
        self.pinged_roles: list[Role] = []
        self.pinged_everyone = False

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def flags(self) -> int:
        return self.data.get("flags") or 0

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & rules.FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still showing "thinking…"."""
        return bool(self.flags & rules.FLAG_LOADING)

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def text(self) -> str:
        """Content, embed texts (title, description, fields, footer) and text displays, joined."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [
                (embed.get("author") or {}).get("name") or "",
                embed.get("title") or "",
                embed.get("description") or "",
            ]
            for f in embed.get("fields") or ():
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
        for comp in rules.walk_components(self.components):
            if comp.get("type") == 10:
                parts.append(comp.get("content") or "")
        return "\n".join(p for p in parts if p)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in rules.walk_components(self.components) if c.get("type") == 2]

    @property
    def selects(self) -> list[dict[str, Any]]:
        return [
            c for c in rules.walk_components(self.components) if c.get("type") in rules.SELECT_TYPES
        ]

    def button(self, label: str) -> dict[str, Any]:
        """The button with this label (or custom_id)."""
        for button in self.buttons:
            if button.get("label") == label or button.get("custom_id") == label:
                return button
        labels = [b.get("label") or b.get("custom_id") for b in self.buttons]
        raise EmulatorUsageError(
            f"message {self.id} has no button {label!r}; its buttons are {labels!r}"
        )

    def __repr__(self) -> str:
        flags = " ephemeral" if self.ephemeral else ""
        return f"<Message id={self.id}{flags} content={self.content[:40]!r}>"


@dataclass(frozen=True)
class ModalSelect:
    """A select menu in a modal (inside a Label), as the person filling it in sees it.

    ``options`` are the string select's options (``{"label", "value", "description",
    "default"}``); ``defaults`` what is selected before the person touches it (option values,
    or ids for user/role/channel selects).
    """

    custom_id: str
    label: str | None
    description: str | None
    type: int
    options: list[dict[str, Any]]
    min_values: int
    max_values: int
    required: bool
    placeholder: str | None
    data: dict[str, Any]

    @property
    def values(self) -> list[str]:
        """Every option value offered, in order."""
        return [o.get("value", "") for o in self.options]

    @property
    def defaults(self) -> list[str]:
        if self.type == rules.COMPONENT_STRING_SELECT:
            return [o.get("value", "") for o in self.options if o.get("default")]
        return [str(d.get("id")) for d in self.data.get("default_values") or ()]


class EmulatedModal:
    """A modal the bot opened; ``submit`` fills it in as the person it was shown to."""

    def __init__(self, host: Host, data: dict[str, Any], opened_by: InteractionResult) -> None:
        self._host = host
        self.data = data
        self.opened_by = opened_by

    @property
    def title(self) -> str:
        return self.data.get("title", "")

    @property
    def custom_id(self) -> str:
        return self.data.get("custom_id", "")

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """Interactive components, each with its ``label`` resolved (Label wrappers included).

        Text inputs and selects alike; :attr:`text_inputs` and :attr:`selects` split them."""
        return [
            {**item, "label": label}
            for item, label in rules.modal_inputs(self.data.get("components") or [])
        ]

    @property
    def text_inputs(self) -> list[dict[str, Any]]:
        """The text inputs only, each with its ``label`` resolved (fill every text field with
        ``{i["custom_id"]: "..." for i in modal.text_inputs}``)."""
        return [i for i in self.inputs if i.get("type") == rules.COMPONENT_TEXT_INPUT]

    @property
    def selects(self) -> list[ModalSelect]:
        """The select menus (string, user, role, mentionable, channel), in order."""
        found = []
        for comp in self.data.get("components") or []:
            inner = comp.get("component") if comp.get("type") == rules.COMPONENT_LABEL else None
            if not isinstance(inner, dict) or inner.get("type") not in rules.SELECT_TYPES:
                continue
            stype = inner.get("type", rules.COMPONENT_STRING_SELECT)
            found.append(
                ModalSelect(
                    custom_id=inner.get("custom_id", ""),
                    label=comp.get("label"),
                    description=comp.get("description"),
                    type=stype,
                    options=list(inner.get("options") or ()),
                    min_values=inner.get("min_values", 1),
                    max_values=inner.get("max_values", 1),
                    required=inner.get("required", True),
                    placeholder=inner.get("placeholder"),
                    data=inner,
                )
            )
        return found

    def select(self, name: str) -> ModalSelect:
        """The select whose custom_id or Label text is ``name``."""
        for found in self.selects:
            if name in (found.custom_id, found.label):
                return found
        names = [s.label or s.custom_id for s in self.selects]
        raise EmulatorUsageError(f"modal {self.title!r} has no select {name!r}; it has {names}")

    async def submit(
        self,
        member_or_values: Member | Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
        force: bool = False,
    ) -> InteractionResult:
        """Submit the modal: ``submit(alice, {"answer": "text", "cite": ["ex-1", "ex-2"]})``
        or ``submit({...})``.

        Keys are custom_ids or labels. Text inputs take a string; selects a list of option
        values or labels (a single string picks one; user/role/channel selects take the
        objects). Fields not given keep their pre-filled value or default options. What
        Discord's client would not let a person send raises EmulatorUsageError: an empty
        required field, text outside min/max length, an option the select does not offer, too
        few or too many values. ``force=True`` sends the values anyway, as a modified client
        could, to test that the bot checks them itself.
        """
        if isinstance(member_or_values, Member):
            member = member_or_values
        else:
            member = self.opened_by.user
            if member_or_values is not None:
                values = member_or_values
        return await self._host.submit_modal(
            self, member, dict(values or {}), wait=wait, timeout=timeout, force=force
        )

    def __repr__(self) -> str:
        return f"<Modal {self.title!r} custom_id={self.custom_id!r}>"


INTERACTION_KINDS = {1: "ping", 2: "command", 3: "component", 4: "autocomplete", 5: "modal_submit"}


class InteractionResult:
    """One interaction a person started, and everything the bot did in answer to it.

    ``await result.response()`` waits for the callback; ``message``, ``modal``, ``choices``
    and ``followups`` show what came back. Waits are event based and raise
    :class:`~bot.emulator.EmulatorTimeout` (an ``AssertionError``) saying what was awaited,
    or :class:`~bot.emulator.DiscordRuleViolation` if the bot broke a rule meanwhile.
    """

    def __init__(
        self,
        host: Host,
        interaction_id: int,
        token: str,
        payload: dict[str, Any],
        *,
        user: Member,
        channel: Channel | None,
        description: str,
        source_message: EmulatedMessage | None = None,
    ) -> None:
        self._host = host
        self.id = interaction_id
        self.token = token
        self.payload = payload
        self.type: int = payload["type"]
        self.user = user
        self.channel = channel
        self.description = description
        self.source_message = source_message
        self.created = host.now()  # emulator clock at dispatch
        self.acknowledged = False
        self.acknowledged_at: float | None = None  # loop time the bot's callback arrived
        self.expired = False
        self.response_type: int | None = None
        self.response_data: dict[str, Any] | None = None
        self.original: EmulatedMessage | None = None
        self.followups: list[EmulatedMessage] = []
        self.modal: EmulatedModal | None = None
        self.choices: list[dict[str, Any]] | None = None
        self.violations: list[Violation] = []
        self.error: BaseException | None = None
        self.waiters = Waiters()
        self._seen_followups = 0
        self._deadline: asyncio.TimerHandle | None = None

    @property
    def kind(self) -> str:
        return INTERACTION_KINDS.get(self.type, str(self.type))

    @property
    def message(self) -> EmulatedMessage | None:
        """The response message (the original; for 6/7 the component's message), if any."""
        return self.original

    @property
    def ephemeral(self) -> bool:
        return bool(self.original and self.original.ephemeral)

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    @property
    def messages(self) -> list[EmulatedMessage]:
        """The original response (if a message) followed by the followups."""
        out = [self.original] if self.original and self.response_type in (4, 5) else []
        return out + [f for f in self.followups if f is not self.original]

    def _check(self, ready: Callable[[], Any]) -> Callable[[], Any]:
        def check() -> Any:
            if self.error is not None:
                raise self.error
            return ready()

        return check

    async def response(self, timeout: float | None = None) -> InteractionResult:
        """Wait until the bot acknowledged this interaction (any callback type)."""
        await self._host.wait(
            self.waiters,
            self._check(lambda: self if self.acknowledged else None),
            f"the bot's response to {self.description}",
            timeout,
        )
        return self

    async def reply(self, timeout: float | None = None) -> EmulatedMessage | None:
        """What the person ends up seeing: the response message once any "thinking…" deferral
        has been filled in (for an update, the edited message). None for a modal, an
        autocomplete result or a deferred update."""
        await self.response(timeout)
        if self.response_type in (4, 5, 7):
            return await self.wait_for_original(timeout=timeout)
        return None

    async def wait_for_original(
        self,
        predicate: Callable[[EmulatedMessage], bool] | None = None,
        timeout: float | None = None,
    ) -> EmulatedMessage:
        """Wait for the original response message to be filled in (a deferred response edited or
        followed up) and to satisfy ``predicate`` (checked again on every edit)."""

        def ready() -> EmulatedMessage | None:
            msg = self.original
            if msg is None or msg.loading or (predicate is not None and not predicate(msg)):
                return None
            return msg

        what = f"the original response to {self.description}"
        if predicate is not None:
            what += " to match the predicate"
        return await self._host.wait(self.waiters, self._check(ready), what, timeout)

    async def next_followup(self, timeout: float | None = None) -> EmulatedMessage:
        """The next followup message not yet returned by this method (waits if needed)."""
        index = self._seen_followups

        def ready() -> EmulatedMessage | None:
            return self.followups[index] if len(self.followups) > index else None

        msg = await self._host.wait(
            self.waiters,
            self._check(ready),
            f"followup #{index + 1} to {self.description}",
            timeout,
        )
        self._seen_followups = index + 1
        return msg

    async def wait_for(
        self,
        predicate: Callable[[InteractionResult], bool],
        what: str,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Wait until ``predicate(self)`` holds; it is re-checked after everything the bot does."""
        return await self._host.wait(
            self.waiters,
            self._check(lambda: self if predicate(self) else None),
            f"{what} ({self.description})",
            timeout,
        )

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self.kind} {self.description} id={self.id} "
            f"response_type={self.response_type}>"
        )
