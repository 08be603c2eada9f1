"""The gateway: websocket sessions (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME
with replay, member chunks), and dispatching events to the bot's session for a guild."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from bot.emulator._util import Route, Waiters, dumps, json_response
from bot.emulator.records import ResumeRecord
from bot.emulator.state import State
from bot.emulator.world import INTENT_GUILDS, Channel, Guild

log = logging.getLogger("bot.emulator")

INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DM_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_BUFFER = 20_000


class Connection:
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


class Session:
    """A gateway session: sequence numbers and the buffer that RESUME replays from."""

    def __init__(self, session_id: str, intents: int, shard: tuple[int, int]) -> None:
        self.session_id = session_id
        self.intents = intents
        self.shard = shard
        self.seq = 0
        self.buffer: deque[tuple[int, str]] = deque(maxlen=REPLAY_BUFFER)
        self.conn: Connection | None = None

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


class Gateway:
    """Sessions per shard; what the scripting API needs to dispatch and to cut connections."""

    def __init__(self, state: State) -> None:
        self._state = state
        self.sessions: dict[int, Session] = {}
        self.shard_count = 1
        self.connections: set[Connection] = set()
        self.resumes: list[ResumeRecord] = []
        self.identify_count = 0
        self.waiters = Waiters()  # emulator-wide conditions (ready, identified, resumed)

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/gateway/bot", self._get_gateway_bot),
            Route("GET", "/gateway", self._get_gateway, bot_only=False),
            Route("GET", "/gateway", self.handle, bot_only=False, absolute=True),
            Route("GET", "/gateway/", self.handle, bot_only=False, absolute=True),
        ]

    # --- dispatching -------------------------------------------------------------------------

    def session_for(self, guild_id: int | None) -> Session | None:
        if not self.sessions:
            return None
        shard = 0 if guild_id is None else (guild_id >> 22) % self.shard_count
        return self.sessions.get(shard)

    def guild_event(
        self, guild: Guild, event: str, data: Any, *, intent: int = INTENT_GUILDS
    ) -> None:
        session = self.session_for(guild.id)
        if session is not None and session.intents & intent:
            session.dispatch(event, data)

    def guild_created(self, guild: Guild) -> None:
        session = self.session_for(guild.id)
        if session is not None:
            session.dispatch("GUILD_CREATE", guild.to_payload(session.intents))

    def channel_event(self, channel: Channel, event: str, data: dict[str, Any]) -> None:
        """A message event: needs the guild (or DM) messages intent."""
        guild = channel.guild
        session = self.session_for(guild.id if guild else None)
        if session is None:
            return
        intent = INTENT_GUILD_MESSAGES if guild is not None else INTENT_DM_MESSAGES
        if session.intents & intent:
            session.dispatch(event, data)

    def wants_content(self, channel: Channel) -> bool:
        """Whether the bot's session has the message-content intent."""
        session = self.session_for(channel.guild.id if channel.guild else None)
        return session is not None and bool(session.intents & INTENT_MESSAGE_CONTENT)

    # --- scripted connection trouble -----------------------------------------------------------

    def send_reconnect(self) -> int:
        """Op 7 on every live socket; returns the RESUME count to wait for."""
        target = len(self.resumes) + len(self.sessions)
        for session in self.sessions.values():
            conn = session.conn
            if conn is not None and conn.live:
                conn.live = False
                conn.send(dumps({"op": 7, "d": None}))
        return target

    def cut_connections(self) -> int:
        """Abort every TCP connection (no close frame); returns the RESUME count to wait for."""
        target = len(self.resumes) + len(self.sessions)
        for session in self.sessions.values():
            conn = session.conn
            if conn is not None:
                conn.live = False
                if conn.transport is not None:
                    conn.transport.abort()
        return target

    async def close(self) -> None:
        for conn in list(self.connections):
            conn.live = False
            await conn.ws.close(code=1001)
            await conn.close()

    # --- the websocket -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request)
        self.connections.add(conn)
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
        session: Session | None = None
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
            self.connections.discard(conn)
        return ws

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        state = self._state
        if data.get("token") != state.config.token:
            log.warning("IDENTIFY with a wrong token: closing with 4004")
            await conn.close()
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, count = data.get("shard") or (0, 1)
        self.shard_count = count
        session = Session(secrets.token_hex(16), int(data.get("intents") or 0), (shard_id, count))
        old = self.sessions.get(shard_id)
        if old is not None and old.conn is not None:
            old.conn.live = False
        self.sessions[shard_id] = session
        session.conn = conn
        self.identify_count += 1
        guilds = [g for g in state.guilds.values() if (g.id >> 22) % count == shard_id]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {
                **state.bot_user_payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
            },
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": state.config.gateway_url,
            "application": {"id": str(state.config.application_id), "flags": 0},
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
        self.waiters.notify()
        return session

    def _resume(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        session = next(
            (s for s in self.sessions.values() if s.session_id == data.get("session_id")), None
        )
        seq = data.get("seq")
        if (
            session is None
            or data.get("token") != self._state.config.token
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
        self.waiters.notify()
        return session

    def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        guild_id = int(data.get("guild_id") or 0)
        guild = self._state.guilds.get(guild_id)
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

    # --- REST ----------------------------------------------------------------------------------

    async def _get_gateway(self, request: web.Request) -> web.StreamResponse:
        return json_response({"url": self._state.config.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            {
                "url": self._state.config.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )
