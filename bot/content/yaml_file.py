"""Reading one YAML file safely: its data, the line of each key path, and its problems.

YAML is read with :class:`yaml.SafeLoader` semantics only: tags such as
``!!python/object/apply`` are rejected before anything is constructed; anchors and aliases
are rejected too (see :mod:`bot.content.safe_yaml` for the limits on what is read).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.content import safe_yaml
from bot.content.limits import (
    ID_PATTERN,
    KIB,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_FILE_NODES,
    MAX_HINTS,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_NODES,
)
from bot.content.problems import KeyPath, Problem, Problems, format_path

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


@dataclass
class Budget:
    """What one load has used so far of its limits (see :mod:`bot.content.limits`)."""

    files: int = 0
    bytes: int = 0
    nodes: int = 0
    entries: int = 0
    hints: int = 0
    stopped: bool = False  # a limit of the whole load was reached: read nothing more


class YamlFile:
    """One parsed YAML file: its data, the line of each key path, and its problems."""

    def __init__(self, display: str, problems: Problems, budget: Budget) -> None:
        self.display = display
        self.problems = problems
        self.budget = budget
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
        self.problems.add(
            Problem(self.display, format_path(path),
                    line if line is not None else self.line(path), message)
        )

    @property
    def full(self) -> bool:
        """True once this file has as many problems as are listed: later ones are counted
        only, so skip any costly wording."""
        return self.problems.full(self.display)

    def close_match(self, word: str, candidates: Collection[str]) -> str | None:
        """The candidate ``word`` was probably meant to be, if any (within a budget: working
        it out compares ``word`` with every candidate)."""
        if self.full or self.budget.hints >= MAX_HINTS or len(candidates) > 2_000:
            return None
        self.budget.hints += 1
        close = difflib.get_close_matches(word[:100], list(candidates), n=1, cutoff=0.6)
        return close[0] if close else None

    # -- parsing

    def parse(self, path: Path) -> bool:
        """Read and parse ``path`` safely; False (with a problem recorded) if unusable."""
        raw = self._read(path)
        if raw is None:
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
        bad_character = safe_yaml.NOT_ALLOWED.search(text)
        if bad_character:  # e.g. NUL: refused by YAML's reader
            self.problem((), f"not valid YAML: character U+{ord(bad_character[0]):04X} is not "
                             "allowed in YAML text",
                         line=text.count("\n", 0, bad_character.start()) + 1)
            return False
        node_room = MAX_TOTAL_NODES - self.budget.nodes
        loader = safe_yaml.loader(text, node_limit=min(MAX_FILE_NODES, node_room),
                                  depth_limit=MAX_DEPTH)
        try:
            node = loader.get_single_node()
            if node is None:
                self.problem((), "file is empty; expected a mapping of keys")
                return False
            self.lines[()] = node.start_mark.line + 1
            if loader.refused:
                sign, name, line = loader.refused[0]
                count = len(loader.refused)
                more = f" (this file has {count:,} anchors and aliases)" if count > 1 else ""
                self.problem((), f"YAML {'anchor' if sign == '&' else 'alias'} "
                                 f"{sign}{_clip(name)} is not allowed: anchors (&) and aliases "
                                 f"(*) are refused, not expanded; write the value out in "
                                 f"full{more}", line=line)
            bad = self._index(node, (), loader)
            if bad or loader.refused:
                return False
            self.data = loader.construct_document(node)
        except safe_yaml.TooMany:
            if node_room < MAX_FILE_NODES:
                self.problem((), f"reading stopped here: the files of this load hold more "
                                 f"than {MAX_TOTAL_NODES:,} YAML values (lists, mappings and "
                                 "single values) together, the limit")
                self.budget.stopped = True
            else:
                self.problem((), f"more than {MAX_FILE_NODES:,} YAML values (lists, mappings "
                                 "and single values); the limit per file is "
                                 f"{MAX_FILE_NODES:,}")
            return False
        except safe_yaml.TooDeep:
            self.problem((), "not valid content: lists or mappings are nested too deeply "
                             f"(more than {MAX_DEPTH} levels)")
            return False
        except yaml.YAMLError as exc:
            message = _yaml_message(exc)
            if "nesting depth" in message:  # libyaml's own limit, met while scanning ahead
                message = f"lists or mappings are nested too deeply ({message})"
            self.problem((), f"not valid YAML: {message}", line=_yaml_line(exc))
            return False
        except RecursionError:  # PyYAML constructs recursively
            self.problem((), "not valid content: lists or mappings are nested too deeply")
            return False
        finally:
            self.budget.nodes += loader.nodes
            loader.dispose()
        if not isinstance(self.data, dict):
            self.problem((), "expected a mapping of keys at the top level, got "
                              f"{kind_of(self.data)}")
            return False
        return True

    def _read(self, path: Path) -> bytes | None:
        """The file's bytes within this load's limits, or None with a problem recorded."""
        self.budget.files += 1
        room = MAX_TOTAL_BYTES - self.budget.bytes
        try:
            raw = safe_yaml.read_regular_file(path, min(MAX_FILE_BYTES, room))
        except safe_yaml.Unreadable as exc:
            self.problem((), f"cannot read file: {exc}")
            return None
        except safe_yaml.TooBig as exc:
            if exc.size > MAX_FILE_BYTES:
                self.problem((), f"file is {_size(exc.size)}; the limit is "
                                 f"{_size(MAX_FILE_BYTES)} per file")
            else:
                self.problem((), f"reading stopped here: the YAML files of this load come to "
                                 f"more than {_size(MAX_TOTAL_BYTES)} together, the limit")
                self.budget.stopped = True
            return None
        self.budget.bytes += len(raw)
        return raw

    def _index(self, node: Node, path: KeyPath, loader: Any) -> int:
        """Record key-path lines, report duplicate keys, unsafe tags and scalars that cannot
        be constructed (e.g. ``2016-13-45``, ``!!int ten``); return the number of bad nodes.
        (Every node is new: the loader never shares one between places, as aliases would.)"""
        bad = 0
        if node.tag == "tag:yaml.org,2002:merge":
            self.problem(path, "YAML merge keys (<<) are not allowed; write the keys out in full",
                         line=node.start_mark.line + 1)
            bad += 1
        elif node.tag not in _SAFE_TAGS:
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
                        self.problem(child, f"duplicate key {_clip(key)!r} (first given on line "
                                            f"{first_line[key]})", line=line)
                    else:
                        first_line[key] = line
                        self.lines.setdefault(child, line)
                    bad += self._index(key_node, child, loader)  # its tag and value
                    bad += self._index(value_node, child, loader)
                else:
                    bad += (self._index(key_node, path, loader)
                            + self._index(value_node, path, loader))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines.setdefault(child, item.start_mark.line + 1)
                bad += self._index(item, child, loader)
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
                close = self.close_match(str(key), allowed)
                hint = (f"did you mean {close!r}?" if close
                        else "allowed keys: " + ", ".join(allowed))
                self.problem((*path, key), f"unknown key {_clip(str(key))!r} ({hint})")
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
            self.problem((*path, key), f"{_clip(value, 60)!r} is not a valid id: use 1-50 "
                                       "lowercase letters, digits and hyphens, starting with "
                                       "a letter or digit")
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


def clipped_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` for a message, cut short (a value in a hostile file can be huge)."""
    if isinstance(value, list | dict):
        return kind_of(value)
    return _clip(repr(value), limit)


def _size(n: int) -> str:
    if n >= KIB * KIB:
        return f"{n // (KIB * KIB)} MiB" if n % (KIB * KIB) == 0 else f"{n / (KIB * KIB):.1f} MiB"
    return f"{n / KIB:.0f} KiB" if n >= KIB else f"{n} bytes"


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
