"""Messages as Discord stores them: request bodies (JSON or multipart), creating, editing and
deleting messages (the bot's and people's), attachments, mentions, and the MESSAGE_* events."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.emulator import rules
from bot.emulator._util import EmulatorUsageError, Route, iso, snowflake_time, to_int
from bot.emulator.gateway import Gateway
from bot.emulator.permissions import MANAGE_MESSAGES, MENTION_EVERYONE
from bot.emulator.state import State
from bot.emulator.world import (
    Channel,
    EmulatedAttachment,
    EmulatedMessage,
    InteractionResult,
    Member,
    Role,
)

# (index in files[n], filename, bytes, content type) of each uploaded file part
FilePart = tuple[int, str, bytes, str | None]


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[FilePart]]:
    """JSON body, or multipart ``payload_json`` + ``files[n]``."""
    if not request.body_exists:
        return {}, []
    if request.content_type.startswith("multipart/"):
        payload: dict[str, Any] = {}
        files: list[FilePart] = []
        reader = await request.multipart()
        async for part in reader:
            name = part.name or ""
            if name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif name.startswith("files["):
                data = await part.read()  # type: ignore[union-attr]
                files.append(
                    (
                        to_int(name[6:-1]),
                        part.filename or "file",
                        bytes(data),
                        part.headers.get("Content-Type"),
                    )
                )
        return payload, files
    return await request.json(), []


def file_sizes(files: Sequence[FilePart]) -> list[tuple[str, int]]:
    return [(f[1], len(f[2])) for f in files]


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every component without one an ``id``, sequentially, skipping ids already used
    (what Discord does to messages and modals)."""
    used = {c["id"] for c in rules.walk_components(components) if isinstance(c.get("id"), int)}
    counter = 0
    for comp in rules.walk_components(components):
        if not comp.get("id"):
            counter += 1
            while counter in used:
                counter += 1
            comp["id"] = counter  # type: ignore[index]
    return components


