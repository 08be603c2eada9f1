"""Timers on a group's live prompt, and reminders of who has not answered (a part of the Engine).

A timer is two jobs of the scheduler (so it survives a restart): a warning one minute before
the end and the end itself. When it ends the engine publishes :class:`TimeUp` (the Discord
layer posts "time's up") and then does what was asked: nothing, pause answering, or move to
the next prompt. A timer belongs to one prompt: moving the group or closing the session
cancels it. One that fell due while the bot was down runs at once and says it is late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.engine.errors import InvalidMove, NotFound, WorkshopError
from bot.events import Event
from bot.scheduler import Due
from bot.storage import SessionRow, SessionStatus, WorkshopRow

if TYPE_CHECKING:
    from bot.engine.engine import Engine

log = logging.getLogger(__name__)

Then = Literal["nothing", "pause", "next"]
THEN: tuple[Then, ...] = ("nothing", "pause", "next")
END = "timer"
WARNING = "timer-warning"
WARN_BEFORE = timedelta(minutes=1)
MAX_MINUTES = 240


@dataclass(frozen=True, slots=True)
class Timer:
    session_id: int
    guild_id: int
    prompt_number: int
    ends_at: datetime
    then: Then
    minutes: int

    def key(self) -> str:
        return f"session:{self.session_id}"

    def payload(self) -> dict[str, object]:
        return {"prompt": self.prompt_number, "then": self.then, "minutes": self.minutes,
                "ends_at": self.ends_at.isoformat()}


@dataclass(frozen=True, slots=True)
class TimerSet(Event):
    session: SessionRow
    timer: Timer


@dataclass(frozen=True, slots=True)
class TimerCancelled(Event):
    session: SessionRow
    timer: Timer
    why: Literal["cancelled", "moved", "closed"]


@dataclass(frozen=True, slots=True)
class TimerWarning(Event):
    """One minute is left (``late``: the bot was down when the warning fell due)."""

    session: SessionRow
    timer: Timer
    late: bool
    reminder: Reminder | None  # when the workshop wants a reminder with the warning


@dataclass(frozen=True, slots=True)
class TimeUp(Event):
    """The time is up; ``then`` is about to be applied (``late``: it ran out while the bot
    was down, ``late_by`` is how long ago)."""

    session: SessionRow
    timer: Timer
    late: bool
    late_by: timedelta


@dataclass(frozen=True, slots=True)
class Reminder:
    """Who has not answered the live prompt: in individual mode, of the people who answered
    in this session so far, ``missing`` (and their display names in named sessions, if asked);
    in group mode, whether the group's answer is missing."""

    session: SessionRow
    prompt_number: int
    prompt_title: str
    missing: int
    of: int
    names: tuple[str, ...] = ()
    group_answer_missing: bool = False


def _timer(job_payload: dict[str, object], session_id: int, guild_id: int) -> Timer:
    return Timer(
        session_id=session_id, guild_id=guild_id,
        prompt_number=int(job_payload["prompt"]),  # type: ignore[call-overload]
        ends_at=datetime.fromisoformat(str(job_payload["ends_at"])),
        then=str(job_payload.get("then", "nothing")),  # type: ignore[arg-type]
        minutes=int(job_payload.get("minutes", 0)),  # type: ignore[call-overload]
    )


