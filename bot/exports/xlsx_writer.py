"""XLSX: an overview sheet, the theory of change and the citations (when the export has a
chain or a cite field), then one sheet per prompt (a column per answer field).

Written with XlsxWriter in ``constant_memory`` mode (rows go to disk as they are written).
Every piece of text is written with ``write_string`` and the workbook never converts strings
to formulas, numbers or links, so what people typed is always a text cell, exactly as typed.
A text cell that starts with ``= + - @``, a lookalike of one (full-width ``＝`` etc.), a tab,
a line break or ``'`` also carries the quote-prefix format (``quotePrefix``, what Excel stores
when you type ``'=...``): editing such a cell in Excel or LibreOffice keeps it text instead of
turning it into a formula, and keeps a leading ``'`` as typed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from bot.exports.chain import ChainCollector
from bot.exports.common import QUOTE_PREFIX_FIRST
from bot.exports.data import GROUP_ANSWER, AnswerRecord, ExportPlan, FieldInfo, as_text
from bot.models import CHAIN_COLUMNS
from bot.synthesis import GAP_MARK

WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}
MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED_SHEETS = {"history"}
GAP_FILL = "#FCE4D6"  # a gap's cell in the Theory of change (its text is marked too)
CHAIN_SHEET = "Theory of change"
CITATIONS_SHEET = "Citations"


class NeedColumns(Exception):
    """An answer has a field that has no column: the caller loads the stored field ids
    (:func:`bot.exports.data.load_stored_fields` with ``all_prompts``) and writes again."""


def sheet_names(titles: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid, unique (case-insensitively) sheet names for ``titles``: at most 31 characters,
    none of ``[]:*?/\\``, not starting or ending with an apostrophe, never empty."""
    used = {t.casefold() for t in taken} | _RESERVED_SHEETS
    names = []
    for n, title in enumerate(titles, start=1):
        base = " ".join(_BAD_SHEET_CHARS.sub(" ", title).split()).strip("'").strip()
        base = base[:MAX_SHEET_NAME].rstrip().rstrip("'").rstrip() or f"Prompt {n}"
        name, k = base, 2
        while name.casefold() in used:
            suffix = f" ({k})"
            name = base[: MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
            k += 1
        used.add(name.casefold())
        names.append(name)
    return names


def _field_width(f: FieldInfo) -> int:
    return 30 if f.style == "short" else 50


def write_xlsx(plan: ExportPlan, chunks: Iterable[Iterable[AnswerRecord]], path: Path) -> None:
    """Write the workbook to ``path``; columns come from the prompts' fields plus
    ``plan.stored_fields``. Raises :class:`NeedColumns` (after closing the workbook) when an
    answer has a field with no column."""
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        _write(wb, plan, chunks)
    except BaseException:
        with contextlib.suppress(Exception):
            wb.close()  # releases the temporary files; the caller removes the output
        raise
    wb.close()


def _write(wb: Any, plan: ExportPlan, chunks: Iterable[Iterable[AnswerRecord]]) -> None:
    quoted: dict[Any, Any] = {}  # each text format -> the same with the quote prefix

    def text_format(props: dict[str, Any]) -> Any:
        fmt = wb.add_format(props)
        quoted[fmt] = wb.add_format({**props, "quote_prefix": True})
        return fmt

    first_chars = QUOTE_PREFIX_FIRST

    def put(ws: Any, row: int, col: int, value: str, fmt: Any) -> None:
        """A text cell; quote-prefixed when it starts like a formula."""
        ws.write_string(row, col, value, quoted[fmt] if value[:1] in first_chars else fmt)

    title_fmt = text_format({"bold": True, "font_size": 14})
    bold = text_format({"bold": True, "valign": "top"})
    head = text_format({"bold": True, "text_wrap": True, "valign": "top",
                        "bg_color": "#DDEBF7", "bottom": 1})
    wrap = text_format({"text_wrap": True, "valign": "top"})
    top = text_format({"valign": "top"})
    when_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"})

    # --- overview ----------------------------------------------------------------------------
    ov = wb.add_worksheet("Overview")
    ov.set_column(0, 0, 24)
    ov.set_column(1, 1, 40)
    ov.set_column(2, 3, 50)
    ov.set_column(4, 4 + max(len(plan.sessions), 6), 14)
    row = 0
    put(ov, row, 0, "Workshop export", title_fmt)
    row += 2
    facts: list[tuple[str, str | int]] = [
        ("Workshop", plan.workshop),
        ("Exported at (UTC)", plan.exported_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("Scope", "One session" if plan.scope.kind == "session" else "Whole workshop"),
        ("Prompt sets", ", ".join(ps.title for ps in plan.prompt_sets)),
        ("Groups", ", ".join(s.group for s in plan.sessions)),
        ("Sessions", len(plan.sessions)),
        ("Answers", plan.answers),
    ]
    for label, value in facts:
        put(ov, row, 0, label, bold)
        if isinstance(value, int):
            ov.write_number(row, 1, value, top)
        else:
            put(ov, row, 1, value, wrap)
        row += 1

    row += 1
    put(ov, row, 0, "Groups", title_fmt)
    row += 1
    group_cols = ("Group", "Session", "Prompt set", "Status", "Anonymous", "Pace",
                  "Participants", "Answers", "Started (UTC)", "Closed (UTC)")
    for c, text in enumerate(group_cols):
        put(ov, row, c, text, head)
    row += 1
    for s in plan.sessions:
        put(ov, row, 0, s.group, wrap)
        ov.write_number(row, 1, s.id, top)
        put(ov, row, 2, s.prompt_set, wrap)
        put(ov, row, 3, s.status, top)
        put(ov, row, 4, "yes" if s.anonymous else "no", top)
        put(ov, row, 5, s.pace, top)
        ov.write_number(row, 6, s.participants, top)
        ov.write_number(row, 7, plan.session_count(s), top)
        _write_when(ov, row, 8, s.created_at, when_fmt, top)
        if s.closed_at:
            _write_when(ov, row, 9, s.closed_at, when_fmt, top)
        row += 1

    row += 1
    put(ov, row, 0, "Answers per prompt and group", title_fmt)
    row += 1
    counts_head = ["Prompt", "Title", "Question", "Linked examples"]
    counts_head += [f"{s.group} (session {s.id})" if len(plan.sessions) > 1 else s.group
                    for s in plan.sessions]
    counts_head.append("Total")
    for c, text in enumerate(counts_head):
        put(ov, row, c, text, head)
    row += 1
    for p in plan.prompts:
        put(ov, row, 0, p.label, top)
        put(ov, row, 1, p.title, wrap)
        put(ov, row, 2, p.question, wrap)
        put(ov, row, 3, "\n".join(e.title for e in p.examples), wrap)
        for c, s in enumerate(plan.sessions, start=4):
            if s.prompt_set == p.set_id:
                ov.write_number(row, c, plan.count(p, s), top)
        ov.write_number(row, 4 + len(plan.sessions), plan.count(p), bold)
        row += 1

    # --- one sheet per prompt ----------------------------------------------------------------
    # A "Session" column only when a group name was used by more than one session.
    group_names = [s.group.casefold() for s in plan.sessions]
    with_session = len(set(group_names)) < len(group_names)
    first_field = 3 if with_session else 2
    synthesis = _SynthesisSheets(wb, plan, put, {
        "head": head, "wrap": wrap, "top": top, "title": title_fmt, "bold": bold,
        "gap": text_format({"text_wrap": True, "valign": "top", "bg_color": GAP_FILL,
                            "font_color": "#7A2E00"})})
    names = sheet_names(
        [p.title if p.number is None or p.title.lstrip().startswith(f"{p.number}.")
         else f"{p.number}. {p.title}" for p in plan.prompts],
        taken=["Overview", *synthesis.names],
    )
    sheets: dict[int, tuple[Any, dict[str, int], list[int]]] = {}
    for p, name in zip(plan.prompts, names, strict=True):
        ws = wb.add_worksheet(name)
        columns = plan.columns_for(p)
        ws.set_column(0, 0, 20)
        if with_session:
            ws.set_column(1, 1, 9)
        ws.set_column(first_field - 1, first_field - 1, 20)
        for i, f in enumerate(columns, start=first_field):
            ws.set_column(i, i, _field_width(f))
        end = first_field + len(columns)
        ws.set_column(end, end + 1, 20)
        ws.set_column(end + 2, end + 2, 8)
        ws.set_column(end + 3, end + 3, 50)
        ws.set_column(end + 4, end + 4, 30)
        ws.set_column(end + 5, end + 5, 9)
        ws.set_column(end + 6, end + 6, 40)
        heading = p.title if p.number is None else f"{p.number}. {p.title}"
        put(ws, 0, 0, f"{heading} \u2014 {p.question}" if p.question else heading, bold)
        header = ["Group", *(["Session"] if with_session else []), "Participant",
                  *(f.label for f in columns), "Submitted at (UTC)", "Edited at (UTC)",
                  "Dots", "Comments", "Contributors", "Versions",
                  *(["Examples cited"] if p.cite is not None else [])]
        for c, text in enumerate(header):
            put(ws, 1, c, text, head)
        ws.freeze_panes(2, first_field)
        col_of = {f.id: i for i, f in enumerate(columns, start=first_field)}
        sheets[p.index] = (ws, col_of, [2])

    add_to_chain = synthesis.chain.add if synthesis.chain.wanted else None
    wrap_q = quoted[wrap]
    for chunk in chunks:
        for a in chunk:
            if add_to_chain is not None:
                add_to_chain(a)
            ws, col_of, next_row = sheets[a.prompt.index]
            r = next_row[0]
            next_row[0] = r + 1
            write_string = ws.write_string
            group, participant = a.session.group, a.participant
            write_string(r, 0, group, wrap_q if group[:1] in first_chars else wrap)
            if with_session:
                ws.write_number(r, 1, a.session.id, top)
            write_string(r, first_field - 1, participant,
                         wrap_q if participant[:1] in first_chars else wrap)
            for key, value in a.fields.items():
                c = col_of.get(key)
                if c is None:  # a field the prompt no longer has: plan columns for it
                    if a.prompt.cite is not None and key == a.prompt.cite.id:
                        continue  # (citations have a column of their own)
                    raise NeedColumns(a.prompt.id)
                if value.__class__ is not str:
                    value = as_text(value)
                write_string(r, c, value, wrap_q if value[:1] in first_chars else wrap)
            end = first_field + len(col_of)
            _write_when(ws, r, end, a.submitted_at, when_fmt, top)
            if a.updated_at != a.submitted_at:  # blank unless the answer was edited
                _write_when(ws, r, end + 1, a.updated_at, when_fmt, top)
            ws.write_number(r, end + 2, a.dots, top)
            if a.comments:
                write_string(r, end + 3, "\n".join(c.line() for c in a.comments), wrap)
            if a.versions:  # a group answer: who wrote it, in how many versions
                write_string(r, end + 4, ", ".join(a.contributors), wrap)
                ws.write_number(r, end + 5, a.versions, top)
            if a.prompt.cite is not None:
                cited = a.cited_titles()
                if cited:
                    put(ws, r, end + 6, "\n".join(cited), wrap)
    synthesis.write()


class _SynthesisSheets:
    """The sheets after the overview: *Theory of change* (one row per group or participant,
    gap cells highlighted and marked) and *Citations* (per prompt, each linked example and the
    answers citing it), when the export has a chain or a cite field. They are added before
    the prompts' sheets (so they come second) and filled once every answer is read."""

    def __init__(self, wb: Any, plan: ExportPlan, put: Callable[[Any, int, int, str, Any], None],
                 fmt: dict[str, Any]) -> None:
        self.plan = plan
        self.put = put  # a text cell, quote-prefixed when it starts like a formula
        self.fmt = fmt
        self.gap = fmt["gap"]
        self.chain = ChainCollector(plan)
        self.names: list[str] = []
        self.chain_ws = self.cite_ws = None
        if self.chain.wanted:
            self.chain_ws = wb.add_worksheet(CHAIN_SHEET)
            self.names.append(CHAIN_SHEET)
        if plan.citations:
            self.cite_ws = wb.add_worksheet(CITATIONS_SHEET)
            self.names.append(CITATIONS_SHEET)

    def write(self) -> None:
        if self.chain_ws is not None:
            self._chain(self.chain_ws)
        if self.cite_ws is not None:
            self._citations(self.cite_ws)

    def _chain(self, ws: Any) -> None:
        plan, fmt = self.plan, self.fmt
        sets = len(plan.chains) > 1
        self.put(ws, 0, 0, "Theory of change", fmt["title"])
        self.put(ws, 1, 0, (
            f"One row per group (or per participant where each answered alone). {GAP_MARK} "
            "and the coloured cells mark gaps: a link with no answer, a part left empty, an "
            "answer too short to use, or no seminar example cited."), fmt["wrap"])
        columns = len(CHAIN_COLUMNS)  # every chain has these three, in this order
        first = 3 if sets else 2
        header = ["Group", "Participant", *(["Prompt set"] if sets else []),
                  *(title for _, title in CHAIN_COLUMNS), "Examples cited", "Gaps"]
        for c, text in enumerate(header):
            self.put(ws, 3, c, text, fmt["head"])
        ws.set_column(0, 1, 18)
        if sets:
            ws.set_column(2, 2, 18)
        ws.set_column(first, first + columns - 1, 55)
        ws.set_column(first + columns, first + columns, 40)
        ws.set_column(first + columns + 1, first + columns + 1, 8)
        ws.freeze_panes(4, first)
        r = 4
        for e in self.chain.entries():
            self.put(ws, r, 0, e.session.group, fmt["wrap"])
            self.put(ws, r, 1, e.participant or GROUP_ANSWER, fmt["wrap"])
            if sets:
                self.put(ws, r, 2, e.pset.title, fmt["wrap"])
            cited: list[str] = []
            for c, cell in enumerate(e.row.cells, start=first):
                text = "\n".join(x for x in (cell.gap_text(), cell.text()) if x)
                self.put(ws, r, c, text, self.gap if cell.gaps else fmt["wrap"])
                cited += [t for t in e.cited_titles(cell) if t not in cited]
            self.put(ws, r, first + columns, "\n".join(cited), fmt["wrap"])
            ws.write_number(r, first + columns + 1, len(e.row.gaps),
                            self.gap if e.row.gaps else fmt["top"])
            r += 1

    def _citations(self, ws: Any) -> None:
        plan, fmt = self.plan, self.fmt
        self.put(ws, 0, 0, "Seminar examples cited", fmt["title"])
        header = ["Prompt", "Example", "Answers citing it", "Never cited", "Answers",
                  "Answers citing any example"]
        for c, text in enumerate(header):
            self.put(ws, 2, c, text, fmt["head"])
        ws.set_column(0, 0, 36)
        ws.set_column(1, 1, 50)
        ws.set_column(2, 5, 14)
        ws.freeze_panes(3, 0)
        r = 3
        for p in plan.prompts:
            tally = plan.citations.get(p.index)
            if tally is None:
                continue
            name = p.title if p.number is None else f"{p.number}. {p.title}"
            listed = [*tally.linked, *(e for e, _ in tally.most_cited()
                                       if e not in tally.linked)]
            for eid in listed:
                n = tally.counts.get(eid, 0)
                self.put(ws, r, 0, name, fmt["wrap"])
                self.put(ws, r, 1, p.example_title(eid), fmt["wrap"])
                ws.write_number(r, 2, n, fmt["top"])
                if not n:
                    self.put(ws, r, 3, "never cited", self.gap)
                ws.write_number(r, 4, tally.answers, fmt["top"])
                ws.write_number(r, 5, tally.citing, fmt["top"])
                r += 1


_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)


def _write_when(ws: Any, row: int, col: int, iso: str, when_fmt: Any, text_fmt: Any) -> None:
    """A stored ISO 8601 UTC time as a real spreadsheet date-time (text if it isn't one)."""
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        ws.write_string(row, col, str(iso), text_fmt)
        return
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # Excel's serial date (days since 1899-12-30, valid from March 1900), in UTC.
    ws.write_number(row, col, (when - _EXCEL_EPOCH).total_seconds() / 86400.0, when_fmt)
