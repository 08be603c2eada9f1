"""Spreadsheet safety of the CSV and XLSX exports against hostile text (issue 11, section 6).

CSV: however a reader splits the file (at ``,`` as documented, at ``;`` as Excel does where
the list separator is ``;``, at tabs, at every line break, or naively without quoting), no
cell and no line starts like a formula; and with the documented dialect (``csv`` module,
``excel`` dialect, then :func:`csv_restore`) every answer reads back exactly as typed.
XLSX: every text cell starting like a formula carries the quote-prefix format, value unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape

from bot.engine import Engine
from bot.exports import ExportScope, export_to_dir
from bot.exports.common import (
    CSV_SEPARATORS,
    FORMULA_LOOKALIKES,
    QUOTE_PREFIX_FIRST,
    _protect,
    csv_restore,
    csv_safe,
)
from bot.exports.csv_writer import csv_cell
from bot.models import Library
from bot.storage import Database

GUILD = 990000000000000011
CHANNEL = 880000000000000011
FACILITATOR = 770000000000000011
CALC = "cmd|' /C calc'!A0"

# Hostile answers: a formula after every kind of separator, behind quotes, spaces and
# invisible characters, in full-width and other lookalike forms, and the escape character.
HOSTILE = [
    f"harmless;={CALC}",
    f"harmless,={CALC}",
    f"harmless\t={CALC}",
    f"line one\r\n={CALC}",
    f"line one\n+1+{CALC}",
    "line one\r-2+3",
    f"@SUM(1+1)*{CALC}",
    "=1+1;=2+2\n=3+3,=4+4\t=5+5\r@6;+7,-8",
    'a;"=1+1"',
    'a;""=1+1',
    'a; "=1+1',
    '"=1+1"',
    '""";=1+1',
    "a;   @SUM(1)",
    "a;\u00a0=1+1",
    "a;\u200b=1+1",
    "a;\ufeff=1+1",
    "a;\u202e=1+1",
    "＝1+1",
    "a;＋1+1",
    "a\n－1+1",
    f"＠SUM(1);{CALC}",
    "a,﹦1+1",
    "a\t⁼1+1",
    "a\u22121",
    "'=1+1",
    "a;'=1+1",
    "''",
    "it's fine; 'quoted' words",
    "a\x0b=1+1",
    "a\x0c=1+1",
    "a\x1c=1+1",
    "a\x85=1+1",
    "a\u2028=1+1",
    "a\u2029=1+1",
    "a\n\n=1+1",
    "a;\n=1+1",
    "- bullet one\n- bullet two\n+ bullet three",
    "ends with a separator;",
    "ends with a line break\n",
    'ends with a quote"',
    "\t=1+1",
    "\r\n=1+1",
    " =1+1",
]
HOSTILE_NAMES = ["=1+2;=3+4", f"Bob;={CALC}", "＝Lin\n=1+1", "'quoted", "Plain Name"]


def formula_like(text: str) -> bool:
    """Would a spreadsheet take this cell (or line) for a formula, even one that trims
    whitespace, quotes and invisible characters before looking?"""
    i = 0
    while i < len(text) and (text[i].isspace() or text[i] == '"'
                             or unicodedata.category(text[i]) == "Cf"):
        i += 1
    if i == len(text):
        return False
    first = text[i]
    return unicodedata.normalize("NFKC", first)[:1] in ("=", "+", "-", "@") or first == "\u2212"


def dangerous_pieces(raw: str) -> list[str]:
    """Everything in ``raw`` (a whole CSV file) that looks like a formula to some reader."""
    found: list[str] = []
    # readers with another separator (newlines translated: Excel breaks lines at a lone CR too)
    for delimiter in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(raw, newline=None), delimiter=delimiter):
            found += [c for c in row if formula_like(c)]
    # raw lines, split the way Python and the common tools do
    lines = raw.splitlines() + re.split(r"\r\n|\r|\n", raw)
    found += [line for line in lines if formula_like(line)]
    # naive readers that split lines at a separator and ignore quoting
    for line in lines:
        for sep in (",", ";", "\t"):
            found += [piece for piece in line.split(sep) if formula_like(piece)]
    return found


def test_lookalikes_cover_unicode() -> None:
    """Every character that normalises (NFKC) to something starting with = + - @ is treated
    as a trigger."""
    lookalikes = {c for c in map(chr, range(sys.maxunicode + 1))
                  if unicodedata.normalize("NFKC", c)[:1] in ("=", "+", "-", "@")}
    assert lookalikes - {"=", "+", "-", "@"} <= set(FORMULA_LOOKALIKES)
    assert lookalikes <= QUOTE_PREFIX_FIRST


def test_every_skippable_character_is_looked_through() -> None:
    """Whitespace that is not a separator and every invisible format character (Cf) in front
    of a trigger after a separator still gets the escape."""
    chars = [c for c in map(chr, range(sys.maxunicode + 1))
             if (c.isspace() and c not in CSV_SEPARATORS) or unicodedata.category(c) == "Cf"]
    assert chars
    for c in chars:
        assert csv_safe(f"x;{c}=1") == f"x;'{c}=1", hex(ord(c))
        assert csv_safe(f"{c}{c}=1") == f"'{c}{c}=1", hex(ord(c))


def test_splitlines_breaks_are_separators() -> None:
    breaks = {c for c in map(chr, range(sys.maxunicode + 1)) if len(f"a{c}b".splitlines()) > 1}
    assert breaks <= set(CSV_SEPARATORS)


