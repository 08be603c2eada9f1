"""Gateway and lifecycle: READY, reconnects with RESUME replay, login failure, clean shutdown."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import discord
import pytest
from emulator_testbot import ExampleBot, World

from bot.emulator import BotConnectionLost, Emulator, point_discord_at, running_bot

REPO = Path(__file__).resolve().parents[2]


async def test_ready_and_guild_create(emu: Emulator, world: World, bot: ExampleBot) -> None:
    assert bot.user is not None and bot.user.id == emu.bot_user_id
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Workshop server"
    assert {c.name for c in guild.text_channels} == {"group-a", "group-b"}
    assert guild.get_role(world.facilitator.id) is not None
    assert guild.me is not None and guild.me.guild_permissions.send_messages
    assert emu.identify_count == 1


async def test_startup_is_fast(emu: Emulator, world: World) -> None:
    started = time.perf_counter()
    async with running_bot(emu, ExampleBot()):
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0


async def test_members_intent_gets_members_and_chunks(emu: Emulator, world: World) -> None:
    intents = discord.Intents.default()
    intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.01)
    async with running_bot(emu, client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None and guild.chunked
        member = guild.get_member(world.bob.id)
        assert member is not None and member.display_name == "Bobby"
        assert guild.get_member(world.alice.id).guild_permissions.manage_guild  # type: ignore[union-attr]


async def test_objects_added_after_ready_are_dispatched(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    created = bot.loop.create_future()

    async def on_guild_channel_create(channel: discord.abc.GuildChannel) -> None:
        if not created.done():
            created.set_result(channel)

    bot.add_listener(on_guild_channel_create)
    late = world.guild.add_channel("late-room")
    channel = await asyncio.wait_for(created, 5)
    assert channel.id == late.id
    res = await world.alice.run_command("ping", channel=late)
    assert res.message.channel is late


@pytest.mark.parametrize("how", ["op7", "drop"])
async def test_reconnect_resumes_and_replays_missed_interaction(
    emu: Emulator, world: World, bot: ExampleBot, how: str
) -> None:
    resumed = bot.loop.create_future()

    async def on_resumed() -> None:
        if not resumed.done():
            resumed.set_result(True)

    bot.add_listener(on_resumed)
    if how == "op7":
        await emu.force_reconnect(wait=False)
    else:
        await emu.drop_connection(wait=False)
    # Dispatched while the bot is disconnected: buffered, then replayed on RESUME.
    res = await world.alice.run_command("ping", channel=world.chan)
    assert res.message.content == "pong"
    record = await emu.wait_for_resume(count=1)
    assert record.replayed >= 1  # the INTERACTION_CREATE came through the replay
    assert emu.identify_count == 1  # resumed, not re-identified
    await asyncio.wait_for(resumed, 5)
    # And the session keeps working afterwards.
    again = await world.bob.run_command("ping", channel=world.chan)
    assert again.message.content == "pong"
    emu.assert_no_violations()


async def test_reconnect_helpers_wait_for_resume(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    await emu.force_reconnect()
    await emu.drop_connection()
    assert len(emu.resumes) == 2
    res = await world.alice.run_command("ping", channel=world.chan)
    assert res.message.content == "pong"


async def test_wrong_token_fails_login(emu: Emulator, world: World) -> None:
    point_discord_at(emu.api_base, emu.gateway_url)
    client = discord.Client(intents=discord.Intents.default())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()
    other = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        async with running_bot(emu, other, token="wrong"):
            pass
    assert other.is_closed()


async def test_rest_details(emu: Emulator, world: World, bot: ExampleBot) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bot {emu.token}"}
        async with session.get(f"{emu.api_base}/gateway/bot", headers=headers) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            body = await resp.json()
        assert body["url"] == emu.gateway_url and body["shards"] == 1
        assert body["session_start_limit"]["remaining"] > 0
        async with session.get(f"{emu.api_base}/users/@me") as resp:
            assert resp.status == 401
        async with session.get(f"{emu.api_base}/nothing/here", headers=headers) as resp:
            assert resp.status == 404
    assert emu.unhandled_requests == ["GET /api/v10/nothing/here"]


async def test_auto_sharded_client(emu: Emulator, world: World) -> None:
    client = discord.AutoShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.01)
    tree = discord.app_commands.CommandTree(client)

    @tree.command(description="pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("sharded pong")

    async def setup_hook() -> None:
        await tree.sync()

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    async with running_bot(emu, client):
        res = await world.alice.run_command("ping", channel=world.chan)
        assert res.message.content == "sharded pong"


async def test_dead_connect_task_fails_waits_at_once(emu: Emulator, world: World) -> None:
    bot = ExampleBot()
    async with running_bot(emu, bot):
        assert bot.ws is not None
        # discord.py dies on a malformed dispatch: its connect() task ends with a KeyError.
        emu._sessions[0].dispatch("MESSAGE_CREATE", {"bogus": True})
        with pytest.raises(BotConnectionLost):
            await emu.wait_for_message(world.chan, timeout=5)


CLEAN_SHUTDOWN = textwrap.dedent(
    """
    import asyncio, discord
    from bot.emulator import Emulator, running_bot

    async def main():
        emu = Emulator()
        guild = emu.add_guild("g")
        chan = guild.add_channel("c")
        alice = guild.add_member("Alice")
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.01)
        tree = discord.app_commands.CommandTree(client)

        @tree.command(description="pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await interaction.followup.send("pong", file=discord.File(__file__))

        async def setup_hook():
            await tree.sync()
        client.setup_hook = setup_hook

        async with running_bot(emu, client):
            res = await alice.run_command("ping", channel=chan)
            msg = await res.wait_for_original()
            assert msg.attachments, msg
            await emu.force_reconnect()
        assert not emu.running
        print("clean-shutdown-ok")

    asyncio.run(main())
    """
)


def test_clean_shutdown_under_dev_mode(tmp_path: Path) -> None:
    script = tmp_path / "clean_shutdown.py"
    script.write_text(CLEAN_SHUTDOWN)
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error",
            "-W",
            "ignore::DeprecationWarning",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "clean-shutdown-ok" in proc.stdout
    for bad in ("Unclosed", "Task was destroyed", "never awaited", "Traceback"):
        assert bad not in proc.stderr, proc.stderr
