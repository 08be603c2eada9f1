"""Folders, and the library they make: read every content and prompt folder, then check the
cross-references between them.

Layout of a *content folder*::

    key-questions.yaml   # `questions:` list (+ optional `event:` context)
    glossary.yaml        # `glossary:` list
    examples/*.yaml      # each file: `examples:` list

A *prompt folder* holds ``*.yaml`` files, one prompt set per file. The first content and
prompt folders are the base (normally the bundled ones); later folders add to them, and an
id defined twice is an error naming both files.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from bot.content.build import Build
from bot.content.examples import FOLDER_NAME as EXAMPLES
from bot.content.examples import load_examples
from bot.content.glossary import FILE_NAME as GLOSSARY
from bot.content.glossary import load_glossary
from bot.content.key_questions import FILE_NAME as KEY_QUESTIONS
from bot.content.key_questions import load_key_questions
from bot.content.problems import ContentError, Problem, display
from bot.content.prompt_sets import load_prompt_set
from bot.models import Library

log = logging.getLogger("bot.content")


def _check_refs(b: Build) -> None:
    known = {
        "example": b.examples,
        "glossary": b.glossary,
        "key question": b.key_questions,
    }
    for ref in b.refs:
        table = known[ref.kind]
        if ref.target in table or (ref.kind, ref.target) in b.defined:
            continue  # defined (possibly invalid: that file already has a problem)
        close = difflib.get_close_matches(ref.target, list(table), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        ref.file.problem(ref.path, f"unknown {ref.kind} id {ref.target!r}{hint}")


def _unique_dirs(dirs: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        path = Path(d)
        key = path.resolve()
        if key in seen:
            log.warning("folder %s is listed twice; loading it once", path)
            continue
        seen.add(key)
        out.append(path)
    return out


def _missing_dir(path: Path, kind: str) -> Problem:
    state = "is not a folder" if path.exists() else "not found"
    return Problem(display(path), "", None, f"{kind} folder {state}")


def load_library(content_dirs: Iterable[Path], prompt_dirs: Iterable[Path]) -> Library:
    """Load, validate and cross-check every content and prompt folder.

    Raises :class:`ContentError` listing every problem found, if there are any.
    """
    b = Build()
    contents = _unique_dirs(content_dirs)
    prompts = _unique_dirs(prompt_dirs)
    if not contents:
        b.problems.append(Problem("<content>", "", None, "no content folder given"))
    if not prompts:
        b.problems.append(Problem("<prompts>", "", None, "no prompt folder given"))

    for index, folder in enumerate(contents):
        if not folder.is_dir():
            b.problems.append(_missing_dir(folder, "content"))
            continue
        for name, load in ((KEY_QUESTIONS, partial(load_key_questions, b)),
                           (GLOSSARY, partial(load_glossary, b))):
            if (folder / name).is_file():
                load(folder / name)
            elif index == 0:
                b.problems.append(Problem(display(folder / name), "", None,
                                          "file not found (the first content folder needs it)"))
        for stray in sorted(folder.glob("*.y*ml")):
            if stray.name not in (KEY_QUESTIONS, GLOSSARY):
                close = difflib.get_close_matches(stray.name, [KEY_QUESTIONS, GLOSSARY],
                                                  n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                b.problems.append(Problem(
                    display(stray), "", None,
                    f"unexpected file in a content folder{hint}; content files are "
                    f"{KEY_QUESTIONS}, {GLOSSARY} and {EXAMPLES}/*.yaml"))
        examples_dir = folder / EXAMPLES
        if examples_dir.is_dir():
            for yml in sorted(examples_dir.glob("*.yml")):
                log.warning("ignoring %s: example files must end in .yaml", display(yml))
            for path in sorted(examples_dir.glob("*.yaml")):
                load_examples(b, path)

    for index, folder in enumerate(prompts):
        if not folder.is_dir():
            b.problems.append(_missing_dir(folder, "prompt"))
            continue
        for yml in sorted(folder.glob("*.yml")):
            log.warning("ignoring %s: prompt set files must end in .yaml", display(yml))
        files = sorted(folder.glob("*.yaml"))
        if not files:
            if index == 0:
                b.problems.append(Problem(display(folder), "", None,
                                          "no prompt sets (*.yaml files) in this folder"))
            else:
                log.warning("prompt folder %s has no *.yaml files", display(folder))
        for path in files:
            load_prompt_set(b, path)

    _check_refs(b)
    if b.problems:
        raise ContentError(b.problems)
    library = Library(
        key_questions=dict(sorted(b.key_questions.items(), key=lambda kv: kv[1].number)),
        examples=b.examples,
        glossary=b.glossary,
        prompt_sets=b.prompt_sets,
        event=b.event,
    )
    log.info("loaded %d examples, %d glossary entries, %d key questions, %d prompt sets",
             len(library.examples), len(library.glossary), len(library.key_questions),
             len(library.prompt_sets))
    return library
