"""Group workshops through the emulator: one agreed answer per group (edits at the same time
refused with both texts), breakout threads, and one facilitator moving every group at once,
with a restart between the steps."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.emulator import Channel, EmulatedMessage, Member
from bot.models import Library
from tests.discord_layer.conftest import World, emulating, make_world

WORKSHOP = "Breakout day"


def thread_ids(message: EmulatedMessage) -> list[int]:
    return [int(t) for t in re.findall(r"<#(\d+)>", message.text)]


def latest_card(world: World, channel: Channel) -> EmulatedMessage:
    cards = [m for m in world.emu.messages_in(channel) if m.buttons and
             any(b.get("label") == "Answer" for b in m.buttons)]
    assert cards, f"no card in {channel.name}"
    return cards[-1]


async def open_form(person: Member, card: EmulatedMessage):  # type: ignore[no-untyped-def]
    opened = await person.click(card, "Answer")
    await opened.response()
    assert opened.modal is not None, (await opened.reply()).text
    return opened.modal


async def test_two_members_saving_at_once_one_is_refused_with_both_texts(world: World) -> None:
    card = await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop=WORKSHOP,
        answers="group")).reply()
    assert "One answer for the group" in card.text
    first = await open_form(world.alice, card)
    assert first.title.startswith("Group answer")
    done = await first.submit(world.alice, {i["custom_id"]: "Alice's start"
                                            for i in first.text_inputs})
    assert "Saved the group's answer" in (await done.reply()).text

    # Bob and Alice open the form on version 1 and save at the same moment
    bob_form = await open_form(world.bob, card)
    alice_form = await open_form(world.alice, card)
    assert [i["value"] for i in bob_form.text_inputs] == \
        ["Alice's start"] * len(bob_form.text_inputs)
    bob_done, alice_done = await asyncio.gather(
        bob_form.submit(world.bob, {i["custom_id"]: "Bob's take" for i in bob_form.text_inputs}),
        alice_form.submit(world.alice, {i["custom_id"]: "Alice's second thought"
                                        for i in alice_form.text_inputs}),
    )
    replies = [await bob_done.reply(), await alice_done.reply()]
    saved = [r for r in replies if "Saved the group's answer" in r.text]
    refused = [r for r in replies if "not saved" in r.text]
    assert len(saved) == 1 and len(refused) == 1
    loser = refused[0]
    mine, theirs = (("Alice's second thought", "Bob's take") if "Bob saved" in loser.text
                    else ("Bob's take", "Alice's second thought"))
    assert mine in loser.text and theirs in loser.text  # both texts come back
    assert [b["label"] for b in loser.buttons] == ["Edit the current version"]
    person = world.alice if mine.startswith("Alice") else world.bob
    merge = await person.click(loser, "Edit the current version")
    await merge.response()
    assert [i["value"] for i in merge.modal.text_inputs] == [theirs] * len(merge.modal.text_inputs)
    done = await merge.modal.submit(person, {i["custom_id"]: f"{theirs} + {mine}"
                                             for i in merge.modal.text_inputs})
    assert "version 3" in (await done.reply()).text

    status = await (await world.facilitator.run_command("session status", world.chan)).reply()
    assert "3 versions by" in status.text and "Alice A" in status.text and "Bob" in status.text
    mine_listed = await (await world.bob.run_command("my-answers", world.chan)).reply()
    assert "Bob's take \\+ " in mine_listed.text or "\\+ Bob's take" in mine_listed.text
    assert "group answer, version 3" in mine_listed.text


async def test_breakouts_moved_by_one_command_across_restarts(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    async with emulating(world):
        async with world.running():
            await world.organiser.run_command("workshop-config facilitator-role", world.chan,
                                              role=world.role)
            threads = await _breakouts_made(world)
        async with world.running():  # a restart between every step
            await _moved_and_paused(world, threads)
        async with world.running():
            await _resumed_answered_closed(world, threads)


async def _breakouts_made(world: World) -> list[Channel]:
    world.guild.add_channel("facilitators")
    made = await (await world.facilitator.run_command(
        "workshop breakouts", world.chan, count=6, set="key-questions", workshop=WORKSHOP,
        answers="group")).reply()
    assert not made.ephemeral and "6 breakout groups" in made.text
    threads = [world.emu.get_channel(i) for i in thread_ids(made)]
    assert [t.name for t in threads] == [f"Group {n}" for n in range(1, 7)]
    assert all(t.is_thread and t.parent is world.chan for t in threads)
    for thread in threads:
        card = latest_card(world, thread)
        assert "Prompt 1 of 3" in card.text and not (card.pinged_everyone or card.pinged_users)
    # group 3 answers before the restart
    form = await open_form(world.alice, latest_card(world, threads[2]))
    await (await form.submit(world.alice, {i["custom_id"]: "group three" for i in form.text_inputs}
                             )).reply()
    return threads


async def _moved_and_paused(world: World, threads: list[Channel]) -> None:
    moved = await (await world.facilitator.run_command(
        "workshop next", world.guild.channel("facilitators"), workshop=WORKSHOP)).reply()
    assert moved.ephemeral and "moved 6 groups (6 to prompt 2)" in moved.text
    for thread in threads:
        assert "Prompt 2 of 3" in latest_card(world, thread).text
    # a participant tries to steer: refused
    refused = await (await world.bob.run_command(
        "workshop next", world.chan, workshop=WORKSHOP)).reply()
    assert "Only facilitators" in refused.text
    await (await world.facilitator.run_command(
        "workshop goto", world.chan, workshop=WORKSHOP, number=1)).reply()
    jumped = await (await world.facilitator.run_command(
        "workshop goto", world.chan, workshop=WORKSHOP, number=1)).reply()
    assert "no group changed" in jumped.text and "already at prompt 1" in jumped.text
    status = await (await world.facilitator.run_command(
        "workshop status", world.chan, workshop=WORKSHOP)).reply()
    assert status.ephemeral and status.text.count("Group answer:") == 6
    assert "Prompt **1** of 3" in status.text
    paused = await (await world.facilitator.run_command(
        "workshop pause", world.chan, workshop=WORKSHOP)).reply()
    assert "paused 6 groups" in paused.text
    blocked = await world.bob.click(latest_card(world, threads[0]), "Answer")
    assert "paused" in (await blocked.reply()).text


async def _resumed_answered_closed(world: World, threads: list[Channel]) -> None:
    await (await world.facilitator.run_command(
        "workshop resume", world.chan, workshop=WORKSHOP)).reply()
    form = await open_form(world.bob, latest_card(world, threads[0]))
    done = await form.submit(world.bob, {i["custom_id"]: "group one" for i in form.text_inputs})
    assert "Saved the group's answer" in (await done.reply()).text
    closed = await (await world.facilitator.run_command(
        "workshop close", world.chan, workshop=WORKSHOP)).reply()
    assert "closed 6 groups" in closed.text
    for thread in threads:
        assert "Answers are locked" in world.emu.messages_in(thread)[-1].text
    export = await (await world.facilitator.run_command(
        "session export", world.chan, format="json", workshop=WORKSHOP)).reply()
    data = export.attachments[0].data
    assert b"group one" in data and b"group three" in data


async def test_breakouts_need_the_thread_permissions_and_say_which(world: World) -> None:
    # a server whose members (and the bot) may not open or post in threads
    world.guild.everyone.permissions &= ~(1 << 35 | 1 << 38)
    world.guild.set_bot_permissions(["view_channel", "send_messages", "embed_links",
                                     "attach_files"])
    reply = await (await world.facilitator.run_command(
        "workshop breakouts", world.chan, count=2, set="key-questions",
        workshop=WORKSHOP)).reply()
    assert reply.ephemeral and "Create Public Threads" in reply.text
    assert "Send Messages in Threads" in reply.text
    assert [c for c in world.guild.channels.values() if c.is_thread] == []


async def test_breakout_names_and_mistakes(world: World) -> None:
    bad = await (await world.facilitator.run_command(
        "workshop breakouts", world.chan, count=3, set="key-questions", workshop=WORKSHOP,
        names="Red, Blue")).reply()
    assert "3 groups and gave 2 names" in bad.text
    made = await (await world.facilitator.run_command(
        "workshop breakouts", world.chan, count=2, set="key-questions", workshop=WORKSHOP,
        names=" Red team ,Blue\u200b team")).reply()
    assert [world.emu.get_channel(i).name for i in thread_ids(made)] == ["Red team",
                                                                         "Blue team"]
    unknown = await (await world.facilitator.run_command(
        "workshop next", world.chan, workshop="No such day")).reply()
    assert "no workshop of that name" in unknown.text.lower()
