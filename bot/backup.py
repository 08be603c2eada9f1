"""Consistent copies of the database with SQLite's online backup API (safe while the bot runs)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.storage import SCHEMA_VERSION


class BackupError(RuntimeError):
    pass


def backup_database(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` page by page inside SQLite (writers may go on meanwhile),
    then check the copy. Returns a one-line report."""
    if not source.exists():
        raise BackupError(f"there is no database at {source} (DATABASE_PATH)")
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a folder; give a file name, e.g. {target / 'workshop.db'}")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must be a different file from the database")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=1024)
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
