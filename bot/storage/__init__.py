"""Storage: the only package that speaks SQL (and the only importer of sqlite3/aiosqlite).

* :mod:`~bot.storage.schema`: numbered migrations (``migrations/NNNN_*.sql``, shipped in the
  package), connection settings, start-up checks;
* :mod:`~bot.storage.writer`: the single writer, group commits, fault handling;
* :mod:`~bot.storage.sessions`, :mod:`~bot.storage.answers`, :mod:`~bot.storage.housekeeping`
  (erasure, retention, audit, settings), :mod:`~bot.storage.messages` (messages the bot edits
  later), :mod:`~bot.storage.jobs` (the scheduler's table), :mod:`~bot.storage.reminders`,
  :mod:`~bot.storage.gallery` (gallery walks, comments, dot-votes): the parts of
  :class:`Database`;
* :mod:`~bot.storage.snapshot`: the read-only view exports read;
* :mod:`~bot.storage.backup`: backup and restore;
* :mod:`~bot.storage.interface`: :class:`Storage`, what the engine and exports need from a
  store, so another backend (PostgreSQL, for several bot processes) can be added beside SQLite.
"""

from bot.storage.database import Database
from bot.storage.errors import StorageError, StorageNotWritable, StorageUnavailable
from bot.storage.interface import Storage
from bot.storage.lock import ProcessLock
from bot.storage.rows import (
    GROUP,
    AnswerRow,
    BotMessage,
    CommentOutcome,
    CommentResult,
    CommentRow,
    DotOutcome,
    DotResult,
    JobRow,
    SaveOutcome,
    SaveResult,
    SessionRow,
    SessionStatus,
    VersionRow,
    VoteRow,
    WalkRow,
    WorkshopPhase,
    WorkshopRow,
    utcnow_iso,
)
from bot.storage.schema import SCHEMA_VERSION, apply_migrations, check_writable
from bot.storage.snapshot import Scope, Snapshot

__all__ = [
    "GROUP",
    "SCHEMA_VERSION",
    "AnswerRow",
    "BotMessage",
    "CommentOutcome",
    "CommentResult",
    "CommentRow",
    "Database",
    "DotOutcome",
    "DotResult",
    "JobRow",
    "ProcessLock",
    "SaveOutcome",
    "SaveResult",
    "Scope",
    "SessionRow",
    "SessionStatus",
    "Snapshot",
    "Storage",
    "StorageError",
    "StorageNotWritable",
    "StorageUnavailable",
    "VersionRow",
    "VoteRow",
    "WalkRow",
    "WorkshopPhase",
    "WorkshopRow",
    "apply_migrations",
    "check_writable",
    "utcnow_iso",
]
