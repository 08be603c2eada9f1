"""Timers, reminders and the live board through the emulator: the card counts down in every
client's own clock, a one-minute warning and a time's-up post, a timer that fires across a
restart (late, and saying so), reminders that ping nobody, and a board that keeps up."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import Channel, EmulatedMessage
from bot.models import Library
from bot.scheduler import ManualClock
from tests.discord_layer.conftest import World, emulating, make_world

WORKSHOP = "Timed day"


def posts(world: World, channel: Channel, needle: str) -> list[EmulatedMessage]:
    return [m for m in world.emu.messages_in(channel) if needle in m.text]


def no_pings(world: World, channel: Channel) -> None:
    for m in world.emu.messages_in(channel):
        assert not (m.pinged_everyone or m.pinged_users or m.pinged_roles), m.text


async def settle(world: World) -> None:
    await asyncio.wait_for(world.bot.engine.scheduler.settled(), timeout=5)


async def test_a_timer_counts_down_warns_ends_and_fires_late_after_a_restart(
    tmp_path: Path, library: Library
) -> None:
    w = make_world(tmp_path, library)
    w.clock = ManualClock(datetime.now(UTC))
    async with emulating(w):
        async with w.running():
            await w.organiser.run_command("workshop-config facilitator-role", w.chan,
                                          role=w.role)
            card = await (await w.facilitator.run_command(
                "session start", w.chan, set="key-questions", workshop=WORKSHOP)).reply()
            set_reply = await (await w.facilitator.run_command(
                "session timer start", w.chan, minutes=10, then="next")).reply()
            assert set_reply.ephemeral and "10 minutes" in set_reply.text
            ends = int((w.clock.now().timestamp()) + 600)
            (started,) = posts(w, w.chan, "on the clock")
            assert f"<t:{ends}:R>" in started.text  # every client counts down itself
            await w.emu.wait_for_message(w.chan, lambda m: m.id == card.id and
                                         f"<t:{ends}:R>" in m.text)  # the card shows it too
            w.clock.advance(minutes=9)
            await settle(w)
            assert posts(w, w.chan, "One minute left")
        # the bot is down when the time runs out...
        w.clock.advance(minutes=4)
        async with w.running():
            await settle(w)
            (up,) = posts(w, w.chan, "Time's up")
            assert "offline when it ran out, 3 minutes ago" in up.text
            assert "Moving on to the next prompt" in up.text
            new_card = w.emu.messages_in(w.chan)[-1]  # the timer moved them on: a new card
            assert "Prompt 2 of 3" in new_card.text and new_card.buttons
            no_pings(w, w.chan)


async def test_moving_on_stops_the_timer_and_cancel_says_so(world: World) -> None:
    await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop=WORKSHOP)).reply()
    await (await world.facilitator.run_command("session timer start", world.chan)).reply()
    session = world.bot.engine.peek_live(world.guild.id, world.chan.id)
    prompt = world.bot.engine.live_prompt(session)
    assert world.bot.engine.timer_of(session.id).minutes == prompt.minutes  # the default
    await (await world.facilitator.run_command("session next", world.chan)).reply()
    assert world.bot.engine.timer_of(session.id) is None
    none = await (await world.facilitator.run_command("session timer cancel",
                                                      world.chan)).reply()
    assert "no timer running" in none.text
    await (await world.facilitator.run_command("session timer start", world.chan,
                                               minutes=5)).reply()
    stopped = await (await world.facilitator.run_command("session timer cancel",
                                                         world.chan)).reply()
    assert "Timer stopped" in stopped.text
    assert posts(world, world.chan, "stopped the timer")


async def test_reminders_never_ping_and_name_people_only_when_asked(world: World) -> None:
    card = await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop=WORKSHOP,
        pace="self")).reply()
    first = world.library.prompt_sets["key-questions"].prompts[0]
    for person in (world.alice, world.bob):
        opened = await person.click(card, "Answer")
        await opened.response()
        await (await opened.modal.submit(person, {i["custom_id"]: "x"
                                                  for i in opened.modal.text_inputs})).reply()
    await (await world.facilitator.run_command("session goto", world.chan, number=2)).reply()
    count = await (await world.facilitator.run_command("session remind", world.chan)).reply()
    assert not count.ephemeral
    assert "2 of the 2 people who have answered" in count.text and "Alice" not in count.text
    named = await (await world.facilitator.run_command("session remind", world.chan,
                                                       names=True)).reply()
    assert "Alice A\\." in named.text and "Bob" in named.text
    no_pings(world, world.chan)
    assert first.number == 1


async def test_the_board_keeps_up_with_answers_and_moves(world: World) -> None:
    board_channel = world.guild.add_channel("facilitators")
    world.bot.boards.interval = 0.05  # (5 s in production: it only makes the test slow)
    for channel in (world.chan, world.chan_b):
        await (await world.facilitator.run_command(
            "session start", channel, set="key-questions", workshop=WORKSHOP)).reply()
    await (await world.facilitator.run_command("workshop board", board_channel,
                                               workshop=WORKSHOP)).reply()
    (board,) = [m for m in world.emu.messages_in(board_channel) if "Live board" in m.text]
    assert board.text.count("Answers per prompt: 1: **0**") == 2
    card = [m for m in world.emu.messages_in(world.chan) if m.buttons][-1]
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    await (await opened.modal.submit(world.alice, {i["custom_id"]: "x"
                                                   for i in opened.modal.text_inputs})).reply()
    await world.emu.wait_for_message(board_channel, lambda m: m.id == board.id and
                                     "1: **1**" in m.text, timeout=15)
    await (await world.facilitator.run_command("workshop next", world.chan,
                                               workshop=WORKSHOP)).reply()
    await world.emu.wait_for_message(board_channel, lambda m: m.id == board.id and
                                     m.text.count("Prompt **2** of 3") == 2, timeout=15)
    assert re.search(r"Up to date as of <t:\d+:T>", board.text)


async def test_a_board_under_a_burst_stays_within_the_rate_limits_and_ends_right(
    tmp_path: Path, library: Library
) -> None:
    from tests.reliability.helpers import Burst, add_people, fire_submissions, open_forms

    w = make_world(tmp_path, library, rate_limits="discord", default_timeout=30.0)
    async with emulating(w), w.running() as bot:
        await w.organiser.run_command("workshop-config facilitator-role", w.chan, role=w.role)
        bot.boards.interval = 1.0  # faster than production (5 s): the limit must still hold
        board_channel = w.guild.add_channel("facilitators")
        card = await (await w.facilitator.run_command(
            "session start", w.chan, set="key-questions", workshop=WORKSHOP)).reply()
        await (await w.facilitator.run_command("workshop board", board_channel,
                                               workshop=WORKSHOP)).reply()
        (board,) = [m for m in w.emu.messages_in(board_channel) if "Live board" in m.text]
        people = add_people(w.guild, 300)
        forms = await open_forms(people, card)
        burst = Burst()
        burst.listen(w.emu)
        await fire_submissions(forms, burst, "burst")
        await burst.wait_for_acks(300, within=60)
        final = await w.emu.wait_for_message(
            board_channel, lambda m: m.id == board.id and "1: **300**" in m.text
            and "(300 participants)" in m.text, timeout=20)
        route = f"PATCH /channels/{board_channel.id}/messages/{board.id}"
        edits = w.emu.requests(route)
        assert final.edited and 1 <= len(edits) <= 40
        assert w.emu.max_requests_in_window(route, 5.0) <= 5  # Discord: 5 edits per 5 s
        assert not w.emu.requests(route, status=429)  # never even had to be told to wait
        assert not (final.pinged_everyone or final.pinged_users or final.pinged_roles)


async def test_a_deleted_board_is_forgotten_not_retried(world: World) -> None:
    world.bot.boards.interval = 0.05
    board_channel = world.guild.add_channel("facilitators")
    await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop=WORKSHOP)).reply()
    await (await world.facilitator.run_command("workshop board", board_channel,
                                               workshop=WORKSHOP)).reply()
    (board,) = [m for m in world.emu.messages_in(board_channel) if "Live board" in m.text]
    workshop = await world.bot.engine.workshop(world.guild.id, WORKSHOP)
    world.emu.delete_message(board)
    await (await world.facilitator.run_command("session next", world.chan)).reply()
    await asyncio.wait_for(world.bot.boards.until_stopped(workshop.id), 5)
    route = f"PATCH /channels/{board_channel.id}/messages/{board.id}"
    assert [r.status for r in world.emu.requests(route)] == [404]
    assert await world.bot.engine.db.messages(world.guild.id, "board") == []
    await (await world.facilitator.run_command("session next", world.chan)).reply()
    assert len(world.emu.requests(route)) == 1  # one try, then forgotten
    assert world.bot.boards.edits(workshop.id) == 0


async def test_dm_reminders_and_a_closed_dm_is_not_tried_again(world: World) -> None:
    carol = world.guild.add_member("Carol", dms_open=False)
    card = await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop=WORKSHOP)).reply()
    for person in (world.alice, carol, world.bob):
        opened = await person.click(card, "Answer")
        await opened.response()
        await (await opened.modal.submit(person, {i["custom_id"]: "x"
                                                  for i in opened.modal.text_inputs})).reply()
    for person in (world.alice, carol):
        on = await (await person.run_command("reminders", world.chan, on=True)).reply()
        assert "direct message" in on.text
    await (await world.facilitator.run_command("session next", world.chan)).reply()
    dm = await world.emu.wait_for_message(world.alice.dm_channel,
                                          lambda m: "A new prompt is open" in m.text)
    assert f"<#{world.chan.id}>" in dm.text and "2." in dm.text
    assert world.emu.messages_in(world.bob.dm_channel) == []  # Bob did not ask
    await world.bot.get_cog("Timing").dm_rounds_done()
    session = world.bot.engine.peek_live(world.guild.id, world.chan.id)
    assert await world.bot.engine.db.reminder_recipients(world.guild.id, session.id) == \
        [world.alice.id]  # Carol's closed DMs are remembered
    tried = len(world.emu.requests(f"POST /channels/{carol.dm_channel.id}/messages"))
    await (await world.facilitator.run_command("session next", world.chan)).reply()
    await world.emu.wait_for_message(world.alice.dm_channel,
                                     lambda m: "3." in m.text and "new prompt" in m.text)
    assert len(world.emu.requests(f"POST /channels/{carol.dm_channel.id}/messages")) == tried


async def test_a_board_survives_a_restart(tmp_path: Path, library: Library) -> None:
    w = make_world(tmp_path, library)
    async with emulating(w):
        async with w.running() as bot:
            await w.organiser.run_command("workshop-config facilitator-role", w.chan,
                                          role=w.role)
            board_channel = w.guild.add_channel("facilitators")
            card = await (await w.facilitator.run_command(
                "session start", w.chan, set="key-questions", workshop=WORKSHOP)).reply()
            await (await w.facilitator.run_command("workshop board", board_channel,
                                                   workshop=WORKSHOP)).reply()
            (board,) = [m for m in w.emu.messages_in(board_channel) if "Live board" in m.text]
        async with w.running() as bot:  # a new process: the board is picked up from the database
            bot.boards.interval = 0.05
            opened = await w.alice.click(card, "Answer")
            await opened.response()
            await (await opened.modal.submit(w.alice, {i["custom_id"]: "after the restart"
                                                       for i in opened.modal.text_inputs})
                   ).reply()
            await w.emu.wait_for_message(board_channel, lambda m: m.id == board.id and
                                         "1: **1**" in m.text)
            assert len([m for m in w.emu.messages_in(board_channel)
                        if "Live board" in m.text]) == 1  # edited in place, not posted again


async def test_the_one_minute_warning_can_carry_a_reminder(tmp_path: Path,
                                                            library: Library) -> None:
    w = make_world(tmp_path, library)
    w.clock = ManualClock(datetime.now(UTC))
    async with emulating(w), w.running():
        await w.organiser.run_command("workshop-config facilitator-role", w.chan, role=w.role)
        card = await (await w.facilitator.run_command(
            "session start", w.chan, set="key-questions", workshop=WORKSHOP,
            pace="self")).reply()
        for person in (w.alice, w.bob):
            opened = await person.click(card, "Answer")
            await opened.response()
            await (await opened.modal.submit(person, {i["custom_id"]: "x"
                                                      for i in opened.modal.text_inputs})
                   ).reply()
        await (await w.facilitator.run_command("session goto", w.chan, number=2)).reply()
        settings = await (await w.facilitator.run_command(
            "workshop settings", w.chan, workshop=WORKSHOP, reminders=True)).reply()
        assert "reminders with the one-minute warning are **on**" in settings.text
        await (await w.facilitator.run_command("session timer start", w.chan,
                                               minutes=3)).reply()
        w.clock.advance(minutes=2)
        await settle(w)
        (warning,) = posts(w, w.chan, "One minute left")
        assert "2 of the 2 people who have answered" in warning.text
        no_pings(w, w.chan)
