"""The emulator: an aiohttp server speaking Discord's REST v10 subset and gateway on 127.0.0.1.

The real discord.py client connects to it (see :func:`bot.emulator.patch.point_discord_at`).
Tests drive it through :class:`Emulator` and the people (:class:`~bot.emulator.world.Member`)
they add; every answer from the bot is checked against Discord's rules (:mod:`.rules`).

This module only wires the pieces together: :mod:`.state` (what exists), :mod:`.gateway`,
:mod:`.users`, :mod:`.commands`, :mod:`.channels`, :mod:`.messages`, :mod:`.interactions`
(people acting), :mod:`.webhooks` (the bot answering), :mod:`.ratelimits` and :mod:`.referee`
(rule violations). World objects reach them through :class:`~bot.emulator.host.WorldHost`.
"""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from bot.emulator import rules
from bot.emulator._util import (
    BotConnectionLost,
    EmulatorUsageError,
    Handler,
    SnowflakeGenerator,
    error_response,
)
from bot.emulator.channels import ChannelRoutes
from bot.emulator.commands import CommandResolver, CommandRoutes
from bot.emulator.gateway import Gateway, Session
from bot.emulator.host import WorldHost
from bot.emulator.interactions import People
from bot.emulator.messages import Messages
from bot.emulator.ratelimits import (
    DISCORD_GLOBAL_LIMIT,
    RateLimiter,
    RateLimitsLike,
    max_in_window,
)
from bot.emulator.records import RateLimitRecord, RequestRecord, ResumeRecord, Violation
from bot.emulator.referee import Referee
from bot.emulator.state import Clock, Config, State
from bot.emulator.users import Users
from bot.emulator.webhooks import Responses
from bot.emulator.world import (
    Channel,
    EmulatedMessage,
    Guild,
    InteractionResult,
    Member,
)

log = logging.getLogger("bot.emulator")

API = "/api/v10"


