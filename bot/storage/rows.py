"""What the storage layer hands back: plain, immutable rows. No SQL here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.models import FieldValue
from bot.rules import Refusal


def utcnow_iso() -> str:
    """Current UTC time as ISO 8601 with milliseconds, e.g. ``2026-11-26T14:05:00.123+00:00``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SessionStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class WorkshopPhase(StrEnum):
    ANSWERING = "answering"
    GALLERY = "gallery"
    VOTING = "voting"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class WorkshopRow:
    """A workshop (event) of one server: the groups (sessions) that share its name."""

    id: int
    guild_id: int
    name: str
    phase: WorkshopPhase
    settings: dict[str, Any]
    created_at: str


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    guild_id: int
    workshop_id: int
    workshop: str
    channel_id: int
    group_name: str
    prompt_set: str
    anonymous: bool
    pace: str
    status: SessionStatus
    current_prompt: int
    prompt_count: int
    started_by: int
    created_at: str
    closed_at: str | None
    answer_mode: str = "individual"  # or "group": one agreed answer per prompt

    @property
    def group_mode(self) -> bool:
        return self.answer_mode == "group"


GROUP = 0  # the user id of a group answer (it belongs to the group, not to one person)


@dataclass(frozen=True, slots=True)
class AnswerRow:
    id: int
    guild_id: int
    session_id: int
    prompt_id: str
    user_id: int
    display_name: str
    fields: dict[str, FieldValue]
    created_at: str
    updated_at: str
    version: int = 1  # group answers: how many times it was saved

    @property
    def is_group(self) -> bool:
        return self.user_id == GROUP


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One saved version of a group answer."""

    answer_id: int
    number: int
    user_id: int
    display_name: str
    fields: dict[str, FieldValue]
    created_at: str


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REPLAYED = "replayed"  # this interaction was already applied: nothing changed
    CONFLICT = "conflict"  # a group answer changed after the form was opened: not saved
    NO_SESSION = Refusal.NO_SESSION.value
    PAUSED = Refusal.PAUSED.value
    CLOSED = Refusal.CLOSED.value
    MOVED_ON = Refusal.MOVED_ON.value

    @property
    def refusal(self) -> Refusal | None:
        """The rule that refused the answer, or None when it was saved (or replayed)."""
        try:
            return Refusal(self.value)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class SaveResult:
    outcome: SaveOutcome
    answer: AnswerRow | None = None
    first_in_guild: bool = False  # the person's first answer in this server
    current_prompt: int | None = None
    current_by: str | None = None  # CONFLICT: who wrote the version that is now current


@dataclass(frozen=True, slots=True)
class BotMessage:
    """A message the bot posted and may edit later (by channel and message id)."""

    id: int
    guild_id: int
    kind: str
    session_id: int | None
    workshop_id: int | None
    channel_id: int
    message_id: int
    created_at: str
    answer_id: int | None = None  # a gallery card: the answer it shows


@dataclass(frozen=True, slots=True)
class WalkRow:
    """A gallery walk: group ``rotation[i]`` sees the answers of group
    ``rotation[(i + round) % len(rotation)]`` to ``prompt_id``."""

    id: int
    guild_id: int
    workshop_id: int
    prompt_id: str
    rotation: tuple[int, ...]  # session ids
    round: int
    rotate_minutes: int | None
    started_at: str
    ended_at: str | None

    @property
    def rounds(self) -> int:
        """How many rounds the walk has: after them every group has seen every other."""
        return len(self.rotation) - 1

    @property
    def live(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True, slots=True)
class VoteRow:
    """A dot-vote on one prompt of a workshop: ``dots`` per person."""

    id: int
    guild_id: int
    workshop_id: int
    prompt_id: str
    dots: int
    opened_at: str
    closed_at: str | None


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A comment on an answer (of ``session_id``), written in the channel of the group
    ``from_session_id`` (None when that session was deleted since)."""

    id: int
    answer_id: int
    session_id: int
    prompt_id: str
    answer_user_id: int  # who the answer belongs to (0: a group answer)
    user_id: int  # who wrote the comment
    display_name: str
    from_session_id: int | None
    text: str
    created_at: str


class CommentOutcome(StrEnum):
    SAVED = "saved"
    REPLAYED = "replayed"  # this interaction was already applied: nothing changed
    CLOSED = "closed"  # no walk or vote shows the answer's prompt now
    NO_ANSWER = "no_answer"  # the answer is gone (erased, or its session deleted)


@dataclass(frozen=True, slots=True)
class CommentResult:
    outcome: CommentOutcome
    comment: CommentRow | None = None


class DotOutcome(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    REPLAYED = "replayed"  # this click was already applied: nothing changed
    NO_VOTE = "no_vote"  # no vote is open on the answer's prompt
    NO_ANSWER = "no_answer"
    OWN_GROUP = "own_group"  # the voter's own group's answer
    NO_DOTS_LEFT = "no_dots_left"
    NONE_TO_REMOVE = "none_to_remove"  # the voter has no dot on this answer


@dataclass(frozen=True, slots=True)
class DotResult:
    """What a vote click did, and the voter's dots in that vote afterwards."""

    outcome: DotOutcome
    dots: int = 0  # the vote's dots per person
    used: int = 0  # the voter's dots placed in the vote
    on_answer: int = 0  # of which on this answer

    @property
    def left(self) -> int:
        return max(0, self.dots - self.used)


@dataclass(frozen=True, slots=True)
class JobRow:
    """A scheduled job: run ``kind`` for ``key`` at ``due_at`` (ISO 8601, UTC)."""

    id: int
    kind: str
    key: str
    due_at: str
    guild_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
