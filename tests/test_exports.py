"""Exports: every format read back and compared with what was stored, formula injection,
Markdown escaping, anonymity, scopes, snapshot consistency, audit, file names, speed smoke."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from itertools import cycle
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from bot.engine import Engine, WorkshopError
from bot.exports import (
    ExportError,
    ExportFormat,
    ExportResult,
    ExportScope,
    export_filename,
    export_to_dir,
    slugify,
)
from bot.exports import data as export_data
from bot.exports.common import FORMULA_TRIGGERS, csv_restore, utc_minute
from bot.exports.markdown import MD_SPECIALS, md_block, md_escape
from bot.exports.xlsx_writer import sheet_names
from bot.models import AnswerField, Library, Prompt
from bot.storage import Database, SessionRow

ROOT = Path(__file__).resolve().parent.parent
GUILD, OTHER_GUILD = 990000000000000001, 990000000000000002
CH_A, CH_B, CH_C = 880000000000000001, 880000000000000002, 880000000000000003
FACILITATOR = 770000000000000007
NOW = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)

NAMED = {111111111111111111: "Priya Kaur", 222222222222222222: "=Bob Formula",
         333333333333333333: "Ｌｉｎ 林 *star*"}
ANON = {444444444444444444: "Zorblat Quentin", 555555555555555555: "Xanthippe Moriarty-Vole",
        666666666666666666: "Quokka Smithereens"}

INJECTIONS = [
    "=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1",
    '=HYPERLINK("http://evil")', "{=1+1}", "a,=1+1", '"=1+1"',
]
SURVIVORS = [
    "Emoji 🙂👍🏽 and right-to-left: שלום עולם, مرحبا بالعالم",
    'She said "it works", then left.\nSecond line\n\n  indented third line',
    "Markdown *bold* _it_ [link](http://evil.example) <b>html</b> <script>x</script> "
    "@everyone <@123> `code` # not a heading | a | table | ~~gone~~ &amp; www.evil.example",
    "1. not a list\n- not a bullet\n> not a quote\n    not code\n---\n===",
    "Plain answer with a trailing backslash \\",
]
TEXTS = INJECTIONS + SURVIVORS


EDITED_PROMPT = "identify-change"


def who_is(world: World, session_id: int, shown: str) -> int:
    """The user id behind a participant as shown in an export."""
    for uid in (NAMED if session_id == world.named.id else ANON):
        if shown in {participant_of(world, session_id, uid, p) for p in ("", EDITED_PROMPT)}:
            return uid
    raise KeyError((session_id, shown))


def read_csv(path: Path) -> list[list[str]]:
    """Rows of a CSV export, as Excel would read it (BOM dropped, newlines kept as they are)."""
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def dangerous(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_TRIGGERS


def looks_like_formula(cell: str) -> bool:
    """A cell a spreadsheet could take for a formula, even one that trims what it reads."""
    return cell.lstrip(' \t\r\n"\u200b\ufeff')[:1] in ("=", "+", "-", "@")


Stored = dict[tuple[int, str, int], dict[str, Any]]


def texts(fields: dict[str, Any]) -> dict[str, str]:
    """A stored answer's text fields (its citations apart)."""
    return {k: v for k, v in fields.items() if isinstance(v, str)}


def text_fields(prompt: Prompt) -> list[AnswerField]:
    return [f for f in prompt.fields if not f.is_cite]


def citing(prompt: Prompt, k: int) -> list[str]:
    """What the k-th answer cites: none, one or two of the prompt's examples, in turn."""
    ids = prompt.example_ids
    chosen = {ids[k % len(ids)], ids[(k + 1) % len(ids)]}
    return [e for e in ids if e in chosen][: k % 3]  # (stored in the prompt's order)


@dataclasses.dataclass
class World:
    named: SessionRow
    anon: SessionRow
    stored: Stored  # (session id, prompt id, user id) -> fields

    @property
    def answers(self) -> int:
        return len(self.stored)


async def populate(engine: Engine) -> World:
    named = await engine.start(GUILD, CH_A, group_name="Group A", workshop="Leeds seminar",
                               set_id="key-questions", started_by=FACILITATOR, pace="self")
    anon = await engine.start(GUILD, CH_B, group_name="=Group B 🙂", workshop="leeds SEMINAR",
                              set_id="key-questions", started_by=FACILITATOR, pace="self",
                              anonymous=True)
    pset = engine.library.prompt_sets["key-questions"]
    said = cycle(TEXTS)
    stored: Stored = {}
    k = 0
    for session, people in ((named, NAMED), (anon, ANON)):
        for uid, name in people.items():
            for prompt in pset.prompts:
                values: dict[str, Any] = {
                    f.id: citing(prompt, k) if f.is_cite else next(said)[: f.max_length]
                    for f in prompt.fields}
                k += 1
                await engine.submit(GUILD, session.id, prompt.id, user_id=uid,
                                    display_name=name, values=values)
                stored[(session.id, prompt.id, uid)] = values
    # an edit: the display name and the text change, the row stays one answer
    first = pset.prompts[0]
    assert first.id == EDITED_PROMPT
    uid = next(iter(NAMED))
    values = {f.id: citing(first, 2) if f.is_cite else f"Edited {f.id} 🙂"
              for f in first.fields}
    await engine.submit(GUILD, named.id, first.id, user_id=uid, display_name="Priya K.",
                        values=values)
    stored[(named.id, first.id, uid)] = values
    return World(named, anon, stored)


