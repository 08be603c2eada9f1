"""`workshop-bot backup` while the real bot takes answers, and `workshop-bot restore`, which
puts a backup in place and applies again the erasures made after it was taken."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.emulator import EmulatedMessage, Member
from bot.models import Library
from tests.discord_layer.conftest import World, make_world
from tests.discord_layer.test_session_flow import answer


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                library: Library) -> AsyncIterator[World]:
    """The emulator, with DATABASE_PATH pointing at the world's database (no bot yet)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    w = make_world(tmp_path, library)
    monkeypatch.setenv("DATABASE_PATH", str(w.settings.database_path))
    await w.emu.start()
    try:
        yield w
        w.emu.assert_no_violations()
    finally:
        await w.emu.stop()


async def start(w: World, channel=None) -> EmulatedMessage:
    await w.organiser.run_command("workshop-config facilitator-role", w.chan, role=w.role)
    return await (await w.facilitator.run_command(
        "session start", channel or w.chan, set="key-questions", workshop="Backup test")).reply()


def answers_in(path: Path) -> dict[int, set[str]]:
    """user id -> the answer texts stored in the database file at ``path``."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        out: dict[int, set[str]] = {}
        for user, fields in conn.execute("SELECT user_id, fields FROM answers"):
            out.setdefault(user, set()).add(fields)
        return out
    finally:
        conn.close()


async def test_backup_while_answers_arrive(world: World, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    w = world
    target = tmp_path / "backups" / "copy.db"
    async with w.running():
        card = await start(w)
        people = [w.guild.add_member(f"P{i:02}") for i in range(40)]
        acknowledged: set[int] = set()

        async def submit(person: Member) -> None:
            assert "Saved" in await answer(w, person, card, f"answer of {person.name}")
            acknowledged.add(person.id)  # the bot said "saved"

        await asyncio.gather(*(submit(p) for p in people[:10]))
        rest = [asyncio.create_task(submit(p)) for p in people[10:]]
        before = set(acknowledged)
        code = await asyncio.to_thread(main, ["backup", str(target)])  # bot keeps running
        await asyncio.gather(*rest)
    assert code == 0
    assert "integrity ok" in capsys.readouterr().out
    copied = answers_in(target)
    assert before <= set(copied)  # every answer acknowledged before the backup started
    assert len(before) >= 10
    for user in before:
        person = next(p for p in people if p.id == user)
        assert any(f"answer of {person.name}" in f for f in copied[user])
    assert len(answers_in(w.settings.database_path)) == 40  # and nothing lost in the live one
    assert not target.with_name("copy.db.partial").exists()


async def test_backup_errors_are_one_clear_line(world: World, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    w = world
    assert main(["backup", str(tmp_path / "b.db")]) == 1  # no database yet
    assert "there is no database at" in capsys.readouterr().err
    async with w.running():
        await start(w)
    folder = tmp_path / "backups"
    folder.mkdir()
    assert main(["backup", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "is a folder; give a file name" in err and "Traceback" not in err
    assert main(["backup", str(w.settings.database_path)]) == 1
    assert "must be a different file" in capsys.readouterr().err
    assert list(folder.iterdir()) == []


async def test_restore_applies_later_erasures_again(world: World, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    w = world
    db_path = w.settings.database_path
    backup = tmp_path / "backups" / "monday.db"
    async with w.running() as bot:
        card = await start(w)
        await answer(w, w.alice, card, "alice: erase me later")
        await answer(w, w.bob, card, "bob: keep me")
        card_b = await start(w, w.chan_b)
        await answer(w, w.alice, card_b, "alice in group b")
        await answer(w, w.bob, card_b, "bob in group b")
        await w.facilitator.run_command("session close", w.chan_b)
        group_b = (await bot.engine.latest_session(w.guild.id, w.chan_b.id)).id
        assert await asyncio.to_thread(main, ["backup", str(backup)]) == 0

        # after the backup: Alice erases her answers, retention deletes group b
        confirm = await (await w.alice.run_command("forget-me", w.chan)).reply()
        done = await (await w.alice.click(confirm, "Yes, erase my answers")).reply()
        assert "Erased 2 answers" in done.text
        session_b = await bot.engine.db.session(w.guild.id, group_b)
        await bot.engine.db.delete_sessions([session_b], reason="retention")

        # a restore while the bot runs is refused, even with --force
        assert await asyncio.to_thread(main, ["restore", str(backup), "--force"]) == 1
        assert "is in use" in capsys.readouterr().err
    assert answers_in(backup)[w.alice.id]  # the backup itself still has Alice's answers

    assert main(["restore", str(backup)]) == 1  # the database exists: needs --force
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(backup), "--force"]) == 0
    report = capsys.readouterr().out
    assert "Applied again 2 erasures or deletions" in report and "(3 answers removed)" in report

    restored = answers_in(db_path)
    assert w.alice.id not in restored  # her erasure survived the restore
    assert restored[w.bob.id] == {'{"change": "bob: keep me", "for-whom": "bob: keep me", '
                                  '"evidence": "bob: keep me", "how-identified": "bob: keep me", '
                                  '"examples": []}'}
    assert not db_path.with_name(db_path.name + "-wal").exists()
    kept = list(db_path.parent.glob("bot.db.replaced-*Z"))  # (with its -wal, -shm)
    assert kept and str(kept[0]) in report  # the replaced database is kept, and named
    conn = sqlite3.connect(db_path)
    try:
        audit = conn.execute("SELECT actor_id, action, detail FROM audit_log "
                             "WHERE detail LIKE '%reapplied_at_restore%' ORDER BY id").fetchall()
        # the erasure is logged by a keyed hash, never by Alice's id (issue 11)
        assert [(a[0], a[1]) for a in audit] == [(None, "erase"), (None, "delete_session")]
        assert str(w.alice.id) not in audit[0][2] and '"subject": ' in audit[0][2]
        assert conn.execute("SELECT count(*) FROM sessions WHERE id = ?",
                            (group_b,)).fetchone()[0] == 0
    finally:
        conn.close()

    async with w.running() as bot:  # the bot starts on the restored database
        assert await bot.engine.my_answers(w.guild.id, w.alice.id) == []
        mine = await (await w.bob.run_command("my-answers", w.chan)).reply()
        assert "bob\\: keep me" in mine.text  # (escaped for Discord)
        assert "Saved" in await answer(w, w.alice, card, "alice again, after the restore")

    # restoring the same backup again still keeps the erasure (read from the restored log)
    assert main(["restore", str(backup), "--force"]) == 0
    assert w.alice.id not in answers_in(db_path)


async def test_restore_refuses_bad_backups(world: World, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    w = world
    async with w.running():
        card = await start(w)
        await answer(w, w.alice, card, "precious")
    before = answers_in(w.settings.database_path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.close()
    for bad, message in ((tmp_path / "missing.db", "there is no backup file"),
                         (garbage, "not a usable SQLite database"),
                         (other, "not a workshop-bot database")):
        assert main(["restore", str(bad), "--force"]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert answers_in(w.settings.database_path) == before  # nothing changed
