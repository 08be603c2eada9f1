"""The emulator: an aiohttp server speaking Discord's REST v10 subset and gateway on 127.0.0.1.

The real discord.py client connects to it (see :func:`bot.emulator.patch.point_discord_at`).
Tests drive it through :class:`Emulator` and the people (:class:`~bot.emulator.model.Member`)
they add; every answer from the bot is checked against Discord's rules (:mod:`.rules`).
"""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import mimetypes
import secrets
import time
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import WSMsgType, web

from bot.emulator import rules
from bot.emulator._util import (
    BotConnectionLost,
    DiscordRuleViolation,
    EmulatorError,
    EmulatorTimeout,
    EmulatorUsageError,
    SnowflakeGenerator,
    T,
    Waiters,
    dumps,
    error_response,
    iso,
    json_response,
    snowflake_time,
)
from bot.emulator.model import (
    DM_CHANNEL,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    EmulatedAttachment,
    EmulatedMessage,
    EmulatedModal,
    Guild,
    InteractionResult,
    Member,
    Role,
    Violation,
    permission_value,
)

log = logging.getLogger("bot.emulator")

INTENT_GUILDS = 1 << 0
INTENT_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DM_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

PERM_SEND_MESSAGES = 1 << 11
PERM_SEND_IN_THREADS = 1 << 38
PERM_ATTACH_FILES = 1 << 15
PERM_MENTION_EVERYONE = 1 << 17
PERM_CREATE_PUBLIC_THREADS = 1 << 35
PERM_CREATE_PRIVATE_THREADS = 1 << 36
PERM_ADMINISTRATOR = 1 << 3

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_BUFFER = 20_000

# Which callback types each interaction type accepts (6/7 on a modal submit only when the modal
# was opened from a component; checked separately).
ALLOWED_CALLBACKS = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


@dataclass
class RateLimitRecord:
    """One 429 the emulator served (see :meth:`Emulator.rate_limit`), and when the client came
    back for the same method and path (loop time; ``None`` until it did)."""

    route: str  # "POST /interactions/{interaction_id}/{token}/callback"
    path: str  # "POST /api/v10/interactions/123/abc/callback"
    retry_after: float
    is_global: bool
    served_at: float
    retried_at: float | None = None

    @property
    def waited(self) -> float | None:
        """Seconds between the 429 and the client's retry."""
        return None if self.retried_at is None else self.retried_at - self.served_at


@dataclass
class _RateLimitRule:
    route: str | None  # None: any REST route
    remaining: int
    retry_after: float
    is_global: bool


@dataclass
class ResumeRecord:
    """One successful RESUME: from which sequence, and how many events were replayed."""

    session_id: str
    from_seq: int | None
    replayed: int