class Emulator:
    """A local Discord for the real discord.py client, plus a scripting API acting as people.

    ``ack_deadline`` is Discord's 3 s acknowledgement window; ``default_timeout`` bounds every
    wait of the scripting API. ``dispatch_bot_messages`` sends MESSAGE_CREATE/UPDATE/DELETE for
    the bot's own messages as Discord does (turn off for benchmarks that do not need them).

    ``rate_limits="discord"`` turns on Discord's per-route buckets (5 message sends and 5 edits
    per 5 s per channel, with ``X-RateLimit-*`` headers) and the global limit
    (``global_rate_limit`` requests per second, interaction endpoints excepted); a mapping
    ``{"PATCH /channels/{channel_id}/messages/{message_id}": (5, 1.0)}`` changes or adds buckets.
    ``clock`` replaces the event loop's clock as the emulator's time source (token expiry,
    rate-limit windows); :meth:`advance` moves the emulator's time forward without sleeping.
    ``request_log_size`` bounds :attr:`request_log` (0: keep no log).
    """

    def __init__(
        self,
        *,
        ack_deadline: float | None = 3.0,
        attachment_size_limit: int = rules.DEFAULT_ATTACHMENT_LIMIT,
        default_timeout: float = 5.0,
        token: str | None = None,
        bot_name: str = "Workshop Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        dispatch_bot_messages: bool = True,
        rate_limits: RateLimitsLike = None,
        global_rate_limit: int | None = DISCORD_GLOBAL_LIMIT,
        clock: Callable[[], float] | None = None,
        request_log_size: int = 10_000,
    ) -> None:
        clock_ = Clock(clock)
        ids = SnowflakeGenerator(clock_.wall_time)
        application_id = ids.next()
        owner_user_id = ids.next()
        config = Config(
            token=token
            or (
                base64.urlsafe_b64encode(str(application_id).encode()).decode().rstrip("=")
                + ".emulator."
                + secrets.token_urlsafe(27)
            ),
            bot_name=bot_name,
            application_id=application_id,
            owner_user_id=owner_user_id,
            ack_deadline=ack_deadline,
            attachment_size_limit=attachment_size_limit,
            default_timeout=default_timeout,
            dispatch_bot_messages=dispatch_bot_messages,
            host=host,
            port=port,
        )
        self._config = config
        self._state = state = State(config, clock_, ids)
        self._gateway = gateway = Gateway(state)
        self._referee = referee = Referee(state)
        self._message_store = messages = Messages(state, gateway)
        self._users_api = Users(state)
        self._commands = CommandRoutes(state, referee)
        resolver = CommandResolver(state, messages)
        self._people = people = People(state, gateway, referee, resolver)
        self._channels_api = ChannelRoutes(state, gateway, messages, referee)
        self._responses = Responses(state, messages, referee, people)
        self._limiter = RateLimiter(
            state,
            rate_limits=rate_limits,
            global_limit=global_rate_limit,
            log_size=request_log_size,
        )
        state.host = WorldHost(state, gateway, messages, people)
        self._bot_task: asyncio.Task[Any] | None = None
        self._runner: web.AppRunner | None = None
        self.unhandled_requests: list[str] = []

    # ==== settings and records ===============================================================

    @property
    def token(self) -> str:
        return self._config.token

    @property
    def bot_name(self) -> str:
        return self._config.bot_name

    @property
    def application_id(self) -> int:
        return self._config.application_id

    @property
    def bot_user_id(self) -> int:
        return self._config.bot_user_id

    @property
    def owner_user_id(self) -> int:
        return self._config.owner_user_id

    @property
    def host(self) -> str:
        return self._config.host

    @property
    def port(self) -> int:
        return self._config.port

    @property
    def ack_deadline(self) -> float | None:
        return self._config.ack_deadline

    @ack_deadline.setter
    def ack_deadline(self, value: float | None) -> None:
        self._config.ack_deadline = value

    @property
    def attachment_size_limit(self) -> int:
        return self._config.attachment_size_limit

    @attachment_size_limit.setter
    def attachment_size_limit(self, value: int) -> None:
        self._config.attachment_size_limit = value

    @property
    def default_timeout(self) -> float:
        return self._config.default_timeout

    @default_timeout.setter
    def default_timeout(self, value: float) -> None:
        self._config.default_timeout = value

    @property
    def dispatch_bot_messages(self) -> bool:
        return self._config.dispatch_bot_messages

    @dispatch_bot_messages.setter
    def dispatch_bot_messages(self, value: bool) -> None:
        self._config.dispatch_bot_messages = value

    @property
    def guilds(self) -> dict[int, Guild]:
        return self._state.guilds

    @property
    def global_commands(self) -> dict[tuple[int, str], dict[str, Any]]:
        return self._state.global_commands

    @property
    def interactions(self) -> dict[int, InteractionResult]:
        """Every interaction people started, by id."""
        return self._state.interactions

    @property
    def violations(self) -> list[Violation]:
        """Every Discord rule the bot broke, in order."""
        return self._state.violations

    @property
    def resumes(self) -> list[ResumeRecord]:
        return self._gateway.resumes

    @property
    def identify_count(self) -> int:
        return self._gateway.identify_count

    @property
    def rate_limited(self) -> list[RateLimitRecord]:
        """Every 429 served, in order."""
        return self._limiter.rate_limited

    @property
    def request_counts(self) -> Counter[str]:
        """REST requests per route template (``"POST /channels/{channel_id}/messages"``)."""
        return self._limiter.request_counts

    @property
    def request_log(self) -> list[RequestRecord]:
        """The latest REST requests (``request_log_size`` of them), oldest first."""
        return list(self._limiter.log)

    def requests(
        self, route: str | None = None, *, status: int | None = None, code: int | None = None
    ) -> list[RequestRecord]:
        """Logged REST requests, oldest first, that match ``route`` (a template such as
        ``"PATCH /channels/{channel_id}/messages/{message_id}"`` or a concrete path such as
        ``f"PATCH /channels/{chan.id}/messages/{msg.id}"``), ``status`` and error ``code``."""
        return [
            r
            for r in self._limiter.log
            if (route is None or route in (r.route, r.path))
            and (status is None or r.status == status)
            and (code is None or r.code == code)
        ]

    def max_requests_in_window(
        self, route: str, window: float, *, status: int | None = None
    ) -> int:
        """The most requests matching ``route`` (see :meth:`requests`) within any ``window``
        seconds of the emulator clock (a sliding window): ``emu.max_requests_in_window(f"PATCH
        /channels/{c.id}/messages/{m.id}", 5.0) <= 5`` says the bot itself never made more than
        5 edits in 5 s. Discord's buckets are fixed windows: a client that only keeps to them
        may reach up to twice the limit across a window boundary."""
        return max_in_window((r.at for r in self.requests(route, status=status)), window)

    # ==== time ===============================================================================

    def now(self) -> float:
        """The emulator's clock in seconds (the event loop's, or the ``clock`` given, plus
        whatever :meth:`advance` added). ``InteractionResult.created``/``acknowledged_at``,
        ``RequestRecord.at`` and ``RateLimitRecord`` times use it."""
        return self._state.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward without sleeping: interaction tokens older than
        15 minutes then answer 401 Invalid Webhook Token (50027), rate-limit windows reset,
        unacknowledged interactions miss their deadline, and new timestamps and snowflakes
        are later. The bot's own clock is not touched."""
        if seconds < 0:
            raise EmulatorUsageError("the emulator's clock only moves forward")
        self._state.clock.advance(seconds)
        self._people.deadlines_after_advance()

    # Internals bench/burst.py and one gateway test reach into (kept under their old names).

    @property
    def _sessions(self) -> dict[int, Session]:
        return self._gateway.sessions

    @property
    def _users(self) -> dict[int, Member]:
        return self._state.users

    @property
    def _channels(self) -> dict[int, Channel]:
        return self._state.channels

    @property
    def _messages(self) -> dict[int, EmulatedMessage]:
        return self._state.messages

    @property
    def _by_token(self) -> dict[str, InteractionResult]:
        return self._state.by_token

    async def _autocomplete(
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
    ) -> InteractionResult:
        return await self._people.autocomplete(
            member, command, option, value, channel, dm=dm, options=options, timeout=timeout
        )

    # ==== lifecycle ==========================================================================

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        return self._config.url

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return f"{self.url}{API}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return self._config.gateway_url

    async def start(self) -> Emulator:
        """Bind the server (port 0 picks a free port)."""
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=1024**3)
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._config.host, self._config.port)
        await site.start()
        self._runner = runner
        self._config.port = runner.addresses[0][1]
        log.debug("Discord emulator listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Close gateway sockets, cancel timers, fail pending waits, stop the server."""
        self._people.cancel_deadlines()
        await self._gateway.close()
        self._state.waits.stopped()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def watch_bot_task(self, task: asyncio.Task[Any]) -> None:
        """Fail every pending wait at once if the bot's ``connect()`` task ends unexpectedly."""
        self._bot_task = task
        task.add_done_callback(self._bot_task_done)

    def unwatch_bot_task(self) -> None:
        if self._bot_task is not None:
            self._bot_task.remove_done_callback(self._bot_task_done)
            self._bot_task = None

    def _bot_task_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            reason = "was cancelled"
        elif task.exception() is not None:
            reason = f"raised {task.exception()!r}"
        else:
            reason = "returned"
        waits = self._state.waits
        waits.fatal = BotConnectionLost(f"the bot's connect() task {reason}")
        waits.fail_all(waits.fatal)

    # ==== wiring =============================================================================

    def _add_routes(self, app: web.Application) -> None:
        expected = f"Bot {self._config.token}"

        def authorized(handler: Handler) -> Handler:
            async def wrapper(request: web.Request) -> web.StreamResponse:
                if request.headers.get("Authorization") != expected:
                    return error_response(401, 0, "401: Unauthorized")
                return await handler(request)

            return wrapper

        parts = (
            self._users_api,
            self._gateway,
            self._commands,
            self._channels_api,
            self._responses,
            self._message_store,
        )
        limited = self._limiter.wrap
        for part in parts:
            for route in part.routes():
                handler = authorized(route.handler) if route.bot_only else route.handler
                if route.absolute:
                    app.router.add_route(route.method, route.path, handler)
                else:
                    app.router.add_route(route.method, API + route.path, limited(handler))
        app.router.add_route("*", "/{tail:.*}", limited(self._unhandled))

    async def _unhandled(self, request: web.Request) -> web.StreamResponse:
        route = f"{request.method} {request.path}"
        self.unhandled_requests.append(route)
        log.warning("the emulator does not implement %s", route)
        return error_response(404, 0, "404: Not Found")

    # ==== building the world =================================================================

    def add_guild(self, name: str, *, locale: str = "en-US") -> Guild:
        state = self._state
        guild = Guild(state.host, state.next_id(), name, locale=locale)
        state.guilds[guild.id] = guild
        self._gateway.guild_created(guild)
        return guild

    def add_listener(self, callback: Callable[[str, Any], None]) -> None:
        """Call ``callback(event, obj)`` as things happen, e.g. to print a transcript.

        Events: ``"interaction"`` (an :class:`InteractionResult` a person started),
        ``"message_created"`` / ``"message_edited"`` / ``"message_deleted"`` (an
        :class:`EmulatedMessage`, the bot's or a person's) and ``"violation"`` (a
        :class:`Violation`). Callbacks run synchronously inside the emulator: keep them quick;
        an exception is logged, not raised.
        """
        self._state.listeners.append(callback)

    def remove_listener(self, callback: Callable[[str, Any], None]) -> None:
        self._state.listeners.remove(callback)

    def get_channel(self, channel_id: int) -> Channel | None:
        return self._state.channels.get(channel_id)

    def get_message(self, message_id: int) -> EmulatedMessage | None:
        return self._state.messages.get(message_id)

    def get_user(self, user_id: int) -> Member | None:
        return self._state.users.get(user_id)

    def threads_in(self, channel: Channel) -> list[Channel]:
        """The threads under ``channel`` (the bot's and people's), in creation order; the
        bot's have ``owner_id == emu.bot_user_id``."""
        guild = channel.guild
        if guild is None:
            return []
        return [t for t in guild.threads if t.parent_id == channel.id]

    def delete_message(self, message: EmulatedMessage, *, by: Member | None = None) -> None:
        """Delete ``message`` as a moderator (or as ``by``, who needs Manage Messages for
        someone else's message): the bot gets MESSAGE_DELETE, and editing or deleting it
        afterwards answers 404 Unknown Message (10008)."""
        self._message_store.delete_as(message, by)

    def forget_records(self) -> None:
        """Drop what the emulator keeps of past interactions, messages and requests (long
        benchmarks); guilds, channels and people stay."""
        state = self._state
        state.interactions.clear()
        state.by_token.clear()
        state.messages.clear()
        for channel in state.channels.values():
            channel.messages.clear()
        for session in self._gateway.sessions.values():  # the RESUME replay buffer
            session.buffer.clear()
        self._limiter.forget()

    def commands(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """The synced commands: global ones, or one guild's."""
        store = guild.commands if guild is not None else self._state.global_commands
        return list(store.values())

    def bot_user_payload(self) -> dict[str, Any]:
        return self._state.bot_user_payload()

    # ==== what the bot did ===================================================================

    def messages_in(
        self, channel: Channel, *, include_ephemeral: bool = False, include_people: bool = False
    ) -> list[EmulatedMessage]:
        """Messages in ``channel`` in order: by default what the bot posted that everyone sees."""
        return [
            m
            for m in channel.messages
            if not m.deleted
            and (include_people or m.from_bot)
            and (include_ephemeral or not m.ephemeral)
        ]

    async def wait_for_message(
        self,
        channel: Channel,
        predicate: Callable[[EmulatedMessage], bool] | None = None,
        *,
        timeout: float | None = None,
        include_existing: bool = True,
        include_people: bool = False,
    ) -> EmulatedMessage:
        """The first (non-ephemeral) bot message in ``channel`` matching ``predicate``.

        Existing messages count unless ``include_existing=False``; edits are re-checked.
        """
        cursor = 0 if include_existing else len(channel.messages)
        min_id = 0 if include_existing or not channel.messages else channel.messages[-1].id + 1
        messages = self._message_store

        def usable(m: EmulatedMessage) -> bool:
            return (
                m.id >= min_id
                and not m.deleted
                and not m.ephemeral
                and (include_people or m.from_bot)
                and (predicate is None or predicate(m))
            )

        def check() -> EmulatedMessage | None:
            nonlocal cursor
            found = channel.messages
            while cursor < len(found):
                m = found[cursor]
                cursor += 1
                if usable(m):
                    return m
            changed = messages.last_changed
            if changed is not None and changed.channel is channel and usable(changed):
                return changed
            return None

        what = f"a bot message in #{channel.name}"
        if predicate is not None:
            what += " matching the predicate"
        return await self._state.waits.wait(channel.waiters, check, what, timeout)

    def assert_no_violations(self) -> None:
        """Fail listing every Discord rule the bot broke so far."""
        violations = self._state.violations
        if violations:
            lines = "\n".join(f"  - {v}" for v in violations)
            raise AssertionError(f"the bot broke {len(violations)} Discord rule(s):\n{lines}")

    def clear_violations(self) -> None:
        self._state.violations.clear()

    # ==== the gateway ========================================================================

    async def wait_for_bot_ready(self, timeout: float | None = None) -> None:
        """IDENTIFY received and READY + GUILD_CREATEs sent on every shard."""
        gateway = self._gateway

        def check() -> bool | None:
            sessions = gateway.sessions
            return True if len(sessions) >= gateway.shard_count and sessions else None

        await self._state.waits.wait(
            gateway.waiters, check, "the bot to IDENTIFY on the gateway", timeout
        )

    async def wait_for_identify(self, count: int, timeout: float | None = None) -> None:
        """Wait until the bot has IDENTIFYed ``count`` times in all (a bot process started again
        on the same emulator IDENTIFYs afresh: read ``identify_count`` before starting it)."""
        gateway = self._gateway

        def check() -> bool | None:
            return True if gateway.identify_count >= count else None

        await self._state.waits.wait(
            gateway.waiters, check, f"IDENTIFY #{count} on the gateway", timeout
        )

    async def wait_for_resume(
        self, count: int | None = None, timeout: float | None = None
    ) -> ResumeRecord:
        """Wait until ``count`` RESUMEs happened in total (default: one more than now)."""
        resumes = self._gateway.resumes
        target = len(resumes) + 1 if count is None else count

        def check() -> ResumeRecord | None:
            return resumes[target - 1] if len(resumes) >= target else None

        return await self._state.waits.wait(
            self._gateway.waiters, check, f"gateway RESUME #{target}", timeout
        )

    async def force_reconnect(self, *, wait: bool = True, timeout: float | None = None) -> None:
        """Send op 7 RECONNECT on every live socket; events buffer until the client RESUMEs."""
        target = self._gateway.send_reconnect()
        if wait:
            await self.wait_for_resume(target, timeout)

    async def drop_connection(self, *, wait: bool = True, timeout: float | None = None) -> None:
        """Cut every gateway TCP connection without a close frame; the client should RESUME."""
        target = self._gateway.cut_connections()
        if wait:
            await self.wait_for_resume(target, timeout)

    def redeliver(self, result: InteractionResult) -> None:
        """Dispatch an interaction's INTERACTION_CREATE once more, unchanged, as Discord may
        after a gateway resume. A bot must not act on it twice (and cannot respond twice)."""
        self._people.redeliver(result)

    # ==== rate limits ========================================================================

    def rate_limit(
        self,
        count: int = 1,
        *,
        route: str | None = None,
        retry_after: float = 0.2,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``count`` REST requests on ``route`` (a template such as
        ``"POST /channels/{channel_id}/messages"`` or
        ``"POST /interactions/{interaction_id}/{token}/callback"``; ``None``: any route) with
        Discord's 429: ``{"message": "You are being rate limited.", "retry_after": ...,
        "global": ...}`` plus the headers discord.py needs to retry (``Via``, ``Retry-After``,
        ``X-RateLimit-*`` with ``Reset-After``). Each 429 is recorded in ``rate_limited``
        with the time the client came back for the same path.
        """
        self._limiter.script(count, route, retry_after, is_global)
