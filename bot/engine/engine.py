"""The session engine: which prompt is live, who answered what. No discord imports.

Every public method takes the server (guild) id first, so one server can never reach another's
sessions or answers. Errors a user should read are :class:`WorkshopError` subclasses whose
message is written for that user. Every change is published on :attr:`Engine.events` once it
is committed (bot/events.py); the Discord layer subscribes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot import events as ev
from bot.engine.chain import ChainRun
from bot.engine.errors import (
    AnsweringClosed,
    EditConflict,
    InvalidAnswer,
    InvalidMove,
    NoLiveSession,
    NotFound,
    SessionAlreadyLive,
    WorkshopError,
)
from bot.engine.gallery import GalleryRun
from bot.engine.timers import Timers
from bot.engine.workshop_run import WorkshopRun
from bot.events import EventBus
from bot.models import (
    ANSWER_MODES,
    AnswerField,
    AnswerMode,
    FieldValue,
    Library,
    Prompt,
    PromptSet,
)
from bot.rules import Refusal, answerable, clean_name
from bot.scheduler import Clock, Scheduler
from bot.storage import (
    GROUP,
    AnswerRow,
    SaveOutcome,
    SessionRow,
    SessionStatus,
    Storage,
    VersionRow,
    WorkshopPhase,
    WorkshopRow,
)

log = logging.getLogger(__name__)

Pace = Literal["facilitator", "self"]
MAX_WORKSHOP_NAME = 100
# a prompt-set id as the YAML allows it (anything else is not echoed back to people)
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,49}\Z")


@dataclass(frozen=True, slots=True)
class Submission:
    answer: AnswerRow
    created: bool  # False when an earlier answer was edited (or the submission was a replay)
    replayed: bool
    first_in_guild: bool  # the person's first answer in this server: show the privacy notice


@dataclass(frozen=True, slots=True)
class PromptCount:
    prompt: Prompt
    answers: int  # individual mode: people who answered; group mode: 1 when answered
    contributors: tuple[str, ...] = ()  # group mode: who wrote a version, first to last
    versions: int = 0  # group mode: versions saved
    updated_at: str | None = None  # group mode: when the answer last changed


@dataclass(frozen=True, slots=True)
class Status:
    session: SessionRow
    live: Prompt
    per_prompt: tuple[PromptCount, ...]
    participants: int


def _contributions(history: list[VersionRow]) -> tuple[tuple[str, ...], int, str | None]:
    """(who wrote a version, in order of their first; how many versions; when the last one
    was saved) of a group answer's history."""
    names: dict[int, str] = {}
    for v in history:
        names[v.user_id] = v.display_name  # the newest name each person had
    return tuple(names.values()), len(history), history[-1].created_at if history else None


