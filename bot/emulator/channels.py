"""Channels, their messages and threads over REST: what the bot does outside interactions."""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from typing import Any

from aiohttp import web

from bot.emulator import rules
from bot.emulator._util import Route, error_response, json_response, to_int
from bot.emulator.gateway import Gateway
from bot.emulator.messages import Messages, read_body
from bot.emulator.permissions import (
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
)
from bot.emulator.referee import Referee
from bot.emulator.state import State
from bot.emulator.world import PRIVATE_THREAD, PUBLIC_THREAD, Channel, EmulatedMessage

log = logging.getLogger("bot.emulator")


async def no_content(request: web.Request) -> web.StreamResponse:
    return web.Response(status=204)


class ChannelRoutes:
    def __init__(
        self, state: State, gateway: Gateway, messages: Messages, referee: Referee
    ) -> None:
        self._state = state
        self._gateway = gateway
        self._messages = messages
        self._referee = referee

    def routes(self) -> list[Route]:
        channel = "/channels/{channel_id}"
        message = channel + "/messages/{message_id}"
        return [
            Route("GET", channel, self._get_channel),
            Route("PATCH", channel, self._patch_channel),
            Route("GET", channel + "/messages", self._get_messages),
            Route("POST", channel + "/messages", self._post_message),
            Route("GET", message, self._get_message),
            Route("PATCH", message, self._patch_message),
            Route("DELETE", message, self._delete_message),
            Route("POST", channel + "/threads", self._post_thread),
            Route("POST", message + "/threads", self._post_thread_from_message),
            Route("PUT", channel + "/thread-members/{user_id}", no_content),
            Route("DELETE", channel + "/thread-members/{user_id}", no_content),
            Route("PUT", message + "/reactions/{emoji}/@me", no_content),
            Route("POST", channel + "/typing", no_content),
        ]

    def _channel_or_404(self, request: web.Request) -> Channel | web.Response:
        channel = self._state.channels.get(to_int(request.match_info["channel_id"]))
        if channel is None:
            return error_response(404, 10003, "Unknown Channel")
        return channel

    async def _get_channel(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel_or_404(request)
        if isinstance(channel, web.Response):
            return channel
        return json_response(channel.to_payload())

    async def _patch_channel(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel_or_404(request)
        if isinstance(channel, web.Response):
            return channel
        body = await request.json()
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        if "archived" in body:
            channel.archived = bool(body["archived"])
        if "locked" in body:
            channel.locked = bool(body["locked"])
        if "auto_archive_duration" in body:
            channel.auto_archive_duration = body["auto_archive_duration"]
        if channel.guild is not None:
            event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
            self._gateway.guild_event(channel.guild, event, channel.to_payload())
        return json_response(channel.to_payload())

    def _may_send(self, channel: Channel, files: bool, route: str) -> web.Response | None:
        guild = channel.guild
        if guild is None:
            return None
        perms = guild.bot_permissions
        needed = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
        if files:
            needed |= ATTACH_FILES
        if perms & needed != needed:
            return self._referee.reject_one(
                "missing_permissions",
                f"the bot lacks permissions {needed & ~perms} in #{channel.name}",
                route,
                status=403,
                code=50013,
                message="Missing Permissions",
                channel=channel,
            )
        if channel.is_thread and channel.locked:
            return self._referee.reject_one(
                "thread_locked",
                f"thread #{channel.name} is locked",
                route,
                status=403,
                code=50083,
                message="Thread is archived",
                channel=channel,
            )
        return None

    async def _post_message(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel_or_404(request)
        if isinstance(channel, web.Response):
            return channel
        route = f"POST /channels/{channel.id}/messages"
        payload, files = await read_body(request)
        recipient = channel.recipient
        if recipient is not None and not recipient.dms_open:
            log.debug("%s has DMs closed: 50007", recipient.name)
            return error_response(403, 50007, "Cannot send messages to this user")
        denied = self._may_send(channel, bool(files), route)
        if denied is not None:
            return denied
        problems = self._messages.check_new(payload, files)
        if problems:
            return self._referee.reject(problems, route, channel=channel)
        if channel.is_thread and channel.archived:
            channel.archived = False
        msg = self._messages.create(channel, payload, files)
        return json_response(msg.data)

    def _channel_message(
        self, request: web.Request
    ) -> tuple[Channel, EmulatedMessage] | web.Response:
        channel = self._channel_or_404(request)
        if isinstance(channel, web.Response):
            return channel
        msg = self._state.messages.get(to_int(request.match_info["message_id"]))
        if msg is None or msg.deleted or msg.ephemeral or msg.channel is not channel:
            return error_response(404, 10008, "Unknown Message")
        return channel, msg

    async def _get_message(self, request: web.Request) -> web.StreamResponse:
        found = self._channel_message(request)
        if isinstance(found, web.Response):
            return found
        return json_response(found[1].data)

    async def _get_messages(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel_or_404(request)
        if isinstance(channel, web.Response):
            return channel
        query = request.query
        limit = max(1, min(100, int(query.get("limit", 50))))
        messages = channel.messages  # in id order, so bisect instead of scanning

        def key(m: EmulatedMessage) -> int:
            return m.id

        def visible(m: EmulatedMessage) -> bool:
            return not m.deleted and not m.ephemeral

        picked: list[EmulatedMessage] = []
        if "after" in query:
            index = bisect_right(messages, to_int(query["after"]), key=key)
            while index < len(messages) and len(picked) < limit:
                if visible(messages[index]):
                    picked.append(messages[index])
                index += 1
            picked.reverse()
        else:
            index = len(messages)
            if "before" in query:
                index = bisect_left(messages, to_int(query["before"]), key=key)
            while index > 0 and len(picked) < limit:
                index -= 1
                if visible(messages[index]):
                    picked.append(messages[index])
        return json_response([m.data for m in picked])  # newest first, as Discord answers

    async def _patch_message(self, request: web.Request) -> web.StreamResponse:
        found = self._channel_message(request)
        if isinstance(found, web.Response):
            return found
        channel, msg = found
        route = f"PATCH /channels/{channel.id}/messages/{msg.id}"
        if not msg.from_bot:
            return self._referee.reject_one(
                "edit_foreign_message",
                "the bot tried to edit someone else's message",
                route,
                status=403,
                code=50005,
                message="Cannot edit a message authored by another user",
                channel=channel,
            )
        payload, files = await read_body(request)
        problems = self._messages.check_edit(msg, payload, files)
        if problems:
            return self._referee.reject(problems, route, channel=channel)
        return json_response(self._messages.edit(msg, payload, files).data)

    async def _delete_message(self, request: web.Request) -> web.StreamResponse:
        found = self._channel_message(request)
        if isinstance(found, web.Response):
            return found
        self._messages.delete(found[1])
        return web.Response(status=204)

    # --- threads -------------------------------------------------------------------------------

    def _thread_from(
        self, parent: Channel, name: Any, thread_type: int, route: str, thread_id: int | None = None
    ) -> Channel | web.Response:
        state = self._state
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            problem = rules.Problem(
                "thread_name_length",
                ("name",),
                "Must be between 1 and 100 in length.",
                "BASE_TYPE_BAD_LENGTH",
            )
            return self._referee.reject([problem], route, channel=parent)
        guild = parent.guild
        if guild is None or parent.is_thread or parent.type != 0:
            return error_response(400, 50024, "Cannot execute action on this channel type")
        needed = CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD else CREATE_PUBLIC_THREADS
        if guild.bot_permissions & needed != needed:
            return self._referee.reject_one(
                "missing_permissions",
                f"the bot cannot create threads in #{parent.name}",
                route,
                status=403,
                code=50013,
                message="Missing Permissions",
                channel=parent,
            )
        thread = Channel(
            state.host,
            thread_id or state.next_id(),
            name,
            guild=guild,
            type=thread_type,
            parent_id=parent.id,
            owner_id=state.config.bot_user_id,
        )
        state.register_channel(thread)
        self._gateway.guild_event(
            guild, "THREAD_CREATE", {**thread.to_payload(), "newly_created": True}
        )
        return thread

    async def _post_thread(self, request: web.Request) -> web.StreamResponse:
        parent = self._channel_or_404(request)
        if isinstance(parent, web.Response):
            return parent
        body = await request.json()
        thread = self._thread_from(
            parent,
            body.get("name"),
            body.get("type") or PRIVATE_THREAD,
            f"POST /channels/{parent.id}/threads",
        )
        if isinstance(thread, web.Response):
            return thread
        if body.get("auto_archive_duration"):
            thread.auto_archive_duration = body["auto_archive_duration"]
        return json_response(thread.to_payload())

    async def _post_thread_from_message(self, request: web.Request) -> web.StreamResponse:
        found = self._channel_message(request)
        if isinstance(found, web.Response):
            return found
        parent, msg = found
        if msg.id in self._state.channels:
            return error_response(400, 160004, "A thread has already been created for this message")
        body = await request.json()
        thread = self._thread_from(
            parent,
            body.get("name"),
            PUBLIC_THREAD,
            f"POST /channels/{parent.id}/messages/{msg.id}/threads",
            thread_id=msg.id,
        )
        if isinstance(thread, web.Response):
            return thread
        msg.data["thread"] = thread.to_payload()
        return json_response(thread.to_payload())
