"""RETENTION_DAYS through the real bot: the retention task warns a closed session's channel at
start, deletes it a day later, leaves everything else alone, and does nothing when unset."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.discord_ui.client import WorkshopBot
from bot.models import Library
from bot.scheduler import ManualClock
from bot.storage import Database
from tests.discord_layer.conftest import World, emulating, make_world
from tests.discord_layer.test_session_flow import answer

DAYS = 30


@pytest.fixture
async def bare_world(tmp_path: Path, library: Library) -> AsyncIterator[World]:
    """The emulator running, no bot yet: each test starts (and restarts) its own."""
    w = make_world(tmp_path, library)
    async with emulating(w):
        yield w


async def run_session(w: World, channel, workshop: str, people: list) -> int:
    """Start a session in ``channel``, have ``people`` answer, close it; its id."""
    card = await (await w.facilitator.run_command(
        "session start", channel, set="key-questions", workshop=workshop)).reply()
    for person in people:
        assert "Saved" in await answer(w, person, card, f"{person.name} in {workshop}")
    await (await w.facilitator.run_command("session close", channel)).reply()
    return (await w.bot.engine.latest_session(w.guild.id, channel.id)).id


async def closed_days_ago(db: Database, session_id: int, days: float) -> None:
    when = datetime.now(UTC) - timedelta(days=days)

    def job(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE sessions SET closed_at = ? WHERE id = ?",
                     (when.isoformat(timespec="milliseconds"), session_id))

    await db.write(job)


async def retention_job(bot: WorkshopBot) -> Any:
    """The scheduler's retention job, if one is scheduled."""
    return await bot.engine.scheduler.job("retention", "daily")


def retention_messages(w: World, channel) -> list:
    return [m for m in w.emu.messages_in(channel) if "Retention notice" in m.text]


async def answers_of(db: Database, session_id: int) -> int:
    row = await db.fetchone("SELECT count(*) FROM answers WHERE session_id = ?", (session_id,))
    return row[0]


async def test_warned_at_start_then_deleted_a_day_later(bare_world: World) -> None:
    w = bare_world
    w.settings = dataclasses.replace(w.settings, retention_days=DAYS)
    async with w.running() as bot:
        await w.organiser.run_command("workshop-config facilitator-role", w.chan, role=w.role)
        old = await run_session(w, w.chan, "Old workshop", [w.alice, w.bob])
        recent = await run_session(w, w.chan_b, "Recent workshop", [w.alice])
        live_card = await (await w.facilitator.run_command(
            "session start", w.chan_b, set="key-questions", workshop="Recent workshop")).reply()
        await answer(w, w.bob, live_card, "still running")
        await closed_days_ago(bot.engine.db, old, 40)
        await closed_days_ago(bot.engine.db, recent, 3)

    w.clock = ManualClock(datetime.now(UTC))
    async with w.running() as bot:  # a restart: the job runs at start
        retention = bot.retention
        await asyncio.wait_for(retention.ran.wait(), timeout=10)
        assert await retention_job(bot) is not None  # and is scheduled again, for tomorrow
        db = bot.engine.db
        (notice,) = retention_messages(w, w.chan)
        assert f"Session {old}" in notice.text and "Old workshop" in notice.text
        assert "group\\-a" in notice.text  # the group name, escaped like all names
        assert "/session export" in notice.text and f"{DAYS} days" in notice.text
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
        assert tomorrow in notice.text  # when it will be deleted
        assert not (notice.pinged_everyone or notice.pinged_users or notice.pinged_roles)
        assert not notice.ephemeral
        assert retention_messages(w, w.chan_b) == []
        # warned, not deleted yet
        assert await answers_of(db, old) == 2
        warned = await db.fetchone("SELECT retention_warned_at FROM sessions WHERE id = ?",
                                   (old,))
        assert warned[0] is not None

        # the next daily run, a day and a minute later, deletes it
        retention.ran.clear()
        w.clock.advance(days=1, minutes=1)
        await asyncio.wait_for(retention.ran.wait(), timeout=10)
        assert retention.runs == 2
        assert await answers_of(db, old) == 0
        assert await db.session(w.guild.id, old) is None
        assert "Old workshop" not in await db.workshop_names(w.guild.id)
        audit = await db.audit_entries(w.guild.id)
        (entry,) = [a for a in audit if a[2] == "delete_session"]
        assert entry[3] == {"session_id": old, "answers_deleted": 2, "reason": "retention"}
        assert "Alice" not in repr(audit)  # counts only, never text or names
        assert len(retention_messages(w, w.chan)) == 1  # warned once only
        # everything else untouched, and the live session still takes answers
        assert await answers_of(db, recent) == 1
        live = await bot.engine.latest_session(w.guild.id, w.chan_b.id)
        assert await answers_of(db, live.id) == 1
        assert "Saved" in await answer(w, w.alice, live_card, "after the clean-up")
        assert await answers_of(db, live.id) == 2
        export = await (await w.facilitator.run_command(
            "session export", w.chan, format="json")).reply()
        assert b"Old workshop" not in b"".join(a.data for a in export.attachments)


async def test_nothing_happens_without_retention_days(bare_world: World) -> None:
    w = bare_world
    assert w.settings.retention_days is None
    async with w.running() as bot:
        await w.organiser.run_command("workshop-config facilitator-role", w.chan, role=w.role)
        old = await run_session(w, w.chan, "Old workshop", [w.alice])
        await closed_days_ago(bot.engine.db, old, 400)
    async with w.running() as bot:
        assert await retention_job(bot) is None  # no job at all
        assert await bot.retention.run_once(datetime.now(UTC) + timedelta(days=1000)) == 0
        assert bot.retention.runs == 0
        db = bot.engine.db
        assert await answers_of(db, old) == 1
        row = await db.fetchone("SELECT retention_warned_at FROM sessions WHERE id = ?", (old,))
        assert row[0] is None
        assert retention_messages(w, w.chan) == []
        assert not [a for a in await db.audit_entries(w.guild.id) if a[2] == "delete_session"]
