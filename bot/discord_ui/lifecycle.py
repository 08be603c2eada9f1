"""Start the real bot against Discord (or wherever DISCORD_API_BASE points), stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

import discord

from bot.config import Settings
from bot.models import Library

from .client import WorkshopBot, point_discord_at

log = logging.getLogger(__name__)

STOP_BUDGET = 9.0  # seconds from SIGTERM to exit (service managers allow 10 s by default)
SHUTDOWN_GRACE = 6.0  # of which for interactions in flight; the rest closes HTTP and database
# discord.py names the tasks it starts per event and per interaction with these prefixes.
IN_FLIGHT_TASK_PREFIXES = (
    "discord.py: ",  # listeners (on_interaction: modal submissions)
    "CommandTree-invoker",  # slash commands and autocomplete
    "discord-ui-",  # buttons, selects, modals (views and dynamic items)
)


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


async def serve(settings: Settings, library: Library | None = None) -> int:
    """Run until SIGINT/SIGTERM or a fatal error. Returns the process exit code.

    On the first SIGINT/SIGTERM: leave the gateway (no new interactions arrive), let the
    interactions already received finish (their answers saved and acknowledged), then close
    the HTTP session and the database; all within :data:`STOP_BUDGET`. A second signal cuts the
    wait for work in flight short (queued database writes are still committed).
    """
    assert settings.discord_token
    bot = make_bot(settings, library=library)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    hurry = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        if stopping.is_set():
            log.warning("%s again: not waiting for work in flight", sig.name)
            hurry.set()
        else:
            log.info("%s received", sig.name)
            stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)
    runner = asyncio.create_task(bot.start(settings.discord_token), name="workshop-bot")
    stopper = asyncio.create_task(stopping.wait())
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # raises what stopped it
            return 0
        return 0 if await shutdown(bot, runner, hurry=hurry) else 1
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
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
        if not bot.is_closed():
            await bot.close()


async def shutdown(
    bot: WorkshopBot, runner: asyncio.Task[None], *, hurry: asyncio.Event | None = None
) -> bool:
    """Stop ``bot`` (started by the task ``runner``) without losing work in flight. False if
    closing did not finish within the stop budget."""
    started = time.monotonic()
    log.info("stopping: leaving the gateway, so no new interactions arrive")
    await stop_gateway(bot, runner)
    pending = in_flight_tasks()
    if pending:
        log.info("stopping: finishing %d interaction task(s) in flight", len(pending))
    left = await drain(SHUTDOWN_GRACE, hurry=hurry)
    if left:
        log.warning("stopping: %d interaction task(s) still running after %.1f s; stopping "
                    "anyway (their queued database writes are still committed)", left,
                    time.monotonic() - started)
    remaining = max(1.0, STOP_BUDGET - (time.monotonic() - started))
    try:
        await asyncio.wait_for(bot.close(), timeout=remaining)
    except TimeoutError:
        log.error("stopping: closing the connections and the database took longer than %.1f s",
                  remaining)
        return False
    log.info("stopped cleanly in %.2f s: database closed", time.monotonic() - started)
    return True


async def stop_gateway(bot: discord.Client, runner: asyncio.Task[None]) -> None:
    """Leave the gateway but keep the HTTP session, so handlers running can still answer.

    Cancelling the task running ``connect()`` stops reading events (and reconnecting); the
    websocket is then closed with 1000 so Discord stops sending to this session.
    """
    shards = getattr(bot, "shards", None)
    if isinstance(bot, discord.AutoShardedClient) and shards:
        for info in shards.values():
            with contextlib.suppress(Exception):
                await info.disconnect()
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await runner
    ws = bot.ws
    if ws is not None and ws.open:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code=1000), timeout=2.0)


def in_flight_tasks() -> set[asyncio.Task[object]]:
    """The tasks discord.py started for events and interactions that have not finished."""
    current = asyncio.current_task()
    return {
        task for task in asyncio.all_tasks()
        if task is not current and not task.done()
        and task.get_name().startswith(IN_FLIGHT_TASK_PREFIXES)
    }


async def drain(grace: float, *, hurry: asyncio.Event | None = None) -> int:
    """Wait until no interaction task is running (new ones a finishing task starts count too),
    at most ``grace`` seconds or until ``hurry`` is set. Returns how many are left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    hurried = asyncio.ensure_future(hurry.wait()) if hurry is not None else None
    try:
        while True:
            pending = in_flight_tasks()
            remaining = deadline - loop.time()
            if not pending or remaining <= 0 or (hurried is not None and hurried.done()):
                return len(pending)
            all_done = asyncio.ensure_future(asyncio.wait(pending))
            waiting: set[asyncio.Future[object]] = {all_done}
            if hurried is not None:
                waiting.add(hurried)
            try:
                await asyncio.wait(waiting, timeout=remaining,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                all_done.cancel()  # stops waiting only; the tasks themselves go on
    finally:
        if hurried is not None:
            hurried.cancel()
