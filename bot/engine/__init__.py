"""The engine: sessions, answers and workshops on top of storage and the content library.

No discord imports. :class:`Engine` is the way in; errors meant for people are
:class:`WorkshopError` subclasses.
"""

from bot.engine.chain import OwnChain
from bot.engine.engine import (
    MAX_WORKSHOP_NAME,
    Engine,
    Pace,
    PromptCount,
    Status,
    Submission,
)
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

__all__ = [
    "MAX_WORKSHOP_NAME",
    "AnsweringClosed",
    "EditConflict",
    "Engine",
    "InvalidAnswer",
    "InvalidMove",
    "NoLiveSession",
    "NotFound",
    "OwnChain",
    "Pace",
    "PromptCount",
    "SessionAlreadyLive",
    "Status",
    "Submission",
    "WorkshopError",
]
