"""Consistent copies of the database (safe while the bot runs), and restoring one, with the
erasures made since the backup applied again.

A backup is written with ``VACUUM INTO``: a compact copy that carries no freed pages, so text
erased before the backup was taken is not in it. A restore applies, with the same statements
the live bot uses (bot/storage/housekeeping.py), every erasure and retention deletion the live
database records and the backup does not, then vacuums the result."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.storage.housekeeping import (
    delete_session,
    drop_empty_workshops,
    erase_person,
    people_of,
    subject_key,
)
from bot.storage.schema import SCHEMA_VERSION, sidecars, subject_hash

log = logging.getLogger(__name__)


class BackupError(RuntimeError):
    pass


def backup_database(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` with ``VACUUM INTO`` (one read transaction: writers may go
    on meanwhile; the copy holds no freed pages), then check the copy. Returns a one-line
    report."""
    if not source.exists():
        raise BackupError(f"there is no database at {source} (DATABASE_PATH)")
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a folder; give a file name, e.g. {target / 'workshop.db'}")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must be a different file from the database")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.execute("VACUUM INTO ?", (str(partial),))
        dst = sqlite3.connect(partial)
        try:
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            version = dst.execute("PRAGMA user_version").fetchone()[0]
            answers = dst.execute("SELECT count(*) FROM answers").fetchone()[0] \
                if version >= 1 else 0
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}") from exc
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check ({check}); the database was "
                          "not changed")
    partial.replace(target)
    return (f"Backed up {source} to {target}: {answers} answers, schema {version} of "
            f"{SCHEMA_VERSION}, integrity ok.")


# --- restore ---------------------------------------------------------------------------------

# What the live database records that a restored backup must not undo: erasures (/forget-me)
# and retention deletions made after the backup was taken.
_REAPPLY = ("erase", "delete_session")


@dataclass(frozen=True)
class _Event:
    guild_id: int
    at: str
    actor_id: int | None
    action: str
    detail: str


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _check_backup(path: Path) -> tuple[int, int]:
    """Integrity and schema of a backup file; returns (schema version, answers)."""
    try:
        conn = _connect_ro(path)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            answers = conn.execute("SELECT count(*) FROM answers").fetchone()[0] \
                if "answers" in tables else 0
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a usable SQLite database: {exc}") from exc
    if check != "ok":
        raise BackupError(f"the backup {path} failed its integrity check ({check}); nothing "
                          "was changed")
    if not {"answers", "audit_log", "sessions"} <= tables or version < 1:
        raise BackupError(f"{path} is not a workshop-bot database (no answers, sessions or "
                          "audit log); nothing was changed")
    if version > SCHEMA_VERSION:
        raise BackupError(f"the backup {path} has schema version {version}, newer than this "
                          f"bot understands ({SCHEMA_VERSION}); upgrade workshop-bot")
    return version, answers