@pytest.fixture
async def world(engine: Engine) -> World:
    return await populate(engine)


async def export(db: Database, library: Library, fmt: str, out: Path,
                 scope: ExportScope | None = None, **kw: Any) -> ExportResult:
    return await export_to_dir(
        db, library, guild_id=kw.pop("guild_id", GUILD),
        scope=scope or ExportScope.workshop("LEEDS Seminar"), fmt=fmt, out_dir=out,
        actor_id=kw.pop("actor_id", FACILITATOR), now=kw.pop("now", NOW), **kw,
    )


def participant_of(world: World, session_id: int, user_id: int, prompt_id: str = "") -> str:
    """Who an answer is shown as: the display name given with that answer (Priya changed hers
    when she edited her first answer), or the workshop's pseudonym."""
    if session_id == world.named.id:
        edited = user_id == next(iter(NAMED)) and prompt_id == EDITED_PROMPT
        return "Priya K." if edited else NAMED[user_id]
    # numbers are per workshop, in order of first answer in its anonymous sessions only (the
    # named group answered first, and must not be counted: issue 11)
    return f"P{list(ANON).index(user_id) + 1:02d}"


# --- CSV -------------------------------------------------------------------------------------


async def test_csv_reads_back_as_stored_with_injection_neutralised(
    db: Database, library: Library, world: World, tmp_path: Path
) -> None:
    result = await export(db, library, "csv", tmp_path)
    assert result.filename == "leeds-seminar-20261126-1405.csv"
    assert (result.answers, result.sessions) == (world.answers, 2)
    raw = result.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = read_csv(result.path)
    header, body = rows[0], rows[1:]
    assert header == ["Workshop", "Group", "Session", "Prompt", "Prompt title", "Question",
                      "Field", "Participant", "Answer", "Submitted at (UTC)",
                      "Updated at (UTC)", "Dots", "Comments",
                      "Contributors", "Versions", "Examples cited"]
    pset = library.prompt_sets["key-questions"]
    # a row a text field; the examples an answer cites in the last column of each of its rows
    assert len(body) == sum(len(texts(fields)) for fields in world.stored.values())
    labels = {(p.id, f.label): (p, f) for p in pset.prompts for f in p.fields}
    seen: dict[tuple[int, str, int], dict[str, str]] = {}
    cited: dict[tuple[int, str, int], set[str]] = {}
    for (workshop, group, session, number, title, question, label, participant, answer,
         submitted, updated, dots, comments, contributors, versions, examples) in body:
        assert workshop == "Leeds seminar"
        assert (dots, comments) == ("0", "")  # no gallery walk or vote in this workshop
        assert (contributors, versions) == ("", "")  # no group answers either
        sid = int(session)
        assert group == ("Group A" if sid == world.named.id else "'=Group B 🙂")
        prompt = pset.prompt_by_number(int(number))
        assert prompt is not None
        assert (title, question) == (prompt.title, prompt.question)
        _, fieldinfo = labels[(prompt.id, label)]
        if participant.startswith("'"):
            assert participant == "'=Bob Formula"
        uid = who_is(world, sid, participant.removeprefix("'"))
        assert participant.removeprefix("'") == participant_of(world, sid, uid, prompt.id)
        seen.setdefault((sid, prompt.id, uid), {})[fieldinfo.id] = csv_restore(answer)
        cited.setdefault((sid, prompt.id, uid), set()).add(csv_restore(examples))
        for stamp in (submitted, updated):
            assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)
    assert seen.keys() == world.stored.keys()
    for key, fields in world.stored.items():
        for fid, text in texts(fields).items():
            assert seen[key][fid] == text, (key, fid)  # read back exactly
        titles = "; ".join(library.examples[e].title for e in fields["examples"])
        assert cited[key] == {titles}, key  # (the same on each row of the answer)
    assert any(len(fields["examples"]) == 2 for fields in world.stored.values())
    # every free-text cell is safe, not only answers
    for row in body:
        for cell in (row[0], row[1], row[4], row[5], row[6], row[7], row[8]):
            assert not looks_like_formula(cell), row


