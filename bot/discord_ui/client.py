"""The Discord client: wiring of settings, storage, content and the cogs."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import time
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.content import load_library
from bot.engine import Engine
from bot.models import Library
from bot.retention import Retention
from bot.scheduler import Clock
from bot.storage import Database, ProcessLock

from . import gallery
from .board import Boards
from .forms import Drafts
from .items import ITEMS
from .respond import NotInServer, report_error

log = logging.getLogger(__name__)

COGS = (
    "bot.discord_ui.cogs.facilitation",
    "bot.discord_ui.cogs.workshop",
    "bot.discord_ui.cogs.timing",
    "bot.discord_ui.cogs.answering",
    "bot.discord_ui.cogs.examples",
    "bot.discord_ui.cogs.admin",
    "bot.discord_ui.cogs.retention",
)
COMMANDS_HASH_KEY = "global_commands_hash"


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST calls and gateway connection somewhere other than Discord
    (the local emulator, or a proxy)."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        import yarl

        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


# Garbage collection during a burst. discord.py's interactions, views and modals leave cyclic
# garbage, so with the default thresholds (700, 10, 10) a burst of 750 form submissions ran
# ~240 generation-0, ~21 generation-1 and one full collection, 170-205 ms of collector pauses
# in all, the full one alone 127-277 ms (bench/burst.py, 2 cores). Freezing what exists once
# the bot is ready (modules, content, commands, the guild cache: never garbage) takes it out of
# every later collection, and a larger generation-0 threshold makes collections rare: the same
# burst then ran 2 collections, 24-43 ms in all, and throughput went from 1,306-1,536 to
# 1,772-2,073 interactions/s. Memory stays flat across bursts (bench/README.md, "Burst").
GC_THRESHOLDS = (50_000, 20, 100)
_gc_tuned = False


def tune_gc() -> None:
    """Freeze the start-up heap and raise the collection thresholds (once per process)."""
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# Collecting while idle. At these thresholds a generation-0 collection looks at up to 50,000
# young objects, 24-61 ms in a bot process (bench/burst.py --instrument gc), and a burst of 250
# submissions leaves ~16,000 behind: in a bot that has run a while, one lands inside about a
# third of such bursts. Twice a second, if the event loop was idle (under 2 % of the time) and
# enough has piled up, collect then, so that a burst starts from an empty young generation.
IDLE_CHECK = 0.5  # seconds
IDLE_BUSY = 0.01  # event loop CPU seconds per check under which the bot counts as idle
IDLE_COLLECT_MIN = 5_000  # objects allocated since the last collection worth collecting


class IdleCollector:
    """Collects garbage when the event loop is idle: a timer on the loop (no task), checking
    every :data:`IDLE_CHECK` seconds how much CPU the loop's thread used since the last check."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._last = time.thread_time()  # of this thread: the event loop's
        self._timer = self._loop.call_later(IDLE_CHECK, self._check)

    def _check(self) -> None:
        now = time.thread_time()
        if now - self._last < IDLE_BUSY and gc.get_count()[0] >= IDLE_COLLECT_MIN:
            gc.collect()
            now = time.thread_time()
        self._last = now
        self._timer = self._loop.call_later(IDLE_CHECK, self._check)

    def stop(self) -> None:
        self._timer.cancel()


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop ``workshop-bot run`` runs on: uvloop's where it is installed (a
    dependency except on Windows), else asyncio's own. Measured with bench/burst.py, it takes
    tens of microseconds of the event loop's CPU off every interaction."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class WorkshopTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NotInServer()
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class WorkshopBot(commands.Bot):
    """Owns the database and the engine for its lifetime; closes them on :meth:`close`."""

    engine: Engine
    retention: Retention
    boards: Boards

    def __init__(
        self, settings: Settings, *, library: Library | None = None, clock: Clock | None = None,
        **options: object,
    ) -> None:
        # a text-only bot: no voice, so no warnings about voice libraries
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()  # no privileged intents
        intents.message_content = False
        intents.presences = False
        intents.members = False
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("tree_cls", WorkshopTree)
        super().__init__(
            command_prefix=commands.when_mentioned, intents=intents, help_command=None,
            **options,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.library = library or load_library(settings.content_dirs, settings.prompt_dirs)
        self.clock = clock
        self.drafts = Drafts()  # forms that could not be saved, for their Try again button
        self.db: Database | None = None
        self._lock: ProcessLock | None = None
        self._idle_gc: IdleCollector | None = None

    async def setup_hook(self) -> None:
        self._lock = ProcessLock(self.settings.database_path)
        self.db = await Database.open(self.settings.database_path)
        self.engine = await Engine.create(self.db, self.library, clock=self.clock)
        self.add_dynamic_items(*ITEMS, *gallery.ITEMS)
        for name in COGS:
            await self.load_extension(name)
        self.retention = Retention(self.engine, self.settings.retention_days)
        await self.retention.start()
        self.boards = Boards(self)
        await self.boards.start()
        await self.sync_commands()
        self.engine.scheduler.start()

    async def sync_commands(self) -> None:
        """DEV_GUILD_ID: sync to that server at every start (instant). Otherwise sync globally,
        but only when the command definitions changed since the last sync."""
        assert self.db is not None
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to server %s", len(synced), guild.id)
            return
        payload = json.dumps(
            [c.to_dict(self.tree) for c in self.tree.get_commands()], sort_keys=True
        )
        digest = hashlib.sha256(payload.encode()).hexdigest()
        if await self.db.get_meta(COMMANDS_HASH_KEY) == digest:
            log.info("commands unchanged since the last sync; not syncing")
            return
        synced = await self.tree.sync()
        await self.db.set_meta(COMMANDS_HASH_KEY, digest)
        log.info("synced %d global commands", len(synced))

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))
        tune_gc()
        if self._idle_gc is None:
            self._idle_gc = IdleCollector()

    async def close(self) -> None:
        if self._idle_gc is not None:
            self._idle_gc.stop()
            self._idle_gc = None
        try:
            await super().close()
        finally:
            if self.db is not None:
                if hasattr(self, "boards"):
                    await self.boards.stop()
                if hasattr(self, "engine"):
                    await self.engine.scheduler.stop()
                await self.db.close()
                self.db = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None
