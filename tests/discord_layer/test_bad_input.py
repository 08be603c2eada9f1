"""Answers with hostile or awkward text, through the real bot and the emulator: mentions,
markdown, formula prefixes, control and bidi characters, emoji sequences, text at and over the
4000-character limit. Each is stored exactly (or refused with the limit named and nothing
stored), echoed escaped, pings nobody, and comes out as text in every export format."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from bot.config import BUNDLED_PROMPTS_DIR, Settings
from bot.content import load_library
from bot.emulator import EmulatedMessage, EmulatorUsageError, Member
from bot.exports.common import FORMULA_TRIGGERS
from bot.models import Library
from tests.discord_layer.conftest import World, emulating, make_world

LIMIT = 4000
ORGANISER_SET = f"""\
id: long-answers
title: Long answers
description: An organiser's set with the longest answer Discord allows.
prompts:
  - id: say-it
    title: Say it all
    question: What do you want to say?
    guidance: Anything at all.
    fields:
      - id: answer
        label: Your answer
        style: paragraph
        max_length: {LIMIT}
"""
FAMILY = "👩\u200d👩\u200d👧\u200d👦"  # 7 code points

# name -> text; {bob} and {role} are filled in with real ids.
CASES = {
    "everyone": "@everyone @here please look",
    "user mention": "<@{bob}> and <@!{bob}> hello",
    "role mention": "<@&{role}> over to you",
    "markdown link": "[click me](https://evil.example/x) <https://evil.example/y>",
    "spoiler and markup": "||secret|| **bold** __under__ ~~gone~~ `code`\n> quote\n# heading",
    "formula =": '=HYPERLINK("https://evil.example","click")',
    "formula +": "+1+cmd|' /C calc'!A0",
    "formula -": "-2+3+cmd|' /C calc'!A0",
    "formula @": "@SUM(1+1)*cmd|' /C calc'!A0",
    "controls": "nul\x00bell\x07esc\x1b[31mred\x7fdel end",
    "right-to-left": "invoice \u202egnp.exe\u202c and \u2067isolate\u2069",
    "emoji": "👩‍👩‍👧‍👦 🏳️‍🌈 🇬🇧🇺🇦 👍🏽 👩🏽‍⚕️ 🧑🏿‍🤝‍🧑🏻",
    "literal escapes": "_x0007_ and \\u0000 and &amp; <b>",
    "4000 characters": "é" * (LIMIT - 10) + "=@+-<>|*_~",
    "4000 with emoji": FAMILY * (LIMIT // 7) + "abc",  # 3997 + 3
}
TOO_LONG = {  # sent by a modified client (the emulator's force=True): the server must refuse
    "4001 characters": "a" * (LIMIT + 1),
    "4004 with emoji": FAMILY * (LIMIT // 7 + 1),
}


@pytest.fixture
async def bad_world(tmp_path: Path) -> AsyncIterator[World]:
    extra = tmp_path / "organiser-prompts"
    extra.mkdir()
    (extra / "long-answers.yaml").write_text(ORGANISER_SET, encoding="utf-8")
    settings = Settings(database_path=tmp_path / "data" / "bot.db",
                        prompt_dirs=(BUNDLED_PROMPTS_DIR, extra))
    library: Library = load_library(settings.content_dirs, settings.prompt_dirs)
    w = make_world(tmp_path, library)
    w.settings = settings
    async with emulating(w), w.running():
        await w.organiser.run_command("workshop-config facilitator-role", w.chan,
                                      role=w.role)
        yield w


async def submit(person: Member, card: EmulatedMessage, text: str, *,
                 force: bool = False) -> EmulatedMessage:
    opened = await person.click(card, "Answer")
    await opened.response()
    done = await opened.modal.submit(person, {"answer": text}, force=force)
    reply = await done.reply()
    assert reply is not None and reply.ephemeral
    return reply


def assert_pings_nobody(world: World) -> None:
    for chan in (world.chan, world.chan_b):
        for message in world.emu.messages_in(chan, include_ephemeral=True, include_people=False):
            assert not message.pinged_everyone, message.text
            assert not message.pinged_users, message.text
            assert not message.pinged_roles, message.text


async def test_hostile_answers_are_kept_as_text_everywhere(bad_world: World) -> None:
    w = bad_world
    cases = {name: text.format(bob=w.bob.id, role=w.role.id) if "{" in text else text
             for name, text in CASES.items()}
    card = await (await w.facilitator.run_command(
        "session start", w.chan, set="long-answers", workshop="Bad input")).reply()
    people: dict[str, Member] = {}
    for n, (name, text) in enumerate(cases.items()):
        # a hostile display name too, for the formula cases
        nick = f"=1+2 @here {n}" if name.startswith("formula") else None
        person = people[name] = w.guild.add_member(f"P{n}", nick=nick)
        reply = await submit(person, card, text)
        assert "Saved your answer" in reply.text, (name, reply.text)

    db = w.bot.engine.db
    for name, text in cases.items():
        (stored,) = await db.answers_of_user(w.guild.id, people[name].id)
        assert stored.fields == {"answer": text}, name  # exactly as typed, byte for byte
        raw = await db.fetchone("SELECT fields FROM answers WHERE id = ?", (stored.id,))
        assert json.loads(raw[0]) == {"answer": text}

    # echoed escaped: /my-answers shows the text, not markup, and defuses every '@'
    shown = {}
    for name in ("everyone", "user mention", "role mention", "markdown link",
                 "spoiler and markup", "formula @", "controls", "right-to-left", "emoji"):
        mine = await (await people[name].run_command("my-answers", w.chan)).reply()
        assert mine.ephemeral
        shown[name] = mine.embeds[0]["description"]
    assert "@\u200beveryone" in shown["everyone"] and "@\u200bhere" in shown["everyone"]
    assert re.search(r"(?<!\\)<@", shown["user mention"]) is None
    assert f"\\<@\u200b&{w.role.id}\\>" in shown["role mention"]
    assert "\\[click me\\]\\(https\\:" in shown["markdown link"]
    spoiler = shown["spoiler and markup"]
    for escaped in ("\\|\\|secret\\|\\|", "\\*\\*bold\\*\\*", "\\_\\_under\\_\\_",
                    "\\~\\~gone\\~\\~", "\\`code\\`", "\\> quote", "\\# heading"):
        assert escaped in spoiler, escaped
    assert "@\u200bSUM" in shown["formula @"]
    assert "nul\x00bell\x07esc\x1b" in shown["controls"]  # kept, inside escaped text
    assert "\u202egnp\\.exe\u202c" in shown["right-to-left"]
    assert cases["emoji"] in shown["emoji"]
    assert_pings_nobody(w)

    # exported as text in all four formats
    files = {}
    for fmt in ("csv", "xlsx", "json", "markdown"):
        msg = await (await w.facilitator.run_command("session export", w.chan,
                                                     format=fmt)).reply()
        (attachment,) = msg.attachments
        files[fmt] = attachment.data

    rows = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8-sig"), newline="")))
    csv_answers = {row["Answer"] for row in rows}
    for name, text in cases.items():
        expected = "'" + text if text[0] in FORMULA_TRIGGERS else text
        assert expected in csv_answers, name
    assert all(not row["Participant"].startswith("=") for row in rows)
    assert sum(row["Participant"].startswith("'=1+2") for row in rows) == 4

    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))  # opens: a valid file
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert all(c.data_type != "f" for c in cells)  # no formula cells at all
    sheet = book.worksheets[1]
    header = [c.value for c in sheet[2]]
    col = header.index("Your answer")
    # OOXML (ECMA-376 ST_Xstring) keeps characters XML 1.0 cannot hold as _xHHHH_, and a
    # typed "_xHHHH_" as _x005F_xHHHH_; Excel shows them back as typed.
    xlsx_answers = {unescape(row[col].value) for row in sheet.iter_rows(min_row=3)}
    assert xlsx_answers == set(cases.values())
    controls = next(r[col].value for r in sheet.iter_rows(min_row=3) if "bell" in r[col].value)
    assert controls == "nul_x0000_bell_x0007_esc_x001B_[31mred\x7fdel end"
    literal = next(r[col].value for r in sheet.iter_rows(min_row=3) if "and &amp;" in r[col].value)
    assert literal.startswith("_x005F_x0007_")  # a typed "_x0007_" is not turned into BEL

    record = json.loads(files["json"])
    assert sorted(a["fields"]["answer"] for a in record["answers"]) == sorted(cases.values())

    md = files["markdown"].decode("utf-8")
    for raw in ("@everyone", "<@&", "[click me](", "||secret||", "**bold**", "=HYPERLINK("):
        assert re.search(r"(?<!\\)" + re.escape(raw), md) is None, raw  # only escaped
    assert "\\@everyone" in md and "\\[click me\\]" in md and "\\|\\|secret" in md
    assert "\x00" not in md and "\x1b" not in md and "\x07" not in md  # shown, not sent raw
    assert "nul␀bell␇esc␛\\[31mred␡del end" in md
    assert "👩‍👩‍👧‍👦 🏳️‍🌈 🇬🇧🇺🇦 👍🏽" in md
    assert_pings_nobody(w)


@pytest.mark.parametrize("name", sorted(TOO_LONG))
async def test_over_the_limit_is_refused_on_the_server(bad_world: World, name: str) -> None:
    """Discord's client stops the 4001st character; a modified client need not. The bot checks
    again, names the limit, stores nothing and gives the text back."""
    w = bad_world
    text = TOO_LONG[name]
    card = await (await w.facilitator.run_command(
        "session start", w.chan, set="long-answers", workshop="Bad input")).reply()
    opened = await w.alice.click(card, "Answer")
    await opened.response()
    with pytest.raises(EmulatorUsageError, match="characters"):  # as Discord's client
        await opened.modal.submit(w.alice, {"answer": text})
    reply = await submit(w.alice, card, text, force=True)
    assert f"is {len(text)} characters; the limit is {LIMIT}" in reply.text
    assert "nothing is lost" in reply.text
    (attachment,) = reply.attachments  # too long for a message: given back as a file
    assert text in attachment.data.decode("utf-8")
    assert await w.bot.engine.db.fetchone("SELECT count(*) FROM answers") == (0,)
    assert await w.bot.engine.my_answers(w.guild.id, w.alice.id) == []
    ok = await submit(w.alice, card, text[:LIMIT] if "emoji" not in name else FAMILY * 571)
    assert "Saved" in ok.text
    assert_pings_nobody(w)
