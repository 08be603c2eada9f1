"""Groups learning from each other: gallery walks, comments, dot-votes, and the server's switches
for them.

Every rule that could be broken by two clicks at once is checked inside the write transaction
that applies the click (the single writer runs one job at a time): a dot is never placed beyond
the voter's budget nor on their own group's answer, and a click delivered twice (same
interaction id) changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.storage.base import ANSWER_COLUMNS_A, StoreBase, answer_row, fetchone
from bot.storage.rows import (
    AnswerRow,
    CommentOutcome,
    CommentResult,
    CommentRow,
    DotOutcome,
    DotResult,
    VoteRow,
    WalkRow,
    utcnow_iso,
)

_WALK_COLUMNS = ("id, guild_id, workshop_id, prompt_id, rotation, round, rotate_minutes, "
                 "started_at, ended_at")
_VOTE_COLUMNS = "id, guild_id, workshop_id, prompt_id, dots, opened_at, closed_at"
_COMMENT_COLUMNS = ("c.id, c.answer_id, a.session_id, a.prompt_id, a.user_id, c.user_id, "
                    "c.display_name, c.from_session_id, c.text, c.created_at")
# an answer with its pseudonym number (anonymous sessions only)
_SHOWN_SQL = (
    f"SELECT {ANSWER_COLUMNS_A}, CASE WHEN s.anonymous THEN p.number END "
    "FROM answers a JOIN sessions s ON s.id = a.session_id "
    "LEFT JOIN participants p ON s.anonymous AND p.workshop_id = s.workshop_id "
    "AND p.user_id = a.user_id "
)


def _walk(row: Sequence[Any]) -> WalkRow:
    return WalkRow(id=row[0], guild_id=row[1], workshop_id=row[2], prompt_id=row[3],
                   rotation=tuple(int(s) for s in json.loads(row[4])), round=row[5],
                   rotate_minutes=row[6], started_at=row[7], ended_at=row[8])


def _vote(row: Sequence[Any]) -> VoteRow:
    return VoteRow(*row)


def _comment(row: Sequence[Any]) -> CommentRow:
    return CommentRow(*row)


def _shown(row: Sequence[Any]) -> tuple[AnswerRow, int | None]:
    return answer_row(row[:10]), row[10]


def _dot_state(conn: sqlite3.Connection, vote_id: int, dots: int, user_id: int,
               answer_id: int, outcome: DotOutcome) -> DotResult:
    used, on_answer = conn.execute(
        "SELECT count(*), coalesce(sum(answer_id = ?), 0) FROM dots "
        "WHERE vote_id = ? AND user_id = ?", (answer_id, vote_id, user_id),
    ).fetchone()
    return DotResult(outcome, dots=dots, used=int(used), on_answer=int(on_answer))


def _own_group(conn: sqlite3.Connection, session_id: int, user_id: int) -> bool:
    """Did ``user_id`` answer in ``session_id``, or write a version of its group answer?"""
    return conn.execute(
        "SELECT 1 FROM answers WHERE session_id = ? AND user_id = ? "
        "UNION ALL SELECT 1 FROM answer_versions v JOIN answers a ON a.id = v.answer_id "
        "WHERE a.session_id = ? AND v.user_id = ? LIMIT 1",
        (session_id, user_id, session_id, user_id),
    ).fetchone() is not None


class Gallery(StoreBase):
    # --- the server's switches ------------------------------------------------------------

    async def sharing(self, guild_id: int) -> tuple[bool, bool]:
        """(gallery walks allowed, votes allowed) in this server; both by default."""
        row = await self.fetchone(
            "SELECT gallery_enabled, voting_enabled FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        return (bool(row[0]), bool(row[1])) if row else (True, True)

    async def set_sharing(self, guild_id: int, *, gallery: bool | None = None,
                          voting: bool | None = None) -> tuple[bool, bool]:
        def job(conn: sqlite3.Connection) -> tuple[bool, bool]:
            conn.execute(
                "INSERT INTO guild_settings (guild_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING", (guild_id, utcnow_iso()),
            )
            if gallery is not None:
                conn.execute("UPDATE guild_settings SET gallery_enabled = ?, updated_at = ? "
                             "WHERE guild_id = ?", (int(gallery), utcnow_iso(), guild_id))
            if voting is not None:
                conn.execute("UPDATE guild_settings SET voting_enabled = ?, updated_at = ? "
                             "WHERE guild_id = ?", (int(voting), utcnow_iso(), guild_id))
            row = fetchone(conn, "SELECT gallery_enabled, voting_enabled FROM guild_settings "
                                 "WHERE guild_id = ?", (guild_id,))
            return bool(row[0]), bool(row[1])

        return await self.write(job)

    # --- answers as other groups see them -----------------------------------------------------

    async def shared_workshops(self) -> set[int]:
        """Workshops that have had a gallery walk or a vote: the only ones whose answers can be
        on cards other groups read."""
        rows = await self.fetchall(
            "SELECT workshop_id FROM gallery_walks UNION SELECT workshop_id FROM votes")
        return {r[0] for r in rows}

    async def answers_for_prompt(self, guild_id: int, session_id: int, prompt_id: str
                                 ) -> list[tuple[AnswerRow, int | None]]:
        """A session's answers to a prompt, each with its pseudonym number in anonymous
        sessions; in pseudonym order there (never in the order people answered), else in
        order of first submission."""
        rows = await self.fetchall(
            _SHOWN_SQL + "WHERE a.guild_id = ? AND a.session_id = ? AND a.prompt_id = ? "
            "ORDER BY CASE WHEN s.anonymous THEN p.number END, a.id",
            (guild_id, session_id, prompt_id),
        )
        return [_shown(r) for r in rows]

    async def answer_by_id(self, guild_id: int, answer_id: int) -> AnswerRow | None:
        row = await self.fetchone(
            f"SELECT {ANSWER_COLUMNS_A} FROM answers a WHERE a.id = ? AND a.guild_id = ?",
            (answer_id, guild_id),
        )
        return answer_row(row) if row else None

    # --- gallery walks ----------------------------------------------------------------------

    async def start_walk(self, *, guild_id: int, workshop_id: int, prompt_id: str,
                         rotation: Sequence[int], rotate_minutes: int | None) -> WalkRow | None:
        """Start a walk; None when the workshop already has one running."""

        def job(conn: sqlite3.Connection) -> WalkRow | None:
            try:
                row = conn.execute(
                    "INSERT INTO gallery_walks (guild_id, workshop_id, prompt_id, rotation, "
                    "rotate_minutes, started_at) VALUES (?, ?, ?, ?, ?, ?) "
                    f"RETURNING {_WALK_COLUMNS}",
                    (guild_id, workshop_id, prompt_id, json.dumps(list(rotation)),
                     rotate_minutes, utcnow_iso()),
                ).fetchone()
            except sqlite3.IntegrityError:
                return None
            return _walk(row)

        return await self.write(job)

    async def live_walk(self, guild_id: int, workshop_id: int) -> WalkRow | None:
        row = await self.fetchone(
            f"SELECT {_WALK_COLUMNS} FROM gallery_walks WHERE guild_id = ? AND workshop_id = ? "
            "AND ended_at IS NULL", (guild_id, workshop_id),
        )
        return _walk(row) if row else None

    async def walk(self, guild_id: int, walk_id: int) -> WalkRow | None:
        row = await self.fetchone(
            f"SELECT {_WALK_COLUMNS} FROM gallery_walks WHERE id = ? AND guild_id = ?",
            (walk_id, guild_id),
        )
        return _walk(row) if row else None

    async def advance_walk(self, guild_id: int, walk_id: int, from_round: int
                           ) -> WalkRow | None:
        """Move a live walk from round ``from_round`` to the next; None when it is no longer
        at that round (someone or the timer moved it meanwhile) or has ended."""

        def job(conn: sqlite3.Connection) -> WalkRow | None:
            row = conn.execute(
                "UPDATE gallery_walks SET round = round + 1 WHERE id = ? AND guild_id = ? "
                f"AND round = ? AND ended_at IS NULL RETURNING {_WALK_COLUMNS}",
                (walk_id, guild_id, from_round),
            ).fetchone()
            return _walk(row) if row else None

        return await self.write(job)

    async def end_walk(self, guild_id: int, walk_id: int) -> WalkRow | None:
        """End a live walk; None when it had ended already."""

        def job(conn: sqlite3.Connection) -> WalkRow | None:
            row = conn.execute(
                "UPDATE gallery_walks SET ended_at = ? WHERE id = ? AND guild_id = ? "
                f"AND ended_at IS NULL RETURNING {_WALK_COLUMNS}",
                (utcnow_iso(), walk_id, guild_id),
            ).fetchone()
            return _walk(row) if row else None

        return await self.write(job)

    # --- comments -------------------------------------------------------------------------

    async def add_comment(self, *, guild_id: int, answer_id: int, user_id: int,
                          display_name: str, from_session_id: int | None, text: str,
                          interaction_id: int | None) -> CommentResult:
        """Store a comment on an answer, while a walk or a vote shows the answer's prompt in
        its workshop. Idempotent per ``interaction_id``."""

        def job(conn: sqlite3.Connection) -> CommentResult:
            if interaction_id is not None:
                row = conn.execute(
                    f"SELECT {_COMMENT_COLUMNS} FROM gallery_comments c JOIN answers a "
                    "ON a.id = c.answer_id WHERE c.interaction_id = ?", (interaction_id,),
                ).fetchone()
                if row is not None:
                    return CommentResult(CommentOutcome.REPLAYED, _comment(row))
            answer = conn.execute(
                "SELECT s.workshop_id, a.prompt_id FROM answers a JOIN sessions s "
                "ON s.id = a.session_id WHERE a.id = ? AND a.guild_id = ?",
                (answer_id, guild_id),
            ).fetchone()
            if answer is None:
                return CommentResult(CommentOutcome.NO_ANSWER)
            workshop_id, prompt_id = answer
            shown = conn.execute(
                "SELECT 1 FROM gallery_walks WHERE workshop_id = ? AND prompt_id = ? "
                "AND ended_at IS NULL UNION ALL SELECT 1 FROM votes WHERE workshop_id = ? "
                "AND prompt_id = ? AND closed_at IS NULL LIMIT 1",
                (workshop_id, prompt_id, workshop_id, prompt_id),
            ).fetchone()
            if shown is None:
                return CommentResult(CommentOutcome.CLOSED)
            cur = conn.execute(
                "INSERT INTO gallery_comments (guild_id, answer_id, user_id, display_name, "
                "from_session_id, text, created_at, interaction_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, answer_id, user_id, display_name, from_session_id, text,
                 utcnow_iso(), interaction_id),
            )
            row = conn.execute(
                f"SELECT {_COMMENT_COLUMNS} FROM gallery_comments c JOIN answers a "
                "ON a.id = c.answer_id WHERE c.id = ?", (cur.lastrowid,),
            ).fetchone()
            return CommentResult(CommentOutcome.SAVED, _comment(row))

        return await self.write(job)

    async def comments_on_session(self, guild_id: int, session_id: int) -> list[CommentRow]:
        """Comments on a session's answers, by prompt, then in the order they were given."""
        rows = await self.fetchall(
            f"SELECT {_COMMENT_COLUMNS} FROM gallery_comments c JOIN answers a "
            "ON a.id = c.answer_id WHERE a.guild_id = ? AND a.session_id = ? "
            "ORDER BY a.prompt_id, c.id", (guild_id, session_id),
        )
        return [_comment(r) for r in rows]

    # --- votes ---------------------------------------------------------------------------

    async def open_vote(self, *, guild_id: int, workshop_id: int, prompt_id: str,
                        dots: int) -> VoteRow | None:
        """Open a vote on a prompt; None when one is open on it already."""

        def job(conn: sqlite3.Connection) -> VoteRow | None:
            try:
                row = conn.execute(
                    "INSERT INTO votes (guild_id, workshop_id, prompt_id, dots, opened_at) "
                    f"VALUES (?, ?, ?, ?, ?) RETURNING {_VOTE_COLUMNS}",
                    (guild_id, workshop_id, prompt_id, dots, utcnow_iso()),
                ).fetchone()
            except sqlite3.IntegrityError:
                return None
            return _vote(row)

        return await self.write(job)

    async def open_votes(self, guild_id: int, workshop_id: int) -> list[VoteRow]:
        rows = await self.fetchall(
            f"SELECT {_VOTE_COLUMNS} FROM votes WHERE guild_id = ? AND workshop_id = ? "
            "AND closed_at IS NULL ORDER BY id", (guild_id, workshop_id),
        )
        return [_vote(r) for r in rows]

    async def close_votes(self, guild_id: int, workshop_id: int) -> list[VoteRow]:
        """Close every open vote of a workshop; returns them, closed."""

        def job(conn: sqlite3.Connection) -> list[VoteRow]:
            rows = conn.execute(
                "UPDATE votes SET closed_at = ? WHERE guild_id = ? AND workshop_id = ? "
                f"AND closed_at IS NULL RETURNING {_VOTE_COLUMNS}",
                (utcnow_iso(), guild_id, workshop_id),
            ).fetchall()
            return sorted((_vote(r) for r in rows), key=lambda v: v.id)

        return await self.write(job)

    async def dot(self, *, guild_id: int, answer_id: int, viewer_session_id: int,
                  user_id: int, add: bool, interaction_id: int | None) -> DotResult:
        """Place (``add``) or take back one dot of ``user_id`` on an answer, in the vote open
        on the answer's prompt. A dot is refused on an answer of the group whose channel the
        card is in (``viewer_session_id``) or of any group the voter answered in, and beyond
        the vote's dots per person. Idempotent per ``interaction_id``."""

        def job(conn: sqlite3.Connection) -> DotResult:
            if interaction_id is not None:
                done = conn.execute(
                    "SELECT c.vote_id, v.dots, c.answer_id, c.user_id FROM dot_clicks c "
                    "JOIN votes v ON v.id = c.vote_id WHERE c.interaction_id = ?",
                    (interaction_id,),
                ).fetchone()
                if done is not None:
                    return _dot_state(conn, done[0], done[1], done[3], done[2],
                                      DotOutcome.REPLAYED)
            answer = conn.execute(
                "SELECT a.session_id, a.prompt_id, s.workshop_id FROM answers a "
                "JOIN sessions s ON s.id = a.session_id WHERE a.id = ? AND a.guild_id = ?",
                (answer_id, guild_id),
            ).fetchone()
            if answer is None:
                return DotResult(DotOutcome.NO_ANSWER)
            session_id, prompt_id, workshop_id = answer
            vote = conn.execute(
                "SELECT id, dots FROM votes WHERE workshop_id = ? AND prompt_id = ? "
                "AND closed_at IS NULL", (workshop_id, prompt_id),
            ).fetchone()
            if vote is None:
                return DotResult(DotOutcome.NO_VOTE)
            vote_id, budget = vote
            if add:
                if session_id == viewer_session_id or _own_group(conn, session_id, user_id):
                    return _dot_state(conn, vote_id, budget, user_id, answer_id,
                                      DotOutcome.OWN_GROUP)
                used = conn.execute("SELECT count(*) FROM dots WHERE vote_id = ? AND "
                                    "user_id = ?", (vote_id, user_id)).fetchone()[0]
                if used >= budget:
                    return _dot_state(conn, vote_id, budget, user_id, answer_id,
                                      DotOutcome.NO_DOTS_LEFT)
                conn.execute(
                    "INSERT INTO dots (vote_id, guild_id, answer_id, user_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (vote_id, guild_id, answer_id, user_id, utcnow_iso()),
                )
                outcome = DotOutcome.ADDED
            else:
                mine = conn.execute(
                    "SELECT id FROM dots WHERE vote_id = ? AND user_id = ? AND answer_id = ? "
                    "ORDER BY id DESC LIMIT 1", (vote_id, user_id, answer_id),
                ).fetchone()
                if mine is None:
                    return _dot_state(conn, vote_id, budget, user_id, answer_id,
                                      DotOutcome.NONE_TO_REMOVE)
                conn.execute("DELETE FROM dots WHERE id = ?", (mine[0],))
                outcome = DotOutcome.REMOVED
            if interaction_id is not None:
                conn.execute(
                    "INSERT INTO dot_clicks (interaction_id, guild_id, vote_id, answer_id, "
                    "user_id, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                    (interaction_id, guild_id, vote_id, answer_id, user_id, outcome.value),
                )
            return _dot_state(conn, vote_id, budget, user_id, answer_id, outcome)

        return await self.write(job)

    async def dot_counts(self, guild_id: int, vote_id: int) -> dict[int, int]:
        """Dots per answer in a vote (answers with none are left out)."""
        rows = await self.fetchall(
            "SELECT answer_id, count(*) FROM dots WHERE guild_id = ? AND vote_id = ? "
            "GROUP BY answer_id", (guild_id, vote_id),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def voters(self, guild_id: int, vote_id: int) -> int:
        row = await self.fetchone(
            "SELECT count(DISTINCT user_id) FROM dots WHERE guild_id = ? AND vote_id = ?",
            (guild_id, vote_id),
        )
        return int(row[0])

    async def answer_dots(self, guild_id: int, answer_id: int) -> int:
        """Dots on an answer in closed votes (open votes' counts stay hidden)."""
        row = await self.fetchone(
            "SELECT count(*) FROM dots d JOIN votes v ON v.id = d.vote_id "
            "WHERE d.guild_id = ? AND d.answer_id = ? AND v.closed_at IS NOT NULL",
            (guild_id, answer_id),
        )
        return int(row[0])
