"""Rate limits: 429s a test scripts (``emu.rate_limit``), and the request counts per route."""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from bot.emulator._util import EmulatorUsageError, Handler, dumps
from bot.emulator.records import RateLimitRecord
from bot.emulator.state import State

log = logging.getLogger("bot.emulator")

API = "/api/v10"


@dataclass
class _ScriptedLimit:
    route: str | None  # None: any REST route
    remaining: int
    retry_after: float
    is_global: bool


def route_template(request: web.Request) -> str:
    """``"PATCH /channels/{channel_id}/messages/{message_id}"`` for a request."""
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    return f"{request.method} {template.removeprefix(API)}"


class RateLimiter:
    """The aiohttp middleware in front of every REST route."""

    def __init__(self, state: State) -> None:
        self._state = state
        self.rate_limited: list[RateLimitRecord] = []  # every 429 served, in order
        self.request_counts: Counter[str] = Counter()  # REST requests per route template
        self._scripted: list[_ScriptedLimit] = []
        self._awaiting_retry: dict[str, RateLimitRecord] = {}

    def script(self, count: int, route: str | None, retry_after: float, is_global: bool) -> None:
        if count < 1 or retry_after < 0:
            raise EmulatorUsageError("rate_limit needs count >= 1 and retry_after >= 0")
        self._scripted.append(_ScriptedLimit(route, count, retry_after, is_global))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        template = route_template(request)
        self.request_counts[template] += 1
        if self._awaiting_retry:
            record = self._awaiting_retry.pop(f"{request.method} {request.path}", None)
            if record is not None:
                record.retried_at = self._state.now()
        rule = next((r for r in self._scripted if r.route is None or r.route == template), None)
        if rule is None:
            return await handler(request)
        rule.remaining -= 1
        if rule.remaining <= 0:
            self._scripted.remove(rule)
        return self._too_many(request, template, rule.retry_after, rule.is_global)

    def _too_many(
        self, request: web.Request, template: str, retry_after: float, is_global: bool
    ) -> web.Response:
        record = RateLimitRecord(
            route=template,
            path=f"{request.method} {request.path}",
            retry_after=retry_after,
            is_global=is_global,
            served_at=self._state.now(),
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
            "Content-Type": "application/json",
            "Via": "1.1 google",  # without it discord.py takes a 429 for a Cloudflare ban
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{self._state.clock.wall_time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return web.Response(status=429, body=dumps(body).encode(), headers=headers)
