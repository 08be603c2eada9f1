"""Discord's rules: what the bot sends is refused (400 + a violation) when Discord would."""

from __future__ import annotations

import discord
import pytest
from emulator_testbot import RULE_CASES, ExampleBot, World, next_error

from bot.emulator import DiscordRuleViolation, Emulator


@pytest.mark.parametrize("case", sorted(RULE_CASES))
async def test_rule_is_enforced(emu: Emulator, world: World, bot: ExampleBot, case: str) -> None:
    expected_rule = RULE_CASES[case][1]
    with pytest.raises(DiscordRuleViolation) as raised:
        await world.alice.run_command("raw", channel=world.chan, case=case)
    assert raised.value.violation.rule == expected_rule
    error = await next_error(bot)
    assert error.status == 400 and error.code == 50035  # Discord's "Invalid Form Body"
    assert [v.rule for v in emu.violations] == [expected_rule]
    assert emu.messages_in(world.chan, include_ephemeral=True) == []
    with pytest.raises(AssertionError, match=expected_rule):
        emu.assert_no_violations()


async def test_valid_raw_payloads_pass(emu: Emulator, world: World, bot: ExampleBot) -> None:
    """The limits are inclusive: exactly at each limit is accepted."""
    RULE_CASES["at-limits"] = (
        {
            "type": 4,
            "data": {
                "content": "c" * 2000,
                "embeds": [{"title": "t" * 256, "description": "d" * 3000}],
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 1, "label": "l" * 80, "custom_id": "c" * 100}
                        ],
                    },
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 3,
                                "custom_id": "s",
                                "options": [
                                    {"label": "l" * 100, "value": f"{i:03d}" + "v" * 97}
                                    for i in range(25)
                                ],
                            }
                        ],
                    },
                ],
            },
        },
        "",
    )
    try:
        res = await world.alice.run_command("raw", channel=world.chan, case="at-limits")
    finally:
        del RULE_CASES["at-limits"]
    assert len(res.message.content) == 2000
    emu.assert_no_violations()


async def test_double_response_rejected(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("twice", channel=world.chan)
    error = await next_error(bot)
    assert error.status == 400 and error.code == 40060
    assert [v.rule for v in emu.violations] == ["double_response"]
    assert res.violations and res.violations[0].code == 40060
    assert [m.content for m in emu.messages_in(world.chan)] == ["one"]


async def test_three_second_deadline(emu: Emulator, world: World, bot: ExampleBot) -> None:
    emu.ack_deadline = 0.1
    with pytest.raises(DiscordRuleViolation, match=r"not acknowledged within 0\.1s") as raised:
        await world.alice.run_command("slow", channel=world.chan)
    assert raised.value.violation.rule == "ack_deadline"
    bot.release.set()
    error = await next_error(bot)
    assert isinstance(error, discord.NotFound) and error.code == 10062  # Unknown interaction
    assert emu.messages_in(world.chan) == []


async def test_answer_within_deadline_is_fine(emu: Emulator, world: World, bot: ExampleBot) -> None:
    emu.ack_deadline = 0.5
    bot.release.set()
    res = await world.alice.run_command("slow", channel=world.chan)
    assert res.message.content == "late"
    emu.assert_no_violations()


async def test_attachment_size_limit(emu: Emulator, world: World, bot: ExampleBot) -> None:
    emu.attachment_size_limit = 1000
    ok = await world.alice.run_command("bigfile", channel=world.chan, size=1000)
    assert ok.message.attachments[0].size == 1000
    with pytest.raises(DiscordRuleViolation, match="attachment_size"):
        await world.alice.run_command("bigfile", channel=world.chan, size=1001)
    error = await next_error(bot)
    assert error.status == 400
    assert [v.rule for v in emu.violations] == ["attachment_size"]


async def test_channel_send_breaking_a_rule(emu: Emulator, world: World, bot: ExampleBot) -> None:
    await world.alice.run_command("longpost", channel=world.chan)
    error = await next_error(bot)
    assert error.status == 400 and "content" in str(error)
    assert [v.rule for v in emu.violations] == ["content_length"]
    assert emu.messages_in(world.chan) == []


async def test_waiting_for_a_channel_message_fails_on_a_violation(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    import asyncio

    waiting = asyncio.ensure_future(emu.wait_for_message(world.chan))
    await world.alice.run_command("longpost", channel=world.chan)
    with pytest.raises(DiscordRuleViolation, match="content_length"):
        await waiting


@pytest.mark.parametrize(
    ("mode", "everyone", "users", "roles"),
    [
        ("none", False, [], []),
        ("all", True, ["Bob"], ["Facilitator"]),
        ("users", False, ["Bob"], []),
        ("roles", False, [], ["Facilitator"]),
    ],
)
async def test_allowed_mentions(
    emu: Emulator,
    world: World,
    bot: ExampleBot,
    mode: str,
    everyone: bool,
    users: list[str],
    roles: list[str],
) -> None:
    res = await world.alice.run_command(
        "announce", channel=world.chan, mode=mode, who=world.bob, role=world.facilitator
    )
    msg = res.message
    assert "@everyone" in msg.content
    assert msg.pinged_everyone is everyone
    assert [m.name for m in msg.pinged_users] == users
    assert [r.name for r in msg.pinged_roles] == roles
    assert msg.data["mention_everyone"] is everyone
    assert [u["id"] for u in msg.data["mentions"]] == [str(m.id) for m in msg.pinged_users]
    assert msg.data["mention_roles"] == [str(r.id) for r in msg.pinged_roles]


async def test_everyone_ping_needs_the_permission(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    world.guild.set_bot_permissions(["send_messages", "view_channel"])
    res = await world.alice.run_command(
        "announce", channel=world.chan, mode="all", who=world.bob, role=world.facilitator
    )
    assert not res.message.pinged_everyone
    assert res.message.pinged_roles == []  # Facilitator is not mentionable
    assert [m.name for m in res.message.pinged_users] == ["Bob"]
