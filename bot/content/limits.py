"""Text and size limits of the content format. Most keep Discord embeds, select menus and
modals within Discord's own limits (those live in :mod:`bot.models`)."""

from __future__ import annotations

import re

from bot.models import MAX_ANSWER_LENGTH, MAX_FIELDS, MAX_LABEL, MAX_LINKED_EXAMPLES

__all__ = [
    "FIELD_STYLES", "ID_PATTERN", "MAX_ANSWER_LENGTH", "MAX_DESCRIPTION", "MAX_EXAMPLE_TITLE",
    "MAX_FIELDS", "MAX_GUIDANCE", "MAX_LABEL", "MAX_LINE", "MAX_LINKED_EXAMPLES", "MAX_LOOK_AT",
    "MAX_NAME", "MAX_NOTE", "MAX_PLACEHOLDER", "MAX_PROMPTS", "MAX_PROMPT_TITLE", "MAX_QUESTION",
    "MAX_SET_TITLE", "MAX_SUMMARY", "MAX_WHY",
]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
FIELD_STYLES = ("short", "paragraph")

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
