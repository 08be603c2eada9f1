"""The SQLite store: one aiosqlite connection owner made of one part per concern."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.answers import Answers
from bot.storage.base import one
from bot.storage.errors import StorageError, StorageNotWritable
from bot.storage.gallery import Gallery
from bot.storage.housekeeping import Housekeeping
from bot.storage.jobs import Jobs
from bot.storage.messages import Messages
from bot.storage.reminders import Reminders
from bot.storage.schema import SCHEMA_VERSION, apply_migrations, check_writable, configure
from bot.storage.sessions import Sessions
from bot.storage.snapshot import Snapshot
from bot.storage.writer import Writer

log = logging.getLogger(__name__)


class Database(Sessions, Answers, Housekeeping, Messages, Jobs, Reminders, Gallery):
    """The one owner of the SQLite file. Open with :meth:`open`, close with :meth:`close`.

    Rules kept: parameterised SQL only; WAL, ``synchronous=FULL``, ``busy_timeout``, foreign
    keys and ``secure_delete`` on, ``integrity_check`` at start; every write goes through the
    single :class:`~bot.storage.writer.Writer`; servers never see each other's data (every
    query that reads people's data filters by guild)."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._writer = Writer(conn, lambda c, batch: self._run_batch(c, batch))

    # lifecycle ---------------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        path = Path(path)
        check_writable(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageNotWritable(path.parent, f"cannot create the database folder "
                                                  f"({exc.strerror or exc})") from exc
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        try:
            await conn._execute(configure, conn._conn)
            row = await one(conn, "PRAGMA integrity_check")
            if not row or row[0] != "ok":
                raise StorageError(
                    f"the database {path} failed its integrity check ({row[0] if row else '?'}); "
                    "restore it from a backup (see PRIVACY.md, 'Backups')"
                )
            await apply_migrations(conn)
        except sqlite3.OperationalError as exc:
            await conn.close()
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise StorageNotWritable(path, "the database cannot be written") from None
            raise StorageError(f"the database {path} cannot be used: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"the database {path} cannot be used: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        db = cls(path, conn)
        db._writer.start()
        log.info("database ready at %s (schema %d)", path, SCHEMA_VERSION)
        return db

    async def close(self) -> None:
        """Finish queued writes, then close the connection."""
        if self._writer.closed:
            return
        await self._writer.close()
        await self._conn.close()

    # writes ---------------------------------------------------------------------------------

    async def _run_batch(self, conn: aiosqlite.Connection, batch: list[Any]) -> None:
        """One committed batch (tests wrap this to make commits slow or fail)."""
        await self._writer.run_batch(conn, batch)

    @property
    def batches_committed(self) -> int:
        return self._writer.batches_committed

    # reads ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Snapshot]:
        """A consistent read-only view for exports (WAL lets writers go on meanwhile)."""
        async with Snapshot.open(self.path) as snap:
            yield snap