def test_csv_safe_examples() -> None:
    assert csv_safe(f"harmless;={CALC}") == f"harmless;'={CALC}"
    assert csv_safe("line\n=1") == "line\n'=1"
    assert csv_safe('a;""=1') == "a;'\"\"=1"
    assert csv_safe("＝1") == "'＝1"
    assert csv_safe("'x") == "''x"
    assert csv_safe("it's a well-known idea, and it works") == \
        "it's a well-known idea, and it works"  # ordinary prose is left alone
    assert csv_restore("''x") == "'x"
    assert [csv_restore(csv_safe(t)) for t in HOSTILE] == HOSTILE


ALPHABET = list(CSV_SEPARATORS) + list("\"' =+-@ab") + ["＝", "\u200b", "\u00a0", "\u2212"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=12), min_size=1,
                max_size=4))
def test_csv_cells_round_trip_and_no_reader_sees_a_formula(cells: list[str]) -> None:
    # a record as the writer builds it: the answer always quoted, other cells when needed
    answer = '"' + csv_safe(cells[-1]).replace('"', '""') + '"'
    record = ",".join(["Workshop", *(csv_cell(c) for c in cells[:-1]), answer,
                       "2026-11-26T14:05:00.000+00:00"])
    raw = f"{record}\r\n" * 2
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(rows) == 2
    assert [csv_restore(c) for c in rows[0][1:-1]] == cells
    assert dangerous_pieces(raw) == []
    # the fast path for ASCII text does exactly what the regular expressions do
    assert [csv_safe(c) for c in cells] == [_protect(c) for c in cells]


async def _hostile_session(engine: Engine, library: Library) -> tuple[int, dict[str, str]]:
    """A session whose workshop, group, display names and answers are all hostile."""
    session = await engine.start(GUILD, CHANNEL, group_name=f"Group;={CALC}",
                                 workshop="Hostile;=1+1", set_id="quick-reflection",
                                 started_by=FACILITATOR, pace="self")
    prompt = library.prompt_sets["quick-reflection"].prompts[0]
    field = prompt.fields[0]
    typed: dict[str, str] = {}
    for i, text in enumerate(HOSTILE):
        text = text[: field.max_length]
        await engine.submit(GUILD, session.id, prompt.id, user_id=10**17 + i,
                            display_name=HOSTILE_NAMES[i % len(HOSTILE_NAMES)],
                            values={field.id: text})
        typed[HOSTILE_NAMES[i % len(HOSTILE_NAMES)] + f"#{i}"] = text
    return session.id, typed


async def test_csv_export_of_hostile_answers(db: Database, library: Library, engine: Engine,
                                             tmp_path: Path) -> None:
    session_id, typed = await _hostile_session(engine, library)
    result = await export_to_dir(db, library, guild_id=GUILD,
                                 scope=ExportScope.session(session_id), fmt="csv",
                                 out_dir=tmp_path, actor_id=FACILITATOR)
    raw = result.path.read_bytes().decode("utf-8-sig")
    # the documented dialect reads every answer back exactly, in order
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    header, body = rows[0], rows[1:]
    answer, participant = header.index("Answer"), header.index("Participant")
    assert [csv_restore(r[answer]) for r in body] == list(typed.values())
    assert [csv_restore(r[participant]) for r in body] == \
        [HOSTILE_NAMES[i % len(HOSTILE_NAMES)] for i in range(len(HOSTILE))]
    assert {csv_restore(r[header.index("Group")]) for r in body} == {f"Group;={CALC}"}
    assert {csv_restore(r[header.index("Workshop")]) for r in body} == {"Hostile;=1+1"}
    # and no reader, whatever its separator, sees a formula anywhere in the file
    assert dangerous_pieces(raw) == []
    # the old defence (a ' before the whole cell only) did not hold: check the test can tell
    unsafe = raw.replace(csv_safe(f"harmless;={CALC}"), f"harmless;={CALC}")
    assert dangerous_pieces(unsafe)


async def test_xlsx_quote_prefix_on_cells_that_start_like_formulas(
    db: Database, library: Library, engine: Engine, tmp_path: Path
) -> None:
    session_id, typed = await _hostile_session(engine, library)
    result = await export_to_dir(db, library, guild_id=GUILD,
                                 scope=ExportScope.session(session_id), fmt="xlsx",
                                 out_dir=tmp_path, actor_id=FACILITATOR)
    wb = openpyxl.load_workbook(result.path)
    checked = prefixed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type != "s" or c.value is None:
                    assert c.data_type != "f", (ws.title, c.coordinate)
                    continue
                value = unescape(c.value)
                starts_like_formula = value[:1] in QUOTE_PREFIX_FIRST
                assert bool(c.quotePrefix) == starts_like_formula, (ws.title, c.coordinate,
                                                                     value)
                checked += 1
                prefixed += starts_like_formula
    # the answers, names and group are unchanged text
    sheet = wb.worksheets[1]
    header = [c.value for c in sheet[2]]
    rows = list(sheet.iter_rows(min_row=3))
    answers = [unescape(r[2].value) for r in rows]
    assert answers == list(typed.values())
    assert [r[1].value for r in rows] == \
        [HOSTILE_NAMES[i % len(HOSTILE_NAMES)] for i in range(len(HOSTILE))]
    assert header[:2] == ["Group", "Participant"]
    by_answer = {unescape(r[2].value): r[2] for r in rows}
    for text in ("＝1+1", f"@SUM(1+1)*{CALC}", "\t=1+1", "\r\n=1+1", "'=1+1",
                 "- bullet one\n- bullet two\n+ bullet three"):
        assert by_answer[text].quotePrefix, text
    for text in (f"harmless;={CALC}", " =1+1", 'a;"=1+1"'):
        assert not by_answer[text].quotePrefix, text  # starts as text: Excel keeps it text
    assert prefixed >= 10 and checked > prefixed
