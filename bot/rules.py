"""Rules that more than one layer applies, each decided in one place. No discord imports.

The storage layer enforces them atomically (inside the write transaction), the engine applies
them to its in-memory mirror, and the Discord layer only words the result.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """Why an answer to a prompt cannot be given now."""

    NO_SESSION = "no_session"  # the session no longer exists (deleted)
    CLOSED = "closed"  # the session is closed: answers are locked
    PAUSED = "paused"  # the facilitator paused answering
    MOVED_ON = "moved_on"  # facilitator-paced and this prompt is not the live one


def answerable(status: str, pace: str, current_prompt: int, prompt_number: int) -> Refusal | None:
    """None when a prompt of a session in this state takes answers, else why not.

    ``status`` is ``open``/``paused``/``closed``; ``pace`` is ``facilitator`` or ``self``
    (self-paced sessions take any prompt in any order)."""
    if status == "closed":
        return Refusal.CLOSED
    if status == "paused":
        return Refusal.PAUSED
    if pace == "facilitator" and current_prompt != prompt_number:
        return Refusal.MOVED_ON
    return None