async def test_csv_injection_set_exactly(db: Database, library: Library, engine: Engine,
                                         tmp_path: Path) -> None:
    s = await engine.start(GUILD, CH_C, group_name="g", workshop="Injection",
                           set_id="quick-reflection", started_by=FACILITATOR, pace="self")
    prompt = library.prompt_sets["quick-reflection"].prompts[0]
    for i, text in enumerate(INJECTIONS):
        await engine.submit(GUILD, s.id, prompt.id, user_id=10**17 + i, display_name=f"u{i}",
                            values={prompt.fields[0].id: text})
    result = await export(db, library, "csv", tmp_path, ExportScope.session(s.id))
    answers = [row[8] for row in read_csv(result.path)[1:]]
    assert answers == [
        "'=1+1", "'+1", "'-2+3", "'@SUM(A1)", "\t'=1+1", "\r'=1+1", "\n'=1+1",
        "'=HYPERLINK(\"http://evil\")", "{=1+1}", "a,'=1+1", '\'"=1+1"',
    ]
    assert [csv_restore(a) for a in answers] == INJECTIONS


# --- XLSX ------------------------------------------------------------------------------------


def ooxml_unescape(value: str) -> str:
    """Control characters are stored as ``_x000D_`` in the XML (the OOXML rule; Excel and
    LibreOffice decode it); openpyxl leaves inline strings encoded, so decode here."""
    return unescape(value)


def overview_fact(ws: Any, label: str) -> Any:
    """The value next to ``label`` in column A of the overview's facts."""
    for row in ws.iter_rows(max_col=2):
        if row[0].value == label:
            return row[1].value
    raise KeyError(label)


def xlsx_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


async def test_xlsx_reads_back_as_text_never_formulas(
    db: Database, library: Library, world: World, tmp_path: Path
) -> None:
    result = await export(db, library, "xlsx", tmp_path)
    assert result.filename == "leeds-seminar-20261126-1405.xlsx"
    members = xlsx_members(result.path)
    for name, content in members.items():
        assert b"<f>" not in content and b"<f " not in content, name
    wb = openpyxl.load_workbook(result.path)
    pset = library.prompt_sets["key-questions"]
    assert wb.sheetnames[:3] == ["Overview", "Theory of change", "Citations"]
    assert len(wb.sheetnames) == 3 + len(pset.prompts)
    for ws in wb.worksheets:
        assert len(ws.title) <= 31 and not set(ws.title) & set("[]:*?/\\")
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    seen: dict[tuple[int, str, int], dict[str, str]] = {}
    for prompt, ws in zip(pset.prompts, wb.worksheets[3:], strict=True):
        assert ws.freeze_panes == "C3"
        header = [c.value for c in ws[2]]
        assert header == ["Group", "Participant", *(f.label for f in text_fields(prompt)),
                          "Submitted at (UTC)", "Edited at (UTC)", "Dots", "Comments",
                          "Contributors", "Versions", "Examples cited"]
        assert prompt.question in ws["A1"].value
        for row in ws.iter_rows(min_row=3):
            group, participant = row[0].value, row[1].value
            sid = world.named.id if group == "Group A" else world.anon.id
            uid = who_is(world, sid, participant)
            assert participant == participant_of(world, sid, uid, prompt.id)
            assert group == ("Group A" if sid == world.named.id else "=Group B 🙂")
            assert row[0].data_type == "s"  # "=Group B" stays text
            values = {}
            for f, c in zip(text_fields(prompt), row[2:], strict=False):
                assert c.data_type == "s", (c.coordinate, c.value)
                values[f.id] = ooxml_unescape(c.value)
            seen[(sid, prompt.id, uid)] = values
            submitted = row[2 + len(text_fields(prompt))].value
            assert isinstance(submitted, datetime)  # a real date-time cell, in UTC
            cited = [library.examples[e].title
                     for e in world.stored[(sid, prompt.id, uid)]["examples"]]
            assert row[header.index("Examples cited")].value == ("\n".join(cited) or None)
    assert seen == {k: texts(v) for k, v in world.stored.items()}
    # the overview's counts match the rows
    ov = wb["Overview"]
    assert overview_fact(ov, "Answers") == world.answers
    assert overview_fact(ov, "Workshop") == "Leeds seminar"
    examples = [library.examples[e.example_id].title for e in pset.prompts[0].examples]
    text = "\n".join(str(c.value) for row in ov.iter_rows() for c in row if c.value)
    for title in examples:
        assert title in text


async def test_xlsx_injection_set_is_plain_text(db: Database, library: Library,
                                                engine: Engine, tmp_path: Path) -> None:
    s = await engine.start(GUILD, CH_C, group_name="=cmd|' /C calc'!A0",
                           workshop="=Injection", set_id="quick-reflection",
                           started_by=FACILITATOR, pace="self")
    prompt = library.prompt_sets["quick-reflection"].prompts[0]
    for i, text in enumerate(INJECTIONS):
        await engine.submit(GUILD, s.id, prompt.id, user_id=10**17 + i,
                            display_name=f"@name{i}", values={prompt.fields[0].id: text})
    result = await export(db, library, "xlsx", tmp_path, ExportScope.session(s.id))
    for content in xlsx_members(result.path).values():
        assert b"<f>" not in content and b"<f " not in content
    wb = openpyxl.load_workbook(result.path)
    ws = wb.worksheets[1]
    rows = list(ws.iter_rows(min_row=3))
    assert [ooxml_unescape(r[2].value) for r in rows] == INJECTIONS
    assert all(r[2].data_type == "s" for r in rows)
    assert [r[1].value for r in rows] == [f"@name{i}" for i in range(len(INJECTIONS))]
    assert all(r[0].value == "=cmd|' /C calc'!A0" and r[0].data_type == "s" for r in rows)
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_sheet_names_are_valid_and_unique() -> None:
    names = sheet_names(["What? [draft]: a/b\\c*", "x" * 40, "x" * 40, "'quoted'", "",
                         "history", "Overview"], taken=["Overview"])
    assert names[0] == "What draft a b c"
    assert names[1] == "x" * 31 and names[2] == "x" * 27 + " (2)"
    assert names[3] == "quoted"
    assert names[4] == "Prompt 5"
    assert names[5] != "history" and names[6] != "Overview"
    assert len({n.casefold() for n in names}) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


