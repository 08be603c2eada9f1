"""Property-based tests of the content loader: whatever YAML an organiser writes (arbitrary
text, arbitrary structures, mutations of a valid prompt set), loading gives either a valid
library or a :class:`ContentError` whose problems name the broken file and a key, never
another exception, and YAML tags never run anything."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR
from bot.content import ContentError, load_library
from bot.models import Library

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Where a fuzzed document is placed: every kind of file the loader reads.
ROLES = {
    "prompt set": "prompts/fuzz-set.yaml",
    "examples": "content/examples/fuzz-examples.yaml",
    "glossary": "content/glossary.yaml",
    "key questions": "content/key-questions.yaml",
}
MARKER = "MARKER"  # replaced by a path that a successful exploit would create

# Keys of every schema, so generated mappings reach deep into validation.
KEYS = [
    "id", "title", "description", "prompts", "fields", "label", "style", "required",
    "max_length", "min_length", "placeholder", "examples", "example", "look_at",
    "key_question", "question", "guidance", "glossary", "term", "expansion", "source_note",
    "questions", "number", "text", "event", "organiser", "when", "hosts", "chairs", "source",
    "name", "role", "organisation", "speakers", "summary", "programmes", "why", "<<",
]

scalars = (
    st.none() | st.booleans() | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
    | st.sampled_from(["key-questions", "identify-change", "mst", "leeds-mst-can", "short",
                       "paragraph", "", " ", "x" * 4001, "Bad Id!", "2016-11-01"])
    | st.dates() | st.datetimes() | st.binary(max_size=12)
)
structures = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6) | st.integers(0, 3),
                          children, max_size=6)
    ),
    max_leaves=30,
)
top_level = st.dictionaries(st.sampled_from(KEYS), structures, max_size=6) | structures

# YAML-ish text: fragments with meaning to YAML, including every kind of tag.
TOKENS = [
    "id: ", "title: ", "prompts:", "fields:", "examples:", "glossary:", "questions:", "\n",
    "  ", "- ", ": ", "? ", "{", "}", "[", "]", ", ", "|\n", ">-\n", "'", '"', "#", "&a ",
    "*a", "<<: ", "---\n", "...\n", "%YAML 1.1\n", "%TAG !p! tag:yaml.org,2002:python/\n",
    f'!!python/object/apply:os.system ["touch {MARKER}"]', "!!python/name:os.system",
    f"!p!object/apply:os.system [touch {MARKER}]", "!!python/object:os.stat_result {}",
    "!foo ", "!<tag:example.com,2000:x> ", "!!binary ", "aGVsbG8=", "!!timestamp ",
    "!!int ", "!!float ", "!!bool ", "!!set ", "!!omap ", "!!pairs ", "!!str ", "!!map ",
    "!!seq ", "!!null ", "2016-13-45", "2016-02-30", "2016-11-01 10:00:00", "0x1F", "1:20",
    ".nan", "~", "\t", "\x00", "\x07", "\ufeff", "\x85", "\u2028", "é", "👩🏽‍⚕️", "x" * 50,
]
yaml_text = st.lists(
    st.sampled_from(TOKENS) | st.text(alphabet=":-[]{}!&*#|>'\"%@`?, \nabcxyz019", max_size=6),
    max_size=40,
).map("".join)


def dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


def check_load(documents: dict[str, str | bytes]) -> Library | ContentError:
    """Write each document to its role's place, load bundled + these, check the outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        marker = root / "pwned"
        (root / "prompts").mkdir()
        (root / "content" / "examples").mkdir(parents=True)
        written = set()
        for role, doc in documents.items():
            path = root / ROLES[role]
            if isinstance(doc, str):
                path.write_text(doc.replace(MARKER, str(marker)), encoding="utf-8")
            else:
                path.write_bytes(doc)
            written.add(path.resolve())
        try:
            result: Library | ContentError = load_library(
                [BUNDLED_CONTENT_DIR, root / "content"], [BUNDLED_PROMPTS_DIR, root / "prompts"])
        except ContentError as exc:
            result = exc
            assert exc.problems
            for problem in exc.problems:
                # names the (fuzzed) file it is about, a key path, and a readable message
                assert Path(problem.file).resolve() in written, str(problem)
                assert isinstance(problem.key, str) and isinstance(problem.message, str)
                assert problem.message.strip()
                assert problem.line is None or problem.line >= 1
                assert str(problem).startswith(problem.file)
                assert str(problem) in exc.report()
        assert not marker.exists(), "a YAML tag ran a command"
        return result


roles = st.sets(st.sampled_from(sorted(ROLES)), min_size=1)


@FUZZ
@given(text=yaml_text, where=roles)
def test_any_yaml_text_loads_or_is_reported(text: str, where: set[str]) -> None:
    check_load(dict.fromkeys(where, text))


@FUZZ
@given(data=top_level, where=roles)
def test_any_yaml_structure_loads_or_is_reported(data: Any, where: set[str]) -> None:
    check_load(dict.fromkeys(where, dump(data)))


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200), where=roles)
def test_any_bytes_load_or_are_reported(raw: bytes, where: set[str]) -> None:
    check_load(dict.fromkeys(where, raw))


