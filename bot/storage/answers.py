"""People's answers: saving one (the hot path of a burst), reading them back, counting."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.models import FieldValue
from bot.rules import answerable
from bot.storage.base import ANSWER_COLUMNS, ANSWER_COLUMNS_A, StoreBase, answer_row
from bot.storage.rows import (
    GROUP,
    AnswerRow,
    SaveOutcome,
    SaveResult,
    VersionRow,
    utcnow_iso,
)

_REPLAYED_SQL = (f"SELECT {ANSWER_COLUMNS_A} FROM answer_writes w JOIN answers a "
                 "ON a.id = w.answer_id WHERE w.interaction_id = ?")


def _replayed(conn: sqlite3.Connection, interaction_id: int) -> SaveResult | None:
    """The answer an interaction already saved (a copy delivered again), if it did."""
    row = conn.execute(_REPLAYED_SQL, (interaction_id,)).fetchone()
    return SaveResult(SaveOutcome.REPLAYED, answer_row(row)) if row is not None else None


def _session_state(conn: sqlite3.Connection, guild_id: int, session_id: int,
                   prompt_number: int) -> SaveResult | tuple[int, int, int]:
    """The session's existence and :func:`answerable`, in the save's transaction. Returns the
    refusal, or the session's (current prompt, workshop id, anonymous)."""
    srow = conn.execute(
        "SELECT status, current_prompt, pace, workshop_id, anonymous FROM sessions "
        "WHERE id = ? AND guild_id = ?",
        (session_id, guild_id),
    ).fetchone()
    if srow is None:
        return SaveResult(SaveOutcome.NO_SESSION)
    status, current, pace, workshop_id, anonymous = srow
    refusal = answerable(status, pace, current, prompt_number)
    if refusal is not None:
        return SaveResult(SaveOutcome(refusal.value), current_prompt=current)
    return current, workshop_id, anonymous


def _check(conn: sqlite3.Connection, guild_id: int, session_id: int, prompt_number: int,
           interaction_id: int | None) -> SaveResult | tuple[int, int, int]:
    """The checks a save starts with, in its transaction: a replayed interaction, then
    :func:`_session_state`. Returns the result to return at once, or the session's (current
    prompt, workshop id, anonymous)."""
    if interaction_id is not None:
        replayed = _replayed(conn, interaction_id)
        if replayed is not None:
            return replayed
    return _session_state(conn, guild_id, session_id, prompt_number)


class _AlreadySaved(Exception):
    """Raised inside a save's job to roll it back: its interaction was saved before."""


def _first_in_guild(conn: sqlite3.Connection, guild_id: int, user_id: int,
                    besides: int = 0) -> bool:
    """No answer (other than the answer ``besides``) nor group answer version of this person
    in this server yet."""
    return conn.execute(
        "SELECT 1 FROM answers WHERE guild_id = ? AND user_id = ? AND id != ? "
        "UNION ALL SELECT 1 FROM answer_versions WHERE guild_id = ? AND user_id = ? LIMIT 1",
        (guild_id, user_id, besides, guild_id, user_id),
    ).fetchone() is None


def _note_participant(conn: sqlite3.Connection, anonymous: int, workshop_id: int,
                      user_id: int) -> None:
    if anonymous:
        # Pseudonyms (P01, P02...) count first answers in the workshop's anonymous
        # sessions only: numbering named answers too would let a reader work out who
        # a pseudonym is from the named groups' answer order.
        conn.execute(
            "INSERT INTO participants (workshop_id, user_id, number) "
            "SELECT ?, ?, coalesce(max(number), 0) + 1 FROM participants "
            "WHERE workshop_id = ? ON CONFLICT DO NOTHING",
            (workshop_id, user_id, workshop_id),
        )


def _version(row: Sequence[Any]) -> VersionRow:
    return VersionRow(answer_id=row[0], number=row[1], user_id=row[2], display_name=row[3],
                      fields=json.loads(row[4]), created_at=row[5])


