"""From answers to a synthesis, through the emulator: citing seminar examples in the answer
form (chosen, shown by title, pre-selected on edit, refused when not linked), a group's
theory-of-change chain with its gaps (public for a group, private for one person), and the
facilitators' digests (cited most and never, top-voted answers after a dot-vote)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.discord_ui import respond as respond_module
from bot.emulator import Channel, EmulatedMessage, Member
from bot.emulator.world import ModalSelect
from bot.synthesis import GAP_MARK
from tests.discord_layer.conftest import World

WORKSHOP = "Synthesis day"


async def reply(person: Member, command: str, channel: Channel, **options: object
                ) -> EmulatedMessage:
    message = await (await person.run_command(command, channel, **options)).reply()
    assert message is not None
    return message


async def start(world: World, channel: Channel, set_id: str = "key-questions",
                **options: object) -> EmulatedMessage:
    return await reply(world.facilitator, "session start", channel, set=set_id,
                       workshop=WORKSHOP, **options)


async def open_form(person: Member, card: EmulatedMessage):  # type: ignore[no-untyped-def]
    opened = await person.click(card, "Answer")
    await opened.response()
    assert opened.modal is not None, (await opened.reply()).text
    return opened.modal


async def answer(person: Member, card: EmulatedMessage, text: str | list[str],
                 cite: list[str] | None = None, **force: Any) -> EmulatedMessage:
    """Fill the form on ``card``: ``text`` in every text input (or one text each), the cite
    select set to ``cite`` (left as it is when None)."""
    modal = await open_form(person, card)
    texts = text if isinstance(text, list) else [text] * len(modal.text_inputs)
    values: dict[str, Any] = {i["custom_id"]: t for i, t in zip(modal.text_inputs, texts,
                                                                 strict=True)}
    if cite is not None:
        values[modal.selects[0].custom_id] = cite
    done = await modal.submit(person, values, **force)
    message = await done.reply()
    assert message is not None
    return message


def field(message: EmulatedMessage, name_start: str) -> str:
    embed = message.embeds[0]
    found = [f["value"] for f in embed.get("fields", []) if f["name"].startswith(name_start)]
    assert found, f"no field {name_start!r} in {[f['name'] for f in embed.get('fields', [])]}"
    return found[0]


# --- citing in the form -------------------------------------------------------------------------


async def test_cite_field_in_the_form_end_to_end(world: World) -> None:
    card = await start(world, world.chan)
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    titles = {e: world.library.examples[e].title for e in prompt.example_ids}
    modal = await open_form(world.alice, card)
    (select,) = modal.selects
    assert isinstance(select, ModalSelect)
    assert select.label == "Seminar examples that informed this"
    assert select.values == list(prompt.example_ids)  # every linked example, in card order
    assert [o["label"] for o in select.options] == [titles[e] for e in prompt.example_ids]
    assert (select.min_values, select.max_values, select.required) == (0, 10, False)
    assert select.defaults == []
    assert len(modal.inputs) == 5  # 4 text inputs and the select: Discord's most

    # two examples, chosen in reverse order: stored in the prompt's order
    first, second = prompt.example_ids[2], prompt.example_ids[0]
    saved = await answer(world.alice, card, "Our change", [first, second])
    assert "Saved your answer" in saved.text
    (stored,) = await world.bot.engine.my_answers(world.guild.id, world.alice.id)
    assert stored.fields["examples"] == [second, first]

    # shown by title, never by id
    mine = await reply(world.alice, "my-answers", world.chan)
    assert "Seminar examples that informed this" in mine.text
    assert world.library.examples[second].title in mine.text.replace("\\", "")
    assert second not in mine.text

    # on edit the select comes back with them chosen; a changed choice is stored
    again = await open_form(world.alice, card)
    assert again.selects[0].defaults == [second, first]
    done = await again.submit(world.alice, {"examples": [prompt.example_ids[1]]})
    assert "Updated your answer" in (await done.reply()).text
    (stored,) = await world.bot.engine.my_answers(world.guild.id, world.alice.id)
    assert stored.fields["examples"] == [prompt.example_ids[1]]
    assert stored.fields["change"] == "Our change"  # the text kept its pre-filled value

    # choosing none is fine: the field is optional
    done = await (await open_form(world.alice, card)).submit(world.alice, {"examples": []})
    assert "Updated your answer" in (await done.reply()).text
    (stored,) = await world.bot.engine.my_answers(world.guild.id, world.alice.id)
    assert stored.fields["examples"] == []


async def test_an_example_not_linked_is_refused_with_the_text_given_back(world: World) -> None:
    card = await start(world, world.chan)
    stranger = "holmes-costs-value"  # linked to question 3, not to question 1
    assert stranger not in world.library.prompt_sets["key-questions"].prompts[0].example_ids
    refused = await answer(world.bob, card, "Kept text", ["dudley-keep", stranger],
                           force=True)
    assert "not saved" in refused.text
    assert "'holmes-costs-value' is not an example linked to prompt 1" in refused.text
    assert "Kept text" in refused.text
    assert world.library.examples["dudley-keep"].title in refused.text.replace("\\", "")
    assert await world.bot.engine.my_answers(world.guild.id, world.bob.id) == []
    # Try again reopens the form as it was: the text and the choice
    retry = await world.bob.click(refused, "Try again")
    await retry.response()
    assert [i["value"] for i in retry.modal.text_inputs] == ["Kept text"] * 4
    assert retry.modal.selects[0].defaults == ["dudley-keep"]  # (the stranger is not offered)
    done = await retry.modal.submit(world.bob, {})
    assert "Saved your answer" in (await done.reply()).text
    (stored,) = await world.bot.engine.my_answers(world.guild.id, world.bob.id)
    assert stored.fields["examples"] == ["dudley-keep"]


async def test_a_conflict_gives_both_citations_back_by_title(world: World) -> None:
    card = await start(world, world.chan, answers="group")
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    mine, theirs = prompt.example_ids[0], prompt.example_ids[1]
    alice_form = await open_form(world.alice, card)
    bob_form = await open_form(world.bob, card)
    texts = {i["custom_id"]: "Bob's" for i in bob_form.text_inputs}
    first = await bob_form.submit(world.bob, {**texts, "examples": [theirs]})
    assert "Saved the group's answer" in (await first.reply()).text
    late = await alice_form.submit(world.alice, {**{i["custom_id"]: "Alice's" for i in
                                                     alice_form.text_inputs},
                                                  "examples": [mine]})
    refused = await late.reply()
    shown = refused.text.replace("\\", "")
    assert "not saved" in refused.text
    assert world.library.examples[mine].title in shown  # hers, not saved
    assert world.library.examples[theirs].title in shown  # the group's now
    merge = await world.alice.click(refused, "Edit the current version")
    await merge.response()
    assert merge.modal.selects[0].defaults == [theirs]


# --- the chain ----------------------------------------------------------------------------------


async def test_a_groups_chain_shows_its_gaps_to_the_group(world: World) -> None:
    card = await start(world, world.chan, "key-questions-group")
    pset = world.library.prompt_sets["key-questions-group"]
    q1, q2 = pset.prompts[0], pset.prompts[1]
    # question 1: a full answer citing two examples
    await answer(world.alice, card, ["Fewer teenagers coming into care in a crisis",
                                     "Young people aged 13-17 and their families",
                                     "Entries to care at 13+", "Care-entry data"],
                 [q1.example_ids[0], q1.example_ids[4]])
    await reply(world.facilitator, "session next", world.chan)
    card = [m for m in world.emu.messages_in(world.chan) if m.buttons][-1]
    # question 2: too short to use, and no example cited
    await answer(world.bob, card, ["MST", "fits", "one", "two"], [])
    # question 3: no answer at all

    chain = await reply(world.bob, "session chain", world.chan)
    assert not chain.ephemeral  # the group's own answer, shown to the group
    embed = chain.embeds[0]
    assert embed["title"] == "Theory of change: group\\-a"
    names = [f["name"] for f in embed["fields"]]
    assert names == ["Change and for whom ✅", f"Intervention, scale and sustainability "
                     f"{GAP_MARK}", f"Outcomes, costs and value for money {GAP_MARK}"]
    change = field(chain, "Change and for whom")
    assert "Fewer teenagers coming into care in a crisis" in change
    assert world.library.examples[q1.example_ids[4]].title in change.replace("\\", "")
    assert GAP_MARK not in change
    middle = field(chain, "Intervention")
    assert f"{GAP_MARK} Too short to use: 9 characters for prompt 2" in middle
    assert f"{GAP_MARK} No seminar example cited for prompt 2" in middle
    assert "**The intervention or approach we chose**: MST" in middle
    last = field(chain, "Outcomes")
    assert last.startswith(f"{GAP_MARK} No answer to prompt 3")
    assert "3 gaps to look at" in embed["footer"]["text"]
    assert q2.cite_field is not None


async def test_a_groups_chain_is_still_posted_for_the_group_when_the_reply_was_deferred(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow database makes the bot defer privately ("thinking…" only the asker sees); the
    group's chain must then still reach the group: posted in the channel, and the asker told."""
    card = await start(world, world.chan, "key-questions-group")
    q1 = world.library.prompt_sets["key-questions-group"].prompts[0]
    await answer(world.alice, card, ["Fewer teenagers coming into care in a crisis",
                                     "Young people aged 13-17 and their families",
                                     "Entries to care at 13+", "Care-entry data"],
                 [q1.example_ids[0]])
    monkeypatch.setattr(respond_module, "DEFER_AFTER", 0.05)
    db = world.bot.engine.db
    original = db.group_answers
    release = asyncio.Event()

    async def slow_read(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(db, "group_answers", slow_read)
    before = len(world.emu.messages_in(world.chan))
    asked = await world.bob.run_command("session chain", world.chan)
    await asked.response()
    assert asked.deferred  # acknowledged in time, privately
    release.set()
    note = await asked.wait_for_original()
    assert note.ephemeral and "posted in the channel" in note.text
    posted = world.emu.messages_in(world.chan)[before:]
    assert [m.embeds[0]["title"] for m in posted] == ["Theory of change: group\\-a"]
    assert "Fewer teenagers coming into care in a crisis" in field(posted[0], "Change and for whom")


async def test_ones_own_chain_is_private_and_only_ones_own(world: World) -> None:
    card = await start(world, world.chan)
    await answer(world.alice, card, "Alice's long enough answer for the chain", ["dudley-keep"])
    await answer(world.bob, card, "Bob's own text, also long enough to use")
    chain = await reply(world.alice, "session chain", world.chan)
    assert chain.ephemeral
    assert chain.embeds[0]["title"] == "Theory of change: Alice A\\."
    text = chain.text
    assert "Alice's long enough answer" in text and "Bob's" not in text
    assert f"{GAP_MARK} No answer to prompt 2" in text
    # Bob cited nothing: his chain says so
    bobs = await reply(world.bob, "session chain", world.chan)
    assert f"{GAP_MARK} No seminar example cited for prompt 1" in bobs.text
    # a set without a chain says so
    await reply(world.facilitator, "session close", world.chan)
    await start(world, world.chan, "quick-reflection")
    none = await reply(world.alice, "session chain", world.chan)
    assert "declares no theory\\-of\\-change chain" in none.text or \
        "declares no theory-of-change chain" in none.text


# --- the digest ---------------------------------------------------------------------------------


async def test_digests_count_citations_and_show_the_top_voted(world: World) -> None:
    pset = world.library.prompt_sets["key-questions"]
    ids = pset.prompts[0].example_ids
    card_a = await start(world, world.chan)
    card_b = await start(world, world.chan_b)
    carol = world.guild.add_member("Carol")
    dave = world.guild.add_member("Dave")
    await answer(world.alice, card_a, "A's answer, the strongest", [ids[0], ids[1]])
    await answer(world.bob, card_a, "Bob's answer", [ids[0]])
    await answer(carol, card_b, "Carol's answer", [])

    # the session's digest: only this group, to the facilitator only
    mine = await reply(world.facilitator, "session digest", world.chan, prompt="1")
    assert mine.ephemeral and len(mine.embeds) == 1
    body = mine.embeds[0]["description"].replace("\\", "").replace("**", "")
    assert "2 answers from 1 group" in body
    assert f"Cited most: {world.library.examples[ids[0]].title} (2); " \
           f"{world.library.examples[ids[1]].title} (1)" in body
    assert "Answers citing an example: 2 of 2" in body
    assert f"Never cited: {world.library.examples[ids[2]].title}" in body
    assert "group group-a" in mine.embeds[0]["author"]["name"]

    # a vote on prompt 1, closed: the workshop's digest, posted for everyone
    await reply(world.facilitator, "workshop vote start", world.chan, workshop=WORKSHOP, dots=2)
    cards = [m for m in world.emu.messages_in(world.chan_b)
             if any(b.get("label") == "Add a dot" for b in m.buttons)]
    strongest = next(m for m in cards if "the strongest" in m.text)
    for person in (carol, dave):
        assert "Dot placed" in (await (await person.click(strongest, "Add a dot")).reply()).text
    await reply(world.facilitator, "workshop vote close", world.chan, workshop=WORKSHOP)
    public = await reply(world.facilitator, "workshop digest", world.chan, workshop=WORKSHOP,
                         public=True)
    assert not public.ephemeral
    assert [e["title"] for e in public.embeds] == [f"{p.number}\\. {p.title}"
                                                    for p in pset.prompts]
    first = public.embeds[0]["description"].replace("\\", "").replace("**", "")
    assert "3 answers from 2 groups" in first and "Answers citing an example: 2 of 3" in first
    assert "Top-voted:" in first
    # named answers stay unnamed in a public digest unless the workshop shows names
    assert "1. group-a · a participant: 2 dots: A's answer, the strongest" in first
    assert "Alice" not in public.text
    assert public.embeds[1]["description"].startswith("**0** answers")
    assert "Top-voted" not in public.embeds[1]["description"]  # no vote on prompt 2

    # only facilitators
    refused = await reply(world.alice, "workshop digest", world.chan, workshop=WORKSHOP)
    assert "Only facilitators" in refused.text
    unknown = await reply(world.facilitator, "session digest", world.chan, prompt="9")
    assert "No prompt '9' here" in unknown.text


def test_a_digest_of_many_prompts_says_what_it_leaves_out() -> None:
    from bot.discord_ui.synthesis import digest_message
    from bot.exports import ExportScope
    from bot.exports.data import PromptInfo
    from bot.exports.digest import Digest, PromptDigest
    from bot.synthesis import CitationTally

    prompts = tuple(
        PromptDigest(PromptInfo(index=i, set_id="s", id=f"p{i}", number=i + 1,
                                title=f"Prompt {i + 1} " + "x" * 80, question="", fields=(),
                                examples=(), in_library=True),
                     answers=40, groups=8,
                     citations=CitationTally(tuple(f"e{k}" for k in range(25)),
                                             {"e0": 12}, 40, 12),
                     voted=False, top=())
        for i in range(14))
    note, embeds = digest_message(Digest("W", ExportScope.workshop("W"), None, 8, prompts))
    assert len(embeds) == 10 and sum(len(e.description or "") for e in embeds) < 6000
    assert note is not None and "The first 10 prompts are shown; for the other 4 (from 11." \
        in note and "`prompt:`" in note
    few, shown = digest_message(Digest("W", ExportScope.workshop("W"), None, 8, prompts[:3]))
    assert few is None and len(shown) == 3
