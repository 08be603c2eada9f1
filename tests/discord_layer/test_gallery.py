"""Groups learn from each other, through the emulator: a three-group gallery walk rotating by
its timer across a restart, comments the answering group reads after the walk, dot-voting with
its rules, results, the server's switches, and /forget-me reaching cards already posted."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import Channel, EmulatedMessage, Member
from bot.models import Library
from bot.scheduler import ManualClock
from tests.discord_layer.conftest import World, emulating, make_world

WORKSHOP = "Gallery day"


def cards_in(world: World, channel: Channel) -> list[EmulatedMessage]:
    """The gallery cards in a channel (messages with a Comment button)."""
    return [m for m in world.emu.messages_in(channel)
            if any(b.get("label") == "Comment" for b in m.buttons)]


def posts(world: World, channel: Channel, needle: str) -> list[EmulatedMessage]:
    return [m for m in world.emu.messages_in(channel) if needle in m.text]


async def reply(person: Member, command: str, channel: Channel, **options: object
                ) -> EmulatedMessage:
    message = await (await person.run_command(command, channel, **options)).reply()
    assert message is not None
    return message


async def start_group(world: World, channel: Channel, **options: object) -> EmulatedMessage:
    return await reply(world.facilitator, "session start", channel, set="key-questions",
                       workshop=WORKSHOP, **options)


async def answer(person: Member, card: EmulatedMessage, text: str) -> str:
    opened = await person.click(card, "Answer")
    await opened.response()
    assert opened.modal is not None, (await opened.reply()).text
    done = await opened.modal.submit(person, {i["custom_id"]: text
                                              for i in opened.modal.text_inputs})
    return (await done.reply()).text


async def comment(person: Member, card: EmulatedMessage, text: str) -> str:
    opened = await person.click(card, "Comment")
    await opened.response()
    assert opened.modal is not None, (await opened.reply()).text
    done = await opened.modal.submit(person, {"comment": text})
    return (await done.reply()).text


async def click(person: Member, card: EmulatedMessage, label: str) -> str:
    return (await (await person.click(card, label)).reply()).text


async def settle(world: World) -> None:
    await asyncio.wait_for(world.bot.engine.scheduler.settled(), timeout=5)


async def test_a_three_group_walk_rotates_by_its_timer_across_a_restart(
    tmp_path: Path, library: Library
) -> None:
    w = make_world(tmp_path, library)
    w.clock = ManualClock(datetime.now(UTC))
    chan_c = w.guild.add_channel("group-c")
    carol = w.guild.add_member("Carol")
    facilitators = w.guild.add_channel("facilitators")
    async with emulating(w):
        async with w.running():
            await w.organiser.run_command("workshop-config facilitator-role", w.chan,
                                          role=w.role)
            card_a = await start_group(w, w.chan, answers="group")
            card_b = await start_group(w, w.chan_b, answers="group")
            card_c = await start_group(w, chan_c, anonymous=True)
            await answer(w.alice, card_a, "Group A agreed this")
            await answer(w.bob, card_b, "Group B agreed that")
            await answer(carol, card_c, "Carol's own view")
            await answer(w.organiser, card_c, "Olu's own view")

            started = await reply(w.facilitator, "workshop gallery start", facilitators,
                                  workshop=WORKSHOP, rotate_minutes=5)
            assert started.ephemeral and "round 1 of 2" in started.text
            # group i reads group i + 1: A reads B, B reads C, C reads A
            (a_reads,) = cards_in(w, w.chan)
            assert "Group B agreed that" in a_reads.text and "group\\-b" in a_reads.text
            b_reads = cards_in(w, w.chan_b)
            assert len(b_reads) == 2 and {"P01", "P02"} <= {m.embeds[0]["title"].split(
                " · ")[1] for m in b_reads}
            (c_reads,) = cards_in(w, chan_c)
            assert "Group A agreed this" in c_reads.text
            assert [b["label"] for b in a_reads.buttons] == ["Comment", "Add a dot",
                                                            "Remove a dot"]
            said = await comment(w.alice, a_reads, "Clear change; what evidence?")
            assert "Comment saved" in said and "not yours" in said
            early = await reply(w.bob, "session comments", w.chan_b)
            assert "when the gallery walk ends" in early.text
        # the bot is down when the walk should move on
        w.clock.advance(minutes=6)
        async with w.running():
            await settle(w)
            # round 2: A reads C, B reads A, C reads B
            assert "Carol's own view" in cards_in(w, w.chan)[-1].text or \
                "Olu's own view" in cards_in(w, w.chan)[-1].text
            assert "Group A agreed this" in cards_in(w, w.chan_b)[-1].text
            assert "Group B agreed that" in cards_in(w, chan_c)[-1].text
            assert posts(w, w.chan, "round 2 of 2")
            ended = await reply(w.facilitator, "workshop gallery rotate", facilitators,
                                workshop=WORKSHOP)
            assert "is over" in ended.text
            for channel in (w.chan, w.chan_b, chan_c):
                assert posts(w, channel, "The gallery walk is over")
            read = await reply(w.bob, "session comments", w.chan_b)
            assert read.ephemeral and "Clear change; what evidence?" in read.text
            assert "group\\-a" in read.text and "Alice" not in read.text
            outsider = await reply(w.alice, "session comments", w.chan_b)
            assert "for the people who answered in it" in outsider.text
            again = await reply(w.facilitator, "workshop gallery rotate", facilitators,
                                workshop=WORKSHOP)
            assert "No gallery walk is running" in again.text
            assert await w.bot.engine.db.jobs_of("gallery-rotate") == []  # no timer left
            late = await comment(carol, cards_in(w, w.chan_b)[-1], "too late")
            assert "not saved" in late and "too late" in late


async def three_answered_groups(world: World) -> tuple[Channel, Channel, Channel, Member]:
    """Groups A, B and C of WORKSHOP, each with one agreed answer (by Alice, Bob, Carol)."""
    chan_c = world.guild.add_channel("group-c")
    carol = world.guild.add_member("Carol")
    for channel, person, text in ((world.chan, world.alice, "A's answer"),
                                  (world.chan_b, world.bob, "B's answer"),
                                  (chan_c, carol, "C's answer")):
        card = await start_group(world, channel, answers="group")
        assert "Saved" in await answer(person, card, text)
    return world.chan, world.chan_b, chan_c, carol


def card_of(world: World, channel: Channel, text: str) -> EmulatedMessage:
    return next(m for m in reversed(cards_in(world, channel)) if text in m.text)


async def test_dot_voting_rules_and_results(world: World) -> None:
    chan_a, chan_b, chan_c, carol = await three_answered_groups(world)
    dave = world.guild.add_member("Dave")
    # a walk first: A reads B's answer; the vote reuses that card
    await reply(world.facilitator, "workshop gallery start", chan_a, workshop=WORKSHOP)
    before = await click(dave, card_of(world, chan_a, "B's answer"), "Add a dot")
    assert "No vote is open" in before
    opened = await reply(world.facilitator, "workshop vote start", chan_a, workshop=WORKSHOP,
                         dots=2)
    assert "2 dots each" in opened.text
    (heading,) = posts(world, chan_a, "Dot-voting is open")
    assert "cards above take dots too (1 answer)" in heading.text
    assert len(cards_in(world, chan_a)) == 2  # B's from the walk, C's new
    assert len(cards_in(world, chan_b)) == 2 and len(cards_in(world, chan_c)) == 2

    b_in_a, c_in_a = card_of(world, chan_a, "B's answer"), card_of(world, chan_a, "C's answer")
    assert "1 of 2" in await click(dave, b_in_a, "Add a dot")
    assert "0 of 2" in await click(dave, b_in_a, "Add a dot")  # two on one answer is fine
    assert "placed all your 2 dots" in await click(dave, c_in_a, "Add a dot")
    assert "no dot on this answer" in await click(dave, c_in_a, "Remove a dot")
    assert "1 of 2" in await click(dave, b_in_a, "Remove a dot")
    assert "0 of 2" in await click(dave, c_in_a, "Add a dot")
    # own group: by the channel the card is in, and by having answered in the group
    assert "your own group's answer" in await click(world.bob, b_in_a, "Add a dot")
    a_in_b = card_of(world, chan_b, "A's answer")
    assert "your own group's answer" in await click(world.alice, a_in_b, "Add a dot")
    assert "1 of 2" in await click(carol, a_in_b, "Add a dot")
    assert "1 of 2" in await click(world.bob, card_of(world, chan_c, "A's answer"), "Add a dot")
    # nothing shows counts before the vote closes
    for channel in (chan_a, chan_b, chan_c):
        assert not posts(world, channel, "Vote results")

    closed = await reply(world.facilitator, "workshop vote close", chan_a, workshop=WORKSHOP)
    assert closed.ephemeral and "dots from 3 people" in closed.text
    for channel in (chan_a, chan_b, chan_c):
        (results,) = posts(world, channel, "Vote results")
        assert "4 dots from 3 people" in results.text
        top = [m for m in world.emu.messages_in(channel) if m.embeds and any(
            f["name"] == "Dots" for f in m.embeds[0].get("fields", []))]
        assert [m.embeds[0]["title"][:1] for m in top] == ["1", "2", "3"]
        assert "A's answer" in top[0].text and "🟢 **2**" in top[0].text
    after = await click(dave, c_in_a, "Add a dot")
    assert "No vote is open" in after


async def test_two_hundred_people_vote_at_once_counted_exactly(
    tmp_path: Path, library: Library
) -> None:
    from tests.reliability.helpers import add_people

    w = make_world(tmp_path, library, rate_limits="discord", default_timeout=60.0)
    async with emulating(w), w.running() as bot:
        await w.organiser.run_command("workshop-config facilitator-role", w.chan, role=w.role)
        chan_a, _, _, _ = await three_answered_groups(w)
        await reply(w.facilitator, "workshop vote start", chan_a, workshop=WORKSHOP, dots=3)
        cards = [card_of(w, chan_a, "B's answer"), card_of(w, chan_a, "C's answer")]
        people = add_people(w.guild, 200)
        clicks = []
        for round_ in range(4):  # everyone clicks four times: one more than their dots
            for i, person in enumerate(people):
                clicks.append(await person.click(cards[(i + round_) % 2], "Add a dot",
                                                 wait=False))
        replies = [await c.reply(timeout=60) for c in clicks]
        placed = [r for r in replies if "Dot placed" in r.text]
        refused = [r for r in replies if "placed all your 3 dots" in r.text]
        assert len(placed) + len(refused) == len(clicks) == 800
        assert len(placed) == 600 and len(refused) == 200
        db = bot.engine.db
        per_person = await db.fetchall("SELECT user_id, count(*) FROM dots GROUP BY user_id")
        assert len(per_person) == 200 and max(n for _, n in per_person) == 3
        assert (await db.fetchone("SELECT count(*) FROM dots"))[0] == len(placed)
        assert (await db.fetchone("SELECT count(*) FROM dot_clicks"))[0] == len(placed)
        closed = await reply(w.facilitator, "workshop vote close", chan_a, workshop=WORKSHOP)
        assert "600 dots from 200 people" in closed.text
        counts = [int(line.rsplit(": ", 1)[1].split()[0]) for line in closed.text.splitlines()
                  if line[:2] in ("1.", "2.")]
        assert sum(counts) == 600 and len(counts) == 2


def everything_posted(world: World, *channels: Channel) -> str:
    return "\n".join(m.text for c in channels for m in world.emu.messages_in(c))


async def test_anonymous_groups_leak_no_name_in_cards_comments_or_results(
    world: World
) -> None:
    hidden = [world.guild.add_member(n) for n in ("Zed Secret", "Yara Hidden",
                                                   "Xavier Quiet", "Vera Unseen")]
    zed, yara, xavier, vera = hidden
    wendy = world.guild.add_member("Wendy Named")
    chan_c = world.guild.add_channel("group-c")
    card_a = await start_group(world, world.chan, anonymous=True)
    card_b = await start_group(world, world.chan_b)  # named
    card_c = await start_group(world, chan_c, anonymous=True, answers="group")
    await answer(zed, card_a, "Zed's idea")
    await answer(yara, card_a, "Yara's idea")
    await answer(wendy, card_b, "Wendy's idea")
    await answer(xavier, card_c, "first go")
    await answer(vera, card_c, "the group's final idea")
    # even with names allowed, anonymous groups show none
    settings = await reply(world.facilitator, "workshop settings", world.chan,
                           workshop=WORKSHOP, names=True)
    assert "names **in named sessions**" in settings.text

    await reply(world.facilitator, "workshop gallery start", world.chan, workshop=WORKSHOP)
    # round 1: A reads B (named: Wendy's name shown), B reads C, C reads A
    assert "Wendy Named" in cards_in(world, world.chan)[0].text
    (group_card,) = cards_in(world, world.chan_b)
    assert group_card.embeds[0]["title"] == "group\\-c · the group's answer"
    assert {m.embeds[0]["title"] for m in cards_in(world, chan_c)} == \
        {"group\\-a · P01", "group\\-a · P02"}
    zeds_card = card_of(world, chan_c, "Zed's idea")
    assert "Comment saved" in await comment(xavier, zeds_card, "From C to Zed")
    assert "Comment saved" in await comment(zed, cards_in(world, world.chan)[0],
                                            "From anonymous A to Wendy")
    await reply(world.facilitator, "workshop gallery rotate", world.chan, workshop=WORKSHOP)
    wendys_view = card_of(world, world.chan_b, "Zed's idea")
    said = await comment(wendy, wendys_view, "From named B to Zed")
    assert "and yours" in said  # named group, names allowed: it says so
    await reply(world.facilitator, "workshop gallery end", world.chan, workshop=WORKSHOP)

    zed_reads = await reply(zed, "session comments", world.chan)
    assert "From C to Zed" in zed_reads.text and "From named B to Zed" in zed_reads.text
    assert "group\\-c**:" in zed_reads.text and "group\\-b (Wendy Named)" in zed_reads.text
    yara_reads = await reply(yara, "session comments", world.chan)
    assert "From C to Zed" not in yara_reads.text  # Zed's own, in individual mode
    wendy_reads = await reply(wendy, "session comments", world.chan_b)
    assert "From anonymous A to Wendy" in wendy_reads.text

    await reply(world.facilitator, "workshop vote start", world.chan, workshop=WORKSHOP,
                dots=1)
    for voter, channel, text in ((wendy, world.chan_b, "Zed's idea"),
                                 (xavier, chan_c, "Yara's idea"),
                                 (zed, world.chan, "the group's final idea")):
        assert "Dot placed" in await click(voter, card_of(world, channel, text), "Add a dot")
    closed = await reply(world.facilitator, "workshop vote close", world.chan,
                         workshop=WORKSHOP)

    seen = "\n".join([everything_posted(world, world.chan, world.chan_b, chan_c),
                      zed_reads.text, yara_reads.text, wendy_reads.text, closed.text])
    assert "P01" in seen and "Vote results" in seen and "Wendy Named" in seen
    for person in hidden:
        for part in person.name.split():
            assert part not in seen.replace("Zed's idea", "").replace(
                "Yara's idea", "").replace("to Zed", ""), part


async def test_an_edited_answer_updates_the_cards_other_groups_read(world: World) -> None:
    """Alice (a named session) takes something out of her answer during the walk: the card in
    group B's channel shows the new text. Bob's answer (anonymous) stays as posted: a card
    changing as he submits would tell the room which pseudonym is his."""
    card_a = await start_group(world, world.chan)
    card_b = await start_group(world, world.chan_b, anonymous=True)
    await answer(world.alice, card_a, "Alice's first thought, with a detail to take out")
    await answer(world.bob, card_b, "Bob's first thought")
    await reply(world.facilitator, "workshop gallery start", world.chan, workshop=WORKSHOP)
    alices_card = card_of(world, world.chan_b, "Alice's first thought")
    bobs_card = card_of(world, world.chan, "Bob's first thought")

    assert "Updated your answer" in await answer(world.bob, card_b, "Bob's second thought")
    assert "Updated your answer" in await answer(world.alice, card_a, "Alice's second thought")
    edited = world.emu.get_message(alices_card.id)
    assert "Alice's second thought" in edited.text and "detail" not in edited.text
    assert [b["label"] for b in edited.buttons] == ["Comment", "Add a dot", "Remove a dot"]
    assert edited.embeds[0]["title"] == alices_card.embeds[0]["title"]  # same label
    unchanged = world.emu.get_message(bobs_card.id)
    assert "Bob's first thought" in unchanged.text and "second" not in unchanged.text


async def test_forget_me_reaches_cards_comments_and_dots(world: World) -> None:
    dave = world.guild.add_member("Dave")
    carol = world.guild.add_member("Carol")
    card_a = await start_group(world, world.chan, answers="group")
    card_b = await start_group(world, world.chan_b)
    await answer(world.alice, card_a, "Alice's version")
    await answer(world.bob, card_a, "Bob's version")
    await answer(carol, card_b, "Carol's answer")
    await reply(world.facilitator, "workshop gallery start", world.chan, workshop=WORKSHOP)
    carols_card = card_of(world, world.chan, "Carol's answer")
    groups_card = card_of(world, world.chan_b, "Bob's version")
    assert "Comment saved" in await comment(world.alice, carols_card, "Alice on Carol")
    assert "Comment saved" in await comment(dave, groups_card, "Dave on the group")
    await reply(world.facilitator, "workshop vote start", world.chan, workshop=WORKSHOP,
                dots=2)
    assert "Dot placed" in await click(dave, carols_card, "Add a dot")
    assert "Dot placed" in await click(dave, groups_card, "Add a dot")
    await reply(world.facilitator, "workshop vote close", world.chan, workshop=WORKSHOP)
    (carols_result,) = [m for m in world.emu.messages_in(world.chan_b)
                        if "Carol's answer" in m.text and not m.buttons]
    db = world.bot.engine.db

    async def count(table: str) -> int:
        return (await db.fetchone(f"SELECT count(*) FROM {table}"))[0]

    async def forget(person: Member) -> str:
        confirm = await reply(person, "forget-me", world.chan)
        assert "comments and dots" in confirm.text
        return await click(person, confirm, "Yes, erase my answers")

    # Carol's answer goes: her card is withdrawn, with the comment and the dot on it
    assert "Erased 1 answer" in await forget(carol)
    withdrawn = world.emu.get_message(carols_card.id)
    assert "withdrawn by its author" in withdrawn.text and not withdrawn.buttons
    assert "Carol's answer" not in withdrawn.text
    assert "withdrawn by its author" in world.emu.get_message(carols_result.id).text
    assert await count("gallery_comments") == 1 and await count("dots") == 1
    # Bob wrote the group's current version: the card goes back to Alice's
    await forget(world.bob)
    edited = world.emu.get_message(groups_card.id)
    assert "Alice's version" in edited.text and "Bob's version" not in edited.text
    assert [b["label"] for b in edited.buttons] == ["Comment", "Add a dot", "Remove a dot"]
    # Alice wrote the rest: the group's answer goes, and her comment with her
    await forget(world.alice)
    assert "withdrawn by its author" in world.emu.get_message(groups_card.id).text
    assert await count("gallery_comments") == 0 and await count("dots") == 0
    assert await db.messages(world.guild.id, "gallery") == []  # withdrawn: forgotten
    assert await db.messages(world.guild.id, "gallery-result") == []
    # Dave's clicks and comment (on erased answers) went with them; his own erasure says so
    assert await count("dot_clicks") == 0
    assert "comments and dots you gave are erased" in await forget(dave)


async def test_a_server_can_switch_gallery_and_voting_off(world: World) -> None:
    await start_group(world, world.chan)
    await start_group(world, world.chan_b)
    shown = await reply(world.organiser, "workshop-config gallery", world.chan)
    assert "Gallery walks are **allowed**" in shown.text
    off = await reply(world.organiser, "workshop-config gallery", world.chan, enabled=False)
    assert "switched off" in off.text
    refused = await reply(world.facilitator, "workshop gallery start", world.chan,
                          workshop=WORKSHOP, prompt="1")
    assert "Gallery walks are switched off in this server" in refused.text
    await reply(world.organiser, "workshop-config voting", world.chan, enabled=False)
    refused = await reply(world.facilitator, "workshop vote start", world.chan,
                          workshop=WORKSHOP, dots=3)
    assert "Votes are switched off" in refused.text
    assert cards_in(world, world.chan) == [] and cards_in(world, world.chan_b) == []
    not_admin = await (await world.facilitator.run_command(  # hidden from them: forced
        "workshop-config voting", world.chan, enabled=True, force=True)).reply()
    assert "Manage Server" in not_admin.text
    participant = await (await world.bob.run_command(
        "workshop gallery start", world.chan, workshop=WORKSHOP)).reply()
    assert "Only facilitators" in participant.text


async def exported(world: World, fmt: str) -> str:
    """The workshop's export in ``fmt``, as text (an XLSX workbook: every cell's text)."""
    import openpyxl

    message = await reply(world.facilitator, "session export", world.chan, format=fmt,
                          workshop=WORKSHOP)
    data = message.attachments[0].data
    if fmt != "xlsx":
        return data.decode("utf-8")
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)


async def test_comments_and_dots_are_exported_anonymised_then_erased(world: World) -> None:
    import csv
    import json

    zed = world.guild.add_member("Zed Secret")
    wendy = world.guild.add_member("Wendy Named")
    dave = world.guild.add_member("Dave")
    card_a = await start_group(world, world.chan, anonymous=True)
    card_b = await start_group(world, world.chan_b)
    await answer(zed, card_a, "Zed's idea")
    await answer(wendy, card_b, "Wendy's idea")
    await reply(world.facilitator, "workshop gallery start", world.chan, workshop=WORKSHOP)
    assert "Comment saved" in await comment(zed, card_of(world, world.chan, "Wendy's idea"),
                                            "=cmd|' /C calc'!A0 from anonymous A")
    assert "Comment saved" in await comment(wendy, card_of(world, world.chan_b, "Zed's idea"),
                                            "Named B likes it")
    await reply(world.facilitator, "workshop vote start", world.chan, workshop=WORKSHOP,
                dots=3)
    for _ in range(2):
        assert "Dot placed" in await click(dave, card_of(world, world.chan, "Wendy's idea"),
                                           "Add a dot")
    assert "Dot placed" in await click(dave, card_of(world, world.chan_b, "Zed's idea"),
                                       "Add a dot")
    hidden = await exported(world, "json")
    assert '"dots": 0' in hidden and '"dots": 2' not in hidden  # counts wait for the close
    await reply(world.facilitator, "workshop vote close", world.chan, workshop=WORKSHOP)
    await reply(world.facilitator, "workshop gallery end", world.chan, workshop=WORKSHOP)

    doc = json.loads(await exported(world, "json"))
    by_text = {a["fields"][next(iter(a["fields"]))]: a for a in doc["answers"]}
    wendys, zeds = by_text["Wendy's idea"], by_text["Zed's idea"]
    assert (wendys["dots"], zeds["dots"]) == (2, 1)
    assert [(c["from_group"], c["by"]) for c in wendys["comments"]] == [("group-a", "P01")]
    assert zeds["comments"][0]["by"] == "Wendy Named"  # a named group's commenter
    assert wendys["comments"][0]["at"][16:] == ":00.000+00:00"  # anonymous: to the minute
    assert [(v["prompt_id"], v["dots"], v["voters"]) for v in doc["votes"]] == \
        [("identify-change", 3, 1)]
    rows = list(csv.reader(io.StringIO((await exported(world, "csv")).lstrip("\ufeff"))))
    header = rows[0]
    assert header[-5:] == ["Dots", "Comments", "Contributors", "Versions", "Examples cited"]
    wendy_rows = [r for r in rows[1:] if r[8] == "Wendy's idea"]
    assert {(r[-5], r[-4]) for r in wendy_rows} == \
        {("2", "From group-a (P01): =cmd|' /C calc'!A0 from anonymous A")}
    for fmt in ("csv", "xlsx", "json", "markdown"):
        text = await exported(world, fmt)
        assert "Named B likes it" in text and "Zed" not in text.replace("Zed's idea", ""), fmt
        assert "from anonymous A" in text, fmt

    confirm = await reply(wendy, "forget-me", world.chan_b)
    await click(wendy, confirm, "Yes, erase my answers")
    for fmt in ("csv", "xlsx", "json", "markdown"):
        text = await exported(world, fmt)
        assert "Named B likes it" not in text and "Wendy" not in text, fmt
        assert "from anonymous A" not in text, fmt  # it was on Wendy's erased answer


def test_the_gallery_buttons_use_ids_of_the_registry() -> None:
    from bot.discord_ui import gallery, ids

    templates = {c.template.pattern for c in ids.ALL}
    assert {item.__discord_ui_compiled_template__.pattern for item in gallery.ITEMS} <= \
        templates
    assert len(gallery.ITEMS) == 3
