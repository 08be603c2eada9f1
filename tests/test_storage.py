"""Storage: pragmas, migrations from an older schema, integrity, group commit, idempotency."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import (
    SCHEMA_VERSION,
    Database,
    SaveOutcome,
    Scope,
    StorageError,
    apply_migrations,
)

GUILD = 111


async def _session(db: Database, channel: int = 10, *, pace: str = "facilitator") -> int:
    s = await db.create_session(
        guild_id=GUILD, workshop="Leeds", channel_id=channel, group_name="group-a",
        prompt_set="key-questions", prompt_count=3, anonymous=False, pace=pace, started_by=1,
    )
    assert s is not None
    return s.id


async def test_fresh_database_is_created_with_safe_pragmas(db: Database, db_path: Path) -> None:
    assert db_path.exists()
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    assert (await db.fetchone("PRAGMA synchronous"))[0] == 2  # FULL
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000
    assert (await db.fetchone("PRAGMA user_version"))[0] == SCHEMA_VERSION


async def test_older_schema_is_upgraded_and_keeps_its_data(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await apply_migrations(conn, upto=1)
        await conn.execute(
            "INSERT INTO workshops (guild_id, name, created_at) VALUES (1, 'Old event', 'x')"
        )
        assert (await (await conn.execute("PRAGMA user_version")).fetchone())[0] == 1
    db = await Database.open(db_path)
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == SCHEMA_VERSION
        assert await db.workshop_names(1) == ["Old event"]
        # migration 2's column and index exist
        cols = [r[1] for r in await db.fetchall("PRAGMA table_info(sessions)")]
        assert "retention_warned_at" in cols
        indexes = [r[1] for r in await db.fetchall("PRAGMA index_list(answers)")]
        assert "answers_by_guild_user" in indexes
    finally:
        await db.close()


async def test_database_from_a_newer_bot_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer than this bot understands"):
        await Database.open(db_path)


async def test_corrupt_file_gives_a_clear_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=str(db_path.name)):
        await Database.open(db_path)


async def test_hot_path_queries_use_indexes(db: Database) -> None:
    plans = {
        "user": "SELECT 1 FROM answers WHERE guild_id = 1 AND user_id = 2",
        "session": "SELECT prompt_id, count(*) FROM answers WHERE guild_id = 1 "
                   "AND session_id = 2 GROUP BY prompt_id",
        "live": "SELECT * FROM sessions WHERE channel_id = 3 AND status != 'closed'",
        # save_answer, once per submission (bench/burst.py --prefill 1000000: no slow-down)
        "replay": "SELECT a.id FROM answer_writes w JOIN answers a ON a.id = w.answer_id "
                  "WHERE w.interaction_id = 4",
        "session state": "SELECT status, current_prompt, pace, workshop_id FROM sessions "
                         "WHERE id = 2 AND guild_id = 1",
        "existing": "SELECT 1 FROM answers WHERE session_id = 2 AND prompt_id = 'p' "
                    "AND user_id = 2",
        "pseudonym": "SELECT coalesce(max(number), 0) + 1 FROM participants "
                     "WHERE workshop_id = 5",
        "people": "SELECT count(DISTINCT user_id) FROM answers WHERE guild_id = 1 "
                  "AND session_id = 2",
    }
    for name, sql in plans.items():
        rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql)
        detail = " ".join(r[3] for r in rows)
        assert "SEARCH" in detail and "USING" in detail, (name, detail)
        for table in ("answers", "sessions", "participants", "answer_writes"):
            assert f"SCAN {table}" not in detail.replace(f"SCAN {table} USING", ""), \
                (name, detail)


async def test_one_live_session_per_channel(db: Database) -> None:
    await _session(db)
    again = await db.create_session(
        guild_id=GUILD, workshop="Leeds", channel_id=10, group_name="group-a",
        prompt_set="key-questions", prompt_count=3, anonymous=False, pace="facilitator",
        started_by=1,
    )
    assert again is None


async def test_workshop_names_are_case_insensitive(db: Database) -> None:
    await _session(db, 10)
    s2 = await db.create_session(
        guild_id=GUILD, workshop="LEEDS", channel_id=11, group_name="group-b",
        prompt_set="key-questions", prompt_count=3, anonymous=False, pace="facilitator",
        started_by=1,
    )
    assert s2 is not None and s2.workshop == "Leeds"
    assert len(await db.sessions(GUILD, "leeds")) == 2


async def test_hundred_concurrent_submissions_give_hundred_rows_in_few_commits(
    db: Database,
) -> None:
    sid = await _session(db)
    before = db.batches_committed
    results = await asyncio.gather(*(
        db.save_answer(
            guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1, user_id=1000 + i,
            display_name=f"User {i}", fields={"a": f"answer {i}"}, interaction_id=5000 + i,
        )
        for i in range(100)
    ))
    assert all(r.outcome is SaveOutcome.CREATED for r in results)
    assert (await db.fetchone("SELECT count(*) FROM answers"))[0] == 100
    # group commit: far fewer transactions than answers
    assert db.batches_committed - before < 10
    # and the rows are visible to another connection, i.e. committed
    with sqlite3.connect(db.path) as other:
        assert other.execute("SELECT count(*) FROM answers").fetchone()[0] == 100


async def test_replayed_interaction_changes_nothing(db: Database) -> None:
    sid = await _session(db)
    kwargs = dict(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1,
                  user_id=7, display_name="Ann", interaction_id=99)
    first = await db.save_answer(fields={"a": "first"}, **kwargs)
    edited = await db.save_answer(
        **{**kwargs, "interaction_id": 100}, fields={"a": "second"}
    )
    replay = await db.save_answer(fields={"a": "first"}, **kwargs)
    assert first.outcome is SaveOutcome.CREATED
    assert edited.outcome is SaveOutcome.UPDATED
    assert replay.outcome is SaveOutcome.REPLAYED
    rows = await db.fetchall("SELECT fields FROM answers")
    assert rows == [('{"a": "second"}',)]


async def test_failing_job_does_not_spoil_its_batch(db: Database) -> None:
    sid = await _session(db)

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO answers (id) VALUES (NULL)")  # violates NOT NULL

    good = db.save_answer(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1,
                          user_id=1, display_name="A", fields={"a": "x"}, interaction_id=1)
    results = await asyncio.gather(db.write(bad), good, return_exceptions=True)
    assert isinstance(results[0], sqlite3.IntegrityError)
    assert results[1].outcome is SaveOutcome.CREATED
    assert (await db.fetchone("SELECT count(*) FROM answers"))[0] == 1


async def test_close_finishes_queued_writes(db_path: Path) -> None:
    db = await Database.open(db_path)
    sid = await _session(db)
    pending = [
        asyncio.ensure_future(db.save_answer(
            guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1, user_id=i,
            display_name="x", fields={"a": "y"}, interaction_id=i))
        for i in range(20)
    ]
    await asyncio.sleep(0)  # let the writes reach the queue (not used as synchronisation)
    await db.close()
    assert all(p.done() and p.result().outcome is SaveOutcome.CREATED for p in pending)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 20
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_snapshot_does_not_see_later_writes(db: Database) -> None:
    sid = await _session(db)
    await db.save_answer(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1,
                         user_id=1, display_name="A", fields={"a": "x"}, interaction_id=1)
    async with db.snapshot() as snap:
        await db.save_answer(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1,
                             user_id=2, display_name="B", fields={"a": "y"}, interaction_id=2)
        async with snap.execute("SELECT count(*) FROM answers") as cur:
            assert (await cur.fetchone())[0] == 1
    assert (await db.fetchone("SELECT count(*) FROM answers"))[0] == 2


async def test_answer_chunks_read_the_snapshot_in_a_worker_thread(db: Database) -> None:
    s = await db.create_session(
        guild_id=GUILD, workshop="Leeds", channel_id=10, group_name="group-a",
        prompt_set="key-questions", prompt_count=3, anonymous=False, pace="facilitator",
        started_by=1,
    )
    assert s is not None and s.workshop_id is not None

    async def save(user_id: int) -> None:
        await db.save_answer(guild_id=GUILD, session_id=s.id, prompt_id="p1", prompt_number=1,
                             user_id=user_id, display_name=f"U{user_id}",
                             fields={"a": str(user_id)}, interaction_id=user_id)

    for user_id in range(1, 6):
        await save(user_id)
    scope = Scope(s.workshop_id, s.id)
    async with db.snapshot() as snap:
        await save(6)  # after the snapshot was taken: not seen

        def read(chunk_rows: int) -> list[list[tuple[object, ...]]]:
            return list(snap.answer_chunks(GUILD, scope, "p1", "key-questions", chunk_rows))

        chunks = await asyncio.to_thread(read, 2)
        exact = await asyncio.to_thread(read, 5)
        unfinished = snap.answer_chunks(GUILD, scope, "p1", "key-questions", 2)
        await asyncio.to_thread(next, unfinished)
        async with snap.execute("SELECT count(*) FROM answers") as cur:  # still usable
            assert (await cur.fetchone())[0] == 5
    unfinished.close()  # (after the snapshot: closing its cursor fails quietly)
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert [r[1] for c in chunks for r in c] == [1, 2, 3, 4, 5]
    assert [len(c) for c in exact] == [5]  # no empty chunk after a full one


async def test_servers_do_not_see_each_other(db: Database) -> None:
    sid = await _session(db)
    await db.save_answer(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1,
                         user_id=1, display_name="A", fields={"a": "x"}, interaction_id=1)
    other = 222
    assert await db.session(other, sid) is None
    assert await db.answers_of_user(other, 1) == []
    assert await db.erase_user(other, 1) == 0
    wrong = await db.save_answer(guild_id=other, session_id=sid, prompt_id="p1",
                                 prompt_number=1, user_id=1, display_name="A",
                                 fields={"a": "x"}, interaction_id=2)
    assert wrong.outcome is SaveOutcome.NO_SESSION
    assert (await db.fetchone("SELECT count(*) FROM answers"))[0] == 1


async def test_a_copy_delivered_after_the_session_closed_is_still_already_saved(
    db: Database,
) -> None:
    from bot.storage import SessionStatus

    sid = await _session(db)
    kwargs = dict(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1, user_id=7,
                  display_name="Ann", fields={"a": "mine"}, interaction_id=42)
    first = await db.save_answer(**kwargs)
    await db.update_session(GUILD, sid, status=SessionStatus.CLOSED)
    again = await db.save_answer(**kwargs)
    assert again.outcome is SaveOutcome.REPLAYED and again.answer == first.answer
    late = await db.save_answer(**{**kwargs, "interaction_id": 43})
    assert late.outcome is SaveOutcome.CLOSED


async def test_two_copies_of_one_interaction_in_one_batch_save_once(db: Database) -> None:
    sid = await _session(db)
    kwargs = dict(guild_id=GUILD, session_id=sid, prompt_id="p1", prompt_number=1, user_id=7,
                  display_name="Ann", fields={"a": "mine"}, interaction_id=42)
    before = db.batches_committed
    results = await asyncio.gather(db.save_answer(**kwargs), db.save_answer(**kwargs))
    assert db.batches_committed - before == 1  # both in the same transaction
    assert sorted(r.outcome for r in results) == [SaveOutcome.CREATED, SaveOutcome.REPLAYED]
    assert results[0].answer == results[1].answer
    assert results[0].first_in_guild != results[1].first_in_guild  # the privacy notice once
    assert await db.fetchall("SELECT fields FROM answers") == [('{"a": "mine"}',)]
