"""The emulator's state: settings, the clock, ids, every guild/channel/person/message it knows,
the interactions people started, listeners, and the waits tests are blocked on."""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.emulator._util import EmulatorError, EmulatorTimeout, SnowflakeGenerator, Waiters, iso
from bot.emulator.records import Violation
from bot.emulator.world import (
    Channel,
    EmulatedAttachment,
    EmulatedMessage,
    Guild,
    Host,
    InteractionResult,
    Member,
)

log = logging.getLogger("bot.emulator")

T = TypeVar("T")

TOKEN_LIFETIME = 15 * 60  # interaction tokens (webhook followups, @original) live 15 minutes


@dataclass
class Config:
    """Settings tests may change while the emulator runs (``emu.ack_deadline = 0.1``)."""

    token: str
    bot_name: str
    application_id: int
    owner_user_id: int
    ack_deadline: float | None
    attachment_size_limit: int
    default_timeout: float
    dispatch_bot_messages: bool
    host: str
    port: int

    @property
    def bot_user_id(self) -> int:
        return self.application_id

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"


class Clock:
    """The emulator's time: the event loop's clock (or an injected one) plus whatever a test
    moved it forward with :meth:`advance`. Wall-clock times (timestamps, snowflakes,
    ``X-RateLimit-Reset``) move forward by the same amount."""

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self._source = source
        self.offset = 0.0

    def now(self) -> float:
        if self._source is not None:
            return self._source() + self.offset
        try:
            return asyncio.get_running_loop().time() + self.offset
        except RuntimeError:
            return time.monotonic() + self.offset

    def wall_time(self) -> float:
        return time.time() + self.offset

    def iso_now(self) -> str:
        """The wall-clock time, moved on like :meth:`wall_time`, as Discord writes it."""
        return iso(dt.datetime.fromtimestamp(self.wall_time(), tz=dt.UTC))

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        self.offset += seconds


class Waits:
    """Futures tests are waiting on; all fail at once when the bot's connection dies."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._pending: set[asyncio.Future[Any]] = set()
        self.fatal: BaseException | None = None

    async def wait(
        self, waiters: Waiters, check: Callable[[], T | None], what: str, timeout: float | None
    ) -> T:
        timeout = self._config.default_timeout if timeout is None else timeout

        def guarded() -> T | None:
            if self.fatal is not None:
                raise self.fatal
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

    def fail_all(self, exc: BaseException) -> None:
        for fut in list(self._pending):
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: nobody may be awaiting any more

    def stopped(self) -> None:
        self.fail_all(EmulatorError("the emulator was stopped while a test was waiting"))


class State:
    """Every object the emulator knows, by id, plus its clock, ids, records and listeners."""

    def __init__(self, config: Config, clock: Clock, ids: SnowflakeGenerator) -> None:
        self.config = config
        self.clock = clock
        self.ids = ids
        self.waits = Waits(config)
        self.guilds: dict[int, Guild] = {}
        self.global_commands: dict[tuple[int, str], dict[str, Any]] = {}
        self.channels: dict[int, Channel] = {}
        self.users: dict[int, Member] = {}
        self.messages: dict[int, EmulatedMessage] = {}
        self.attachments: dict[int, EmulatedAttachment] = {}
        self.interactions: dict[int, InteractionResult] = {}
        self.by_token: dict[str, InteractionResult] = {}
        self.violations: list[Violation] = []
        self.listeners: list[Callable[[str, Any], None]] = []
        self.host: Host  # what world objects are built with; set by the server

    def next_id(self) -> int:
        return self.ids.next()

    def now(self) -> float:
        return self.clock.now()

    def register_channel(self, channel: Channel) -> None:
        if channel.guild is not None:
            channel.guild.channels[channel.id] = channel
        self.channels[channel.id] = channel

    def bot_user_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.config.bot_user_id),
            "username": self.config.bot_name,
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "bot": True,
        }

    def token_expired(self, result: InteractionResult) -> bool:
        """Discord keeps an interaction's token for 15 minutes after the interaction."""
        return self.now() - result.created > TOKEN_LIFETIME

    def emit(self, event: str, obj: Any) -> None:
        for callback in list(self.listeners):
            try:
                callback(event, obj)
            except Exception:
                log.exception("emulator listener %r failed on %s", callback, event)