class _Connection:
    """One gateway websocket. Frames go through a queue so they leave in dispatch order."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.transport = request.transport
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.live = True  # False once op 7 was sent or the socket dropped: dispatches only buffer
        self.writer = asyncio.create_task(self._write(), name="emulator-gateway-writer")

    def send(self, frame: str) -> None:
        self.queue.put_nowait(frame)

    async def _write(self) -> None:
        queue, ws = self.queue, self.ws
        try:
            while True:
                frame = await queue.get()
                if frame is None:
                    return
                await ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            self.live = False

    async def close(self) -> None:
        self.live = False
        self.queue.put_nowait(None)
        await self.writer


class _Session:
    """A gateway session: sequence numbers and the buffer that RESUME replays from."""

    def __init__(self, session_id: str, intents: int, shard: tuple[int, int]) -> None:
        self.session_id = session_id
        self.intents = intents
        self.shard = shard
        self.seq = 0
        self.buffer: deque[tuple[int, str]] = deque(maxlen=REPLAY_BUFFER)
        self.conn: _Connection | None = None

    def dispatch(self, event: str, data: Any) -> int:
        self.seq += 1
        frame = dumps({"op": 0, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, frame))
        conn = self.conn
        if conn is not None and conn.live:
            conn.send(frame)
        return self.seq

    def acknowledge(self, seq: int | None) -> None:
        """The client has processed everything up to ``seq`` (its heartbeat says so)."""
        if seq is None:
            return
        buffer = self.buffer
        while buffer and buffer[0][0] <= seq:
            buffer.popleft()


class Emulator:
    """A local Discord for the real discord.py client, plus a scripting API acting as people.

    ``ack_deadline`` is Discord's 3 s acknowledgement window; ``default_timeout`` bounds every
    wait of the scripting API. ``dispatch_bot_messages`` sends MESSAGE_CREATE/UPDATE/DELETE for
    the bot's own messages as Discord does (turn off for benchmarks that do not need them).
    """

    def __init__(
        self,
        *,
        ack_deadline: float = 3.0,
        attachment_size_limit: int = rules.DEFAULT_ATTACHMENT_LIMIT,
        default_timeout: float = 5.0,
        token: str | None = None,
        bot_name: str = "Workshop Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        dispatch_bot_messages: bool = True,
    ) -> None:
        self._ids = SnowflakeGenerator()
        self.ack_deadline = ack_deadline
        self.attachment_size_limit = attachment_size_limit
        self.default_timeout = default_timeout
        self.bot_name = bot_name
        self.host = host
        self.port = port
        self.dispatch_bot_messages = dispatch_bot_messages
        self.application_id = self._ids.next()
        self.bot_user_id = self.application_id
        self.owner_user_id = self._ids.next()
        self.token = token or (
            base64.urlsafe_b64encode(str(self.bot_user_id).encode()).decode().rstrip("=")
            + ".emulator."
            + secrets.token_urlsafe(27)
        )
        self.guilds: dict[int, Guild] = {}
        self.global_commands: dict[tuple[int, str], dict[str, Any]] = {}
        self.violations: list[Violation] = []
        self.unhandled_requests: list[str] = []
        self.resumes: list[ResumeRecord] = []
        self.identify_count = 0
        self.rate_limited: list[RateLimitRecord] = []  # every 429 served, in order
        self.request_counts: Counter[str] = Counter()  # REST requests per route template
        self._rate_rules: list[_RateLimitRule] = []
        self._awaiting_retry: dict[str, RateLimitRecord] = {}
        self.interactions: dict[int, InteractionResult] = {}
        self._by_token: dict[str, InteractionResult] = {}
        self._channels: dict[int, Channel] = {}
        self._users: dict[int, Member] = {}
        self._messages: dict[int, EmulatedMessage] = {}
        self._attachments: dict[int, EmulatedAttachment] = {}
        self._sessions: dict[int, _Session] = {}
        self._shard_count = 1
        self._connections: set[_Connection] = set()
        self._waiters = Waiters()  # emulator-wide conditions (ready, resumed)
        self._pending: set[asyncio.Future[Any]] = set()
        self._fatal: BaseException | None = None
        self._bot_task: asyncio.Task[Any] | None = None
        self._runner: web.AppRunner | None = None
        self._deadlines: set[asyncio.TimerHandle] = set()
        self._listeners: list[Callable[[str, Any], None]] = []

    # ==== lifecycle ==========================================================================

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> Emulator:
        """Bind the server (port 0 picks a free port)."""
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=1024**3, middlewares=[self._rate_limiter])
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.debug("Discord emulator listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Close gateway sockets, cancel timers, fail pending waits, stop the server."""
        for handle in self._deadlines:
            handle.cancel()
        self._deadlines.clear()
        for conn in list(self._connections):
            conn.live = False
            await conn.ws.close(code=1001)
            await conn.close()
        self._fail_all(EmulatorError("the emulator was stopped while a test was waiting"))
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
        self._fatal = BotConnectionLost(f"the bot's connect() task {reason}")
        self._fail_all(self._fatal)

    def _fail_all(self, exc: BaseException) -> None:
        for fut in list(self._pending):
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: nobody may be awaiting any more

    # ==== building the world =================================================================

    def add_guild(self, name: str, *, locale: str = "en-US") -> Guild:
        guild = Guild(self, self._ids.next(), name, locale=locale)
        self.guilds[guild.id] = guild
        session = self._session_for(guild.id)
        if session is not None:
            session.dispatch("GUILD_CREATE", guild.to_payload(session.intents))
        return guild

    def _channel_added(self, channel: Channel) -> Channel:
        assert channel.guild is not None
        channel.guild.channels[channel.id] = channel
        self._channels[channel.id] = channel
        event = "THREAD_CREATE" if channel.is_thread else "CHANNEL_CREATE"
        self._guild_event(channel.guild, event, channel.to_payload())
        return channel

    def add_listener(self, callback: Callable[[str, Any], None]) -> None:
        """Call ``callback(event, obj)`` as things happen, e.g. to print a transcript.

        Events: ``"interaction"`` (an :class:`InteractionResult` a person started),
        ``"message_created"`` / ``"message_edited"`` / ``"message_deleted"`` (an
        :class:`EmulatedMessage`, the bot's or a person's) and ``"violation"`` (a
        :class:`Violation`). Callbacks run synchronously inside the emulator: keep them quick;
        an exception is logged, not raised.
        """
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[str, Any], None]) -> None:
        self._listeners.remove(callback)

    def _emit(self, event: str, obj: Any) -> None:
        for callback in list(self._listeners):
            try:
                callback(event, obj)
            except Exception:
                log.exception("emulator listener %r failed on %s", callback, event)

    def get_channel(self, channel_id: int) -> Channel | None:
        return self._channels.get(channel_id)

    def get_message(self, message_id: int) -> EmulatedMessage | None:
        return self._messages.get(message_id)

    def get_user(self, user_id: int) -> Member | None:
        return self._users.get(user_id)

    def commands(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """The synced commands: global ones, or one guild's."""
        store = guild.commands if guild is not None else self.global_commands
        return list(store.values())

    def bot_user_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.bot_user_id),
            "username": self.bot_name,
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "bot": True,
        }

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
            messages = channel.messages
            while cursor < len(messages):
                m = messages[cursor]
                cursor += 1
                if usable(m):
                    return m
            changed = self._last_changed
            if changed is not None and changed.channel is channel and usable(changed):
                return changed
            return None

        what = f"a bot message in #{channel.name}"
        if predicate is not None:
            what += " matching the predicate"
        return await self._wait(channel.waiters, check, what, timeout)

    _last_changed: EmulatedMessage | None = None

    def assert_no_violations(self) -> None:
        """Fail listing every Discord rule the bot broke so far."""
        if self.violations:
            lines = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"the bot broke {len(self.violations)} Discord rule(s):\n{lines}")

    def clear_violations(self) -> None:
        self.violations.clear()

    async def wait_for_bot_ready(self, timeout: float | None = None) -> None:
        """IDENTIFY received and READY + GUILD_CREATEs sent on every shard."""

        def check() -> bool | None:
            return True if len(self._sessions) >= self._shard_count and self._sessions else None

        await self._wait(self._waiters, check, "the bot to IDENTIFY on the gateway", timeout)

    async def wait_for_identify(self, count: int, timeout: float | None = None) -> None:
        """Wait until the bot has IDENTIFYed ``count`` times in all (a bot process started again
        on the same emulator IDENTIFYs afresh: read ``identify_count`` before starting it)."""

        def check() -> bool | None:
            return True if self.identify_count >= count else None

        await self._wait(self._waiters, check, f"IDENTIFY #{count} on the gateway", timeout)

    async def wait_for_resume(
        self, count: int | None = None, timeout: float | None = None
    ) -> ResumeRecord:
        """Wait until ``count`` RESUMEs happened in total (default: one more than now)."""
        target = len(self.resumes) + 1 if count is None else count

        def check() -> ResumeRecord | None:
            return self.resumes[target - 1] if len(self.resumes) >= target else None

        return await self._wait(self._waiters, check, f"gateway RESUME #{target}", timeout)

    async def force_reconnect(self, *, wait: bool = True, timeout: float | None = None) -> None:
        """Send op 7 RECONNECT on every live socket; events buffer until the client RESUMEs."""
        target = len(self.resumes) + len(self._sessions)
        for session in self._sessions.values():
            conn = session.conn
            if conn is not None and conn.live:
                conn.live = False
                conn.send(dumps({"op": 7, "d": None}))
        if wait:
            await self.wait_for_resume(target, timeout)

    async def drop_connection(self, *, wait: bool = True, timeout: float | None = None) -> None:
        """Cut every gateway TCP connection without a close frame; the client should RESUME."""
        target = len(self.resumes) + len(self._sessions)
        for session in self._sessions.values():
            conn = session.conn
            if conn is not None:
                conn.live = False
                if conn.transport is not None:
                    conn.transport.abort()
        if wait:
            await self.wait_for_resume(target, timeout)

    # ==== waiting ============================================================================

    async def _wait(
        self, waiters: Waiters, check: Callable[[], T | None], what: str, timeout: float | None
    ) -> T:
        timeout = self.default_timeout if timeout is None else timeout

        def guarded() -> T | None:
            if self._fatal is not None:
                raise self._fatal
            return check()

        value = guarded()
        if value is not None:
            return value
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        waiters.add(guarded, fut)
        self._pending.add(fut)
        try:
            async with asyncio.timeout(timeout):
                return await fut
        except TimeoutError:
            raise EmulatorTimeout(f"timed out after {timeout:g}s waiting for {what}") from None
        finally:
            self._pending.discard(fut)

    # ==== violations =========================================================================

    def _violation(
        self,
        rule: str,
        detail: str,
        route: str,
        *,
        status: int,
        code: int,
        interaction: InteractionResult | None = None,
        channel: Channel | None = None,
        problems: Sequence[rules.Problem] = (),
    ) -> Violation:
        violation = Violation(
            rule,
            detail,
            route,
            status,
            code,
            interaction.id if interaction else None,
            list(problems),
        )
        self.violations.append(violation)
        if self._listeners:
            self._emit("violation", violation)
        log.warning("Discord would reject this: %s", violation)
        error = DiscordRuleViolation(violation)
        if interaction is not None:
            interaction.violations.append(violation)
            if interaction.error is None:
                interaction.error = error
            interaction.waiters.notify()
        if channel is not None:
            channel.waiters.fail(error)
        return violation

    def _reject(
        self,
        problems: Sequence[rules.Problem],
        route: str,
        *,
        interaction: InteractionResult | None = None,
        channel: Channel | None = None,
    ) -> web.Response:
        detail = "; ".join(str(p) for p in problems)
        self._violation(
            problems[0].rule,
            detail,
            route,
            status=400,
            code=50035,
            interaction=interaction,
            channel=channel,
            problems=problems,
        )
        return error_response(400, 50035, "Invalid Form Body", rules.discord_errors(problems))

    def _reject_one(
        self,
        rule: str,
        detail: str,
        route: str,
        *,
        status: int,
        code: int,
        message: str,
        interaction: InteractionResult | None = None,
        channel: Channel | None = None,
    ) -> web.Response:
        self._violation(
            rule, detail, route, status=status, code=code, interaction=interaction, channel=channel
        )
        return error_response(status, code, message)

    # ==== gateway ============================================================================

    def _session_for(self, guild_id: int | None) -> _Session | None:
        if not self._sessions:
            return None
        shard = 0 if guild_id is None else (guild_id >> 22) % self._shard_count
        return self._sessions.get(shard)

    def _guild_event(
        self, guild: Guild, event: str, data: Any, *, intent: int = INTENT_GUILDS
    ) -> None:
        session = self._session_for(guild.id)
        if session is not None and session.intents & intent:
            session.dispatch(event, data)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = _Connection(ws, request)
        self._connections.add(conn)
        conn.send(
            dumps(
                {
                    "op": 10,
                    "d": {
                        "heartbeat_interval": HEARTBEAT_INTERVAL_MS,
                        "_trace": ["discord-emulator"],
                    },
                }
            )
        )
        session: _Session | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                data = payload.get("d")
                if op == 1:
                    if session is not None:
                        session.acknowledge(data)
                    conn.send('{"op":11,"d":null}')
                elif op == 2:
                    session = await self._identify(conn, data)
                elif op == 6:
                    session = self._resume(conn, data)
                elif op == 8 and session is not None:
                    self._request_members(session, data)
                # op 3 (presence) and op 4 (voice) need no answer here.
        finally:
            conn.live = False
            if session is not None and session.conn is conn:
                session.conn = None
            await conn.close()
            self._connections.discard(conn)
        return ws

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> _Session | None:
        if data.get("token") != self.token:
            log.warning("IDENTIFY with a wrong token: closing with 4004")
            await conn.close()
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, count = data.get("shard") or (0, 1)
        self._shard_count = count
        session = _Session(secrets.token_hex(16), int(data.get("intents") or 0), (shard_id, count))
        old = self._sessions.get(shard_id)
        if old is not None and old.conn is not None:
            old.conn.live = False
        self._sessions[shard_id] = session
        session.conn = conn
        self.identify_count += 1
        guilds = [g for g in self.guilds.values() if (g.id >> 22) % count == shard_id]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {
                **self.bot_user_payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
            },
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["discord-emulator"],
        }
        if data.get("shard"):
            ready["shard"] = [shard_id, count]
        session.dispatch("READY", ready)
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild.to_payload(session.intents))
        self._waiters.notify()
        return session

    def _resume(self, conn: _Connection, data: dict[str, Any]) -> _Session | None:
        session = next(
            (s for s in self._sessions.values() if s.session_id == data.get("session_id")), None
        )
        seq = data.get("seq")
        if (
            session is None
            or data.get("token") != self.token
            or (session.buffer and seq is not None and session.buffer[0][0] > seq + 1)
        ):
            conn.send('{"op":9,"d":false}')
            return None
        if session.conn is not None and session.conn is not conn:
            session.conn.live = False
        session.conn = conn
        replay = [frame for s, frame in session.buffer if seq is None or s > seq]
        for frame in replay:
            conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ["discord-emulator"]})
        self.resumes.append(ResumeRecord(session.session_id, seq, len(replay)))
        log.debug(
            "session %s resumed from seq %s, %d replayed", session.session_id, seq, len(replay)
        )
        self._waiters.notify()
        return session

    def _request_members(self, session: _Session, data: dict[str, Any]) -> None:
        guild_id = int(data.get("guild_id") or 0)
        guild = self.guilds.get(guild_id)
        members = [guild.bot_member_payload()] if guild else []
        if guild is not None:
            wanted = {int(u) for u in data.get("user_ids") or ()}
            query = (data.get("query") or "").lower()
            for member in guild.members.values():
                if wanted and member.id not in wanted:
                    continue
                if query and not member.name.lower().startswith(query):
                    continue
                members.append(member.member_payload())
        chunk: dict[str, Any] = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # ==== routes =============================================================================

    def _add_routes(self, app: web.Application) -> None:
        api = "/api/v10"
        bot_routes: list[
            tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
        ] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/applications/{app_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("POST", "/applications/{app_id}/commands", self._post_command),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self._delete_command),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self._post_command),
            (
                "DELETE",
                "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
            ),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._patch_channel),
            ("GET", "/channels/{channel_id}/messages", self._get_messages),
            ("POST", "/channels/{channel_id}/messages", self._post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/threads", self._post_thread),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self._post_thread_from_message,
            ),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._no_content),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self._no_content),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._no_content,
            ),
            ("POST", "/channels/{channel_id}/typing", self._no_content),
        ]
        for method, path, handler in bot_routes:
            app.router.add_route(method, api + path, self._authorized(handler))
        open_routes: list[
            tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
        ] = [
            ("GET", api + "/gateway", self._get_gateway),
            ("POST", api + "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", api + "/webhooks/{app_id}/{token}", self._post_followup),
            ("GET", api + "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get),
            (
                "PATCH",
                api + "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._webhook_patch,
            ),
            (
                "DELETE",
                api + "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._webhook_delete,
            ),
            ("GET", "/attachments/{channel_id}/{attachment_id}/{filename}", self._get_attachment),
            ("GET", "/gateway", self._gateway),
            ("GET", "/gateway/", self._gateway),
        ]
        for method, path, handler in open_routes:
            app.router.add_route(method, path, handler)
        app.router.add_route("*", "/{tail:.*}", self._unhandled)

    def _authorized(
        self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        expected = f"Bot {self.token}"

        async def wrapper(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != expected:
                return error_response(401, 0, "401: Unauthorized")
            return await handler(request)

        return wrapper

    # --- rate limits ---------------------------------------------------------------------------

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
        if count < 1 or retry_after < 0:
            raise EmulatorUsageError("rate_limit needs count >= 1 and retry_after >= 0")
        self._rate_rules.append(_RateLimitRule(route, count, retry_after, is_global))

    @web.middleware
    async def _rate_limiter(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        template = f"{request.method} {template.removeprefix('/api/v10')}"
        self.request_counts[template] += 1
        if self._awaiting_retry:
            record = self._awaiting_retry.pop(f"{request.method} {request.path}", None)
            if record is not None:
                record.retried_at = asyncio.get_running_loop().time()
        rule = next(
            (r for r in self._rate_rules if r.route is None or r.route == template), None
        )
        if rule is None:
            return await handler(request)
        rule.remaining -= 1
        if rule.remaining <= 0:
            self._rate_rules.remove(rule)
        record = RateLimitRecord(
            route=template,
            path=f"{request.method} {request.path}",
            retry_after=rule.retry_after,
            is_global=rule.is_global,
            served_at=asyncio.get_running_loop().time(),
        )
        self.rate_limited.append(record)
        self._awaiting_retry[record.path] = record
        log.debug("429 for %s (retry after %gs)", record.path, rule.retry_after)
        body = {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.is_global,
        }
        headers = {
            "Content-Type": "application/json",
            "Via": "1.1 google",  # without it discord.py takes a 429 for a Cloudflare ban
            "Retry-After": str(max(1, math.ceil(rule.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
        }
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        return web.Response(status=429, body=dumps(body).encode(), headers=headers)

    async def _unhandled(self, request: web.Request) -> web.StreamResponse:
        route = f"{request.method} {request.path}"
        self.unhandled_requests.append(route)
        log.warning("the emulator does not implement %s", route)
        return error_response(404, 0, "404: Not Found")

    async def _no_content(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    # --- users, application, gateway ---------------------------------------------------------

    async def _get_me(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            {
                **self.bot_user_payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "locale": "en-US",
            }
        )

    async def _get_user(self, request: web.Request) -> web.StreamResponse:
        member = self._users.get(_int(request.match_info["user_id"]))
        if member is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(member.user_payload())

    async def _get_member(self, request: web.Request) -> web.StreamResponse:
        guild = self.guilds.get(_int(request.match_info["guild_id"]))
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        user_id = _int(request.match_info["user_id"])
        if user_id == self.bot_user_id:
            return json_response(guild.bot_member_payload())
        member = guild.members.get(user_id)
        if member is None:
            return error_response(404, 10007, "Unknown Member")
        return json_response(member.member_payload())

    async def _create_dm(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        member = self._users.get(_int(body.get("recipient_id")))
        if member is None:
            return error_response(
                400,
                50035,
                "Invalid Form Body",
                {
                    "recipient_id": {
                        "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": "Unknown user."}]
                    }
                },
            )
        return json_response(member.dm_channel.to_payload())

    async def _get_application(self, request: web.Request) -> web.StreamResponse:
        owner = {
            "id": str(self.owner_user_id),
            "username": "owner",
            "global_name": "Owner",
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        return json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_name,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": self.bot_user_payload(),
                "rpc_origins": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.StreamResponse:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # --- application commands ----------------------------------------------------------------

    def _command_store(
        self, request: web.Request
    ) -> tuple[dict[tuple[int, str], dict[str, Any]], Guild | None] | web.Response:
        if _int(request.match_info["app_id"]) != self.application_id:
            return error_response(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return self.global_commands, None
        guild = self.guilds.get(_int(guild_id))
        if guild is None:
            return error_response(403, 50001, "Missing Access")
        return guild.commands, guild

    def _store_command(
        self,
        store: dict[tuple[int, str], dict[str, Any]],
        guild: Guild | None,
        command: dict[str, Any],
        old: dict[tuple[int, str], dict[str, Any]],
    ) -> dict[str, Any]:
        ctype = command.get("type", 1)
        key = (ctype, command["name"])
        previous = old.get(key)
        stored = {
            "type": ctype,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            **command,
            "id": previous["id"] if previous else str(self._ids.next()),
            "application_id": str(self.application_id),
            "version": str(self._ids.next()),
        }
        if guild is not None:
            stored["guild_id"] = str(guild.id)
        store[key] = stored
        return stored

    async def _get_commands(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        return json_response(list(found[0].values()))

    async def _put_commands(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        store, guild = found
        body = await request.json()
        problems = rules.check_commands(body)
        if problems:
            return self._reject(problems, f"PUT {request.path}")
        old = dict(store)
        store.clear()
        result = [self._store_command(store, guild, command, old) for command in body]
        return json_response(result)

    async def _post_command(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        store, guild = found
        body = await request.json()
        problems = rules.check_commands([body])
        if problems:
            return self._reject(problems, f"POST {request.path}")
        return json_response(self._store_command(store, guild, body, dict(store)))

    async def _delete_command(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        store = found[0]
        command_id = request.match_info["command_id"]
        for key, command in list(store.items()):
            if command["id"] == command_id:
                del store[key]
                return web.Response(status=204)
        return error_response(404, 10063, "Unknown application command")

    # --- bodies, messages, attachments -------------------------------------------------------

    async def _read_body(
        self, request: web.Request
    ) -> tuple[dict[str, Any], list[tuple[int, str, bytes, str | None]]]:
        """JSON body, or multipart ``payload_json`` + ``files[n]``."""
        if not request.body_exists:
            return {}, []
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files: list[tuple[int, str, bytes, str | None]] = []
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                elif name.startswith("files["):
                    data = await part.read()  # type: ignore[union-attr]
                    files.append(
                        (
                            _int(name[6:-1]),
                            part.filename or "file",
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        return await request.json(), []

    def _make_attachments(
        self,
        channel_id: int,
        files: Sequence[tuple[int, str, bytes, str | None]],
        meta: Sequence[Mapping[str, Any]] | None,
        *,
        ephemeral: bool,
    ) -> list[EmulatedAttachment]:
        described = {str(m.get("id")): m for m in meta or ()}
        out = []
        for index, filename, data, content_type in files:
            info = described.get(str(index), {})
            name = (info.get("filename") or filename).replace(" ", "_")
            attachment_id = self._ids.next()
            guessed = mimetypes.guess_type(name)[0]
            attachment = EmulatedAttachment(
                attachment_id,
                name,
                data,
                url=f"{self.url}/attachments/{channel_id}/{attachment_id}/{quote(name)}",
                content_type=guessed or content_type or "application/octet-stream",
                description=info.get("description"),
                ephemeral=ephemeral,
            )
            self._attachments[attachment_id] = attachment
            out.append(attachment)
        return out

    async def _get_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment = self._attachments.get(_int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=attachment.data,
            headers={"Content-Type": attachment.content_type or "application/octet-stream"},
        )

    def _pings(
        self,
        channel: Channel | None,
        content: str,
        allowed: Mapping[str, Any] | None,
        reply_to: EmulatedMessage | None,
    ) -> tuple[list[Member], list[Role], bool]:
        guild = channel.guild if channel is not None else None
        found = rules.filter_mentions(rules.parse_mentions(content), allowed)
        users: list[Member] = []
        for user_id in found.users:
            member = self._users.get(user_id)
            if member is not None and (guild is None or member.guild is guild):
                users.append(member)
        if reply_to is not None and not reply_to.from_bot:
            author = self._users.get(int(reply_to.data["author"]["id"]))
            wants = allowed is None or bool(allowed.get("replied_user"))
            if author is not None and wants and author not in users:
                users.append(author)
        roles: list[Role] = []
        everyone = False
        if guild is not None:
            may_ping_all = bool(guild.bot_permissions & PERM_MENTION_EVERYONE)
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

    @staticmethod
    def _number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        used = {c["id"] for c in rules.walk_components(components) if isinstance(c.get("id"), int)}
        counter = 0
        for comp in rules.walk_components(components):
            if "id" not in comp:
                counter += 1
                while counter in used:
                    counter += 1
                comp["id"] = counter  # type: ignore[index]
        return components

    def _create_message(
        self,
        channel: Channel,
        payload: Mapping[str, Any],
        files: Sequence[tuple[int, str, bytes, str | None]],
        *,
        interaction: InteractionResult | None = None,
        msg_type: int = 0,
        flags: int | None = None,
    ) -> EmulatedMessage:
        message_id = self._ids.next()
        if flags is None:
            flags = payload.get("flags") or 0
            if interaction is None:
                flags &= ~rules.FLAG_EPHEMERAL
        ephemeral = bool(flags & rules.FLAG_EPHEMERAL)
        attachments = self._make_attachments(
            channel.id, files, payload.get("attachments"), ephemeral=ephemeral
        )
        reply_to = None
        reference = payload.get("message_reference")
        if reference and reference.get("message_id"):
            reply_to = self._messages.get(_int(reference["message_id"]))
            msg_type = 19
        data: dict[str, Any] = {
            "id": str(message_id),
            "type": msg_type,
            "content": payload.get("content") or "",
            "channel_id": str(channel.id),
            "author": self.bot_user_payload(),
            "attachments": [a.to_payload() for a in attachments],
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or ()],
            "components": self._number_components(list(payload.get("components") or ())),
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
            data["application_id"] = str(self.application_id)
            data["webhook_id"] = str(self.application_id)
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
            self,
            data,
            channel=channel,
            from_bot=True,
            interaction=interaction,
            attachments=attachments,
        )
        self._apply_pings(msg, channel, payload.get("allowed_mentions"), reply_to)
        self._messages[message_id] = msg
        channel.messages.append(msg)
        if not ephemeral:
            self._dispatch_message("MESSAGE_CREATE", msg)
        self._changed(msg, "created")
        return msg

    def _edit_message(
        self,
        msg: EmulatedMessage,
        payload: Mapping[str, Any],
        files: Sequence[tuple[int, str, bytes, str | None]],
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
            new["components"] = self._number_components(list(payload["components"] or ()))
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
            added = self._make_attachments(
                msg.channel_id, files, payload.get("attachments"), ephemeral=msg.ephemeral
            )
            msg.attachments = kept + added
            new["attachments"] = [a.to_payload() for a in msg.attachments]
        if not was_loading:
            new["edited_timestamp"] = iso()
        msg.data = new
        if "content" in payload or "allowed_mentions" in payload:
            self._apply_pings(msg, msg.channel, payload.get("allowed_mentions"))
        if not msg.ephemeral:
            self._dispatch_message("MESSAGE_UPDATE", msg)
        self._changed(msg, "edited")
        return msg

    def _delete(self, msg: EmulatedMessage) -> None:
        msg.deleted = True
        if not msg.ephemeral and self.dispatch_bot_messages and msg.channel is not None:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.channel.guild is not None:
                data["guild_id"] = str(msg.channel.guild.id)
            self._dispatch_to_channel(msg.channel, "MESSAGE_DELETE", data)
        self._changed(msg, "deleted")

    def _changed(self, msg: EmulatedMessage, kind: str) -> None:
        if self._listeners:
            self._emit(f"message_{kind}", msg)
        self._last_changed = msg
        if msg.channel is not None:
            msg.channel.waiters.notify()
        if msg.interaction is not None:
            msg.interaction.waiters.notify()
        self._last_changed = None

    def _dispatch_message(self, event: str, msg: EmulatedMessage) -> None:
        if not self.dispatch_bot_messages or msg.channel is None:
            return
        data = msg.data
        guild = msg.channel.guild
        if guild is not None:
            member = guild.bot_member_payload()
            del member["user"]
            data = {**data, "member": member}
        self._dispatch_to_channel(msg.channel, event, data)

    def _dispatch_to_channel(self, channel: Channel, event: str, data: dict[str, Any]) -> None:
        guild = channel.guild
        session = self._session_for(guild.id if guild else None)
        if session is None:
            return
        intent = INTENT_GUILD_MESSAGES if guild is not None else INTENT_DM_MESSAGES
        if session.intents & intent:
            session.dispatch(event, data)

    def _user_message(self, member: Member, channel: Channel, content: str) -> EmulatedMessage:
        message_id = self._ids.next()
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
        msg = EmulatedMessage(self, data, channel=channel, from_bot=False)
        users, roles, everyone = self._pings(channel, content, None, None)
        msg.pinged_users, msg.pinged_roles = users, roles
        msg.pinged_everyone = everyone and member.has_permissions(PERM_MENTION_EVERYONE)
        data["mentions"] = [u.user_payload() for u in users]
        data["mention_roles"] = [str(r.id) for r in roles]
        data["mention_everyone"] = msg.pinged_everyone
        bot_mentioned = f"<@{self.bot_user_id}>" in content or f"<@!{self.bot_user_id}>" in content
        if bot_mentioned:
            data["mentions"].append(self.bot_user_payload())
        self._messages[message_id] = msg
        channel.messages.append(msg)
        session = self._session_for(channel.guild.id if channel.guild else None)
        if session is not None:
            event = dict(data)
            if channel.guild is not None:
                event["member"] = member.member_payload(with_user=False)
            if not session.intents & INTENT_MESSAGE_CONTENT and not bot_mentioned and channel.guild:
                event["content"] = ""
            self._dispatch_to_channel(channel, "MESSAGE_CREATE", event)
        self._changed(msg, "created")
        return msg

    # --- channel routes ----------------------------------------------------------------------

    def _channel_or_404(self, request: web.Request) -> Channel | web.Response:
        channel = self._channels.get(_int(request.match_info["channel_id"]))
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
            self._guild_event(channel.guild, event, channel.to_payload())
        return json_response(channel.to_payload())

    def _may_send(self, channel: Channel, files: bool, route: str) -> web.Response | None:
        guild = channel.guild
        if guild is None:
            return None
        perms = guild.bot_permissions
        needed = PERM_SEND_IN_THREADS if channel.is_thread else PERM_SEND_MESSAGES
        if files:
            needed |= PERM_ATTACH_FILES
        if perms & needed != needed:
            return self._reject_one(
                "missing_permissions",
                f"the bot lacks permissions {needed & ~perms} in #{channel.name}",
                route,
                status=403,
                code=50013,
                message="Missing Permissions",
                channel=channel,
            )
        if channel.is_thread and channel.locked:
            return self._reject_one(
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
        payload, files = await self._read_body(request)
        denied = self._may_send(channel, bool(files), route)
        if denied is not None:
            return denied
        problems = rules.check_message(
            payload,
            file_sizes=[(f[1], len(f[2])) for f in files],
            attachment_limit=self.attachment_size_limit,
        )
        if problems:
            return self._reject(problems, route, channel=channel)
        if channel.is_thread and channel.archived:
            channel.archived = False
        msg = self._create_message(channel, payload, files)
        return json_response(msg.data)

    def _channel_message(
        self, request: web.Request
    ) -> tuple[Channel, EmulatedMessage] | web.Response:
        channel = self._channel_or_404(request)
        if isinstance(channel, web.Response):
            return channel
        msg = self._messages.get(_int(request.match_info["message_id"]))
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
            index = bisect_right(messages, _int(query["after"]), key=key)
            while index < len(messages) and len(picked) < limit:
                if visible(messages[index]):
                    picked.append(messages[index])
                index += 1
            picked.reverse()
        else:
            index = len(messages)
            if "before" in query:
                index = bisect_left(messages, _int(query["before"]), key=key)
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
            return self._reject_one(
                "edit_foreign_message",
                "the bot tried to edit someone else's message",
                route,
                status=403,
                code=50005,
                message="Cannot edit a message authored by another user",
                channel=channel,
            )
        payload, files = await self._read_body(request)
        problems = self._check_edit(msg, payload, files)
        if problems:
            return self._reject(problems, route, channel=channel)
        return json_response(self._edit_message(msg, payload, files).data)

    def _check_edit(
        self,
        msg: EmulatedMessage,
        payload: Mapping[str, Any],
        files: Sequence[tuple[int, str, bytes, str | None]],
    ) -> list[rules.Problem]:
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
            file_sizes=[(f[1], len(f[2])) for f in files],
            creating=False,
            attachment_limit=self.attachment_size_limit,
            kept_attachments=kept,
        )

    async def _delete_message(self, request: web.Request) -> web.StreamResponse:
        found = self._channel_message(request)
        if isinstance(found, web.Response):
            return found
        self._delete(found[1])
        return web.Response(status=204)

    def _thread_from(
        self, parent: Channel, name: Any, thread_type: int, route: str, thread_id: int | None = None
    ) -> Channel | web.Response:
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            problem = rules.Problem(
                "thread_name_length",
                ("name",),
                "Must be between 1 and 100 in length.",
                "BASE_TYPE_BAD_LENGTH",
            )
            return self._reject([problem], route, channel=parent)
        guild = parent.guild
        if guild is None or parent.is_thread or parent.type != 0:
            return error_response(400, 50024, "Cannot execute action on this channel type")
        needed = (
            PERM_CREATE_PRIVATE_THREADS
            if thread_type == PRIVATE_THREAD
            else PERM_CREATE_PUBLIC_THREADS
        )
        if guild.bot_permissions & needed != needed:
            return self._reject_one(
                "missing_permissions",
                f"the bot cannot create threads in #{parent.name}",
                route,
                status=403,
                code=50013,
                message="Missing Permissions",
                channel=parent,
            )
        thread = Channel(
            self,
            thread_id or self._ids.next(),
            name,
            guild=guild,
            type=thread_type,
            parent_id=parent.id,
            owner_id=self.bot_user_id,
        )
        guild.channels[thread.id] = thread
        self._channels[thread.id] = thread
        self._guild_event(guild, "THREAD_CREATE", {**thread.to_payload(), "newly_created": True})
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
        if msg.id in self._channels:
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

    # ==== interactions: people acting ========================================================

    def _new_interaction(
        self,
        member: Member,
        channel: Channel | None,
        dm: bool,
        itype: int,
        data: dict[str, Any],
        description: str,
        *,
        source: EmulatedMessage | None = None,
    ) -> InteractionResult:
        if self._fatal is not None:
            raise self._fatal
        if dm:
            channel = member.dm_channel
        elif channel is None:
            channel = next((c for c in member.guild.channels.values() if c.type == 0), None)
            if channel is None:
                raise EmulatorUsageError(f"guild {member.guild.name!r} has no text channel to use")
        assert channel is not None
        guild = channel.guild
        session = self._session_for(guild.id if guild else None)
        if session is None:
            raise EmulatorUsageError(
                "the bot is not connected to the emulator's gateway (start it with running_bot())"
            )
        interaction_id = self._ids.next()
        token = f"aW50ZXJhY3Rpb246{interaction_id}:{secrets.token_urlsafe(48)}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": member.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
            "channel_id": str(channel.id),
        }
        if guild is not None:
            perms = member.permissions
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member={**member.member_payload(), "permissions": str(perms)},
                channel=channel.to_payload(permissions=perms),
                app_permissions=str(guild.bot_permissions),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=member.user_payload(),
                channel=channel.to_payload(),
                app_permissions=str(
                    permission_value(
                        [
                            "send_messages",
                            "embed_links",
                            "attach_files",
                            "read_message_history",
                            "add_reactions",
                        ]
                    )
                ),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if source is not None:
            payload["message"] = source.data
        result = InteractionResult(
            self,
            interaction_id,
            token,
            payload,
            user=member,
            channel=channel,
            description=description,
            source_message=source,
        )
        self.interactions[interaction_id] = result
        self._by_token[token] = result
        if self.ack_deadline is not None:
            handle = asyncio.get_running_loop().call_later(
                self.ack_deadline, self._deadline_passed, result
            )
            result._deadline = handle
            self._deadlines.add(handle)
        session.dispatch("INTERACTION_CREATE", payload)
        if self._listeners:
            self._emit("interaction", result)
        return result

    def redeliver(self, result: InteractionResult) -> None:
        """Dispatch an interaction's INTERACTION_CREATE once more, unchanged, as Discord may
        after a gateway resume. A bot must not act on it twice (and cannot respond twice)."""
        guild = result.channel.guild if result.channel is not None else None
        session = self._session_for(guild.id if guild else None)
        if session is None:
            raise EmulatorUsageError("the bot is not connected to the emulator's gateway")
        session.dispatch("INTERACTION_CREATE", result.payload)

    def _deadline_passed(self, result: InteractionResult) -> None:
        if result._deadline is not None:
            self._deadlines.discard(result._deadline)
        if result.acknowledged:
            return
        result.expired = True
        self._violation(
            "ack_deadline",
            f"{result.description} was not acknowledged within {self.ack_deadline:g}s "
            "(Discord shows 'The application did not respond')",
            "INTERACTION_CREATE",
            status=404,
            code=10062,
            interaction=result,
        )

    def _find_command(
        self, member: Member, command: str, dm: bool, force: bool
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """(root command, leaf node whose options are values, path of sub names)."""
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise EmulatorUsageError("empty command name")
        key = (1, parts[0])
        root = None if dm else member.guild.commands.get(key)
        if root is None:
            root = self.global_commands.get(key)
        if root is None and dm and force:
            root = member.guild.commands.get(key)
        if root is None:
            names = sorted(
                {k[1] for k in self.global_commands if k[0] == 1}
                | {k[1] for k in member.guild.commands if k[0] == 1}
            )
            where = "in DMs" if dm else f"in {member.guild.name!r}"
            raise EmulatorUsageError(
                f"no slash command /{parts[0]} is synced {where}; synced: {names}"
            )
        if not force:
            self._check_visible(member, root, dm)
        node = root
        for part in parts[1:]:
            subs = [o for o in node.get("options") or () if o.get("type") in (1, 2)]
            nxt = next((o for o in subs if o["name"] == part), None)
            if nxt is None:
                raise EmulatorUsageError(
                    f"/{command}: {node['name']!r} has no subcommand {part!r}; "
                    f"it has {[o['name'] for o in subs]}"
                )
            node = nxt
        if any(o.get("type") in (1, 2) for o in node.get("options") or ()):
            subs = [o["name"] for o in node["options"] if o.get("type") in (1, 2)]
            raise EmulatorUsageError(f"/{command} needs a subcommand: one of {subs}")
        return root, node, parts[1:]

    def _check_visible(self, member: Member, root: Mapping[str, Any], dm: bool) -> None:
        name = root["name"]
        contexts = root.get("contexts")
        if dm:
            if (
                root.get("guild_id")
                or root.get("dm_permission") is False
                or (contexts is not None and 1 not in contexts)
            ):
                raise EmulatorUsageError(
                    f"Discord does not offer /{name} in DMs (guild-only); pass force=True to send "
                    "the interaction anyway"
                )
            return
        if contexts is not None and 0 not in contexts:
            raise EmulatorUsageError(
                f"Discord does not offer /{name} in servers (contexts={contexts})"
            )
        required = root.get("default_member_permissions")
        if required is not None:
            needed = int(required)
            perms = member.permissions
            allowed = bool(perms & PERM_ADMINISTRATOR) if needed == 0 else perms & needed == needed
            if not allowed:
                raise EmulatorUsageError(
                    f"Discord hides /{name} from {member.name} "
                    f"(default_member_permissions={needed}); "
                    "pass force=True to send the interaction anyway"
                )

    def _convert_options(
        self,
        node: Mapping[str, Any],
        given: Mapping[str, Any],
        label: str,
        *,
        focused: str | None = None,
        validate: bool = True,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        declared = {o["name"]: o for o in node.get("options") or ()}
        values: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {}
        used: set[str] = set()
        for raw_name, value in given.items():
            name = raw_name
            if name not in declared:
                name = name.rstrip("_") if name.rstrip("_") in declared else name.replace("_", "-")
            option = declared.get(name)
            if option is None:
                raise EmulatorUsageError(
                    f"{label}: no option {raw_name!r}; options are {list(declared)}"
                )
            used.add(name)
            if value is None:
                continue
            if name == focused:
                values.append(
                    {"name": name, "type": option["type"], "value": str(value), "focused": True}
                )
                continue
            converted = self._option_value(option, value, label, resolved, validate)
            values.append({"name": name, "type": option["type"], "value": converted})
        if validate:
            missing = [n for n, o in declared.items() if o.get("required") and n not in used]
            if missing:
                raise EmulatorUsageError(f"{label}: required option(s) missing: {missing}")
        return values, resolved

    def _option_value(
        self,
        option: Mapping[str, Any],
        value: Any,
        label: str,
        resolved: dict[str, dict[str, Any]],
        validate: bool,
    ) -> Any:
        otype = option["type"]
        name = option["name"]
        problem = f"{label}: option {name!r}"
        if otype in (3, 4, 10):
            choices = option.get("choices")
            if choices:
                match = next(
                    (c for c in choices if c["value"] == value or c["name"] == value), None
                )
                if match is None:
                    raise EmulatorUsageError(
                        f"{problem} only offers {[c['name'] for c in choices]}, not {value!r}"
                    )
                value = match["value"]
        if otype == 3:
            value = str(value)
            if validate:
                low, high = option.get("min_length", 0), option.get("max_length", 6000)
                if not low <= len(value) <= high:
                    raise EmulatorUsageError(
                        f"{problem} takes {low}-{high} characters, got {len(value)}"
                    )
            return value
        if otype in (4, 10):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise EmulatorUsageError(f"{problem} takes a number, not {value!r}")
            try:
                number: int | float = int(value) if otype == 4 else float(value)
            except ValueError:
                raise EmulatorUsageError(f"{problem} takes a number, not {value!r}") from None
            if otype == 4 and isinstance(value, float) and not value.is_integer():
                raise EmulatorUsageError(f"{problem} takes a whole number, not {value!r}")
            low, high = option.get("min_value"), option.get("max_value")
            if validate and (
                (low is not None and number < low) or (high is not None and number > high)
            ):
                raise EmulatorUsageError(
                    f"{problem} must be between {low} and {high}, got {number}"
                )
            return number
        if otype == 5:
            if not isinstance(value, bool):
                raise EmulatorUsageError(f"{problem} takes True or False, not {value!r}")
            return value
        if otype in (6, 9) and isinstance(value, Member):
            resolved.setdefault("users", {})[str(value.id)] = value.user_payload()
            if value.guild is not None:
                resolved.setdefault("members", {})[str(value.id)] = {
                    **value.member_payload(with_user=False),
                    "permissions": str(value.permissions),
                }
            return str(value.id)
        if otype in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
            return str(value.id)
        if otype == 7 and isinstance(value, Channel):
            types = option.get("channel_types")
            if validate and types and value.type not in types:
                raise EmulatorUsageError(f"{problem} takes channel types {types}, not {value.type}")
            resolved.setdefault("channels", {})[str(value.id)] = value.to_payload(
                permissions=value.guild.bot_permissions if value.guild else 0
            )
            return str(value.id)
        if otype == 11:
            attachment = value
            if isinstance(value, tuple):
                filename, data = value
                attachment_id = self._ids.next()
                attachment = EmulatedAttachment(
                    attachment_id,
                    filename,
                    bytes(data),
                    url=f"{self.url}/attachments/0/{attachment_id}/{quote(filename)}",
                    content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                    ephemeral=True,
                )
                self._attachments[attachment_id] = attachment
            if not isinstance(attachment, EmulatedAttachment):
                raise EmulatorUsageError(f"{problem} takes (filename, bytes), not {value!r}")
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.to_payload()
            return str(attachment.id)
        if isinstance(value, int) and otype in (6, 7, 8, 9):
            return str(value)
        raise EmulatorUsageError(f"{problem} (type {otype}) cannot take {value!r}")

    def _command_data(
        self,
        root: Mapping[str, Any],
        path: list[str],
        values: list[dict[str, Any]],
        resolved: dict[str, Any],
    ) -> dict[str, Any]:
        options = values
        node_chain = [root]
        for part in path:
            node_chain.append(next(o for o in node_chain[-1]["options"] if o["name"] == part))
        for node in reversed(node_chain[1:]):
            options = [{"name": node["name"], "type": node["type"], "options": options}]
        data: dict[str, Any] = {
            "id": root["id"],
            "name": root["name"],
            "type": 1,
            "options": options,
        }
        if root.get("guild_id"):
            data["guild_id"] = root["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def _run_command(
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
    ) -> InteractionResult:
        root, node, path = self._find_command(member, command, dm, force)
        label = f"/{' '.join([root['name'], *path])}"
        values, resolved = self._convert_options(node, options, label)
        data = self._command_data(root, path, values, resolved)
        where = "in DMs" if dm else f"in #{channel.name}" if channel else ""
        result = self._new_interaction(
            member, channel, dm, 2, data, f"{label} by {member.name} {where}".rstrip()
        )
        if wait:
            await result.response(timeout)
        return result

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
        root, node, path = self._find_command(member, command, dm, force=True)
        label = f"/{' '.join([root['name'], *path])}"
        declared = {o["name"]: o for o in node.get("options") or ()}
        name = option if option in declared else option.replace("_", "-")
        if name not in declared:
            raise EmulatorUsageError(f"{label}: no option {option!r}; options are {list(declared)}")
        if not declared[name].get("autocomplete"):
            raise EmulatorUsageError(f"{label}: option {name!r} has no autocomplete")
        values, _ = self._convert_options(
            node, {**options, name: value}, label, focused=name, validate=False
        )
        data = self._command_data(root, path, values, {})
        result = self._new_interaction(
            member,
            channel,
            dm,
            4,
            data,
            f"autocomplete of {label} {name}={value!r} by {member.name}",
        )
        await result.response(timeout)
        return result

    def _check_can_use(self, member: Member, message: EmulatedMessage) -> None:
        if message.deleted:
            raise EmulatorUsageError(f"message {message.id} was deleted")
        if (
            message.ephemeral
            and message.interaction is not None
            and message.interaction.user is not member
        ):
            raise EmulatorUsageError(f"{member.name} cannot see ephemeral message {message.id}")

    def _component_source(self, message: EmulatedMessage) -> EmulatedMessage:
        # Always act on the latest version the emulator holds.
        latest = self._messages.get(message.id)
        return latest if latest is not None else message

    async def _click(
        self,
        member: Member,
        message: EmulatedMessage,
        label: str,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult:
        message = self._component_source(message)
        self._check_can_use(member, message)
        button = message.button(label)
        if button.get("disabled"):
            raise EmulatorUsageError(f"button {label!r} on message {message.id} is disabled")
        if button.get("style") in (5, 6):
            raise EmulatorUsageError(
                f"button {label!r} is a link/premium button: clicking sends nothing"
            )
        data: dict[str, Any] = {"custom_id": button["custom_id"], "component_type": 2}
        if "id" in button:
            data["id"] = button["id"]
        channel = message.channel
        dm = channel is not None and channel.type == DM_CHANNEL
        result = self._new_interaction(
            member,
            channel,
            dm,
            3,
            data,
            f"click on {label!r} by {member.name}",
            source=message,
        )
        if wait:
            await result.response(timeout)
        return result

    async def _select(
        self,
        member: Member,
        message: EmulatedMessage,
        values: list[Any],
        which: str | None,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult:
        message = self._component_source(message)
        self._check_can_use(member, message)
        selects = message.selects
        if which is not None:
            selects = [s for s in selects if which in (s.get("custom_id"), s.get("placeholder"))]
        if len(selects) != 1:
            names = [s.get("custom_id") for s in message.selects]
            raise EmulatorUsageError(
                f"message {message.id}: name one select menu (custom_id or placeholder) of {names}"
            )
        select = selects[0]
        if select.get("disabled"):
            raise EmulatorUsageError(f"select {select.get('custom_id')!r} is disabled")
        low, high = select.get("min_values", 1), select.get("max_values", 1)
        if not low <= len(values) <= high:
            raise EmulatorUsageError(
                f"select {select.get('custom_id')!r} takes {low}-{high} values, got {len(values)}"
            )
        stype = select.get("type", 3)
        data: dict[str, Any] = {"custom_id": select["custom_id"], "component_type": stype}
        if "id" in select:
            data["id"] = select["id"]
        if stype == 3:
            picked = []
            for value in values:
                option = next(
                    (
                        o
                        for o in select.get("options") or ()
                        if value in (o.get("value"), o.get("label"))
                    ),
                    None,
                )
                if option is None:
                    offered = [o.get("value") for o in select.get("options") or ()]
                    raise EmulatorUsageError(
                        f"select {select['custom_id']!r} has no option {value!r}; "
                        f"it offers {offered}"
                    )
                picked.append(option["value"])
            data["values"] = picked
        else:
            resolved: dict[str, dict[str, Any]] = {}
            otype = {5: 6, 6: 8, 7: 9, 8: 7}[stype]
            fake = {"type": otype, "name": select["custom_id"]}
            data["values"] = [self._option_value(fake, v, "select", resolved, True) for v in values]
            data["resolved"] = resolved
        channel = message.channel
        dm = channel is not None and channel.type == DM_CHANNEL
        result = self._new_interaction(
            member,
            channel,
            dm,
            3,
            data,
            f"select {select['custom_id']!r}={data['values']!r} by {member.name}",
            source=message,
        )
        if wait:
            await result.response(timeout)
        return result

    async def _submit_modal(
        self,
        modal: EmulatedModal,
        member: Member,
        values: dict[str, Any],
        *,
        wait: bool,
        timeout: float | None,
        force: bool = False,
    ) -> InteractionResult:
        opened = modal.opened_by
        if member is not opened.user:
            raise EmulatorUsageError(
                f"the modal was shown to {opened.user.name}, not {member.name}"
            )
        remaining = dict(values)

        def take(item: Mapping[str, Any], label: str | None) -> Any:
            for key in (item.get("custom_id"), label):
                if key is not None and key in remaining:
                    return remaining.pop(key)
            return None

        def submitted(item: Mapping[str, Any], label: str | None) -> dict[str, Any]:
            value = take(item, label)
            out: dict[str, Any] = {"type": item.get("type"), "custom_id": item.get("custom_id")}
            if "id" in item:
                out["id"] = item["id"]
            name = label or item.get("custom_id")
            if item.get("type") == rules.COMPONENT_TEXT_INPUT:
                text = item.get("value") or "" if value is None else str(value)
                if item.get("required", True) and not text and not force:
                    raise EmulatorUsageError(f"modal field {name!r} is required")
                low, high = item.get("min_length", 0), item.get("max_length", 4000)
                if text and not low <= len(text) <= high and not force:
                    raise EmulatorUsageError(
                        f"modal field {name!r} takes {low}-{high} characters, got {len(text)}"
                    )
                out["value"] = text
            else:
                picked = [] if value is None else [value] if isinstance(value, str) else list(value)
                out["values"] = [str(v) for v in picked]
            return out

        components = []
        for comp in modal.data.get("components") or []:
            ctype = comp.get("type")
            if ctype == rules.COMPONENT_ACTION_ROW:
                row = [
                    submitted(child, child.get("label")) for child in comp.get("components") or []
                ]
                components.append(
                    {"type": 1, **({"id": comp["id"]} if "id" in comp else {}), "components": row}
                )
            elif ctype == rules.COMPONENT_LABEL:
                inner = submitted(comp.get("component") or {}, comp.get("label"))
                components.append(
                    {"type": 18, **({"id": comp["id"]} if "id" in comp else {}), "component": inner}
                )
        if remaining:
            raise EmulatorUsageError(
                f"modal {modal.title!r} has no field(s) {list(remaining)}; "
                f"fields: {[i.get('label') or i.get('custom_id') for i in modal.inputs]}"
            )
        data = {"custom_id": modal.custom_id, "components": components}
        channel = opened.channel
        dm = channel is not None and channel.type == DM_CHANNEL
        result = self._new_interaction(
            member,
            channel,
            dm,
            5,
            data,
            f"submit of modal {modal.title!r} by {member.name}",
            source=opened.source_message,
        )
        if wait:
            await result.response(timeout)
        return result

    # ==== interactions: the bot answering ====================================================

    async def _callback(self, request: web.Request) -> web.StreamResponse:
        interaction_id = _int(request.match_info["interaction_id"])
        result = self.interactions.get(interaction_id)
        route = f"POST /interactions/{interaction_id}/<token>/callback"
        if result is None or result.token != request.match_info["token"] or result.expired:
            if result is not None and result.expired:
                log.warning(
                    "callback for %s after the acknowledgement deadline", result.description
                )
            return error_response(404, 10062, "Unknown interaction")
        payload, files = await self._read_body(request)
        if result.acknowledged:
            return self._reject_one(
                "double_response",
                f"{result.description} was answered twice (already answered with type "
                f"{result.response_type}, now type {payload.get('type')})",
                route,
                status=400,
                code=40060,
                message="Interaction has already been acknowledged.",
                interaction=result,
            )
        rtype = payload.get("type")
        allowed = ALLOWED_CALLBACKS.get(result.type, set())
        if result.type == 5 and result.source_message is None:
            allowed = {4, 5}
        if rtype not in allowed:
            problem = rules.Problem(
                "invalid_response_type",
                ("type",),
                f"Response type {rtype} is not valid for a {result.kind} "
                f"interaction (allowed: {sorted(allowed)}).",
                "INTERACTION_RESPONSE_TYPE_INVALID",
            )
            return self._reject([problem], route, interaction=result)
        data = payload.get("data") or {}
        sizes = [(f[1], len(f[2])) for f in files]
        problems: list[rules.Problem] = []
        if rtype == 4:
            problems = rules.check_message(
                data, file_sizes=sizes, attachment_limit=self.attachment_size_limit
            )
        elif rtype == 7:
            assert result.source_message is not None
            problems = self._check_edit(result.source_message, data, files)
        elif rtype == 9:
            problems = rules.check_modal(data)
        elif rtype == 8:
            problems = rules.check_autocomplete(data)
        if problems:
            prefixed = [
                rules.Problem(
                    p.rule,
                    ("data", *p.path) if p.path[:1] != ("data",) else p.path,
                    p.message,
                    p.code,
                )
                for p in problems
            ]
            return self._reject(prefixed, route, interaction=result)

        result.acknowledged = True
        result.acknowledged_at = asyncio.get_running_loop().time()
        result.response_type = rtype
        result.response_data = data
        if result._deadline is not None:
            result._deadline.cancel()
            self._deadlines.discard(result._deadline)
            result._deadline = None
        channel = result.channel
        assert channel is not None
        msg: EmulatedMessage | None = None
        if rtype == 4:
            msg = self._create_message(
                channel,
                data,
                files,
                interaction=result,
                msg_type=20 if result.type == 2 else 0,
                flags=(data.get("flags") or 0),
            )
            result.original = msg
        elif rtype == 5:
            flags = rules.FLAG_LOADING | ((data.get("flags") or 0) & rules.FLAG_EPHEMERAL)
            result.original = None
            msg = self._create_message(
                channel,
                {},
                [],
                interaction=result,
                msg_type=20 if result.type == 2 else 0,
                flags=flags,
            )
            result.original = msg
        elif rtype == 6:
            result.original = result.source_message
        elif rtype == 7:
            assert result.source_message is not None
            msg = self._edit_message(result.source_message, data, files)
            result.original = msg
        elif rtype == 8:
            result.choices = list(data.get("choices") or [])
        elif rtype == 9:
            result.modal = EmulatedModal(self, data, result)
        result.waiters.notify()

        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        info: dict[str, Any] = {"id": str(result.id), "type": result.type}
        body: dict[str, Any] = {"interaction": info, "resource": {"type": rtype}}
        if msg is not None:
            info["response_message_id"] = str(msg.id)
            info["response_message_loading"] = msg.loading
            info["response_message_ephemeral"] = msg.ephemeral
            body["resource"]["message"] = msg.data
        return json_response(body)

    def _webhook_interaction(
        self, request: web.Request, route: str
    ) -> InteractionResult | web.Response:
        result = self._by_token.get(request.match_info["token"])
        if result is None or _int(request.match_info["app_id"]) != self.application_id:
            return error_response(404, 10015, "Unknown Webhook")
        if not result.acknowledged:
            return self._reject_one(
                "webhook_before_response",
                f"the bot used the webhook of {result.description} before acknowledging it",
                route,
                status=404,
                code=10015,
                message="Unknown Webhook",
                interaction=result,
            )
        return result

    async def _post_followup(self, request: web.Request) -> web.StreamResponse:
        route = "POST /webhooks/<app>/<token>"
        result = self._webhook_interaction(request, route)
        if isinstance(result, web.Response):
            return result
        payload, files = await self._read_body(request)
        original = result.original
        filling = result.response_type == 5 and original is not None and original.loading
        if filling:
            assert original is not None
            problems = self._check_edit(original, payload, files)
        else:
            problems = rules.check_message(
                payload,
                file_sizes=[(f[1], len(f[2])) for f in files],
                attachment_limit=self.attachment_size_limit,
            )
        if problems:
            return self._reject(problems, route, interaction=result)
        if filling:
            assert original is not None
            # The first followup after a "thinking" defer replaces the loading message.
            msg = self._edit_message(original, payload, files, fill_deferred=True)
        else:
            assert result.channel is not None
            msg = self._create_message(
                result.channel,
                payload,
                files,
                interaction=result,
                msg_type=20 if result.type == 2 else 0,
                flags=payload.get("flags") or 0,
            )
        result.followups.append(msg)
        result.waiters.notify()
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response(msg.data)

    def _webhook_message(
        self, request: web.Request, route: str
    ) -> tuple[InteractionResult, EmulatedMessage] | web.Response:
        result = self._webhook_interaction(request, route)
        if isinstance(result, web.Response):
            return result
        key = request.match_info["message_id"]
        if key == "@original":
            msg = result.original
        else:
            msg = self._messages.get(_int(key))
            if msg is not None and msg is not result.original and msg not in result.followups:
                msg = None
        if msg is None or msg.deleted:
            return self._reject_one(
                "unknown_message",
                f"{route}: {result.description} has no message {key}",
                route,
                status=404,
                code=10008,
                message="Unknown Message",
                interaction=result,
            )
        return result, msg

    async def _webhook_get(self, request: web.Request) -> web.StreamResponse:
        found = self._webhook_message(request, "GET /webhooks/<app>/<token>/messages/<id>")
        if isinstance(found, web.Response):
            return found
        return json_response(found[1].data)

    async def _webhook_patch(self, request: web.Request) -> web.StreamResponse:
        route = f"PATCH /webhooks/<app>/<token>/messages/{request.match_info['message_id']}"
        found = self._webhook_message(request, route)
        if isinstance(found, web.Response):
            return found
        result, msg = found
        payload, files = await self._read_body(request)
        problems = self._check_edit(msg, payload, files)
        if problems:
            return self._reject(problems, route, interaction=result)
        self._edit_message(msg, payload, files)
        result.waiters.notify()
        return json_response(msg.data)

    async def _webhook_delete(self, request: web.Request) -> web.StreamResponse:
        route = f"DELETE /webhooks/<app>/<token>/messages/{request.match_info['message_id']}"
        found = self._webhook_message(request, route)
        if isinstance(found, web.Response):
            return found
        self._delete(found[1])
        return web.Response(status=204)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
