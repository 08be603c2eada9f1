"""The world's way in: :class:`WorldHost` implements :class:`bot.emulator.world.Host`, the
narrow interface guilds, people, modals and interaction results use, on top of the emulator's
state, gateway, messages and people-acting pieces."""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bot.emulator._util import Waiters
from bot.emulator.gateway import Gateway
from bot.emulator.interactions import People
from bot.emulator.messages import Messages
from bot.emulator.state import State
from bot.emulator.world import (
    INTENT_GUILDS,
    INTENT_MEMBERS,
    Channel,
    EmulatedMessage,
    EmulatedModal,
    Guild,
    InteractionResult,
    Member,
)

T = TypeVar("T")


class WorldHost:
    """The :class:`~bot.emulator.world.Host` the world's objects talk to."""

    def __init__(self, state: State, gateway: Gateway, messages: Messages, people: People) -> None:
        self._state = state
        self._gateway = gateway
        self._messages = messages
        self._people = people

    @property
    def bot_user_id(self) -> int:
        return self._state.config.bot_user_id

    @property
    def bot_name(self) -> str:
        return self._state.config.bot_name

    @property
    def owner_user_id(self) -> int:
        return self._state.config.owner_user_id

    def next_id(self) -> int:
        return self._state.next_id()

    def now(self) -> float:
        return self._state.now()

    def bot_user_payload(self) -> dict[str, Any]:
        return self._state.bot_user_payload()

    def channel_added(self, channel: Channel) -> None:
        self._state.register_channel(channel)
        if channel.guild is not None:
            event = "THREAD_CREATE" if channel.is_thread else "CHANNEL_CREATE"
            self._gateway.guild_event(channel.guild, event, channel.to_payload())

    def member_added(self, member: Member) -> None:
        self._state.users[member.id] = member
        self._gateway.guild_event(
            member.guild,
            "GUILD_MEMBER_ADD",
            {**member.member_payload(), "guild_id": str(member.guild.id)},
            intent=INTENT_MEMBERS,
        )

    def guild_event(
        self, guild: Guild, event: str, data: Any, *, intent: int = INTENT_GUILDS
    ) -> None:
        self._gateway.guild_event(guild, event, data, intent=intent)

    async def wait(
        self, waiters: Waiters, check: Callable[[], T | None], what: str, timeout: float | None
    ) -> T:
        return await self._state.waits.wait(waiters, check, what, timeout)

    async def run_command(
        self,
        member: Member,
        command: str,
        channel: Channel | None,
        *,
        dm: bool,
        options: Mapping[str, Any],
        force: bool,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult:
        return await self._people.run_command(
            member,
            command,
            channel,
            dm=dm,
            options=options,
            force=force,
            wait=wait,
            timeout=timeout,
        )

    async def autocomplete(
        self,
        member: Member,
        command: str,
        option: str,
        value: str,
        channel: Channel | None,
        *,
        dm: bool,
        options: Mapping[str, Any],
        timeout: float | None,
    ) -> InteractionResult:
        return await self._people.autocomplete(
            member, command, option, value, channel, dm=dm, options=options, timeout=timeout
        )

    async def click(
        self,
        member: Member,
        message: EmulatedMessage,
        label: str,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult:
        return await self._people.click(member, message, label, wait=wait, timeout=timeout)

    async def select(
        self,
        member: Member,
        message: EmulatedMessage,
        values: list[Any],
        which: str | None,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult:
        return await self._people.select(member, message, values, which, wait=wait, timeout=timeout)

    async def submit_modal(
        self,
        modal: EmulatedModal,
        member: Member,
        values: dict[str, Any],
        *,
        wait: bool,
        timeout: float | None,
        force: bool,
    ) -> InteractionResult:
        return await self._people.submit_modal(
            modal, member, values, wait=wait, timeout=timeout, force=force
        )

    def post_message(self, member: Member, channel: Channel, content: str) -> EmulatedMessage:
        return self._messages.post_as(member, channel, content)

    def delete_message(self, message: EmulatedMessage, by: Member | None) -> None:
        self._messages.delete_as(message, by)
