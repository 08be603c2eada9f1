"""CSV: one row per answer field (long format), UTF-8 with BOM so Excel reads it right. The
last two columns hold the answer's dots (closed votes) and the comments other groups left on it
(one per line), the same on every row of the answer.

The dialect: the rows are exactly what :mod:`csv` writes with the ``excel`` dialect (comma,
``"`` quoting, CRLF between rows; answers always quoted, other cells when needed), but built
directly: everything that is the same for a whole prompt and group (workshop, group, titles,
question, field labels) is encoded once, so a row costs little more than its answer text.

Every text cell goes through :func:`~bot.exports.common.csv_safe` first: no cell, and no
line, starts like a formula however the file is split (at ``,``, at ``;`` as Excel does in
many locales, at tabs or at line breaks). Reading back exactly: ``csv.reader`` (``excel``
dialect, the file opened with ``encoding="utf-8-sig", newline=""``), then
:func:`~bot.exports.common.csv_restore` on each cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from bot.exports.common import csv_safe
from bot.exports.data import AnswerRecord, ExportPlan, as_text

HEADER = (
    "Workshop", "Group", "Session", "Prompt", "Prompt title", "Question", "Field",
    "Participant", "Answer", "Submitted at (UTC)", "Updated at (UTC)", "Dots", "Comments",
    "Contributors", "Versions", "Examples cited",
)
BOM = "\ufeff"


def csv_cell(text: str) -> str:
    """One CSV field, formula-safe and quoted like ``csv.writer`` (QUOTE_MINIMAL) does."""
    text = csv_safe(text)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _raw(text: str) -> str:
    """Quote only (for text the bot made itself: numbers, ISO timestamps)."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(plan: ExportPlan, chunks: Iterable[Iterable[AnswerRecord]], out: IO[str]) -> None:
    """Write the export to ``out``, a text file opened with ``encoding="utf-8"`` and
    ``newline=""`` (the byte-order mark is written here). Every free-text cell is protected
    against formula injection (:func:`~bot.exports.common.csv_safe`)."""
    out.write(BOM + ",".join(HEADER) + "\r\n")
    workshop = csv_cell(plan.workshop)
    groups = {s.id: f"{workshop},{csv_cell(s.group)},{s.id}," for s in plan.sessions}
    names: dict[str, str] = {}
    # per (session, prompt): per field id: the row text up to the participant
    prefixes: dict[tuple[int, int], dict[str, str]] = {}
    cell = csv_cell
    raw = _raw
    safe = csv_safe
    # per prompt index: the stored keys read directly (its text fields and its cite field)
    known = {p.index: p.field_ids | ({p.cite.id} if p.cite else set()) for p in plan.prompts}
    cited_cells: dict[tuple[int, tuple[str, ...]], str] = {}
    for chunk in chunks:
        lines: list[str] = []
        append = lines.append
        for answer in chunk:
            prompt = answer.prompt
            session = answer.session
            key = (session.id, prompt.index)
            starts = prefixes.get(key)
            if starts is None:
                head = (f"{groups[session.id]}{cell(prompt.label)},{cell(prompt.title)},"
                        f"{cell(prompt.question)},")
                starts = prefixes[key] = {f.id: f"{head}{cell(f.label)}," for f in
                                          prompt.fields}
                starts[""] = head
            name = names.get(answer.participant)
            if name is None:
                name = names[answer.participant] = cell(answer.participant) + ","
            said = answer.comments
            notes = cell("\n".join(c.line() for c in said)) if said else ""
            group = (f"{cell(', '.join(answer.contributors))},{answer.versions}"
                     if answer.versions else ",")
            cited = ""
            if prompt.cite is not None:  # the examples' titles (one cell per answer)
                ids = tuple(answer.cited())
                cited = cited_cells.get((prompt.index, ids), "")
                if ids and not cited:
                    cited = cited_cells[(prompt.index, ids)] = cell(
                        "; ".join(prompt.example_title(e) for e in ids))
            tail = (f",{raw(answer.submitted_at)},{raw(answer.updated_at)},{answer.dots},"
                    f"{notes},{group},{cited}\r\n")
            values = answer.fields
            cite_in = prompt.cite is not None and prompt.cite.id in values
            if len(values) == len(prompt.fields) + cite_in and \
                    known[prompt.index].issuperset(values):
                pairs = [(f.id, values[f.id]) for f in prompt.fields]
            else:
                pairs = [(f.id, v) for f, v in answer.field_values()]
                for fid, _ in pairs:
                    if fid not in starts:  # a stored field the prompt no longer has
                        starts[fid] = f"{starts['']}{cell(fid)},"
            for fid, v in pairs:
                if v.__class__ is not str:
                    v = as_text(v)
                if v:
                    v = safe(v)
                # Answers are always quoted: valid CSV, and cheaper than checking.
                append(f'{starts[fid]}{name}"{v.replace(chr(34), chr(34) * 2)}"{tail}')
        out.write("".join(lines))
