"""All SQL lives here: one aiosqlite connection owner, numbered migrations, group-committed writes.

Rules kept by this module:

* parameterised SQL only;
* WAL, ``synchronous=FULL``, ``busy_timeout``, foreign keys on, ``integrity_check`` at start;
* every write goes through :meth:`Database.write`, a single writer task that runs concurrent
  jobs in one transaction (one fsync for the batch) and resolves each job's future only after
  the batch is committed, so an answer acknowledged to a user is on disk;
* servers never see each other's data: every query that reads people's data filters by guild.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")
# A write job runs synchronously on the sqlite3 connection, in aiosqlite's thread: a whole
# batch of jobs is one hop to that thread. Measured with bench/burst.py (250 people, 750
# submissions at once), one hop per statement (11 per answer) was most of the event loop's
# work during a burst.
Job = Callable[[sqlite3.Connection], T]

MAX_BATCH = 512


def utcnow_iso() -> str:
    """Current UTC time as ISO 8601 with milliseconds, e.g. ``2026-11-26T14:05:00.123+00:00``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class StorageError(RuntimeError):
    """The database cannot be used; the message says why and which file."""


# --- migrations -----------------------------------------------------------------------------
# Each entry is applied once, in order, inside a transaction; PRAGMA user_version records the
# number of the last one applied. Never edit a released migration: add a new one.

