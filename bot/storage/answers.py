"""People's answers: saving one (the hot path of a burst), reading them back, counting."""

from __future__ import annotations

import json
import sqlite3

from bot.rules import answerable
from bot.storage.base import ANSWER_COLUMNS, ANSWER_COLUMNS_A, StoreBase, answer_row
from bot.storage.rows import AnswerRow, SaveOutcome, SaveResult, utcnow_iso


class Answers(StoreBase):
    async def save_answer(
        self, *, guild_id: int, session_id: int, prompt_id: str, prompt_number: int,
        user_id: int, display_name: str, fields: dict[str, str], interaction_id: int | None,
    ) -> SaveResult:
        """Insert or update one person's answer to one prompt, checking
        :func:`bot.rules.answerable` on the session's state in the same transaction (so an
        answer can't slip in after close). Idempotent per ``interaction_id``: a replayed
        interaction changes nothing."""
        encoded = json.dumps(fields, ensure_ascii=False)

        def job(conn: sqlite3.Connection) -> SaveResult:
            # The hot path of a burst.
            # Every query below is served by an index (EXPLAIN QUERY PLAN in
            # tests/test_storage.py), so it does not slow down as the database grows.
            if interaction_id is not None:
                row = conn.execute(
                    f"SELECT {ANSWER_COLUMNS_A} "
                    "FROM answer_writes w JOIN answers a ON a.id = w.answer_id "
                    "WHERE w.interaction_id = ?",
                    (interaction_id,),
                ).fetchone()
                if row is not None:
                    return SaveResult(SaveOutcome.REPLAYED, answer_row(row))
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
                f"RETURNING {ANSWER_COLUMNS}",
                (guild_id, session_id, prompt_id, user_id, display_name, encoded, now, now,
                 interaction_id),
            ).fetchone()
            answer = answer_row(arow)
            if interaction_id is not None:
                conn.execute(
                    "INSERT INTO answer_writes (interaction_id, answer_id) VALUES (?, ?)",
                    (interaction_id, answer.id),
                )
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
            outcome = SaveOutcome.UPDATED if existed else SaveOutcome.CREATED
            return SaveResult(outcome, answer, first_in_guild=first, current_prompt=current)

        return await self.write(job)

    async def answers_of_user(self, guild_id: int, user_id: int) -> list[AnswerRow]:
        rows = await self.fetchall(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE guild_id = ? AND user_id = ? "
            "ORDER BY session_id, created_at",
            (guild_id, user_id),
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
            "SELECT count(DISTINCT user_id) FROM answers WHERE guild_id = ? AND session_id = ?",
            (guild_id, session_id),
        )
        return {r[0]: r[1] for r in rows}, int(people[0])
