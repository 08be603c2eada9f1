"""The emulator's clock: interaction tokens expire after 15 minutes (a message the bot edits
for hours must be edited by channel message id), and a test moves time on without sleeping."""

from __future__ import annotations

import asyncio

import discord
import pytest
from emulator_testbot import ExampleBot, World, next_error

from bot.emulator import DiscordRuleViolation, Emulator, running_bot


class Board:
    """What a board-keeping bot remembers: the interaction and the message it posted."""

    def __init__(self) -> None:
        self.interaction: discord.Interaction | None = None
        self.message: discord.Message | None = None
        self.posted = asyncio.Event()

    async def wait_posted(self) -> None:
        async with asyncio.timeout(5):
            await self.posted.wait()


@pytest.fixture
async def board_bot(bot: ExampleBot) -> tuple[ExampleBot, Board]:
    board = Board()

    @bot.tree.command(description="Post a board")
    async def board_post(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("board v1")
        board.interaction = interaction
        board.message = await interaction.original_response()
        board.posted.set()

    @bot.tree.command(description="Edit the board by its interaction token")
    async def board_token(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("editing", ephemeral=True)
        assert board.interaction is not None
        try:
            await board.interaction.edit_original_response(content="board v2 (token)")
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    @bot.tree.command(description="Edit the board by channel message id")
    async def board_channel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("editing", ephemeral=True)
        assert board.message is not None
        channel = bot.get_channel(board.message.channel.id)
        assert isinstance(channel, discord.TextChannel)
        try:
            await channel.get_partial_message(board.message.id).edit(content="board v2 (id)")
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    await bot.tree.sync()
    return bot, board


async def test_tokens_work_for_15_minutes(
    emu: Emulator, world: World, board_bot: tuple[ExampleBot, Board]
) -> None:
    posted = await world.alice.run_command("board_post", channel=world.chan)
    await board_bot[1].wait_posted()
    emu.advance(14 * 60)
    await world.alice.run_command("board_token", channel=world.chan)
    edited = await posted.wait_for_original(lambda m: m.content == "board v2 (token)")
    assert edited.edited
    emu.assert_no_violations()


async def test_an_expired_token_answers_invalid_webhook_token(
    emu: Emulator, world: World, board_bot: tuple[ExampleBot, Board]
) -> None:
    bot, board = board_bot
    posted = await world.alice.run_command("board_post", channel=world.chan)
    await board.wait_posted()
    before = emu.now()
    emu.advance(16 * 60)
    assert emu.now() - before >= 16 * 60
    await world.alice.run_command("board_token", channel=world.chan)
    error = await next_error(bot)
    assert error.status == 401 and error.code == 50027
    assert [v.rule for v in emu.violations] == ["interaction_token_expired"]
    assert emu.violations[0].interaction_id == posted.id
    assert posted.message.content == "board v1"
    with pytest.raises(DiscordRuleViolation, match="15 minutes"):
        await posted.wait_for_original(lambda m: m.content != "board v1", timeout=0.1)
    assert emu.requests("PATCH /webhooks/{app_id}/{token}/messages/{message_id}", code=50027)


async def test_an_old_message_is_edited_by_channel_message_id(
    emu: Emulator, world: World, board_bot: tuple[ExampleBot, Board]
) -> None:
    posted = await world.alice.run_command("board_post", channel=world.chan)
    await board_bot[1].wait_posted()
    emu.advance(3 * 3600)
    await world.alice.run_command("board_channel", channel=world.chan)
    board = await emu.wait_for_message(world.chan, lambda m: m.content == "board v2 (id)")
    assert board is posted.message
    assert board.data["edited_timestamp"] > board.data["timestamp"]  # 3 hours later
    path = f"PATCH /channels/{world.chan.id}/messages/{board.id}"
    assert [r.status for r in emu.requests(path)] == [200]
    emu.assert_no_violations()


async def test_advancing_past_the_deadline_expires_an_unanswered_interaction(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    res = await world.alice.run_command("slow", channel=world.chan, wait=False)
    emu.advance(5)
    with pytest.raises(DiscordRuleViolation, match="not acknowledged within 3s"):
        await res.response()
    bot.release.set()
    error = await next_error(bot)
    assert isinstance(error, discord.NotFound) and error.code == 10062


async def test_an_injected_clock() -> None:
    now = [1000.0]
    emu = Emulator(clock=lambda: now[0], ack_deadline=None)
    guild = emu.add_guild("g")
    chan = guild.add_channel("c")
    alice = guild.add_member("Alice")
    bot = ExampleBot()
    async with running_bot(emu, bot):
        res = await alice.run_command("ping", channel=chan)
        assert res.created == 1000.0 and emu.now() == 1000.0
        now[0] += 60
        emu.advance(30)
        assert emu.now() == 1090.0
        later = await alice.run_command("ping", channel=chan)
        assert later.created == 1090.0
        assert later.message.data["timestamp"] > res.message.data["timestamp"]
    with pytest.raises(AssertionError, match="only moves forward"):
        emu.advance(-1)


async def test_created_and_acknowledged_times_use_the_clock(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    res = await world.alice.run_command("ping", channel=world.chan)
    assert res.acknowledged_at is not None
    assert 0 <= res.acknowledged_at - res.created < emu.ack_deadline
    assert abs(res.created - asyncio.get_running_loop().time()) < 5
