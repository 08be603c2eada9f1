"""Rate limits and the request log: 429s a test scripts (``emu.rate_limit``), Discord's own
per-route buckets and global limit (opt-in, ``Emulator(rate_limits="discord")``), and a record
of every REST request (route, path, time, status) for tests to assert on."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.emulator._util import EmulatorUsageError, Handler, dumps
from bot.emulator.records import RateLimitRecord, RequestRecord
from bot.emulator.state import State

log = logging.getLogger("bot.emulator")

API = "/api/v10"


@dataclass(frozen=True)
class Bucket:
    """``limit`` requests per ``per`` seconds on one route, counted per channel (or guild)."""

    limit: int
    per: float
    name: str  # what X-RateLimit-Bucket says


# What Discord answers in practice for the routes the bot's features lean on (5 per 5 s per
# channel for sending and for editing messages). Interaction callbacks and interaction
# webhooks are not limited here, nor by the global limit (Discord exempts them).
DISCORD_BUCKETS: dict[str, Bucket] = {
    "POST /channels/{channel_id}/messages": Bucket(5, 5.0, "emu-message-create"),
    "PATCH /channels/{channel_id}/messages/{message_id}": Bucket(5, 5.0, "emu-message-edit"),
}
DISCORD_GLOBAL_LIMIT = 50  # requests per second for a bot, interaction endpoints excepted

RateLimitsLike = str | Mapping[str, tuple[int, float]] | None


def buckets_for(rate_limits: RateLimitsLike) -> dict[str, Bucket]:
    """``"discord"`` → Discord's buckets; a mapping ``{route: (limit, per_seconds)}`` → Discord's
    buckets with those routes replaced or added; ``None`` → no buckets."""
    if rate_limits is None:
        return {}
    if rate_limits == "discord":
        return dict(DISCORD_BUCKETS)
    if isinstance(rate_limits, str):
        raise EmulatorUsageError(f"rate_limits: 'discord', a mapping or None, not {rate_limits!r}")
    out = dict(DISCORD_BUCKETS)
    for route, (limit, per) in rate_limits.items():
        if limit < 1 or per <= 0:
            raise EmulatorUsageError(f"rate limit for {route!r} needs limit >= 1 and per > 0")
        out[route] = Bucket(limit, per, hashlib.sha1(route.encode()).hexdigest()[:16])
    return out


def max_in_window(times: Iterable[float], window: float) -> int:
    """The most events within any ``window`` seconds (``[t, t + window)``: two events exactly
    ``window`` apart fall in different windows, as with a rate limit's fixed windows)."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def route_template(request: web.Request) -> str:
    """``"PATCH /channels/{channel_id}/messages/{message_id}"`` for a request."""
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    return f"{request.method} {template.removeprefix(API)}"


def _exempt_from_global(template: str) -> bool:
    path = template.split(" ", 1)[1]
    return path.startswith(("/interactions/", "/webhooks/"))


@dataclass
class _ScriptedLimit:
    route: str | None  # None: any REST route
    remaining: int
    retry_after: float
    is_global: bool


class RateLimiter:
    """In front of every REST route (see :meth:`wrap`)."""

    def __init__(
        self,
        state: State,
        *,
        rate_limits: RateLimitsLike = None,
        global_limit: int | None = DISCORD_GLOBAL_LIMIT,
        log_size: int = 10_000,
    ) -> None:
        self._state = state
        self.buckets = buckets_for(rate_limits)
        self.global_limit = global_limit if rate_limits is not None else None
        self.rate_limited: list[RateLimitRecord] = []  # every 429 served, in order
        self.request_counts: Counter[str] = Counter()  # REST requests per route template
        self.log: deque[RequestRecord] = deque(maxlen=log_size or None)
        self._log_requests = log_size > 0
        self._scripted: list[_ScriptedLimit] = []
        self._awaiting_retry: dict[str, RateLimitRecord] = {}
        self._windows: dict[tuple[str, str], list[float]] = {}  # key → [remaining, reset_at]
        self._global_window = [0.0, 0.0]  # [requests so far, reset_at]

    def script(self, count: int, route: str | None, retry_after: float, is_global: bool) -> None:
        if count < 1 or retry_after < 0:
            raise EmulatorUsageError("rate_limit needs count >= 1 and retry_after >= 0")
        self._scripted.append(_ScriptedLimit(route, count, retry_after, is_global))

    def wrap(self, handler: Handler) -> Handler:
        """``handler`` behind the limiter. (A wrapper rather than an aiohttp middleware: aiohttp
        caches middleware chains per handler, which kept every stopped emulator alive.)"""

        async def limited(request: web.Request) -> web.StreamResponse:
            return await self.handle(request, handler)

        return limited

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        state = self._state
        now = state.now()
        template = route_template(request)
        self.request_counts[template] += 1
        record = RequestRecord(template, f"{request.method} {request.path.removeprefix(API)}", now)
        if self._log_requests:
            self.log.append(record)
        if self._awaiting_retry:
            retried = self._awaiting_retry.pop(f"{request.method} {request.path}", None)
            if retried is not None:
                retried.retried_at = now
        response = self._limited(request, template, now)
        headers: dict[str, str] = {}
        if response is None:
            bucket = self.buckets.get(template)
            if bucket is not None:
                response, headers = self._take(request, template, bucket, now)
        if response is None:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                record.status = exc.status
                raise
            response.headers.update(headers)
        record.status = response.status
        if response.status >= 400 and isinstance(response, web.Response):
            record.code = _error_code(response)
        return response

    def _limited(self, request: web.Request, template: str, now: float) -> web.Response | None:
        """A scripted 429, or the global limit's."""
        rule = next((r for r in self._scripted if r.route is None or r.route == template), None)
        if rule is not None:
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._scripted.remove(rule)
            return self._too_many(request, template, rule.retry_after, rule.is_global, now)
        if self.global_limit is None or _exempt_from_global(template):
            return None
        window = self._global_window
        if now >= window[1]:
            window[0], window[1] = 0, now + 1.0
        if window[0] >= self.global_limit:
            return self._too_many(request, template, window[1] - now, True, now)
        window[0] += 1
        return None

    def _take(
        self, request: web.Request, template: str, bucket: Bucket, now: float
    ) -> tuple[web.Response | None, dict[str, str]]:
        """One request from ``bucket``: (a 429 if it is empty, the headers to answer with)."""
        info = request.match_info
        major = info.get("channel_id") or info.get("guild_id") or ""
        window = self._windows.get((template, major))
        if window is None or now >= window[1]:
            window = self._windows[(template, major)] = [bucket.limit, now + bucket.per]
        reset_after = _ceil_ms(window[1] - now)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(0, int(window[0]) - 1)),
            "X-RateLimit-Reset": f"{self._state.clock.wall_time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.name,
        }
        if window[0] <= 0:
            headers["X-RateLimit-Remaining"] = "0"
            return self._too_many(
                request, template, reset_after, False, now, headers, bucket=bucket.name
            ), headers
        window[0] -= 1
        return None, headers

    def _too_many(
        self,
        request: web.Request,
        template: str,
        retry_after: float,
        is_global: bool,
        now: float,
        route_headers: Mapping[str, str] | None = None,
        *,
        bucket: str | None = None,
    ) -> web.Response:
        retry_after = _ceil_ms(retry_after)
        record = RateLimitRecord(
            route=template,
            path=f"{request.method} {request.path}",
            retry_after=retry_after,
            is_global=is_global,
            served_at=now,
            bucket=bucket,
        )
        self.rate_limited.append(record)
        self._awaiting_retry[record.path] = record
        log.debug("429 for %s (retry after %gs)", record.path, retry_after)
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        headers = {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{self._state.clock.wall_time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            **(route_headers or {}),
            "Content-Type": "application/json",
            "Via": "1.1 google",  # without it discord.py takes a 429 for a Cloudflare ban
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return web.Response(status=429, body=dumps(body).encode(), headers=headers)

    def forget(self) -> None:
        self.log.clear()
        self._awaiting_retry.clear()


def _ceil_ms(seconds: float) -> float:
    """Round up to the millisecond: a client waiting this long finds the window reset."""
    return math.ceil(max(0.0, seconds) * 1000) / 1000


def _error_code(response: web.Response) -> int | None:
    body = response.body
    if not isinstance(body, bytes) or not body.startswith(b"{"):
        return None
    try:
        code = json.loads(body).get("code")
    except ValueError:
        return None
    return code if isinstance(code, int) else None
