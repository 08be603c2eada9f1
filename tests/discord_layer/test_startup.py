"""Starting the bot: command sync, settings, a missing or rejected token."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path

from bot.models import Library
from tests.discord_layer.conftest import emulating, make_world

ROOT = Path(__file__).resolve().parents[2]


async def test_commands_are_synced_globally_only_when_they_change(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    async with emulating(world):
        async with world.running():
            names = {name for (_type, name) in world.emu.global_commands}
            assert {"session", "answer", "example", "examples", "my-answers", "forget-me",
                    "workshop-config"} <= names
        world.emu.global_commands.clear()  # if the next start synced, they would come back
        async with world.running():
            assert world.emu.global_commands == {}


async def test_dev_guild_gets_its_commands_at_every_start(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    world.settings = dataclasses.replace(world.settings, dev_guild_id=world.guild.id)
    async with emulating(world):
        for _ in range(2):
            world.guild.commands.clear()
            async with world.running():
                assert (1, "session") in world.guild.commands
                res = await world.organiser.run_command(
                    "session start", world.chan, set="quick-reflection", workshop="Dev"
                )
                assert (await res.reply()).embeds
                await world.organiser.run_command("session close", world.chan)
        assert world.emu.global_commands == {}


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=env.get("CWD", ROOT),
        env={k: v for k, v in env.items() if k != "CWD"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env.update({"DATABASE_PATH": str(tmp_path / "cli.db"), "CWD": str(tmp_path), **extra})
    return env


async def test_run_without_a_token_explains_and_points_at_the_demo(tmp_path: Path) -> None:
    code, _out, err = await _cli("run", env=_env(tmp_path))
    assert code == 2
    assert "No DISCORD_TOKEN" in err and "workshop-bot demo" in err
    assert "Traceback" not in err


async def test_a_rejected_token_is_one_line_not_a_traceback(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    async with emulating(world):
        code, _out, err = await _cli("run", env=_env(
            tmp_path, DISCORD_TOKEN="not-the-right-token",
            DISCORD_API_BASE=world.emu.api_base, DISCORD_GATEWAY_URL=world.emu.gateway_url,
        ))
    assert code == 1
    assert "Discord rejected the token" in err
    assert "Traceback" not in err and "not-the-right-token" not in err


async def test_a_second_bot_on_the_same_database_is_refused(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    async with emulating(world):
        async with world.running():
            code, _out, err = await _cli("run", env=_env(
                tmp_path, DISCORD_TOKEN=world.emu.token,
                DATABASE_PATH=str(world.settings.database_path),
                DISCORD_API_BASE=world.emu.api_base,
                DISCORD_GATEWAY_URL=world.emu.gateway_url,
            ))
            assert code == 1
            assert "another workshop-bot is already running" in err
            assert "Traceback" not in err
            # the first bot is unaffected
            res = await world.organiser.run_command(
                "session start", world.chan, set="quick-reflection", workshop="Still here"
            )
            assert (await res.reply()).embeds
        # once it stopped, the database is free again
        async with world.running():
            pass