VALID_SET = yaml.safe_load((BUNDLED_PROMPTS_DIR / "key-questions.yaml").read_text("utf-8"))
VALID_SET["id"] = "fuzz-set"


@st.composite
def mutated_prompt_set(draw: st.DrawFn) -> Any:
    """The bundled prompt set with a few values replaced, keys dropped or added."""
    doc = copy.deepcopy(VALID_SET)
    for _ in range(draw(st.integers(1, 4))):
        node: Any = doc
        while True:
            if isinstance(node, dict) and node:
                key = draw(st.sampled_from(sorted(node, key=str)))
                action = draw(st.sampled_from(["descend", "descend", "replace", "drop", "add"]))
                if action == "descend" and isinstance(node[key], dict | list) and node[key]:
                    node = node[key]
                    continue
                if action == "drop":
                    del node[key]
                elif action == "add":
                    node[draw(st.sampled_from(KEYS))] = draw(structures)
                else:
                    node[key] = draw(structures)
            elif isinstance(node, list) and node:
                index = draw(st.integers(0, len(node) - 1))
                action = draw(st.sampled_from(["descend", "descend", "replace", "dup"]))
                if action == "descend" and isinstance(node[index], dict | list) and node[index]:
                    node = node[index]
                    continue
                if action == "dup":
                    node.append(copy.deepcopy(node[index]))
                else:
                    node[index] = draw(structures)
            break
    return doc


@FUZZ
@given(doc=mutated_prompt_set())
def test_mutated_prompt_sets_load_or_are_reported(doc: Any) -> None:
    outcome = check_load({"prompt set": dump(doc)})
    if isinstance(outcome, Library):  # a harmless mutation: the set is there, as written
        (loaded,) = [s for s in outcome.prompt_sets.values()
                     if s.source_file.endswith("fuzz-set.yaml")]
        assert loaded.id == doc["id"]


def test_the_unmutated_prompt_set_is_valid() -> None:
    """The mutation test starts from valid content (so it explores near-valid files)."""
    library = check_load({"prompt set": dump(VALID_SET)})
    assert isinstance(library, Library)
    assert len(library.prompt_sets["fuzz-set"].prompts) == len(VALID_SET["prompts"])


# --------------------------------------------------------------------------- explicit cases


def problems_of(role: str, text: str) -> list[str]:
    outcome = check_load({role: text})
    assert isinstance(outcome, ContentError), f"{text!r} should not load"
    return [str(p) for p in outcome.problems]


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("text", [
    f'id: !!python/object/apply:os.system ["touch {MARKER}"]\n',
    f'!!python/object/apply:os.system ["touch {MARKER}"]\n',
    "id: !!python/name:os.system\n",
    f"%TAG !p! tag:yaml.org,2002:python/\n---\nid: !p!object/apply:os.system [touch {MARKER}]\n",
    f"id: !<tag:yaml.org,2002:python/object/apply:os.system> [touch {MARKER}]\n",
    "id: !foo bar\n",
    f"- &a !!python/object/apply:os.system [touch {MARKER}]\n- *a\n",
])
def test_unsafe_tags_are_rejected_and_run_nothing(role: str, text: str) -> None:
    problems = problems_of(role, text)
    assert any("is not allowed" in p for p in problems), problems


def test_binary_is_a_plain_value_and_reported_as_not_text() -> None:
    """``!!binary`` is one of YAML's safe types (bytes): allowed by the parser, but never
    where text is expected, and it runs nothing."""
    problems = problems_of("glossary", "glossary:\n  - id: !!binary aGVsbG8=\n"
                                       "    term: T\n    expansion: E\n    description: D\n")
    assert any("glossary[0].id: expected text" in p for p in problems), problems


# Regression cases found by the fuzzing: each used to escape as a non-ContentError exception.
@pytest.mark.parametrize(("text", "key", "message"), [
    ("id: x\ntitle: 2016-13-45\n", "title", "cannot be read as a date or time"),  # ValueError
    ("id: 2016-02-30\n", "id", "cannot be read as a date or time"),  # ValueError
    ("id: !!timestamp soon\n", "id", "cannot be read as a date or time"),  # AttributeError
    ("id: !!int ten\n", "id", "cannot be read as a whole number"),  # ValueError
    ("id: !!float ten\n", "id", "cannot be read as a number"),  # ValueError
    ("id: !!bool maybe\n", "id", "cannot be read as true or false"),  # KeyError
    ("? !!bool maybe\n: x\n", "", "cannot be read as true or false"),  # a key: KeyError
    ("? !!int\n: x\n", "", "cannot be read as a whole number"),  # a key: IndexError
    ("id: x\x00\n", "", "U+0000 is not allowed"),  # ReaderError raised outside the try
    ("[" * 3000, "", "nested too deeply"),  # RecursionError
    ("a: " + "{b: " * 3000, "", "nested too deeply"),  # RecursionError
])
def test_values_yaml_cannot_construct_are_reported(text: str, key: str, message: str) -> None:
    problems = problems_of("prompt set", text)
    assert any(message in p and (f": {key}: " in p if key else True) for p in problems), problems
