"""``glossary.yaml``: programmes, organisations and terms the examples name.

``from_report`` (default false) says whether an entry's expansion and description are taken
from the seminar report; cards show entries that are not under a heading that says so."""

from __future__ import annotations

from pathlib import Path

from bot.content.build import Build
from bot.content.limits import MAX_DESCRIPTION, MAX_LINE, MAX_NAME, MAX_NOTE
from bot.content.problems import KeyPath
from bot.models import GlossaryEntry

FILE_NAME = "glossary.yaml"


def load_glossary(b: Build, path: Path) -> None:
    f = b.open(path)
    if f is None:
        return
    top = f.mapping(f.data, (), ("glossary",))
    if top is None:
        return
    for i, raw in enumerate(f.items(top, (), "glossary", least=1, what="entries")):
        where: KeyPath = ("glossary", i)
        m = f.mapping(raw, where, ("id", "term", "expansion", "description"),
                      ("from_report", "source_note"))
        if m is None:
            continue
        gid = f.ident(m, where)
        term = f.text(m, where, "term", MAX_NAME)
        expansion = f.text(m, where, "expansion", MAX_LINE)
        description = f.text(m, where, "description", MAX_DESCRIPTION)
        note = f.text(m, where, "source_note", MAX_NOTE, required=False) or ""
        from_report = f.boolean(m, where, "from_report", False)
        if gid and b.define(f, where, "glossary", gid) and term and expansion and description:
            b.glossary[gid] = GlossaryEntry(gid, term, expansion, description, note,
                                            from_report=from_report)
