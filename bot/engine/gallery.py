"""Groups learning from each other (a part of the Engine): a gallery walk, comments and
dot-voting.

In a room, groups pin their answers on the wall and walk round reading the others', leaving
notes and dots. Here a facilitator starts a walk on one prompt: each group's channel is shown
the answers of the next group in the rotation (group i sees group i + round); a rotation, by
command or by a timer that survives restarts, moves every group on, and after a full round
(every group has seen every other) the walk ends. People comment on what they read; a vote
lets everyone place a number of dots on other groups' answers, counted when it closes.

Privacy is decided here, once: answers reach other groups only through a walk or a vote a
facilitator started (and a server may switch either off). What another group sees of an answer
is a :class:`Shown`: the group's name, the text, and a label that is a pseudonym in anonymous
sessions, the display name only in named sessions of a workshop that allows names, and
otherwise "answer 2 of 5"; a group answer names its writers only where names are allowed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.engine.errors import InvalidMove, NoLiveSession, NotFound, WorkshopError
from bot.events import Event
from bot.models import FieldValue, Prompt
from bot.scheduler import Due
from bot.storage import (
    BotMessage,
    CommentOutcome,
    CommentResult,
    DotResult,
    SessionRow,
    SessionStatus,
    VoteRow,
    WalkRow,
    WorkshopPhase,
    WorkshopRow,
)

if TYPE_CHECKING:
    from bot.engine.engine import Engine

log = logging.getLogger(__name__)

ROTATE = "gallery-rotate"  # the scheduler's job kind: a walk's next rotation
NAMES = "gallery_names"  # workshop setting: named sessions show display names to other groups
MAX_COMMENT = 500
MAX_DOTS = 20
MAX_ROTATE_MINUTES = 120
TOP = 3  # answers shown per prompt when a vote closes (more when tied, at most MAX_TOP)
MAX_TOP = 5


@dataclass(frozen=True, slots=True)
class Shown:
    """One answer as other groups may see it: no user id, no name unless allowed."""

    answer_id: int
    group: SessionRow  # the group that answered
    prompt: Prompt
    label: str  # "P03", "answer 2 of 5", the display name, "the group's answer"
    fields: dict[str, FieldValue]


@dataclass(frozen=True, slots=True)
class View:
    """What one group is shown in its own channel: ``answers`` of the ``groups`` it reads."""

    viewer: SessionRow
    groups: tuple[SessionRow, ...]
    answers: tuple[Shown, ...]


@dataclass(frozen=True, slots=True)
class WalkStep:
    """A walk started, moved on (``views``: what every group reads now) or ``ended``."""

    walk: WalkRow
    workshop: WorkshopRow
    prompt: Prompt
    groups: tuple[SessionRow, ...]  # every group of the walk, in rotation order
    views: tuple[View, ...] = ()
    ended: bool = False


@dataclass(frozen=True, slots=True)
class VoteStart:
    vote: VoteRow
    workshop: WorkshopRow
    prompt: Prompt
    views: tuple[View, ...]  # per group, every other group's answers


@dataclass(frozen=True, slots=True)
class VoteResult:
    vote: VoteRow
    prompt: Prompt
    top: tuple[tuple[Shown, int], ...]  # the most dotted answers, with their dots
    dots: int  # placed in all
    voters: int


@dataclass(frozen=True, slots=True)
class VoteClose:
    workshop: WorkshopRow
    results: tuple[VoteResult, ...]
    groups: tuple[SessionRow, ...]  # the groups that took part


@dataclass(frozen=True, slots=True)
class ShownComment:
    """A comment as the answering group reads it: which group it came from, never who,
    unless names are allowed and the commenter's group is named (``name``)."""

    prompt_number: int | None
    prompt_title: str
    answer_label: str  # which of the group's answers it is on
    on: str  # the start of that answer
    group: str | None  # the commenter's group (None: no longer in the workshop)
    name: str | None
    text: str


@dataclass(frozen=True, slots=True)
class CardChange:
    """A posted card (``note``) whose answer changed since: its author edited it or erased
    theirs. Show ``shown`` now (the new text, or a group answer gone back to an earlier
    version), or withdraw the card (None: the answer is gone)."""

    note: BotMessage
    shown: Shown | None
    dots: int = 0  # dots in closed votes (for a results card)


