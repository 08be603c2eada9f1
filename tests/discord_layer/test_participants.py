"""Participants: examples, their own answers, erasure, and text that must stay text."""

from __future__ import annotations

import asyncio

from tests.discord_layer.conftest import World
from tests.discord_layer.test_session_flow import answer, start


async def test_examples_button_lists_linked_examples_and_opens_one(world: World) -> None:
    card = await start(world)
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    listing = await (await world.bob.click(card, "Examples")).reply()
    assert listing.ephemeral
    options = listing.selects[0]["options"]
    assert [o["value"] for o in options] == [link.example_id for link in prompt.examples]
    chosen = prompt.examples[1].example_id
    shown = await (await world.bob.select(listing, [chosen])).reply()
    example = world.library.examples[chosen]
    assert shown.ephemeral and shown.embeds[0]["title"] == example.title
    assert example.summary.split()[0] in shown.embeds[0]["description"]


async def test_example_command_with_autocomplete(world: World) -> None:
    choices = await world.alice.autocomplete("example", "name", "holmes", world.chan)
    assert [c["value"] for c in choices] == ["holmes-costs-value"]
    by_programme = await world.alice.autocomplete("example", "name", "keep", world.chan)
    assert "dudley-keep" in [c["value"] for c in by_programme]
    card = await (await world.alice.run_command(
        "example", world.chan, name="holmes-costs-value")).reply()
    assert card.ephemeral
    assert "Lisa Holmes" in card.text and "Loughborough University" in card.text
    assert card.embeds[0]["author"]["name"] == "From the NIS seminar report (2016)"
    missing = await (await world.alice.run_command("example", world.chan,
                                                   name="nothing like this")).reply()
    assert "No example matches" in missing.text


async def test_examples_for_a_key_question(world: World) -> None:
    choices = await world.alice.autocomplete("examples", "question", "", world.chan)
    assert [c["value"] for c in choices] == ["identify-change", "scale-and-sustain",
                                            "measure-impact"]
    listing = await (await world.alice.run_command(
        "examples", world.chan, question="measure-impact")).reply()
    linked = world.library.examples_for_question("measure-impact")
    assert all(e.title in listing.text for e in linked)
    everything = await (await world.alice.run_command("examples", world.chan)).reply()
    assert all(e.title in everything.text for e in world.library.examples.values())


async def test_forget_me_erases_after_confirmation(world: World) -> None:
    card = await start(world)
    await answer(world, world.alice, card, "something personal")
    await answer(world, world.bob, card, "bob stays")
    confirm = await (await world.alice.run_command("forget-me", world.chan)).reply()
    assert confirm.ephemeral and "Are you sure" in confirm.text
    assert await world.bot.engine.my_answers(world.guild.id, world.alice.id)  # not yet
    done = await (await world.alice.click(confirm, "Yes, erase my answers")).reply()
    assert "Erased 1 answer" in done.text and not done.buttons
    assert await world.bot.engine.my_answers(world.guild.id, world.alice.id) == []
    assert len(await world.bot.engine.my_answers(world.guild.id, world.bob.id)) == 1
    export = await (await world.facilitator.run_command(
        "session export", world.chan, format="json")).reply()
    data = export.attachments[0].data
    assert b"something personal" not in data and b"bob stays" in data
    audit = await world.bot.engine.db.audit_entries(world.guild.id)
    assert [a[2] for a in audit] == ["erase", "export"]
    assert "something personal" not in repr(audit)
    # the form is no longer pre-filled
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    assert not any(i.get("value") for i in opened.modal.text_inputs)


INJECTION = ("@everyone @here <@{bob}> <@&{role}> [click](https://evil.example) **bold** "
             "||spoiler|| `code` =HYPERLINK(\"x\") \u202etxet\u202c 👩🏽‍⚕️")


async def test_mentions_and_markdown_in_answers_ping_nobody(world: World) -> None:
    card = await start(world)
    text = INJECTION.format(bob=world.bob.id, role=world.role.id)
    reply_text = await answer(world, world.alice, card, text)
    (stored,) = await world.bot.engine.my_answers(world.guild.id, world.alice.id)
    assert {v for v in stored.fields.values() if isinstance(v, str)} == {text}  # exactly
    mine = await (await world.alice.run_command("my-answers", world.chan)).reply()
    for message in (mine, *world.emu.messages_in(world.chan, include_ephemeral=True)):
        assert not message.pinged_everyone and not message.pinged_users
        assert not message.pinged_roles
    # echoed escaped: markdown does not render, mentions are defused
    assert "\\*\\*bold\\*\\*" in mine.text and "\\[click\\]" in mine.text
    assert "@everyone" not in mine.text.replace("@\u200beveryone", "")
    assert "Saved" in reply_text


async def test_fifty_participants_submitting_at_once(world: World) -> None:
    card = await start(world)
    people = [world.guild.add_member(f"P{i}") for i in range(50)]
    forms = await asyncio.gather(*(p.click(card, "Answer") for p in people))
    await asyncio.gather(*(f.response() for f in forms))
    submissions = await asyncio.gather(*(
        f.modal.submit(p, {i["custom_id"]: f"answer of {p.name}" for i in f.modal.text_inputs})
        for p, f in zip(people, forms, strict=True)
    ))
    replies = await asyncio.gather(*(s.reply() for s in submissions))
    assert all("Saved your answer" in r.text for r in replies)
    count = await world.bot.engine.db.fetchone("SELECT count(*) FROM answers")
    assert count[0] == 50


async def test_an_interaction_delivered_twice_saves_once(world: World) -> None:
    card = await start(world)
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    done = await opened.modal.submit(world.alice, {i["custom_id"]: "once"
                                                   for i in opened.modal.text_inputs})
    assert "Saved" in (await done.reply()).text
    world.emu.redeliver(done)
    # a later interaction is handled after the duplicate (the gateway keeps order)
    status = await (await world.facilitator.run_command("session status", world.chan)).reply()
    assert "**1** answer" in status.text
    rows = await world.bot.engine.db.fetchall("SELECT fields FROM answers")
    assert len(rows) == 1 and len(done.messages) == 1