class Answers(StoreBase):
    async def save_answer(
        self, *, guild_id: int, session_id: int, prompt_id: str, prompt_number: int,
        user_id: int, display_name: str, fields: dict[str, FieldValue], interaction_id: int | None,
    ) -> SaveResult:
        """Insert or update one person's answer to one prompt, checking
        :func:`bot.rules.answerable` on the session's state in the same transaction (so an
        answer can't slip in after close). Idempotent per ``interaction_id``: a replayed
        interaction changes nothing."""
        encoded = json.dumps(fields, ensure_ascii=False)

        def job(conn: sqlite3.Connection) -> SaveResult:
            # The hot path of a burst: 4 statements for a new answer or an edit (plus the job's
            # savepoint, and a pseudonym in anonymous sessions). Every query is served by an
            # index (EXPLAIN QUERY PLAN in tests/test_storage.py), so it does not slow down as
            # the database grows.
            checked = _session_state(conn, guild_id, session_id, prompt_number)
            if isinstance(checked, SaveResult):  # refused, unless it was saved before
                replayed = _replayed(conn, interaction_id) if interaction_id is not None else None
                return replayed or checked
            current, workshop_id, anonymous = checked
            now = utcnow_iso()
            row = conn.execute(
                "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, display_name, "
                "fields, created_at, updated_at, interaction_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (session_id, prompt_id, user_id) DO NOTHING RETURNING id",
                (guild_id, session_id, prompt_id, user_id, display_name, encoded, now, now,
                 interaction_id),
            ).fetchone()
            if row is not None:
                answer_id, created_at, version = row[0], now, 1
            else:  # an edit
                answer_id, created_at, version = conn.execute(
                    "UPDATE answers SET display_name = ?, fields = ?, updated_at = ?, "
                    "interaction_id = ? WHERE session_id = ? AND prompt_id = ? AND user_id = ? "
                    "RETURNING id, created_at, version",
                    (display_name, encoded, now, interaction_id, session_id, prompt_id,
                     user_id),
                ).fetchone()
            if interaction_id is not None and conn.execute(
                "INSERT OR IGNORE INTO answer_writes (interaction_id, answer_id) VALUES (?, ?)",
                (interaction_id, answer_id),
            ).rowcount == 0:
                raise _AlreadySaved  # a copy delivered again: roll back this job
            first = row is not None and _first_in_guild(conn, guild_id, user_id, answer_id)
            _note_participant(conn, anonymous, workshop_id, user_id)
            answer = AnswerRow(
                id=answer_id, guild_id=guild_id, session_id=session_id, prompt_id=prompt_id,
                user_id=user_id, display_name=display_name, fields=dict(fields),
                created_at=created_at, updated_at=now, version=version,
            )
            outcome = SaveOutcome.CREATED if row is not None else SaveOutcome.UPDATED
            return SaveResult(outcome, answer, first_in_guild=first, current_prompt=current)

        try:
            return await self.write(job)
        except _AlreadySaved:  # committed before this batch (or earlier in it): readable now
            row = await self.fetchone(_REPLAYED_SQL, (interaction_id,))
            if row is None:  # erased meanwhile: save it as new
                return await self.save_answer(
                    guild_id=guild_id, session_id=session_id, prompt_id=prompt_id,
                    prompt_number=prompt_number, user_id=user_id, display_name=display_name,
                    fields=fields, interaction_id=interaction_id)
            return SaveResult(SaveOutcome.REPLAYED, answer_row(row))

    async def save_group_answer(
        self, *, guild_id: int, session_id: int, prompt_id: str, prompt_number: int,
        user_id: int, display_name: str, fields: dict[str, FieldValue], base_version: int,
        interaction_id: int | None,
    ) -> SaveResult:
        """Save a new version of a group's answer to a prompt, written by ``user_id`` on the
        version ``base_version`` (0: there was none when the form opened). When the group's
        answer has moved on since (someone else saved meanwhile), nothing is saved and the
        result is CONFLICT with the current answer and who wrote it."""
        encoded = json.dumps(fields, ensure_ascii=False)

        def job(conn: sqlite3.Connection) -> SaveResult:
            checked = _check(conn, guild_id, session_id, prompt_number, interaction_id)
            if isinstance(checked, SaveResult):
                return checked
            current, workshop_id, anonymous = checked
            row = conn.execute(
                f"SELECT {ANSWER_COLUMNS} FROM answers WHERE session_id = ? AND prompt_id = ? "
                "AND user_id = ?", (session_id, prompt_id, GROUP),
            ).fetchone()
            existing = answer_row(row) if row else None
            version = existing.version if existing else 0
            if version != base_version:
                by = conn.execute(
                    "SELECT display_name FROM answer_versions WHERE answer_id = ? "
                    "ORDER BY number DESC LIMIT 1", (existing.id,),
                ).fetchone() if existing else None
                return SaveResult(SaveOutcome.CONFLICT, existing, current_prompt=current,
                                  current_by=by[0] if by else None)
            first = _first_in_guild(conn, guild_id, user_id)
            now = utcnow_iso()
            arow = conn.execute(
                "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, display_name, "
                "fields, created_at, updated_at, interaction_id, version) "
                "VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, 1) "
                "ON CONFLICT (session_id, prompt_id, user_id) DO UPDATE SET "
                "fields = excluded.fields, updated_at = excluded.updated_at, "
                "interaction_id = excluded.interaction_id, version = answers.version + 1 "
                f"RETURNING {ANSWER_COLUMNS}",
                (guild_id, session_id, prompt_id, GROUP, encoded, now, now, interaction_id),
            ).fetchone()
            answer = answer_row(arow)
            conn.execute(
                "INSERT INTO answer_versions (answer_id, guild_id, number, user_id, "
                "display_name, fields, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (answer.id, guild_id, answer.version, user_id, display_name, encoded, now),
            )
            if interaction_id is not None:
                conn.execute(
                    "INSERT INTO answer_writes (interaction_id, answer_id) VALUES (?, ?)",
                    (interaction_id, answer.id),
                )
            _note_participant(conn, anonymous, workshop_id, user_id)
            outcome = SaveOutcome.UPDATED if existing else SaveOutcome.CREATED
            return SaveResult(outcome, answer, first_in_guild=first, current_prompt=current)

        return await self.write(job)

    async def group_answers(self, guild_id: int, session_id: int) -> list[AnswerRow]:
        """A group-mode session's answers (one per prompt answered)."""
        rows = await self.fetchall(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE guild_id = ? AND session_id = ? "
            "AND user_id = ? ORDER BY id", (guild_id, session_id, GROUP),
        )
        return [answer_row(r) for r in rows]

    async def versions(self, guild_id: int, session_id: int) -> list[VersionRow]:
        """Every saved version of a session's group answers, oldest first."""
        rows = await self.fetchall(
            "SELECT v.answer_id, v.number, v.user_id, v.display_name, v.fields, v.created_at "
            "FROM answer_versions v JOIN answers a ON a.id = v.answer_id "
            "WHERE a.session_id = ? AND a.guild_id = ? ORDER BY v.answer_id, v.number",
            (session_id, guild_id),
        )
        return [_version(r) for r in rows]

    async def answers_of_user(self, guild_id: int, user_id: int) -> list[AnswerRow]:
        """A person's own answers in a server, and the group answers they wrote a version of
        (as they are now)."""
        rows = await self.fetchall(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE guild_id = ? AND (user_id = ? OR id IN "
            "(SELECT answer_id FROM answer_versions WHERE guild_id = ? AND user_id = ?)) "
            "ORDER BY session_id, created_at",
            (guild_id, user_id, guild_id, user_id),
        )
        return [answer_row(r) for r in rows]

    async def answers_of_unclosed_sessions(self) -> list[AnswerRow]:
        rows = await self.fetchall(
            f"SELECT {ANSWER_COLUMNS_A} FROM answers a JOIN sessions s ON s.id = a.session_id "
            "WHERE s.status != 'closed'"
        )
        return [answer_row(r) for r in rows]

    async def session_counts(self, guild_id: int, session_id: int) -> tuple[dict[str, int], int]:
        """Answers per prompt id, and the number of distinct participants."""
        rows = await self.fetchall(
            "SELECT prompt_id, count(*) FROM answers WHERE guild_id = ? AND session_id = ? "
            "GROUP BY prompt_id",
            (guild_id, session_id),
        )
        people = await self.fetchone(
            "SELECT count(*) FROM (SELECT user_id FROM answers WHERE guild_id = ? AND "
            "session_id = ? AND user_id != 0 UNION SELECT v.user_id FROM answer_versions v "
            "JOIN answers a ON a.id = v.answer_id WHERE a.guild_id = ? AND a.session_id = ?)",
            (guild_id, session_id, guild_id, session_id),
        )
        return {r[0]: r[1] for r in rows}, int(people[0])
