"""What is wrong with the content: one :class:`Problem` per finding, raised together as a
:class:`ContentError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.config import BUNDLED_ROOT
from bot.content.limits import MAX_PROBLEMS_PER_FILE

KeyPath = tuple[str | int, ...]


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
    """Content or prompt files are invalid. ``.problems`` lists the problems found (at most
    :data:`MAX_PROBLEMS_PER_FILE` per file, plus one line per file saying how many more there
    were); ``.total`` counts them all."""

    def __init__(self, problems: Iterable[Problem], total: int | None = None) -> None:
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.file, p.line if p.line is not None else 0)
        )
        self.total = total if total is not None else len(self.problems)
        super().__init__(self.report())

    def report(self) -> str:
        """One line per problem, sorted by file then line."""
        return "\n".join(str(p) for p in self.problems)


class Problems:
    """Problems found in one load: the first :data:`MAX_PROBLEMS_PER_FILE` of each file are
    kept, the rest only counted (a hostile file can hold a million mistakes)."""

    def __init__(self) -> None:
        self._kept: list[Problem] = []
        self._counts: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self._counts)

    def full(self, file: str) -> bool:
        """True once ``file`` has as many problems as are listed (skip costly wording)."""
        return self._counts.get(file, 0) >= MAX_PROBLEMS_PER_FILE

    def add(self, problem: Problem) -> None:
        count = self._counts.get(problem.file, 0) + 1
        self._counts[problem.file] = count
        if count <= MAX_PROBLEMS_PER_FILE:
            self._kept.append(problem)

    def error(self) -> ContentError:
        """Every kept problem, and for a file with more, one line saying how many."""
        summaries = [
            Problem(file, "", None, f"{count:,} problems in this file; the first "
                                    f"{MAX_PROBLEMS_PER_FILE} found are listed")
            for file, count in self._counts.items() if count > MAX_PROBLEMS_PER_FILE
        ]
        return ContentError([*summaries, *self._kept], total=sum(self._counts.values()))


def format_path(path: KeyPath) -> str:
    """``("prompts", 0, "title")`` -> ``prompts[0].title``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def display(path: Path) -> str:
    """A short, stable name for a file in messages: relative to the repo or the cwd."""
    absolute = path.absolute()
    for base in (BUNDLED_ROOT, Path.cwd()):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return absolute.as_posix()
