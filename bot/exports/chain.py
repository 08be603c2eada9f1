"""The theory-of-change chain in the exports: one row per group (group mode: the group's
answer) or per participant of a group (individual mode), for every prompt set of the export
that declares a chain. Rows and gaps are worked out by :mod:`bot.synthesis`; a writer feeds
every answer it writes to a :class:`ChainCollector` and asks for the rows at the end (only
the chained fields are kept meanwhile)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.exports.data import AnswerRecord, ExportPlan, PromptInfo, SessionInfo, parse_fields
from bot.models import PromptSet
from bot.synthesis import ChainCell, ChainRow, ChainRows


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One row of a chain: whose it is, and the row."""

    pset: PromptSet
    session: SessionInfo
    participant: str | None  # None: the group's answer (group mode)
    row: ChainRow
    titles: dict[str, str]  # example id -> title, for the examples the set's prompts link

    def cited_titles(self, cell: ChainCell) -> list[str]:
        return [self.titles.get(e, e) for e in cell.cited]

    @property
    def who(self) -> str:
        """The group, or ``group · participant`` (plain text)."""
        if self.participant is None:
            return self.session.group
        return f"{self.session.group} · {self.participant}"


class ChainCollector:
    def __init__(self, plan: ExportPlan) -> None:
        self._plan = plan
        self._rows = {set_id: ChainRows(pset) for set_id, pset in plan.chains.items()}

    @property
    def wanted(self) -> bool:
        """Does the export hold a prompt set with a chain?"""
        return bool(self._rows)

    def wants(self, prompt: PromptInfo) -> bool:
        """Is ``prompt`` one of a chain's prompts?"""
        rows = self._rows.get(prompt.set_id)
        return rows is not None and rows.wants(prompt.id)

    def add(self, a: AnswerRecord) -> None:
        rows = self._rows.get(a.prompt.set_id)
        if rows is None or not rows.wants(a.prompt.id):
            return
        fields = a.fields if a.raw_fields is None else parse_fields(a.raw_fields)
        session = a.session
        key: tuple[Any, ...]
        if session.group_mode:
            key, label = (session.id,), session.group
        else:  # the same person across prompts: by id (named) or pseudonym (anonymous)
            key = (session.id, a.user_id if a.user_id is not None else a.participant)
            label = a.participant
        rows.add(key, label, a.prompt.id, fields)

    def entries(self, set_id: str | None = None) -> Iterator[ChainEntry]:
        """Every row (of the prompt set ``set_id``, or of every set), group by group in the
        export's order (within a group, in the order the participants first answered). Each
        row is made as it is reached: a writer that writes it and moves on never holds the
        whole chain."""
        order = {s.id: i for i, s in enumerate(self._plan.sessions)}
        sessions = {s.id: s for s in self._plan.sessions}
        keys = [(rows, key) for sid, rows in self._rows.items() if set_id in (None, sid)
                for key in rows.keys_added()]
        keys.sort(key=lambda t: order[t[1][0]])  # (stable: within a group, as first added)
        titles: dict[str, dict[str, str]] = {}
        for rows, key in keys:
            pset = rows.pset
            if pset.id not in titles:
                titles[pset.id] = {e.id: e.title for p in self._plan.prompts_of(pset.id)
                                   for e in p.examples}
            session = sessions[key[0]]
            row = rows.row(key)
            yield ChainEntry(pset, session, None if session.group_mode else row.label, row,
                             titles[pset.id])
