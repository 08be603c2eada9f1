"""People acting: slash commands, autocomplete, button clicks, selects and modal submissions,
each sent to the bot as an INTERACTION_CREATE, with Discord's 3-second acknowledgement deadline."""

# The scripting API takes `timeout=` like asyncio.wait_for: tests read best that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from bot.emulator import rules
from bot.emulator._util import EmulatorUsageError
from bot.emulator.commands import CommandResolver
from bot.emulator.gateway import Gateway
from bot.emulator.permissions import DM_BOT_PERMISSIONS
from bot.emulator.referee import Referee
from bot.emulator.state import State
from bot.emulator.world import (
    DM_CHANNEL,
    Channel,
    EmulatedMessage,
    EmulatedModal,
    InteractionResult,
    Member,
    Role,
)


class People:
    """Builds the interactions people start and watches the acknowledgement deadline."""

    def __init__(
        self, state: State, gateway: Gateway, referee: Referee, commands: CommandResolver
    ) -> None:
        self._state = state
        self._gateway = gateway
        self._referee = referee
        self._commands = commands
        self._deadlines: set[asyncio.TimerHandle] = set()
        self._awaiting_ack: dict[int, InteractionResult] = {}

    # --- the interaction itself ----------------------------------------------------------------

    def new_interaction(
        self,
        member: Member,
        channel: Channel | None,
        dm: bool,
        itype: int,
        data: dict[str, Any],
        description: str,
        *,
        source: EmulatedMessage | None = None,
    ) -> InteractionResult:
        state = self._state
        config = state.config
        if state.waits.fatal is not None:
            raise state.waits.fatal
        if dm:
            channel = member.dm_channel
        elif channel is None:
            channel = next((c for c in member.guild.channels.values() if c.type == 0), None)
            if channel is None:
                raise EmulatorUsageError(f"guild {member.guild.name!r} has no text channel to use")
        assert channel is not None
        guild = channel.guild
        session = self._gateway.session_for(guild.id if guild else None)
        if session is None:
            raise EmulatorUsageError(
                "the bot is not connected to the emulator's gateway (start it with running_bot())"
            )
        interaction_id = state.next_id()
        token = f"aW50ZXJhY3Rpb246{interaction_id}:{secrets.token_urlsafe(48)}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(config.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": member.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": config.attachment_size_limit,
            "channel_id": str(channel.id),
        }
        if guild is not None:
            perms = member.permissions
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member={**member.member_payload(), "permissions": str(perms)},
                channel=channel.to_payload(permissions=perms),
                app_permissions=str(guild.bot_permissions),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=member.user_payload(),
                channel=channel.to_payload(),
                app_permissions=str(DM_BOT_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if source is not None:
            payload["message"] = source.data
        result = InteractionResult(
            state.host,
            interaction_id,
            token,
            payload,
            user=member,
            channel=channel,
            description=description,
            source_message=source,
        )
        state.interactions[interaction_id] = result
        state.by_token[token] = result
        if config.ack_deadline is not None:
            handle = asyncio.get_running_loop().call_later(
                config.ack_deadline, self._deadline_passed, result
            )
            result._deadline = handle
            self._deadlines.add(handle)
            self._awaiting_ack[interaction_id] = result
        session.dispatch("INTERACTION_CREATE", payload)
        if state.listeners:
            state.emit("interaction", result)
        return result

    def redeliver(self, result: InteractionResult) -> None:
        guild = result.channel.guild if result.channel is not None else None
        session = self._gateway.session_for(guild.id if guild else None)
        if session is None:
            raise EmulatorUsageError("the bot is not connected to the emulator's gateway")
        session.dispatch("INTERACTION_CREATE", result.payload)

    def acknowledged(self, result: InteractionResult) -> None:
        """The bot's callback arrived in time: stop the deadline timer."""
        result.acknowledged = True
        result.acknowledged_at = self._state.now()
        self._awaiting_ack.pop(result.id, None)
        if result._deadline is not None:
            result._deadline.cancel()
            self._deadlines.discard(result._deadline)
            result._deadline = None

    def deadlines_after_advance(self) -> None:
        """The clock jumped: interactions now older than the deadline have missed it."""
        deadline = self._state.config.ack_deadline
        if deadline is None:
            return
        now = self._state.now()
        for result in list(self._awaiting_ack.values()):
            if now - result.created >= deadline and result._deadline is not None:
                result._deadline.cancel()
                self._deadline_passed(result)

    def _deadline_passed(self, result: InteractionResult) -> None:
        self._awaiting_ack.pop(result.id, None)
        if result._deadline is not None:
            self._deadlines.discard(result._deadline)
            result._deadline = None
        if result.acknowledged:
            return
        result.expired = True
        ack_deadline = self._state.config.ack_deadline or 0
        self._referee.violation(
            "ack_deadline",
            f"{result.description} was not acknowledged within {ack_deadline:g}s "
            "(Discord shows 'The application did not respond')",
            "INTERACTION_CREATE",
            status=404,
            code=10062,
            interaction=result,
        )

    def cancel_deadlines(self) -> None:
        for handle in self._deadlines:
            handle.cancel()
        self._deadlines.clear()
        self._awaiting_ack.clear()

    # --- commands ------------------------------------------------------------------------------

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
        commands = self._commands
        root, node, path = commands.find(member, command, dm, force)
        label = f"/{' '.join([root['name'], *path])}"
        values, resolved = commands.convert_options(node, options, label)
        data = commands.command_data(root, path, values, resolved)
        where = "in DMs" if dm else f"in #{channel.name}" if channel else ""
        result = self.new_interaction(
            member, channel, dm, 2, data, f"{label} by {member.name} {where}".rstrip()
        )
        if wait:
            await result.response(timeout)
        return result

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
        commands = self._commands
        root, node, path = commands.find(member, command, dm, force=True)
        label = f"/{' '.join([root['name'], *path])}"
        declared = {o["name"]: o for o in node.get("options") or ()}
        name = option if option in declared else option.replace("_", "-")
        if name not in declared:
            raise EmulatorUsageError(f"{label}: no option {option!r}; options are {list(declared)}")
        if not declared[name].get("autocomplete"):
            raise EmulatorUsageError(f"{label}: option {name!r} has no autocomplete")
        values, _ = commands.convert_options(
            node, {**options, name: value}, label, focused=name, validate=False
        )
        data = commands.command_data(root, path, values, {})
        result = self.new_interaction(
            member,
            channel,
            dm,
            4,
            data,
            f"autocomplete of {label} {name}={value!r} by {member.name}",
        )
        await result.response(timeout)
        return result

    # --- components ----------------------------------------------------------------------------

    @staticmethod
    def _check_can_use(member: Member, message: EmulatedMessage) -> None:
        if message.deleted:
            raise EmulatorUsageError(f"message {message.id} was deleted")
        if (
            message.ephemeral
            and message.interaction is not None
            and message.interaction.user is not member
        ):
            raise EmulatorUsageError(f"{member.name} cannot see ephemeral message {message.id}")

    def _component_source(self, message: EmulatedMessage) -> EmulatedMessage:
        # Always act on the latest version the emulator holds.
        latest = self._state.messages.get(message.id)
        return latest if latest is not None else message

    async def click(
        self,
        member: Member,
        message: EmulatedMessage,
        label: str,
        *,
        wait: bool,
        timeout: float | None,
    ) -> InteractionResult:
        message = self._component_source(message)
        self._check_can_use(member, message)
        button = message.button(label)
        if button.get("disabled"):
            raise EmulatorUsageError(f"button {label!r} on message {message.id} is disabled")
        if button.get("style") in (5, 6):
            raise EmulatorUsageError(
                f"button {label!r} is a link/premium button: clicking sends nothing"
            )
        data: dict[str, Any] = {"custom_id": button["custom_id"], "component_type": 2}
        if "id" in button:
            data["id"] = button["id"]
        channel = message.channel
        dm = channel is not None and channel.type == DM_CHANNEL
        result = self.new_interaction(
            member,
            channel,
            dm,
            3,
            data,
            f"click on {label!r} by {member.name}",
            source=message,
        )
        if wait:
            await result.response(timeout)
        return result

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
        message = self._component_source(message)
        self._check_can_use(member, message)
        selects = message.selects
        if which is not None:
            selects = [s for s in selects if which in (s.get("custom_id"), s.get("placeholder"))]
        if len(selects) != 1:
            names = [s.get("custom_id") for s in message.selects]
            raise EmulatorUsageError(
                f"message {message.id}: name one select menu (custom_id or placeholder) of {names}"
            )
        select = selects[0]
        if select.get("disabled"):
            raise EmulatorUsageError(f"select {select.get('custom_id')!r} is disabled")
        low, high = select.get("min_values", 1), select.get("max_values", 1)
        if not low <= len(values) <= high:
            raise EmulatorUsageError(
                f"select {select.get('custom_id')!r} takes {low}-{high} values, got {len(values)}"
            )
        stype = select.get("type", 3)
        data: dict[str, Any] = {"custom_id": select["custom_id"], "component_type": stype}
        if "id" in select:
            data["id"] = select["id"]
        if stype == 3:
            data["values"] = self._string_values(select, values)
        else:
            resolved: dict[str, dict[str, Any]] = {}
            data["values"] = self._entity_values(select, values, resolved)
            data["resolved"] = resolved
        channel = message.channel
        dm = channel is not None and channel.type == DM_CHANNEL
        result = self.new_interaction(
            member,
            channel,
            dm,
            3,
            data,
            f"select {select['custom_id']!r}={data['values']!r} by {member.name}",
            source=message,
        )
        if wait:
            await result.response(timeout)
        return result

    @staticmethod
    def _string_values(select: Mapping[str, Any], values: list[Any]) -> list[str]:
        """Option values for what a person picked (by value or label)."""
        picked = []
        for value in values:
            option = next(
                (
                    o
                    for o in select.get("options") or ()
                    if value in (o.get("value"), o.get("label"))
                ),
                None,
            )
            if option is None:
                offered = [o.get("value") for o in select.get("options") or ()]
                raise EmulatorUsageError(
                    f"select {select['custom_id']!r} has no option {value!r}; it offers {offered}"
                )
            picked.append(option["value"])
        return picked

    def _entity_values(
        self, select: Mapping[str, Any], values: list[Any], resolved: dict[str, dict[str, Any]]
    ) -> list[Any]:
        otype = {5: 6, 6: 8, 7: 9, 8: 7}[select.get("type", 5)]
        fake = {"type": otype, "name": select["custom_id"]}
        return [self._commands.option_value(fake, v, "select", resolved, True) for v in values]

    # --- modals --------------------------------------------------------------------------------

    async def submit_modal(
        self,
        modal: EmulatedModal,
        member: Member,
        values: dict[str, Any],
        *,
        wait: bool,
        timeout: float | None,
        force: bool = False,
    ) -> InteractionResult:
        opened = modal.opened_by
        if member is not opened.user:
            raise EmulatorUsageError(
                f"the modal was shown to {opened.user.name}, not {member.name}"
            )
        remaining = dict(values)
        resolved: dict[str, dict[str, Any]] = {}

        def take(item: Mapping[str, Any], label: str | None) -> Any:
            for key in (item.get("custom_id"), label):
                if key is not None and key in remaining:
                    return remaining.pop(key)
            return None

        def submitted(item: Mapping[str, Any], label: str | None) -> dict[str, Any]:
            value = take(item, label)
            itype = item.get("type")
            out: dict[str, Any] = {"type": itype}
            if "id" in item:
                out["id"] = item["id"]
            out["custom_id"] = item.get("custom_id")
            name = label or item.get("custom_id")
            if itype == rules.COMPONENT_TEXT_INPUT:
                out["value"] = self._modal_text(item, value, name, force)
            elif itype in rules.SELECT_TYPES:
                out["values"] = self._modal_select(item, value, name, force, resolved)
            else:
                raise EmulatorUsageError(
                    f"modal field {name!r} is of type {itype}, which the emulator cannot fill in"
                )
            return out

        components: list[dict[str, Any]] = []
        for comp in modal.data.get("components") or []:
            ctype = comp.get("type")
            wrapper: dict[str, Any] = {"type": ctype}
            if "id" in comp:
                wrapper["id"] = comp["id"]
            if ctype == rules.COMPONENT_ACTION_ROW:
                wrapper["components"] = [
                    submitted(child, child.get("label")) for child in comp.get("components") or []
                ]
            elif ctype == rules.COMPONENT_LABEL:
                wrapper["component"] = submitted(comp.get("component") or {}, comp.get("label"))
            components.append(wrapper)  # a Text Display comes back as {type, id}
        if remaining:
            raise EmulatorUsageError(
                f"modal {modal.title!r} has no field(s) {list(remaining)}; "
                f"fields: {[i.get('label') or i.get('custom_id') for i in modal.inputs]}"
            )
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        channel = opened.channel
        dm = channel is not None and channel.type == DM_CHANNEL
        result = self.new_interaction(
            member,
            channel,
            dm,
            5,
            data,
            f"submit of modal {modal.title!r} by {member.name}",
            source=opened.source_message,
        )
        if wait:
            await result.response(timeout)
        return result

    def _entity(self, entity_id: int) -> Member | Role | Channel | int:
        """The person, role or channel with this id (the id itself if unknown)."""
        state = self._state
        found = state.users.get(entity_id) or state.channels.get(entity_id)
        if found is not None:
            return found
        for guild in state.guilds.values():
            if entity_id in guild.roles:
                return guild.roles[entity_id]
        return entity_id

    @staticmethod
    def _modal_text(item: Mapping[str, Any], value: Any, name: Any, force: bool) -> str:
        text = item.get("value") or "" if value is None else str(value)
        if force:
            return text
        if item.get("required", True) and not text:
            raise EmulatorUsageError(f"modal field {name!r} is required")
        low, high = item.get("min_length", 0), item.get("max_length", 4000)
        if text and not low <= len(text) <= high:
            raise EmulatorUsageError(
                f"modal field {name!r} takes {low}-{high} characters, got {len(text)}"
            )
        return text

    def _modal_select(
        self,
        item: Mapping[str, Any],
        value: Any,
        name: Any,
        force: bool,
        resolved: dict[str, dict[str, Any]],
    ) -> list[Any]:
        stype = item.get("type", rules.COMPONENT_STRING_SELECT)
        if value is None:  # untouched: what is selected by default
            if stype == rules.COMPONENT_STRING_SELECT:
                picked: list[Any] = [
                    o.get("value") for o in item.get("options") or () if o.get("default")
                ]
            else:
                picked = [self._entity(int(d["id"])) for d in item.get("default_values") or ()]
        elif isinstance(value, str | int | Member | Role | Channel):
            picked = [value]
        else:
            picked = list(value)
        if stype == rules.COMPONENT_STRING_SELECT:
            chosen = [str(v) for v in picked] if force else self._string_values(item, picked)
        else:
            chosen = self._entity_values(item, picked, resolved)
        if not force:
            low, high = item.get("min_values", 1), item.get("max_values", 1)
            if not chosen:
                if item.get("required", True):
                    raise EmulatorUsageError(f"modal select {name!r} is required")
            elif not low <= len(chosen) <= high:
                raise EmulatorUsageError(
                    f"modal select {name!r} takes {low}-{high} values, got {len(chosen)}"
                )
        return chosen