class Messages:
    """Creates, edits and deletes messages and tells the bot and waiting tests about it."""

    def __init__(self, state: State, gateway: Gateway) -> None:
        self._state = state
        self._gateway = gateway
        self.last_changed: EmulatedMessage | None = None  # set while waiters are notified

    def routes(self) -> list[Route]:
        return [
            Route(
                "GET",
                "/attachments/{channel_id}/{attachment_id}/{filename}",
                self._get_attachment,
                bot_only=False,
                absolute=True,
            )
        ]

    # --- attachments ---------------------------------------------------------------------------

    def make_attachments(
        self,
        channel_id: int,
        files: Sequence[FilePart],
        meta: Sequence[Mapping[str, Any]] | None,
        *,
        ephemeral: bool,
    ) -> list[EmulatedAttachment]:
        described = {str(m.get("id")): m for m in meta or ()}
        out = []
        for index, filename, data, content_type in files:
            info = described.get(str(index), {})
            name = (info.get("filename") or filename).replace(" ", "_")
            guessed = mimetypes.guess_type(name)[0]
            out.append(
                self.add_attachment(
                    channel_id,
                    name,
                    data,
                    content_type=guessed or content_type or "application/octet-stream",
                    description=info.get("description"),
                    ephemeral=ephemeral,
                )
            )
        return out

    def add_attachment(
        self,
        channel_id: int,
        filename: str,
        data: bytes,
        *,
        content_type: str | None,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> EmulatedAttachment:
        """A file served back from 127.0.0.1 (``channel_id`` 0 for a person's upload)."""
        state = self._state
        attachment_id = state.next_id()
        attachment = EmulatedAttachment(
            attachment_id,
            filename,
            data,
            url=f"{state.config.url}/attachments/{channel_id}/{attachment_id}/{quote(filename)}",
            content_type=content_type,
            description=description,
            ephemeral=ephemeral,
        )
        state.attachments[attachment_id] = attachment
        return attachment

    async def _get_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment = self._state.attachments.get(to_int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=attachment.data,
            headers={"Content-Type": attachment.content_type or "application/octet-stream"},
        )

    # --- mentions ------------------------------------------------------------------------------

    def _pings(
        self,
        channel: Channel | None,
        content: str,
        allowed: Mapping[str, Any] | None,
        reply_to: EmulatedMessage | None,
    ) -> tuple[list[Member], list[Role], bool]:
        users_by_id = self._state.users
        guild = channel.guild if channel is not None else None
        found = rules.filter_mentions(rules.parse_mentions(content), allowed)
        users: list[Member] = []
        for user_id in found.users:
            member = users_by_id.get(user_id)
            if member is not None and (guild is None or member.guild is guild):
                users.append(member)
        if reply_to is not None and not reply_to.from_bot:
            author = users_by_id.get(int(reply_to.data["author"]["id"]))
            wants = allowed is None or bool(allowed.get("replied_user"))
            if author is not None and wants and author not in users:
                users.append(author)
        roles: list[Role] = []
        everyone = False
        if guild is not None:
            may_ping_all = bool(guild.bot_permissions & MENTION_EVERYONE)
            for role_id in found.roles:
                role = guild.roles.get(role_id)
                if role is not None and (role.mentionable or may_ping_all):
                    roles.append(role)
            everyone = found.everyone and may_ping_all
        return users, roles, everyone

    def _apply_pings(
        self,
        msg: EmulatedMessage,
        channel: Channel | None,
        allowed: Mapping[str, Any] | None,
        reply_to: EmulatedMessage | None = None,
    ) -> None:
        users, roles, everyone = self._pings(channel, msg.content, allowed, reply_to)
        msg.pinged_users, msg.pinged_roles, msg.pinged_everyone = users, roles, everyone
        msg.data["mentions"] = [
            {**m.user_payload(), "member": m.member_payload(with_user=False)} for m in users
        ]
        msg.data["mention_roles"] = [str(r.id) for r in roles]
        msg.data["mention_everyone"] = everyone

    # --- the bot's messages --------------------------------------------------------------------

    def check_edit(
        self, msg: EmulatedMessage, payload: Mapping[str, Any], files: Sequence[FilePart]
    ) -> list[rules.Problem]:
        """Discord's rules on the message as it would be after this edit."""
        if "attachments" in payload:
            keep = {str(a.get("id")) for a in payload.get("attachments") or ()}
            kept = sum(1 for a in msg.attachments if str(a.id) in keep)
        else:
            kept = len(msg.attachments)
        merged = {**msg.data, **payload}
        if "flags" not in payload:
            merged["flags"] = msg.flags & ~rules.FLAG_LOADING
        return rules.check_message(
            merged,
            file_sizes=file_sizes(files),
            creating=False,
            attachment_limit=self._state.config.attachment_size_limit,
            kept_attachments=kept,
        )

    def check_new(
        self, payload: Mapping[str, Any], files: Sequence[FilePart]
    ) -> list[rules.Problem]:
        """Discord's rules on a new message."""
        return rules.check_message(
            payload,
            file_sizes=file_sizes(files),
            attachment_limit=self._state.config.attachment_size_limit,
        )

    def create(
        self,
        channel: Channel,
        payload: Mapping[str, Any],
        files: Sequence[FilePart],
        *,
        interaction: InteractionResult | None = None,
        msg_type: int = 0,
        flags: int | None = None,
    ) -> EmulatedMessage:
        """A message from the bot (a channel send, an interaction response or a followup)."""
        state = self._state
        config = state.config
        message_id = state.next_id()
        if flags is None:
            flags = payload.get("flags") or 0
            if interaction is None:
                flags &= ~rules.FLAG_EPHEMERAL
        ephemeral = bool(flags & rules.FLAG_EPHEMERAL)
        attachments = self.make_attachments(
            channel.id, files, payload.get("attachments"), ephemeral=ephemeral
        )
        reply_to = None
        reference = payload.get("message_reference")
        if reference and reference.get("message_id"):
            reply_to = state.messages.get(to_int(reference["message_id"]))
            msg_type = 19
        data: dict[str, Any] = {
            "id": str(message_id),
            "type": msg_type,
            "content": payload.get("content") or "",
            "channel_id": str(channel.id),
            "author": state.bot_user_payload(),
            "attachments": [a.to_payload() for a in attachments],
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or ()],
            "components": number_components(list(payload.get("components") or ())),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(payload.get("tts")),
            "timestamp": iso(snowflake_time(message_id)),
            "edited_timestamp": None,
            "flags": flags,
        }
        if channel.guild is not None:
            data["guild_id"] = str(channel.guild.id)
        if payload.get("nonce") is not None:
            data["nonce"] = payload["nonce"]
        if reference:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(reference.get("message_id")),
                "channel_id": str(channel.id),
                **({"guild_id": str(channel.guild.id)} if channel.guild else {}),
            }
        if interaction is not None:
            data["application_id"] = str(config.application_id)
            data["webhook_id"] = str(config.application_id)
            meta: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.user_payload(),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.type == 2:
                meta["name"] = interaction.payload["data"]["name"]
                meta["command_type"] = 1
            if interaction.source_message is not None:
                meta["interacted_message_id"] = str(interaction.source_message.id)
            if interaction.original is not None and interaction.original.id != message_id:
                meta["original_response_message_id"] = str(interaction.original.id)
            data["interaction_metadata"] = meta
        if channel.is_thread:
            data["position"] = len(channel.messages)
        msg = EmulatedMessage(
            data,
            channel=channel,
            from_bot=True,
            interaction=interaction,
            attachments=attachments,
        )
        self._apply_pings(msg, channel, payload.get("allowed_mentions"), reply_to)
        state.messages[message_id] = msg
        channel.messages.append(msg)
        if not ephemeral:
            self._dispatch_bot_message("MESSAGE_CREATE", msg)
        self.changed(msg, "created")
        return msg

    def edit(
        self,
        msg: EmulatedMessage,
        payload: Mapping[str, Any],
        files: Sequence[FilePart],
        *,
        fill_deferred: bool = False,
    ) -> EmulatedMessage:
        data = msg.data
        was_loading = msg.loading
        msg.history.append(dict(data))
        new = dict(data)
        if "content" in payload:
            new["content"] = payload["content"] or ""
        if "embeds" in payload:
            new["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or ()]
        if "components" in payload:
            new["components"] = number_components(list(payload["components"] or ()))
        flags = new.get("flags") or 0
        if "flags" in payload and payload["flags"] is not None:
            # Only suppress-embeds and the components-v2 flag change on edit.
            changeable = (1 << 2) | rules.FLAG_COMPONENTS_V2
            flags = (flags & ~changeable) | (payload["flags"] & changeable)
        if fill_deferred or was_loading:
            flags &= ~rules.FLAG_LOADING
        new["flags"] = flags
        if "attachments" in payload or files:
            keep_ids = {str(a.get("id")) for a in payload.get("attachments") or ()}
            kept = [
                a for a in msg.attachments if "attachments" not in payload or str(a.id) in keep_ids
            ]
            added = self.make_attachments(
                msg.channel_id, files, payload.get("attachments"), ephemeral=msg.ephemeral
            )
            msg.attachments = kept + added
            new["attachments"] = [a.to_payload() for a in msg.attachments]
        if not was_loading:
            new["edited_timestamp"] = self._state.clock.iso_now()
        msg.data = new
        if "content" in payload or "allowed_mentions" in payload:
            self._apply_pings(msg, msg.channel, payload.get("allowed_mentions"))
        if not msg.ephemeral:
            self._dispatch_bot_message("MESSAGE_UPDATE", msg)
        self.changed(msg, "edited")
        return msg

    def delete(self, msg: EmulatedMessage, *, by_person: bool = False) -> None:
        """Mark ``msg`` deleted; MESSAGE_DELETE goes to the bot (for the bot's own deletions
        only with ``dispatch_bot_messages``)."""
        msg.deleted = True
        if (
            not msg.ephemeral
            and (by_person or self._state.config.dispatch_bot_messages)
            and msg.channel is not None
        ):
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.channel.guild is not None:
                data["guild_id"] = str(msg.channel.guild.id)
            self._gateway.channel_event(msg.channel, "MESSAGE_DELETE", data)
        self.changed(msg, "deleted")

    def changed(self, msg: EmulatedMessage, kind: str) -> None:
        """Tell listeners and waiting tests that ``msg`` was created/edited/deleted."""
        state = self._state
        if state.listeners:
            state.emit(f"message_{kind}", msg)
        self.last_changed = msg
        if msg.channel is not None:
            msg.channel.waiters.notify()
        if msg.interaction is not None:
            msg.interaction.waiters.notify()
        self.last_changed = None

    def _dispatch_bot_message(self, event: str, msg: EmulatedMessage) -> None:
        if not self._state.config.dispatch_bot_messages or msg.channel is None:
            return
        data = msg.data
        guild = msg.channel.guild
        if guild is not None:
            member = guild.bot_member_payload()
            del member["user"]
            data = {**data, "member": member}
        self._gateway.channel_event(msg.channel, event, data)

    # --- people's messages ---------------------------------------------------------------------

    def delete_as(self, msg: EmulatedMessage, by: Member | None) -> None:
        """A person (``None``: a moderator) deletes ``msg``, as Discord's client lets them."""
        msg = self._state.messages.get(msg.id, msg)
        if msg.deleted:
            raise EmulatorUsageError(f"message {msg.id} is already deleted")
        if msg.ephemeral:
            raise EmulatorUsageError(f"ephemeral message {msg.id} cannot be deleted by a person")
        if by is not None and int(msg.data["author"]["id"]) != by.id:
            guild = msg.channel.guild if msg.channel is not None else None
            if guild is None or not by.has_permissions(MANAGE_MESSAGES):
                raise EmulatorUsageError(
                    f"{by.name} cannot delete someone else's message without Manage Messages"
                )
        self.delete(msg, by_person=True)

    def post_as(self, member: Member, channel: Channel, content: str) -> EmulatedMessage:
        """``member`` posts ``content`` (the bot gets MESSAGE_CREATE, content blanked without
        the message-content intent unless the bot is mentioned, as on Discord)."""
        state = self._state
        message_id = state.next_id()
        data: dict[str, Any] = {
            "id": str(message_id),
            "type": 0,
            "content": content,
            "channel_id": str(channel.id),
            "author": member.user_payload(),
            "attachments": [],
            "embeds": [],
            "components": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": iso(snowflake_time(message_id)),
            "edited_timestamp": None,
            "flags": 0,
        }
        if channel.guild is not None:
            data["guild_id"] = str(channel.guild.id)
        msg = EmulatedMessage(data, channel=channel, from_bot=False)
        users, roles, everyone = self._pings(channel, content, None, None)
        msg.pinged_users, msg.pinged_roles = users, roles
        msg.pinged_everyone = everyone and member.has_permissions(MENTION_EVERYONE)
        data["mentions"] = [u.user_payload() for u in users]
        data["mention_roles"] = [str(r.id) for r in roles]
        data["mention_everyone"] = msg.pinged_everyone
        bot_id = state.config.bot_user_id
        bot_mentioned = f"<@{bot_id}>" in content or f"<@!{bot_id}>" in content
        if bot_mentioned:
            data["mentions"].append(state.bot_user_payload())
        state.messages[message_id] = msg
        channel.messages.append(msg)
        event = dict(data)
        if channel.guild is not None:
            event["member"] = member.member_payload(with_user=False)
            if not bot_mentioned and not self._gateway.wants_content(channel):
                event["content"] = ""
        self._gateway.channel_event(channel, "MESSAGE_CREATE", event)
        self.changed(msg, "created")
        return msg
