"""Command sync payloads Discord refuses (400 50035 and a violation with a stable rule name)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator import Emulator


def _command(*options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "cmd", "description": "A command", "options": list(options), **extra}


def _option(name: str = "opt", type: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "An option", "type": type, **extra}


def _sub(name: str, *options: dict[str, Any], type: int = 1) -> dict[str, Any]:
    return {"name": name, "description": "Sub", "type": type, "options": list(options)}


CASES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "autocomplete-boolean": (
        [_command(_option(type=5, autocomplete=True))],
        "command_autocomplete_type",
    ),
    "duplicate-option": (
        [_command(_option("same"), _option("same"))],
        "command_option_name_duplicated",
    ),
    "choice-name-long": (
        [_command(_option(choices=[{"name": "n" * 101, "value": "v"}]))],
        "command_choice_name_length",
    ),
    "choice-value-long": (
        [_command(_option(choices=[{"name": "n", "value": "v" * 101}]))],
        "command_choice_value_length",
    ),
    "choice-wrong-type": (
        [_command(_option(type=4, choices=[{"name": "one", "value": "1"}]))],
        "command_choice_type",
    ),
    "min-over-max": (
        [_command(_option(type=4, min_value=10, max_value=1))],
        "command_option_value_range",
    ),
    "min-length-over-max": (
        [_command(_option(min_length=10, max_length=1))],
        "command_option_length_range",
    ),
    "subcommand-beside-option": (
        [_command(_sub("start"), _option())],
        "command_options_mixed",
    ),
    "group-in-group": (
        [_command(_sub("outer", _sub("inner", _sub("leaf"), type=2), type=2))],
        "command_group_nested",
    ),
    "unknown-option-type": ([_command(_option(type=42))], "command_option_type"),
    "unknown-context": ([_command(contexts=[0, 7])], "command_contexts"),
    "permissions-not-a-number": (
        [_command(default_member_permissions="manage_guild")],
        "command_permissions_invalid",
    ),
    "user-command-description": (
        [{"name": "Profile", "type": 2, "description": "Not allowed"}],
        "command_description_not_allowed",
    ),
    "over-4000-characters": (
        [
            _command(
                *[
                    _option(
                        f"o{i}", description="d" * 100, choices=[{"name": "n" * 100, "value": "v"}]
                    )
                    for i in range(25)
                ],
                description="d" * 100,
            )
        ],
        "command_total_length",
    ),
}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


async def _put(emu: Emulator, body: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            f"{emu.api_base}/applications/{emu.application_id}/commands",
            json=body,
            headers={"Authorization": f"Bot {emu.token}"},
        ) as resp,
    ):
        return resp.status, await resp.json()


@pytest.mark.parametrize("case", sorted(CASES))
async def test_command_rule_is_enforced(emu: Emulator, case: str) -> None:
    body, rule = CASES[case]
    status, answer = await _put(emu, body)
    assert status == 400 and answer["code"] == 50035 and answer["errors"]
    assert [v.rule for v in emu.violations] == [rule]
    assert emu.commands() == []


async def test_valid_commands_at_the_limits_sync(emu: Emulator) -> None:
    body = [
        _command(
            _option("text", autocomplete=True, min_length=1, max_length=1),
            _option("number", type=10, autocomplete=True, min_value=1.5, max_value=1.5),
            _option(
                "pick",
                type=4,
                choices=[{"name": "n" * 100, "value": 1}, {"name": "m", "value": 2}],
            ),
            _option("word", choices=[{"name": "w", "value": "v" * 100}]),
            default_member_permissions="32",
            contexts=[0, 1, 2],
        ),
        {"name": "Profile", "type": 2, "description": ""},
        _command(_sub("admin", _sub("grant", _option()), type=2), _sub("start"), name="session"),
    ]
    status, answer = await _put(emu, body)
    assert status == 200 and len(answer) == 3
    emu.assert_no_violations()