MIGRATIONS: tuple[str, ...] = (
    # 1: base schema
    """
    CREATE TABLE guild_settings (
        guild_id            INTEGER PRIMARY KEY,
        facilitator_role_id INTEGER,
        updated_at          TEXT NOT NULL
    );
    CREATE TABLE workshops (
        id         INTEGER PRIMARY KEY,
        guild_id   INTEGER NOT NULL,
        name       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (guild_id, name COLLATE NOCASE)
    );
    CREATE TABLE sessions (
        id             INTEGER PRIMARY KEY,
        guild_id       INTEGER NOT NULL,
        workshop_id    INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        channel_id     INTEGER NOT NULL,
        group_name     TEXT NOT NULL,
        prompt_set     TEXT NOT NULL,
        anonymous      INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
        pace           TEXT NOT NULL CHECK (pace IN ('facilitator', 'self')),
        status         TEXT NOT NULL CHECK (status IN ('open', 'paused', 'closed')),
        current_prompt INTEGER NOT NULL CHECK (current_prompt >= 1),
        prompt_count   INTEGER NOT NULL CHECK (prompt_count >= 1),
        started_by     INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        closed_at      TEXT
    );
    CREATE UNIQUE INDEX sessions_one_live_per_channel
        ON sessions (channel_id) WHERE status != 'closed';
    CREATE TABLE participants (
        workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        user_id     INTEGER NOT NULL,
        number      INTEGER NOT NULL,
        PRIMARY KEY (workshop_id, user_id),
        UNIQUE (workshop_id, number)
    );
    CREATE TABLE answers (
        id             INTEGER PRIMARY KEY,
        guild_id       INTEGER NOT NULL,
        session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        prompt_id      TEXT NOT NULL,
        user_id        INTEGER NOT NULL,
        display_name   TEXT NOT NULL,
        fields         TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        interaction_id INTEGER,
        UNIQUE (session_id, prompt_id, user_id)
    );
    CREATE TABLE answer_writes (
        interaction_id INTEGER PRIMARY KEY,
        answer_id      INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE
    );
    CREATE TABLE audit_log (
        id       INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        at       TEXT NOT NULL,
        actor_id INTEGER,
        action   TEXT NOT NULL,
        detail   TEXT NOT NULL
    );
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: indexes for every query on the hot path and per-person queries; retention warnings
    """
    CREATE INDEX answers_by_guild_user ON answers (guild_id, user_id);
    CREATE INDEX answers_by_session_prompt ON answers (session_id, prompt_id);
    CREATE INDEX sessions_by_guild_workshop ON sessions (guild_id, workshop_id);
    CREATE INDEX audit_by_guild ON audit_log (guild_id, at);
    ALTER TABLE sessions ADD COLUMN retention_warned_at TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


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
    for number in range(start + 1, upto + 1):
        log.info("applying database migration %d", number)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(MIGRATIONS[number - 1]):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {int(number)}")
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    return start


def _split_sql(script: str) -> Iterable[str]:
    return (s.strip() for s in script.split(";") if s.strip())


# --- row types --------------------------------------------------------------------------------


class SessionStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    guild_id: int
    workshop_id: int
    workshop: str
    channel_id: int
    group_name: str
    prompt_set: str
    anonymous: bool
    pace: str
    status: SessionStatus
    current_prompt: int
    prompt_count: int
    started_by: int
    created_at: str
    closed_at: str | None


@dataclass(frozen=True, slots=True)
class AnswerRow:
    id: int
    guild_id: int
    session_id: int
    prompt_id: str
    user_id: int
    display_name: str
    fields: dict[str, str]
    created_at: str
    updated_at: str


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REPLAYED = "replayed"  # this interaction was already applied: nothing changed
    NO_SESSION = "no_session"
    PAUSED = "paused"
    CLOSED = "closed"
    MOVED_ON = "moved_on"


@dataclass(frozen=True, slots=True)
class SaveResult:
    outcome: SaveOutcome
    answer: AnswerRow | None = None
    first_in_guild: bool = False  # the person's first answer in this server
    current_prompt: int | None = None


_SESSION_COLUMNS = (
    "s.id, s.guild_id, s.workshop_id, w.name, s.channel_id, s.group_name, s.prompt_set, "
    "s.anonymous, s.pace, s.status, s.current_prompt, s.prompt_count, s.started_by, "
    "s.created_at, s.closed_at"
)
_SESSION_FROM = "FROM sessions s JOIN workshops w ON w.id = s.workshop_id"
_ANSWER_COLUMNS = (
    "id, guild_id, session_id, prompt_id, user_id, display_name, fields, created_at, updated_at"
)
_ANSWER_COLUMNS_A = ", ".join(f"a.{c.strip()}" for c in _ANSWER_COLUMNS.split(","))


def _session(row: Sequence[Any]) -> SessionRow:
    return SessionRow(
        id=row[0], guild_id=row[1], workshop_id=row[2], workshop=row[3], channel_id=row[4],
        group_name=row[5], prompt_set=row[6], anonymous=bool(row[7]), pace=row[8],
        status=SessionStatus(row[9]), current_prompt=row[10], prompt_count=row[11],
        started_by=row[12], created_at=row[13], closed_at=row[14],
    )


def _answer(row: Sequence[Any]) -> AnswerRow:
    return AnswerRow(
        id=row[0], guild_id=row[1], session_id=row[2], prompt_id=row[3], user_id=row[4],
        display_name=row[5], fields=json.loads(row[6]), created_at=row[7], updated_at=row[8],
    )


async def _one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def _all(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


class ProcessLock:
    """Only one bot process may run on a database: it keeps live sessions in memory and is the
    only writer. An advisory lock on ``<database>.lock``, released on :meth:`release` or when
    the process dies (even by SIGKILL). Exports, backups and validation do not take it."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+")  # noqa: SIM115 - held for the process's lifetime
        try:
            import fcntl
        except ImportError:  # not on POSIX (Windows): run unguarded
            log.warning("cannot lock %s on this system; run only one bot on it", path)
            return
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            raise StorageError(
                f"another workshop-bot is already running on the database {path}; stop it "
                "first (one bot process per database)"
            ) from None

    def release(self) -> None:
        if not self._file.closed:
            self._file.close()


# --- the database -----------------------------------------------------------------------------


class Database:
    """The one owner of the SQLite file. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._queue: asyncio.Queue[tuple[Job[Any], asyncio.Future[Any]] | None] = (
            asyncio.Queue()
        )
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.batches_committed = 0

    # lifecycle ---------------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder for the database {path}: {exc}") from exc
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        try:
            await _configure(conn)
            row = await _one(conn, "PRAGMA integrity_check")
            if not row or row[0] != "ok":
                raise StorageError(
                    f"the database {path} failed its integrity check ({row[0] if row else '?'}); "
                    "restore it from a backup (see PRIVACY.md, 'Backups')"
                )
            await apply_migrations(conn)
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"the database {path} cannot be used: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        db = cls(path, conn)
        db._writer = asyncio.create_task(db._write_loop(), name="workshop-db-writer")
        log.info("database ready at %s (schema %d)", path, SCHEMA_VERSION)
        return db

    async def close(self) -> None:
        """Finish queued writes, then close the connection."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            await self._queue.put(None)
            await self._writer
        await self._conn.close()

    # writes --------------------------------------------------------------------------------

    async def write(self, job: Job[T]) -> T:
        """Run ``job`` (on the ``sqlite3`` connection, in aiosqlite's thread, never on the event
        loop) inside the next committed batch; returns once it is durable on disk."""
        if self._closed:
            raise StorageError("the database is closed")
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, fut))
        return await fut

    async def _write_loop(self) -> None:
        conn = self._conn
        while True:
            item = await self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            await self._run_batch(conn, batch)
            if stop:
                return

    async def _run_batch(
        self, conn: aiosqlite.Connection, batch: list[tuple[Job[Any], asyncio.Future[Any]]]
    ) -> None:
        try:
            # One hop to aiosqlite's thread for the whole transaction.
            results = await conn._execute(
                _run_batch_in_thread, conn._conn, [job for job, _fut in batch]
            )
        except Exception as exc:
            # _run_batch_in_thread has rolled the transaction back
            log.exception("a write batch of %d jobs failed; nothing in it was saved", len(batch))
            error = StorageError(f"the answer could not be saved: {exc}")
            for _job, fut in batch:
                if not fut.done():
                    fut.set_exception(error)
            return
        self.batches_committed += 1
        for (_job, fut), (result, exc) in zip(batch, results, strict=True):
            if fut.done():  # the caller went away (cancelled); the write still happened
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(result)

    # reads ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A separate read-only connection inside one read transaction: a consistent view
        (WAL lets writers go on meanwhile). Used by exports."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        try:
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("BEGIN")
            # A read transaction starts at its first read: take the snapshot now.
            await _one(conn, "SELECT count(*) FROM sessions")
            yield conn
        finally:
            with contextlib.suppress(Exception):
                await conn.rollback()
            await conn.close()

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await _one(self._conn, sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await _all(self._conn, sql, params)

    # settings ------------------------------------------------------------------------------

    async def facilitator_role(self, guild_id: int) -> int | None:
        row = await self.fetchone(
            "SELECT facilitator_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return row[0] if row else None

    async def set_facilitator_role(self, guild_id: int, role_id: int | None) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO guild_settings (guild_id, facilitator_role_id, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "facilitator_role_id = excluded.facilitator_role_id, "
                "updated_at = excluded.updated_at",
                (guild_id, role_id, utcnow_iso()),
            )

        await self.write(job)

    async def get_meta(self, key: str) -> str | None:
        row = await self.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self.write(job)

    # sessions ------------------------------------------------------------------------------

    async def create_session(
        self, *, guild_id: int, workshop: str, channel_id: int, group_name: str,
        prompt_set: str, prompt_count: int, anonymous: bool, pace: str, started_by: int,
    ) -> SessionRow | None:
        """Create a session; ``None`` when the channel already has a live one."""

        def job(conn: sqlite3.Connection) -> SessionRow | None:
            now = utcnow_iso()
            conn.execute(
                "INSERT INTO workshops (guild_id, name, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (guild_id, workshop, now),
            )
            row = _fetchone(
                conn, "SELECT id FROM workshops WHERE guild_id = ? AND name = ? COLLATE NOCASE",
                (guild_id, workshop),
            )
            try:
                cur = conn.execute(
                    "INSERT INTO sessions (guild_id, workshop_id, channel_id, group_name, "
                    "prompt_set, anonymous, pace, status, current_prompt, prompt_count, "
                    "started_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', 1, ?, ?, ?)",
                    (guild_id, row[0], channel_id, group_name, prompt_set, int(anonymous), pace,
                     prompt_count, started_by, now),
                )
            except sqlite3.IntegrityError:
                return None
            srow = _fetchone(conn, f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ?",
                              (cur.lastrowid,))
            return _session(srow)

        return await self.write(job)

    async def session(self, guild_id: int, session_id: int) -> SessionRow | None:
        row = await self.fetchone(
            f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ? AND s.guild_id = ?",
            (session_id, guild_id),
        )
        return _session(row) if row else None

    async def sessions(
        self, guild_id: int, workshop: str | None = None
    ) -> list[SessionRow]:
        if workshop is None:
            rows = await self.fetchall(
                f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.guild_id = ? ORDER BY s.id",
                (guild_id,),
            )
        else:
            rows = await self.fetchall(
                f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} "
                "WHERE s.guild_id = ? AND w.name = ? COLLATE NOCASE ORDER BY s.id",
                (guild_id, workshop),
            )
        return [_session(r) for r in rows]

    async def latest_session(self, guild_id: int, channel_id: int) -> SessionRow | None:
        row = await self.fetchone(
            f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} "
            "WHERE s.channel_id = ? AND s.guild_id = ? ORDER BY s.id DESC LIMIT 1",
            (channel_id, guild_id),
        )
        return _session(row) if row else None

    async def unclosed_sessions(self) -> list[SessionRow]:
        """Every session that is open or paused, in every server (for the engine's cache)."""
        rows = await self.fetchall(
            f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.status != 'closed'"
        )
        return [_session(r) for r in rows]

    async def answers_of_unclosed_sessions(self) -> list[AnswerRow]:
        rows = await self.fetchall(
            f"SELECT {_ANSWER_COLUMNS_A} FROM answers a JOIN sessions s ON s.id = a.session_id "
            "WHERE s.status != 'closed'"
        )
        return [_answer(r) for r in rows]

    async def facilitator_roles(self) -> dict[int, int | None]:
        rows = await self.fetchall("SELECT guild_id, facilitator_role_id FROM guild_settings")
        return {r[0]: r[1] for r in rows}

    async def workshop_names(self, guild_id: int) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM workshops WHERE guild_id = ? ORDER BY name", (guild_id,)
        )
        return [r[0] for r in rows]

    async def update_session(
        self, guild_id: int, session_id: int, *, status: SessionStatus | None = None,
        current_prompt: int | None = None,
    ) -> SessionRow | None:
        def job(conn: sqlite3.Connection) -> SessionRow | None:
            if current_prompt is not None:
                conn.execute(
                    "UPDATE sessions SET current_prompt = ? WHERE id = ? AND guild_id = ?",
                    (current_prompt, session_id, guild_id),
                )
            if status is not None:
                conn.execute(
                    "UPDATE sessions SET status = ?, closed_at = CASE WHEN ? = 'closed' "
                    "THEN ? ELSE closed_at END WHERE id = ? AND guild_id = ?",
                    (status.value, status.value, utcnow_iso(), session_id, guild_id),
                )
            row = _fetchone(
                conn,
                f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.id = ? AND s.guild_id = ?",
                (session_id, guild_id),
            )
            return _session(row) if row else None

        return await self.write(job)

    # answers -------------------------------------------------------------------------------

    async def save_answer(
        self, *, guild_id: int, session_id: int, prompt_id: str, prompt_number: int,
        user_id: int, display_name: str, fields: dict[str, str], interaction_id: int | None,
    ) -> SaveResult:
        """Insert or update one person's answer to one prompt, checking the session's state in
        the same transaction (so an answer can't slip in after close). Idempotent per
        ``interaction_id``: a replayed interaction changes nothing."""
        encoded = json.dumps(fields, ensure_ascii=False)

        def job(conn: sqlite3.Connection) -> SaveResult:
            # The hot path of a burst.
            # Every query below is served by an index (EXPLAIN QUERY PLAN in
            # tests/test_storage.py), so it does not slow down as the database grows.
            if interaction_id is not None:
                row = conn.execute(
                    f"SELECT {_ANSWER_COLUMNS_A} "
                    "FROM answer_writes w JOIN answers a ON a.id = w.answer_id "
                    "WHERE w.interaction_id = ?",
                    (interaction_id,),
                ).fetchone()
                if row is not None:
                    return SaveResult(SaveOutcome.REPLAYED, _answer(row))
            srow = conn.execute(
                "SELECT status, current_prompt, pace, workshop_id FROM sessions "
                "WHERE id = ? AND guild_id = ?",
                (session_id, guild_id),
            ).fetchone()
            if srow is None:
                return SaveResult(SaveOutcome.NO_SESSION)
            status, current, pace, workshop_id = srow
            if status == "closed":
                return SaveResult(SaveOutcome.CLOSED, current_prompt=current)
            if status == "paused":
                return SaveResult(SaveOutcome.PAUSED, current_prompt=current)
            if pace == "facilitator" and current != prompt_number:
                return SaveResult(SaveOutcome.MOVED_ON, current_prompt=current)
            existed = conn.execute(
                "SELECT 1 FROM answers WHERE session_id = ? AND prompt_id = ? "
                "AND user_id = ?", (session_id, prompt_id, user_id),
            ).fetchone() is not None
            first = not existed and conn.execute(
                "SELECT 1 FROM answers WHERE guild_id = ? AND user_id = ? LIMIT 1",
                (guild_id, user_id),
            ).fetchone() is None
            now = utcnow_iso()
            arow = conn.execute(
                "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, display_name, "
                "fields, created_at, updated_at, interaction_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (session_id, prompt_id, user_id) DO UPDATE SET "
                "display_name = excluded.display_name, fields = excluded.fields, "
                "updated_at = excluded.updated_at, interaction_id = excluded.interaction_id "
                f"RETURNING {_ANSWER_COLUMNS}",
                (guild_id, session_id, prompt_id, user_id, display_name, encoded, now, now,
                 interaction_id),
            ).fetchone()
            answer = _answer(arow)
            if interaction_id is not None:
                conn.execute(
                    "INSERT INTO answer_writes (interaction_id, answer_id) VALUES (?, ?)",
                    (interaction_id, answer.id),
                )
            conn.execute(
                "INSERT INTO participants (workshop_id, user_id, number) "
                "SELECT ?, ?, coalesce(max(number), 0) + 1 FROM participants "
                "WHERE workshop_id = ? ON CONFLICT DO NOTHING",
                (workshop_id, user_id, workshop_id),
            )
            outcome = SaveOutcome.UPDATED if existed else SaveOutcome.CREATED
            return SaveResult(outcome, answer, first_in_guild=first, current_prompt=current)

        return await self.write(job)

    async def answers_of_user(self, guild_id: int, user_id: int) -> list[AnswerRow]:
        rows = await self.fetchall(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE guild_id = ? AND user_id = ? "
            "ORDER BY session_id, created_at",
            (guild_id, user_id),
        )
        return [_answer(r) for r in rows]

    async def session_counts(self, guild_id: int, session_id: int) -> tuple[dict[str, int], int]:
        """Answers per prompt id, and the number of distinct participants."""
        rows = await self.fetchall(
            "SELECT prompt_id, count(*) FROM answers WHERE guild_id = ? AND session_id = ? "
            "GROUP BY prompt_id",
            (guild_id, session_id),
        )
        people = await self.fetchone(
            "SELECT count(DISTINCT user_id) FROM answers WHERE guild_id = ? AND session_id = ?",
            (guild_id, session_id),
        )
        return {r[0]: r[1] for r in rows}, int(people[0])

    async def erase_user(self, guild_id: int, user_id: int) -> int:
        """Delete a person's answers (and pseudonym links) in one server; returns how many
        answers were erased. The audit entry holds the count, never the text."""

        def job(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "DELETE FROM answers WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            count = cur.rowcount
            conn.execute(
                "DELETE FROM participants WHERE user_id = ? AND workshop_id IN "
                "(SELECT id FROM workshops WHERE guild_id = ?)",
                (user_id, guild_id),
            )
            _audit(conn, guild_id, user_id, "erase", {"answers_erased": count})
            return count

        return await self.write(job)

    # retention -----------------------------------------------------------------------------

    async def retention_candidates(
        self, *, warn_before: str, delete_before: str, warned_before: str
    ) -> tuple[list[SessionRow], list[SessionRow]]:
        """Closed sessions to warn about (closed before ``warn_before``, not yet warned) and to
        delete (closed before ``delete_before`` and warned before ``warned_before``)."""
        base = f"SELECT {_SESSION_COLUMNS} {_SESSION_FROM} WHERE s.status = 'closed' "
        warn = await self.fetchall(
            base + "AND s.closed_at < ? AND s.retention_warned_at IS NULL ORDER BY s.id",
            (warn_before,),
        )
        delete = await self.fetchall(
            base + "AND s.closed_at < ? AND s.retention_warned_at < ? ORDER BY s.id",
            (delete_before, warned_before),
        )
        return [_session(r) for r in warn], [_session(r) for r in delete]

    async def mark_retention_warned(self, session_ids: list[int]) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE sessions SET retention_warned_at = ? WHERE id = ?",
                [(utcnow_iso(), sid) for sid in session_ids],
            )

        await self.write(job)

    async def delete_sessions(self, sessions: list[SessionRow], reason: str) -> int:
        """Delete sessions with their answers (and workshops left empty); audited per server
        with counts only. Returns the number of answers deleted."""

        def job(conn: sqlite3.Connection) -> int:
            total = 0
            for s in sessions:
                row = _fetchone(conn, "SELECT count(*) FROM answers WHERE session_id = ?",
                                 (s.id,))
                conn.execute("DELETE FROM sessions WHERE id = ? AND guild_id = ?",
                                   (s.id, s.guild_id))
                _audit(conn, s.guild_id, None, "delete_session",
                             {"session_id": s.id, "answers_deleted": row[0], "reason": reason})
                total += row[0]
            conn.execute(
                "DELETE FROM workshops WHERE NOT EXISTS "
                "(SELECT 1 FROM sessions WHERE sessions.workshop_id = workshops.id)"
            )
            return total

        return await self.write(job)

    # audit ---------------------------------------------------------------------------------

    async def audit(self, guild_id: int, actor_id: int | None, action: str,
                    detail: dict[str, Any]) -> None:
        def job(conn: sqlite3.Connection) -> None:
            _audit(conn, guild_id, actor_id, action, detail)

        await self.write(job)

    async def audit_entries(
        self, guild_id: int
    ) -> list[tuple[str, int | None, str, dict[str, Any]]]:
        rows = await self.fetchall(
            "SELECT at, actor_id, action, detail FROM audit_log WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def _fetchone(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    return conn.execute(sql, params).fetchone()


def _run_batch_in_thread(
    raw: sqlite3.Connection, jobs: list[Job[Any]]
) -> list[tuple[Any, BaseException | None]]:
    """One write transaction in aiosqlite's thread: each job in its own savepoint (a failing
    job is rolled back alone), one COMMIT (one fsync) for all. Raises if the batch fails."""
    out: list[tuple[Any, BaseException | None]] = []
    raw.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            raw.execute("SAVEPOINT job")
            try:
                result = job(raw)
            except Exception as exc:  # this job only: roll back to its savepoint
                raw.execute("ROLLBACK TO job")
                raw.execute("RELEASE job")
                out.append((None, exc))
            else:
                raw.execute("RELEASE job")
                out.append((result, None))
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                raw.execute("ROLLBACK")
        raise
    return out


def _audit(conn: sqlite3.Connection, guild_id: int, actor_id: int | None, action: str,
           detail: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO audit_log (guild_id, at, actor_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        (guild_id, utcnow_iso(), actor_id, action, json.dumps(detail, ensure_ascii=False)),
    )


async def _configure(conn: aiosqlite.Connection) -> None:
    row = await _one(conn, "PRAGMA journal_mode = WAL")
    if not row or str(row[0]).lower() != "wal":
        raise StorageError(f"could not switch the database to WAL mode (got {row!r})")
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.execute("PRAGMA foreign_keys = ON")
