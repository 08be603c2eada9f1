"""Load and validate the content library (examples, glossary, key questions) and prompt sets.

Layout of a *content folder*::

    key-questions.yaml   # `questions:` list (+ optional `event:` context)
    glossary.yaml        # `glossary:` list
    examples/*.yaml      # each file: `examples:` list

A *prompt folder* holds ``*.yaml`` files, one prompt set per file. The first content and
prompt folders are the base (normally the bundled ones); later folders add to them, and an
id defined twice is an error naming both files.

YAML is read with :class:`yaml.SafeLoader` semantics only: tags such as
``!!python/object/apply`` are rejected before anything is constructed. Every problem found
in a run is collected and raised together as one :class:`ContentError`, each with its file,
key path and line so a content editor can fix them all at once.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.config import REPO_ROOT
from bot.models import (
    MAX_ANSWER_LENGTH,
    MAX_FIELDS,
    MAX_LABEL,
    MAX_LINKED_EXAMPLES,
    AnswerField,
    EventContext,
    Example,
    ExampleLink,
    GlossaryEntry,
    KeyQuestion,
    Library,
    Prompt,
    PromptSet,
    QuestionLink,
    Speaker,
)

__all__ = ["ContentError", "Problem", "load_library"]

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
FIELD_STYLES = ("short", "paragraph")

# Text limits. Most keep Discord embeds, select menus and modals within Discord's limits.
MAX_PROMPTS = 25
MAX_PROMPT_TITLE = 200  # embed title limit is 256
MAX_SET_TITLE = 100  # select option label limit
MAX_QUESTION = 1000
MAX_GUIDANCE = 1000
MAX_DESCRIPTION = 1000
MAX_PLACEHOLDER = 100
MAX_EXAMPLE_TITLE = 100  # select option label limit
MAX_SUMMARY = 1000
MAX_LOOK_AT = 200
MAX_WHY = 200
MAX_NAME = 100
MAX_LINE = 200  # roles, organisations, event names, expansions
MAX_NOTE = 1000

KEY_QUESTIONS_FILE = "key-questions.yaml"
GLOSSARY_FILE = "glossary.yaml"
EXAMPLES_DIR = "examples"

_SAFE_TAGS = frozenset(tag for tag in yaml.SafeLoader.yaml_constructors if tag)
# Scalar types whose construction can fail on a bad value (tagged explicitly, or a date-like
# value such as 2016-13-45): checked one by one so the problem names the key and line.
_CHECKED_SCALARS = {
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:timestamp": "a date or time",
    "tag:yaml.org,2002:binary": "base64 data",
}

KeyPath = tuple[str | int, ...]


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file, e.g. ``prompts/x.yaml:14: prompts[0].title: ...``."""

    file: str
    key: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ContentError(Exception):
    """Content or prompt files are invalid; ``.problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.file, p.line if p.line is not None else 0)
        )
        super().__init__(self.report())

    def report(self) -> str:
        """One line per problem, sorted by file then line."""
        return "\n".join(str(p) for p in self.problems)


def _format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _display(path: Path) -> str:
    """A short, stable name for a file in messages: relative to the repo or the cwd."""
    absolute = path.absolute()
    for base in (REPO_ROOT, Path.cwd()):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return absolute.as_posix()


def _kind(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value}"
    return type(value).__name__


# --------------------------------------------------------------------------- YAML reading


class _File:
    """One parsed YAML file: its data, the line of each key path, and its problems."""

    def __init__(self, display: str, problems: list[Problem]) -> None:
        self.display = display
        self.problems = problems
        self.lines: dict[KeyPath, int] = {}
        self.data: Any = None

    # -- reporting

    def line(self, path: KeyPath) -> int | None:
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def problem(self, path: KeyPath, message: str, line: int | None = None) -> None:
        self.problems.append(
            Problem(self.display, _format_path(path),
                    line if line is not None else self.line(path), message)
        )

    # -- parsing

    def parse(self, path: Path) -> bool:
        """Read and parse ``path`` safely; False (with a problem recorded) if unusable."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.problem((), f"cannot read file: {exc.strerror or exc}")
            return False
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problem(
                (),
                f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                "save the file as UTF-8",
                line=raw.count(b"\n", 0, exc.start) + 1,
            )
            return False
        try:
            loader = yaml.SafeLoader(text)
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow (e.g. NUL)
            self.problem((), f"not valid YAML: character U+{exc.character:04X} is not allowed "
                             "in YAML text", line=text.count("\n", 0, exc.position) + 1)
            return False
        try:
            node = loader.get_single_node()
            if node is None:
                self.problem((), "file is empty; expected a mapping of keys")
                return False
            self.lines[()] = node.start_mark.line + 1
            bad_tags = self._index(node, (), set(), loader)
            if bad_tags:
                return False
            self.data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            self.problem((), f"not valid YAML: {_yaml_message(exc)}", line=_yaml_line(exc))
            return False
        except RecursionError:  # PyYAML composes and constructs recursively
            self.problem((), "not valid content: lists or mappings are nested too deeply")
            return False
        finally:
            loader.dispose()
        if not isinstance(self.data, dict):
            self.problem((), f"expected a mapping of keys at the top level, got {_kind(self.data)}")
            return False
        return True

    def _index(self, node: Node, path: KeyPath, seen: set[int], loader: yaml.SafeLoader) -> int:
        """Record key-path lines, report duplicate keys, unsafe tags and scalars that cannot
        be constructed (e.g. ``2016-13-45``, ``!!int ten``); return the number of bad nodes."""
        if id(node) in seen:  # an alias: already walked (and may be recursive)
            return 0
        seen.add(id(node))
        bad = 0
        if node.tag not in _SAFE_TAGS:
            shown = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(path, f"YAML tag {shown!r} is not allowed (only plain YAML values)",
                         line=node.start_mark.line + 1)
            bad += 1
        elif isinstance(node, ScalarNode) and node.tag in _CHECKED_SCALARS:
            try:  # PyYAML raises ValueError, KeyError... here, not YAMLError
                loader.yaml_constructors[node.tag](loader, node)
            except Exception:
                self.problem(path, f"{_clip(node.value)!r} cannot be read as "
                                   f"{_CHECKED_SCALARS[node.tag]}; put text in quotes",
                             line=node.start_mark.line + 1)
                bad += 1
        if isinstance(node, MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode):
                    key = key_node.value
                    line = key_node.start_mark.line + 1
                    child = (*path, key)
                    if key in first_line and key != "<<":
                        self.problem(child, f"duplicate key {key!r} (first given on line "
                                            f"{first_line[key]})", line=line)
                    else:
                        first_line[key] = line
                        self.lines.setdefault(child, line)
                    bad += self._index(key_node, child, seen, loader)  # its tag and value
                    bad += self._index(value_node, child, seen, loader)
                else:
                    bad += (self._index(key_node, path, seen, loader)
                            + self._index(value_node, path, seen, loader))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines.setdefault(child, item.start_mark.line + 1)
                bad += self._index(item, child, seen, loader)
        return bad

    # -- schema helpers

    def mapping(self, value: Any, path: KeyPath, required: Sequence[str],
                optional: Sequence[str] = ()) -> dict[str, Any] | None:
        """Check ``value`` is a mapping with all ``required`` keys and no unknown keys."""
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of keys, got {_kind(value)}")
            return None
        allowed = [*required, *optional]
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = (f"did you mean {close[0]!r}?" if close
                        else "allowed keys: " + ", ".join(allowed))
                self.problem((*path, key), f"unknown key {key!r} ({hint})")
        for key in required:
            if key not in value:
                self.problem((*path, key), f"required key {key!r} is missing")
        return value

    def text(self, m: dict[str, Any], path: KeyPath, key: str, limit: int,
             *, required: bool = True) -> str | None:
        value = m.get(key)
        where = (*path, key)
        if value is None:
            if required and key in m:
                self.problem(where, f"{key} must not be empty")
            return None
        if not isinstance(value, str):
            hint = "" if isinstance(value, list | dict) else " (put it in quotes)"
            self.problem(where, f"expected text, got {_kind(value)}{hint}")
            return None
        value = value.strip()
        if not value:
            if required:
                self.problem(where, f"{key} must not be empty or only spaces")
            return None
        if len(value) > limit:
            self.problem(where, f"{key} is {len(value)} characters; the limit is {limit}")
        return value

    def ident(self, m: dict[str, Any], path: KeyPath, key: str = "id") -> str | None:
        value = self.text(m, path, key, 10_000)
        if value is not None and not ID_PATTERN.match(value):
            self.problem((*path, key), f"{value!r} is not a valid id: use 1-50 lowercase letters, "
                                       "digits and hyphens, starting with a letter or digit")
            return None
        return value

    def boolean(self, m: dict[str, Any], path: KeyPath, key: str, default: bool) -> bool:
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, bool):
            self.problem((*path, key), f"expected true or false, got {_kind(value)}")
            return default
        return value

    def integer(self, m: dict[str, Any], path: KeyPath, key: str, default: int | None,
                lo: int, hi: int | None = None) -> int | None:
        if key not in m:
            return default
        value = m[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem((*path, key), f"expected a whole number, got {_kind(value)}")
            return default
        if value < lo:
            self.problem((*path, key), f"{key} is {value}; it must be at least {lo}")
        elif hi is not None and value > hi:
            self.problem((*path, key), f"{key} is {value}; the limit is {hi}")
        return value

    def items(self, m: dict[str, Any], path: KeyPath, key: str, *, least: int = 0,
              most: int | None = None, what: str = "items") -> list[Any]:
        """The list at ``key`` (missing or empty value = ``[]``), with size checks."""
        value = m.get(key)
        where = (*path, key)
        if value is None:
            value = []
        elif not isinstance(value, list):
            self.problem(where, f"expected a list, got {_kind(value)}")
            return []
        if len(value) < least and key in m:
            self.problem(where, f"needs at least {least} {what}; it has {len(value)}")
        elif most is not None and len(value) > most:
            self.problem(where, f"has {len(value)} {what}; the limit is {most}")
        return value


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.problem, exc.context) if p]
        if len(parts) == 2:
            return f"{parts[0]} ({parts[1]})"
        if parts:
            return parts[0]
    return " ".join(str(exc).split())


