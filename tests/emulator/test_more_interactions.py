"""Less common paths: Label modals, entity selects, followup edits, misuse of the webhook."""

from __future__ import annotations

import discord
import pytest
from emulator_testbot import ExampleBot, World, next_error

from bot.emulator import DiscordRuleViolation, Emulator


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    def __init__(self) -> None:
        super().__init__()
        self.text: discord.ui.TextInput = discord.ui.TextInput(custom_id="fb", max_length=50)
        self.add_item(discord.ui.Label(text="Your feedback", component=self.text))
        self.mood: discord.ui.Select = discord.ui.Select(
            custom_id="mood",
            options=[
                discord.SelectOption(label="Happy", value="happy"),
                discord.SelectOption(label="Sad", value="sad"),
            ],
        )
        self.add_item(discord.ui.Label(text="Mood", component=self.mood))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"{self.text.value}/{','.join(self.mood.values)}")


class PeopleView(discord.ui.View):
    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="who", max_values=2)
    async def who(self, interaction: discord.Interaction, select: discord.ui.UserSelect) -> None:
        names = sorted(u.display_name for u in select.values)
        await interaction.response.send_message("chose " + ",".join(names))


async def _sync(bot: ExampleBot) -> None:
    await bot.tree.sync()


async def test_label_modal_with_select(emu: Emulator, world: World, bot: ExampleBot) -> None:
    @bot.tree.command(description="Feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    await _sync(bot)
    res = await world.alice.run_command("feedback", channel=world.chan)
    assert [i["label"] for i in res.modal.inputs] == ["Your feedback", "Mood"]
    done = await res.modal.submit({"Your feedback": "great", "Mood": ["happy"]})
    assert done.payload["data"]["components"][0]["type"] == 18
    assert done.message.content == "great/happy"
    emu.assert_no_violations()


async def test_user_select(emu: Emulator, world: World, bot: ExampleBot) -> None:
    @bot.tree.command(description="People")
    async def people(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Who?", view=PeopleView())

    await _sync(bot)
    res = await world.alice.run_command("people", channel=world.chan)
    chose = await world.alice.select(res.message, [world.alice, world.bob])
    assert chose.message.content == "chose Alice,Bobby"


async def test_followup_edit_get_and_delete(emu: Emulator, world: World, bot: ExampleBot) -> None:
    fetched: list[str] = []

    @bot.tree.command(description="Followups")
    async def steps(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("step 0")
        first = await interaction.followup.send("step 1", wait=True)
        await first.edit(content="step 1 (edited)")
        second = await interaction.followup.send("step 2", wait=True)
        await second.delete()
        original = await interaction.original_response()
        fetched.append(original.content)
        await interaction.followup.send("finished")

    await _sync(bot)
    res = await world.alice.run_command("steps", channel=world.chan)
    await res.next_followup()  # step 1
    await res.next_followup()  # step 2
    last = await res.next_followup()
    assert last.content == "finished"
    assert fetched == ["step 0"]
    assert [m.content for m in emu.messages_in(world.chan)] == [
        "step 0",
        "step 1 (edited)",
        "finished",
    ]
    assert res.followups[1].deleted
    emu.assert_no_violations()


async def test_followup_before_acknowledging(emu: Emulator, world: World, bot: ExampleBot) -> None:
    @bot.tree.command(description="Wrong order")
    async def hasty(interaction: discord.Interaction) -> None:
        try:
            await interaction.followup.send("too early")
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)
        await interaction.response.send_message("then the response")

    await _sync(bot)
    with pytest.raises(DiscordRuleViolation, match="before acknowledging"):
        await world.alice.run_command("hasty", channel=world.chan)
    error = await next_error(bot)
    assert isinstance(error, discord.NotFound) and error.code == 10015
    assert [v.rule for v in emu.violations] == ["webhook_before_response"]


async def test_wait_for_bot_ready_and_message_waits(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    await emu.wait_for_bot_ready(timeout=1)
    res = await world.alice.run_command("thread", channel=world.chan, wait=False)
    starter = await emu.wait_for_message(world.chan, lambda m: m.content.startswith("Breakout"))
    assert starter.content == "Breakout starts"
    await res.next_followup()
    with pytest.raises(AssertionError, match="followup #2"):
        await res.next_followup(timeout=0.05)


async def test_listener_sees_a_transcript(emu: Emulator, world: World, bot: ExampleBot) -> None:
    events: list[str] = []

    def listener(event: str, obj: object) -> None:
        if event == "interaction":
            events.append(f"{event}:{obj.description}")  # type: ignore[attr-defined]
        elif event.startswith("message_"):
            events.append(f"{event}:{obj.content}")  # type: ignore[attr-defined]

    emu.add_listener(listener)
    res = await world.alice.run_command("edit", channel=world.chan)
    await res.wait_for_original(lambda m: m.content == "edited")
    emu.remove_listener(listener)
    assert events == [
        "interaction:/edit by Alice in #group-a",
        "message_created:first",
        "message_edited:edited",
    ]


async def test_channel_message_edit_fetch_history_delete(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    seen: dict[str, object] = {}

    @bot.tree.command(description="Channel operations")
    async def chanops(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        one = await channel.send("one")
        two = await channel.send("two")
        three = await channel.send("three", reference=one)
        await one.edit(content="one (edited)")
        fetched = await channel.fetch_message(two.id)
        seen["fetched"] = fetched.content
        seen["history"] = [m.content async for m in channel.history(limit=2)]
        seen["before"] = [m.content async for m in channel.history(limit=5, before=three)]
        await two.delete()
        try:
            await channel.fetch_message(two.id)
        except discord.NotFound:
            seen["deleted"] = True
        await interaction.followup.send("ok")

    await _sync(bot)
    res = await world.alice.run_command("chanops", channel=world.chan)
    await res.wait_for_original()
    assert seen == {
        "fetched": "two",
        "history": ["three", "two"],
        "before": ["two", "one (edited)"],
        "deleted": True,
    }
    contents = [m.content for m in emu.messages_in(world.chan)]
    assert contents == ["one (edited)", "three"]
    reply = emu.messages_in(world.chan)[1]
    assert reply.data["type"] == 19
    assert reply.data["message_reference"]["message_id"] == str(emu.messages_in(world.chan)[0].id)
    emu.assert_no_violations()


async def test_role_change_reaches_interactions(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    before = await world.bob.run_command("session status", channel=world.chan)
    assert before.message.content.endswith("manage_guild=False")
    world.bob.set_roles([world.facilitator])
    after = await world.bob.run_command("session status", channel=world.chan)
    assert after.message.content.endswith("manage_guild=True")
    assert after.payload["member"]["roles"] == [str(world.facilitator.id)]
