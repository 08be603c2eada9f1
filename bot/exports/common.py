"""Shared pieces of the exports: formats, scopes, results, errors, file names, text safety.

No discord imports; nothing here prints (the package logs through :mod:`logging`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

from bot.engine import WorkshopError

__all__ = [
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "ExportScope",
    "csv_safe",
    "export_filename",
    "slugify",
]


class ExportError(WorkshopError):
    """An export cannot be made; ``.message`` is written for the person who asked for it."""


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    MD = "md"

    @property
    def extension(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | ExportFormat) -> ExportFormat:
        """``"csv"``, ``"XLSX"``, ``".json"``, ``"md"`` or ``"markdown"`` -> the format."""
        if isinstance(value, ExportFormat):
            return value
        key = str(value).strip().lower().lstrip(".")
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(f.value for f in cls)
            raise ExportError(
                f"Unknown export format '{str(value)[:20]}'. Choose one of: {known}."
            ) from None


_ALIASES = {"markdown": "md", "excel": "xlsx"}


@dataclass(frozen=True, slots=True)
class ExportScope:
    """What to export: one session (``ExportScope.session(12)``) or every group of a workshop
    (``ExportScope.workshop("Leeds seminar")``, matched case-insensitively within the server)."""

    kind: Literal["session", "workshop"]
    session_id: int | None = None
    workshop_name: str | None = None

    @classmethod
    def session(cls, session_id: int) -> ExportScope:
        return cls("session", session_id=int(session_id))

    @classmethod
    def workshop(cls, name: str) -> ExportScope:
        return cls("workshop", workshop_name=" ".join(str(name).split()))

    def describe(self) -> str:
        if self.kind == "session":
            return f"session {self.session_id}"
        return f"workshop '{self.workshop_name}'"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    filename: str
    size: int
    answers: int
    sessions: int
    workshop: str = ""  # the workshop's stored name (as created, not as typed in a command)


# --- spreadsheet formula injection (OWASP "CSV Injection") -----------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``'`` when it starts like a formula."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


# --- file names ---------------------------------------------------------------------------------

MAX_SLUG = 60
FALLBACK_SLUG = "workshop"
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "clock$", "conin$", "conout$"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_length: int = MAX_SLUG, fallback: str = FALLBACK_SLUG) -> str:
    """Lowercase ASCII letters, digits and single ``-``; never empty, never a reserved name."""
    ascii_text = (
        unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    )
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        # Prefer cutting at a word boundary when one is reasonably close to the end.
        if "-" in cut[max_length // 2:]:
            cut = cut[: cut.rfind("-")]
        slug = cut.strip("-")
    if not slug:
        slug = fallback
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-export"
    return slug


def to_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def export_filename(
    workshop: str, fmt: ExportFormat | str, now: datetime, group: str | None = None
) -> str:
    """``regional-seminar-20261126-1405.xlsx`` (with ``group``: ``leeds-group-a-...``).

    Only ASCII letters, digits, ``-`` and the one ``.`` before the extension, whatever the
    workshop or group is called."""
    fmt = ExportFormat.parse(fmt)
    base = slugify(workshop)
    if group is not None:
        base = slugify(f"{base}-{slugify(group, fallback='group')}")
    stamp = to_utc(now).strftime("%Y%m%d-%H%M")
    return f"{base}-{stamp}.{fmt.extension}"
