"""Erasure (`/forget-me`), retention deletions, the audit log and server settings.

The erasure and deletion statements exist once, as functions on a ``sqlite3`` connection:
the live bot runs them in its writer, and ``restore`` (bot/storage/backup.py) runs the same
ones to apply to a restored backup what was erased after it was taken.

Erased bytes do not linger: every connection has ``secure_delete`` on (deleted content is
overwritten in the file), and after an erasure or deletion the write-ahead log is checkpointed
and truncated, so the old pages are gone from the ``-wal`` file too.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from bot.storage.base import SESSION_COLUMNS, SESSION_FROM, StoreBase, fetchone, session_row
from bot.storage.rows import SessionRow, utcnow_iso
from bot.storage.schema import subject_hash

log = logging.getLogger(__name__)

SUBJECT_KEY = "subject_key"


# --- the statements, shared with restore ------------------------------------------------------


def erase_person(conn: sqlite3.Connection, guild_id: int, user_id: int) -> int:
    """Delete everything stored about one person in one server (answers, versions, pseudonym
    links, reminder choices, gallery comments and dots); returns how many answers (and
    versions of group answers) were erased. Comments and dots on an erased answer go with it.

    A group answer keeps its current text only if someone else wrote it: when the person wrote
    the current version, the answer goes back to the newest version someone else wrote, or is
    deleted when nobody else wrote one."""
    count = conn.execute(
        "DELETE FROM answers WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    ).rowcount
    if _has_table(conn, "answer_versions"):  # (not in a restored backup from before them)
        count += _erase_versions(conn, guild_id, user_id)
    conn.execute(
        "DELETE FROM participants WHERE user_id = ? AND workshop_id IN "
        "(SELECT id FROM workshops WHERE guild_id = ?)",
        (user_id, guild_id),
    )
    if _has_table(conn, "reminder_subscriptions"):
        conn.execute("DELETE FROM reminder_subscriptions WHERE guild_id = ? AND user_id = ?",
                     (guild_id, user_id))
    # gallery comments and dots they gave (those on their erased answers went with them)
    for table in ("gallery_comments", "dots", "dot_clicks"):
        if _has_table(conn, table):
            conn.execute(f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?",
                         (guild_id, user_id))
    return count


def _erase_versions(conn: sqlite3.Connection, guild_id: int, user_id: int) -> int:
    touched = [r[0] for r in conn.execute(
        "SELECT DISTINCT answer_id FROM answer_versions WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )]
    count = conn.execute(
        "DELETE FROM answer_versions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    ).rowcount
    for answer_id in touched:
        latest = fetchone(conn, "SELECT number, fields, created_at FROM answer_versions "
                                "WHERE answer_id = ? ORDER BY number DESC LIMIT 1", (answer_id,))
        if latest is None:
            conn.execute("DELETE FROM answers WHERE id = ?", (answer_id,))
        else:
            conn.execute("UPDATE answers SET version = ?, fields = ?, updated_at = ? "
                         "WHERE id = ? AND version != ?",
                         (latest[0], latest[1], latest[2], answer_id, latest[0]))
    return count


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return fetchone(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (name,)) is not None


def people_of(conn: sqlite3.Connection, guild_id: int) -> list[int]:
    """Every user id with data stored in a server (to match an erasure's subject hash)."""
    # (a restored backup may be older than some of these tables)
    extra = [t for t in ("answer_versions", "gallery_comments", "dots") if _has_table(conn, t)]
    rows = conn.execute(
        "SELECT DISTINCT user_id FROM answers WHERE guild_id = ? AND user_id != 0 "
        + "".join(f"UNION SELECT user_id FROM {t} WHERE guild_id = ? " for t in extra)
        + "UNION SELECT p.user_id FROM participants p JOIN workshops w "
        "ON w.id = p.workshop_id WHERE w.guild_id = ?",
        (guild_id,) * (len(extra) + 2),
    ).fetchall()
    return [int(r[0]) for r in rows]


def delete_session(conn: sqlite3.Connection, guild_id: int, session_id: int) -> int:
    """Delete a session with its answers; returns the answers deleted."""
    row = fetchone(conn, "SELECT count(*) FROM answers WHERE session_id = ? AND guild_id = ?",
                   (session_id, guild_id))
    conn.execute("DELETE FROM sessions WHERE id = ? AND guild_id = ?", (session_id, guild_id))
    return int(row[0])


def drop_empty_workshops(conn: sqlite3.Connection) -> None:
    conn.execute(
        "DELETE FROM workshops WHERE NOT EXISTS "
        "(SELECT 1 FROM sessions WHERE sessions.workshop_id = workshops.id)"
    )


def subject_key(conn: sqlite3.Connection) -> str | None:
    row = fetchone(conn, "SELECT value FROM meta WHERE key = ?", (SUBJECT_KEY,))
    return row[0] if row else None


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database and truncate it (after an erasure)."""
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:  # a reader (an export) holds an older snapshot; the next erasure tries again
        log.info("the write-ahead log could not be truncated yet (a reader is active)")


def audit(conn: sqlite3.Connection, guild_id: int, actor_id: int | None, action: str,
          detail: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO audit_log (guild_id, at, actor_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        (guild_id, utcnow_iso(), actor_id, action, json.dumps(detail, ensure_ascii=False)),
    )


class Housekeeping(StoreBase):
    # --- erasure ----------------------------------------------------------------------------

    async def erase_user(self, guild_id: int, user_id: int) -> int:
        """Delete a person's answers (and pseudonym links) in one server; returns how many
        answers were erased. The audit entry holds the count and a keyed hash standing for the
        person (so a restore can apply the erasure to an older backup), never their id or
        text."""
        writer = self._writer

        def job(conn: sqlite3.Connection) -> int:
            count = erase_person(conn, guild_id, user_id)
            key = subject_key(conn)
            detail: dict[str, Any] = {"answers_erased": count}
            if key:
                detail["subject"] = subject_hash(key, guild_id, user_id)
            audit(conn, guild_id, None, "erase", detail)
            writer.after_commit(checkpoint)
            return count

        return await self.write(job)

    # --- retention --------------------------------------------------------------------------

    async def retention_candidates(
        self, *, warn_before: str, delete_before: str, warned_before: str
    ) -> tuple[list[SessionRow], list[SessionRow]]:
        """Closed sessions to warn about (closed before ``warn_before``, not yet warned) and to
        delete (closed before ``delete_before`` and warned before ``warned_before``)."""
        base = f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.status = 'closed' "
        warn = await self.fetchall(
            base + "AND s.closed_at < ? AND s.retention_warned_at IS NULL ORDER BY s.id",
            (warn_before,),
        )
        delete = await self.fetchall(
            base + "AND s.closed_at < ? AND s.retention_warned_at < ? ORDER BY s.id",
            (delete_before, warned_before),
        )
        return [session_row(r) for r in warn], [session_row(r) for r in delete]

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
        writer = self._writer

        def job(conn: sqlite3.Connection) -> int:
            total = 0
            for s in sessions:
                count = delete_session(conn, s.guild_id, s.id)
                audit(conn, s.guild_id, None, "delete_session",
                      {"session_id": s.id, "answers_deleted": count, "reason": reason})
                total += count
            drop_empty_workshops(conn)
            writer.after_commit(checkpoint)
            return total

        return await self.write(job)

    # --- audit ------------------------------------------------------------------------------

    async def audit(self, guild_id: int, actor_id: int | None, action: str,
                    detail: dict[str, Any]) -> None:
        def job(conn: sqlite3.Connection) -> None:
            audit(conn, guild_id, actor_id, action, detail)

        await self.write(job)

    async def audit_entries(
        self, guild_id: int
    ) -> list[tuple[str, int | None, str, dict[str, Any]]]:
        rows = await self.fetchall(
            "SELECT at, actor_id, action, detail FROM audit_log WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    # --- server settings and the bot's own notes -----------------------------------------

    async def facilitator_role(self, guild_id: int) -> int | None:
        row = await self.fetchone(
            "SELECT facilitator_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return row[0] if row else None

    async def facilitator_roles(self) -> dict[int, int | None]:
        rows = await self.fetchall("SELECT guild_id, facilitator_role_id FROM guild_settings")
        return {r[0]: r[1] for r in rows}

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
