"""Rule violations: record what the bot did that Discord would refuse, answer as Discord would,
and fail the test waiting on that interaction or channel."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from bot.emulator import rules
from bot.emulator._util import DiscordRuleViolation, error_response
from bot.emulator.records import Violation
from bot.emulator.state import State
from bot.emulator.world import Channel, InteractionResult

log = logging.getLogger("bot.emulator")


class Referee:
    def __init__(self, state: State) -> None:
        self._state = state

    def violation(
        self,
        rule: str,
        detail: str,
        route: str,
        *,
        status: int,
        code: int,
        interaction: InteractionResult | None = None,
        channel: Channel | None = None,
        problems: Sequence[rules.Problem] = (),
    ) -> Violation:
        violation = Violation(
            rule,
            detail,
            route,
            status,
            code,
            interaction.id if interaction else None,
            list(problems),
        )
        state = self._state
        state.violations.append(violation)
        if state.listeners:
            state.emit("violation", violation)
        log.warning("Discord would reject this: %s", violation)
        error = DiscordRuleViolation(violation)
        if interaction is not None:
            interaction.violations.append(violation)
            if interaction.error is None:
                interaction.error = error
            interaction.waiters.notify()
        if channel is not None:
            channel.waiters.fail(error)
        return violation

    def reject(
        self,
        problems: Sequence[rules.Problem],
        route: str,
        *,
        interaction: InteractionResult | None = None,
        channel: Channel | None = None,
    ) -> web.Response:
        """400 Invalid Form Body (50035) with Discord's nested ``errors``; one violation."""
        detail = "; ".join(str(p) for p in problems)
        self.violation(
            problems[0].rule,
            detail,
            route,
            status=400,
            code=50035,
            interaction=interaction,
            channel=channel,
            problems=problems,
        )
        return error_response(400, 50035, "Invalid Form Body", rules.discord_errors(problems))

    def reject_one(
        self,
        rule: str,
        detail: str,
        route: str,
        *,
        status: int,
        code: int,
        message: str,
        interaction: InteractionResult | None = None,
        channel: Channel | None = None,
    ) -> web.Response:
        """Discord's own error (``status``, ``code``, ``message``), recorded as ``rule``."""
        self.violation(
            rule, detail, route, status=status, code=code, interaction=interaction, channel=channel
        )
        return error_response(status, code, message)
