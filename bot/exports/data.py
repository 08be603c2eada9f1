"""Reading what to export from one database snapshot (:class:`bot.storage.Snapshot`, which
owns the SQL and applies anonymity).

:func:`build_plan` runs on the event loop (a few small queries through the snapshot) and
describes the export: workshop, sessions (groups), prompts in order, counts.
:class:`AnswerSource` then streams the answers in chunks to a writer running in a worker
thread. The writer's thread fetches each chunk itself, synchronously, from the snapshot's
connection (:meth:`bot.storage.Snapshot.answer_chunks`) when it needs it, so neither the file
writing nor the fetching blocks the loop, and every row comes from the same consistent view
(the same read transaction) as the counts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import chain
from typing import Any, NamedTuple

import orjson

from bot.exports.common import ExportError, ExportScope
from bot.models import Library, Prompt, PromptSet
from bot.storage import Scope, Snapshot
from bot.synthesis import CitationTally

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
NO_FIELDS: dict[str, Any] = {}


class ExportCancelled(Exception):
    """The export was abandoned (the awaiting task was cancelled or failed)."""


@dataclass(frozen=True, slots=True)
class FieldInfo:
    id: str
    label: str
    style: str = "paragraph"
    required: bool = False
    max_length: int | None = None
    kind: str = "text"  # or "cite": the ids of the linked examples chosen


@dataclass(frozen=True, slots=True)
class ExampleInfo:
    id: str
    title: str
    look_at: str


@dataclass(frozen=True, slots=True)
class PromptInfo:
    """One prompt of one prompt set, as the export shows it."""

    index: int  # position in ExportPlan.prompts
    set_id: str
    id: str
    number: int | None  # None when the prompt is no longer in the loaded library
    title: str
    question: str
    fields: tuple[FieldInfo, ...]
    examples: tuple[ExampleInfo, ...]
    in_library: bool
    field_ids: frozenset[str] = frozenset()
    # The prompt's cite field (not among ``fields``, which are its text fields: exports
    # show citations in a place of their own).
    cite: FieldInfo | None = None
    # example id -> title, of the linked examples (made once: looked up for every citation)
    titles: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        """``"3"``, or the prompt id when the prompt is not in the loaded library."""
        return str(self.number) if self.number is not None else self.id

    def example_title(self, example_id: str) -> str:
        """A linked example's title (an example no longer linked: its id)."""
        return self.titles.get(example_id, example_id)


@dataclass(frozen=True, slots=True)
class PromptSetInfo:
    id: str
    title: str
    in_library: bool


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    workshop_id: int
    group: str
    prompt_set: str
    status: str
    anonymous: bool
    pace: str
    current_prompt: int
    prompt_count: int
    created_at: str
    closed_at: str | None
    participants: int
    answer_mode: str = "individual"  # "group": one agreed answer per prompt

    @property
    def group_mode(self) -> bool:
        return self.answer_mode == "group"


GROUP_ANSWER = "Group answer"  # who a group answer is shown as (its contributors apart)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One saved version of a group answer: who (display name or pseudonym), when, what."""

    number: int
    participant: str
    fields: dict[str, Any]
    saved_at: str


@dataclass(frozen=True, slots=True)
class CommentInfo:
    """A comment another group left on an answer (gallery walks and votes), anonymised as
    the commenter's group is: ``by`` is their display name in a named group, their pseudonym
    in an anonymous one (or empty), and ``at`` is cut to the minute unless the group is
    named."""

    from_group: str | None  # None: the commenter's session no longer exists
    by: str
    text: str
    at: str

    def line(self) -> str:
        """``From group-b (P03): text`` (one comment as one piece of text)."""
        source = self.from_group or "a group no longer in the workshop"
        return f"From {source}{f' ({self.by})' if self.by else ''}: {self.text}"


@dataclass(frozen=True, slots=True)
class VoteInfo:
    """A closed dot-vote on one prompt of the workshop."""

    prompt_id: str
    dots_per_person: int
    opened_at: str
    closed_at: str
    dots: int
    voters: int


