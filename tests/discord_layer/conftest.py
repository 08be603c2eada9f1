"""The real bot (real discord.py, real SQLite in tmp_path, the bundled YAML) against the
local Discord emulator, with a server of facilitators and participants."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import Settings
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.lifecycle import make_bot
from bot.emulator import Channel, Emulator, Guild, Member, Role, running_bot
from bot.models import Library
from bot.scheduler import Clock


@dataclass
class World:
    emu: Emulator
    guild: Guild
    chan: Channel
    chan_b: Channel
    role: Role
    organiser: Member  # Manage Server
    facilitator: Member  # has the facilitator role (configured by the organiser)
    alice: Member
    bob: Member
    settings: Settings
    library: Library
    bot: WorkshopBot | None = None
    people: list[Member] = field(default_factory=list)
    clock: Clock | None = None  # the bots' clock (a ManualClock moves time in tests)

    def new_bot(self) -> WorkshopBot:
        return make_bot(self.settings, library=self.library, guild_ready_timeout=0.01,
                        clock=self.clock)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WorkshopBot]:
        """Run a (new) bot process-equivalent on the same database."""
        bot = self.new_bot()
        async with running_bot(self.emu, bot):
            self.bot = bot
            yield bot


def make_world(tmp_path: Path, library: Library, **emu_options: object) -> World:
    emu = Emulator(**emu_options)  # type: ignore[arg-type]
    guild = emu.add_guild("Workshop server")
    role = guild.add_role("Facilitator")
    return World(
        emu=emu, guild=guild, chan=guild.add_channel("group-a"),
        chan_b=guild.add_channel("group-b"), role=role,
        organiser=guild.add_member("Olu", permissions="manage_guild"),
        facilitator=guild.add_member("Fran", roles=[role]),
        alice=guild.add_member("Alice", nick="Alice A."),
        bob=guild.add_member("Bob"),
        settings=Settings(database_path=tmp_path / "data" / "bot.db"),
        library=library,
    )


@contextlib.asynccontextmanager
async def emulating(world: World) -> AsyncIterator[World]:
    """Run ``world``'s emulator around a block; on a clean exit, check that the bot broke no
    Discord rule (message limits, deadlines, double responses...) meanwhile."""
    await world.emu.start()
    try:
        yield world
        world.emu.assert_no_violations()
    finally:
        await world.emu.stop()


@pytest.fixture
async def world(tmp_path: Path, library: Library) -> AsyncIterator[World]:
    w = make_world(tmp_path, library)
    async with emulating(w), w.running():
        await w.organiser.run_command(
            "workshop-config facilitator-role", w.chan, role=w.role
        )
        yield w