def _in_use(path: Path) -> bool:
    """True when another connection (a running bot) has the database open: an exclusive lock
    cannot be had, even for a moment."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _events(conn: sqlite3.Connection) -> list[_Event]:
    marks = ",".join("?" for _ in _REAPPLY)
    rows = conn.execute(
        f"SELECT guild_id, at, actor_id, action, detail FROM audit_log WHERE action IN ({marks}) "
        "ORDER BY id", _REAPPLY,
    ).fetchall()
    return [_Event(*row) for row in rows]


def _erased_people(conn: sqlite3.Connection, e: _Event, key: str | None) -> list[int]:
    """Who an erasure was about: the user id of an entry written before erasures were logged
    by subject hash, else every person in the server whose hash matches."""
    if e.actor_id is not None:
        return [e.actor_id]
    subject = json.loads(e.detail).get("subject")
    if not subject or not key:
        return []
    return [uid for uid in people_of(conn, e.guild_id)
            if subject_hash(key, e.guild_id, uid) == subject]


def _reapply(conn: sqlite3.Connection, events: list[_Event], key: str | None
             ) -> tuple[int, int]:
    """Apply, in the restored database, erasures and deletions it does not know of; each is
    recorded in its audit log as it was (plus how many answers the restore removed again).
    ``key`` is the live database's subject key. Returns (erasures re-applied, answers
    removed)."""
    known = {(e.guild_id, e.at, e.action) for e in _events(conn)}
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    done = removed = 0
    for e in events:
        if (e.guild_id, e.at, e.action) in known:
            continue  # already in the backup: it happened before the backup was taken
        if e.action == "erase":
            count = sum(erase_person(conn, e.guild_id, uid)
                        for uid in _erased_people(conn, e, key))
        elif e.action == "delete_session":
            count = delete_session(conn, e.guild_id, json.loads(e.detail).get("session_id"))
        else:
            continue
        detail = {**json.loads(e.detail), "reapplied_at_restore": now,
                  "answers_removed_at_restore": count}
        conn.execute(
            "INSERT INTO audit_log (guild_id, at, actor_id, action, detail) VALUES (?, ?, ?, ?, ?)",
            (e.guild_id, e.at, None, e.action, json.dumps(detail, ensure_ascii=False)),
        )
        done += 1
        removed += count
    drop_empty_workshops(conn)
    if key is not None:  # later erasures and restores hash people with the same key
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('subject_key', ?)", (key,))
    return done, removed


def restore_database(backup: Path, target: Path, *, force: bool = False) -> str:
    """Put ``backup`` in place as the database ``target`` (the bot must be stopped), then apply
    again every erasure and retention deletion that the current database records and the
    backup does not. The database it replaces is kept beside it. Returns a short report."""
    if not backup.is_file():
        raise BackupError(f"there is no backup file at {backup}")
    if target.is_dir():
        raise BackupError(f"{target} (DATABASE_PATH) is a folder, not a database file")
    if target.exists() and target.resolve() == backup.resolve():
        raise BackupError("the backup is the database itself; give the backup file's path")
    version, _ = _check_backup(backup)
    events: list[_Event] = []
    key: str | None = None
    if target.exists():
        if not force:
            raise BackupError(
                f"{target} (DATABASE_PATH) exists. Stop the bot, then run the restore again "
                "with --force to replace it (it is kept beside it, and erasures recorded in it "
                "are applied to the restored copy)")
        if _in_use(target):
            raise BackupError(f"{target} is in use (is the bot running?); stop the bot first")
        try:
            conn = _connect_ro(target)
            try:
                events = _events(conn)
                key = subject_key(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise BackupError(
                f"cannot read the erasures recorded in {target} ({exc}), so they could not be "
                "applied to the restored copy; nothing was changed. If that database is "
                "damaged, move it away, restore, and erase by user id as PRIVACY.md says"
            ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    for stale in (partial, *sidecars(partial)):
        stale.unlink(missing_ok=True)
    try:
        src = _connect_ro(backup)
        try:
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                dst.execute("PRAGMA foreign_keys = ON")  # deleting a session takes its answers
                dst.execute("BEGIN IMMEDIATE")
                erasures, removed = _reapply(dst, events, key)
                dst.execute("COMMIT")
                dst.execute("VACUUM")  # no freed page keeps what was just erased
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
        if check != "ok":
            raise BackupError(f"the restored copy failed its integrity check ({check})")
    except (sqlite3.Error, BackupError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the restore failed, nothing was changed: {exc}") from exc
    kept = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.replaced-{stamp}")
        # The old database moves aside with its -wal/-shm (so it stays whole and none of it
        # is stale beside the restored file).
        for old, new in zip((target, *sidecars(target)), (kept, *sidecars(kept)),
                            strict=True):
            if old.exists():
                old.replace(new)
    partial.replace(target)
    log.info("restored %s from %s; %d erasures or deletions applied again (%d answers)",
             target, backup, erasures, removed)
    report = (f"Restored {target} from {backup} (schema {version}, integrity ok). Applied again "
              f"{erasures} erasure{'s' if erasures != 1 else ''} or deletion"
              f"{'s' if erasures != 1 else ''} made after the backup ({removed} answers "
              "removed).")
    if kept is not None:
        report += (f" The database it replaced is kept at {kept}: delete it once you have "
                   "checked the restore (it holds personal data).")
    return report
