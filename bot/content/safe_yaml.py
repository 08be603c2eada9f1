"""The low level of reading content safely, whatever a folder holds: regular files only, up to
a size; YAML composed into nodes without anchors or aliases, up to a number of values and a
depth. A FIFO, a device, a symbolic link to ``/dev/zero``, a 22 MB file or an alias bomb
each get a one-line reason, never a hang or a flood of memory.

Parsing uses libyaml's event parser when PyYAML has it (about 4x faster) and PyYAML's own
otherwise; composing nodes is always PyYAML's, with the checks below, and constructing
values is :class:`yaml.SafeConstructor`'s, so only plain YAML values are ever built.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

# The characters YAML allows in a stream (anything else is refused before parsing).
NOT_ALLOWED = Reader.NON_PRINTABLE

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))
_REASONS = {
    errno.ENOENT: "not found (a broken symbolic link?)",
    errno.ELOOP: "a symbolic link loop",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "not a folder",
    errno.ENAMETOOLONG: "the name is too long",
}


class Unreadable(Exception):
    """A file or folder that cannot be read; the message says why, for a person."""


class TooBig(Exception):
    """A regular file larger than the limit it was read with."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def reason(exc: OSError) -> str:
    """An OS error as a few words (``permission denied``, ``a symbolic link loop``...)."""
    return _REASONS.get(exc.errno or 0, (exc.strerror or str(exc)).lower())


def file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file (a symbolic link to one is fine) of at
    most ``limit`` bytes. Raises :class:`Unreadable` or :class:`TooBig`; never blocks on a
    FIFO or reads from a device (the type is checked before opening, and again on the open
    file in case it was swapped in between)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{file_type(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise TooBig(info.st_size)
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise Unreadable(reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{file_type(info.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(64 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise TooBig(max(size, info.st_size))
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(reason(exc)) from None
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- composing


class TooMany(Exception):
    """More YAML values than the loader was allowed."""


class TooDeep(Exception):
    """Lists or mappings nested deeper than the loader was allowed."""


class _CheckedComposer(Composer):
    """PyYAML's composer, refusing anchors and aliases and counting values and depth.

    An alias is never resolved: it is recorded (``self.refused``) and composed as an empty
    value, so a "billion laughs" document costs what its text costs. Anchors are recorded
    too. The caller reports them and builds nothing from the file.
    """

    node_limit = 0
    depth_limit = 0

    def _start_checks(self, node_limit: int, depth_limit: int) -> None:
        self.node_limit = node_limit
        self.depth_limit = depth_limit
        self.nodes = 0
        self.depth = 0
        self.refused: list[tuple[str, str, int]] = []  # ("&" | "*", name, line)

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        self.nodes += 1
        if self.nodes > self.node_limit:
            raise TooMany
        if self.check_event(AliasEvent):
            event = self.get_event()
            self.refused.append(("*", event.anchor, event.start_mark.line + 1))
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        event = self.peek_event()
        if event.anchor is not None:
            self.refused.append(("&", event.anchor, event.start_mark.line + 1))
            event.anchor = None  # never registered, so nothing can refer to it
        self.depth += 1
        if self.depth > self.depth_limit:
            raise TooDeep
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PyLoader(_CheckedComposer, Reader, Scanner, Parser, SafeConstructor, Resolver):
    """PyYAML's own parser (pure Python)."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


try:  # libyaml's event parser, when PyYAML was built with it (its wheels are)
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _CLoader: type | None = None
else:
    class _CLoader(_CheckedComposer, CParser, SafeConstructor, Resolver):  # type: ignore[no-redef]
        """libyaml's parser, PyYAML's composer (with the checks above) and constructor."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

LIBYAML = _CLoader is not None


def loader(text: str, *, node_limit: int, depth_limit: int, pure: bool = False) -> Any:
    """A loader for ``text`` (already checked for characters YAML does not allow): call
    ``get_single_node()``, then ``construct_document(node)``, then ``dispose()``.
    ``pure`` uses PyYAML's own parser even where libyaml's is available."""
    made = _PyLoader(text) if pure or _CLoader is None else _CLoader(text)
    made._start_checks(node_limit, depth_limit)
    return made