# --- JSON ------------------------------------------------------------------------------------


async def test_json_is_the_complete_record(db: Database, library: Library, world: World,
                                           tmp_path: Path) -> None:
    result = await export(db, library, "json", tmp_path)
    doc = json.loads(result.path.read_text(encoding="utf-8"))
    assert doc["schema_version"] == 1
    assert doc["workshop"] == "Leeds seminar"
    assert doc["exported_at"].startswith("2026-11-26T14:05:00")
    assert doc["counts"] == {"sessions": 2, "answers": world.answers}
    sessions = {s["id"]: s for s in doc["sessions"]}
    assert sessions[world.named.id]["anonymous"] is False
    assert sessions[world.anon.id]["anonymous"] is True
    assert sessions[world.anon.id]["group"] == "=Group B 🙂"
    assert {"status", "pace", "prompt_set", "created_at", "closed_at"} <= set(
        sessions[world.named.id])
    prompts = doc["prompts"]["key-questions"]
    pset = library.prompt_sets["key-questions"]
    assert [p["id"] for p in prompts] == [p.id for p in pset.prompts]
    first = prompts[0]
    assert first["number"] == 1 and first["question"] == pset.prompts[0].question
    assert first["fields"][0] == {
        "id": pset.prompts[0].fields[0].id, "label": pset.prompts[0].fields[0].label,
        "style": pset.prompts[0].fields[0].style,
        "required": pset.prompts[0].fields[0].required,
        "max_length": pset.prompts[0].fields[0].max_length, "kind": "text",
    }
    assert first["fields"][-1] == {"id": "examples", "kind": "cite", "required": False,
                                   "label": "Seminar examples that informed this"}
    assert [e["id"] for e in first["examples"]] == [
        e.example_id for e in pset.prompts[0].examples]
    assert all(e["title"] and e["look_at"] for e in first["examples"])
    assert len(doc["answers"]) == world.answers
    got = {}
    for a in doc["answers"]:
        sid = a["session_id"]
        if sid == world.anon.id:
            assert "user_id" not in a
            uid = who_is(world, sid, a["participant"])
        else:
            uid = int(a["user_id"])
        assert a["participant"] == participant_of(world, sid, uid, a["prompt_id"])
        got[(sid, a["prompt_id"], uid)] = a["fields"]
        assert datetime.fromisoformat(a["submitted_at"]).utcoffset() == timedelta(0)
    assert got == world.stored


# --- Markdown --------------------------------------------------------------------------------


def md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("text", [*TEXTS, "www.example.com", "a@b.example", "<@&1234>",
                                  "&lt;b&gt;", "$x^2$", "![img](x.png)", "***"])
def test_md_escape_leaves_no_live_markup(text: str) -> None:
    escaped = md_escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    # every special character is escaped by a backslash...
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":
            assert escaped[i + 1] in MD_SPECIALS
            i += 2
            continue
        assert escaped[i] not in MD_SPECIALS, (escaped, i)
        i += 1
    # ...and the text reads the same once rendered
    assert md_unescape(escaped) == " ".join(text.replace("\t", " ").splitlines())


def test_md_block_keeps_lines_inside_the_quote() -> None:
    text = "first *line*\n\n    indented <b>\n# heading?\n- item\n> quote\n"
    block = md_block(text, "  > ")
    lines = block.split("\n")
    assert all(line.startswith("  >") for line in lines)
    assert "  >" in lines  # the blank line stays a paragraph break inside the quote
    body = [line[4:] for line in lines if len(line) > 3]
    assert body[0] == "first \\*line\\*"
    assert body[1].startswith("\u00a0\u00a0\u00a0\u00a0indented")  # not a code block
    assert body[2].startswith("\\# heading")
    assert body[3].startswith("\\- item") and body[4].startswith("\\> quote")


