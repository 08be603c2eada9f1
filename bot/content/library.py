"""Folders, and the library they make: read every content and prompt folder, then check the
cross-references between them.

Layout of a *content folder*::

    key-questions.yaml   # `questions:` list (+ optional `event:` context)
    glossary.yaml        # `glossary:` list
    examples/*.yaml      # each file: `examples:` list

A *prompt folder* holds ``*.yaml`` files, one prompt set per file. The first content and
prompt folders are the base (normally the bundled ones); later folders add to them, and an
id defined twice is an error naming both files.

Folders may come from anywhere (``EXTRA_CONTENT_DIRS``, ``validate --content``): one that
cannot be read (missing, not a folder, a symbolic link loop, no permission) is a problem,
never skipped in silence, and one load reads at most the limits in
:mod:`bot.content.limits` before it stops with a problem saying so.
"""

from __future__ import annotations

import difflib
import errno
import fnmatch
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from bot.content import safe_yaml
from bot.content.build import Build, PromptPlace
from bot.content.examples import FOLDER_NAME as EXAMPLES
from bot.content.examples import load_examples
from bot.content.glossary import FILE_NAME as GLOSSARY
from bot.content.glossary import load_glossary
from bot.content.key_questions import FILE_NAME as KEY_QUESTIONS
from bot.content.key_questions import load_key_questions
from bot.content.limits import MAX_ENTRIES, MAX_FILES, MAX_LINKED_EXAMPLES
from bot.content.problems import Problem, display
from bot.content.prompt_sets import load_prompt_set
from bot.models import Example, ExampleLink, Library, Prompt

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
        close = ref.file.close_match(ref.target, table)
        hint = f" (did you mean {close!r}?)" if close else ""
        ref.file.problem(ref.path, f"unknown {ref.kind} id {ref.target!r}{hint}")


def _resolve_examples(b: Build) -> None:
    """Give each prompt with a key question every example linked to that question (its own
    list first), so that its card and ``/examples`` agree: the examples' ``questions:`` are
    the one source of truth. A prompt may not list an example its key question lacks."""
    linked: dict[str, list[Example]] = {}
    for example in b.examples.values():
        for link in example.questions:
            linked.setdefault(link.question_id, []).append(example)
    for set_id, pset in list(b.prompt_sets.items()):
        places = b.prompt_places[set_id]
        prompts = tuple(_resolved(b, prompt, places[prompt.id], linked)
                        for prompt in pset.prompts)
        b.prompt_sets[set_id] = replace(pset, prompts=prompts)


def _why(example: Example, question_id: str) -> str | None:
    return next((q.why for q in example.questions if q.question_id == question_id), None)


def _resolved(b: Build, prompt: Prompt, place: PromptPlace,
              linked: dict[str, list[Example]]) -> Prompt:
    kq = prompt.key_question
    links: list[ExampleLink] = []
    for link, path in zip(prompt.examples, place.link_paths, strict=True):
        example = b.examples.get(link.example_id)
        if example is None:
            continue  # unknown (reported already) or invalid (its file has problems)
        why = _why(example, kq) if kq else None
        if kq and why is None:
            place.file.problem((*path, "example"), (
                f"example {example.id!r} is not linked to key question {kq!r}, so /examples "
                f"would not list it for that question: link it in {example.source_file} "
                "(its questions:) or remove it here"))
            continue
        links.append(ExampleLink(example.id, link.look_at or why or ""))
    if kq:
        listed = {link.example_id for link in links}
        links += [ExampleLink(e.id, _why(e, kq) or "")
                  for e in linked.get(kq, []) if e.id not in listed]
        if len(links) > MAX_LINKED_EXAMPLES:
            place.file.problem((*place.path, "key_question"), (
                f"{len(links)} examples are linked to key question {kq!r} (in the examples' "
                f"files and this prompt's list); a card shows at most {MAX_LINKED_EXAMPLES}"))
    cite = prompt.cite_field
    if cite is not None and not links:
        place.file.problem((*place.path, "fields"), (
            f"field {cite.id!r} cites examples, but this prompt has no linked examples to "
            "choose from: give it a key_question or an examples: list, or remove the field"))
    return replace(prompt, examples=tuple(links))


