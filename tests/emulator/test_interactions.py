"""Every kind of interaction, end to end through the real discord.py client."""

from __future__ import annotations

import discord
import pytest
from emulator_testbot import ExampleBot, World

from bot.emulator import Emulator, EmulatorUsageError, running_bot


async def test_slash_command_message_response(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("ping", channel=world.chan)
    assert res.kind == "command"
    assert res.response_type == 4
    msg = res.message
    assert msg is not None and msg.content == "pong" and not msg.ephemeral
    assert msg.data["author"]["id"] == str(emu.bot_user_id)
    assert msg.data["interaction_metadata"]["user"]["id"] == str(world.alice.id)
    assert emu.messages_in(world.chan) == [msg]
    assert emu.messages_in(world.other) == []
    emu.assert_no_violations()


async def test_subcommand_with_typed_options(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command(
        "session start", channel=world.chan, set="key-questions", workshop="Leeds", rounds=3
    )
    assert res.message.content == "Started key-questions for Leeds x3"
    sent = res.payload["data"]
    assert sent["name"] == "session"
    assert sent["options"][0]["name"] == "start" and sent["options"][0]["type"] == 1
    values = {o["name"]: o["value"] for o in sent["options"][0]["options"]}
    assert values == {"set": "key-questions", "workshop": "Leeds", "rounds": 3}


async def test_subcommand_group_resolves_roles_members_channels(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    res = await world.alice.run_command(
        "session admin grant",
        channel=world.chan,
        role=world.facilitator,
        member=world.bob,
        channel_=world.other,  # a trailing underscore avoids run_command's own `channel`
        weight=1.25,
        loud=True,
    )
    assert res.message.content == "Facilitator|Bobby|group-b|2.5|True"


async def test_missing_or_unknown_options_are_refused_like_discord(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    with pytest.raises(EmulatorUsageError, match="required option"):
        await world.alice.run_command("session start", channel=world.chan, set="x")
    with pytest.raises(EmulatorUsageError, match="no option 'colour'"):
        await world.alice.run_command("ping", channel=world.chan, colour="red")
    with pytest.raises(EmulatorUsageError, match="needs a subcommand"):
        await world.alice.run_command("session", channel=world.chan)
    with pytest.raises(EmulatorUsageError, match="takes a number"):
        await world.alice.run_command(
            "session start", channel=world.chan, set="x", workshop="y", rounds="many"
        )


async def test_autocomplete_returns_choices(emu: Emulator, world: World, bot: ExampleBot) -> None:
    choices = await world.alice.autocomplete(
        "session start", "set", "key", channel=world.chan, workshop="Leeds"
    )
    assert [c["name"] for c in choices] == ["key-questions", "key-ideas"]
    interaction = list(emu.interactions.values())[-1]
    focused = interaction.payload["data"]["options"][0]["options"]
    assert {"name": "set", "type": 3, "value": "key", "focused": True} in focused
    emu.assert_no_violations()


async def test_ephemeral_response_is_not_in_the_channel(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    res = await world.alice.run_command("session status", channel=world.chan)
    assert res.ephemeral and res.message.ephemeral
    # member.permissions reached the bot: Alice's Facilitator role grants Manage Guild.
    assert res.message.content == "status ok manage_guild=True"
    res_bob = await world.bob.run_command("session status", channel=world.chan)
    assert res_bob.message.content == "status ok manage_guild=False"
    assert emu.messages_in(world.chan) == []
    assert emu.messages_in(world.chan, include_ephemeral=True) == [res.message, res_bob.message]


async def test_deferred_then_followups(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("slowcalc", channel=world.chan)
    assert res.response_type == 5 and res.deferred
    original = await res.wait_for_original()
    assert original.content == "done" and not original.loading
    first = await res.next_followup()
    second = await res.next_followup()
    assert first is original  # the first followup fills the "thinking" message
    assert second.content == "second" and second is not original
    assert [m.content for m in emu.messages_in(world.chan)] == ["done", "second"]


async def test_ephemeral_defer_keeps_followup_ephemeral(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    res = await world.alice.run_command("slowcalc", channel=world.chan, ephemeral=True)
    original = await res.wait_for_original()
    assert original.ephemeral and original.content == "done"
    second = (await res.next_followup(), await res.next_followup())[1]
    assert not second.ephemeral
    assert [m.content for m in emu.messages_in(world.chan)] == ["second"]


async def test_edit_original_response(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("edit", channel=world.chan)
    msg = await res.wait_for_original(lambda m: m.content == "edited")
    assert msg.edited and msg.history[0]["content"] == "first"
    assert msg.data["edited_timestamp"] is not None


async def test_modal_open_and_submit(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("form", channel=world.chan)
    assert res.response_type == 9 and res.modal is not None
    assert res.modal.title == "Your answer"
    assert [i["label"] for i in res.modal.inputs] == ["Answer", "Note"]
    submitted = await res.modal.submit(world.alice, {"Answer": "hello", "note": "n"})
    assert submitted.kind == "modal_submit"
    assert submitted.message.content == "got hello|n"
    # Required fields are enforced like Discord's client does.
    res2 = await world.alice.run_command("form", channel=world.chan)
    with pytest.raises(EmulatorUsageError, match="required"):
        await res2.modal.submit({"Note": "only the note"})
    with pytest.raises(EmulatorUsageError, match="200"):
        await res2.modal.submit({"Answer": "x" * 201})


async def test_button_click_updates_message(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("buttons", channel=world.chan)
    question = res.message
    assert [b["label"] for b in question.buttons] == ["Answer", "Write", "Vote 3"]
    click = await world.bob.click(question, "Answer")
    assert click.response_type == 7
    assert click.message is question and question.content == "answered by Bobby"
    assert question.history[0]["content"] == "Question 1"
    emu.assert_no_violations()


async def test_button_opens_modal_then_submit(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("buttons", channel=world.chan)
    click = await world.bob.click(res.message, "Write")
    assert click.modal is not None
    done = await click.modal.submit({"answer-text": "from a button"})
    assert done.message.content == "got from a button|"
    assert done.payload["message"]["id"] == str(res.message.id)


async def test_dynamic_item_button(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("buttons", channel=world.chan)
    vote = await world.bob.click(res.message, "Vote 3")
    assert vote.message.content == "vote 3"


async def test_select_menu(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("buttons", channel=world.chan)
    picked = await world.bob.select(res.message, ["a", "Option c"])
    assert picked.payload["data"] == {
        "custom_id": "pick",
        "component_type": 3,
        "values": ["a", "c"],
        "id": picked.payload["data"]["id"],
    }
    assert picked.ephemeral and picked.message.content == "picked a,c"
    with pytest.raises(EmulatorUsageError, match="no option 'z'"):
        await world.bob.select(res.message, ["z"])
    with pytest.raises(EmulatorUsageError, match="1-2 values"):
        await world.bob.select(res.message, ["a", "b", "c"])


async def test_persistent_view_survives_without_response_message_id(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    """A persistent view (added with add_view) answers clicks on any message with its ids."""
    res = await world.alice.run_command("buttons", channel=world.chan)
    # Pretend the message was posted by an earlier run of the bot: forget the stored view.
    bot._connection._view_store.remove_message_tracking(res.message.id)
    click = await world.alice.click(res.message, "Answer")
    assert click.message.content == "answered by Alice"


async def test_dm_commands(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.bob.run_command("whereami", dm=True)
    assert res.message.content == "dm"
    assert "member" not in res.payload and res.payload["user"]["id"] == str(world.bob.id)
    assert res.payload["context"] == 1
    # A guild-only command is not offered in DMs; forcing it gets the bot's own refusal.
    with pytest.raises(EmulatorUsageError, match="DMs"):
        await world.bob.run_command("session status", dm=True)
    refused = await world.bob.run_command("session status", dm=True, force=True)
    assert refused.message.content == "Not in DMs, sorry."


async def test_guild_synced_commands(emu: Emulator, world: World) -> None:
    guild_bot = ExampleBot(sync_guild=world.guild.id)
    async with running_bot(emu, guild_bot):
        assert emu.commands() == []
        assert {c["name"] for c in emu.commands(world.guild)} >= {"ping", "session"}
        assert all(c["guild_id"] == str(world.guild.id) for c in emu.commands(world.guild))
        res = await world.alice.run_command("ping", channel=world.chan)
        assert res.payload["data"]["guild_id"] == str(world.guild.id)
        assert res.message.content == "pong"
        synced_ids = {c.id for c in guild_bot.synced}
        assert int(res.payload["data"]["id"]) in synced_ids


async def test_command_hidden_by_default_member_permissions(emu: Emulator, world: World) -> None:
    admin_bot = ExampleBot()

    @admin_bot.tree.command(description="Admins only")
    @discord.app_commands.default_permissions(manage_guild=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged")

    async with running_bot(emu, admin_bot):
        with pytest.raises(EmulatorUsageError, match="hides /purge from Bob"):
            await world.bob.run_command("purge", channel=world.chan)
        res = await world.alice.run_command("purge", channel=world.chan)
        assert res.message.content == "purged"


async def test_threads_and_channel_messages(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("thread", channel=world.chan)
    done = await res.next_followup()
    _, public_id, private_id = done.content.split()
    public = emu.get_channel(int(public_id))
    private = emu.get_channel(int(private_id))
    assert public is not None and public.is_thread and public.parent is world.chan
    assert private is not None and private.type == 12
    starter = emu.messages_in(world.chan)[0]
    assert starter.content == "Breakout starts" and starter.id == public.id
    welcome = await emu.wait_for_message(public, lambda m: "Welcome" in m.content)
    assert welcome.channel is public
    assert [m.content for m in emu.messages_in(private)] == ["private hello"]


async def test_people_messages_reach_the_bot(emu: Emulator, world: World, bot: ExampleBot) -> None:
    seen: list[discord.Message] = []
    got = bot.loop.create_future()

    async def on_message(message: discord.Message) -> None:
        if message.author.id == world.bob.id:
            seen.append(message)
            got.set_result(message)

    bot.add_listener(on_message)
    await world.bob.send(world.chan, "hello bot")
    message = await got
    assert message.channel.id == world.chan.id
    # Without the message-content intent Discord blanks other people's content.
    assert message.content == ""
    assert emu.messages_in(world.chan) == []
    assert len(emu.messages_in(world.chan, include_people=True)) == 1


async def test_wait_for_message_times_out_with_a_clear_message(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    with pytest.raises(
        AssertionError, match=r"timed out after 0.05s waiting for a bot message in #group-b"
    ):
        await emu.wait_for_message(world.other, timeout=0.05)
