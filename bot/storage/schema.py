"""The schema: numbered migrations shipped as ``migrations/NNNN_name.sql`` in the package, the
connection settings every connection gets, and the start-up checks.

Each migration is applied once, in order, inside a transaction; ``PRAGMA user_version`` records
the number of the last one applied. Never edit a released migration: add a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.storage.errors import StorageError, StorageNotWritable

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


@cache
def migrations() -> tuple[str, ...]:
    """The migration scripts, in order (``0001_base.sql`` is number 1)."""
    folder = resources.files("bot.storage") / "migrations"
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
    )
    scripts = []
    for number, f in enumerate(files, start=1):
        if not f.name.startswith(f"{number:04d}_"):
            raise RuntimeError(f"migration {f.name} is out of sequence (expected {number:04d}_*)")
        scripts.append(f.read_text(encoding="utf-8"))
    return tuple(scripts)


SCHEMA_VERSION = len(migrations())


def statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, comments and blank lines dropped."""
    pending = ""
    for line in script.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise RuntimeError(f"unterminated SQL statement in a migration: {pending[:80]!r}")


def subject_hash(key_hex: str, guild_id: int, user_id: int) -> str:
    """A keyed hash standing for one person in one server (erasure audit entries)."""
    message = f"{int(guild_id)}:{int(user_id)}".encode()
    return hmac.new(bytes.fromhex(key_hex), message, hashlib.sha256).hexdigest()[:32]


def _sql_subject(key_hex: str | None, guild_id: int | None, user_id: int | None) -> str | None:
    if key_hex is None or guild_id is None or user_id is None:
        return None
    return subject_hash(key_hex, guild_id, user_id)


async def apply_migrations(conn: aiosqlite.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Bring the database to schema version ``upto``; returns the version it started at."""
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    start = int(row[0]) if row else 0
    if start > SCHEMA_VERSION:
        raise StorageError(
            f"the database has schema version {start}, newer than this bot understands "
            f"({SCHEMA_VERSION}); upgrade workshop-bot"
        )
    if start < upto:
        await conn.create_function("wb_subject", 3, _sql_subject, deterministic=True)
    for number in range(start + 1, upto + 1):
        log.info("applying database migration %d", number)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(migrations()[number - 1]):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {int(number)}")
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    return start


def configure(raw: sqlite3.Connection) -> None:
    """Settings for every read-write connection: WAL, full fsync, a busy timeout, foreign keys,
    and ``secure_delete``, so erased text is overwritten in the file, not only unlinked."""
    row = raw.execute("PRAGMA journal_mode = WAL").fetchone()
    if not row or str(row[0]).lower() != "wal":
        raise StorageError(f"could not switch the database to WAL mode (got {row!r})")
    raw.execute("PRAGMA synchronous = FULL")
    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("PRAGMA secure_delete = ON")


def check_writable(path: Path) -> None:
    """Before opening: the folder (or, when it does not exist yet, the folder it will be made
    in), the database file, its ``-wal`` and ``-shm`` files and the lock file must be writable
    by this process. Creates nothing. Raises :class:`StorageNotWritable` naming the first path
    that is not."""
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StorageNotWritable(existing, "this is not a folder, so the database cannot be "
                                           "made under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "the database folder" if existing == folder else \
            "the database folder cannot be created: this folder"
        raise StorageNotWritable(existing, f"{what} is not writable")
    for candidate in (path, *sidecars(path), lock_path(path)):
        if candidate.exists() and not os.access(candidate, os.R_OK | os.W_OK):
            raise StorageNotWritable(candidate, "the file is not writable")


def sidecars(path: Path) -> tuple[Path, Path]:
    """SQLite's ``-wal`` and ``-shm`` files beside a database."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")
