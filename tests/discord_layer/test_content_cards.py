"""Content on screen, through the emulator: prompt cards and `/examples` agree on which
examples belong to which question, cards show the suggested time and say when they quote the
panels, example cards separate what the report says from what was added, and the demo's
transcript reads as a Discord user sees it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml

from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR, Settings
from bot.content import load_library
from bot.demo import ANSWERS, CITES, run_demo
from bot.emulator import EmulatedMessage
from bot.models import Library
from tests.discord_layer.conftest import World, emulating, make_world

REPORT = "NIS seminar report (2016)"


def field(message: EmulatedMessage, name: str) -> str | None:
    return next((f["value"] for f in message.embeds[0].get("fields", []) if f["name"] == name),
                None)


def titles_in(text: str) -> list[str]:
    """The example titles of a list of "• **Title**: reason" or "• Title" lines."""
    titles = []
    for line in text.splitlines():
        if line.startswith("• "):
            line = line[2:].replace(" *(not from the report)*", "")
            bold = re.match(r"\*\*(.+?)\*\*", line)
            titles.append(bold[1] if bold else line)
    return titles


async def walk(world: World, set_id: str, workshop: str) -> list[EmulatedMessage]:
    """Start ``set_id`` in the world's channel and move through every prompt's card."""
    cards = [await (await world.facilitator.run_command(
        "session start", world.chan, set=set_id, workshop=workshop)).reply()]
    for _ in world.library.prompt_sets[set_id].prompts[1:]:
        cards.append(await (await world.facilitator.run_command(
            "session next", world.chan)).reply())
    assert all(card is not None and card.embeds for card in cards)
    return cards  # type: ignore[return-value]


@pytest.mark.parametrize("set_id", ["key-questions", "key-questions-group", "quick-reflection"])
async def test_cards_and_examples_listing_agree(world: World, set_id: str) -> None:
    pset = world.library.prompt_sets[set_id]
    cards = await walk(world, set_id, f"Agree {set_id}")
    for prompt, card in zip(pset.prompts, cards, strict=True):
        assert card.embeds[0]["title"].endswith(prompt.title)
        on_card = titles_in(field(card, "Seminar examples to look at") or "")
        listing = await (await world.alice.run_command(
            "examples", world.chan, question=prompt.key_question)).reply()
        listed = titles_in(listing.embeds[0]["description"])
        assert sorted(on_card) == sorted(listed) and len(on_card) == len(set(on_card))
        # the Examples button offers the same examples, each to open
        offered = await (await world.alice.click(card, "Examples")).reply()
        options = offered.selects[0]["options"]
        assert sorted(o["label"] for o in options) == sorted(listed)


async def test_prompt_card_shows_time_and_quotation(world: World) -> None:
    (card,) = (await walk(world, "key-questions", "Timing"))[:1]
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    assert field(card, "Suggested time") == "About 25 minutes"
    description = card.embeds[0]["description"]
    assert description.startswith(f"**{prompt.question}**\n*Key question 1 as the panels put "
                                  f"it, quoted from the {REPORT}*")
    covers = field(card, "Your answer covers") or ""
    assert covers.splitlines() == [f"• {f.label}" + ("" if f.required else " *(optional)*")
                                   for f in prompt.fields]
    assert covers.splitlines()[-1] == "• Seminar examples that informed this *(optional)*"


async def test_group_set_form_leaves_room_for_a_citation(world: World) -> None:
    card = (await walk(world, "key-questions-group", "Groups"))[-1]  # the live prompt
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    assert opened.modal is not None, (await opened.reply()).text
    labels = [i.get("label") for i in opened.modal.text_inputs]
    assert len(labels) == 4 and "How we will judge value for money" in labels
    # ... and the fifth component cites the prompt's linked examples
    (select,) = opened.modal.selects
    assert select.label == "Seminar examples that informed this" and not select.required


async def test_example_cards_separate_the_report_from_context(world: World) -> None:
    library = world.library
    for example in library.examples.values():
        card = await (await world.alice.run_command(
            "example", world.chan, name=example.id)).reply()
        embed = card.embeds[0]
        assert embed["author"]["name"] == f"From the {REPORT}"
        assert embed["description"] == example.summary
        assert field(card, "About the source") == (example.source_note or None)
        names = field(card, "Names explained (not from the report)") or ""
        for gid in example.programmes:
            entry = library.glossary[gid]
            assert f"**{entry.term}**: {entry.expansion}" in names
            if entry.source_note:
                assert entry.source_note in names
        assert field(card, "Programmes") is None and field(card, "Names explained") is None
        assert "from the report" in embed["footer"]["text"]
    # "Department of Education" in the report, explained beside DfE
    dfe = await (await world.alice.run_command(
        "example", world.chan, name="dfe-policy-landscape")).reply()
    assert "Department of Education" in (field(dfe, "Who") or "")
    assert ('the department\'s name is the Department for Education' in
            (field(dfe, "Names explained (not from the report)") or ""))


async def test_an_organisers_example_is_not_shown_as_the_reports(tmp_path: Path) -> None:
    extra = tmp_path / "organiser"
    (extra / "examples").mkdir(parents=True)
    (extra / "examples" / "local.yaml").write_text(yaml.safe_dump({"examples": [{
        "id": "our-pilot", "title": "Our own pilot", "organisation": "Somewhere Council",
        "event": "Local workshop, 2026", "summary": "What we tried.",
        "questions": [{"question": "identify-change", "why": "Look at our pilot."}]}]}))
    library: Library = load_library([BUNDLED_CONTENT_DIR, extra], [BUNDLED_PROMPTS_DIR])
    world = make_world(tmp_path, library)
    async with emulating(world), world.running():
        card = await (await world.alice.run_command(
            "example", world.chan, name="our-pilot")).reply()
        assert card.embeds[0]["author"]["name"] == (
            f"Not from the {REPORT}: added to this bot's content")
        listing = await (await world.alice.run_command(
            "examples", world.chan, question="identify-change")).reply()
        assert "• **Our own pilot** (Q1) *(not from the report)*" in listing.text
        prompt_card = await (await world.organiser.run_command(
            "session start", world.chan, set="key-questions", workshop="Local")).reply()
        assert "Our own pilot *(not from the report)*" in (
            field(prompt_card, "Seminar examples to look at") or "")


def test_demo_answers_fit_the_key_question_fields(library: Library) -> None:
    pset = library.prompt_sets["key-questions-group"]  # the demo's breakout groups run it
    for group, answers in ANSWERS.items():
        assert len(answers) == len(pset.prompts) == len(CITES[group]), group
        for prompt, texts, cited in zip(pset.prompts, answers, CITES[group], strict=True):
            text_fields = [f for f in prompt.fields if not f.is_cite]
            assert len(texts) == len(text_fields), (group, prompt.id)
            for f, text in zip(text_fields, texts, strict=True):
                assert f.min_length <= len(text) <= f.max_length, (group, f.id)
            assert set(cited) <= set(prompt.example_ids), (group, prompt.id)


async def test_demo_transcript_reads_as_a_discord_user_sees_it(tmp_path: Path) -> None:
    transcript = io.StringIO()
    assert await run_demo(Settings(database_path=tmp_path / "unused.db"),
                          out_dir=tmp_path / "out", stream=transcript) == 0
    text = transcript.getvalue()
    assert "2 breakout groups are open for workshop Evidence into practice (demo)" in text
    assert not re.search(r"\\[!-/:-@\[-`{-~]", text), "a markdown escape is shown"
    assert "**" not in text and "\u200b" not in text
    for shown in ("Suggested time", f"quoted from the {REPORT}", f"From the {REPORT}",
                  "Names explained (not from the report)",
                  "How we identified it: data, voices, partners"):
        assert shown in text, shown
    # citations in the form, the chain a group made (with its gap) and the digest
    assert "citing Leeds: MST CAN for children experiencing abuse and neglect, A young " \
           "person's experience of MST" in text
    chain = text[text.index("[#Group B] Dev: /session chain"):]
    assert "Theory of change: Group B" in chain and "everyone sees this" in chain
    assert "⚠ No seminar example cited for prompt 3" in chain
    assert "1 gap to look at" in chain
    digest = text[text.index("/workshop digest workshop:"):]
    assert "Digest: Evidence into practice (demo) · 2 groups" in digest
    assert "Top-voted:\n" in digest and "Never cited:" in digest
    # the HTML report it writes shows the chain, the charts and the citations
    (report,) = (tmp_path / "out").glob("*.html")
    html = report.read_text(encoding="utf-8")
    assert '<table class="chain">' in html and "<b>Gap:</b> No seminar example cited for " \
        "prompt 3" in html
    assert html.count('<svg class="chart" role="img"') == 4  # answers, times, cited, dots
    assert 'id="chart-examples-cited"' in html and 'id="chart-votes"' in html
    assert "<p class=\"field\">Seminar examples that informed this: <i>Leeds: MST CAN for " \
        "children experiencing abuse and neglect</i>" in html
