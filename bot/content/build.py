"""The state of one load: what has been built so far, which ids are taken where, and the
cross-references to check once every file is read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.limits import MAX_LINE, MAX_NAME
from bot.content.problems import KeyPath, Problems, display
from bot.content.yaml_file import Budget, YamlFile
from bot.models import EventContext, Example, GlossaryEntry, KeyQuestion, PromptSet, Speaker


@dataclass
class Ref:
    """A cross-reference to check once everything is loaded."""

    file: YamlFile
    path: KeyPath
    kind: str  # "example" | "glossary" | "key question"
    target: str


@dataclass
class PromptPlace:
    """Where a prompt is written: its file, its key path, the key path of each example link."""

    file: YamlFile
    path: KeyPath
    link_paths: list[KeyPath]


@dataclass
class Build:
    problems: Problems = field(default_factory=Problems)
    budget: Budget = field(default_factory=Budget)
    key_questions: dict[str, KeyQuestion] = field(default_factory=dict)
    examples: dict[str, Example] = field(default_factory=dict)
    glossary: dict[str, GlossaryEntry] = field(default_factory=dict)
    prompt_sets: dict[str, PromptSet] = field(default_factory=dict)
    event: EventContext | None = None
    defined: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> where
    refs: list[Ref] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)  # key question number -> where
    # prompt set id -> prompt id -> where it is written (to report on its example links)
    prompt_places: dict[str, dict[str, PromptPlace]] = field(default_factory=dict)

    def open(self, path: Path) -> YamlFile | None:
        f = YamlFile(display(path), self.problems, self.budget)
        return f if f.parse(path) else None

    def define(self, f: YamlFile, path: KeyPath, kind: str, ident: str) -> bool:
        """Register a globally unique id; False (and a problem naming both places) if taken."""
        here = f"{f.display}:{f.line(path)}"
        previous = self.defined.get((kind, ident))
        if previous is not None:
            what = f"{kind} is" if kind == "event" else f"duplicate {kind} id {ident!r}:"
            f.problem(path, f"{what} already defined at {previous}")
            return False
        self.defined[(kind, ident)] = here
        return True

    def ref(self, f: YamlFile, path: KeyPath, kind: str, target: str) -> None:
        self.refs.append(Ref(f, path, kind, target))


def read_speaker(f: YamlFile, raw: Any, path: KeyPath) -> Speaker | None:
    m = f.mapping(raw, path, ("name",), ("role", "organisation"))
    if m is None:
        return None
    name = f.text(m, path, "name", MAX_NAME)
    role = f.text(m, path, "role", MAX_LINE, required=False)
    org = f.text(m, path, "organisation", MAX_LINE, required=False)
    return Speaker(name, role, org) if name else None
