"""From answers to a synthesis: the theory-of-change chain and the seminar examples that
answers cite. No discord imports: ``/session chain``, the digests and every export use it.

**The chain.** A prompt set's ``chain:`` (:class:`bot.models.Chain`) maps the seminar's three
questions, as three columns (change and for whom; intervention, scale and sustainability;
outcomes, costs and value for money), to text fields of its prompts. One row of the chain is
made from one set of answers: a group's agreed answers (group mode) or one participant's
(individual mode). Each column *links* to the prompts whose fields feed it, and every link is
checked; a gap is flagged, never hidden:

* ``no-answer``: the prompt of a link has no answer;
* ``empty``: a part that the chain requires (by default: the field is required) is empty;
* ``too-short``: the link's parts hold some text, but fewer characters together than the
  set's ``min_chars``, too little to use;
* ``no-citation``: the prompt has a cite field and the answer cites no seminar example.

**Citations.** A cite field stores the ids of the examples chosen; :class:`CitationTally`
counts, per prompt, how many answers cite each linked example, and which were never cited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.models import ChainColumn, Prompt, PromptSet

GapKind = Literal["no-answer", "empty", "too-short", "no-citation"]
GAP_KINDS: tuple[GapKind, ...] = ("no-answer", "empty", "too-short", "no-citation")
# Shown before every gap, so gaps are visible without colour (screen readers, print, a
# spreadsheet without its highlighting).
GAP_MARK = "⚠"


@dataclass(frozen=True, slots=True)
class Gap:
    kind: GapKind
    column: str  # the chain column's id
    prompt_id: str
    prompt_number: int
    text: str  # plain text, e.g. "No answer to prompt 2 (Scale and sustainability)"


@dataclass(frozen=True, slots=True)
class PartValue:
    """One part of a chain cell: a field's label and what the answer says (may be empty)."""

    prompt_id: str
    field_id: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class ChainCell:
    """One column of one row: its parts' text, the examples its links cite, its gaps."""

    column: ChainColumn
    parts: tuple[PartValue, ...]
    cited: tuple[str, ...]  # example ids, in the order of the prompts' examples
    gaps: tuple[Gap, ...]

    @property
    def filled(self) -> tuple[PartValue, ...]:
        return tuple(p for p in self.parts if p.text.strip())

    def text(self, sep: str = "\n") -> str:
        """``Label: text`` for every part with text, one a line (plain text)."""
        return sep.join(f"{p.label}: {p.text.strip()}" for p in self.filled)

    def gap_text(self, sep: str = "\n") -> str:
        """Every gap of the cell, marked (plain text); empty when there is none."""
        return sep.join(f"{GAP_MARK} {g.text}" for g in self.gaps)


@dataclass(frozen=True, slots=True)
class ChainRow:
    """The chain as one group (or one participant) made it."""

    label: str  # the group's name, or the participant's name or pseudonym
    cells: tuple[ChainCell, ...]

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return tuple(g for c in self.cells for g in c.gaps)

    @property
    def complete(self) -> bool:
        return not self.gaps


def cited_ids(value: Any) -> list[str]:
    """The example ids a stored cite value holds (anything else stored there: none)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _prompt_label(prompt: Prompt) -> str:
    return f"prompt {prompt.number} ({prompt.title})"


@dataclass(frozen=True, slots=True)
class _Link:
    """One link of a column, worked out once per chain: its prompt, its parts (field id,
    label, required) and its cite field's id."""

    prompt_id: str
    number: int
    name: str  # "prompt 2 (Scale and sustainability)"
    parts: tuple[tuple[str, str, bool], ...]
    cite_id: str | None


ChainShape = tuple[tuple[ChainColumn, tuple[_Link, ...]], ...]


def chain_shape(pset: PromptSet) -> ChainShape:
    """What :func:`chain_row` needs to know of ``pset``'s chain, looked up once (a writer
    makes a row for every group and participant)."""
    chain = pset.chain
    if chain is None:
        raise ValueError(f"prompt set {pset.id!r} declares no chain")
    shape = []
    for column in chain.columns:
        links = []
        for pid in column.prompt_ids:
            prompt = pset.prompt_by_id(pid)
            if prompt is None:  # (the validator makes this impossible)
                continue
            cite = prompt.cite_field
            links.append(_Link(pid, prompt.number, _prompt_label(prompt), tuple(
                (p.field_id, _label(prompt, p.field_id), p.required)
                for p in column.parts if p.prompt_id == pid), cite.id if cite else None))
        shape.append((column, tuple(links)))
    return tuple(shape)


