"""Immutable content models: seminar examples, glossary, key questions and prompt sets.

Built by :mod:`bot.content` from YAML and shared read-only by the engine, exports and the
Discord layer. No discord imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldStyle = Literal["short", "paragraph"]
FieldKind = Literal["text", "cite"]
FIELD_KINDS: tuple[FieldKind, ...] = ("text", "cite")
AnswerMode = Literal["individual", "group"]
ANSWER_MODES: tuple[AnswerMode, ...] = ("individual", "group")
# What an answer holds for one field: text, or (a ``cite`` field) the ids of the examples
# chosen. Answers are stored as JSON objects of these.
FieldValue = str | list[str]

# Discord's own limits that the content format must respect.
MAX_FIELDS = 5
MAX_LABEL = 45
MAX_ANSWER_LENGTH = 4000
MAX_LINKED_EXAMPLES = 25


@dataclass(frozen=True, slots=True)
class KeyQuestion:
    """One of the questions a workshop is built around (e.g. the 2016 panels' three)."""

    id: str
    number: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Speaker:
    name: str
    role: str | None = None
    organisation: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionLink:
    """Which key question an example illuminates, and one line on why."""

    question_id: str
    why: str


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    title: str
    organisation: str
    speakers: tuple[Speaker, ...]
    event: str
    summary: str
    programmes: tuple[str, ...]
    questions: tuple[QuestionLink, ...]
    source_file: str = ""
    source_note: str = ""  # provenance / caveats: what the source does not say (shown)
    # True when the summary, people, organisation and event are taken from the seminar
    # report; False for anything added from elsewhere (e.g. an organiser's own examples).
    from_report: bool = False


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    id: str
    term: str
    expansion: str
    description: str
    source_note: str = ""  # where the expansion comes from, or how the report differs (shown)
    # True only when the expansion and description are taken from the seminar report; the
    # bundled entries are all context added from elsewhere (False), and cards say so.
    from_report: bool = False


@dataclass(frozen=True, slots=True)
class AnswerField:
    """One part of an answer form. ``kind: text`` is a text box (``style``, ``max_length``,
    ``min_length``); ``kind: cite`` is a multi-select of the prompt's linked examples, whose
    value is the list of example ids chosen (at most ``max_values``; None: any number of
    them)."""

    id: str
    label: str
    style: FieldStyle = "paragraph"
    required: bool = True
    max_length: int = 1000
    min_length: int = 0
    placeholder: str | None = None
    kind: FieldKind = "text"
    max_values: int | None = None  # cite fields only

    @property
    def is_cite(self) -> bool:
        return self.kind == "cite"


@dataclass(frozen=True, slots=True)
class ExampleLink:
    """An example shown on a prompt's card, and what to look at in it. For a prompt with a
    key question, ``look_at`` defaults to the example's own ``why`` for that question."""

    example_id: str
    look_at: str


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    number: int  # 1-based position in its set
    title: str
    question: str
    guidance: str
    fields: tuple[AnswerField, ...]
    # For a prompt with a key question: every example linked to that question (in the
    # examples' files), the prompt's own list first. Otherwise: the prompt's own list.
    examples: tuple[ExampleLink, ...] = ()
    key_question: str | None = None
    minutes: int | None = None  # suggested time for this prompt, shown on its card

    def field_by_id(self, field_id: str) -> AnswerField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    @property
    def cite_field(self) -> AnswerField | None:
        """The field that cites linked examples (a prompt has at most one), if any."""
        return next((f for f in self.fields if f.is_cite), None)

    @property
    def example_ids(self) -> tuple[str, ...]:
        return tuple(link.example_id for link in self.examples)

    def cite_limit(self, answer_field: AnswerField) -> int:
        """How many examples ``answer_field`` (a cite field of this prompt) lets a person
        choose: its ``max_values``, within the examples linked and a select's 25."""
        linked = min(len(self.examples), MAX_LINKED_EXAMPLES)
        return min(answer_field.max_values or linked, linked)


# The three links of the seminar's chain: what you set out to change (question 1), the
# intervention that affects it at a scale that lasts (2), how you measure its impact and
# value for money (3). A prompt set's ``chain:`` maps each to prompt fields.
CHAIN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("change", "Change and for whom"),
    ("intervention", "Intervention, scale and sustainability"),
    ("impact", "Outcomes, costs and value for money"),
)


@dataclass(frozen=True, slots=True)
class ChainPart:
    """One text field of one prompt that feeds a column of the chain."""

    prompt_id: str
    field_id: str
    required: bool  # an empty value is a gap (default: the field's own ``required``)


@dataclass(frozen=True, slots=True)
class ChainColumn:
    id: str  # one of CHAIN_COLUMNS
    title: str
    parts: tuple[ChainPart, ...]

    @property
    def prompt_ids(self) -> tuple[str, ...]:
        """The prompts this column links to, in order (each is one link of the chain)."""
        return tuple(dict.fromkeys(p.prompt_id for p in self.parts))


@dataclass(frozen=True, slots=True)
class Chain:
    """A prompt set's theory-of-change chain: three columns, each fed by prompt fields.
    ``min_chars``: a link whose answer (its parts in the chain, together) is shorter than
    this is too short to use (0: no such check)."""

    columns: tuple[ChainColumn, ...]
    min_chars: int = 0

    @property
    def prompt_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(pid for c in self.columns for pid in c.prompt_ids))


@dataclass(frozen=True, slots=True)
class PromptSet:
    id: str
    title: str
    description: str
    prompts: tuple[Prompt, ...]
    source_file: str = ""
    answers: AnswerMode = "individual"  # default answer mode for sessions of this set
    chain: Chain | None = None  # the theory-of-change chain its answers make, if declared

    @property
    def minutes(self) -> int | None:
        """The suggested minutes of all prompts together (None if a prompt has none)."""
        if any(p.minutes is None for p in self.prompts):
            return None
        return sum(p.minutes or 0 for p in self.prompts)

    def prompt_by_id(self, prompt_id: str) -> Prompt | None:
        return next((p for p in self.prompts if p.id == prompt_id), None)

    def prompt_by_number(self, number: int) -> Prompt | None:
        if 1 <= number <= len(self.prompts):
            return self.prompts[number - 1]
        return None


@dataclass(frozen=True, slots=True)
class EventContext:
    """Optional context for the source event (``event:`` in ``key-questions.yaml``)."""

    title: str
    organiser: str = ""
    when: str = ""
    hosts: tuple[str, ...] = ()
    chairs: tuple[Speaker, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class Library:
    """Everything loaded from the content and prompt folders, validated and cross-checked."""

    key_questions: dict[str, KeyQuestion] = field(default_factory=dict)
    examples: dict[str, Example] = field(default_factory=dict)
    glossary: dict[str, GlossaryEntry] = field(default_factory=dict)
    prompt_sets: dict[str, PromptSet] = field(default_factory=dict)
    event: EventContext | None = None

    def examples_for_question(self, question_id: str) -> list[Example]:
        return [e for e in self.examples.values()
                if any(q.question_id == question_id for q in e.questions)]
