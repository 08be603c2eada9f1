"""``export_to_dir``: resolve the scope, read one snapshot, write the file in a worker
thread, record the export in the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.exports.common import (
    ExportError,
    ExportFormat,
    ExportResult,
    ExportScope,
    export_filename,
    to_utc,
)
from bot.exports.csv_writer import write_csv
from bot.exports.data import (
    AnswerRecord,
    AnswerSource,
    ExportPlan,
    build_plan,
    load_stored_fields,
)
from bot.exports.html_report import write_html
from bot.exports.json_writer import write_json
from bot.exports.markdown import write_markdown
from bot.exports.xlsx_writer import NeedColumns, write_xlsx
from bot.models import Library
from bot.storage import Database, Snapshot

log = logging.getLogger(__name__)

Chunks = Iterable[Iterable[AnswerRecord]]


def _write_text(writer: Callable[[ExportPlan, Chunks, Any], None], encoding: str
                ) -> Callable[[ExportPlan, Chunks, Path], None]:
    def write(plan: ExportPlan, chunks: Chunks, path: Path) -> None:
        with open(path, "w", encoding=encoding, newline="", buffering=1 << 20) as out:
            writer(plan, chunks, out)

    return write


_WRITERS: dict[ExportFormat, Callable[[ExportPlan, Chunks, Path], None]] = {
    ExportFormat.CSV: _write_text(write_csv, "utf-8"),  # writes its own BOM
    ExportFormat.JSON: _write_text(write_json, "utf-8"),
    ExportFormat.MD: _write_text(write_markdown, "utf-8"),
    ExportFormat.XLSX: write_xlsx,
    ExportFormat.HTML: write_html,
}


def _run_writer(fmt: ExportFormat, plan: ExportPlan, chunks: Chunks, tmp: Path) -> None:
    """Runs in a worker thread; leaves no partial file behind when it fails."""
    try:
        _WRITERS[fmt](plan, chunks, tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


async def _write_file(snap: Snapshot, plan: ExportPlan, fmt: ExportFormat,
                      tmp: Path) -> AnswerSource:
    """Write ``tmp`` in a worker thread, fed from the snapshot; returns the source used."""
    # JSON embeds the stored JSON of the fields as it is: no need to parse it.
    source = AnswerSource(snap, plan, parse_fields=fmt is not ExportFormat.JSON)
    try:
        await _in_thread(source, fmt, plan, tmp)
    except NeedColumns:
        # An answer has a field its prompt no longer has (the prompt files changed since):
        # find every such field, then write the workbook again with columns for them.
        log.info("an answer has fields its prompt no longer has; writing the export again "
                 "with columns for them")
        await load_stored_fields(snap, plan, all_prompts=True)
        source = AnswerSource(snap, plan)
        await _in_thread(source, fmt, plan, tmp)
    return source


async def _in_thread(source: AnswerSource, fmt: ExportFormat, plan: ExportPlan,
                     tmp: Path) -> None:
    """Run the writer in a worker thread. If the caller is cancelled, tell the worker to
    stop and wait for it (it stops at its next chunk and removes its partial file), so the
    snapshot stays open while it runs and nothing is left behind."""
    worker = asyncio.ensure_future(
        asyncio.to_thread(_run_writer, fmt, plan, source.chunks(), tmp)
    )
    try:
        await asyncio.shield(worker)
    except asyncio.CancelledError:
        source.cancelled.set()
        with contextlib.suppress(BaseException):
            await worker
        raise


def _claim(out_dir: Path, filename: str) -> Path:
    """Create ``out_dir/filename`` exclusively (``name-2.ext`` etc. when taken)."""
    stem, dot, ext = filename.rpartition(".")
    for n in range(1, 1000):
        candidate = out_dir / (filename if n == 1 else f"{stem}-{n}{dot}{ext}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise ExportError("Too many exports with the same name in the export folder; try again "
                      "in a minute.")


async def export_to_dir(
    db: Database, library: Library, *, guild_id: int, scope: ExportScope,
    fmt: ExportFormat | str, out_dir: Path, actor_id: int | None,
    now: datetime | None = None, filename: str | None = None, via: str | None = None,
) -> ExportResult:
    """Export ``scope`` of server ``guild_id`` as ``fmt`` into ``out_dir``.

    The file name is made by :func:`export_filename` (``-2``, ``-3`` ... when it is already
    taken) unless ``filename`` is given (then an existing file of that name is replaced).
    Raises :class:`ExportError` when the workshop or session does not exist in that server.
    ``via`` (e.g. ``"cli"``) is recorded in the audit entry."""
    fmt = ExportFormat.parse(fmt)
    exported_at = to_utc(now).replace(microsecond=0)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    async with db.snapshot() as snap:
        plan = await build_plan(snap, library, guild_id=guild_id, scope=scope,
                                exported_at=exported_at,
                                count_citations=fmt is not ExportFormat.HTML)
        if fmt is ExportFormat.XLSX:
            await load_stored_fields(snap, plan)
        group = plan.sessions[0].group if scope.kind == "session" and plan.sessions else None
        if filename is None:
            target = _claim(out_dir, export_filename(plan.workshop, fmt, exported_at, group))
            replace_existing = False
        else:
            target = out_dir / filename
            replace_existing = True
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(plan):x}.part")
        try:
            source = await _write_file(snap, plan, fmt, tmp)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if not replace_existing:
                with contextlib.suppress(OSError):
                    target.unlink()
            raise
    if source.rows_read != plan.answers:  # pragma: no cover - the snapshot makes them equal
        log.warning("export of %s read %d answers, planned %d", scope.describe(),
                    source.rows_read, plan.answers)
    size = target.stat().st_size
    detail: dict[str, Any] = {
        "scope": scope.kind,
        "workshop": plan.workshop,
        "format": fmt.value,
        "answers": plan.answers,
        "sessions": len(plan.sessions),
        "filename": target.name,
    }
    if scope.kind == "session":
        detail["session_id"] = scope.session_id
    if via:
        detail["via"] = via
    await db.audit(guild_id, actor_id, "export", detail)
    log.info("exported %s of guild %d as %s: %d answers, %d sessions, %d bytes in %.2f s",
             scope.describe(), guild_id, fmt.value, plan.answers, len(plan.sessions), size,
             time.perf_counter() - started)
    return ExportResult(path=target, filename=target.name, size=size, answers=plan.answers,
                        sessions=len(plan.sessions), workshop=plan.workshop)


async def find_workshop_guilds(db: Database, name: str) -> dict[int, str]:
    """Servers that have a workshop called ``name`` (case-insensitive): guild id -> the
    workshop's stored name. For the command line, which has no server context."""
    return await db.find_workshop_guilds(" ".join(name.split()))


async def find_session_guild(db: Database, session_id: int) -> int | None:
    """The server a session belongs to (for the command line)."""
    return await db.find_session_guild(session_id)
