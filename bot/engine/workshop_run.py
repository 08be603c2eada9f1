"""One facilitator steering every group of a workshop at once: move, pause, resume or close all
its live sessions in one go, and one view of where every group is.

Each group is moved on its own (a group already there, or past its last prompt, is reported,
not an error for the others); the engine publishes the usual events per group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.engine.errors import InvalidMove, NotFound, WorkshopError
from bot.storage import SessionRow, WorkshopRow

if TYPE_CHECKING:
    from bot.engine.engine import Engine, Status

Move = Literal["next", "back", "goto", "pause", "resume", "close"]


@dataclass(frozen=True, slots=True)
class GroupMove:
    """What happened to one group: ``moved`` (``session`` is its new state), ``unchanged``
    (it was already there; ``reason`` says why) or ``failed`` (``reason``)."""

    before: SessionRow
    outcome: Literal["moved", "unchanged", "failed"]
    session: SessionRow
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WorkshopMove:
    workshop: WorkshopRow
    move: Move
    groups: tuple[GroupMove, ...]

    @property
    def moved(self) -> list[GroupMove]:
        return [g for g in self.groups if g.outcome == "moved"]


class WorkshopRun:
    """Workshop-wide operations (a part of :class:`~bot.engine.Engine`)."""

    def live_groups(self: Engine, workshop: WorkshopRow) -> list[SessionRow]:
        """The workshop's open or paused sessions, in the order they started."""
        return sorted((s for s in self._live.values()
                       if s.workshop_id == workshop.id and s.guild_id == workshop.guild_id),
                      key=lambda s: s.id)

    async def move_workshop(
        self: Engine, guild_id: int, name: str, move: Move, number: int | None = None,
    ) -> WorkshopMove:
        """Apply ``move`` to every live group of the workshop called ``name``."""
        workshop = await self.workshop(guild_id, name)
        groups = self.live_groups(workshop)
        if not groups:
            raise NotFound("No group of that workshop is running: start groups with "
                           "`/session start` or `/workshop breakouts`.")
        if move == "goto" and number is None:
            raise InvalidMove("Say which prompt to go to.")
        results = []
        for session in groups:
            results.append(await self._move_one(session, move, number))
        return WorkshopMove(workshop, move, tuple(results))

    async def _move_one(
        self: Engine, session: SessionRow, move: Move, number: int | None
    ) -> GroupMove:
        steps: dict[Move, Callable[[], Awaitable[object]]] = {
            "next": lambda: self.next(session.guild_id, session.channel_id),
            "back": lambda: self.back(session.guild_id, session.channel_id),
            "goto": lambda: self.goto(session.guild_id, session.channel_id, number or 0),
            "pause": lambda: self.pause(session.guild_id, session.channel_id),
            "resume": lambda: self.resume(session.guild_id, session.channel_id),
            "close": lambda: self.close(session.guild_id, session.channel_id),
        }
        if move == "goto" and number == session.current_prompt:
            return GroupMove(session, "unchanged", session, f"already at prompt {number}")
        try:
            result = await steps[move]()
        except InvalidMove as exc:
            return GroupMove(session, "unchanged", session, exc.message)
        except WorkshopError as exc:
            return GroupMove(session, "failed", session, exc.message)
        after = result.session if move == "close" else result  # close gives a Status
        assert isinstance(after, SessionRow)
        return GroupMove(session, "moved", after)

    async def workshop_status(
        self: Engine, guild_id: int, name: str
    ) -> tuple[WorkshopRow, list[Status]]:
        """Every live group's status (live prompt, answers per prompt, participants)."""
        workshop = await self.workshop(guild_id, name)
        return workshop, [await self._status(s) for s in self.live_groups(workshop)]
