"""Text and size limits of the content format. Most keep Discord embeds, select menus and
modals within Discord's own limits (those live in :mod:`bot.models`)."""

from __future__ import annotations

import re

from bot.models import (
    FIELD_KINDS,
    MAX_ANSWER_LENGTH,
    MAX_FIELDS,
    MAX_LABEL,
    MAX_LINKED_EXAMPLES,
)

__all__ = [  # the models' Discord limits, re-exported so this is the one place to look
    "FIELD_KINDS", "MAX_ANSWER_LENGTH", "MAX_FIELDS", "MAX_LABEL", "MAX_LINKED_EXAMPLES",
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
MAX_MINUTES = 240  # a prompt's suggested minutes

# What one load reads at most, so that any folder (a content pack from anywhere) gets a
# verdict within about a second and a few tens of MB of memory (bench/hostile_content.py).
# The bundled content is about 40 KB in 10 files, the largest near 8 KB and 700 YAML values;
# a 256 KiB file of real prompt sets holds about 8,500 values.
KIB = 1024
MAX_FILE_BYTES = 256 * KIB  # one YAML file
MAX_TOTAL_BYTES = 1024 * KIB  # all YAML files of one load together
MAX_FILE_NODES = 10_000  # YAML values (scalars, lists, mappings, keys) in one file
MAX_TOTAL_NODES = 50_000  # ... in all files of one load together
MAX_DEPTH = 50  # lists and mappings nested in each other
MAX_FILES = 300  # YAML files read in one load
MAX_ENTRIES = 20_000  # folder entries looked at in one load
MAX_PROBLEMS_PER_FILE = 50  # problems listed per file (the rest are counted)
MAX_HINTS = 500  # "did you mean ...?" suggestions worked out in one load
