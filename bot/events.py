"""What happened, published by the engine and the scheduler; the Discord layer subscribes.

No discord imports. A subscriber is a function of the event; it runs in the publisher's task,
in subscription order, so it must be quick (mark something dirty, queue work) or be a
coroutine function whose work the publisher awaits (used where the publisher must know the
work was done, e.g. a "time's up" post before the next prompt opens). A subscriber that
raises is logged and does not stop the others or the publisher.
"""

from __future__ import annotations

import inspect
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.storage import AnswerRow, SessionRow, WorkshopRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True, slots=True)
class SessionStarted(Event):
    session: SessionRow


@dataclass(frozen=True, slots=True)
class PromptMoved(Event):
    """The live prompt of a session changed (next, back, goto). ``cause`` is ``facilitator``
    (a command, which shows the new card itself) or ``timer`` (nobody has shown it yet)."""

    session: SessionRow
    previous: int
    cause: str = "facilitator"


@dataclass(frozen=True, slots=True)
class SessionPaused(Event):
    session: SessionRow


@dataclass(frozen=True, slots=True)
class SessionResumed(Event):
    session: SessionRow


@dataclass(frozen=True, slots=True)
class SessionClosed(Event):
    session: SessionRow


@dataclass(frozen=True, slots=True)
class AnswerSaved(Event):
    """An answer was committed (created or edited; not a replay)."""

    session: SessionRow
    answer: AnswerRow
    created: bool


@dataclass(frozen=True, slots=True)
class AnswersErased(Event):
    """A person erased their answers in a server (``/forget-me``)."""

    guild_id: int
    user_id: int
    count: int


@dataclass(frozen=True, slots=True)
class WorkshopChanged(Event):
    """A workshop's phase or settings changed."""

    workshop: WorkshopRow


@dataclass(frozen=True, slots=True)
class JobDue(Event):
    """A scheduled job fell due (published by the scheduler for kinds nobody handles
    directly). ``late`` is set when it fell due while the bot was not running."""

    kind: str
    key: str
    guild_id: int | None
    payload: dict[str, Any]
    due_at: str
    late: bool


E = TypeVar("E", bound=Event)
Subscriber = Callable[[Any], Awaitable[None] | None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[type[Event], list[Subscriber]] = defaultdict(list)

    def subscribe(self, kind: type[E], subscriber: Callable[[E], Awaitable[None] | None]
                  ) -> Callable[[], None]:
        """Call ``subscriber`` with every event of type ``kind`` (subclasses included).
        Returns a function that unsubscribes."""
        self._subscribers[kind].append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers[kind]:
                self._subscribers[kind].remove(subscriber)

        return unsubscribe

    async def publish(self, event: Event) -> None:
        for kind in type(event).__mro__:
            for subscriber in tuple(self._subscribers.get(kind, ())):  # type: ignore[arg-type]
                try:
                    result = subscriber(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("a subscriber to %s failed", type(event).__name__)
