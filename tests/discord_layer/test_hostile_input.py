"""Hostile or odd input stays harmless (issue 11, sections 5 and 7): replies keep Discord's
limits and echo stored names, unchanged text is never cut, forms belong to their channel,
names are cleaned, autocomplete lists workshops to facilitators only, @everyone cannot be the
facilitator role, and /forget-me's slow path replaces its confirmation."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR
from bot.content import load_library
from bot.discord_ui import respond
from bot.storage import Database
from tests.discord_layer.conftest import World, emulating, make_world
from tests.discord_layer.test_session_flow import WORKSHOP, answer, start


async def test_replies_stay_within_discords_limits(world: World) -> None:
    for i in range(40):  # many long workshop names
        await world.bot.engine.start(
            world.guild.id, 9_000 + i, group_name=f"g{i}", workshop=f"{'W' * 90} {i:02d}",
            set_id="key-questions", started_by=world.facilitator.id)
    unknown = await (await world.facilitator.run_command(
        "session export", world.chan, format="csv", workshop="N" * 2100)).reply()
    assert "No workshop called" in unknown.text and len(unknown.text) <= 2000
    huge_set = await (await world.facilitator.run_command(
        "session start", world.chan, set="s" * 2100, workshop="W")).reply()
    assert "no prompt set of that name" in huge_set.text and "sss" not in huge_set.text
    assert len(huge_set.text) <= 2000
    # (the emulator checks every reply against Discord's limits; the fixture asserts none broke)


async def test_an_export_by_a_padded_name_delivers_the_file_and_names_the_stored_workshop(
    world: World,
) -> None:
    card = await start(world)
    await answer(world, world.alice, card, "kept")
    msg = await (await world.facilitator.run_command(
        "session export", world.chan_b, format="json",
        workshop=f"  {WORKSHOP.upper().replace(' ', '   ')}\t")).reply()
    assert msg.attachments and b"kept" in msg.attachments[0].data
    assert f"workshop **{WORKSHOP}**" in msg.text.replace("\\", "")


async def test_names_are_cleaned_and_invisible_ones_refused(world: World) -> None:
    refused = await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop="\u200b\u202e \u2066")).reply()
    assert "something visible" in refused.text
    card = await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions",
        workshop="Ｌｅｅｄｓ\u200b  2026\u202e")).reply()
    assert card is not None and not card.ephemeral
    assert await world.bot.engine.workshop_names(world.guild.id) == ["Leeds 2026"]


async def test_answer_prompt_with_odd_digits_is_a_clear_refusal(world: World) -> None:
    await start(world)
    for odd in ("²", "①", "٣", "99"):
        reply = await (await world.alice.run_command("answer", world.chan, prompt=odd)).reply()
        assert "has no prompt" in reply.text, odd


async def test_workshop_names_are_offered_to_facilitators_only(world: World) -> None:
    await start(world)
    offered = await world.facilitator.autocomplete("session export", "workshop", "leeds",
                                                   world.chan, format="json")
    assert [c["value"] for c in offered] == [WORKSHOP]
    for person in (world.alice, world.bob):
        assert await person.autocomplete("session export", "workshop", "", world.chan,
                                         format="json") == []
        assert await person.autocomplete("session start", "workshop", "lee", world.chan,
                                         set="key-questions") == []


async def test_everyone_cannot_be_the_facilitator_role(world: World) -> None:
    reply = await (await world.organiser.run_command(
        "workshop-config facilitator-role", world.chan, role=world.guild.everyone)).reply()
    assert "@everyone cannot be the facilitator role" in reply.text
    assert world.bot.engine.facilitator_role(world.guild.id) == world.role.id  # unchanged
    refused = await (await world.alice.run_command(
        "session start", world.chan, set="key-questions", workshop="X")).reply()
    assert "Only facilitators" in refused.text


async def test_a_form_is_accepted_only_in_its_sessions_channel(world: World) -> None:
    card_a = await start(world, world.chan)
    card_b = await start(world, world.chan_b)
    session_a = world.bot.engine.peek_live(world.guild.id, world.chan.id)
    opened = await world.bob.click(card_b, "Answer")
    await opened.response()
    # a modified client sends the form it got in #group-b as if for #group-a's session
    opened.modal.data["custom_id"] = opened.modal.custom_id.replace(
        str(world.bot.engine.peek_live(world.guild.id, world.chan_b.id).id), str(session_a.id))
    reply = await (await opened.modal.submit(
        world.bob, {i["custom_id"]: "smuggled" for i in opened.modal.text_inputs})).reply()
    assert "not saved" in reply.text and "another channel" in reply.text
    assert await world.bot.engine.my_answers(world.guild.id, world.bob.id) == []
    assert card_a is not None


async def test_forget_me_on_the_slow_path_replaces_the_confirmation(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await start(world)
    await answer(world, world.alice, card, "to be erased")
    monkeypatch.setattr(respond, "DEFER_AFTER", 0.01)
    db: Database = world.bot.engine.db
    original = db._run_batch
    release = asyncio.Event()

    async def slow_batch(conn, batch):  # type: ignore[no-untyped-def]
        await release.wait()
        await original(conn, batch)

    monkeypatch.setattr(db, "_run_batch", slow_batch)
    confirm = await (await world.alice.run_command("forget-me", world.chan)).reply()
    click = await world.alice.click(confirm, "Yes, erase my answers")
    await click.response()
    assert click.deferred
    release.set()
    await click.wait_for(lambda r: "Erased" in confirm.text, "the confirmation to be replaced")
    assert confirm.buttons == []  # no live button is left on the old message
    assert "Erased 1 answer" in confirm.text


# --- text cut behind a person's back ---------------------------------------------------------

LIMITS = """\
id: limits
title: Limits
description: A set whose limits change between runs.
prompts:
  - id: one
    title: One
    question: What?
    guidance: Say it.
    fields:
      - id: long
        label: Long
        max_length: {limit}
      - id: other
        label: Other
        required: false