async def test_markdown_report(db: Database, library: Library, world: World,
                               tmp_path: Path) -> None:
    result = await export(db, library, "markdown", tmp_path)
    assert result.filename.endswith(".md")
    text = result.path.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "# Workshop report: Leeds seminar"
    assert "2026-11-26 14:05 UTC" in text
    pset = library.prompt_sets["key-questions"]
    for prompt in pset.prompts:
        assert md_escape(prompt.question) in text
        for link in prompt.examples:
            assert md_escape(library.examples[link.example_id].title) in text
    assert "### Group A: 3 answers" in text
    assert "### \\=Group B 🙂: 3 answers" in text
    assert f"**Answers:** {world.answers}" in text
    assert "**Priya K\\.**" in text and "**P01**" in text
    # nothing people typed is live markup: no raw html, links, mentions or emphasis
    for needle in ("<b>", "<script>", "](http", "<@", "*bold*", "_it_",
                   "`code`", "~~gone~~", "www.evil", "http://"):
        assert needle not in text, needle
    assert "\\@everyone" in text and not re.search(r"(?<!\\)@everyone", text)
    assert "\\&amp;" in text and not re.search(r"(?<!\\)&amp;", text)  # no entity
    # answer lines never leave their list item: after the first "- **" line of an answer,
    # everything up to the next answer or heading is indented
    in_answers = False
    for line in lines:
        if line.startswith("### "):
            in_answers = True
            continue
        if line.startswith("## "):
            in_answers = False
        if in_answers and line and not line.startswith("- **"):
            assert line.startswith("  "), line
    # the answer text survives: unescaping a quote block gives back what was typed
    blocks = re.findall(r"((?:  >.*\n)+)", text)
    recovered = {md_unescape("\n".join(b[4:] for b in blk.rstrip("\n").split("\n"))
                          .replace("\\\n", "\n").replace("\u00a0", " ")) for blk in blocks}
    assert "Emoji 🙂👍🏽 and right-to-left: שלום עולם, مرحبا بالعالم" in recovered
    assert 'She said "it works", then left.\nSecond line\n\n  indented third line' in recovered


# --- privacy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "md", "html"])
async def test_anonymous_export_has_no_names_or_ids(
    db: Database, library: Library, world: World, tmp_path: Path, fmt: str
) -> None:
    for scope in (ExportScope.session(world.anon.id), ExportScope.workshop("Leeds seminar")):
        result = await export(db, library, fmt, tmp_path / scope.kind, scope)
        blobs = [result.path.read_bytes()]
        if fmt == "xlsx":
            blobs += list(xlsx_members(result.path).values())
        forbidden = [*ANON.values(), *(str(u) for u in ANON)]
        if scope.kind == "session":  # nothing of the facilitator or the server either
            forbidden += [str(FACILITATOR), str(GUILD), str(CH_B)]
        for blob in blobs:
            for secret in forbidden:
                assert secret.encode("utf-8") not in blob, (fmt, scope, secret)
                assert secret.encode("utf-16-le") not in blob
    # the pseudonyms are there instead
    session_file = next((tmp_path / "session").iterdir())
    if fmt != "xlsx":
        assert b"P01" in session_file.read_bytes() and b"P03" in session_file.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md", "html"])
async def test_named_export_shows_names_but_never_user_ids(
    db: Database, library: Library, world: World, tmp_path: Path, fmt: str
) -> None:
    result = await export(db, library, fmt, tmp_path, ExportScope.session(world.named.id))
    blobs = [result.path.read_bytes()]
    if fmt == "xlsx":
        blobs = list(xlsx_members(result.path).values())
    joined = b"".join(blobs)
    assert b"Priya K" in joined
    assert "Ｌｉｎ 林".encode() in joined
    for uid in NAMED:
        assert str(uid).encode() not in joined


async def test_pseudonyms_are_stable_across_exports(db: Database, library: Library,
                                                    world: World, tmp_path: Path) -> None:
    one = await export(db, library, "json", tmp_path / "1", ExportScope.session(world.anon.id))
    two = await export(db, library, "json", tmp_path / "2")
    def who(path: Path) -> set[tuple[str, str]]:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {(a["participant"], json.dumps(a["fields"], sort_keys=True))
                for a in doc["answers"] if a["session_id"] == world.anon.id}
    assert who(one.path) == who(two.path)
    assert {p for p, _ in who(one.path)} == {"P01", "P02", "P03"}


# --- scopes, errors, fallbacks ---------------------------------------------------------------


async def test_session_scope_and_file_name(db: Database, library: Library, world: World,
                                           tmp_path: Path) -> None:
    result = await export(db, library, "csv", tmp_path, ExportScope.session(world.named.id))
    assert result.filename == "leeds-seminar-group-a-20261126-1405.csv"
    assert result.sessions == 1 and result.answers == 9
    groups = {row[1] for row in read_csv(result.path)[1:]}
    assert groups == {"Group A"}
    # the same name again in the same minute: a new file, the old one kept
    again = await export(db, library, "csv", tmp_path, ExportScope.session(world.named.id))
    assert again.filename == "leeds-seminar-group-a-20261126-1405-2.csv"
    assert result.path.exists()