class Engine(WorkshopRun, Timers, GalleryRun, ChainRun):
    """Runs sessions on top of a :class:`~bot.storage.Storage` and the loaded content
    :class:`Library`; publishes what happened on :attr:`events`; owns the :attr:`scheduler`
    (started by whoever runs the bot)."""

    def __init__(self, db: Storage, library: Library, *, events: EventBus | None = None,
                 clock: Clock | None = None) -> None:
        self.db = db
        self.library = library
        self.events = events or EventBus()
        self.scheduler = Scheduler(db, clock)
        # In-memory mirror of what is live, so the Discord layer can open a form (pre-filled)
        # without touching the database. The engine is the only writer, so it stays exact.
        self._live: dict[int, SessionRow] = {}  # open or paused sessions by id
        self._by_channel: dict[tuple[int, int], int] = {}  # (guild, channel) -> session id
        # answers of live sessions by (session, prompt, user); a group answer's user is GROUP
        self._answers: dict[tuple[int, str, int], dict[str, FieldValue]] = {}
        self._versions: dict[tuple[int, str], int] = {}  # group answers' current versions
        self._roles: dict[int, int | None] = {}
        # workshops that have had a gallery walk or a vote (only their answers can be on cards)
        self._shared: set[int] = set()
        self.register_timers()
        self.register_gallery()

    @property
    def clock(self) -> Clock:
        return self.scheduler.clock

    @classmethod
    async def create(cls, db: Storage, library: Library, *, events: EventBus | None = None,
                     clock: Clock | None = None) -> Engine:
        """The way to make an engine: it starts from what the database holds."""
        engine = cls(db, library, events=events, clock=clock)
        await engine.load()
        return engine

    async def load(self) -> None:
        """Fill the in-memory mirror of live sessions, their answers and server settings."""
        for session in await self.db.unclosed_sessions():
            self._remember(session)
        for a in await self.db.answers_of_unclosed_sessions():
            self._keep(a)
        self._roles = await self.db.facilitator_roles()
        self._shared = await self.db.shared_workshops()
        await self.load_timers()

    def _keep(self, answer: AnswerRow) -> None:
        self._answers[(answer.session_id, answer.prompt_id, answer.user_id)] = answer.fields
        if answer.is_group:
            self._versions[(answer.session_id, answer.prompt_id)] = answer.version

    def _remember(self, session: SessionRow) -> SessionRow:
        key = (session.guild_id, session.channel_id)
        if session.status is SessionStatus.CLOSED:
            self._live.pop(session.id, None)
            if self._by_channel.get(key) == session.id:
                del self._by_channel[key]
            for k in [k for k in self._answers if k[0] == session.id]:
                del self._answers[k]
            for v in [v for v in self._versions if v[0] == session.id]:
                del self._versions[v]
        else:
            self._live[session.id] = session
            self._by_channel[key] = session.id
        return session

    # cache look-ups (no database work; None when not live) -------------------------------------

    def peek_live(self, guild_id: int, channel_id: int) -> SessionRow | None:
        sid = self._by_channel.get((guild_id, channel_id))
        return self._live.get(sid) if sid is not None else None

    def peek_session(self, guild_id: int, session_id: int) -> SessionRow | None:
        session = self._live.get(session_id)
        return session if session is not None and session.guild_id == guild_id else None

    def peek_answer(self, session_id: int, prompt_id: str, user_id: int
                    ) -> dict[str, FieldValue] | None:
        """What a form for ``user_id`` is pre-filled with: their own answer, or in group mode
        the group's current answer."""
        session = self._live.get(session_id)
        owner = GROUP if session is not None and session.group_mode else user_id
        return self._answers.get((session_id, prompt_id, owner))

    def peek_version(self, session_id: int, prompt_id: str) -> int:
        """The version of a live session's group answer (0: not answered yet)."""
        return self._versions.get((session_id, prompt_id), 0)

    # helpers ---------------------------------------------------------------------------------

    def prompt_set(self, set_id: str) -> PromptSet:
        try:
            return self.library.prompt_sets[set_id]
        except KeyError:
            known = ", ".join(sorted(self.library.prompt_sets)) or "none"
            shown = f"called '{set_id}'" if ID_PATTERN.match(set_id) else "of that name"
            raise NotFound(f"There is no prompt set {shown}. Known sets: {known}.") from None

    def live_prompt(self, session: SessionRow) -> Prompt:
        pset = self.prompt_set(session.prompt_set)
        prompt = pset.prompt_by_number(session.current_prompt)
        if prompt is None:  # the YAML lost prompts since the session started
            raise NotFound(
                f"Prompt {session.current_prompt} of '{pset.id}' no longer exists in the "
                "loaded prompt set; ask the organiser to check the prompt files."
            )
        return prompt

    def prompt(self, session: SessionRow, prompt_id: str) -> Prompt:
        prompt = self.prompt_set(session.prompt_set).prompt_by_id(prompt_id)
        if prompt is None:
            raise NotFound(f"Prompt '{prompt_id}' is not part of this session's prompt set.")
        return prompt

    def refusal(self, session: SessionRow, prompt: Prompt) -> Refusal | None:
        """Why ``prompt`` of ``session`` cannot be answered now (None: it can). The same rule
        storage enforces when saving (:func:`bot.rules.answerable`)."""
        return answerable(session.status.value, session.pace, session.current_prompt,
                          prompt.number)

    def check_answerable(self, session: SessionRow, prompt: Prompt) -> None:
        """Raise :class:`AnsweringClosed` when ``prompt`` cannot be answered now."""
        refusal = self.refusal(session, prompt)
        if refusal is not None:
            raise AnsweringClosed(refusal, prompt_number=prompt.number,
                                  current_prompt=session.current_prompt)

    def answerable_prompts(self, session: SessionRow) -> list[Prompt]:
        """The prompts of ``session`` that take answers now."""
        return [p for p in self.prompt_set(session.prompt_set).prompts
                if self.refusal(session, p) is None]

    async def live_session(self, guild_id: int, channel_id: int) -> SessionRow:
        session = self.peek_live(guild_id, channel_id)
        if session is None:
            raise NoLiveSession(
                "There is no session running in this channel. A facilitator can start one "
                "with `/session start`."
            )
        return session

    async def session(self, guild_id: int, session_id: int) -> SessionRow:
        session = self.peek_session(guild_id, session_id)
        if session is None:
            session = await self.db.session(guild_id, session_id)
        if session is None:
            raise NotFound("That session no longer exists in this server.")
        return session

    # facilitator actions -----------------------------------------------------------------------

    async def start(
        self, guild_id: int, channel_id: int, *, group_name: str, workshop: str, set_id: str,
        started_by: int, anonymous: bool = False, pace: Pace = "facilitator",
        answers: AnswerMode | None = None,
    ) -> SessionRow:
        """Start ``set_id`` in a channel or thread as one group of ``workshop``. ``answers``:
        each person answers (``individual``) or the group agrees one answer per prompt
        (``group``); default: what the prompt set declares."""
        pset = self.prompt_set(set_id)
        mode = answers or pset.answers
        if mode not in ANSWER_MODES:
            raise WorkshopError("Answers must be 'individual' or 'group'.")
        workshop = clean_name(workshop)
        if not workshop:
            raise WorkshopError("Give the workshop a name with something visible in it, e.g. "
                                "`Leeds seminar 2026`.")
        if len(workshop) > MAX_WORKSHOP_NAME:
            raise WorkshopError(
                f"The workshop name is {len(workshop)} characters; the limit is "
                f"{MAX_WORKSHOP_NAME}."
            )
        if pace not in ("facilitator", "self"):
            raise WorkshopError("Pace must be 'facilitator' or 'self'.")
        group_name = clean_name(group_name)[:MAX_WORKSHOP_NAME] or f"channel {channel_id}"
        session = await self.db.create_session(
            guild_id=guild_id, workshop=workshop, channel_id=channel_id, group_name=group_name,
            prompt_set=pset.id, prompt_count=len(pset.prompts), anonymous=anonymous, pace=pace,
            started_by=started_by, answer_mode=mode,
        )
        if session is None:
            raise SessionAlreadyLive(
                "A session is already running in this channel. Close it with `/session close` "
                "before starting another."
            )
        log.info("session %d started in guild %d (set %s)", session.id, guild_id, pset.id)
        self._remember(session)
        await self.events.publish(ev.SessionStarted(session))
        return session

    async def goto(self, guild_id: int, channel_id: int, number: int) -> SessionRow:
        session = await self.live_session(guild_id, channel_id)
        if not 1 <= number <= session.prompt_count:
            raise InvalidMove(
                f"There is no prompt {number}: this session has prompts 1 to "
                f"{session.prompt_count}."
            )
        return await self._update(session, current_prompt=number)

    async def next(self, guild_id: int, channel_id: int) -> SessionRow:
        session = await self.live_session(guild_id, channel_id)
        if session.current_prompt >= session.prompt_count:
            raise InvalidMove(
                f"Prompt {session.current_prompt} is the last one. Use `/session close` when "
                "the group is done."
            )
        return await self._update(session, current_prompt=session.current_prompt + 1)

    async def back(self, guild_id: int, channel_id: int) -> SessionRow:
        session = await self.live_session(guild_id, channel_id)
        if session.current_prompt <= 1:
            raise InvalidMove("This is already the first prompt.")
        return await self._update(session, current_prompt=session.current_prompt - 1)

    async def pause(self, guild_id: int, channel_id: int) -> SessionRow:
        session = await self.live_session(guild_id, channel_id)
        if session.status is SessionStatus.PAUSED:
            raise InvalidMove("Answering is already paused. Use `/session resume` to reopen it.")
        return await self._update(session, status=SessionStatus.PAUSED)

    async def resume(self, guild_id: int, channel_id: int) -> SessionRow:
        session = await self.live_session(guild_id, channel_id)
        if session.status is SessionStatus.OPEN:
            raise InvalidMove("Answering is already open.")
        return await self._update(session, status=SessionStatus.OPEN)

    async def close(self, guild_id: int, channel_id: int) -> Status:
        session = await self.live_session(guild_id, channel_id)
        closed = await self._update(session, status=SessionStatus.CLOSED)
        log.info("session %d closed in guild %d", session.id, guild_id)
        return await self._status(closed)

    async def _update(
        self, session: SessionRow, *, status: SessionStatus | None = None,
        current_prompt: int | None = None, cause: str = "facilitator",
    ) -> SessionRow:
        updated = await self.db.update_session(
            session.guild_id, session.id, status=status, current_prompt=current_prompt
        )
        if updated is None:
            raise NotFound("That session no longer exists in this server.")
        self._remember(updated)
        if status is SessionStatus.CLOSED:
            await self._drop_timer(updated, "closed")
        elif current_prompt is not None and current_prompt != session.current_prompt:
            await self._drop_timer(updated, "moved")
        if current_prompt is not None and current_prompt != session.current_prompt:
            await self.events.publish(ev.PromptMoved(updated, session.current_prompt, cause))
        if status is not None and status is not session.status:
            event = {SessionStatus.PAUSED: ev.SessionPaused, SessionStatus.OPEN: ev.SessionResumed,
                     SessionStatus.CLOSED: ev.SessionClosed}[status]
            await self.events.publish(event(updated))
        return updated

    async def status(self, guild_id: int, channel_id: int) -> Status:
        return await self._status(await self.live_session(guild_id, channel_id))

    async def session_status(self, guild_id: int, session_id: int) -> Status:
        return await self._status(await self.session(guild_id, session_id))

    async def _status(self, session: SessionRow) -> Status:
        pset = self.prompt_set(session.prompt_set)
        counts, people = await self.db.session_counts(session.guild_id, session.id)
        history: dict[str, list[VersionRow]] = {}
        if session.group_mode:
            by_answer: dict[int, list[VersionRow]] = {}
            for v in await self.db.versions(session.guild_id, session.id):
                by_answer.setdefault(v.answer_id, []).append(v)
            answers = {a.id: a.prompt_id for a in await self.db.group_answers(
                session.guild_id, session.id)}
            history = {answers[aid]: vs for aid, vs in by_answer.items() if aid in answers}
        per_prompt = tuple(
            PromptCount(p, counts.get(p.id, 0), *_contributions(history.get(p.id, [])))
            for p in pset.prompts
        )
        return Status(session, self.live_prompt(session), per_prompt, people)

    async def latest_session(self, guild_id: int, channel_id: int) -> SessionRow | None:
        """The live session of a channel, or else the last one that ran there."""
        return self.peek_live(guild_id, channel_id) or await self.db.latest_session(
            guild_id, channel_id
        )

    async def sessions(self, guild_id: int, workshop: str | None = None) -> list[SessionRow]:
        return await self.db.sessions(guild_id, workshop)

    # workshops ---------------------------------------------------------------------------------

    async def workshop_names(self, guild_id: int) -> list[str]:
        return await self.db.workshop_names(guild_id)

    async def workshops(self, guild_id: int) -> list[WorkshopRow]:
        return await self.db.workshops(guild_id)

    async def workshop(self, guild_id: int, name: str) -> WorkshopRow:
        """The workshop called ``name`` in this server (case-insensitive; the name is cleaned
        as when it was created)."""
        found = await self.db.workshop(guild_id, clean_name(name))
        if found is None:
            raise NotFound("There is no workshop of that name in this server. Start typing in "
                           "the `workshop` option to choose one.")
        return found

    async def update_workshop(
        self, workshop: WorkshopRow, *, phase: WorkshopPhase | None = None,
        settings: dict[str, object] | None = None,
    ) -> WorkshopRow:
        updated = await self.db.update_workshop(workshop.guild_id, workshop.id, phase=phase,
                                                settings=settings)
        if updated is None:
            raise NotFound("That workshop no longer exists in this server.")
        await self.events.publish(ev.WorkshopChanged(updated))
        return updated

    # participants ------------------------------------------------------------------------------

    def validate_answer(self, prompt: Prompt, values: Mapping[str, FieldValue],
                        previous: Mapping[str, FieldValue] | None = None
                        ) -> dict[str, FieldValue]:
        """Check required fields, lengths and citations; returns the values to store (only
        fields of the prompt; an empty optional text field as an empty string, a cite field
        as the list of example ids chosen, in the order of the prompt's examples). Text is
        stored exactly as given. A value over a field's limit is accepted when it is the
        stored value unchanged (the limit was lowered after it was written: it is not the
        person's to shorten now); so is a citation of an example no longer linked."""
        problems: list[str] = []
        known = {f.id for f in prompt.fields}
        for key in values:
            if key not in known:
                problems.append(f"'{key}' is not a field of prompt {prompt.number}")
        clean: dict[str, FieldValue] = {}
        for f in prompt.fields:
            before = previous.get(f.id) if previous else None
            if f.is_cite:
                cited = self._citations(prompt, f, values.get(f.id, []), before, problems)
                if cited is not None:
                    clean[f.id] = cited
                continue
            value = values.get(f.id, "")
            if not isinstance(value, str):
                problems.append(f"'{f.label}' must be text")
                continue
            length = len(value)
            if f.required and not value.strip():
                problems.append(f"'{f.label}' is required")
            elif length > f.max_length and before != value:
                problems.append(
                    f"'{f.label}' is {length} characters; the limit is {f.max_length}"
                )
            elif value.strip() and length < f.min_length:
                problems.append(
                    f"'{f.label}' is {length} characters; it needs at least {f.min_length}"
                )
            clean[f.id] = value
        if problems:
            raise InvalidAnswer(problems)
        return clean

    def _citations(self, prompt: Prompt, f: AnswerField, value: object,
                   before: FieldValue | None, problems: list[str]) -> list[str] | None:
        """The example ids a cite field's value names, each one of the prompt's linked
        examples (or already cited in the stored answer), in the prompt's order."""
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            problems.append(f"'{f.label}' must be a list of the prompt's examples")
            return None
        chosen = list(dict.fromkeys(value))
        kept = set(before) if isinstance(before, list) else set()
        linked = prompt.example_ids
        unknown = [v for v in chosen if v not in linked and v not in kept]
        if unknown:  # (an id is echoed only when it looks like one: no markup, no mention)
            shown = ", ".join(f"'{v}'" if ID_PATTERN.match(v) else "an unknown example"
                              for v in unknown[:3])
            problems.append(f"'{f.label}': {shown} "
                            f"{'is not an example' if len(unknown) == 1 else 'are not examples'}"
                            f" linked to prompt {prompt.number}")
            return None
        if f.required and not chosen:
            problems.append(f"'{f.label}' is required: choose at least one example")
        limit = prompt.cite_limit(f)
        if len(chosen) > limit and set(chosen) != kept:
            problems.append(f"'{f.label}': {len(chosen)} examples chosen; the limit is {limit}")
        order = {eid: i for i, eid in enumerate(linked)}
        return sorted(chosen, key=lambda eid: order.get(eid, len(order)))

    async def submit(
        self, guild_id: int, session_id: int, prompt_id: str, *, user_id: int,
        display_name: str, values: Mapping[str, FieldValue],
        interaction_id: int | None = None,
        base_version: int | None = None,
    ) -> Submission:
        """Save (or edit) a person's answer, or in group mode a new version of the group's
        answer written on ``base_version`` (the version the form was opened on; raises
        :class:`EditConflict` when the group's answer changed since). Returns once it is
        committed to disk."""
        session = await self.session(guild_id, session_id)
        prompt = self.prompt(session, prompt_id)
        owner = GROUP if session.group_mode else user_id
        clean = self.validate_answer(prompt, values,
                                     self._answers.get((session_id, prompt.id, owner)))
        if session.group_mode:
            result = await self.db.save_group_answer(
                guild_id=guild_id, session_id=session_id, prompt_id=prompt.id,
                prompt_number=prompt.number, user_id=user_id, display_name=display_name,
                fields=clean, interaction_id=interaction_id,
                base_version=base_version if base_version is not None else
                self.peek_version(session_id, prompt.id),
            )
        else:
            result = await self.db.save_answer(
                guild_id=guild_id, session_id=session_id, prompt_id=prompt.id,
                prompt_number=prompt.number, user_id=user_id, display_name=display_name,
                fields=clean, interaction_id=interaction_id,
            )
        outcome = result.outcome
        if outcome is SaveOutcome.CONFLICT:
            current = result.answer
            if current is not None and session_id in self._live:
                self._keep(current)
            raise EditConflict(
                yours=clean, current=current.fields if current else {},
                by=result.current_by, version=current.version if current else 0,
            )
        if outcome is SaveOutcome.NO_SESSION:
            raise NotFound("That session no longer exists in this server.")
        refusal = outcome.refusal
        if refusal is not None:
            raise AnsweringClosed(refusal, prompt_number=prompt.number,
                                  current_prompt=result.current_prompt or prompt.number)
        assert result.answer is not None
        if session_id in self._live:
            self._keep(result.answer)
        if outcome is not SaveOutcome.REPLAYED:
            await self.events.publish(ev.AnswerSaved(
                session, result.answer, created=outcome is SaveOutcome.CREATED
            ))
        if outcome is SaveOutcome.UPDATED and session.workshop_id in self._shared and \
                (result.answer.is_group or not session.anonymous):
            # gallery cards already posted show the new text; not a person's own answer in an
            # anonymous session: a card changing as someone submits would link them to it
            await self._cards_after_edit(guild_id, result.answer.id)
        return Submission(
            answer=result.answer,
            created=outcome is SaveOutcome.CREATED,
            replayed=outcome is SaveOutcome.REPLAYED,
            first_in_guild=result.first_in_guild,
        )

    async def my_answers(self, guild_id: int, user_id: int) -> list[AnswerRow]:
        return await self.db.answers_of_user(guild_id, user_id)

    async def forget(self, guild_id: int, user_id: int) -> int:
        """Erase a person's answers, versions, comments and dots in a server; gallery cards
        that showed their answers are then edited or withdrawn (:class:`GalleryCardsChanged`).
        Returns how many answers (and versions) were erased."""
        cards = await self._cards_of(guild_id, user_id)
        count = await self.db.erase_user(guild_id, user_id)
        live = {sid for sid, s in self._live.items() if s.guild_id == guild_id}
        for key in [k for k in self._answers
                    if k[0] in live and k[2] in (user_id, GROUP)]:
            del self._answers[key]
        for key in [k for k in self._versions if k[0] in live]:
            del self._versions[key]
        for answer in await self.db.answers_of_unclosed_sessions():  # group answers may have
            if answer.session_id in live and answer.is_group:  # gone back a version
                self._keep(answer)
        log.info("erased %d answers of one participant in guild %d", count, guild_id)
        await self.events.publish(ev.AnswersErased(guild_id, user_id, count))
        if cards:
            await self._refresh_cards(guild_id, cards)
        return count

    # settings ----------------------------------------------------------------------------------

    def facilitator_role(self, guild_id: int) -> int | None:
        """The role that may facilitate in this server (None: Manage Server decides)."""
        return self._roles.get(guild_id)

    async def set_facilitator_role(self, guild_id: int, role_id: int | None) -> None:
        await self.db.set_facilitator_role(guild_id, role_id)
        self._roles[guild_id] = role_id
