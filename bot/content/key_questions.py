"""``key-questions.yaml``: the questions examples and prompts are linked to, and the optional
``event:`` context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.build import Build, read_speaker
from bot.content.limits import MAX_EXAMPLE_TITLE, MAX_LINE, MAX_PROMPT_TITLE, MAX_QUESTION
from bot.content.problems import KeyPath
from bot.content.yaml_file import YamlFile, kind_of
from bot.models import EventContext, KeyQuestion

FILE_NAME = "key-questions.yaml"


def load_key_questions(b: Build, path: Path) -> None:
    f = b.open(path)
    if f is None:
        return
    top = f.mapping(f.data, (), ("questions",), ("event",))
    if top is None:
        return
    if "event" in top:
        _event(b, f, top["event"], ("event",))
    for i, raw in enumerate(f.items(top, (), "questions", least=1, what="questions")):
        where: KeyPath = ("questions", i)
        m = f.mapping(raw, where, ("id", "number", "title", "text"))
        if m is None:
            continue
        qid = f.ident(m, where)
        number = f.integer(m, where, "number", None, 1, 99)
        title = f.text(m, where, "title", MAX_EXAMPLE_TITLE)
        text = f.text(m, where, "text", MAX_QUESTION)
        if number is not None:
            if number in b.numbers:
                f.problem((*where, "number"), f"number {number} is already used by "
                                              f"{b.numbers[number]}")
            else:
                b.numbers[number] = f"key question {qid!r} at {f.display}:{f.line(where)}"
        if qid and b.define(f, where, "key question", qid) and number and title and text:
            b.key_questions[qid] = KeyQuestion(qid, number, title, text)


def _event(b: Build, f: YamlFile, raw: Any, where: KeyPath) -> None:
    m = f.mapping(raw, where, ("title",), ("organiser", "when", "hosts", "chairs", "source"))
    if m is None:
        return
    title = f.text(m, where, "title", MAX_PROMPT_TITLE)
    hosts = []
    for i, host in enumerate(f.items(m, where, "hosts", what="hosts")):
        if isinstance(host, str) and host.strip():
            hosts.append(host.strip())
        else:
            f.problem((*where, "hosts", i), f"expected text, got {kind_of(host)}")
    chairs = [read_speaker(f, raw_chair, (*where, "chairs", i))
              for i, raw_chair in enumerate(f.items(m, where, "chairs", what="chairs"))]
    event = EventContext(
        title=title or "",
        organiser=f.text(m, where, "organiser", MAX_LINE, required=False) or "",
        when=f.text(m, where, "when", MAX_LINE, required=False) or "",
        hosts=tuple(hosts),
        chairs=tuple(c for c in chairs if c is not None),
        source=f.text(m, where, "source", MAX_LINE, required=False) or "",
    )
    if b.define(f, where, "event", "event") and title:
        b.event = event