def _unique_dirs(dirs: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for d in dirs:
        path = Path(d)
        try:
            key = path.resolve()
        except (OSError, RuntimeError):  # a symbolic link loop: reported when it is read
            key = path.absolute()
        if key in seen:
            log.warning("folder %s is listed twice; loading it once", path)
            continue
        seen.add(key)
        out.append(path)
    return out


_FOLDER_STATES = {
    errno.ENOENT: "not found",
    errno.ENOTDIR: "is not a folder",
    errno.ELOOP: "is a symbolic link loop",
    errno.EACCES: "cannot be read: permission denied",
    errno.EPERM: "cannot be read: permission denied",
}


def _names(b: Build, folder: Path, kind: str) -> list[str] | None:
    """The names in ``folder``, sorted, hidden ones (``.x``) left out; None, with a problem
    saying why, if it cannot be read."""
    names: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if b.budget.entries >= MAX_ENTRIES:
                    b.problems.add(Problem(display(folder), "", None, (
                        f"reading stopped in this folder: the folders hold more than "
                        f"{MAX_ENTRIES:,} files and folders, the limit for one load")))
                    b.budget.stopped = True
                    break
                b.budget.entries += 1
                if not entry.name.startswith("."):
                    names.append(entry.name)
    except OSError as exc:
        state = _FOLDER_STATES.get(exc.errno or 0, f"cannot be read: {safe_yaml.reason(exc)}")
        b.problems.add(Problem(display(folder), "", None, f"{kind} folder {state}"))
        return None
    return sorted(names)


def _load_each(b: Build, folder: Path, names: list[str],
               load: Callable[[Build, Path], None]) -> None:
    for done, name in enumerate(names):
        if b.budget.files >= MAX_FILES:
            b.problems.add(Problem(display(folder / name), "", None, (
                f"reading stopped here: the folders hold more than {MAX_FILES:,} YAML files, "
                f"the limit for one load ({len(names) - done:,} in this folder not read)")))
            b.budget.stopped = True
        if b.budget.stopped:
            return
        load(b, folder / name)


MAX_STRAYS = 10  # unexpected files listed per content folder


def _content_folder(b: Build, folder: Path, first: bool) -> None:
    names = _names(b, folder, "content")
    if names is None:
        return
    for name, load in ((KEY_QUESTIONS, load_key_questions), (GLOSSARY, load_glossary)):
        if name in names:
            _load_each(b, folder, [name], load)
        elif first:
            b.problems.add(Problem(display(folder / name), "", None,
                                   "file not found (the first content folder needs it)"))
    strays = [n for n in names
              if fnmatch.fnmatch(n, "*.y*ml") and n not in (KEY_QUESTIONS, GLOSSARY)]
    for stray in strays[:MAX_STRAYS]:
        close = difflib.get_close_matches(stray, [KEY_QUESTIONS, GLOSSARY], n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        b.problems.add(Problem(
            display(folder / stray), "", None,
            f"unexpected file in a content folder{hint}; content files are "
            f"{KEY_QUESTIONS}, {GLOSSARY} and {EXAMPLES}/*.yaml"))
    if len(strays) > MAX_STRAYS:
        b.problems.add(Problem(display(folder), "", None, (
            f"{len(strays) - MAX_STRAYS:,} more unexpected *.yaml files in this content "
            "folder")))
    if EXAMPLES not in names or b.budget.stopped:
        return
    examples_dir = folder / EXAMPLES
    example_names = _names(b, examples_dir, "examples")
    if example_names is None:
        return
    for yml in [n for n in example_names if n.endswith(".yml")][:MAX_STRAYS]:
        log.warning("ignoring %s: example files must end in .yaml", display(examples_dir / yml))
    _load_each(b, examples_dir, [n for n in example_names if n.endswith(".yaml")],
               load_examples)


def _prompt_folder(b: Build, folder: Path, first: bool) -> None:
    names = _names(b, folder, "prompt")
    if names is None:
        return
    for yml in [n for n in names if n.endswith(".yml")][:MAX_STRAYS]:
        log.warning("ignoring %s: prompt set files must end in .yaml", display(folder / yml))
    files = [n for n in names if n.endswith(".yaml")]
    if not files:
        if first:
            b.problems.add(Problem(display(folder), "", None,
                                   "no prompt sets (*.yaml files) in this folder"))
        else:
            log.warning("prompt folder %s has no *.yaml files", display(folder))
    _load_each(b, folder, files, load_prompt_set)


def load_library(content_dirs: Iterable[Path], prompt_dirs: Iterable[Path]) -> Library:
    """Load, validate and cross-check every content and prompt folder.

    Raises :class:`ContentError` listing the problems found, if there are any.
    """
    b = Build()
    contents = _unique_dirs(content_dirs)
    prompts = _unique_dirs(prompt_dirs)
    if not contents:
        b.problems.add(Problem("<content>", "", None, "no content folder given"))
    if not prompts:
        b.problems.add(Problem("<prompts>", "", None, "no prompt folder given"))
    for index, folder in enumerate(contents):
        if not b.budget.stopped:
            _content_folder(b, folder, first=index == 0)
    for index, folder in enumerate(prompts):
        if not b.budget.stopped:
            _prompt_folder(b, folder, first=index == 0)
    if not b.budget.stopped:  # (otherwise ids defined in unread files would look unknown)
        _check_refs(b)
        _resolve_examples(b)
    if b.problems:
        raise b.problems.error()
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
