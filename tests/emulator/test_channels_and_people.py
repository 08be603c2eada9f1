"""DMs people have closed, messages a moderator deletes, messages the bot may not edit, and
breakout threads the bot opens (permissions, events, people working in them)."""

from __future__ import annotations

import asyncio

import discord
import pytest
from emulator_testbot import AnswerView, ExampleBot, World, next_error

from bot.emulator import Emulator, EmulatorUsageError


@pytest.fixture
async def chan_bot(bot: ExampleBot) -> ExampleBot:
    @bot.tree.command(description="DM a reminder")
    async def remind(interaction: discord.Interaction, who: discord.Member) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            await who.send("Reminder: the workshop starts at 10")
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)
            await interaction.followup.send(f"could not DM {who.display_name}")
            return
        await interaction.followup.send(f"reminded {who.display_name}")

    @bot.tree.command(description="Post a board in the channel")
    async def board(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("posting", ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("Board: 0 answers")

    @bot.tree.command(description="Edit a message by id")
    async def retitle(interaction: discord.Interaction, message_id: str) -> None:
        await interaction.response.send_message("editing", ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        try:
            await interaction.channel.get_partial_message(int(message_id)).edit(content="new")
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    @bot.tree.command(description="Open a breakout thread")
    async def breakout(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        try:
            thread = await interaction.channel.create_thread(
                name=name, type=discord.ChannelType.public_thread
            )
            await thread.send("Welcome to your group", view=AnswerView())
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)
            await interaction.followup.send("no thread")
            return
        await interaction.followup.send(f"opened {thread.mention}")

    await bot.tree.sync()
    return bot


# --- DMs -------------------------------------------------------------------------------------


async def test_a_closed_dm_answers_50007_and_an_open_one_delivers(
    emu: Emulator, world: World, chan_bot: ExampleBot
) -> None:
    carol = world.guild.add_member("Carol", dms_open=False)
    res = await world.alice.run_command("remind", channel=world.chan, who=carol)
    assert (await res.wait_for_original()).content == "could not DM Carol"
    error = await next_error(chan_bot)
    assert isinstance(error, discord.Forbidden) and error.code == 50007
    assert emu.requests("POST /users/@me/channels", status=200)  # opening the DM still works
    [refused] = emu.requests(f"POST /channels/{carol.dm_channel.id}/messages")
    assert (refused.status, refused.code) == (403, 50007)
    assert carol.dm_channel.messages == []
    emu.assert_no_violations()  # a person's privacy setting is not the bot's mistake

    carol.dms_open = True
    again = await world.alice.run_command("remind", channel=world.chan, who=carol)
    assert (await again.wait_for_original()).content == "reminded Carol"
    [dm] = emu.messages_in(carol.dm_channel)
    assert dm.content == "Reminder: the workshop starts at 10"


# --- deleting and editing messages by id --------------------------------------------------------


async def test_a_moderator_deletes_the_board_and_the_bot_is_told(
    emu: Emulator, world: World, chan_bot: ExampleBot
) -> None:
    deleted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        if not deleted.done():
            deleted.set_result(payload.message_id)

    chan_bot.add_listener(on_raw_message_delete)
    await world.alice.run_command("board", channel=world.chan)
    board = await emu.wait_for_message(world.chan, lambda m: m.content.startswith("Board"))
    emu.delete_message(board)
    assert board.deleted and emu.messages_in(world.chan) == []
    assert await asyncio.wait_for(deleted, 5) == board.id

    await world.alice.run_command("retitle", channel=world.chan, message_id=str(board.id))
    error = await next_error(chan_bot)
    assert isinstance(error, discord.NotFound) and error.code == 10008
    emu.assert_no_violations()  # a deleted board is a normal event, the bot must cope
    with pytest.raises(EmulatorUsageError, match="already deleted"):
        emu.delete_message(board)


async def test_who_may_delete_what(emu: Emulator, world: World, chan_bot: ExampleBot) -> None:
    moderator = world.guild.add_member("Mo", permissions=["manage_messages"])
    await world.alice.run_command("board", channel=world.chan)
    board = await emu.wait_for_message(world.chan)
    with pytest.raises(EmulatorUsageError, match="without Manage Messages"):
        await world.bob.delete(board)
    own = await world.bob.send(world.chan, "my note")
    await world.bob.delete(own)
    assert own.deleted
    await moderator.delete(board)
    assert board.deleted


async def test_editing_someone_elses_message_by_id_is_refused(
    emu: Emulator, world: World, chan_bot: ExampleBot
) -> None:
    note = await world.bob.send(world.chan, "a person's message")
    await world.alice.run_command("retitle", channel=world.chan, message_id=str(note.id))
    error = await next_error(chan_bot)
    assert isinstance(error, discord.Forbidden) and error.code == 50005
    assert [v.rule for v in emu.violations] == ["edit_foreign_message"]
    assert note.content == "a person's message"


# --- threads -----------------------------------------------------------------------------------


async def test_breakout_thread_people_work_in(
    emu: Emulator, world: World, chan_bot: ExampleBot
) -> None:
    created: asyncio.Future[discord.Thread] = asyncio.get_running_loop().create_future()

    async def on_thread_create(thread: discord.Thread) -> None:
        if not created.done():
            created.set_result(thread)

    chan_bot.add_listener(on_thread_create)
    res = await world.alice.run_command("breakout", channel=world.chan, name="Group 1")
    assert (await res.wait_for_original()).content.startswith("opened <#")
    [thread] = emu.threads_in(world.chan)
    assert world.guild.threads == [thread] and emu.threads_in(world.other) == []
    assert thread.type == 11 and thread.name == "Group 1" and thread.parent is world.chan
    assert thread.owner_id == emu.bot_user_id
    assert (await asyncio.wait_for(created, 5)).id == thread.id
    welcome = await emu.wait_for_message(thread, lambda m: "Welcome" in m.content)

    # People run commands, click and post in the thread.
    pong = await world.bob.run_command("ping", channel=thread)
    assert pong.message.content == "pong" and pong.message.channel is thread
    assert pong.payload["channel"]["type"] == 11
    click = await world.bob.click(welcome, "Answer")
    assert click.message.content == "answered by Bobby"
    await world.bob.send(thread, "our group's idea")
    assert len(emu.messages_in(thread, include_people=True)) == 3
    emu.assert_no_violations()


async def test_creating_a_thread_needs_create_public_threads(
    emu: Emulator, world: World, chan_bot: ExampleBot
) -> None:
    everyone = world.guild.everyone
    world.guild.set_permissions(everyone, ["view_channel", "send_messages"])
    world.guild.set_bot_permissions(["view_channel", "send_messages", "send_messages_in_threads"])
    res = await world.alice.run_command("breakout", channel=world.chan, name="Group 1")
    error = await next_error(chan_bot)
    assert isinstance(error, discord.Forbidden) and error.code == 50013
    assert [v.rule for v in emu.violations] == ["missing_permissions"]
    assert emu.threads_in(world.chan) == []
    assert (await res.wait_for_original()).content == "no thread"


async def test_posting_in_a_thread_needs_send_messages_in_threads(
    emu: Emulator, world: World, chan_bot: ExampleBot
) -> None:
    world.guild.set_permissions(world.guild.everyone, ["view_channel", "send_messages"])
    world.guild.set_bot_permissions(["view_channel", "send_messages", "create_public_threads"])
    res = await world.alice.run_command("breakout", channel=world.chan, name="Group 2")
    error = await next_error(chan_bot)
    assert isinstance(error, discord.Forbidden) and error.code == 50013
    [thread] = emu.threads_in(world.chan)
    assert emu.messages_in(thread) == []
    [violation] = emu.violations
    assert violation.rule == "missing_permissions"
    assert violation.route == f"POST /channels/{thread.id}/messages"
    assert (await res.wait_for_original()).content == "no thread"