async def test_workshop_scope_fills_the_group_column(db: Database, library: Library,
                                                     world: World, tmp_path: Path) -> None:
    result = await export(db, library, "csv", tmp_path)
    groups = [row[1] for row in read_csv(result.path)[1:]]
    assert set(groups) == {"Group A", "'=Group B 🙂"}
    fields = sum(len(text_fields(p)) for p in library.prompt_sets["key-questions"].prompts)
    assert groups.count("Group A") == groups.count("'=Group B 🙂") == 3 * fields


async def test_unknown_workshop_or_session(db: Database, library: Library, world: World,
                                           engine: Engine, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    with pytest.raises(ExportError) as info:
        await export(db, library, "csv", tmp_path, ExportScope.workshop("Birmingham"))
    assert isinstance(info.value, WorkshopError)
    assert info.value.message == (
        "No workshop called 'Birmingham' in this server. Known workshops: 'Leeds seminar'."
    )
    with pytest.raises(ExportError, match="no session with id 999"):
        await export(db, library, "csv", tmp_path, ExportScope.session(999))
    # another server's workshop and session are invisible
    other = await engine.start(OTHER_GUILD, CH_C, group_name="x", workshop="Secret",
                               set_id="key-questions", started_by=FACILITATOR)
    with pytest.raises(ExportError, match="Known workshops: 'Leeds seminar'"):
        await export(db, library, "csv", tmp_path, ExportScope.workshop("Secret"))
    with pytest.raises(ExportError):
        await export(db, library, "csv", tmp_path, ExportScope.session(other.id))
    with pytest.raises(ExportError, match="Known workshops: none yet"):
        await export(db, library, "csv", tmp_path, ExportScope.workshop("Leeds seminar"),
                     guild_id=12345)
    assert list(tmp_path.iterdir()) == []  # nothing written for a failed export


def test_format_parsing() -> None:
    assert ExportFormat.parse("markdown") is ExportFormat.MD
    assert ExportFormat.parse(" XLSX ") is ExportFormat.XLSX
    assert ExportFormat.parse(".json") is ExportFormat.JSON
    assert ExportFormat.parse("HTML") is ExportFormat.HTML
    assert [f.value for f in ExportFormat] == ["csv", "xlsx", "json", "md", "html"]
    with pytest.raises(ExportError, match="csv, xlsx, json, md, html"):
        ExportFormat.parse("pdf")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "md", "html"])
async def test_prompt_set_missing_from_library(db: Database, library: Library, world: World,
                                               tmp_path: Path, fmt: str) -> None:
    result = await export(db, Library(), fmt, tmp_path)
    assert result.answers == world.answers
    if fmt == "json":
        doc = json.loads(result.path.read_text(encoding="utf-8"))
        prompts = doc["prompts"]["key-questions"]
        assert {p["id"] for p in prompts} == {p.id for p in
                                              library.prompt_sets["key-questions"].prompts}
        assert all(p["title"] == p["id"] and p["in_library"] is False for p in prompts)
        assert {(a["session_id"], a["prompt_id"]) for a in doc["answers"]} == {
            (s, p) for s, p, _ in world.stored}
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(result.path)
        ws = wb["identify-change"]
        header = [c.value for c in ws[2]]
        first = library.prompt_sets["key-questions"].prompts[0]
        assert header[2:2 + len(first.fields)] == [f.id for f in first.fields]  # by id
        assert ws.max_row == 2 + 6
    if fmt == "html":
        text = result.path.read_text(encoding="utf-8")
        assert text.count("This prompt is no longer in the loaded prompt files") == 3
        assert '<h2 id="prompt-1-h">identify-change</h2>' in text


async def test_xlsx_gets_columns_for_fields_a_prompt_has_lost(
    db: Database, library: Library, world: World, tmp_path: Path
) -> None:
    pset = library.prompt_sets["key-questions"]
    first = pset.prompts[0]
    shrunk = dataclasses.replace(first, fields=first.fields[:1])
    lib = dataclasses.replace(library, prompt_sets={
        **library.prompt_sets,
        pset.id: dataclasses.replace(pset, prompts=(shrunk, *pset.prompts[1:])),
    })
    result = await export(db, lib, "xlsx", tmp_path)
    ws = openpyxl.load_workbook(result.path)["1. Identifying the change"]
    header = [c.value for c in ws[2]]
    lost = [f.id for f in first.fields[1:]]
    assert header == ["Group", "Participant", first.fields[0].label, *lost,
                      "Submitted at (UTC)", "Edited at (UTC)", "Dots", "Comments",
                      "Contributors", "Versions"]
    values = {r[1].value: [c.value for c in r[2:2 + len(first.fields)]]
              for r in ws.iter_rows(min_row=3)}
    stored = world.stored[(world.named.id, first.id, 333333333333333333)]
    # (the citations, once a cite field the prompt has lost, are shown as their ids)
    assert values["Ｌｉｎ 林 *star*"] == [
        "; ".join(stored[f.id]) if f.is_cite else stored[f.id] for f in first.fields]
    # the CSV keeps them too, labelled by id
    result = await export(db, lib, "csv", tmp_path)
    labels = {row[6] for row in read_csv(result.path)[1:] if row[3] == "1"}
    assert set(lost) <= labels


