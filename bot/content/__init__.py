"""Load and validate the content library (examples, glossary, key questions) and prompt sets.

Every problem found in a run is collected and raised together as one :class:`ContentError`,
each with its file, key path and line so a content editor can fix them all at once.

Modules: :mod:`~bot.content.yaml_file` reads one file safely; :mod:`~bot.content.key_questions`,
:mod:`~bot.content.glossary`, :mod:`~bot.content.examples` and :mod:`~bot.content.prompt_sets`
check one kind of file each; :mod:`~bot.content.library` walks the folders and checks the
cross-references.
"""

from bot.content.library import load_library
from bot.content.problems import ContentError, Problem

__all__ = ["ContentError", "Problem", "load_library"]
