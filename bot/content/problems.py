"""What is wrong with the content: one :class:`Problem` per finding, raised together as a
:class:`ContentError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.config import REPO_ROOT

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
    """Content or prompt files are invalid; ``.problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.file, p.line if p.line is not None else 0)
        )
        super().__init__(self.report())

    def report(self) -> str:
        """One line per problem, sorted by file then line."""
        return "\n".join(str(p) for p in self.problems)


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
    for base in (REPO_ROOT, Path.cwd()):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return absolute.as_posix()
