"""The digest a facilitator posts after a round: per prompt, how many answers, the seminar
examples cited most and never, and (after a dot-vote) the top-voted answers.

It reads what an export reads (one snapshot, :func:`~bot.exports.data.build_plan` and
:class:`~bot.exports.data.AnswerSource`), so it is exactly as anonymous: pseudonyms in
anonymous sessions, no user id anywhere. The digest may be posted publicly, so an answer of a
named session is shown by the participant's name only when the caller says names may be
shown (the workshop's gallery setting); otherwise as "a participant".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.exports.common import ExportError, ExportScope
from bot.exports.data import (
    GROUP_ANSWER,
    AnswerRecord,
    AnswerSource,
    ExportPlan,
    PromptInfo,
    build_plan,
)
from bot.models import Library
from bot.storage import Database
from bot.synthesis import CitationTally

TOP = 3  # top-voted answers shown per prompt
EXCERPT = 300  # characters of a top answer kept for the digest


@dataclass(frozen=True, slots=True)
class TopAnswer:
    group: str
    who: str  # "the group's answer", a pseudonym, "a participant" or (allowed) a name
    dots: int
    excerpt: str  # the start of its first text field with something in it


@dataclass(frozen=True, slots=True)
class PromptDigest:
    prompt: PromptInfo
    answers: int
    groups: int  # groups with at least one answer to it
    citations: CitationTally | None  # None: the prompt has no cite field
    voted: bool  # a (closed) dot-vote was held on it
    top: tuple[TopAnswer, ...]

    def title(self, example_id: str) -> str:
        return self.prompt.example_title(example_id)


@dataclass(frozen=True, slots=True)
class Digest:
    workshop: str
    scope: ExportScope
    group: str | None  # the group, when the scope is one session
    groups: int
    prompts: tuple[PromptDigest, ...]


def _choose(plan: ExportPlan, prompt: str | None) -> list[PromptInfo]:
    if not prompt:
        return list(plan.prompts)
    wanted = prompt.strip().lower()
    found = [p for p in plan.prompts if p.id == wanted or p.label == wanted]
    if not found:
        known = ", ".join(f"{p.label} ({p.id})" for p in plan.prompts[:10]) or "none"
        raise ExportError(f"No prompt '{prompt.strip()[:50]}' here. Prompts: {known}.")
    return found


class _TopVoted:
    """The most dotted answers of each prompt (from the answers of prompts voted on)."""

    def __init__(self, names: bool) -> None:
        self.names = names
        self.dotted: dict[int, list[tuple[int, int, AnswerRecord]]] = {}

    def consume(self, chunks: Iterable[Iterable[AnswerRecord]]) -> None:
        for chunk in chunks:
            for a in chunk:
                if a.dots:
                    ranked = self.dotted.setdefault(a.prompt.index, [])
                    ranked.append((a.dots, len(ranked), a))

    def top(self, prompt: PromptInfo) -> tuple[TopAnswer, ...]:
        ranked = sorted(self.dotted.get(prompt.index, []), key=lambda r: (-r[0], r[1]))
        return tuple(TopAnswer(a.session.group, self._who(a), dots, _excerpt(a))
                     for dots, _, a in ranked[:TOP])

    def _who(self, a: AnswerRecord) -> str:
        if a.participant == GROUP_ANSWER and a.session.group_mode:
            return "the group's answer"
        if a.session.anonymous or self.names:
            return a.participant or "a participant"
        return "a participant"


def _excerpt(a: AnswerRecord) -> str:
    text = next((v.strip() for _, v in a.field_values() if v.strip()), "")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


async def build_digest(db: Database, library: Library, *, guild_id: int, scope: ExportScope,
                       prompt: str | None = None, names: bool = False) -> Digest:
    """The digest of ``scope`` (one session or a whole workshop), for every prompt or the one
    ``prompt`` names (its number or id). Raises :class:`ExportError` when the scope or the
    prompt does not exist."""
    voted = _TopVoted(names)
    async with db.snapshot() as snap:
        plan = await build_plan(snap, library, guild_id=guild_id, scope=scope,
                                exported_at=datetime.now(UTC))
        chosen = _choose(plan, prompt)
        read = tuple(p for p in chosen if plan.voted(p))  # only these need their answers
        if read:
            source = AnswerSource(snap, dataclasses.replace(plan, prompts=read))
            worker = asyncio.ensure_future(asyncio.to_thread(voted.consume, source.chunks()))
            try:
                await asyncio.shield(worker)
            except asyncio.CancelledError:
                source.cancelled.set()  # the worker stops at its next chunk; then the
                with contextlib.suppress(BaseException):  # snapshot may close
                    await worker
                raise
    digests = tuple(
        PromptDigest(p, plan.count(p),
                     sum(1 for s in plan.sessions_for(p) if plan.count(p, s)),
                     plan.citations.get(p.index), plan.voted(p), voted.top(p))
        for p in chosen)
    group = plan.sessions[0].group if scope.kind == "session" and plan.sessions else None
    return Digest(plan.workshop, scope, group, len(plan.sessions), digests)