class AnswerRecord(NamedTuple):
    """One person's answer to one prompt (a named tuple: cheap to make by the hundred
    thousand)."""

    session: SessionInfo
    prompt: PromptInfo
    participant: str  # pseudonym (anonymous sessions) or the display name given at answer time
    user_id: int | None  # only for named sessions
    fields: dict[str, Any]
    submitted_at: str
    updated_at: str
    # the stored JSON text of ``fields``, when the source was asked not to parse it (then
    # ``fields`` is empty)
    raw_fields: str | None = None
    answer_id: int = 0
    dots: int = 0  # in closed votes
    comments: tuple[CommentInfo, ...] = ()
    # group answers: who wrote a version (first to last contribution), how many versions,
    # and every version (the JSON export carries the history)
    contributors: tuple[str, ...] = ()
    versions: int = 0
    history: tuple[VersionInfo, ...] = ()

    def field_values(self) -> list[tuple[FieldInfo, str]]:
        """The prompt's text fields in order, then any stored field the prompt no longer
        has (its citations apart: see :meth:`cited`)."""
        values = self.fields
        prompt = self.prompt
        out = [(f, as_text(values.get(f.id, ""))) for f in prompt.fields]
        cite = prompt.cite.id if prompt.cite else None
        if len(values) > len(out) + (cite in values) or not prompt.field_ids.issuperset(
                k for k in values if k != cite):
            for key, value in values.items():
                if key not in prompt.field_ids and key != cite:
                    out.append((FieldInfo(key, key), as_text(value)))
        return out

    def cited(self) -> list[str]:
        """The ids of the examples this answer cites (none when the prompt has no cite
        field)."""
        cite = self.prompt.cite
        if cite is None:
            return []
        value = self.fields.get(cite.id)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def cited_titles(self) -> list[str]:
        return [self.prompt.example_title(e) for e in self.cited()]