def _yaml_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


# --------------------------------------------------------------------------- building


@dataclass
class _Ref:
    """A cross-reference to check once everything is loaded."""

    file: _File
    path: KeyPath
    kind: str  # "example" | "glossary" | "key question"
    target: str


@dataclass
class _Builder:
    problems: list[Problem] = field(default_factory=list)
    key_questions: dict[str, KeyQuestion] = field(default_factory=dict)
    examples: dict[str, Example] = field(default_factory=dict)
    glossary: dict[str, GlossaryEntry] = field(default_factory=dict)
    prompt_sets: dict[str, PromptSet] = field(default_factory=dict)
    event: EventContext | None = None
    defined: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> where
    refs: list[_Ref] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)  # key question number -> where

    def open(self, path: Path) -> _File | None:
        f = _File(_display(path), self.problems)
        return f if f.parse(path) else None

    def define(self, f: _File, path: KeyPath, kind: str, ident: str) -> bool:
        """Register a globally unique id; False (and a problem naming both places) if taken."""
        here = f"{f.display}:{f.line(path)}"
        previous = self.defined.get((kind, ident))
        if previous is not None:
            what = f"{kind} is" if kind == "event" else f"duplicate {kind} id {ident!r}:"
            f.problem(path, f"{what} already defined at {previous}")
            return False
        self.defined[(kind, ident)] = here
        return True

    # -- content files

    def speaker(self, f: _File, raw: Any, path: KeyPath) -> Speaker | None:
        m = f.mapping(raw, path, ("name",), ("role", "organisation"))
        if m is None:
            return None
        name = f.text(m, path, "name", MAX_NAME)
        role = f.text(m, path, "role", MAX_LINE, required=False)
        org = f.text(m, path, "organisation", MAX_LINE, required=False)
        return Speaker(name, role, org) if name else None

    def load_key_questions(self, path: Path) -> None:
        f = self.open(path)
        if f is None:
            return
        top = f.mapping(f.data, (), ("questions",), ("event",))
        if top is None:
            return
        if "event" in top:
            self._event(f, top["event"], ("event",))
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
                if number in self.numbers:
                    f.problem((*where, "number"), f"number {number} is already used by "
                                                  f"{self.numbers[number]}")
                else:
                    self.numbers[number] = f"key question {qid!r} at {f.display}:{f.line(where)}"
            if qid and self.define(f, where, "key question", qid) and number and title and text:
                self.key_questions[qid] = KeyQuestion(qid, number, title, text)

    def _event(self, f: _File, raw: Any, where: KeyPath) -> None:
        m = f.mapping(raw, where, ("title",), ("organiser", "when", "hosts", "chairs", "source"))
        if m is None:
            return
        title = f.text(m, where, "title", MAX_PROMPT_TITLE)
        hosts = []
        for i, host in enumerate(f.items(m, where, "hosts", what="hosts")):
            if isinstance(host, str) and host.strip():
                hosts.append(host.strip())
            else:
                f.problem((*where, "hosts", i), f"expected text, got {_kind(host)}")
        chairs = [self.speaker(f, raw_chair, (*where, "chairs", i))
                  for i, raw_chair in enumerate(f.items(m, where, "chairs", what="chairs"))]
        event = EventContext(
            title=title or "",
            organiser=f.text(m, where, "organiser", MAX_LINE, required=False) or "",
            when=f.text(m, where, "when", MAX_LINE, required=False) or "",
            hosts=tuple(hosts),
            chairs=tuple(c for c in chairs if c is not None),
            source=f.text(m, where, "source", MAX_LINE, required=False) or "",
        )
        if self.define(f, where, "event", "event") and title:
            self.event = event

    def load_glossary(self, path: Path) -> None:
        f = self.open(path)
        if f is None:
            return
        top = f.mapping(f.data, (), ("glossary",))
        if top is None:
            return
        for i, raw in enumerate(f.items(top, (), "glossary", least=1, what="entries")):
            where: KeyPath = ("glossary", i)
            m = f.mapping(raw, where, ("id", "term", "expansion", "description"),
                          ("source_note",))
            if m is None:
                continue
            gid = f.ident(m, where)
            term = f.text(m, where, "term", MAX_NAME)
            expansion = f.text(m, where, "expansion", MAX_LINE)
            description = f.text(m, where, "description", MAX_DESCRIPTION)
            note = f.text(m, where, "source_note", MAX_NOTE, required=False) or ""
            if gid and self.define(f, where, "glossary", gid) and term and expansion \
                    and description:
                self.glossary[gid] = GlossaryEntry(gid, term, expansion, description, note)

    def load_examples(self, path: Path) -> None:
        f = self.open(path)
        if f is None:
            return
        top = f.mapping(f.data, (), ("examples",))
        if top is None:
            return
        for i, raw in enumerate(f.items(top, (), "examples", least=1, what="examples")):
            example = self._example(f, raw, ("examples", i))
            if example is not None:
                self.examples[example.id] = example

    def _example(self, f: _File, raw: Any, where: KeyPath) -> Example | None:
        m = f.mapping(raw, where,
                      ("id", "title", "organisation", "event", "summary", "questions"),
                      ("speakers", "programmes", "source_note"))
        if m is None:
            return None
        eid = f.ident(m, where)
        title = f.text(m, where, "title", MAX_EXAMPLE_TITLE)
        organisation = f.text(m, where, "organisation", MAX_LINE)
        event = f.text(m, where, "event", MAX_LINE)
        summary = f.text(m, where, "summary", MAX_SUMMARY)
        note = f.text(m, where, "source_note", MAX_NOTE, required=False) or ""
        speakers = [self.speaker(f, s, (*where, "speakers", i))
                    for i, s in enumerate(f.items(m, where, "speakers", what="speakers"))]
        programmes: list[str] = []
        for i, prog in enumerate(f.items(m, where, "programmes", what="programmes")):
            p_where = (*where, "programmes", i)
            if not isinstance(prog, str) or not ID_PATTERN.match(prog):
                f.problem(p_where, f"expected a glossary id, got {prog!r}")
            elif prog in programmes:
                f.problem(p_where, f"programme {prog!r} is listed twice")
            else:
                programmes.append(prog)
                self.refs.append(_Ref(f, p_where, "glossary", prog))
        links: list[QuestionLink] = []
        for i, raw_link in enumerate(f.items(m, where, "questions", least=1,
                                             what="key question links")):
            l_where = (*where, "questions", i)
            lm = f.mapping(raw_link, l_where, ("question", "why"))
            if lm is None:
                continue
            qid = f.ident(lm, l_where, "question")
            why = f.text(lm, l_where, "why", MAX_WHY)
            if qid and any(link.question_id == qid for link in links):
                f.problem((*l_where, "question"), f"key question {qid!r} is linked twice")
            elif qid and why:
                links.append(QuestionLink(qid, why))
                self.refs.append(_Ref(f, (*l_where, "question"), "key question", qid))
        if not (eid and self.define(f, where, "example", eid)):
            return None
        if not (title and organisation and event and summary):
            return None
        return Example(
            id=eid, title=title, organisation=organisation,
            speakers=tuple(s for s in speakers if s is not None), event=event,
            summary=summary, programmes=tuple(programmes), questions=tuple(links),
            source_file=f.display, source_note=note,
        )

    # -- prompt sets

    def load_prompt_set(self, path: Path) -> None:
        f = self.open(path)
        if f is None:
            return
        top = f.mapping(f.data, (), ("id", "title", "description", "prompts"))
        if top is None:
            return
        sid = f.ident(top, ())
        title = f.text(top, (), "title", MAX_SET_TITLE)
        description = f.text(top, (), "description", MAX_DESCRIPTION)
        prompts: list[Prompt] = []
        prompt_ids: dict[str, int] = {}
        raw_prompts = f.items(top, (), "prompts", least=1, most=MAX_PROMPTS, what="prompts")
        for i, raw in enumerate(raw_prompts):
            prompt = self._prompt(f, raw, ("prompts", i), number=i + 1)
            if prompt is None:
                continue
            if prompt.id in prompt_ids:
                f.problem(("prompts", i, "id"), f"duplicate prompt id {prompt.id!r} in this set "
                                                f"(also prompts[{prompt_ids[prompt.id]}])")
                continue
            prompt_ids[prompt.id] = i
            prompts.append(prompt)
        if sid and self.define(f, (), "prompt set", sid) and title and description:
            self.prompt_sets[sid] = PromptSet(sid, title, description, tuple(prompts), f.display)

    def _prompt(self, f: _File, raw: Any, where: KeyPath, number: int) -> Prompt | None:
        m = f.mapping(raw, where, ("id", "title", "question", "guidance", "fields"),
                      ("key_question", "examples"))
        if m is None:
            return None
        pid = f.ident(m, where)
        title = f.text(m, where, "title", MAX_PROMPT_TITLE)
        question = f.text(m, where, "question", MAX_QUESTION)
        guidance = f.text(m, where, "guidance", MAX_GUIDANCE)
        key_question = None
        if m.get("key_question") is not None:
            key_question = f.ident(m, where, "key_question")
            if key_question:
                self.refs.append(_Ref(f, (*where, "key_question"), "key question", key_question))
        fields: list[AnswerField] = []
        for i, raw_field in enumerate(f.items(m, where, "fields", least=1, most=MAX_FIELDS,
                                              what="fields")):
            answer_field = self._field(f, raw_field, (*where, "fields", i))
            if answer_field is None:
                continue
            if any(existing.id == answer_field.id for existing in fields):
                f.problem((*where, "fields", i, "id"),
                          f"duplicate field id {answer_field.id!r} in this prompt")
                continue
            fields.append(answer_field)
        links: list[ExampleLink] = []
        for i, raw_link in enumerate(f.items(m, where, "examples", most=MAX_LINKED_EXAMPLES,
                                             what="linked examples")):
            l_where = (*where, "examples", i)
            lm = f.mapping(raw_link, l_where, ("example", "look_at"))
            if lm is None:
                continue
            eid = f.ident(lm, l_where, "example")
            look_at = f.text(lm, l_where, "look_at", MAX_LOOK_AT)
            if eid and any(link.example_id == eid for link in links):
                f.problem((*l_where, "example"), f"example {eid!r} is linked twice")
            elif eid and look_at:
                links.append(ExampleLink(eid, look_at))
                self.refs.append(_Ref(f, (*l_where, "example"), "example", eid))
        if not (pid and title and question and guidance):
            return None
        return Prompt(id=pid, number=number, title=title, question=question, guidance=guidance,
                      fields=tuple(fields), examples=tuple(links), key_question=key_question)

    def _field(self, f: _File, raw: Any, where: KeyPath) -> AnswerField | None:
        m = f.mapping(raw, where, ("id", "label"),
                      ("style", "required", "max_length", "min_length", "placeholder"))
        if m is None:
            return None
        fid = f.ident(m, where)
        label = f.text(m, where, "label", MAX_LABEL)
        style = m.get("style", "paragraph")
        if style not in FIELD_STYLES:
            f.problem((*where, "style"),
                      f"style must be 'short' or 'paragraph', got {style!r}")
            style = "paragraph"
        required = f.boolean(m, where, "required", True)
        max_length = f.integer(m, where, "max_length", 1000, 1, MAX_ANSWER_LENGTH) or 1000
        min_length = f.integer(m, where, "min_length", 0, 0, MAX_ANSWER_LENGTH) or 0
        if min_length > max_length:
            f.problem((*where, "min_length"),
                      f"min_length ({min_length}) is more than max_length ({max_length})")
        placeholder = f.text(m, where, "placeholder", MAX_PLACEHOLDER, required=False)
        if not (fid and label):
            return None
        return AnswerField(id=fid, label=label, style=style, required=required,
                           max_length=max_length, min_length=min_length,
                           placeholder=placeholder)

    # -- cross-references

    def check_refs(self) -> None:
        known = {
            "example": self.examples,
            "glossary": self.glossary,
            "key question": self.key_questions,
        }
        for ref in self.refs:
            table = known[ref.kind]
            if ref.target in table or (ref.kind, ref.target) in self.defined:
                continue  # defined (possibly invalid: that file already has a problem)
            close = difflib.get_close_matches(ref.target, list(table), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            ref.file.problem(ref.path, f"unknown {ref.kind} id {ref.target!r}{hint}")


# --------------------------------------------------------------------------- public API


def _unique_dirs(dirs: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        path = Path(d)
        key = path.resolve()
        if key in seen:
            log.warning("folder %s is listed twice; loading it once", path)
            continue
        seen.add(key)
        out.append(path)
    return out


def _missing_dir(path: Path, kind: str) -> Problem:
    state = "is not a folder" if path.exists() else "not found"
    return Problem(_display(path), "", None, f"{kind} folder {state}")


def load_library(content_dirs: Iterable[Path], prompt_dirs: Iterable[Path]) -> Library:
    """Load, validate and cross-check every content and prompt folder.

    Raises :class:`ContentError` listing every problem found, if there are any.
    """
    b = _Builder()
    contents = _unique_dirs(content_dirs)
    prompts = _unique_dirs(prompt_dirs)
    if not contents:
        b.problems.append(Problem("<content>", "", None, "no content folder given"))
    if not prompts:
        b.problems.append(Problem("<prompts>", "", None, "no prompt folder given"))

    for index, folder in enumerate(contents):
        if not folder.is_dir():
            b.problems.append(_missing_dir(folder, "content"))
            continue
        for name, load in ((KEY_QUESTIONS_FILE, b.load_key_questions),
                           (GLOSSARY_FILE, b.load_glossary)):
            if (folder / name).is_file():
                load(folder / name)
            elif index == 0:
                b.problems.append(Problem(_display(folder / name), "", None,
                                          "file not found (the first content folder needs it)"))
        for stray in sorted(folder.glob("*.y*ml")):
            if stray.name not in (KEY_QUESTIONS_FILE, GLOSSARY_FILE):
                close = difflib.get_close_matches(stray.name, [KEY_QUESTIONS_FILE, GLOSSARY_FILE],
                                                  n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                b.problems.append(Problem(
                    _display(stray), "", None,
                    f"unexpected file in a content folder{hint}; content files are "
                    f"{KEY_QUESTIONS_FILE}, {GLOSSARY_FILE} and {EXAMPLES_DIR}/*.yaml"))
        examples_dir = folder / EXAMPLES_DIR
        if examples_dir.is_dir():
            for yml in sorted(examples_dir.glob("*.yml")):
                log.warning("ignoring %s: example files must end in .yaml", _display(yml))
            for path in sorted(examples_dir.glob("*.yaml")):
                b.load_examples(path)

    for index, folder in enumerate(prompts):
        if not folder.is_dir():
            b.problems.append(_missing_dir(folder, "prompt"))
            continue
        for yml in sorted(folder.glob("*.yml")):
            log.warning("ignoring %s: prompt set files must end in .yaml", _display(yml))
        files = sorted(folder.glob("*.yaml"))
        if not files:
            if index == 0:
                b.problems.append(Problem(_display(folder), "", None,
                                          "no prompt sets (*.yaml files) in this folder"))
            else:
                log.warning("prompt folder %s has no *.yaml files", _display(folder))
        for path in files:
            b.load_prompt_set(path)

    b.check_refs()
    if b.problems:
        raise ContentError(b.problems)
    library = Library(
        key_questions=dict(sorted(b.key_questions.items(), key=lambda kv: kv[1].number)),
        examples=b.examples,
        glossary=b.glossary,
        prompt_sets=b.prompt_sets,
        event=b.event,
    )
    log.info("loaded %d examples, %d glossary entries, %d key questions, %d prompt sets",
             len(library.examples), len(library.glossary), len(library.key_questions),
             len(library.prompt_sets))
    return library
