"""A facilitator runs groups through the key questions; participants answer; exports work."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.emulator import EmulatedMessage, Member
from tests.discord_layer.conftest import World

WORKSHOP = "Leeds seminar 2026"


async def start(world: World, channel=None, **options: object) -> EmulatedMessage:
    res = await world.facilitator.run_command(
        "session start", channel or world.chan, set="key-questions", workshop=WORKSHOP,
        **options,
    )
    card = await res.reply()
    assert card is not None and not card.ephemeral
    return card


async def answer(world: World, person: Member, card: EmulatedMessage, text: str) -> str:
    """Press Answer on a card, fill every field with ``text``, return the bot's reply."""
    opened = await person.click(card, "Answer")
    await opened.response()
    assert opened.modal is not None, "Answer should open the form"
    done = await opened.modal.submit(person, {i["custom_id"]: text
                                              for i in opened.modal.text_inputs})
    reply = await done.reply()
    assert reply is not None and reply.ephemeral
    return reply.text


async def test_card_shows_the_prompt_its_fields_and_examples(world: World) -> None:
    card = await start(world)
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    embed = card.embeds[0]
    assert embed["title"] == f"Prompt 1 of 3 · {prompt.title}"
    assert prompt.question in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    for f in prompt.fields:
        assert f.label in fields["Your answer covers"]
    first_example = world.library.examples[prompt.examples[0].example_id]
    assert first_example.title in fields["Seminar examples to look at"]
    assert [b["label"] for b in card.buttons] == ["Answer", "Examples"]


async def test_form_follows_the_yaml_and_is_prefilled_for_edits(world: World) -> None:
    card = await start(world)
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    inputs = opened.modal.text_inputs
    text_fields = [f for f in prompt.fields if not f.is_cite]
    assert [i["custom_id"] for i in inputs] == [f.id for f in text_fields]
    assert [s.custom_id for s in opened.modal.selects] == [prompt.cite_field.id]
    for i, f in zip(inputs, text_fields, strict=True):
        assert i["label"] == f.label
        assert i["max_length"] == f.max_length
        assert i["required"] == f.required
        assert i["style"] == (2 if f.style == "paragraph" else 1)
        assert not i.get("value")
    reply = await answer(world, world.alice, card, "first version")
    assert "Saved your answer to prompt 1" in reply
    assert "Privacy" in reply  # first answer in this server carries the notice
    again = await world.alice.click(card, "Answer")
    await again.response()
    assert [i.get("value") for i in again.modal.text_inputs] == ["first version"] * len(inputs)
    done = await again.modal.submit(world.alice, {inputs[0]["custom_id"]: "second version"})
    assert "Updated your answer" in (await done.reply()).text
    mine = await (await world.alice.run_command("my-answers", world.chan)).reply()
    assert "second version" in mine.text and "first version" in mine.text  # other fields kept
    assert "Privacy" not in (await answer(world, world.alice, card, "third")).lower()


async def test_full_workshop_across_two_groups(world: World) -> None:
    card_a = await start(world, world.chan)
    card_b = await start(world, world.chan_b)
    pset = world.library.prompt_sets["key-questions"]
    for number in range(1, 4):
        await answer(world, world.alice, card_a, f"A{number} from Alice")
        await answer(world, world.bob, card_b, f"B{number} from Bob")
        if number < 3:
            card_a = await (await world.facilitator.run_command(
                "session next", world.chan)).reply()
            card_b = await (await world.facilitator.run_command(
                "session next", world.chan_b)).reply()
            assert card_a.embeds[0]["title"].startswith(f"Prompt {number + 1} of 3")
    status = await (await world.facilitator.run_command("session status", world.chan)).reply()
    assert status.ephemeral
    assert "Participants" in status.text and "**1** answer" in status.text
    closed = await (await world.facilitator.run_command("session close", world.chan)).reply()
    assert not closed.ephemeral and "locked" in closed.text
    assert all(f"{p.number}. {p.title}: **1** answer" in closed.text for p in pset.prompts)
    # answers are locked after close, the typed text is given back
    late = await world.alice.click(card_a, "Answer")
    assert "closed" in (await late.reply()).text
    # the whole workshop, both groups, as CSV
    res = await world.facilitator.run_command(
        "session export", world.chan, format="csv", scope="workshop"
    )
    msg = await res.reply()
    assert msg.ephemeral and msg.attachments
    rows = list(csv.DictReader(io.StringIO(msg.attachments[0].data.decode("utf-8-sig"))))
    groups = {r[k] for r in rows for k in r if k.lower().startswith("group")}
    assert {"group-a", "group-b"} <= groups
    texts = {v for r in rows for v in r.values()}
    assert "A3 from Alice" in texts and "B1 from Bob" in texts


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "markdown", "html"])
async def test_every_export_format_comes_back_as_a_file(world: World, fmt: str) -> None:
    card = await start(world, anonymous=True)
    await answer(world, world.alice, card, "An answer to export")
    res = await world.facilitator.run_command("session export", world.chan, format=fmt)
    msg = await res.reply()
    (attachment,) = msg.attachments
    ext = {"markdown": "md"}.get(fmt, fmt)
    assert attachment.filename.endswith("." + ext)
    assert attachment.filename.startswith("leeds-seminar-2026")
    data = attachment.data
    assert b"Alice" not in data  # anonymous session: no names
    if fmt == "json":
        record = json.loads(data)
        assert record["schema_version"] >= 1