# --- snapshot consistency, audit, event loop -------------------------------------------------


async def test_export_while_answers_arrive_is_a_consistent_snapshot(
    db: Database, library: Library, engine: Engine, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_data, "CHUNK_ROWS", 5)  # many round trips: many chances
    s = await engine.start(GUILD, CH_A, group_name="busy", workshop="Busy",
                           set_id="quick-reflection", started_by=FACILITATOR, pace="self")
    prompts = library.prompt_sets["quick-reflection"].prompts

    async def answer(uid: int) -> None:
        for p in prompts:
            await engine.submit(GUILD, s.id, p.id, user_id=uid, display_name=f"u{uid}",
                                values={p.fields[0].id: f"answer {uid} {p.id}"})

    await asyncio.gather(*(answer(10**17 + i) for i in range(60)))
    stop = asyncio.Event()

    async def keep_answering() -> int:
        n = 0
        while not stop.is_set():
            await asyncio.gather(*(answer(2 * 10**17 + n + i) for i in range(5)))
            n += 5
        return n

    writer = asyncio.create_task(keep_answering())
    try:
        results = []
        for fmt in ("xlsx", "json", "csv", "md"):
            results.append(await export(db, library, fmt, tmp_path, ExportScope.workshop("busy"),
                                        actor_id=None))
    finally:
        stop.set()
        added = await writer
    assert added > 0
    xlsx, js, cs, md = results
    wb = openpyxl.load_workbook(xlsx.path)
    rows = sum(ws.max_row - 2 for ws in wb.worksheets[1:])
    ov = wb["Overview"]
    assert overview_fact(ov, "Answers") == rows == xlsx.answers
    doc = json.loads(js.path.read_text(encoding="utf-8"))
    assert doc["counts"]["answers"] == len(doc["answers"]) == js.answers
    assert len(read_csv(cs.path)) - 1 == cs.answers  # one field per answer here
    text = md.path.read_text(encoding="utf-8")
    assert text.count("\n- **u") == md.answers
    assert f"**Answers:** {md.answers}\n" in text
    assert 180 <= xlsx.answers <= js.answers <= cs.answers <= md.answers


async def test_every_export_is_audited_without_answer_text(
    db: Database, library: Library, world: World, tmp_path: Path
) -> None:
    for fmt in ("csv", "xlsx", "json", "md"):
        await export(db, library, fmt, tmp_path)
    await export(db, library, "csv", tmp_path, ExportScope.session(world.anon.id), actor_id=None,
                 via="cli")
    entries = [e for e in await db.audit_entries(GUILD) if e[2] == "export"]
    assert len(entries) == 5
    for _, actor, _, detail in entries[:4]:
        assert actor == FACILITATOR
        assert detail["scope"] == "workshop" and detail["answers"] == world.answers
        assert detail["sessions"] == 2 and detail["filename"].startswith("leeds-seminar-")
    assert [d["format"] for _, _, _, d in entries[:4]] == ["csv", "xlsx", "json", "md"]
    _, actor, _, detail = entries[4]
    assert actor is None and detail["via"] == "cli" and detail["scope"] == "session"
    assert detail["session_id"] == world.anon.id
    dumped = json.dumps([e[3] for e in entries], ensure_ascii=False)
    for fields in world.stored.values():
        for text in texts(fields).values():
            if len(text) > 4:
                assert text not in dumped
    for name in ANON.values():
        assert name not in dumped


def bulk_answers(db: Database, session_id: int, n: int) -> None:
    """``n`` answers straight into the file (the engine would take a while)."""
    text = json.dumps({f: "A reasonably long answer, with some words in it. " * 6
                       for f in ("change", "for-whom", "evidence", "how-identified")})
    conn = sqlite3.connect(db.path)
    with conn:
        conn.executemany(
            "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, display_name, "
            "fields, created_at, updated_at) VALUES (?, ?, 'identify-change', ?, ?, ?, ?, ?)",
            [(GUILD, session_id, 10**17 + i, f"user {i}", text, NOW.isoformat(),
              NOW.isoformat()) for i in range(n)],
        )
    conn.close()


