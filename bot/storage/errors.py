"""Storage errors. Their messages name the file and say what to do; none carries answer text."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StorageError(RuntimeError):
    """The database cannot be used; the message says why and which file."""


class StorageNotWritable(StorageError):
    """At start: a path the bot must write (folder, database, its -wal/-shm, lock) is not
    writable."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{why}: {path}")
        self.path = path


class StorageUnavailable(StorageError):
    """A write could not be made durable (disk full, read-only, locked past the retries, an
    I/O error). Nothing of the failed batch was saved. ``reason`` is one of :data:`REASONS`."""

    REASONS = ("full", "locked", "readonly", "io")

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"the database could not save ({reason}): {detail}")
        self.reason = reason


# SQLite result codes (primary code: the low byte of the extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN = 5, 6, 8, 10, 13, 14
_REASON = {_BUSY: "locked", _LOCKED: "locked", _READONLY: "readonly", _IOERR: "io",
           _FULL: "full", _CANTOPEN: "io"}


def fault_reason(exc: BaseException) -> str | None:
    """``"locked"``, ``"full"``, ``"readonly"`` or ``"io"`` when ``exc`` is a fault of the
    database file or its disk (not of the SQL), else None."""
    if isinstance(exc, StorageUnavailable):
        return exc.reason
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return _REASON.get(code & 0xFF)
    text = str(exc).lower()
    for needle, reason in (("locked", "locked"), ("busy", "locked"), ("disk is full", "full"),
                           ("readonly", "readonly"), ("read-only", "readonly"),
                           ("disk i/o", "io")):
        if needle in text:
            return reason
    return None
