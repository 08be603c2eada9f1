"""A database written by workshop-bot 0.1.0 (tests/fixtures/README.md) opens with this bot:
every session, answer and role survives the migrations, and the new tables work."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from bot.engine import Engine
from bot.exports import ExportScope, export_to_dir
from bot.models import Library
from bot.storage import SCHEMA_VERSION, Database, SessionStatus, WorkshopPhase

FIXTURE = Path(__file__).parent / "fixtures" / "workshop-0.1.0.db"
G, G2 = 1001, 1002


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "workshop.db"
    path.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE, path)
    return path


def _raw(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_a_release_database_is_upgraded_with_everything_in_it(
    tmp_path: Path, library: Library
) -> None:
    path = _copy(tmp_path)
    assert _raw(path, "PRAGMA user_version") == [(2,)]
    before_answers = _raw(path, "SELECT id, session_id, prompt_id, user_id, display_name, "
                                "fields FROM answers ORDER BY id")
    before_sessions = _raw(path, "SELECT id, guild_id, channel_id, group_name, status "
                                 "FROM sessions ORDER BY id")
    assert len(before_answers) == 9 and len(before_sessions) == 4

    db = await Database.open(path)
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == SCHEMA_VERSION
        after_answers = await db.fetchall("SELECT id, session_id, prompt_id, user_id, "
                                          "display_name, fields FROM answers ORDER BY id")
        after_sessions = await db.fetchall("SELECT id, guild_id, channel_id, group_name, "
                                           "status FROM sessions ORDER BY id")
        assert [tuple(r) for r in after_answers] == before_answers
        assert [tuple(r) for r in after_sessions] == before_sessions
        assert await db.facilitator_roles() == {G: 5001, G2: None}

        # workshops are rows with a phase and settings
        workshops = await db.workshops(G)
        assert [(w.name, w.phase, w.settings) for w in workshops] == [
            ("Leeds 2026", WorkshopPhase.ANSWERING, {}),
            ("Quick one", WorkshopPhase.ANSWERING, {}),
        ]
        # pseudonyms now count the anonymous group only (users 104 and 105)
        leeds = workshops[0]
        numbers = await db.fetchall("SELECT user_id, number FROM participants "
                                    "WHERE workshop_id = ? ORDER BY number", (leeds.id,))
        assert [tuple(r) for r in numbers] == [(104, 1), (105, 2)]
        # the erasure of user 103 is logged without their id
        erase = await db.fetchall("SELECT actor_id, detail FROM audit_log "
                                  "WHERE action = 'erase'")
        assert len(erase) == 1 and erase[0][0] is None
        assert set(json.loads(erase[0][1])) == {"answers_erased", "subject"}

        # the engine starts from it: live sessions, answers for pre-filled forms
        engine = await Engine.create(db, library)
        live = {s.group_name: s for s in await engine.sessions(G)
                if s.status is not SessionStatus.CLOSED}
        assert set(live) == {"group-a", "group-b"}
        assert live["group-a"].current_prompt == 2
        first = library.prompt_sets["key-questions"].prompts[0]
        assert engine.peek_answer(live["group-a"].id, first.id, 101) is not None
        # new tables are usable
        await db.remember_message(guild_id=G, kind="card", channel_id=11, message_id=42,
                                  session_id=live["group-a"].id)
        assert [m.message_id for m in await db.messages(G, "card")] == [42]
        # and an export of the upgraded workshop has every answer of it
        result = await export_to_dir(db, library, guild_id=G,
                                     scope=ExportScope.workshop("leeds 2026"), fmt="json",
                                     out_dir=tmp_path / "out", actor_id=None)
        assert result.answers == 5
    finally:
        await db.close()
    assert _raw(path, "SELECT count(*) FROM audit_log WHERE actor_id = 103") == [(0,)]
