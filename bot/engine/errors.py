"""Errors whose message is meant for the person who caused them."""

from __future__ import annotations

from bot.models import FieldValue
from bot.rules import Refusal, refusal_message
from bot.storage import SaveOutcome


class WorkshopError(Exception):
    """An error whose message is meant for the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WorkshopError):
    pass


class NoLiveSession(NotFound):
    pass


class SessionAlreadyLive(WorkshopError):
    pass


class InvalidMove(WorkshopError):
    pass


class AnsweringClosed(WorkshopError):
    """The answer cannot be given or was not saved: :func:`bot.rules.answerable` refused it.
    ``refusal`` says why (``reason`` is the same as a storage outcome); ``prompt_number`` is
    the prompt tried and ``current_prompt`` the live one."""

    def __init__(self, refusal: Refusal, *, prompt_number: int, current_prompt: int) -> None:
        super().__init__(refusal_message(refusal, prompt_number, current_prompt))
        self.refusal = refusal
        self.reason = SaveOutcome(refusal.value)
        self.prompt_number = prompt_number
        self.current_prompt = current_prompt


class InvalidAnswer(WorkshopError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("Your answer was not saved: " + "; ".join(problems) + ".")
        self.problems = problems


class EditConflict(WorkshopError):
    """A group answer changed after the form was opened (someone else saved meanwhile), so this
    save was refused. ``yours`` is what was typed, ``current`` the group's answer now (version
    ``version``, last saved by ``by``)."""

    def __init__(self, *, yours: dict[str, FieldValue], current: dict[str, FieldValue],
                 by: str | None, version: int) -> None:
        who = by or "someone else"
        super().__init__(
            f"Your answer was **not saved**: {who} saved the group's answer after you opened "
            "the form, and saving yours would have replaced theirs."
        )
        self.yours = yours
        self.current = current
        self.by = by
        self.version = version
