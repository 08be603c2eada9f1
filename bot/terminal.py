"""Text the command line prints comes partly from the database (workshop and group names people
typed in Discord) and from YAML: control characters in it could move the cursor, recolour or
hide the terminal's text, and bidi overrides could reorder it. :class:`SafeStream` shows them
as visible escapes (``\\x1b``, ``\\u202e``) instead."""

from __future__ import annotations

import io
from typing import TextIO

_UNSAFE = (
    [c for c in range(0x20) if c not in (0x09, 0x0A)]  # C0 controls but tab and newline
    + [0x7F, *range(0x80, 0xA0)]  # DEL, C1 controls
    + [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF]
)
_TABLE = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE}


def terminal_safe(text: str) -> str:
    return text.translate(_TABLE)


class SafeStream(io.TextIOBase):
    """A text stream that writes to ``inner`` with :func:`terminal_safe` applied."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(terminal_safe(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.inner.encoding