async def test_event_loop_stays_responsive(db: Database, library: Library, engine: Engine,
                                           tmp_path: Path) -> None:
    s = await engine.start(GUILD, CH_A, group_name="big", workshop="Big",
                           set_id="key-questions", started_by=FACILITATOR, pace="self")
    bulk_answers(db, s.id, 6000)
    gaps: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    result = await export(db, library, "xlsx", tmp_path, ExportScope.session(s.id))
    elapsed = time.perf_counter() - started
    done = True
    await tick
    assert result.answers == 6000
    # the loop kept running while the workbook was written
    assert len(gaps) > 10
    assert max(gaps) < max(0.25, elapsed / 3), (max(gaps), elapsed)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_a_cancelled_export_leaves_no_file(db: Database, library: Library,
                                                 engine: Engine, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 fmt: str) -> None:
    monkeypatch.setattr(export_data, "CHUNK_ROWS", 50)
    s = await engine.start(GUILD, CH_A, group_name="big", workshop="Big",
                           set_id="key-questions", started_by=FACILITATOR, pace="self")
    bulk_answers(db, s.id, 20000)
    out = tmp_path / "out"
    task = asyncio.create_task(export(db, library, fmt, out, ExportScope.session(s.id)))
    for _ in range(2000):  # until the export has started writing
        if out.exists() and any(out.iterdir()):
            break
        await asyncio.sleep(0.005)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):  # (the worker has stopped and cleaned up when the task ends)
        if not any(out.iterdir()):
            break
        await asyncio.sleep(0.01)
    assert list(out.iterdir()) == []
    assert [e for e in await db.audit_entries(GUILD) if e[2] == "export"] == []


# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "../../x", "..", "/etc/passwd", "C:\\Windows\\system32", "CON", "nul", "com1", "LPT9",
    "con.txt", "x" * 300, "🙂🙂🙂", "!!!", "", "   ", "Café Ünïcödé 2026", "a/b\\c:d*e?f",
    "Leeds\x00seminar", "-leading-", "ΑΒΓ", "日本語",
])
@pytest.mark.parametrize("group", [None, "../group", "CON", "🙂"])
def test_file_names_are_safe(name: str, group: str | None) -> None:
    filename = export_filename(name, ExportFormat.XLSX, NOW, group)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-20261126-1405\.xlsx", filename), filename
    stem = filename.rsplit("-20261126-1405", 1)[0]
    assert len(stem) <= 60
    assert not re.fullmatch(r"(con|prn|aux|nul|com\d|lpt\d)", stem)
    assert ".." not in filename and "/" not in filename and "\\" not in filename


def test_file_name_examples() -> None:
    assert export_filename("Regional seminar", "xlsx", NOW) == \
        "regional-seminar-20261126-1405.xlsx"
    assert export_filename("Leeds", "csv", NOW, group="Group A") == \
        "leeds-group-a-20261126-1405.csv"
    assert export_filename("CON", "md", NOW) == "con-export-20261126-1405.md"
    assert export_filename("!!!", "json", NOW) == "workshop-20261126-1405.json"
    assert export_filename("Café", "csv", NOW) == "cafe-20261126-1405.csv"
    later = datetime(2026, 11, 26, 16, 5, tzinfo=timezone(timedelta(hours=2)))
    assert export_filename("x", "csv", later) == "x-20261126-1405.csv"  # always UTC
    assert slugify("x" * 300) == "x" * 60


# --- the benchmark never rots ----------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--synthesis"]], ids=["plain", "synthesis"])
def test_bench_smoke(tmp_path: Path, extra: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "export.py"), "--answers", "200",
         "--dir", str(tmp_path), *extra],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for fmt in ("csv", "json", "md", "xlsx", "html"):
        assert any(re.match(rf"{fmt}\s+200 answers\s+[\d.]+ s", line) for line in lines), \
            proc.stdout


def test_csv_reader_agrees_with_csv_module() -> None:
    from bot.exports.csv_writer import csv_cell

    cells = [*TEXTS, "plain", "", 'q"uote', "comma,here", "cr\rlf\n"]
    buf = io.StringIO()
    buf.write(",".join(csv_cell(c) for c in cells) + "\r\n")
    back = next(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert [csv_restore(b) for b in back] == cells
    assert not any(looks_like_formula(b) for b in back)


@pytest.mark.parametrize("stored", [
    '{"what": "caf\\u00e9 \\ud83d\\ude00 and a lone \\ud800"}',  # orjson refuses lone surrogates
    '{"cited": ["leeds", "essex-sib"], "text": "\\u0040everyone"}',
    '{"what": "plain"}',
    '["not", "an", "object"]',
    "not json at all",
])
def test_stored_fields_read_as_the_standard_library_reads_them(stored: str) -> None:
    from bot.exports.data import parse_fields

    try:
        expected = json.loads(stored)
    except ValueError:
        expected = None
    got = parse_fields(stored)
    if isinstance(expected, dict):
        assert got == expected
    else:
        assert got == {"?": str(expected if expected is not None else stored)}


def test_times_are_shown_to_the_minute_in_utc() -> None:
    """One reading of a stored time for the HTML and Markdown reports: storage's own form, any
    other ISO time converted to UTC, nothing for no time, None for what is not a time (each
    report then shows the text as it is, escaped its own way)."""
    assert utc_minute("2026-11-26T14:05:59.123+00:00") == "2026-11-26 14:05 UTC"
    assert utc_minute("2026-11-26T15:05:00+01:00") == "2026-11-26 14:05 UTC"
    assert utc_minute("2026-11-26T14:05:00") == "2026-11-26 14:05 UTC"
    assert utc_minute(None) == utc_minute("") == ""
    assert utc_minute("not *a* time") is None
