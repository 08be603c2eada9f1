"""Rules that more than one layer applies, each decided in one place. No discord imports.

The storage layer enforces them atomically (inside the write transaction), the engine applies
them to its in-memory mirror, and the Discord layer only words the result.
"""

from __future__ import annotations

import unicodedata
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


# --- names people give (workshops, groups) ----------------------------------------------------

# Unicode categories that render as nothing or reorder text: controls (Cc), format characters
# such as zero-width spaces, joiners and bidi overrides (Cf), surrogates, private use and
# unassigned code points. None of them belongs in a workshop or group name.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_name(raw: str) -> str:
    """A name as stored and shown: NFKC-normalised (full-width and compatibility forms folded),
    invisible and control characters removed, runs of white space made one space. Empty when
    nothing visible is left."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE
                   or ch in "\t\n\r")
    return " ".join(text.split())


def refusal_message(refusal: Refusal, prompt_number: int, current_prompt: int) -> str:
    """What a person is told when :func:`answerable` refuses (opening the form or saving)."""
    if refusal is Refusal.NO_SESSION:
        return "That session no longer exists in this server."
    if refusal is Refusal.CLOSED:
        return "This session is closed, so answers can no longer be changed."
    if refusal is Refusal.PAUSED:
        return "Answering is paused by the facilitator. Try again once the session resumes."
    return (f"The group has moved on from prompt {prompt_number} to prompt {current_prompt}; "
            f"answers to prompt {prompt_number} are closed. Use the latest card, or `/answer`.")
