"""Run a discord.py client against an :class:`~bot.emulator.server.Emulator`."""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TypeVar

import discord
import discord.gateway
import discord.http

from bot.emulator._util import BotConnectionLost, EmulatorTimeout
from bot.emulator.patch import point_discord_at
from bot.emulator.server import Emulator

log = logging.getLogger("bot.emulator")

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_bot(
    emu: Emulator, bot: ClientT, *, token: str | None = None, timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Start ``emu`` if needed, log ``bot`` in, connect it and wait until it is ready.

    On exit: ``bot.close()``, await the connect task, put discord.py's REST base and gateway back
    as they were, and stop the emulator if this started it.
    ``token`` defaults to ``emu.token`` (another one makes ``login`` raise ``LoginFailure``).
    Give the bot a small ``guild_ready_timeout`` (e.g. 0.01) or start-up waits 2 s per ready.
    If the connect task dies while the bot runs, every pending emulator wait fails at once.
    """
    started_here = not emu.running
    if started_here:
        await emu.start()
    previous = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_discord_at(emu.api_base, emu.gateway_url)
    task: asyncio.Task[None] | None = None
    try:
        await bot.login(emu.token if token is None else token)
        task = asyncio.create_task(bot.connect(reconnect=True), name="discord-bot-connect")
        emu.watch_bot_task(task)
        ready = asyncio.ensure_future(bot.wait_until_ready())
        try:
            async with asyncio.timeout(timeout):
                await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            raise EmulatorTimeout(
                f"timed out after {timeout:g}s waiting for the bot to be ready"
            ) from None
        finally:
            if not ready.done():
                ready.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ready
        if task.done():
            task.result()
            raise BotConnectionLost("the bot's connect() returned before it was ready")
        yield bot
    finally:
        emu.unwatch_bot_task()
        await bot.close()
        if task is not None:
            await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.error("the bot's connect() task failed", exc_info=task.exception())
        discord.http.Route.BASE = previous[0]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous[1]
        if started_here:
            await emu.stop()
