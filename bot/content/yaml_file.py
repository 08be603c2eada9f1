"""Reading one YAML file safely: its data, the line of each key path, and its problems.

YAML is read with :class:`yaml.SafeLoader` semantics only: tags such as
``!!python/object/apply`` are rejected before anything is constructed.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.content.limits import ID_PATTERN
from bot.content.problems import KeyPath, Problem, format_path

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


def kind_of(value: Any) -> str:
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


class YamlFile:
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
            Problem(self.display, format_path(path),
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
            self.problem((), "expected a mapping of keys at the top level, got "
                              f"{kind_of(self.data)}")
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
            self.problem(path, f"expected a mapping of keys, got {kind_of(value)}")
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
            self.problem(where, f"expected text, got {kind_of(value)}{hint}")
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
            self.problem((*path, key), f"expected true or false, got {kind_of(value)}")
            return default
        return value

    def integer(self, m: dict[str, Any], path: KeyPath, key: str, default: int | None,
                lo: int, hi: int | None = None) -> int | None:
        if key not in m:
            return default
        value = m[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem((*path, key), f"expected a whole number, got {kind_of(value)}")
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
            self.problem(where, f"expected a list, got {kind_of(value)}")
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
