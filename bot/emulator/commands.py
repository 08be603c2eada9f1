"""Application commands: the bot syncing them (REST), and a person typing one (which synced
command it is, whether Discord offers it to them, and their option values as Discord sends them)."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.emulator import rules
from bot.emulator._util import EmulatorUsageError, Route, error_response, json_response, to_int
from bot.emulator.messages import Messages
from bot.emulator.permissions import ADMINISTRATOR
from bot.emulator.referee import Referee
from bot.emulator.state import State
from bot.emulator.world import Channel, EmulatedAttachment, Guild, Member, Role

CommandStore = dict[tuple[int, str], dict[str, Any]]

SUBCOMMAND_TYPES = (1, 2)


class CommandRoutes:
    """``/applications/{app}/commands`` and ``/applications/{app}/guilds/{guild}/commands``."""

    def __init__(self, state: State, referee: Referee) -> None:
        self._state = state
        self._referee = referee

    def routes(self) -> list[Route]:
        out = []
        for base in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            out += [
                Route("GET", base + "/commands", self._get_commands),
                Route("PUT", base + "/commands", self._put_commands),
                Route("POST", base + "/commands", self._post_command),
                Route("DELETE", base + "/commands/{command_id}", self._delete_command),
            ]
        return out

    def _command_store(
        self, request: web.Request
    ) -> tuple[CommandStore, Guild | None] | web.Response:
        state = self._state
        if to_int(request.match_info["app_id"]) != state.config.application_id:
            return error_response(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return state.global_commands, None
        guild = state.guilds.get(to_int(guild_id))
        if guild is None:
            return error_response(403, 50001, "Missing Access")
        return guild.commands, guild

    def _store_command(
        self,
        store: CommandStore,
        guild: Guild | None,
        command: dict[str, Any],
        old: CommandStore,
    ) -> dict[str, Any]:
        state = self._state
        ctype = command.get("type", 1)
        key = (ctype, command["name"])
        previous = old.get(key)
        stored = {
            "type": ctype,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            **command,
            "id": previous["id"] if previous else str(state.next_id()),
            "application_id": str(state.config.application_id),
            "version": str(state.next_id()),
        }
        if guild is not None:
            stored["guild_id"] = str(guild.id)
        store[key] = stored
        return stored

    async def _get_commands(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        return json_response(list(found[0].values()))

    async def _put_commands(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        store, guild = found
        body = await request.json()
        problems = rules.check_commands(body)
        if problems:
            return self._referee.reject(problems, f"PUT {request.path}")
        old = dict(store)
        store.clear()
        result = [self._store_command(store, guild, command, old) for command in body]
        return json_response(result)

    async def _post_command(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        store, guild = found
        body = await request.json()
        problems = rules.check_commands([body])
        if problems:
            return self._referee.reject(problems, f"POST {request.path}")
        return json_response(self._store_command(store, guild, body, dict(store)))

    async def _delete_command(self, request: web.Request) -> web.StreamResponse:
        found = self._command_store(request)
        if isinstance(found, web.Response):
            return found
        store = found[0]
        command_id = request.match_info["command_id"]
        for key, command in list(store.items()):
            if command["id"] == command_id:
                del store[key]
                return web.Response(status=204)
        return error_response(404, 10063, "Unknown application command")


class CommandResolver:
    """What Discord's client does when a person types a command: find it, check they are
    offered it, and turn their option values into the interaction's ``data``."""

    def __init__(self, state: State, messages: Messages) -> None:
        self._state = state
        self._messages = messages

    def find(
        self, member: Member, command: str, dm: bool, force: bool
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """(root command, leaf node whose options are values, path of sub names)."""
        global_commands = self._state.global_commands
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise EmulatorUsageError("empty command name")
        key = (1, parts[0])
        root = None if dm else member.guild.commands.get(key)
        if root is None:
            root = global_commands.get(key)
        if root is None and dm and force:
            root = member.guild.commands.get(key)
        if root is None:
            names = sorted(
                {k[1] for k in global_commands if k[0] == 1}
                | {k[1] for k in member.guild.commands if k[0] == 1}
            )
            where = "in DMs" if dm else f"in {member.guild.name!r}"
            raise EmulatorUsageError(
                f"no slash command /{parts[0]} is synced {where}; synced: {names}"
            )
        if not force:
            self._check_visible(member, root, dm)
        node = root
        for part in parts[1:]:
            subs = [o for o in node.get("options") or () if o.get("type") in SUBCOMMAND_TYPES]
            nxt = next((o for o in subs if o["name"] == part), None)
            if nxt is None:
                raise EmulatorUsageError(
                    f"/{command}: {node['name']!r} has no subcommand {part!r}; "
                    f"it has {[o['name'] for o in subs]}"
                )
            node = nxt
        if any(o.get("type") in SUBCOMMAND_TYPES for o in node.get("options") or ()):
            subs = [o["name"] for o in node["options"] if o.get("type") in SUBCOMMAND_TYPES]
            raise EmulatorUsageError(f"/{command} needs a subcommand: one of {subs}")
        return root, node, parts[1:]

    @staticmethod
    def _check_visible(member: Member, root: Mapping[str, Any], dm: bool) -> None:
        name = root["name"]
        contexts = root.get("contexts")
        if dm:
            if (
                root.get("guild_id")
                or root.get("dm_permission") is False
                or (contexts is not None and 1 not in contexts)
            ):
                raise EmulatorUsageError(
                    f"Discord does not offer /{name} in DMs (guild-only); pass force=True to send "
                    "the interaction anyway"
                )
            return
        if contexts is not None and 0 not in contexts:
            raise EmulatorUsageError(
                f"Discord does not offer /{name} in servers (contexts={contexts})"
            )
        required = root.get("default_member_permissions")
        if required is not None:
            needed = int(required)
            perms = member.permissions
            allowed = bool(perms & ADMINISTRATOR) if needed == 0 else perms & needed == needed
            if not allowed:
                raise EmulatorUsageError(
                    f"Discord hides /{name} from {member.name} "
                    f"(default_member_permissions={needed}); "
                    "pass force=True to send the interaction anyway"
                )

    def convert_options(
        self,
        node: Mapping[str, Any],
        given: Mapping[str, Any],
        label: str,
        *,
        focused: str | None = None,
        validate: bool = True,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        declared = {o["name"]: o for o in node.get("options") or ()}
        values: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {}
        used: set[str] = set()
        for raw_name, value in given.items():
            name = raw_name
            if name not in declared:
                name = name.rstrip("_") if name.rstrip("_") in declared else name.replace("_", "-")
            option = declared.get(name)
            if option is None:
                raise EmulatorUsageError(
                    f"{label}: no option {raw_name!r}; options are {list(declared)}"
                )
            used.add(name)
            if value is None:
                continue
            if name == focused:
                values.append(
                    {"name": name, "type": option["type"], "value": str(value), "focused": True}
                )
                continue
            converted = self.option_value(option, value, label, resolved, validate)
            values.append({"name": name, "type": option["type"], "value": converted})
        if validate:
            missing = [n for n, o in declared.items() if o.get("required") and n not in used]
            if missing:
                raise EmulatorUsageError(f"{label}: required option(s) missing: {missing}")
        return values, resolved

    def option_value(
        self,
        option: Mapping[str, Any],
        value: Any,
        label: str,
        resolved: dict[str, dict[str, Any]],
        validate: bool,
    ) -> Any:
        """One option (or entity select) value as Discord sends it; entities go in ``resolved``."""
        otype = option["type"]
        name = option["name"]
        problem = f"{label}: option {name!r}"
        if otype in (3, 4, 10):
            choices = option.get("choices")
            if choices:
                match = next(
                    (c for c in choices if c["value"] == value or c["name"] == value), None
                )
                if match is None:
                    raise EmulatorUsageError(
                        f"{problem} only offers {[c['name'] for c in choices]}, not {value!r}"
                    )
                value = match["value"]
        if otype == 3:
            value = str(value)
            if validate:
                low, high = option.get("min_length", 0), option.get("max_length", 6000)
                if not low <= len(value) <= high:
                    raise EmulatorUsageError(
                        f"{problem} takes {low}-{high} characters, got {len(value)}"
                    )
            return value
        if otype in (4, 10):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise EmulatorUsageError(f"{problem} takes a number, not {value!r}")
            try:
                number: int | float = int(value) if otype == 4 else float(value)
            except ValueError:
                raise EmulatorUsageError(f"{problem} takes a number, not {value!r}") from None
            if otype == 4 and isinstance(value, float) and not value.is_integer():
                raise EmulatorUsageError(f"{problem} takes a whole number, not {value!r}")
            low, high = option.get("min_value"), option.get("max_value")
            if validate and (
                (low is not None and number < low) or (high is not None and number > high)
            ):
                raise EmulatorUsageError(
                    f"{problem} must be between {low} and {high}, got {number}"
                )
            return number
        if otype == 5:
            if not isinstance(value, bool):
                raise EmulatorUsageError(f"{problem} takes True or False, not {value!r}")
            return value
        if otype in (6, 9) and isinstance(value, Member):
            resolved.setdefault("users", {})[str(value.id)] = value.user_payload()
            if value.guild is not None:
                resolved.setdefault("members", {})[str(value.id)] = {
                    **value.member_payload(with_user=False),
                    "permissions": str(value.permissions),
                }
            return str(value.id)
        if otype in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
            return str(value.id)
        if otype == 7 and isinstance(value, Channel):
            types = option.get("channel_types")
            if validate and types and value.type not in types:
                raise EmulatorUsageError(f"{problem} takes channel types {types}, not {value.type}")
            resolved.setdefault("channels", {})[str(value.id)] = value.to_payload(
                permissions=value.guild.bot_permissions if value.guild else 0
            )
            return str(value.id)
        if otype == 11:
            attachment = value
            if isinstance(value, tuple):
                filename, data = value
                attachment = self._messages.add_attachment(
                    0,
                    filename,
                    bytes(data),
                    content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                    ephemeral=True,
                )
            if not isinstance(attachment, EmulatedAttachment):
                raise EmulatorUsageError(f"{problem} takes (filename, bytes), not {value!r}")
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.to_payload()
            return str(attachment.id)
        if isinstance(value, int) and otype in (6, 7, 8, 9):
            return str(value)
        raise EmulatorUsageError(f"{problem} (type {otype}) cannot take {value!r}")

    @staticmethod
    def command_data(
        root: Mapping[str, Any],
        path: list[str],
        values: list[dict[str, Any]],
        resolved: dict[str, Any],
    ) -> dict[str, Any]:
        """The interaction's ``data`` for ``root`` + subcommand ``path`` with option ``values``."""
        options = values
        node_chain = [root]
        for part in path:
            node_chain.append(next(o for o in node_chain[-1]["options"] if o["name"] == part))
        for node in reversed(node_chain[1:]):
            options = [{"name": node["name"], "type": node["type"], "options": options}]
        data: dict[str, Any] = {
            "id": root["id"],
            "name": root["name"],
            "type": 1,
            "options": options,
        }
        if root.get("guild_id"):
            data["guild_id"] = root["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data
