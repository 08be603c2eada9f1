"""A consistent read-only view of the database for exports: a separate connection inside one
read transaction (WAL lets the bot write meanwhile), with the queries an export needs.

Anonymity is applied here, in the SQL, so no export format can get it wrong: in anonymous
sessions no user id or display name leaves the database, answers come in pseudonym order,
and times are cut to the minute (to the second they could be matched with what a person did
in Discord at that moment).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.base import every, one
from bot.storage.schema import BUSY_TIMEOUT_MS


@dataclass(frozen=True, slots=True)
class Scope:
    """Which sessions an export covers: one session, or every session of a workshop."""

    workshop_id: int
    session_id: int | None = None

    def where(self) -> tuple[str, tuple[Any, ...]]:
        """SQL condition on ``s`` (sessions), and its parameters."""
        if self.session_id is not None:
            return "s.id = ?", (self.session_id,)
        return "s.workshop_id = ?", (self.workshop_id,)


# session id, workshop id, workshop name, group, prompt set, status, anonymous, pace,
# current prompt, prompt count, created at, closed at
SessionTuple = tuple[Any, ...]
# session id, user id (None if anonymous), display name (None if anonymous), fields (JSON),
# submitted at, updated at, pseudonym number (anonymous sessions), answer id
AnswerTuple = tuple[Any, ...]
# answer id, text, the commenter's group (None: its session is gone), the commenter's display
# name (named groups only), their pseudonym number (anonymous groups), when (to the minute
# unless the group is named)
CommentTuple = tuple[Any, ...]
# prompt id, dots per person, opened at, closed at, dots placed, voters
VoteTuple = tuple[Any, ...]

_SESSION_SQL = (
    "SELECT s.id, s.workshop_id, w.name, s.group_name, s.prompt_set, s.status, s.anonymous, "
    "s.pace, s.current_prompt, s.prompt_count, s.created_at, s.closed_at, s.answer_mode "
    "FROM sessions s JOIN workshops w ON w.id = s.workshop_id "
)
_MINUTE = "substr({0}, 1, 16) || ':00.000+00:00'"
_ANSWERS_SQL = (
    "SELECT a.session_id, CASE WHEN s.anonymous THEN NULL ELSE a.user_id END, "
    "CASE WHEN s.anonymous THEN NULL ELSE a.display_name END, a.fields, "
    f"CASE WHEN s.anonymous THEN {_MINUTE.format('a.created_at')} ELSE a.created_at END, "
    f"CASE WHEN s.anonymous THEN {_MINUTE.format('a.updated_at')} ELSE a.updated_at END, "
    "CASE WHEN s.anonymous THEN p.number END, a.id "
    "FROM sessions s JOIN answers a ON a.session_id = s.id AND a.prompt_id = ? "
    "LEFT JOIN participants p ON s.anonymous AND p.workshop_id = s.workshop_id "
    "AND p.user_id = a.user_id "
    "WHERE {where} AND s.guild_id = ? AND s.prompt_set = ? AND +a.guild_id = ? "
    "ORDER BY s.id, CASE WHEN s.anonymous THEN p.number END, a.id"
)

# Comments on the answers in scope; anonymised by the commenter's group (the session of the
# channel where they wrote it), as answers are by theirs.
_COMMENTS_SQL = (
    "SELECT c.answer_id, c.text, fs.group_name, "
    "CASE WHEN fs.anonymous = 0 THEN c.display_name END, "
    "CASE WHEN fs.anonymous THEN p.number END, "
    f"CASE WHEN fs.anonymous = 0 THEN c.created_at ELSE {_MINUTE.format('c.created_at')} END "
    "FROM gallery_comments c JOIN answers a ON a.id = c.answer_id "
    "JOIN sessions s ON s.id = a.session_id "
    "LEFT JOIN sessions fs ON fs.id = c.from_session_id "
    "LEFT JOIN participants p ON fs.anonymous AND p.workshop_id = fs.workshop_id "
    "AND p.user_id = c.user_id "
    "WHERE {where} AND s.guild_id = ? "
    "ORDER BY c.answer_id, fs.id, CASE WHEN fs.anonymous THEN p.number END, c.id"
)


def read_only_uri(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


class Snapshot:
    """One read transaction on a read-only connection; see :meth:`open`.

    The connection lives in aiosqlite's thread, but is opened without ``check_same_thread``
    so that :meth:`answer_chunks` can read it in the export's worker thread (while no
    coroutine uses the snapshot)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, path: Path) -> AsyncIterator[Snapshot]:
        conn = await aiosqlite.connect(read_only_uri(path), uri=True, isolation_level=None,
                                       check_same_thread=False)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("BEGIN")
            # A read transaction starts at its first read: take the snapshot now.
            await one(conn, "SELECT count(*) FROM sessions")
            yield cls(conn)
        finally:
            with contextlib.suppress(Exception):
                await conn.rollback()
            await conn.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Raw read access (tests and diagnostics)."""
        return self._conn.execute(sql, params)

    async def session_of(self, guild_id: int, session_id: int) -> list[SessionTuple]:
        return await every(self._conn, _SESSION_SQL + "WHERE s.id = ? AND s.guild_id = ?",
                           (session_id, guild_id))

    async def workshop_named(self, guild_id: int, name: str) -> tuple[int, str] | None:
        row = await one(
            self._conn,
            "SELECT id, name FROM workshops WHERE guild_id = ? AND name = ? COLLATE NOCASE",
            (guild_id, name),
        )
        return (int(row[0]), row[1]) if row else None

    async def workshop_names(self, guild_id: int) -> list[str]:
        rows = await every(
            self._conn,
            "SELECT name FROM workshops WHERE guild_id = ? ORDER BY name COLLATE NOCASE",
            (guild_id,),
        )
        return [r[0] for r in rows]

    async def sessions_of_workshop(self, guild_id: int, workshop_id: int) -> list[SessionTuple]:
        return await every(self._conn, _SESSION_SQL + "WHERE s.workshop_id = ? AND "
                           "s.guild_id = ? ORDER BY s.id", (workshop_id, guild_id))

    async def answer_counts(self, guild_id: int, scope: Scope) -> list[tuple[int, str, int]]:
        """(session id, prompt id, answers) for every prompt answered in the scope."""
        where, params = scope.where()
        return await every(
            self._conn,
            "SELECT a.session_id, a.prompt_id, count(*) FROM answers a "
            f"JOIN sessions s ON s.id = a.session_id WHERE {where} AND s.guild_id = ? "
            "GROUP BY a.session_id, a.prompt_id",
            (*params, guild_id),
        )

    async def people_per_session(self, guild_id: int, scope: Scope) -> dict[int, int]:
        where, params = scope.where()
        rows = await every(
            self._conn,
            "SELECT session_id, count(*) FROM ("
            "SELECT a.session_id, a.user_id FROM answers a "
            f"JOIN sessions s ON s.id = a.session_id WHERE {where} AND s.guild_id = ? "
            "AND a.user_id != 0 UNION SELECT a.session_id, v.user_id FROM answer_versions v "
            "JOIN answers a ON a.id = v.answer_id "
            f"JOIN sessions s ON s.id = a.session_id WHERE {where} AND s.guild_id = ?"
            ") GROUP BY session_id",
            (*params, guild_id, *params, guild_id),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def stored_field_ids(
        self, guild_id: int, scope: Scope, prompt_id: str, set_id: str
    ) -> list[str]:
        """The field ids found in stored answers to a prompt, in order of first appearance."""
        where, params = scope.where()
        rows = await every(
            self._conn,
            "SELECT j.key, min(a.id) AS first, min(j.id) AS pos "
            "FROM sessions s JOIN answers a ON a.session_id = s.id AND a.prompt_id = ?, "
            # a damaged answer (not a JSON object) is exported under "?", as the source does
            "json_each(CASE WHEN json_valid(a.fields) AND json_type(a.fields) = 'object' "
            """THEN a.fields ELSE '{"?": null}' END) j """
            f"WHERE {where} AND s.guild_id = ? AND s.prompt_set = ? "
            "GROUP BY j.key ORDER BY first, pos",
            (prompt_id, *params, guild_id, set_id),
        )
        return [str(r[0]) for r in rows]

    async def citations(self, guild_id: int, scope: Scope, set_id: str, field_id: str,
                        prompt_ids: Sequence[str]) -> list[tuple[str, str | None, int]]:
        """How the answers to ``prompt_ids`` (of prompt set ``set_id``) in the scope cite
        examples in their cite field ``field_id``, counted in one pass: (prompt id, example
        id, answers citing it), and per prompt (prompt id, None, answers citing any). An
        answer whose stored value there is not a list cites nothing."""
        where, params = scope.where()
        path = '$."' + field_id.replace('"', "") + '"'
        marks = ", ".join("?" * len(prompt_ids))
        return await every(
            self._conn,
            "WITH c AS MATERIALIZED (SELECT DISTINCT a.prompt_id AS p, a.id AS aid, "
            "j.value AS v FROM sessions s JOIN answers a "
            f"ON a.session_id = s.id AND a.prompt_id IN ({marks}), json_each(a.fields, ?) j "
            f"WHERE {where} AND s.guild_id = ? AND s.prompt_set = ? AND json_valid(a.fields) "
            "AND typeof(j.key) = 'integer' AND j.type = 'text') "  # (an item of an array)
            "SELECT p, v, count(*) FROM c GROUP BY p, v "
            "UNION ALL SELECT p, NULL, count(DISTINCT aid) FROM c GROUP BY p",
            (*prompt_ids, path, *params, guild_id, set_id),
        )

    async def dots_per_answer(self, guild_id: int, scope: Scope) -> dict[int, int]:
        """Dots per answer in the scope, from closed votes (an open vote's counts stay
        hidden); answers with none are left out."""
        where, params = scope.where()
        rows = await every(
            self._conn,
            "SELECT d.answer_id, count(*) FROM dots d JOIN votes v ON v.id = d.vote_id "
            "JOIN answers a ON a.id = d.answer_id JOIN sessions s ON s.id = a.session_id "
            f"WHERE {where} AND s.guild_id = ? AND v.closed_at IS NOT NULL "
            "GROUP BY d.answer_id",
            (*params, guild_id),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def comments(self, guild_id: int, scope: Scope) -> list[CommentTuple]:
        """Comments on the answers in scope, anonymised by the commenter's group."""
        where, params = scope.where()
        return await every(self._conn, _COMMENTS_SQL.format(where=where), (*params, guild_id))

    async def versions(self, guild_id: int, scope: Scope) -> list[tuple[Any, ...]]:
        """Every version of the group answers in scope, by answer then number: (answer id,
        number, display name (None if anonymous), pseudonym number (anonymous), fields JSON,
        saved at (to the minute if anonymous))."""
        where, params = scope.where()
        return await every(
            self._conn,
            "SELECT v.answer_id, v.number, CASE WHEN s.anonymous THEN NULL ELSE v.display_name "
            "END, CASE WHEN s.anonymous THEN p.number END, v.fields, "
            f"CASE WHEN s.anonymous THEN {_MINUTE.format('v.created_at')} ELSE v.created_at "
            "END FROM answer_versions v JOIN answers a ON a.id = v.answer_id "
            "JOIN sessions s ON s.id = a.session_id "
            "LEFT JOIN participants p ON s.anonymous AND p.workshop_id = s.workshop_id "
            f"AND p.user_id = v.user_id WHERE {where} AND s.guild_id = ? "
            "ORDER BY v.answer_id, v.number",
            (*params, guild_id),
        )

    async def votes(self, guild_id: int, workshop_id: int) -> list[VoteTuple]:
        """The workshop's closed votes (what was voted on, not who voted)."""
        return await every(
            self._conn,
            "SELECT v.prompt_id, v.dots, v.opened_at, v.closed_at, count(d.id), "
            "count(DISTINCT d.user_id) FROM votes v LEFT JOIN dots d ON d.vote_id = v.id "
            "WHERE v.workshop_id = ? AND v.guild_id = ? AND v.closed_at IS NOT NULL "
            "GROUP BY v.id ORDER BY v.id",
            (workshop_id, guild_id),
        )

    def answer_chunks(
        self, guild_id: int, scope: Scope, prompt_id: str, set_id: str, chunk_rows: int
    ) -> Iterator[list[AnswerTuple]]:
        """One prompt's answers in export order (group by group; within a group in order of
        first submission, or of pseudonym in anonymous sessions), from the snapshot's read
        transaction, fetched synchronously in the calling thread, ``chunk_rows`` at a time
        (never the whole result); no empty chunk.

        For a worker thread (it blocks while SQLite works), and only while no coroutine
        uses this snapshot: the connection is shared with aiosqlite's thread, not locked.
        Fetching in the thread that consumes the rows saves a handoff between threads per
        chunk (the event loop, then aiosqlite's thread, each waiting for the interpreter
        lock the consumer holds)."""
        where, params = scope.where()
        # aiosqlite's own sqlite3 connection (as bot/storage/writer.py uses it)
        conn: sqlite3.Connection = self._conn._conn
        cur = conn.execute(_ANSWERS_SQL.format(where=where),
                           (prompt_id, *params, guild_id, set_id, guild_id))
        try:
            while True:
                rows = cur.fetchmany(chunk_rows)
                if rows:
                    yield rows
                if len(rows) < chunk_rows:
                    return
        finally:
            # (left unfinished, it may be closed after the snapshot is)
            with contextlib.suppress(sqlite3.Error):
                cur.close()