def chain_row(pset: PromptSet, label: str, answers: Mapping[str, Mapping[str, Any]],
              shape: ChainShape | None = None) -> ChainRow:
    """One row of ``pset``'s chain from ``answers`` (prompt id -> the answer's fields; a
    prompt left out has no answer). ``pset`` must declare a chain; ``shape``: its
    :func:`chain_shape`, when the caller has it already."""
    min_chars = pset.chain.min_chars if pset.chain else 0
    cells = []
    for column, links in shape or chain_shape(pset):
        parts: list[PartValue] = []
        gaps: list[Gap] = []
        cited: list[str] = []
        for link in links:
            pid = link.prompt_id
            fields = answers.get(pid)
            if fields is None:
                gaps.append(Gap("no-answer", column.id, pid, link.number,
                                f"No answer to {link.name}"))
                parts += [PartValue(pid, fid, flabel, "") for fid, flabel, _ in link.parts]
                continue
            length = 0
            empty = False
            for fid, flabel, required in link.parts:
                value = fields.get(fid)
                text = value if isinstance(value, str) else ""
                parts.append(PartValue(pid, fid, flabel, text))
                size = len(text.strip())
                length += size
                if required and not size:
                    empty = True
                    gaps.append(Gap("empty", column.id, pid, link.number,
                                    f"'{flabel}' is empty ({link.name})"))
            if 0 < length < min_chars and not empty:
                gaps.append(Gap("too-short", column.id, pid, link.number,
                                f"Too short to use: {length} characters for {link.name} "
                                f"(at least {min_chars})"))
            if link.cite_id is not None:
                ids = cited_ids(fields.get(link.cite_id))
                cited += [e for e in ids if e not in cited]
                if not ids:
                    gaps.append(Gap("no-citation", column.id, pid, link.number,
                                    f"No seminar example cited for {link.name}"))
        cells.append(ChainCell(column, tuple(parts), tuple(cited), tuple(gaps)))
    return ChainRow(label, tuple(cells))


def _label(prompt: Prompt, field_id: str) -> str:
    f = prompt.field_by_id(field_id)
    return f.label if f else field_id


# --- many rows at once (exports) ------------------------------------------------------------


@dataclass(slots=True)
class ChainRows:
    """Collects the answers of chained prompts, one row per key (a group, or a participant
    of a group), and makes the rows once every answer has been added. Only the fields the
    chain uses (and the cite fields) are kept."""

    pset: PromptSet
    _answers: dict[Any, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _labels: dict[Any, str] = field(default_factory=dict)
    _keep: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _shape: ChainShape = ()

    def __post_init__(self) -> None:
        chain = self.pset.chain
        assert chain is not None
        self._shape = chain_shape(self.pset)
        for pid in chain.prompt_ids:
            prompt = self.pset.prompt_by_id(pid)
            cite = prompt.cite_field if prompt else None
            kept = [p.field_id for c in chain.columns for p in c.parts if p.prompt_id == pid]
            self._keep[pid] = tuple(kept + ([cite.id] if cite else []))

    def wants(self, prompt_id: str) -> bool:
        """Is ``prompt_id`` one of the chain's prompts?"""
        return prompt_id in self._keep

    def add(self, key: Any, label: str, prompt_id: str, fields: Mapping[str, Any]) -> None:
        """One answer of ``key`` (answers to prompts outside the chain are left out)."""
        keep = self._keep.get(prompt_id)
        if keep is None:
            return
        self._labels.setdefault(key, label)
        self._answers.setdefault(key, {})[prompt_id] = {k: fields[k] for k in keep
                                                        if k in fields}

    def keys_added(self) -> list[Any]:
        """The keys, in the order they were first added."""
        return list(self._answers)

    def row(self, key: Any) -> ChainRow:
        """The row of ``key`` (made when asked for: a writer that writes each row as it gets
        it never holds them all)."""
        return chain_row(self.pset, self._labels[key], self._answers[key], self._shape)


# --- citations ----------------------------------------------------------------------------------


@dataclass(slots=True)
class CitationTally:
    """How the answers to one prompt cite its linked examples."""

    linked: tuple[str, ...]  # the prompt's linked example ids, in its order
    counts: dict[str, int] = field(default_factory=dict)  # example id -> answers citing it
    answers: int = 0  # answers counted
    citing: int = 0  # ... of which cite at least one example

    def add(self, ids: Iterable[str], answers: int = 1) -> None:
        """Count ``answers`` answers that each cite ``ids``."""
        self.answers += answers
        any_cited = False
        for eid in dict.fromkeys(ids):
            self.counts[eid] = self.counts.get(eid, 0) + answers
            any_cited = True
        if any_cited:
            self.citing += answers

    def most_cited(self) -> list[tuple[str, int]]:
        """(example id, answers citing it), most cited first (then in the prompt's order)."""
        order = {eid: i for i, eid in enumerate(self.linked)}
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], 10**6)))

    def never_cited(self) -> list[str]:
        """Linked examples no answer cites."""
        return [eid for eid in self.linked if not self.counts.get(eid)]
