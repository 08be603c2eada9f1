"""Fixtures for the emulator's own tests: an emulator, a small world and a running test bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from emulator_testbot import ExampleBot, World

from bot.emulator import Emulator, running_bot


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
def world(emu: Emulator) -> World:
    guild = emu.add_guild("Workshop server")
    chan = guild.add_channel("group-a")
    other = guild.add_channel("group-b")
    facilitator = guild.add_role("Facilitator", permissions=["manage_guild"], mentionable=False)
    alice = guild.add_member("Alice", roles=[facilitator])
    bob = guild.add_member("Bob", nick="Bobby")
    return World(guild, chan, other, facilitator, alice, bob)


@pytest.fixture
async def bot(emu: Emulator, world: World) -> AsyncIterator[ExampleBot]:
    test_bot = ExampleBot()
    async with running_bot(emu, test_bot):
        yield test_bot