def as_text(value: Any) -> str:
    """A stored field value as text: a list (citations, in a field the prompt no longer has
    as a cite field) as its items joined by ``; ``."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


@dataclass(slots=True)
class ExportPlan:
    guild_id: int
    scope: ExportScope
    workshop_id: int
    workshop: str
    exported_at: datetime
    sessions: tuple[SessionInfo, ...]
    prompt_sets: tuple[PromptSetInfo, ...]
    prompts: tuple[PromptInfo, ...]
    counts: dict[tuple[int, int], int]  # answers per (prompt index, session id)
    where: Scope  # the sessions covered, for the snapshot's queries
    stored_fields: dict[int, tuple[str, ...]] = field(default_factory=dict)
    dots: dict[int, int] = field(default_factory=dict)  # per answer id, in closed votes
    comments: dict[int, tuple[CommentInfo, ...]] = field(default_factory=dict)  # per answer
    votes: tuple[VoteInfo, ...] = ()  # closed votes of the workshop
    history: dict[int, tuple[VersionInfo, ...]] = field(default_factory=dict)  # group answers
    # the prompt sets of the plan that declare a theory-of-change chain, by id
    chains: dict[str, PromptSet] = field(default_factory=dict)
    # per prompt index with a cite field: how its answers cite its linked examples
    citations: dict[int, CitationTally] = field(default_factory=dict)
    # False: the tallies are empty and the writer counts them as the answers stream past
    # (the HTML report does: one pass instead of a second one over every answer in SQLite)
    citations_counted: bool = True

    def voted(self, prompt: PromptInfo) -> bool:
        """Was a (closed) vote held on this prompt?"""
        return any(v.prompt_id == prompt.id for v in self.votes)

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    def sessions_for(self, prompt: PromptInfo) -> list[SessionInfo]:
        return [s for s in self.sessions if s.prompt_set == prompt.set_id]

    def prompts_of(self, set_id: str) -> list[PromptInfo]:
        return [p for p in self.prompts if p.set_id == set_id]

    def count(self, prompt: PromptInfo, session: SessionInfo | None = None) -> int:
        if session is not None:
            return self.counts.get((prompt.index, session.id), 0)
        return sum(n for (i, _), n in self.counts.items() if i == prompt.index)

    def session_count(self, session: SessionInfo) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == session.id)

    def columns_for(self, prompt: PromptInfo) -> tuple[FieldInfo, ...]:
        """The prompt's fields, plus fields found in stored answers that it no longer has
        (``stored_fields`` must have been loaded)."""
        cite = prompt.cite.id if prompt.cite else None
        extra = [k for k in self.stored_fields.get(prompt.index, ())
                 if k not in prompt.field_ids and k != cite]
        return prompt.fields + tuple(FieldInfo(k, k) for k in extra)


# --- building the plan ----------------------------------------------------------------------

async def build_plan(
    snap: Snapshot, library: Library, *, guild_id: int, scope: ExportScope,
    exported_at: datetime, count_citations: bool = True,
) -> ExportPlan:
    """Resolve the scope within ``guild_id`` and describe the export (raises ExportError).
    ``count_citations``: False when the writer counts them itself while it streams."""
    if scope.kind == "session":
        assert scope.session_id is not None
        rows = await snap.session_of(guild_id, scope.session_id)
        if not rows:
            raise ExportError(f"There is no session with id {scope.session_id} in this server.")
        workshop_id, workshop = rows[0][1], rows[0][2]
    else:
        name = scope.workshop_name or ""
        found = await snap.workshop_named(guild_id, name)
        if found is None:
            known = await snap.workshop_names(guild_id)
            listed = ", ".join(f"'{n}'" for n in known[:25]) or "none yet"
            if len(known) > 25:
                listed += f" and {len(known) - 25} more"
            shown = name if len(name) <= 100 else name[:99] + "…"
            raise ExportError(
                f"No workshop called '{shown}' in this server. Known workshops: {listed}."
            )
        workshop_id, workshop = found
        rows = await snap.sessions_of_workshop(guild_id, workshop_id)

    where = Scope(workshop_id, scope.session_id if scope.kind == "session" else None)
    count_rows = await snap.answer_counts(guild_id, where)
    people = await snap.people_per_session(guild_id, where)
    sessions = tuple(
        SessionInfo(
            id=r[0], workshop_id=r[1], group=r[3], prompt_set=r[4], status=r[5],
            anonymous=bool(r[6]), pace=r[7], current_prompt=r[8], prompt_count=r[9],
            created_at=r[10], closed_at=r[11], participants=people.get(r[0], 0),
            answer_mode=r[12],
        )
        for r in rows
    )
    set_of_session = {s.id: s.prompt_set for s in sessions}
    present: dict[str, set[str]] = {}
    for session_id, prompt_id, _ in count_rows:
        present.setdefault(set_of_session[session_id], set()).add(prompt_id)

    prompt_sets: list[PromptSetInfo] = []
    prompts: list[PromptInfo] = []
    index_of: dict[tuple[str, str], int] = {}
    for set_id in dict.fromkeys(s.prompt_set for s in sessions):
        pset = library.prompt_sets.get(set_id)
        if pset is None:
            log.warning("prompt set %r is not in the loaded library; exporting its answers "
                        "with prompt ids as titles", set_id)
        prompt_sets.append(PromptSetInfo(set_id, pset.title if pset else set_id, pset is not None))
        known_ids: set[str] = set()
        for p in pset.prompts if pset else ():
            index_of[(set_id, p.id)] = len(prompts)
            prompts.append(_prompt_info(len(prompts), set_id, p, library))
            known_ids.add(p.id)
        for prompt_id in sorted(present.get(set_id, set()) - known_ids):
            index_of[(set_id, prompt_id)] = len(prompts)
            prompts.append(PromptInfo(
                index=len(prompts), set_id=set_id, id=prompt_id, number=None, title=prompt_id,
                question="", fields=(), examples=(), in_library=False,
            ))
    counts = {
        (index_of[(set_of_session[sid], pid)], sid): int(n) for sid, pid, n in count_rows
    }
    comments: dict[int, list[CommentInfo]] = {}
    for answer_id, text, group, name, number, at in await snap.comments(guild_id, where):
        by = name or (f"P{number:02d}" if number else "")
        comments.setdefault(int(answer_id), []).append(CommentInfo(group, by, text, at))
    if count_citations:
        citations = await _citations(snap, guild_id, where, prompts, counts)
    else:
        citations = {p.index: CitationTally(tuple(e.id for e in p.examples))
                     for p in prompts if p.cite is not None}
    history: dict[int, list[VersionInfo]] = {}
    if any(s.group_mode for s in sessions):
        for answer_id, number, name, pseudonym, fields, at in await snap.versions(guild_id,
                                                                                  where):
            who = name if name is not None else (f"P{pseudonym:02d}" if pseudonym else "P??")
            history.setdefault(int(answer_id), []).append(
                VersionInfo(int(number), who, parse_fields(fields), at))
    return ExportPlan(
        guild_id=guild_id, scope=scope, workshop_id=workshop_id, workshop=workshop,
        exported_at=exported_at, sessions=sessions, prompt_sets=tuple(prompt_sets),
        prompts=tuple(prompts), counts=counts, where=where,
        dots=await snap.dots_per_answer(guild_id, where),
        comments={k: tuple(v) for k, v in comments.items()},
        votes=tuple(VoteInfo(*row) for row in await snap.votes(guild_id, workshop_id)),
        history={k: tuple(v) for k, v in history.items()},
        chains={ps.id: library.prompt_sets[ps.id] for ps in prompt_sets
                if ps.in_library and library.prompt_sets[ps.id].chain is not None},
        citations=citations, citations_counted=count_citations,
    )


async def _citations(snap: Snapshot, guild_id: int, where: Scope, prompts: list[PromptInfo],
                     counts: dict[tuple[int, int], int]) -> dict[int, CitationTally]:
    """How the answers to each prompt with a cite field cite its examples (one query per
    prompt set and cite field id)."""
    tallies: dict[int, CitationTally] = {}
    groups: dict[tuple[str, str], dict[str, PromptInfo]] = {}
    for p in prompts:
        if p.cite is not None:
            total = sum(n for (i, _), n in counts.items() if i == p.index)
            tallies[p.index] = CitationTally(tuple(e.id for e in p.examples), answers=total)
            groups.setdefault((p.set_id, p.cite.id), {})[p.id] = p
    for (set_id, field_id), by_id in groups.items():
        if not any(tallies[p.index].answers for p in by_id.values()):
            continue
        for prompt_id, example_id, n in await snap.citations(guild_id, where, set_id,
                                                               field_id, list(by_id)):
            tally = tallies[by_id[prompt_id].index]
            if example_id is None:
                tally.citing = int(n)
            else:
                tally.counts[str(example_id)] = int(n)
    return tallies


def loads(raw: Any) -> Any:
    """Stored JSON parsed by orjson (a dependency; ~0.5 µs for a 400-character answer against
    ~1.7 µs for ``json.loads``), and by the standard library where orjson refuses what it
    accepts (an escaped lone surrogate). The bot stores only text and lists of text, which both
    read alike. Raises ``ValueError`` or ``TypeError`` as ``json.loads`` does."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def answer_reader(chunks: Iterable[Iterable[AnswerRecord]]
                  ) -> Callable[[], AnswerRecord | None]:
    """The answers of ``chunks`` one at a time: each call gives the next, then None."""
    return partial(next, chain.from_iterable(chunks), None)


