"""What the emulator records for tests to assert on: rule violations, 429s, resumes, requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.emulator import rules


@dataclass
class Violation:
    """One Discord rule the bot broke. ``rule`` is a stable name (``content_length``, ...)."""

    rule: str
    detail: str
    route: str
    status: int
    code: int
    interaction_id: int | None = None
    problems: list[rules.Problem] = field(default_factory=list)

    def __str__(self) -> str:
        where = f" (interaction {self.interaction_id})" if self.interaction_id else ""
        return f"[{self.rule}] {self.route}{where}: {self.detail}"


@dataclass
class RateLimitRecord:
    """One 429 the emulator served (scripted with :meth:`Emulator.rate_limit` or from a bucket
    in ``rate_limits="discord"`` mode), and when the client came back for the same method and
    path (emulator clock, see :meth:`Emulator.now`; ``None`` until it did)."""

    route: str  # "POST /interactions/{interaction_id}/{token}/callback"
    path: str  # "POST /api/v10/interactions/123/abc/callback"
    retry_after: float
    is_global: bool
    served_at: float
    retried_at: float | None = None
    bucket: str | None = None  # the X-RateLimit-Bucket of a discord-mode limit

    @property
    def waited(self) -> float | None:
        """Seconds between the 429 and the client's retry."""
        return None if self.retried_at is None else self.retried_at - self.served_at


@dataclass
class ResumeRecord:
    """One successful RESUME: from which sequence, and how many events were replayed."""

    session_id: str
    from_seq: int | None
    replayed: int


@dataclass(slots=True)
class RequestRecord:
    """One REST request the bot made: ``route`` is the template
    (``"PATCH /channels/{channel_id}/messages/{message_id}"``), ``path`` the concrete one
    (``"PATCH /channels/1/messages/2"``, without ``/api/v10``), ``at`` the emulator clock when it
    arrived, ``status``/``code`` what the emulator answered (``code`` for JSON errors)."""

    route: str
    path: str
    at: float
    status: int = 0
    code: int | None = None
