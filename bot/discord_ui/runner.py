"""Start the real bot against Discord (or wherever DISCORD_API_BASE points), stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord

from bot.config import Settings

from .client import WorkshopBot, point_discord_at

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 8.0  # seconds for in-flight work on SIGTERM, within a 10 s stop budget


def make_bot(settings: Settings, **options: object) -> WorkshopBot:
    """A WorkshopBot, sharded when SHARD_COUNT is set ('auto' lets Discord decide)."""
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    if settings.shard_count is None:
        return WorkshopBot(settings, **options)

    class ShardedWorkshopBot(WorkshopBot, discord.AutoShardedClient):  # type: ignore[misc]
        pass

    if isinstance(settings.shard_count, int):
        options.setdefault("shard_count", settings.shard_count)
    return ShardedWorkshopBot(settings, **options)


async def serve(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM or a fatal error. Returns the process exit code."""
    assert settings.discord_token
    bot = make_bot(settings)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    runner = asyncio.create_task(bot.start(settings.discord_token), name="workshop-bot")
    stopper = asyncio.create_task(stopping.wait())
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # raises what stopped it
            return 0
        log.info("stopping: finishing work in flight")
        await asyncio.wait_for(bot.close(), timeout=SHUTDOWN_GRACE)
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        return 0
    except discord.LoginFailure:
        log.error("Discord rejected the token (DISCORD_TOKEN). Copy it again from the Developer "
                  "Portal: Applications → your app → Bot → Reset Token.")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord refused a privileged intent; this bot needs none. Is DISCORD_TOKEN "
                  "the token of the right application?")
        return 1
    finally:
        stopper.cancel()
        if not bot.is_closed():
            await bot.close()