def parse_fields(raw: Any) -> dict[str, Any]:
    """Stored answer fields (JSON text) as a mapping (anything else under the key ``?``)."""
    try:
        values = loads(raw)
    except (TypeError, ValueError):
        return {"?": str(raw)}
    return values if isinstance(values, dict) else {"?": str(values)}


def contributors(history: tuple[VersionInfo, ...]) -> tuple[str, ...]:
    """Who wrote a version of a group answer, in order of their first."""
    return tuple(dict.fromkeys(v.participant for v in history))


async def load_stored_fields(
    snap: Snapshot, plan: ExportPlan, *, all_prompts: bool = False
) -> None:
    """Fill ``plan.stored_fields``: the field ids found in stored answers, per prompt.

    By default only for prompts that are no longer in the library (their fields are known
    only from the answers); with ``all_prompts`` also for the others, to find fields that a
    prompt has lost since it was answered (this parses every answer, so it is done only when
    a writer needs it)."""
    if all_prompts:
        targets = [p for p in plan.prompts if plan.count(p)]
    else:
        targets = [p for p in plan.prompts if not p.in_library and plan.count(p)]
    if not targets:
        return
    found: dict[int, tuple[str, ...]] = dict(plan.stored_fields)
    for p in targets:
        found[p.index] = tuple(
            await snap.stored_field_ids(plan.guild_id, plan.where, p.id, p.set_id)
        )
    plan.stored_fields = found


