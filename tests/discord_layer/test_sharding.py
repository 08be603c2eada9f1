"""Past one gateway connection: with SHARD_COUNT set the bot runs as an AutoShardedBot, connects
through the emulator (GET /gateway/bot, one IDENTIFY per shard) and serves commands."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import discord
import pytest

from bot.config import Settings
from bot.discord_ui.lifecycle import make_bot
from bot.models import Library
from tests.discord_layer.conftest import emulating, make_world


def test_shard_count_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env({"SHARD_COUNT": "auto"}, dotenv=False).shard_count == "auto"
    assert Settings.from_env({"SHARD_COUNT": "2"}, dotenv=False).shard_count == 2
    assert Settings.from_env({}, dotenv=False).shard_count is None


@pytest.mark.parametrize("shards", ["auto", 2])
async def test_sharded_bot_connects_and_serves_a_command(
    tmp_path: Path, library: Library, shards: str | int
) -> None:
    world = make_world(tmp_path, library)
    # A guild on each of two shards: the emulator routes a guild to shard (id >> 22) % count,
    # and the id's timestamp part changes every millisecond.
    other = world.emu.add_guild("Second server")
    while (other.id >> 22) % 2 == (world.guild.id >> 22) % 2:
        await asyncio.sleep(0.001)
        other = world.emu.add_guild("Second server")
    other_chan = other.add_channel("group-x")
    other_organiser = other.add_member("Oona", permissions="manage_guild")
    settings = dataclasses.replace(world.settings, shard_count=shards)
    bot = make_bot(settings, library=library, guild_ready_timeout=0.01)
    assert isinstance(bot, discord.AutoShardedClient)

    async def no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between IDENTIFYs (Discord's rate limit); the emulator has
        none."""

    bot.before_identify_hook = no_identify_wait  # type: ignore[method-assign]
    world.bot = bot
    async with emulating(world):
        from bot.emulator import running_bot

        started = time.perf_counter()
        async with running_bot(world.emu, bot, timeout=15):
            await world.emu.wait_for_bot_ready()
            expected = 1 if shards == "auto" else shards  # the emulator recommends 1 shard
            assert bot.shard_count == expected
            assert len(bot.shards) == expected
            assert world.emu.identify_count == expected
            assert {world.guild.id, other.id} <= {g.id for g in bot.guilds}
            if expected == 2:
                assert {bot.get_guild(g.id).shard_id for g in (world.guild, other)} == {0, 1}
            for member, chan in ((world.organiser, world.chan), (other_organiser, other_chan)):
                res = await member.run_command(
                    "session start", chan, set="quick-reflection", workshop="Sharded"
                )
                card = await res.reply()
                assert card is not None and card.embeds
        assert time.perf_counter() - started < 10
