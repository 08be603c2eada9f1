"""``examples/*.yaml``: the worked examples, each linked to the key questions it illuminates.

These links are the one source of truth for which example belongs to which question: the
``/examples`` listing and the cards of prompts with a ``key_question`` both come from them.
``from_report`` (default false) says whether the example is taken from the seminar report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.build import Build, read_speaker
from bot.content.limits import (
    ID_PATTERN,
    MAX_EXAMPLE_TITLE,
    MAX_LINE,
    MAX_NOTE,
    MAX_SUMMARY,
    MAX_WHY,
)
from bot.content.problems import KeyPath
from bot.content.yaml_file import YamlFile, clipped_repr
from bot.models import Example, QuestionLink

FOLDER_NAME = "examples"


def load_examples(b: Build, path: Path) -> None:
    f = b.open(path)
    if f is None:
        return
    top = f.mapping(f.data, (), ("examples",))
    if top is None:
        return
    for i, raw in enumerate(f.items(top, (), "examples", least=1, what="examples")):
        example = _example(b, f, raw, ("examples", i))
        if example is not None:
            b.examples[example.id] = example


def _example(b: Build, f: YamlFile, raw: Any, where: KeyPath) -> Example | None:
    m = f.mapping(raw, where,
                  ("id", "title", "organisation", "event", "summary", "questions"),
                  ("speakers", "programmes", "source_note", "from_report"))
    if m is None:
        return None
    eid = f.ident(m, where)
    title = f.text(m, where, "title", MAX_EXAMPLE_TITLE)
    organisation = f.text(m, where, "organisation", MAX_LINE)
    event = f.text(m, where, "event", MAX_LINE)
    summary = f.text(m, where, "summary", MAX_SUMMARY)
    note = f.text(m, where, "source_note", MAX_NOTE, required=False) or ""
    from_report = f.boolean(m, where, "from_report", False)
    speakers = [read_speaker(f, s, (*where, "speakers", i))
                for i, s in enumerate(f.items(m, where, "speakers", what="speakers"))]
    programmes: dict[str, None] = {}  # (ordered, with fast "in")
    for i, prog in enumerate(f.items(m, where, "programmes", what="programmes")):
        p_where = (*where, "programmes", i)
        if not isinstance(prog, str) or not ID_PATTERN.match(prog):
            f.problem(p_where, f"expected a glossary id, got {clipped_repr(prog)}")
        elif prog in programmes:
            f.problem(p_where, f"programme {prog!r} is listed twice")
        else:
            programmes[prog] = None
            b.ref(f, p_where, "glossary", prog)
    links: list[QuestionLink] = []
    linked: set[str] = set()
    for i, raw_link in enumerate(f.items(m, where, "questions", least=1,
                                         what="key question links")):
        l_where = (*where, "questions", i)
        lm = f.mapping(raw_link, l_where, ("question", "why"))
        if lm is None:
            continue
        qid = f.ident(lm, l_where, "question")
        why = f.text(lm, l_where, "why", MAX_WHY)
        if qid and qid in linked:
            f.problem((*l_where, "question"), f"key question {qid!r} is linked twice")
        elif qid and why:
            linked.add(qid)
            links.append(QuestionLink(qid, why))
            b.ref(f, (*l_where, "question"), "key question", qid)
    if not (eid and b.define(f, where, "example", eid)):
        return None
    if not (title and organisation and event and summary):
        return None
    return Example(
        id=eid, title=title, organisation=organisation,
        speakers=tuple(s for s in speakers if s is not None), event=event,
        summary=summary, programmes=tuple(programmes), questions=tuple(links),
        source_file=f.display, source_note=note, from_report=from_report,
    )
