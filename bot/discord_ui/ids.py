"""Every custom id the bot puts on a button, select or form: its format and its parser, side by
side. Items survive restarts because everything they need is in the id (and the database).

An id is ``wb:<kind>:<field>:<field>...``; numbers are Discord snowflakes or database ids,
content ids are ``[a-z0-9-]{1,50}`` (bot/content), draft tokens ``[a-z0-9]{1,12}``. Discord
allows 100 characters; :data:`MAX_LENGTH` is checked by the tests for the longest values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

MAX_LENGTH = 100
PREFIX = "wb"

_PATTERNS = {
    "int": r"[0-9]{1,19}",
    "id": r"[a-z0-9][a-z0-9-]{0,49}",
    "token": r"[a-z0-9]{1,12}",
}


@dataclass(frozen=True)
class CustomId:
    """One kind of custom id: ``CustomId("answer", sid="int", pid="id")`` makes and reads
    ``wb:answer:12:identify-change``."""

    kind: str
    fields: tuple[tuple[str, str], ...]

    def __init__(self, kind: str, **fields: str) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "fields", tuple(fields.items()))

    @cached_property
    def template(self) -> re.Pattern[str]:
        """The regular expression a DynamicItem is registered with (fields as named groups)."""
        parts = [f"(?P<{name}>{_PATTERNS[kind]})" for name, kind in self.fields]
        return re.compile(":".join([PREFIX, re.escape(self.kind), *parts]))

    def make(self, **values: Any) -> str:
        """The id for these values (all fields, as ``int`` or ``str``)."""
        if set(values) != {name for name, _ in self.fields}:
            raise ValueError(f"custom id {self.kind!r} takes {[n for n, _ in self.fields]}")
        text = ":".join([PREFIX, self.kind, *(str(values[name]) for name, _ in self.fields)])
        if not self.template.fullmatch(text) or len(text) > MAX_LENGTH:
            raise ValueError(f"not a valid {self.kind!r} custom id: {text!r}")
        return text

    def parse(self, text: str) -> dict[str, int | str] | None:
        """The values in ``text``, or None when it is not an id of this kind."""
        match = self.template.fullmatch(text)
        if match is None:
            return None
        return {name: int(match[name]) if kind == "int" else match[name]
                for name, kind in self.fields}


ANSWER = CustomId("answer", sid="int", pid="id")  # a card's Answer button
EXAMPLES = CustomId("examples", sid="int", pid="id")  # a card's Examples button
EXAMPLE_SELECT = CustomId("exselect", sid="int", pid="id")  # choose one linked example
SUBMIT = CustomId("submit", sid="int", pid="id")  # the answer form
GROUP_SUBMIT = CustomId("gsubmit", sid="int", pid="id", base="int")  # a group answer's form,
# opened on version ``base`` of the group's answer
RETRY = CustomId("retry", sid="int", pid="id", draft="token")  # reopen a form not saved
MERGE = CustomId("merge", sid="int", pid="id")  # edit the group's current answer (a conflict)
FORGET = CustomId("forget", uid="int")  # confirm /forget-me
# a gallery card: another group's answer ``aid``, shown in the channel of the session ``sid``
# (the group reading it)
COMMENT = CustomId("gcomment", aid="int", sid="int")  # its Comment button
COMMENT_FORM = CustomId("gcform", aid="int", sid="int")  # the comment form
DOT_ADD = CustomId("dotadd", aid="int", sid="int")  # its Add a dot button
DOT_REMOVE = CustomId("dotrm", aid="int", sid="int")  # its Remove a dot button

ALL: tuple[CustomId, ...] = (ANSWER, EXAMPLES, EXAMPLE_SELECT, SUBMIT, GROUP_SUBMIT, RETRY,
                             MERGE, FORGET, COMMENT, COMMENT_FORM, DOT_ADD, DOT_REMOVE)
