"""Discord's rate limits, opt-in: per-channel buckets for sending and editing messages with
X-RateLimit headers, the global limit, 429s discord.py retries, and the request log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from emulator_testbot import ExampleBot

from bot.emulator import Channel, Emulator, Member, running_bot

SEND = "POST /channels/{channel_id}/messages"
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


async def _world(emu: Emulator) -> tuple[Channel, Channel, Member]:
    guild = emu.add_guild("Workshop server")
    return guild.add_channel("board"), guild.add_channel("other"), guild.add_member("Alice")


@pytest.fixture
async def limited() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limits="discord") as emu:
        yield emu


async def _post(
    session: aiohttp.ClientSession, emu: Emulator, channel: Channel, text: str
) -> tuple[int, Any, Any]:
    async with session.post(
        f"{emu.api_base}/channels/{channel.id}/messages",
        json={"content": text},
        headers={"Authorization": f"Bot {emu.token}"},
    ) as resp:
        return resp.status, resp.headers, await resp.json()


async def test_buckets_answer_with_headers_then_429(limited: Emulator) -> None:
    emu = limited
    board, other, _ = await _world(emu)
    async with aiohttp.ClientSession() as session:
        answers = [await _post(session, emu, board, f"m{i}") for i in range(6)]
        status, headers, _ = answers[0]
        assert status == 200
        assert headers["X-RateLimit-Limit"] == "5"
        assert headers["X-RateLimit-Remaining"] == "4"
        assert 4.9 <= float(headers["X-RateLimit-Reset-After"]) <= 5.0
        assert float(headers["X-RateLimit-Reset"]) > 1e9  # epoch seconds
        bucket = headers["X-RateLimit-Bucket"]
        assert [a[1]["X-RateLimit-Remaining"] for a in answers[1:5]] == ["3", "2", "1", "0"]
        assert all(a[1]["X-RateLimit-Bucket"] == bucket for a in answers)
        status, headers, body = answers[5]
        assert status == 429 and headers["Via"] and headers["X-RateLimit-Scope"] == "user"
        assert body["global"] is False and 0 < body["retry_after"] <= 5.0
        assert headers["X-RateLimit-Remaining"] == "0"
        # Another channel has its own bucket; the window resets after 5 s.
        assert (await _post(session, emu, other, "elsewhere"))[0] == 200
        emu.advance(5)
        assert (await _post(session, emu, board, "later"))[0] == 200
    assert [m.content for m in emu.messages_in(board)] == ["m0", "m1", "m2", "m3", "m4", "later"]
    [record] = emu.rate_limited
    assert record.route == SEND and record.bucket == bucket and not record.is_global
    assert [r.status for r in emu.requests(SEND)] == [200] * 5 + [429, 200, 200]
    assert emu.max_requests_in_window(f"POST /channels/{board.id}/messages", 5.0, status=200) == 5


async def test_the_global_limit_spares_interaction_endpoints() -> None:
    async with Emulator(rate_limits="discord", global_rate_limit=4) as emu:
        board, _, alice = await _world(emu)
        async with running_bot(emu, ExampleBot()):
            # Login and sync used some of this second's 4 requests; interactions use none.
            for _ in range(6):
                res = await alice.run_command("ping", channel=board)
                assert res.message.content == "pong"
            async with aiohttp.ClientSession() as session:
                statuses = []
                while 429 not in statuses and len(statuses) < 40:
                    async with session.get(
                        f"{emu.api_base}/users/@me", headers={"Authorization": f"Bot {emu.token}"}
                    ) as resp:
                        statuses.append(resp.status)
                        if resp.status == 429:
                            assert resp.headers["X-RateLimit-Global"] == "true"
                            assert (await resp.json())["global"] is True
        assert statuses[-1] == 429 and statuses.count(200) >= 1
        assert all(r.is_global for r in emu.rate_limited)
        assert not any("/interactions/" in r.path for r in emu.rate_limited)


async def test_discord_py_keeps_to_the_buckets_without_a_429() -> None:
    """A bot editing its board over and over is slowed to the bucket, never refused."""
    limits = {EDIT: (2, 0.3), SEND: (2, 0.3)}
    async with Emulator(rate_limits=limits) as emu:
        board_chan, _, alice = await _world(emu)
        bot = ExampleBot()
        done = asyncio.Event()

        @bot.tree.command(description="Update the board six times")
        async def updates(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("updating", ephemeral=True)
            assert isinstance(interaction.channel, discord.TextChannel)
            sent = await asyncio.gather(*(interaction.channel.send(f"s{i}") for i in range(4)))
            for version in range(1, 7):
                await sent[0].edit(content=f"board v{version}")
            done.set()

        async with running_bot(emu, bot):
            await bot.tree.sync()
            await alice.run_command("updates", channel=board_chan)
            async with asyncio.timeout(10):
                await done.wait()
        [board] = [m for m in emu.messages_in(board_chan) if m.edited]
        assert board.content == "board v6" and len(board.history) == 6
        assert len(emu.messages_in(board_chan)) == 4
        # No 429: discord.py waited whenever a bucket was empty, so six edits at two per
        # 0.3 s window took at least three windows.
        assert emu.rate_limited == []
        edits = [r.at for r in emu.requests(f"PATCH /channels/{board_chan.id}/messages/{board.id}")]
        assert len(edits) == 6 and edits[-1] - edits[0] >= 0.6 - 0.01
        sends = [r.at for r in emu.requests(f"POST /channels/{board_chan.id}/messages")]
        assert len(sends) == 4 and sends[-1] - sends[0] >= 0.3 - 0.01


async def test_scripted_429s_still_come_first(limited: Emulator) -> None:
    emu = limited
    board, _, _ = await _world(emu)
    emu.rate_limit(1, route=SEND, retry_after=0.5)
    async with aiohttp.ClientSession() as session:
        status, _, body = await _post(session, emu, board, "x")
        assert status == 429 and body["retry_after"] == 0.5
        assert (await _post(session, emu, board, "y"))[0] == 200
    assert emu.rate_limited[0].bucket is None and emu.rate_limited[0].retried_at is not None


async def test_forget_records_keeps_the_world(limited: Emulator) -> None:
    emu = limited
    board, _, alice = await _world(emu)
    async with aiohttp.ClientSession() as session:
        await _post(session, emu, board, "before")
    assert emu.request_log and emu.messages_in(board)
    emu.forget_records()
    assert emu.request_log == [] and emu.messages_in(board) == [] and emu.interactions == {}
    assert emu.get_channel(board.id) is board and emu.get_user(alice.id) is alice
