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
    "csv_restore",
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
    HTML = "html"

    @property
    def extension(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | ExportFormat) -> ExportFormat:
        """``"csv"``, ``"XLSX"``, ``".json"``, ``"md"``, ``"markdown"``, ``"html"`` -> the
        format."""
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


_ALIASES = {"markdown": "md", "excel": "xlsx", "htm": "html"}


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
#
# A spreadsheet turns a cell into a formula when its text starts with one of these. The CSV
# and XLSX writers protect every free-text cell against them; see csv_safe and
# bot.exports.xlsx_writer.

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters that look like (and, after Unicode compatibility normalisation, are) = + - @:
# full-width (what a Japanese or Chinese input method types), small, superscript and
# subscript forms; and the mathematical minus sign. Every character whose NFKC form starts
# with = + - or @ is here (tests/test_spreadsheet_safety.py checks the whole of Unicode).
FORMULA_LOOKALIKES = (
    "\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b"
    "\uff0b\uff0d\uff1d\uff20\u2212"
)
# XLSX: a text cell starting with one of these carries the quote-prefix format.
QUOTE_PREFIX_FIRST = frozenset((*FORMULA_TRIGGERS, *FORMULA_LOOKALIKES, "'"))

# CSV: where a reader may start a cell or a line. Commas and semicolons (Excel's list
# separator is ";" in many locales), tabs, and every line break a reader may split at
# (CR, LF, and what Python's str.splitlines() also breaks at: VT, FF, FS, GS, RS, NEL, LS, PS).
CSV_SEPARATORS = ",;\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# What a reader may drop or look through before the first character it checks: the quote
# character (a ";" reader unquotes a field that starts with '"', and sees '""=' as '='),
# spaces and other whitespace that is not a separator, and invisible format characters
# (zero-width spaces and joiners, bidi controls, the BOM, soft hyphen: Unicode category Cf).
_SKIPPABLE = (
    '"\x1f \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000'
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
_SKIPPABLE_ASCII = '"\x1f '
_SEP_CLASS = re.escape(CSV_SEPARATORS)
_TRIGGER_CLASS = "=+\\-@" + FORMULA_LOOKALIKES
# What, at a place where a reader may start a cell or a line, would make it a formula (or is
# the escape character itself, escaped too so that reading back is exact): at the start of
# the text, and right after a separator. (Two patterns rather than one "(^|[...])": a pattern
# that starts with a character class is searched for several times faster.)
_CSV_HEAD = re.compile(f"[{_SKIPPABLE}]*[{_TRIGGER_CLASS}]|'")
_CSV_INNER = re.compile(f"([{_SEP_CLASS}])([{_SKIPPABLE}]*[{_TRIGGER_CLASS}]|')")
_CSV_ESCAPED = re.compile(f"(^|[{_SEP_CLASS}])'")


def csv_safe(text: str) -> str:
    """Text no spreadsheet reads as a formula, whatever separator it splits the file at.

    A ``'`` is inserted at the start of the text and right after every ``,`` ``;`` tab or
    line break in it (:data:`CSV_SEPARATORS`) where what follows, looking past quotes,
    spaces and invisible characters, starts with ``= + - @`` or a lookalike (full-width
    ``＝`` etc.), and also where what follows is a ``'`` itself. :func:`csv_restore` undoes it
    exactly: ``csv_restore(csv_safe(t)) == t`` for every string ``t``."""
    if not text:
        return text
    if not text.isascii():
        # a regular expression (str.find, or bytes.find on the UTF-8, were no faster here)
        return _protect(text)
    # ASCII text (most answers): only = + - @ and ' can make a danger. Find each one and look
    # at its left: str.find is several times faster than a regular-expression scan, and
    # hyphens and apostrophes in prose are rejected at once (a letter on their left).
    marks: list[int] | None = None
    for char in "=+-@'":
        i = text.find(char)
        while i != -1:
            j = i - 1
            if char != "'":
                while j >= 0 and text[j] in _SKIPPABLE_ASCII:
                    j -= 1
            if j < 0 or text[j] in CSV_SEPARATORS:  # a cell or line may start at j + 1
                if marks is None:
                    marks = []
                marks.append(j + 1)
            i = text.find(char, i + 1)
    if marks is None:
        return text
    if len(marks) == 1:  # the usual danger: one place (most often the start)
        at = marks[0]
        return f"{text[:at]}'{text[at:]}"
    parts, last = [], 0
    for at in sorted(set(marks)):
        parts += (text[last:at], "'")
        last = at
    parts.append(text[last:])
    return "".join(parts)


def _protect(text: str) -> str:
    """:func:`csv_safe` by regular expressions (any text)."""
    if _CSV_INNER.search(text):
        text = _CSV_INNER.sub(r"\1'\2", text)
    return "'" + text if _CSV_HEAD.match(text) else text


def csv_restore(cell: str) -> str:
    """The text as typed, from a cell of a CSV export read with the documented dialect:
    drops the ``'`` at the start of the cell and the one right after each separator."""
    return _CSV_ESCAPED.sub(r"\1", cell) if "'" in cell else cell


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


def utc_minute(iso: str | None) -> str | None:
    """A stored time to the minute, as the reports show it: ``2026-11-26T14:05:00.123+00:00``
    -> ``2026-11-26 14:05 UTC``; ``""`` for no time; None when ``iso`` is not a time (each
    report then shows it as it is, escaped its own way)."""
    if not iso:
        return ""
    if len(iso) >= 16 and iso[10] == "T" and iso.endswith("+00:00"):  # how storage writes it
        return f"{iso[:10]} {iso[11:16]} UTC"
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if when.tzinfo is not None:  # another offset: shown in UTC (a time without one is UTC)
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


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
