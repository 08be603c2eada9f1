"""Content loading and validation: the bundled YAML, every validation rule, extra folders, CLI."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR
from bot.content import ContentError, Problem, load_library
from bot.models import Library

SOURCE_REPORT = Path("/work/shared/source/seminar-report-2016.txt")

REQUIRED_EXAMPLES = {
    "leeds-strategic-reform",
    "leeds-mst-can",
    "leeds-result-adopt",
    "birmingham-improvement-journey",
    "oxfordshire-residential-result",
    "northamptonshire-mst-fit",
    "dudley-keep",
    "nis-tend",
    "berridge-residential-result",
    "holmes-costs-value",
    "essex-manchester-sib",
    "bridges-outcomes-investment",
    "dfe-policy-landscape",
    "young-person-mst",
    "nis-draft-film",
}
REQUIRED_GLOSSARY = {
    "mst", "mst-can", "mst-fit", "result", "keep", "tend", "adopt", "tfco",
    "social-impact-bond",
}
KEY_QUESTION_IDS = ["identify-change", "scale-and-sustain", "measure-impact"]


@pytest.fixture(scope="module")
def bundled() -> Library:
    return load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR])


# --------------------------------------------------------------------------- bundled content


def test_three_key_questions_in_order(bundled: Library) -> None:
    assert list(bundled.key_questions) == KEY_QUESTION_IDS
    assert [q.number for q in bundled.key_questions.values()] == [1, 2, 3]
    assert bundled.key_questions["identify-change"].text == (
        "How do you identify what you are setting out to change?"
    )
    for question in bundled.key_questions.values():
        assert question.title and question.text.endswith("?")


def test_required_examples_present(bundled: Library) -> None:
    assert set(bundled.examples) >= REQUIRED_EXAMPLES


def test_required_glossary_present(bundled: Library) -> None:
    assert set(bundled.glossary) >= REQUIRED_GLOSSARY
    assert bundled.glossary["mst"].expansion == "Multisystemic Therapy"
    assert bundled.glossary["tfco"].expansion == "Treatment Foster Care Oregon"


def test_every_glossary_and_question_reference_exists(bundled: Library) -> None:
    for example in bundled.examples.values():
        assert set(example.programmes) <= set(bundled.glossary), example.id
        assert example.questions, f"{example.id} links no key question"
        for link in example.questions:
            assert link.question_id in bundled.key_questions
            assert link.why
        assert example.source_file.startswith("content/examples/")


def test_every_key_question_has_examples(bundled: Library) -> None:
    for qid in KEY_QUESTION_IDS:
        assert len(bundled.examples_for_question(qid)) >= 3, qid


@pytest.mark.parametrize("set_id", ["key-questions", "key-questions-group"])
def test_key_questions_prompt_set(bundled: Library, set_id: str) -> None:
    pset = bundled.prompt_sets[set_id]
    assert [p.id for p in pset.prompts] == KEY_QUESTION_IDS
    assert [p.number for p in pset.prompts] == [1, 2, 3]
    for prompt in pset.prompts:
        assert prompt.key_question == prompt.id
        # The prompt asks the panel's question, word for word.
        assert prompt.question == bundled.key_questions[prompt.id].text
        # 4 text fields and one that cites the linked examples: a form holds 5 components
        assert len(prompt.fields) == 5
        assert [f.kind for f in prompt.fields] == ["text"] * 4 + ["cite"]
        cite = prompt.cite_field
        assert cite is not None and cite.label == "Seminar examples that informed this"
        assert not cite.required and prompt.cite_limit(cite) == len(prompt.examples)
        assert any(f.required for f in prompt.fields)
        assert prompt.examples
        for link in prompt.examples:
            assert link.example_id in bundled.examples
            assert link.look_at
        assert prompt.minutes is not None and 20 <= prompt.minutes <= 30
    assert pset.minutes is not None and 75 <= pset.minutes <= 90
    assert pset.prompt_by_number(2) is pset.prompt_by_id("scale-and-sustain")


@pytest.mark.parametrize("set_id", ["key-questions", "key-questions-group"])
def test_key_question_fields_fit_the_questions(bundled: Library, set_id: str) -> None:
    """Q1 asks *how* you identify the change; Q3 asks for the steps to measure outcomes and
    value for money (required: it is half the question); short fields line up across
    groups."""
    pset = bundled.prompt_sets[set_id]
    fields = {p.id: {f.id: f for f in p.fields if not f.is_cite} for p in pset.prompts}
    assert list(fields["identify-change"]) == ["change", "for-whom", "evidence",
                                               "how-identified"]
    assert list(fields["scale-and-sustain"]) == ["intervention", "fit", "scale", "sustain"]
    assert list(fields["measure-impact"]) == ["first-outcome", "outcomes", "costs", "value"]
    assert all(f.required for p in fields.values() for f in p.values())
    assert fields["measure-impact"]["value"].required
    for short in (fields["identify-change"]["for-whom"],
                  fields["scale-and-sustain"]["intervention"],
                  fields["measure-impact"]["first-outcome"]):
        assert short.style == "short" and short.max_length <= 200
    placeholders = [f.placeholder for p in fields.values() for f in p.values()]
    assert all(placeholders) and len(set(placeholders)) == len(placeholders)


def test_group_set_declares_group_answers(bundled: Library) -> None:
    assert bundled.prompt_sets["key-questions-group"].answers == "group"
    assert bundled.prompt_sets["key-questions"].answers == "individual"
    assert bundled.prompt_sets["quick-reflection"].answers == "individual"


def test_quick_reflection_set(bundled: Library) -> None:
    pset = bundled.prompt_sets["quick-reflection"]
    assert len(pset.prompts) == 3
    assert pset.minutes == 20
    for prompt in pset.prompts:
        assert len(prompt.fields) == 1
        assert prompt.fields[0].style == "short" and prompt.fields[0].required
        assert prompt.key_question in bundled.key_questions
        # it quotes the panel's question, and links at least one example
        assert prompt.question == bundled.key_questions[prompt.key_question].text
        assert prompt.examples


def test_event_context(bundled: Library) -> None:
    assert bundled.event is not None
    assert bundled.event.when == "November 2016"
    assert {c.name for c in bundled.event.chairs} == {"Helen Jones", "David Fairhurst"}


@pytest.mark.skipif(not SOURCE_REPORT.exists(), reason="source report not available")
def test_people_and_organisations_are_from_the_source(bundled: Library) -> None:
    text = SOURCE_REPORT.read_text(encoding="utf-8")
    source = " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())
    speakers = [s for e in bundled.examples.values() for s in e.speakers]
    assert bundled.event is not None
    speakers += bundled.event.chairs
    for speaker in speakers:
        assert speaker.name in source
        if speaker.organisation:
            assert speaker.organisation in source
        if speaker.role and not speaker.role.startswith("Chair"):
            assert speaker.role in source


# --------------------------------------------------------------------------- helpers

VALID_SET: dict[str, Any] = {
    "id": "organiser-set",
    "title": "Organiser set",
    "description": "A small valid prompt set.",
    "prompts": [
        {
            "id": "first",
            "title": "First prompt",
            "question": "What is the first thing?",
            "guidance": "Take five minutes.",
            "key_question": "identify-change",
            "fields": [
                {"id": "answer", "label": "Your answer", "style": "paragraph",
                 "required": True, "max_length": 500, "placeholder": "Write here"},
            ],
            "examples": [{"example": "leeds-strategic-reform", "look_at": "The planning."}],
        }
    ],
}

# a valid chain for VALID_SET once its prompt has three fields (see _chain)
CHAIN: dict[str, Any] = {
    "min_chars": 20,
    "change": {"first": ["answer"]},
    "intervention": {"first": ["f1"]},
    "impact": {"first": [{"field": "f2", "required": True}]},
}


def _chain(**columns: Any) -> Mutation:
    """VALID_SET with fields answer, f1 and f2 (f2 optional) and CHAIN, ``columns`` changed
    (a column given as None is left out)."""

    def mutate(data: dict[str, Any]) -> None:
        data["prompts"][0]["fields"] += [_field(1), _field(2, required=False)]
        chain = {**CHAIN, **columns}
        data["chain"] = {k: v for k, v in chain.items() if v is not None}

    return mutate

VALID_EXAMPLE: dict[str, Any] = {
    "id": "organiser-example",
    "title": "An organiser's example",
    "organisation": "Somewhere Council",
    "speakers": [{"name": "A Person", "role": "Lead", "organisation": "Somewhere Council"}],
    "event": "Local workshop",
    "summary": "A short summary.",
    "programmes": ["mst"],
    "questions": [{"question": "measure-impact", "why": "Look at the measures."}],
}


class _PlainDumper(yaml.SafeDumper):
    """Writes a repeated value out in full (content files may not use anchors/aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.dump(data, Dumper=_PlainDumper,
                                                        sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def load_errors(content: list[Path], prompts: list[Path]) -> ContentError:
    with pytest.raises(ContentError) as info:
        load_library(content, prompts)
    return info.value


def problem_at(error: ContentError, key: str) -> Problem:
    matches = [p for p in error.problems if p.key == key]
    assert matches, f"no problem at {key!r} in:\n{error.report()}"
    return matches[0]


# --------------------------------------------------------------------------- prompt-set rules

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set the value at a dotted path like ``prompts.0.fields.0.label``."""
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value

    return mutate


def _delete(path: str) -> Mutation:
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in parts[:-1]:
            target = target[part]
        del target[parts[-1]]

    return mutate


def _rename(path: str, new_key: str) -> Mutation:
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in parts[:-1]:
            target = target[part]
        target[new_key] = target.pop(parts[-1])

    return mutate


def _field(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"f{i}", "label": f"Field {i}", **extra}


def _prompt(i: int) -> dict[str, Any]:
    return {"id": f"p{i}", "title": f"Prompt {i}", "question": "Q?", "guidance": "G.",
            "fields": [_field(1)]}


PROMPT_CASES = [
    ("missing-required", _delete("prompts.0.question"), "prompts[0].question",
     "required key 'question' is missing"),
    ("empty-title", _set("prompts.0.title", ""), "prompts[0].title", "must not be empty"),
    ("whitespace-guidance", _set("prompts.0.guidance", "   \n "), "prompts[0].guidance",
     "must not be empty"),
    ("null-question", _set("prompts.0.question", None), "prompts[0].question",
     "must not be empty"),
    ("number-as-text", _set("title", 2016), "title", "expected text, got the number 2016"),
    ("bool-as-text", _set("prompts.0.fields.0.required", "yes"), "prompts[0].fields[0].required",
     "expected true or false"),
    ("bool-as-int", _set("prompts.0.fields.0.max_length", True),
     "prompts[0].fields[0].max_length", "expected a whole number"),
    ("float-as-int", _set("prompts.0.fields.0.max_length", 10.5),
     "prompts[0].fields[0].max_length", "expected a whole number"),
    ("unknown-key-typo", _rename("prompts.0.fields.0.label", "lable"),
     "prompts[0].fields[0].lable", "unknown key 'lable' (did you mean 'label'?)"),
    ("unknown-top-key", _set("descripton", "x"), "descripton",
     "unknown key 'descripton' (did you mean 'description'?)"),
    ("bad-set-id", _set("id", "Organiser Set"), "id", "not a valid id"),
    ("bad-prompt-id", _set("prompts.0.id", "-leading-hyphen"), "prompts[0].id",
     "not a valid id"),
    ("long-id", _set("prompts.0.id", "a" * 51), "prompts[0].id", "not a valid id"),
    ("duplicate-prompt-id", _set("prompts", [_prompt(1), _prompt(1)]), "prompts[1].id",
     "duplicate prompt id 'p1'"),
    ("duplicate-field-id", _set("prompts.0.fields", [_field(1), _field(1)]),
     "prompts[0].fields[1].id", "duplicate field id 'f1'"),
    ("too-many-fields", _set("prompts.0.fields", [_field(i) for i in range(6)]),
     "prompts[0].fields", "has 6 fields; the limit is 5"),
    ("zero-fields", _set("prompts.0.fields", []), "prompts[0].fields",
     "needs at least 1 fields"),
    ("fields-not-a-list", _set("prompts.0.fields", "answer"), "prompts[0].fields",
     "expected a list"),
    ("long-label", _set("prompts.0.fields.0.label", "x" * 52), "prompts[0].fields[0].label",
     "label is 52 characters; the limit is 45"),
    ("max-length-too-big", _set("prompts.0.fields.0.max_length", 4001),
     "prompts[0].fields[0].max_length", "the limit is 4000"),
    ("max-length-zero", _set("prompts.0.fields.0.max_length", 0),
     "prompts[0].fields[0].max_length", "must be at least 1"),
    ("min-over-max", _set("prompts.0.fields.0.min_length", 600),
     "prompts[0].fields[0].min_length", "min_length (600) is more than max_length (500)"),
    ("long-placeholder", _set("prompts.0.fields.0.placeholder", "p" * 101),
     "prompts[0].fields[0].placeholder", "placeholder is 101 characters; the limit is 100"),
    ("bad-style", _set("prompts.0.fields.0.style", "long"), "prompts[0].fields[0].style",
     "style must be 'short' or 'paragraph'"),
    ("too-many-examples",
     _set("prompts.0.examples",
          [{"example": "leeds-strategic-reform", "look_at": "x"}] * 26),
     "prompts[0].examples", "has 26 linked examples; the limit is 25"),
    ("duplicate-example-link",
     _set("prompts.0.examples", [{"example": "dudley-keep", "look_at": "x"}] * 2),
     "prompts[0].examples[1].example", "linked twice"),
    ("unknown-example", _set("prompts.0.examples.0.example", "leeds-strategic-reform2"),
     "prompts[0].examples[0].example",
     "unknown example id 'leeds-strategic-reform2' (did you mean 'leeds-strategic-reform'?)"),
    ("unknown-key-question", _set("prompts.0.key_question", "identify-changes"),
     "prompts[0].key_question", "unknown key question id 'identify-changes'"),
    ("no-prompts", _set("prompts", []), "prompts", "needs at least 1 prompts"),
    ("too-many-prompts", _set("prompts", [_prompt(i) for i in range(26)]), "prompts",
     "has 26 prompts; the limit is 25"),
    ("long-title", _set("prompts.0.title", "t" * 201), "prompts[0].title",
     "title is 201 characters; the limit is 200"),
    ("long-question", _set("prompts.0.question", "q" * 1001), "prompts[0].question",
     "question is 1001 characters; the limit is 1000"),
    ("long-guidance", _set("prompts.0.guidance", "g" * 1001), "prompts[0].guidance",
     "guidance is 1001 characters; the limit is 1000"),
    ("long-look-at", _set("prompts.0.examples.0.look_at", "l" * 201),
     "prompts[0].examples[0].look_at", "look_at is 201 characters; the limit is 200"),
    ("prompt-not-mapping", _set("prompts.0", "just text"), "prompts[0]",
     "expected a mapping of keys, got text"),
    ("minutes-zero", _set("prompts.0.minutes", 0), "prompts[0].minutes",
     "minutes is 0; it must be at least 1"),
    ("minutes-text", _set("prompts.0.minutes", "ten"), "prompts[0].minutes",
     "expected a whole number, got text"),
    ("minutes-too-many", _set("prompts.0.minutes", 241), "prompts[0].minutes",
     "minutes is 241; the limit is 240"),
    ("bad-answer-mode", _set("answers", "groups"), "answers",
     "answers must be 'individual' or 'group', got 'groups'"),
    ("example-not-linked-to-key-question",
     _set("prompts.0.examples.0.example", "holmes-costs-value"),
     "prompts[0].examples[0].example",
     "example 'holmes-costs-value' is not linked to key question 'identify-change', so "
     "/examples would not list it for that question: link it in "
     "content/examples/research.yaml (its questions:) or remove it here"),
    # cite fields
    ("cite-with-style", _set("prompts.0.fields", [_field(1), _field(2, kind="cite",
                                                                 style="short")]),
     "prompts[0].fields[1].style", "style is for text fields; a cite field is a list"),
    ("cite-with-max-length", _set("prompts.0.fields", [_field(1), _field(2, kind="cite",
                                                                      max_length=10)]),
     "prompts[0].fields[1].max_length", "max_length is for text fields"),
    ("two-cite-fields", _set("prompts.0.fields", [_field(1), _field(2, kind="cite"),
                                                  _field(3, kind="cite")]),
     "prompts[0].fields[2].kind", "a prompt has at most one cite field"),
    ("bad-kind", _set("prompts.0.fields.0.kind", "select"), "prompts[0].fields[0].kind",
     "kind must be 'text' or 'cite', got 'select'"),
    ("max-values-on-text", _set("prompts.0.fields.0.max_values", 2),
     "prompts[0].fields[0].max_values", "max_values is for cite fields (kind: cite)"),
    ("cite-max-values-too-many", _set("prompts.0.fields", [_field(1), _field(
        2, kind="cite", max_values=26)]), "prompts[0].fields[1].max_values",
     "max_values is 26; the limit is 25"),
    ("cite-with-five-text-fields", _set("prompts.0.fields", [
        *(_field(i) for i in range(5)), _field(9, kind="cite")]), "prompts[0].fields",
     "has 6 fields; the limit is 5"),
    ("cite-without-linked-examples",
     lambda data: data["prompts"][0].pop("key_question") and data["prompts"][0].pop(
         "examples") and data["prompts"][0]["fields"].append(_field(2, kind="cite")),
     "prompts[0].fields", "field 'f2' cites examples, but this prompt has no linked "
     "examples to choose from"),
    # the chain
    ("chain-unknown-prompt", _chain(impact={"frist": ["f2"]}),
     "chain.impact.frist", "unknown prompt 'frist' in this set (did you mean 'first'?)"),
    ("chain-unknown-field", _chain(impact={"first": ["answr"]}),
     "chain.impact.first[0]", "unknown field 'answr' of prompt 'first' (did you mean "
     "'answer'?)"),
    ("chain-column-without-parts", _chain(intervention={}),
     "chain.intervention", "column 'intervention' has no parts"),
    ("chain-prompt-without-fields", _chain(intervention={"first": []}),
     "chain.intervention.first", "expected a list of field ids of prompt 'first'"),
    ("chain-column-missing", _chain(impact=None),
     "chain.impact", "required key 'impact' is missing"),
    ("chain-unknown-column", _chain(outcome={"first": ["f2"]}),
     "chain.outcome", "unknown key 'outcome'"),
    ("chain-part-twice", _chain(impact={"first": ["f2", "f2"]}),
     "chain.impact.first[1]", "field 'f2' of prompt 'first' is in the chain twice"),
    ("chain-cite-field", lambda data: _chain()(data) or data["prompts"][0]["fields"].append(
        _field(3, kind="cite")) or data["chain"].update(impact={"first": ["f3"]}),
     "chain.impact.first[0]", "field 'f3' cites examples; the chain takes text fields"),
    ("chain-min-chars-negative", _chain(min_chars=-1),
     "chain.min_chars", "min_chars is -1; it must be at least 0"),
    ("look-at-needed-without-key-question",
     lambda data: data["prompts"][0].pop("key_question")
     and data["prompts"][0]["examples"][0].pop("look_at"),
     "prompts[0].examples[0].look_at", "look_at is required here: this prompt has no "
     "key_question"),
]


def test_valid_organiser_set_loads(tmp_path: Path) -> None:
    write(tmp_path / "prompts" / "organiser.yaml", VALID_SET)
    library = load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, tmp_path / "prompts"])
    pset = library.prompt_sets["organiser-set"]
    assert pset.prompts[0].fields[0].max_length == 500
    assert pset.prompts[0].fields[0].placeholder == "Write here"
    assert pset.source_file.endswith("prompts/organiser.yaml")


def test_a_valid_chain_and_cite_field_load(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID_SET)
    _chain()(data)
    data["prompts"][0]["fields"].append({"id": "cited", "label": "Examples", "kind": "cite",
                                         "required": True, "max_values": 3})
    write(tmp_path / "prompts" / "organiser.yaml", data)
    library = load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, tmp_path / "prompts"])
    pset = library.prompt_sets["organiser-set"]
    prompt = pset.prompts[0]
    cite = prompt.cite_field
    assert cite is not None and cite.required and cite.max_values == 3
    assert prompt.cite_limit(cite) == 3 and len(prompt.examples) > 3
    assert pset.chain is not None and pset.chain.min_chars == 20
    assert [(c.id, [(p.prompt_id, p.field_id, p.required) for p in c.parts])
            for c in pset.chain.columns] == [
        ("change", [("first", "answer", True)]), ("intervention", [("first", "f1", True)]),
        ("impact", [("first", "f2", True)])]  # f2 is optional, but required in the chain


@pytest.mark.parametrize(("mutate", "key", "message"),
                         [c[1:] for c in PROMPT_CASES], ids=[c[0] for c in PROMPT_CASES])
def test_prompt_set_rule(tmp_path: Path, mutate: Mutation, key: str, message: str) -> None:
    data = copy.deepcopy(VALID_SET)
    mutate(data)
    path = write(tmp_path / "prompts" / "bad-set.yaml", data)
    error = load_errors([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, path.parent])
    problem = problem_at(error, key)
    assert message in problem.message
    assert problem.file.endswith("prompts/bad-set.yaml")
    assert problem.line is not None
    assert f"bad-set.yaml:{problem.line}: {key}: " in error.report()
    # Only the broken file is blamed.
    assert all(p.file == problem.file for p in error.problems)


# --------------------------------------------------------------------------- content rules


CONTENT_CASES = [
    ("unknown-programme", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "programmes": ["mst", "msst"]}]},
     "examples[0].programmes[1]", "unknown glossary id 'msst' (did you mean 'mst'?)"),
    ("unknown-question", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE,
                    "questions": [{"question": "measure-impacts", "why": "x"}]}]},
     "examples[0].questions[0].question", "unknown key question id 'measure-impacts'"),
    ("no-questions", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "questions": []}]},
     "examples[0].questions", "needs at least 1"),
    ("duplicate-example", "examples/x.yaml",
     {"examples": [VALID_EXAMPLE, VALID_EXAMPLE]},
     "examples[1]", "duplicate example id 'organiser-example': already defined at"),
    ("long-summary", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "summary": "s" * 1001}]},
     "examples[0].summary", "summary is 1001 characters; the limit is 1000"),
    ("long-example-title", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "title": "t" * 101}]},
     "examples[0].title", "title is 101 characters; the limit is 100"),
    ("long-why", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE,
                    "questions": [{"question": "measure-impact", "why": "w" * 201}]}]},
     "examples[0].questions[0].why", "why is 201 characters; the limit is 200"),
    ("speaker-without-name", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "speakers": [{"role": "Lead"}]}]},
     "examples[0].speakers[0].name", "required key 'name' is missing"),
    ("example-typo", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "sumary": "typo"}]},
     "examples[0].sumary", "did you mean 'summary'?"),
    ("bad-example-id", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "id": "Organiser_Example"}]},
     "examples[0].id", "not a valid id"),
    ("duplicate-glossary", "glossary.yaml",
     {"glossary": [{"id": "zz", "term": "ZZ", "expansion": "Z", "description": "D"}] * 2},
     "glossary[1]", "duplicate glossary id 'zz'"),
    ("glossary-missing-expansion", "glossary.yaml",
     {"glossary": [{"id": "zz", "term": "ZZ", "description": "D"}]},
     "glossary[0].expansion", "required key 'expansion' is missing"),
    ("key-question-number-not-int", "key-questions.yaml",
     {"questions": [{"id": "extra-q", "number": "four", "title": "T", "text": "X?"}]},
     "questions[0].number", "expected a whole number"),
    ("key-question-number-taken", "key-questions.yaml",
     {"questions": [{"id": "extra-q", "number": 7, "title": "T", "text": "X?"},
                    {"id": "extra-r", "number": 7, "title": "T", "text": "X?"}]},
     "questions[1].number", "number 7 is already used by key question 'extra-q'"),
    ("key-question-number-taken-by-bundled", "key-questions.yaml",
     {"questions": [{"id": "extra-q", "number": 2, "title": "T", "text": "X?"}]},
     "questions[0].number",
     "number 2 is already used by key question 'scale-and-sustain' at content/key-questions"),
    ("stray-file", "glosary.yaml", {"glossary": []},
     "", "unexpected file in a content folder (did you mean 'glossary.yaml'?)"),
    ("example-from-report-not-bool", "examples/x.yaml",
     {"examples": [{**VALID_EXAMPLE, "from_report": "yes"}]},
     "examples[0].from_report", "expected true or false, got text"),
    ("glossary-from-report-not-bool", "glossary.yaml",
     {"glossary": [{"id": "zz", "term": "ZZ", "expansion": "Z", "description": "D",
                    "from_report": 1}]},
     "glossary[0].from_report", "expected true or false, got the number 1"),
]


@pytest.mark.parametrize(("relpath", "data", "key", "message"),
                         [c[1:] for c in CONTENT_CASES], ids=[c[0] for c in CONTENT_CASES])
def test_content_rule(tmp_path: Path, relpath: str, data: Any, key: str, message: str) -> None:
    extra = tmp_path / "organiser-content"
    write(extra / relpath, data)
    error = load_errors([BUNDLED_CONTENT_DIR, extra], [BUNDLED_PROMPTS_DIR])
    problem = problem_at(error, key)
    assert message in problem.message
    assert problem.file.endswith(f"organiser-content/{relpath}")


# --------------------------------------------------------------------------- files and YAML


def test_line_numbers_and_report_format(tmp_path: Path) -> None:
    text = """\
id: lines
title: Lines
description: Checks line numbers.
prompts:
  - id: one
    title: One
    question: Q?
    guidance: G.
    fields:
      - id: a
        label: A
      - id: b
        label: B
      - id: c
        label: This label is far, far too long for a Discord modal!
"""
    path = write(tmp_path / "prompts" / "lines.yaml", text)
    error = load_errors([BUNDLED_CONTENT_DIR], [path.parent])
    assert len(error.problems) == 1
    assert error.report().endswith(
        "prompts/lines.yaml:15: prompts[0].fields[2].label: "
        "label is 52 characters; the limit is 45"
    )


def test_all_problems_reported_in_one_run(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID_SET)
    field = data["prompts"][0]["fields"][0]
    field["label"] = "x" * 46  # 1
    field["style"] = "huge"  # 2
    data["prompts"][0]["guidance"] = ""  # 3
    path = write(tmp_path / "p" / "three.yaml", data)
    error = load_errors([BUNDLED_CONTENT_DIR], [path.parent])
    assert len(error.problems) == 3, error.report()
    assert len(error.report().splitlines()) == 3
    lines = [p.line for p in error.problems]
    assert lines == sorted(lines)


def test_problems_across_files_are_sorted(tmp_path: Path) -> None:
    bad = copy.deepcopy(VALID_SET)
    bad["prompts"][0]["title"] = ""
    write(tmp_path / "p" / "b.yaml", {**bad, "id": "set-b"})
    write(tmp_path / "p" / "a.yaml", {**bad, "id": "set-a", "title": ""})
    error = load_errors([BUNDLED_CONTENT_DIR], [tmp_path / "p"])
    files = [p.file for p in error.problems]
    assert files == sorted(files) and len(set(files)) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"# only a comment\n", "file is empty"),
        (b"- just\n- a list\n", "expected a mapping of keys at the top level, got a list"),
        (b"just text\n", "expected a mapping of keys at the top level, got text"),
        (b"id: x\ntitle: [unclosed\n", "not valid YAML"),
        (b"id: x\n\tbad: tab\n", "not valid YAML"),
        (b"id: \xff\xfe broken\n", "not valid UTF-8"),
        (b"id: x\nid: y\n", "duplicate key 'id' (first given on line 1)"),
        (b"id: !custom x\n", "YAML tag '!custom' is not allowed"),
        (b"id: x\ntitle: &t [*t]\n", "broken.yaml:2: YAML anchor &t is not allowed"),
    ],
    ids=["empty", "comment-only", "list", "scalar", "unclosed", "tab", "latin1", "dup-key",
         "custom-tag", "recursive-alias"],
)
def test_unreadable_prompt_files(tmp_path: Path, content: bytes, message: str) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "broken.yaml").write_bytes(content)
    error = load_errors([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, folder])
    assert "broken.yaml" in error.report()
    assert message in error.report()


def test_python_tag_is_rejected_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "prompts"
    write(folder / "evil.yaml",
          f'id: evil\ntitle: !!python/object/apply:os.system ["touch {marker}"]\n')
    error = load_errors([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, folder])
    assert not marker.exists()
    problem = problem_at(error, "title")
    assert problem.file.endswith("evil.yaml")
    assert problem.line == 2
    assert "!!python/object/apply:os.system" in problem.message


def test_python_tag_in_examples_is_rejected(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    extra = tmp_path / "content"
    write(extra / "examples" / "evil.yaml",
          f'examples: !!python/object/apply:os.system ["touch {marker}"]\n')
    error = load_errors([BUNDLED_CONTENT_DIR, extra], [BUNDLED_PROMPTS_DIR])
    assert not marker.exists()
    assert "examples/evil.yaml:1:" in error.report()


def test_missing_bundled_dirs_are_named(tmp_path: Path) -> None:
    error = load_errors([tmp_path / "no-content"], [tmp_path / "no-prompts"])
    report = error.report()
    assert "no-content: content folder not found" in report
    assert "no-prompts: prompt folder not found" in report


def test_first_content_dir_needs_core_files(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    error = load_errors([folder], [BUNDLED_PROMPTS_DIR])
    assert "content/key-questions.yaml: file not found" in error.report()
    assert "content/glossary.yaml: file not found" in error.report()


def test_empty_base_prompt_dir(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    error = load_errors([BUNDLED_CONTENT_DIR], [tmp_path / "prompts"])
    assert "no prompt sets" in error.report()


# --------------------------------------------------------------------------- extra folders


def test_organiser_folders_add_to_bundled(tmp_path: Path) -> None:
    content = tmp_path / "organiser" / "content"
    prompts = tmp_path / "organiser" / "prompts"
    write(content / "glossary.yaml",
          {"glossary": [{"id": "local-term", "term": "LT", "expansion": "Local term",
                         "description": "Only here."}]})
    data = copy.deepcopy(VALID_SET)
    data["prompts"][0]["examples"].append(
        {"example": "organiser-example", "look_at": "The local example."})
    write(prompts / "local.yaml", data)
    example = {**VALID_EXAMPLE, "questions": [
        *VALID_EXAMPLE["questions"], {"question": "identify-change", "why": "Look locally."}]}
    write(content / "examples" / "local.yaml", {"examples": [example]})

    library = load_library([BUNDLED_CONTENT_DIR, content], [BUNDLED_PROMPTS_DIR, prompts])
    assert {"key-questions", "quick-reflection", "organiser-set"} <= set(library.prompt_sets)
    assert "organiser-example" in library.examples and "leeds-mst-can" in library.examples
    assert "local-term" in library.glossary and "mst" in library.glossary
    assert library.examples["organiser-example"].speakers[0].name == "A Person"
    assert library.examples["organiser-example"] in library.examples_for_question(
        "measure-impact")
    assert not library.examples["organiser-example"].from_report  # (it did not say so)
    # its card: the listed examples first, then every other example linked to its question
    links = library.prompt_sets["organiser-set"].prompts[0].examples
    linked = [link.example_id for link in links]
    assert linked[:2] == ["leeds-strategic-reform", "organiser-example"]
    assert set(linked) == {e.id for e in library.examples_for_question("identify-change")}
    assert links[1].look_at == "The local example."
    # the organiser's example shows on the bundled key-questions card too
    bundled_q1 = library.prompt_sets["key-questions"].prompt_by_id("identify-change")
    assert bundled_q1 is not None
    assert [link.look_at for link in bundled_q1.examples
            if link.example_id == "organiser-example"] == ["Look locally."]


@pytest.mark.parametrize(
    ("relpath", "data", "kind", "ident", "bundled_file"),
    [
        ("examples/clash.yaml", {"examples": [{**VALID_EXAMPLE, "id": "dudley-keep"}]},
         "example", "dudley-keep", "content/examples/workshops.yaml"),
        ("glossary.yaml",
         {"glossary": [{"id": "mst", "term": "M", "expansion": "E", "description": "D"}]},
         "glossary", "mst", "content/glossary.yaml"),
        ("key-questions.yaml",
         {"questions": [{"id": "measure-impact", "number": 9, "title": "T", "text": "X?"}]},
         "key question", "measure-impact", "content/key-questions.yaml"),
    ],
    ids=["example", "glossary", "key-question"],
)
def test_colliding_content_id_names_both_files(
    tmp_path: Path, relpath: str, data: Any, kind: str, ident: str, bundled_file: str
) -> None:
    extra = tmp_path / "organiser"
    write(extra / relpath, data)
    error = load_errors([BUNDLED_CONTENT_DIR, extra], [BUNDLED_PROMPTS_DIR])
    assert len(error.problems) == 1, error.report()
    line = error.report()
    assert f"organiser/{relpath}:" in line
    assert re.search(rf"duplicate {kind} id '{ident}': already defined at "
                     rf"{re.escape(bundled_file)}:\d+", line)


def test_colliding_prompt_set_id_names_both_files(tmp_path: Path) -> None:
    write(tmp_path / "extra" / "mine.yaml", {**copy.deepcopy(VALID_SET), "id": "key-questions"})
    error = load_errors([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR, tmp_path / "extra"])
    report = error.report()
    assert "extra/mine.yaml:1:" in report
    assert "duplicate prompt set id 'key-questions': already defined at " \
           "prompts/key-questions.yaml" in report


def test_a_card_holds_at_most_25_linked_examples(tmp_path: Path) -> None:
    """Examples linked to a key question all show on the cards of its prompts, so adding
    many can make a card overflow: the prompt is named, with the count."""
    extra = tmp_path / "organiser"
    bundled_q1 = len(load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR])
                     .examples_for_question("identify-change"))
    more = [{**VALID_EXAMPLE, "id": f"local-{i}",
             "questions": [{"question": "identify-change", "why": "Look."}]}
            for i in range(26 - bundled_q1)]
    write(extra / "examples" / "many.yaml", {"examples": more})
    error = load_errors([BUNDLED_CONTENT_DIR, extra], [BUNDLED_PROMPTS_DIR])
    message = ("26 examples are linked to key question 'identify-change' (in the examples' "
               "files and this prompt's list); a card shows at most 25")
    named = {p.file for p in error.problems
             if p.key == "prompts[0].key_question" and p.message == message}
    assert named == {"prompts/key-questions.yaml", "prompts/key-questions-group.yaml",
                     "prompts/quick-reflection.yaml"}


def test_same_folder_twice_is_loaded_once() -> None:
    library = load_library([BUNDLED_CONTENT_DIR, BUNDLED_CONTENT_DIR],
                           [BUNDLED_PROMPTS_DIR, BUNDLED_PROMPTS_DIR])
    assert len(library.prompt_sets) == 3


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("EXTRA_CONTENT_DIRS", "EXTRA_PROMPT_DIRS", "LOG_LEVEL", "SHARD_COUNT",
                 "RETENTION_DAYS", "DEV_GUILD_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is picked up


def test_cli_validate_bundled(clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "OK:" in out and "3 key questions" in out and "key-questions-group" in out


def test_cli_validate_bad_prompts(
    clean_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(VALID_SET)
    data["prompts"][0]["fields"][0]["lable"] = data["prompts"][0]["fields"][0].pop("label")
    bad_dir = tmp_path / "bad"
    write(bad_dir / "typo.yaml", data)
    assert main(["validate", "--prompts", str(bad_dir)]) == 1
    err = capsys.readouterr().err
    assert "typo.yaml" in err
    assert "prompts[0].fields[0].lable: unknown key 'lable' (did you mean 'label'?)" in err
    assert "prompts[0].fields[0].label: required key 'label' is missing" in err
    assert err.rstrip().endswith("2 problems in 1 file.")