@dataclass(frozen=True, slots=True)
class GalleryWalkStep(Event):
    """A walk started, moved on or ended. ``cause``: ``facilitator`` (the command shows it)
    or ``timer`` (nobody has shown it yet)."""

    step: WalkStep
    cause: str = "facilitator"


@dataclass(frozen=True, slots=True)
class GalleryCardsChanged(Event):
    """Cards showing answers their authors edited or erased must be edited (see
    :class:`CardChange`)."""

    guild_id: int
    changes: tuple[CardChange, ...]


def _is_number(text: str) -> bool:
    return text.isdigit() and len(text) <= 2


class GalleryRun:
    """Gallery walks, comments and votes (a part of :class:`~bot.engine.Engine`)."""

    def register_gallery(self: Engine) -> None:
        self.scheduler.register(ROTATE, self._walk_due)

    # --- groups and prompts -------------------------------------------------------------

    async def gallery_groups(self: Engine, workshop: WorkshopRow) -> list[SessionRow]:
        """The workshop's groups: the newest session in each channel or thread (live or
        closed: a walk often follows the end of answering), in the order they started."""
        newest: dict[int, SessionRow] = {}
        for s in await self.db.sessions(workshop.guild_id, workshop.name):
            if s.workshop_id == workshop.id:
                newest[s.channel_id] = s
        return sorted(newest.values(), key=lambda s: s.id)

    def _prompt_of(self: Engine, session: SessionRow, prompt_id: str) -> Prompt | None:
        pset = self.library.prompt_sets.get(session.prompt_set)
        return pset.prompt_by_id(prompt_id) if pset else None

    async def _groups_for(self: Engine, workshop: WorkshopRow, given: str | None
                          ) -> tuple[list[SessionRow], Prompt]:
        """The groups that have the prompt ``given`` (an id or a number; default: the live
        prompt of the running groups), and that prompt; at least two groups."""
        groups = await self.gallery_groups(workshop)
        if not groups:
            raise NotFound("No group has run in that workshop yet.")
        prompt_id = self._choose_prompt(groups, (given or "").strip())
        having = [g for g in groups if self._prompt_of(g, prompt_id) is not None]
        if len(having) < 2:
            n = len(having)
            raise WorkshopError(f"That needs at least two groups to share answers: {n} "
                                f"group{'s' if n != 1 else ''} of this workshop "
                                f"{'has' if n == 1 else 'have'} that prompt.")
        prompt = self._prompt_of(having[0], prompt_id)
        assert prompt is not None
        return having, prompt

    def _choose_prompt(self: Engine, groups: list[SessionRow], given: str) -> str:
        if not given:
            live: set[str] = set()
            for g in groups:
                if g.status is not SessionStatus.CLOSED:
                    live.add(self.live_prompt(g).id)
            if len(live) == 1:
                return live.pop()
            if not live:
                raise WorkshopError("No group is running, so there is no live prompt: say "
                                    "which prompt with the `prompt` option.")
            raise WorkshopError("The groups are on different prompts: say which one with the "
                                "`prompt` option.")
        found: set[str] = set()
        for g in groups:
            pset = self.library.prompt_sets.get(g.prompt_set)
            if pset is None:
                continue
            prompt = pset.prompt_by_id(given) or (
                pset.prompt_by_number(int(given)) if _is_number(given) else None)
            if prompt is not None:
                found.add(prompt.id)
        if len(found) == 1:
            return found.pop()
        if found:
            raise WorkshopError(f"Prompt {given} is a different prompt in the groups' prompt "
                                "sets: choose it by name in the `prompt` option.")
        raise NotFound("No group of that workshop has that prompt. Start typing in the "
                       "`prompt` option to choose one.")

    async def shown_answers(self: Engine, workshop: WorkshopRow, session: SessionRow,
                            prompt: Prompt) -> tuple[Shown, ...]:
        """A group's answers to ``prompt`` as other groups may see them."""
        rows = await self.db.answers_for_prompt(session.guild_id, session.id, prompt.id)
        names = bool(workshop.settings.get(NAMES)) and not session.anonymous
        writers: dict[int, dict[int, str]] = {}
        if names and session.group_mode and rows:
            for v in await self.db.versions(session.guild_id, session.id):
                writers.setdefault(v.answer_id, {})[v.user_id] = v.display_name
        out = []
        for position, (answer, number) in enumerate(rows, start=1):
            if answer.is_group:
                who = writers.get(answer.id)
                label = "the group's answer" + (f" (by {', '.join(who.values())})"
                                                if who else "")
            elif session.anonymous:
                label = f"P{number:02d}" if number else "a participant"
            elif names:
                label = answer.display_name
            else:
                label = f"answer {position} of {len(rows)}"
            out.append(Shown(answer.id, session, prompt, label, dict(answer.fields)))
        return tuple(out)

    async def _views(self: Engine, workshop: WorkshopRow, walk: WalkRow,
                     groups: list[SessionRow]) -> tuple[View, ...]:
        by_id = {g.id: g for g in groups}
        n = len(walk.rotation)
        views = []
        for i, sid in enumerate(walk.rotation):
            viewer = by_id.get(sid)
            shown = by_id.get(walk.rotation[(i + walk.round) % n])
            prompt = self._prompt_of(shown, walk.prompt_id) if shown else None
            if viewer is None or shown is None or prompt is None:
                continue  # a group deleted since the walk started
            views.append(View(viewer, (shown,), await self.shown_answers(workshop, shown,
                                                                         prompt)))
        return tuple(views)

    async def _step(self: Engine, walk: WalkRow, workshop: WorkshopRow,
                    ended: bool = False) -> WalkStep:
        sessions = {s.id: s for s in await self.db.sessions(workshop.guild_id, workshop.name)}
        groups = [sessions[sid] for sid in walk.rotation if sid in sessions]
        prompt = next((p for g in groups if (p := self._prompt_of(g, walk.prompt_id))), None)
        if prompt is None:
            raise NotFound("The prompt of this gallery walk is no longer in the loaded prompt "
                           "sets; ask the organiser to check the prompt files.")
        views = () if ended else await self._views(workshop, walk, groups)
        return WalkStep(walk, workshop, prompt, tuple(groups), views, ended)

    async def _set_phase(self: Engine, workshop: WorkshopRow) -> None:
        if await self.db.open_votes(workshop.guild_id, workshop.id):
            phase = WorkshopPhase.VOTING
        elif await self.db.live_walk(workshop.guild_id, workshop.id):
            phase = WorkshopPhase.GALLERY
        else:
            phase = WorkshopPhase.ANSWERING
        if phase is not workshop.phase:
            await self.update_workshop(workshop, phase=phase)

    # --- the walk ------------------------------------------------------------------------

    async def start_walk(self: Engine, guild_id: int, name: str, prompt: str | None = None,
                         rotate_minutes: int | None = None) -> WalkStep:
        """Start a gallery walk of the workshop called ``name`` on ``prompt`` (default: the
        groups' live prompt); every ``rotate_minutes`` (if given) the groups move on."""
        workshop = await self.workshop(guild_id, name)
        gallery_on, _ = await self.db.sharing(guild_id)
        if not gallery_on:
            raise WorkshopError("Gallery walks are switched off in this server; an admin can "
                                "switch them on with `/workshop-config gallery`.")
        if rotate_minutes is not None and not 1 <= rotate_minutes <= MAX_ROTATE_MINUTES:
            raise WorkshopError(f"Rotate every 1 to {MAX_ROTATE_MINUTES} minutes.")
        groups, chosen = await self._groups_for(workshop, prompt)
        walk = await self.db.start_walk(guild_id=guild_id, workshop_id=workshop.id,
                                        prompt_id=chosen.id, rotation=[g.id for g in groups],
                                        rotate_minutes=rotate_minutes)
        if walk is None:
            raise WorkshopError("A gallery walk is already running in this workshop: move it "
                                "on with `/workshop gallery rotate`, or stop it with "
                                "`/workshop gallery end`.")
        self._shared.add(workshop.id)
        log.info("gallery walk %d started in guild %d (%d groups)", walk.id, guild_id,
                 len(groups))
        await self._schedule_rotation(walk)
        await self._set_phase(workshop)
        step = await self._step(walk, workshop)
        await self.events.publish(GalleryWalkStep(step))
        return step

    async def live_walk(self: Engine, guild_id: int, name: str) -> tuple[WorkshopRow, WalkRow]:
        workshop = await self.workshop(guild_id, name)
        walk = await self.db.live_walk(guild_id, workshop.id)
        if walk is None:
            raise NotFound("No gallery walk is running in that workshop: start one with "
                           "`/workshop gallery start`.")
        return workshop, walk

    async def rotate_walk(self: Engine, guild_id: int, name: str) -> WalkStep:
        """Move every group on to the next group's answers; after the last round, end."""
        workshop, walk = await self.live_walk(guild_id, name)
        return await self._rotate(walk, workshop, "facilitator")

    async def end_walk(self: Engine, guild_id: int, name: str) -> WalkStep:
        workshop, walk = await self.live_walk(guild_id, name)
        return await self._end(walk, workshop, "facilitator")

    async def _rotate(self: Engine, walk: WalkRow, workshop: WorkshopRow,
                      cause: str) -> WalkStep:
        if walk.round >= walk.rounds:
            return await self._end(walk, workshop, cause)
        moved = await self.db.advance_walk(walk.guild_id, walk.id, walk.round)
        if moved is None:
            raise InvalidMove("The walk moved on meanwhile (its timer, or another "
                              "facilitator): nothing else was changed.")
        await self._schedule_rotation(moved)
        step = await self._step(moved, workshop)
        await self.events.publish(GalleryWalkStep(step, cause))
        return step

    async def _end(self: Engine, walk: WalkRow, workshop: WorkshopRow, cause: str) -> WalkStep:
        ended = await self.db.end_walk(walk.guild_id, walk.id)
        if ended is None:
            raise InvalidMove("The walk has ended already.")
        await self.scheduler.cancel(ROTATE, f"walk:{walk.id}")
        await self._set_phase(workshop)
        log.info("gallery walk %d ended in guild %d", walk.id, walk.guild_id)
        step = await self._step(ended, workshop, ended=True)
        await self.events.publish(GalleryWalkStep(step, cause))
        return step

    async def _schedule_rotation(self: Engine, walk: WalkRow) -> None:
        if walk.rotate_minutes:
            await self.scheduler.schedule(
                ROTATE, f"walk:{walk.id}",
                self.clock.now() + timedelta(minutes=walk.rotate_minutes),
                guild_id=walk.guild_id, payload={"round": walk.round},
            )

    async def _walk_due(self: Engine, due: Due) -> None:
        guild_id = due.job.guild_id or 0
        walk = await self.db.walk(guild_id, int(due.job.key.split(":", 1)[1]))
        if walk is None or not walk.live or walk.round != due.payload.get("round"):
            return  # moved on or ended by hand meanwhile
        workshop = await self.db.workshop_by_id(guild_id, walk.workshop_id)
        if workshop is None:
            return
        try:
            await self._rotate(walk, workshop, "timer")
        except WorkshopError as exc:
            log.info("gallery walk %d: %s", walk.id, exc.message)

    # --- comments --------------------------------------------------------------------------

    async def comment(self: Engine, guild_id: int, answer_id: int, *, from_session_id: int,
                      user_id: int, display_name: str, text: str,
                      interaction_id: int | None = None) -> CommentResult:
        """Store a comment on an answer shown in the channel of ``from_session_id``, while a
        walk or a vote shows that answer's prompt."""
        text = text.strip()
        if not text:
            raise WorkshopError("Your comment was not saved: it is empty.")
        if len(text) > MAX_COMMENT:
            raise WorkshopError(f"Your comment was not saved: it is {len(text)} characters; "
                                f"the limit is {MAX_COMMENT}.")
        result = await self.db.add_comment(
            guild_id=guild_id, answer_id=answer_id, user_id=user_id,
            display_name=display_name, from_session_id=from_session_id, text=text,
            interaction_id=interaction_id,
        )
        if result.outcome is CommentOutcome.CLOSED:
            raise WorkshopError("Your comment was not saved: the gallery walk and the vote on "
                                "this prompt are over, so comments are closed.")
        if result.outcome is CommentOutcome.NO_ANSWER:
            raise NotFound("Your comment was not saved: that answer is no longer stored (its "
                           "author withdrew it).")
        return result

    async def comment_shows_name(self: Engine, guild_id: int, session_id: int) -> bool:
        """Does a comment written in this session's channel show its writer's name to the
        group it is about? Only in named sessions of a workshop that allows names."""
        session = await self.db.session(guild_id, session_id)
        if session is None or session.anonymous:
            return False
        workshop = await self.db.workshop_by_id(guild_id, session.workshop_id)
        return bool(workshop and workshop.settings.get(NAMES))

    async def session_comments(self: Engine, guild_id: int, channel_id: int, user_id: int,
                               facilitator: bool) -> tuple[SessionRow, list[ShownComment]]:
        """The comments other groups left on the answers of this channel's group, once no
        walk of its workshop is running. In group mode everyone who wrote in the group reads
        them all; in individual mode each person reads those on their own answers;
        facilitators read them all."""
        session = await self.latest_session(guild_id, channel_id)
        if session is None:
            raise NoLiveSession("No session has run in this channel, so there are no "
                                "comments to show here.")
        workshop = await self.db.workshop_by_id(guild_id, session.workshop_id)
        if workshop is None:
            raise NotFound("That workshop no longer exists in this server.")
        if await self.db.live_walk(guild_id, workshop.id):
            raise WorkshopError("Comments from other groups become readable when the gallery "
                                "walk ends.")
        if not facilitator and user_id not in await self.db.session_people(guild_id,
                                                                           session.id):
            raise WorkshopError("Comments on this group's answers are for the people who "
                                "answered in it, and for facilitators.")
        rows = await self.db.comments_on_session(guild_id, session.id)
        if not facilitator and not session.group_mode:
            rows = [c for c in rows if c.answer_user_id == user_id]
        groups = {s.id: s for s in await self.db.sessions(guild_id, workshop.name)}
        names = bool(workshop.settings.get(NAMES))
        shown: dict[int, Shown] = {}
        for prompt_id in dict.fromkeys(c.prompt_id for c in rows):
            prompt = self._prompt_of(session, prompt_id)
            if prompt is not None:
                for s in await self.shown_answers(workshop, session, prompt):
                    shown[s.answer_id] = s
        out = []
        for c in rows:
            answer = shown.get(c.answer_id)
            src = groups.get(c.from_session_id) if c.from_session_id is not None else None
            label = answer.label if answer else "an answer"
            if not facilitator and not session.group_mode:
                label = "your answer"
            on = next((v for v in (answer.fields.values() if answer else ())
                       if isinstance(v, str) and v.strip()), "")
            out.append(ShownComment(
                prompt_number=answer.prompt.number if answer else None,
                prompt_title=answer.prompt.title if answer else c.prompt_id,
                answer_label=label, on=on, group=src.group_name if src else None,
                name=c.display_name if src and names and not src.anonymous else None,
                text=c.text,
            ))
        return session, out

    # --- votes -----------------------------------------------------------------------------

    async def start_vote(self: Engine, guild_id: int, name: str, dots: int,
                         prompt: str | None = None) -> VoteStart:
        """Open a dot-vote on ``prompt`` (default: the groups' live prompt): everyone may
        place up to ``dots`` dots on other groups' answers."""
        workshop = await self.workshop(guild_id, name)
        _, voting_on = await self.db.sharing(guild_id)
        if not voting_on:
            raise WorkshopError("Votes are switched off in this server; an admin can switch "
                                "them on with `/workshop-config voting`.")
        if not 1 <= dots <= MAX_DOTS:
            raise WorkshopError(f"Give everyone 1 to {MAX_DOTS} dots.")
        groups, chosen = await self._groups_for(workshop, prompt)
        vote = await self.db.open_vote(guild_id=guild_id, workshop_id=workshop.id,
                                       prompt_id=chosen.id, dots=dots)
        if vote is None:
            raise WorkshopError("A vote on that prompt is already open in this workshop; "
                                "close it with `/workshop vote close`.")
        self._shared.add(workshop.id)
        log.info("vote %d opened in guild %d (%d groups, %d dots)", vote.id, guild_id,
                 len(groups), dots)
        await self._set_phase(workshop)
        shown = {}
        for g in groups:
            prompt_of = self._prompt_of(g, chosen.id)
            assert prompt_of is not None
            shown[g.id] = await self.shown_answers(workshop, g, prompt_of)
        views = []
        for i, viewer in enumerate(groups):
            others = groups[i + 1:] + groups[:i]  # starting with the next group
            views.append(View(viewer, tuple(others),
                              tuple(a for o in others for a in shown[o.id])))
        return VoteStart(vote, workshop, chosen, tuple(views))

    async def dot(self: Engine, guild_id: int, answer_id: int, *, viewer_session_id: int,
                  user_id: int, add: bool, interaction_id: int | None = None) -> DotResult:
        """Place (``add``) or take back one dot; see :meth:`bot.storage.Database.dot`.
        Acknowledged means committed."""
        return await self.db.dot(guild_id=guild_id, answer_id=answer_id,
                                 viewer_session_id=viewer_session_id, user_id=user_id,
                                 add=add, interaction_id=interaction_id)

    async def close_votes(self: Engine, guild_id: int, name: str) -> VoteClose:
        """Close every open vote of the workshop; per prompt, the most dotted answers."""
        workshop = await self.workshop(guild_id, name)
        votes = await self.db.close_votes(guild_id, workshop.id)
        if not votes:
            raise NotFound("No vote is open in that workshop: open one with "
                           "`/workshop vote start`.")
        await self._set_phase(workshop)
        groups = await self.gallery_groups(workshop)
        results = []
        taking_part: dict[int, SessionRow] = {}
        for vote in votes:
            counts = await self.db.dot_counts(guild_id, vote.id)
            ranked: list[tuple[Shown, int, int]] = []
            prompt: Prompt | None = None
            for g in groups:
                prompt_of = self._prompt_of(g, vote.prompt_id)
                if prompt_of is None:
                    continue
                prompt = prompt or prompt_of
                taking_part[g.id] = g
                for s in await self.shown_answers(workshop, g, prompt_of):
                    if counts.get(s.answer_id):
                        ranked.append((s, counts[s.answer_id], len(ranked)))
            if prompt is None:
                continue
            ranked.sort(key=lambda r: (-r[1], r[2]))
            cutoff = ranked[TOP - 1][1] if len(ranked) >= TOP else 0
            top = tuple((s, n) for s, n, _ in ranked if n >= cutoff)[:MAX_TOP]
            results.append(VoteResult(vote, prompt, top, sum(counts.values()),
                                      await self.db.voters(guild_id, vote.id)))
            log.info("vote %d closed in guild %d: %d dots", vote.id, guild_id,
                     sum(counts.values()))
        return VoteClose(workshop, tuple(results),
                         tuple(sorted(taking_part.values(), key=lambda s: s.id)))

    # --- erasure ------------------------------------------------------------------------

    async def _cards_of(self: Engine, guild_id: int, user_id: int) -> list[BotMessage]:
        """Posted cards showing an answer of this person (or a group answer they wrote in)."""
        ids = [a.id for a in await self.db.answers_of_user(guild_id, user_id)]
        return await self.db.cards_showing(guild_id, ids)

    async def _cards_after_edit(self: Engine, guild_id: int, answer_id: int) -> None:
        """An answer was edited (or its group saved a new version): the gallery and result
        cards already posted with it show the new text, as its author now wants it read. One
        indexed read per edit of an answer in a workshop that has had a walk or a vote (the
        caller checks); new answers have no cards yet."""
        notes = await self.db.cards_showing(guild_id, [answer_id])
        if notes:
            await self._refresh_cards(guild_id, notes)

    async def _refresh_cards(self: Engine, guild_id: int, notes: list[BotMessage]) -> None:
        """Posted cards (``notes``) whose answer changed: the answer as it is now, or None
        where it is gone (:class:`GalleryCardsChanged`)."""
        changes = []
        for note in notes:
            shown = await self._shown_by_id(guild_id, note.answer_id or 0)
            dots = await self.db.answer_dots(guild_id, shown.answer_id) if shown else 0
            changes.append(CardChange(note, shown, dots))
        await self.events.publish(GalleryCardsChanged(guild_id, tuple(changes)))

    async def _shown_by_id(self: Engine, guild_id: int, answer_id: int) -> Shown | None:
        answer = await self.db.answer_by_id(guild_id, answer_id)
        if answer is None:
            return None
        session = await self.db.session(guild_id, answer.session_id)
        workshop = await self.db.workshop_by_id(guild_id, session.workshop_id) \
            if session else None
        prompt = self._prompt_of(session, answer.prompt_id) if session else None
        if session is None or workshop is None or prompt is None:
            return None
        shown = await self.shown_answers(workshop, session, prompt)
        return next((s for s in shown if s.answer_id == answer_id), None)

    # --- settings ---------------------------------------------------------------------------

    async def sharing(self: Engine, guild_id: int) -> tuple[bool, bool]:
        """(gallery walks allowed, votes allowed) in this server."""
        return await self.db.sharing(guild_id)

    async def set_sharing(self: Engine, guild_id: int, *, gallery: bool | None = None,
                          voting: bool | None = None) -> tuple[bool, bool]:
        return await self.db.set_sharing(guild_id, gallery=gallery, voting=voting)