def _prompt_info(index: int, set_id: str, p: Prompt, library: Library) -> PromptInfo:
    fields = tuple(
        FieldInfo(f.id, f.label, f.style, f.required, f.max_length) for f in p.fields
        if not f.is_cite
    )
    cite = p.cite_field
    examples = []
    for link in p.examples:
        example = library.examples.get(link.example_id)
        examples.append(ExampleInfo(link.example_id, example.title if example else
                                    link.example_id, link.look_at))
    return PromptInfo(
        index=index, set_id=set_id, id=p.id, number=p.number, title=p.title,
        question=p.question, fields=fields, examples=tuple(examples), in_library=True,
        field_ids=frozenset(f.id for f in fields),
        cite=FieldInfo(cite.id, cite.label, "cite", cite.required, None, "cite")
        if cite else None,
        titles={e.id: e.title for e in examples},
    )


# --- streaming the answers ----------------------------------------------------------------------

class AnswerSource:
    """Answers of a plan, prompt by prompt and within a prompt group by group (in session
    order, then in order of first submission, or of pseudonym in anonymous sessions), read
    from the snapshot ``snap``.

    :meth:`chunks` is meant to be iterated in a worker thread while no coroutine uses the
    snapshot (it reads the snapshot's connection in that thread); never on the event loop."""

    def __init__(self, snap: Snapshot, plan: ExportPlan, chunk_rows: int | None = None, *,
                 parse_fields: bool = True) -> None:
        self._snap = snap
        self._parse = parse_fields
        self._plan = plan
        self._chunk_rows = chunk_rows or CHUNK_ROWS
        self.cancelled = threading.Event()
        self.rows_read = 0

    def chunks(self) -> Iterator[Iterator[AnswerRecord]]:
        """The answers in export order, a chunk at a time (call from a worker thread; each
        chunk is fetched from SQLite in that thread when the writer asks for it; raises
        :class:`ExportCancelled` at the next chunk once ``cancelled`` is set). A chunk's
        answers are made as they are read, so one that has been written is gone before the
        next is made (a list of 2,000 of them would live through many garbage-collector
        passes and be promoted, to be looked at again by the full ones)."""
        plan = self._plan
        sessions = {s.id: s for s in plan.sessions}
        pseudonyms: dict[int | None, str] = {None: "P??"}
        for prompt in plan.prompts:
            if plan.count(prompt) == 0:
                continue
            if self.cancelled.is_set():
                raise ExportCancelled
            with contextlib.closing(self._snap.answer_chunks(
                    plan.guild_id, plan.where, prompt.id, prompt.set_id,
                    self._chunk_rows)) as rows_of:
                for rows in rows_of:
                    self.rows_read += len(rows)
                    yield self._records(prompt, rows, sessions, pseudonyms)
                    if self.cancelled.is_set():
                        raise ExportCancelled

    def _records(self, prompt: PromptInfo, rows: list[Any], sessions: dict[int, SessionInfo],
                 pseudonyms: dict[int | None, str]) -> Iterator[AnswerRecord]:
        """The answers of one chunk of ``prompt``'s rows, one at a time."""
        plan = self._plan
        parse = self._parse
        dots, comments = plan.dots, plan.comments
        none = ()
        for (sid, user_id, display_name, fields, created, updated, number,
             answer_id) in rows:
            session = sessions[sid]
            if session.group_mode:
                out_history = plan.history.get(answer_id, none)
                yield AnswerRecord(
                    session, prompt, GROUP_ANSWER, None,
                    NO_FIELDS if not parse else parse_fields(fields), created, updated,
                    fields if not parse else None, answer_id, dots.get(answer_id, 0),
                    comments.get(answer_id, none), contributors(out_history),
                    len(out_history), out_history)
                continue
            if session.anonymous:
                participant = pseudonyms.get(number)
                if participant is None:
                    participant = pseudonyms[number] = f"P{number:02d}"
                user_id = None
            else:
                participant = display_name or ""
            if not parse:
                yield AnswerRecord(session, prompt, participant, user_id, NO_FIELDS,
                                   created, updated, fields, answer_id,
                                   dots.get(answer_id, 0), comments.get(answer_id, none))
                continue
            try:
                values = loads(fields)
            except (TypeError, ValueError):
                values = {"?": str(fields)}
            if not isinstance(values, dict):
                values = {"?": str(values)}
            yield AnswerRecord(session, prompt, participant, user_id, values,
                               created, updated, None, answer_id,
                               dots.get(answer_id, 0), comments.get(answer_id, none))
