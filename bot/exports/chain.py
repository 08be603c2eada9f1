"""The theory-of-change chain in the exports: one row per group (group mode: the group's
answer) or per participant of a group (individual mode), for every prompt set of the export
that declares a chain. Rows and gaps are worked out by :mod:`bot.synthesis`; a writer feeds
every answer it writes to a :class:`ChainCollector` and asks for the rows at the end (only
the chained fields are kept meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.exports.data import AnswerRecord, ExportPlan, SessionInfo, parse_fields
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

    def entries(self) -> list[ChainEntry]:
        """Every row, group by group in the export's order (within a group, in the order the
        participants first answered)."""
        order = {s.id: i for i, s in enumerate(self._plan.sessions)}
        sessions = {s.id: s for s in self._plan.sessions}
        out: list[tuple[int, int, ChainEntry]] = []
        for set_id, rows in self._rows.items():
            pset = self._plan.chains[set_id]
            titles = {e.id: e.title for p in self._plan.prompts_of(set_id) for e in p.examples}
            for key, row in rows.rows():
                session = sessions[key[0]]
                participant = None if session.group_mode else row.label
                out.append((order[key[0]], len(out),
                            ChainEntry(pset, session, participant, row, titles)))
        return [entry for _, _, entry in sorted(out, key=lambda t: (t[0], t[1]))]