class Timers:
    """Timer and reminder operations of :class:`~bot.engine.Engine`."""

    _timers: dict[int, Timer]

    def register_timers(self: Engine) -> None:
        self._timers = {}
        self.scheduler.register(END, self._time_up)
        self.scheduler.register(WARNING, self._warning)

    async def load_timers(self: Engine) -> None:
        """Read the timers that are set (at start)."""
        for job in await self.db.jobs_of(END):
            session_id = int(job.key.split(":", 1)[1])
            if session_id in self._live and job.guild_id is not None:
                self._timers[session_id] = _timer(job.payload, session_id, job.guild_id)

    def timer_of(self: Engine, session_id: int) -> Timer | None:
        """The timer running on a live session's prompt, if any."""
        return self._timers.get(session_id)

    async def set_timer(self: Engine, guild_id: int, channel_id: int, minutes: int | None,
                        then: Then = "nothing") -> Timer:
        """Start (or restart) the timer on a channel's live prompt; ``minutes`` defaults to the
        prompt's suggested minutes."""
        return await self._start_timer(await self.live_session(guild_id, channel_id), minutes,
                                       then)

    async def _start_timer(self: Engine, session: SessionRow, minutes: int | None,
                           then: Then) -> Timer:
        if session.status is SessionStatus.CLOSED:
            raise InvalidMove("This session is closed.")
        prompt = self.live_prompt(session)
        minutes = minutes or prompt.minutes
        if not minutes:
            raise WorkshopError(f"Prompt {prompt.number} has no suggested time: give the "
                                "minutes, e.g. `minutes: 20`.")
        if not 1 <= minutes <= MAX_MINUTES:
            raise WorkshopError(f"A timer runs 1 to {MAX_MINUTES} minutes.")
        if then not in THEN:
            raise WorkshopError("`then` must be nothing, pause or next.")
        ends_at = self.clock.now() + timedelta(minutes=minutes)
        timer = Timer(session.id, session.guild_id, prompt.number, ends_at, then, minutes)
        await self.scheduler.schedule(END, timer.key(), ends_at, guild_id=session.guild_id,
                                      payload=timer.payload())
        if minutes > 1:
            await self.scheduler.schedule(WARNING, timer.key(), ends_at - WARN_BEFORE,
                                          guild_id=session.guild_id, payload=timer.payload())
        else:
            await self.scheduler.cancel(WARNING, timer.key())
        self._timers[session.id] = timer
        await self.events.publish(TimerSet(session, timer))
        return timer

    async def cancel_timer(self: Engine, guild_id: int, channel_id: int) -> Timer:
        session = await self.live_session(guild_id, channel_id)
        timer = await self._drop_timer(session, "cancelled")
        if timer is None:
            raise NotFound("There is no timer running in this channel.")
        return timer

    async def _drop_timer(self: Engine, session: SessionRow,
                          why: Literal["cancelled", "moved", "closed"]) -> Timer | None:
        timer = self._timers.pop(session.id, None)
        if timer is None:
            return None
        await self.scheduler.cancel(END, timer.key())
        await self.scheduler.cancel(WARNING, timer.key())
        await self.events.publish(TimerCancelled(session, timer, why))
        return timer

    async def set_workshop_timer(
        self: Engine, guild_id: int, name: str, minutes: int | None, then: Then = "nothing",
    ) -> tuple[WorkshopRow, list[tuple[SessionRow, Timer | str]]]:
        """A timer on every live group's prompt; per group the timer, or why not."""
        workshop = await self.workshop(guild_id, name)
        out: list[tuple[SessionRow, Timer | str]] = []
        for session in self.live_groups(workshop):
            try:
                out.append((session, await self._start_timer(session, minutes, then)))
            except WorkshopError as exc:
                out.append((session, exc.message))
        if not out:
            raise NotFound("No group of that workshop is running.")
        return workshop, out

    async def cancel_workshop_timer(self: Engine, guild_id: int, name: str) -> int:
        workshop = await self.workshop(guild_id, name)
        dropped = [await self._drop_timer(s, "cancelled") for s in self.live_groups(workshop)]
        return sum(1 for t in dropped if t is not None)

    # --- when they fall due -------------------------------------------------------------------

    def _current(self: Engine, due: Due) -> tuple[SessionRow, Timer] | None:
        """The session and timer a job is for, unless it went stale (closed, moved on)."""
        session_id = int(due.job.key.split(":", 1)[1])
        session = self._live.get(session_id)
        timer = self._timers.get(session_id)
        if session is None or timer is None or timer.ends_at.isoformat() != \
                due.payload.get("ends_at") or timer.prompt_number != session.current_prompt:
            return None
        return session, timer

    async def _warning(self: Engine, due: Due) -> None:
        found = self._current(due)
        if found is None:
            return
        session, timer = found
        if self.clock.now() >= timer.ends_at:  # the bot was down: time's up says it all
            return
        reminder = None
        workshop = await self.db.workshop_by_id(session.guild_id, session.workshop_id)
        if workshop is not None and workshop.settings.get("remind_at_warning"):
            reminder = await self.reminder(session)
        await self.events.publish(TimerWarning(session, timer, due.late, reminder))

    async def _time_up(self: Engine, due: Due) -> None:
        found = self._current(due)
        if found is None:
            return
        session, timer = found
        self._timers.pop(session.id, None)
        await self.scheduler.cancel(WARNING, timer.key())
        late_by = max(timedelta(0), self.clock.now() - timer.ends_at)
        await self.events.publish(TimeUp(session, timer, due.late, late_by))
        try:
            if timer.then == "pause" and session.status is SessionStatus.OPEN:
                await self._update(session, status=SessionStatus.PAUSED)
            elif timer.then == "next":
                if session.current_prompt < session.prompt_count:
                    await self._update(session, current_prompt=session.current_prompt + 1,
                                       cause="timer")
                elif session.status is SessionStatus.OPEN:  # the last prompt: stop answering
                    await self._update(session, status=SessionStatus.PAUSED)
        except WorkshopError as exc:
            log.info("timer of session %s: %s", session.id, exc.message)

    # --- reminders -------------------------------------------------------------------------

    async def remind(self: Engine, guild_id: int, channel_id: int,
                     names: bool = False) -> Reminder:
        return await self.reminder(await self.live_session(guild_id, channel_id), names)

    async def reminder(self: Engine, session: SessionRow, names: bool = False) -> Reminder:
        """Who has not answered the live prompt yet. Names only for named sessions, and only
        when asked."""
        prompt = self.live_prompt(session)
        if session.group_mode:
            missing = self.peek_answer(session.id, prompt.id, 0) is None
            return Reminder(session, prompt.number, prompt.title, int(missing), 1,
                            group_answer_missing=missing)
        people = await self.db.session_people(session.guild_id, session.id)
        answered = await self.db.answered(session.guild_id, session.id, prompt.id)
        missing = [name for uid, name in people.items() if uid not in answered]
        shown = tuple(missing) if names and not session.anonymous else ()
        return Reminder(session, prompt.number, prompt.title, len(missing), len(people), shown)

    async def set_reminders(self: Engine, guild_id: int, user_id: int, on: bool) -> None:
        """A participant's choice: a DM when a new prompt opens in a session they answered in."""
        await self.db.set_reminders(guild_id, user_id, on)