"""


async def test_lowering_a_limit_never_cuts_text_the_person_did_not_change(
    tmp_path: Path,
) -> None:
    extra = tmp_path / "prompts"
    extra.mkdir()

    def library(limit: int):  # type: ignore[no-untyped-def]
        (extra / "limits.yaml").write_text(LIMITS.format(limit=limit), encoding="utf-8")
        return load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, extra])

    w = make_world(tmp_path, library(1000))
    long_text = "a long, careful answer. " * 36  # 864 characters
    async with emulating(w):
        async with w.running():
            await w.organiser.run_command("workshop-config facilitator-role", w.chan,
                                          role=w.role)
            card = await (await w.facilitator.run_command(
                "session start", w.chan, set="limits", workshop="L")).reply()
            opened = await w.alice.click(card, "Answer")
            await opened.response()
            done = await opened.modal.submit(w.alice, {"long": long_text, "other": "first"})
            assert "Saved" in (await done.reply()).text
        w.library = library(100)  # the organiser lowers the limit, and the bot restarts
        async with w.running() as bot:
            opened = await w.alice.click(card, "Answer")
            await opened.response()
            long_input = next(i for i in opened.modal.text_inputs if i["custom_id"] == "long")
            assert long_input["value"] == long_text  # pre-filled whole, not cut to 100
            done = await opened.modal.submit(w.alice, {"other": "only this changed"})
            assert "Updated" in (await done.reply()).text
            (stored,) = await bot.engine.my_answers(w.guild.id, w.alice.id)
            assert stored.fields == {"long": long_text, "other": "only this changed"}
            # a new text over the new limit is still refused
            opened = await w.alice.click(card, "Answer")
            await opened.response()
            done = await opened.modal.submit(w.alice, {"long": long_text + "!"}, force=True)
            assert "the limit is 100" in (await done.reply()).text


def test_the_command_line_never_prints_control_characters_from_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path = tmp_path / "legacy.db"
    asyncio.run(_legacy_database(db_path))
    monkeypatch.setenv("DATABASE_PATH", str(db_path))
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--workshop", "nope", "--format", "csv"]) == 1
    err = capsys.readouterr().err
    assert "Known workshops" in err and "\\x1b[31mRed\\u202eevil" in err
    assert "\x1b" not in err and "\u202e" not in err


async def _legacy_database(path: Path) -> None:
    db = await Database.open(path)
    await db.close()
    conn = sqlite3.connect(path)
    with conn:  # a name stored before names were cleaned
        conn.execute("INSERT INTO workshops (guild_id, name, created_at) VALUES "
                     "(1, ?, 'x')", ("\x1b[31mRed\u202eevil",))
    conn.close()
