"""Load and validate the content library (examples, glossary, key questions) and prompt sets.

Every problem found in a run is collected and raised together as one :class:`ContentError`,
each with its file, key path and line so a content editor can fix them all at once.

Modules: :mod:`~bot.content.safe_yaml` reads files and composes YAML within the limits of
:mod:`~bot.content.limits`; :mod:`~bot.content.yaml_file` turns one file into data with the
line of each key and its problems (:mod:`~bot.content.problems`);
:mod:`~bot.content.key_questions`, :mod:`~bot.content.glossary`,
:mod:`~bot.content.examples` and :mod:`~bot.content.prompt_sets` check one kind of file
each; :mod:`~bot.content.library` walks the folders, checks the cross-references and gives
each prompt the examples linked to its key question.
"""

from bot.content.library import load_library
from bot.content.problems import ContentError, Problem

__all__ = ["ContentError", "Problem", "load_library"]
