"""bot/retention.py on a real database: what is warned, what is deleted, and when."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from bot import retention
from bot.engine import Engine
from bot.storage import Database, SessionRow
from tests.test_engine import FACILITATOR, GUILD, OTHER_GUILD, full_answer

DAYS = 30
NOW = datetime.now(UTC)  # warnings are stamped with the real time


async def closed_session(engine: Engine, guild: int, channel: int, workshop: str,
                         closed_days_ago: float | None, people: int = 2) -> SessionRow:
    """A session with ``people`` answers, closed that long before NOW (None: left open)."""
    s = await engine.start(guild, channel, group_name=f"group-{channel}", workshop=workshop,
                           set_id="key-questions", started_by=FACILITATOR)
    prompt = engine.live_prompt(s)
    for user in range(people):
        await engine.submit(guild, s.id, prompt.id, user_id=100 + user, display_name=f"U{user}",
                            values=full_answer(prompt))
    if closed_days_ago is not None:
        await engine.close(guild, channel)
        await set_time(engine.db, s.id, "closed_at", NOW - timedelta(days=closed_days_ago))
    return s


async def set_time(db: Database, session_id: int, column: str, when: datetime) -> None:
    def job(conn: sqlite3.Connection) -> None:
        conn.execute(f"UPDATE sessions SET {column} = ? WHERE id = ?",
                     (when.isoformat(timespec="milliseconds"), session_id))

    await db.write(job)


async def answer_count(db: Database, session_id: int) -> int:
    return (await db.fetchone("SELECT count(*) FROM answers WHERE session_id = ?",
                              (session_id,)))[0]


async def test_warn_a_day_ahead_then_delete_only_after_the_warning(engine: Engine) -> None:
    db = engine.db
    old = await closed_session(engine, GUILD, 1, "Old", closed_days_ago=40)
    almost = await closed_session(engine, GUILD, 2, "Almost", closed_days_ago=DAYS - 0.5)
    recent = await closed_session(engine, GUILD, 3, "Recent", closed_days_ago=DAYS - 5)
    live = await closed_session(engine, GUILD, 4, "Live", closed_days_ago=None)
    other = await closed_session(engine, OTHER_GUILD, 5, "Old", closed_days_ago=100)

    due = await retention.plan(db, DAYS, now=NOW)
    # within a day of its retention time (or past it) and not yet warned
    assert [s.id for s in due.warn] == [old.id, almost.id, other.id]
    assert due.delete == []  # nothing was warned yet, so nothing is deleted
    assert await retention.delete_due(db, due) == 0
    await db.mark_retention_warned([s.id for s in due.warn])

    again = await retention.plan(db, DAYS, now=datetime.now(UTC) + timedelta(hours=23))
    assert again.warn == [] and again.delete == []  # warned once; a day has not passed

    due = await retention.plan(db, DAYS, now=datetime.now(UTC) + timedelta(days=1, minutes=1))
    assert due.warn == []
    assert [s.id for s in due.delete] == [old.id, almost.id, other.id]
    deleted = await retention.delete_due(db, due)
    assert deleted == 6
    for s in due.delete:
        assert await answer_count(db, s.id) == 0
        assert await db.session(s.guild_id, s.id) is None
    # untouched: the recently closed one and the live one (still in the engine's mirror)
    assert await answer_count(db, recent.id) == 2 and await answer_count(db, live.id) == 2
    assert engine.peek_session(GUILD, live.id) is not None
    assert engine.peek_answer(live.id, engine.live_prompt(live).id, 100) is not None
    # audited per server with counts only
    audit = await db.audit_entries(GUILD)
    deletions = [d for _at, actor, action, d in audit if action == "delete_session"]
    assert {d["session_id"] for d in deletions} == {s.id for s in due.delete
                                                    if s.guild_id == GUILD}
    assert all(d["reason"] == "retention" and d["answers_deleted"] == 2 for d in deletions)
    assert all(actor is None for _at, actor, action, _d in audit)
    other_audit = await db.audit_entries(OTHER_GUILD)
    assert [(a[2], a[3]["session_id"]) for a in other_audit] == [("delete_session", other.id)]
    # a workshop left with no sessions goes too; one with sessions stays
    assert await db.workshop_names(GUILD) == ["Live", "Recent"]
    assert await db.workshop_names(OTHER_GUILD) == []


async def test_a_session_closed_just_now_is_not_warned(engine: Engine) -> None:
    s = await closed_session(engine, GUILD, 1, "W", closed_days_ago=0)
    due = await retention.plan(engine.db, 1, now=NOW)
    assert due.warn == [] and due.delete == []
    due = await retention.plan(engine.db, 1, now=NOW + timedelta(minutes=1))
    assert [x.id for x in due.warn] == [s.id]  # within a day of the 1-day retention time