async def test_moving_out_of_bounds_and_missing_sessions_are_explained(world: World) -> None:
    no = await (await world.facilitator.run_command("session next", world.chan)).reply()
    assert no.ephemeral and "no session running" in no.text.lower()
    await start(world)
    back = await (await world.facilitator.run_command("session back", world.chan)).reply()
    assert back.ephemeral and "first prompt" in back.text
    goto = await (await world.facilitator.run_command("session goto", world.chan,
                                                      number=3)).reply()
    assert goto.embeds[0]["title"].startswith("Prompt 3 of 3")
    twice = await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop="x"
    )
    assert "already running" in (await twice.reply()).text


async def test_pause_and_moved_on_keep_what_was_typed(world: World) -> None:
    card = await start(world)
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    await world.facilitator.run_command("session pause", world.chan)
    values = {i["custom_id"]: "my careful reflection <@123>" for i in opened.modal.text_inputs}
    done = await opened.modal.submit(world.alice, values)
    reply = await done.reply()
    assert "paused" in reply.text
    assert "my careful reflection" in reply.text  # given back, nothing lost
    assert not reply.pinged_users
    blocked = await world.alice.click(card, "Answer")
    assert "paused" in (await blocked.reply()).text  # no form while paused
    await world.facilitator.run_command("session resume", world.chan)
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    await world.facilitator.run_command("session next", world.chan)
    done = await opened.modal.submit(world.alice, values)
    reply = await done.reply()
    assert "moved on from prompt 1 to prompt 2" in reply.text
    assert "my careful reflection" in reply.text


async def test_self_paced_sessions_answer_any_prompt(world: World) -> None:
    card = await start(world, pace="self")
    assert "self-paced" in card.content and "/answer prompt:" in card.content
    choices = await world.alice.autocomplete("answer", "prompt", "", world.chan)
    ids = [p.id for p in world.library.prompt_sets["key-questions"].prompts]
    assert [c["value"] for c in choices] == ids
    res = await world.alice.run_command("answer", world.chan, prompt=ids[2])
    await res.response()
    assert res.modal is not None and res.modal.title.startswith("3.")
    done = await res.modal.submit(world.alice, {i["custom_id"]: "x" for i in res.modal.text_inputs})
    assert "prompt 3" in (await done.reply()).text


async def test_answer_command_opens_the_live_prompt(world: World) -> None:
    none = await (await world.alice.run_command("answer", world.chan)).reply()
    assert "no session running" in none.text.lower()
    await start(world)
    await world.facilitator.run_command("session next", world.chan)
    res = await world.alice.run_command("answer", world.chan)
    await res.response()
    assert res.modal.title.startswith("2.")


async def test_autocomplete_for_sets_and_workshops(world: World) -> None:
    sets = await world.facilitator.autocomplete("session start", "set", "quick", world.chan)
    assert [c["value"] for c in sets] == ["quick-reflection"]
    sets = await world.facilitator.autocomplete("workshop breakouts", "set", "Quick", world.chan)
    assert [c["value"] for c in sets] == ["quick-reflection"]  # by title too, case aside
    await start(world)
    names = await world.facilitator.autocomplete(
        "session start", "workshop", "leeds", world.chan_b, set="key-questions"
    )
    assert [c["value"] for c in names] == [WORKSHOP]


async def test_a_breakout_thread_is_its_own_group(world: World) -> None:
    thread = world.guild.add_thread(world.chan, "breakout-1")
    card = await start(world, thread)
    assert "breakout-1" in card.embeds[0]["footer"]["text"]
    await answer(world, world.alice, card, "from the thread")
    (session,) = await world.bot.engine.sessions(world.guild.id)
    assert session.channel_id == thread.id and session.group_name == "breakout-1"
    # the parent channel can run its own session at the same time
    assert (await start(world, world.chan)).embeds


async def test_export_a_workshop_by_name_from_any_channel(world: World) -> None:
    card = await start(world, world.chan)
    await answer(world, world.alice, card, "exported from elsewhere")
    other = world.guild.add_channel("organisers")
    names = await world.facilitator.autocomplete(
        "session export", "workshop", "leeds", other, format="json"
    )
    assert [c["value"] for c in names] == [WORKSHOP]
    msg = await (await world.facilitator.run_command(
        "session export", other, format="json", workshop=WORKSHOP.upper())).reply()
    assert b"exported from elsewhere" in msg.attachments[0].data
    missing = await (await world.facilitator.run_command(
        "session export", other, format="json", workshop="Nope")).reply()
    assert "No workshop called" in missing.text and not missing.attachments
