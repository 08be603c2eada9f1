"""Exports of collected answers: CSV, XLSX, JSON, a Markdown report and an HTML report
with charts.

Usage (from the Discord layer or the command line)::

    from bot.exports import ExportFormat, ExportScope, export_to_dir

    result = await export_to_dir(db, library, guild_id=gid, scope=ExportScope.workshop("Leeds"),
                                 fmt=ExportFormat.parse("xlsx"), out_dir=tmp, actor_id=uid)

Every export reads one consistent database snapshot, writes the file in a worker thread, is
safe to open in a spreadsheet (no formula ever comes from what people typed), keeps anonymous
sessions anonymous, and is recorded in the audit log (counts and file name, never answers).
"""

from bot.exports.common import (
    ExportError,
    ExportFormat,
    ExportResult,
    ExportScope,
    csv_restore,
    csv_safe,
    export_filename,
    slugify,
)
from bot.exports.service import export_to_dir, find_session_guild, find_workshop_guilds

__all__ = [
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "ExportScope",
    "csv_restore",
    "csv_safe",
    "export_filename",
    "export_to_dir",
    "find_session_guild",
    "find_workshop_guilds",
    "slugify",
]
