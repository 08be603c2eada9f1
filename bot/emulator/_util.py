"""Small shared pieces: snowflakes, timestamps, JSON responses, errors and event waiters."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

DISCORD_EPOCH_MS = 1_420_070_400_000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    """One HTTP route an emulator component serves.

    ``path`` is under ``/api/v10`` unless ``absolute``; ``bot_only`` routes need the bot's
    ``Authorization: Bot <token>`` (interaction callbacks and webhooks do not, as on Discord).
    """

    method: str
    path: str
    handler: Handler
    bot_only: bool = True
    absolute: bool = False


class EmulatorError(AssertionError):
    """Base class of the errors the emulator raises into tests (an ``AssertionError``)."""


class EmulatorTimeout(EmulatorError):
    """Something a test waited for did not happen in time; the message says what."""


class EmulatorUsageError(EmulatorError):
    """A script asked a person to do something Discord's client would not let them do."""


class DiscordRuleViolation(EmulatorError):
    """The bot sent something Discord would have rejected (see ``Emulator.violations``)."""

    def __init__(self, violation: Any) -> None:
        super().__init__(str(violation))
        self.violation = violation


class BotConnectionLost(EmulatorError):
    """The bot's ``connect()`` task ended while a test was waiting on it."""


class SnowflakeGenerator:
    """Discord snowflakes: milliseconds since 2015-01-01 shifted left 22 bits, plus a counter.

    Ids are strictly increasing, so they sort in creation order like Discord's.
    """

    __slots__ = ("_last", "_wall_time")

    def __init__(self, wall_time: Callable[[], float] = time.time) -> None:
        self._last = 0
        self._wall_time = wall_time

    def next(self) -> int:
        now = (int(self._wall_time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(now | (1 << 17), self._last + 1)
        self._last = value
        return value


def snowflake_time(snowflake: int) -> dt.datetime:
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso(moment: dt.datetime | None = None) -> str:
    """An ISO-8601 timestamp as Discord writes them (``2024-01-01T12:00:00.000000+00:00``)."""
    moment = moment or dt.datetime.now(dt.UTC)
    return moment.isoformat(timespec="microseconds")


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(data: Any) -> str:
    return _dumps(data)


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Content-Type exactly ``application/json`` (what discord.py expects)."""
    return web.Response(
        body=_dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def to_int(value: Any) -> int:
    """A snowflake or number from a path or body; -1 when it is not one (never raises)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def error_response(status: int, code: int, message: str, errors: Any = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


class Waiters:
    """Futures waiting for a condition on some piece of state; ``notify()`` re-checks them.

    A check returns ``None`` while the condition does not hold, or the value to hand back.
    A check may raise to fail the wait (for example when a rule violation happened).
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, check: Callable[[], Any], fut: asyncio.Future[Any]) -> None:
        self._items.append((check, fut))

    def notify(self) -> None:
        if not self._items:
            return
        keep: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        for check, fut in self._items:
            if fut.done():
                continue
            try:
                value = check()
            except BaseException as exc:
                fut.set_exception(exc)
                continue
            if value is None:
                keep.append((check, fut))
            else:
                fut.set_result(value)
        self._items = keep

    def fail(self, exc: BaseException) -> None:
        items, self._items = self._items, []
        for _check, fut in items:
            if not fut.done():
                fut.set_exception(exc)
