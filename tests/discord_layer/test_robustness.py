"""Restarts, slow storage, upload limits, unexpected errors, and the demo itself."""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from pathlib import Path

import pytest

from bot.config import Settings
from bot.discord_ui import respond
from bot.models import Library
from bot.storage import Database
from tests.discord_layer.conftest import World, emulating, make_world
from tests.discord_layer.test_session_flow import answer, start


async def test_cards_keep_working_after_a_restart(tmp_path: Path, library: Library) -> None:
    world = make_world(tmp_path, library)
    async with emulating(world):
        async with world.running():
            await world.organiser.run_command(
                "workshop-config facilitator-role", world.chan, role=world.role
            )
            card = await start(world)
            await answer(world, world.alice, card, "before the restart")
        # a new bot process on the same database; the old card's buttons still work
        async with world.running():
            opened = await world.bob.click(card, "Answer")
            await opened.response()
            assert opened.modal is not None
            done = await opened.modal.submit(
                world.bob, {i["custom_id"]: "after the restart" for i in opened.modal.text_inputs}
            )
            assert "Saved your answer" in (await done.reply()).text
            again = await world.alice.click(card, "Answer")  # pre-filled from the database
            await again.response()
            assert again.modal.text_inputs[0]["value"] == "before the restart"
            listing = await (await world.bob.click(card, "Examples")).reply()
            assert listing.selects
            # the facilitator role survived too
            status = await (await world.facilitator.run_command(
                "session status", world.chan)).reply()
            assert "**2** answers" in status.text


async def test_slow_storage_is_deferred_not_dropped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await start(world)
    monkeypatch.setattr(respond, "DEFER_AFTER", 0.05)
    db: Database = world.bot.engine.db
    original = db._run_batch
    release = asyncio.Event()

    async def slow_batch(conn, batch):
        await release.wait()
        await original(conn, batch)

    monkeypatch.setattr(db, "_run_batch", slow_batch)
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    done = await opened.modal.submit(world.alice, {i["custom_id"]: "slow but safe"
                                                   for i in opened.modal.text_inputs})
    await done.response()
    assert done.deferred  # acknowledged in time, "thinking…"
    release.set()
    reply = await done.wait_for_original()
    assert "Saved your answer" in reply.text and reply.ephemeral


async def test_export_over_the_upload_limit_is_zipped(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library, attachment_size_limit=6000)
    async with emulating(world), world.running():
        card = await (await world.organiser.run_command(
            "session start", world.chan, set="key-questions", workshop="Big")).reply()
        text = "a long considered answer " * 20
        for i in range(6):
            person = world.guild.add_member(f"Person {i}")
            opened = await person.click(card, "Answer")
            await opened.response()
            assert opened.modal is not None
            done = await opened.modal.submit(person, {  # as long as each field takes
                field["custom_id"]: text[: field["max_length"]]
                for field in opened.modal.text_inputs})
            assert "saved" in (await done.reply()).text.lower()
        msg = await (await world.organiser.run_command(
            "session export", world.chan, format="csv")).reply()
        (attachment,) = msg.attachments
        assert attachment.filename.endswith(".csv.zip") and "zipped" in msg.text
        with zipfile.ZipFile(io.BytesIO(attachment.data)) as zf:
            (name,) = zf.namelist()
            assert b"a long considered answer" in zf.read(name)
        assert attachment.size <= 6000


async def test_an_export_too_large_even_zipped_is_refused_clearly(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library, attachment_size_limit=300)
    async with emulating(world), world.running():
        card = await (await world.organiser.run_command(
            "session start", world.chan, set="key-questions", workshop="Big")).reply()
        await answer(world, world.alice, card, "x")
        msg = await (await world.organiser.run_command(
            "session export", world.chan, format="xlsx")).reply()
        assert not msg.attachments
        assert "over this server's upload limit" in msg.text


async def test_unexpected_errors_get_a_short_message_and_a_logged_traceback(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await start(world)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(world.bot.engine, "status", broken)
    with caplog.at_level(logging.ERROR):
        reply = await (await world.facilitator.run_command("session status", world.chan)).reply()
    assert reply.ephemeral and reply.text == respond.GENERIC_ERROR
    assert "disk on fire" not in reply.text
    assert any("disk on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_the_demo_plays_a_whole_workshop(tmp_path: Path) -> None:
    from bot.demo import run_demo

    transcript = io.StringIO()
    out = tmp_path / "demo-output"
    code = await run_demo(Settings(database_path=tmp_path / "unused.db"), out_dir=out,
                          stream=transcript)
    assert code == 0
    text = transcript.getvalue()
    # a breakout workshop of two groups, each agreeing one answer per prompt, with a board
    # and timers (the demo was a two-channel individual workshop before issue 14)
    for expected in ("/workshop breakouts", "2 breakout groups are open", "clicks Answer",
                     "Saved the group's answer", "(version 2)", "Live board",
                     "has kept itself up to date", "/workshop timer start", "One minute left",
                     "Time's up", "not saved", "Edit the current version",
                     "/workshop next", "/forget-me", "Erased", "/workshop close",
                     "/workshop gallery start", "Comment saved", "The gallery walk of",
                     "from Group B", "Dot placed", "your own group's answer",
                     "/workshop vote close", "Vote results",
                     "/session export format:markdown"):
        assert expected in text, expected
    assert "<t:" not in text and "<#" not in text  # shown as a Discord user reads them
    suffixes = sorted(p.suffix for p in out.iterdir())
    assert suffixes == [".csv", ".html", ".json", ".md", ".xlsx"]
    assert not (tmp_path / "unused.db").exists()  # the demo never touches the real database
