"""Who may do what: facilitators, Manage Server, everyone else, and DMs."""

from __future__ import annotations

import pytest

from tests.discord_layer.conftest import World

FACILITATOR_COMMANDS = [
    ("session start", {"set": "key-questions", "workshop": "W"}),
    ("session next", {}), ("session back", {}), ("session goto", {"number": 1}),
    ("session pause", {}), ("session resume", {}), ("session status", {}),
    ("session close", {}), ("session export", {"format": "csv"}),
]


@pytest.mark.parametrize(("command", "options"), FACILITATOR_COMMANDS)
async def test_participants_are_refused_facilitator_actions(
    world: World, command: str, options: dict[str, object]
) -> None:
    await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop="W"
    )
    before = await world.bot.engine.sessions(world.guild.id)
    res = await world.bob.run_command(command, world.chan, **options)
    reply = await res.reply()
    assert reply.ephemeral
    assert "Only facilitators can do that" in reply.text
    assert "@Facilitator" in reply.text or str(world.role.id) in reply.text
    assert await world.bot.engine.sessions(world.guild.id) == before


async def test_manage_server_facilitates_when_no_role_is_set(world: World) -> None:
    res = await world.organiser.run_command("workshop-config facilitator-role", world.chan)
    assert "No facilitator role is set" in (await res.reply()).text
    refused = await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop="W"
    )
    assert "Manage Server" in (await refused.reply()).text
    ok = await world.organiser.run_command(
        "session start", world.chan, set="key-questions", workshop="W"
    )
    assert (await ok.reply()).embeds


async def test_config_needs_manage_server_even_if_discord_shows_it(world: World) -> None:
    # Discord hides the command (default permissions); an admin could loosen that.
    res = await world.bob.run_command(
        "workshop-config facilitator-role", world.chan, role=world.role, force=True
    )
    assert "Manage Server" in (await res.reply()).text
    assert world.bot.engine.facilitator_role(world.guild.id) == world.role.id


@pytest.mark.parametrize("command", ["session status", "answer", "my-answers", "forget-me",
                                     "examples"])
async def test_commands_are_refused_in_dms(world: World, command: str) -> None:
    res = await world.alice.run_command(command, dm=True, force=True)
    reply = await res.reply()
    assert "works in a server" in reply.text


async def test_another_server_sees_nothing_of_this_one(world: World) -> None:
    card = await (await world.facilitator.run_command(
        "session start", world.chan, set="key-questions", workshop="W"
    )).reply()
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    await opened.modal.submit(world.alice,
                              {i["custom_id"]: "mine" for i in opened.modal.text_inputs})
    other = world.emu.add_guild("Other server")
    chan = other.add_channel("general")
    mallory = other.add_member("Mallory", permissions="administrator")
    status = await (await mallory.run_command("session status", chan)).reply()
    assert "no session running" in status.text.lower()
    export = await (await mallory.run_command("session export", chan, format="json")).reply()
    assert not export.attachments and "nothing to export" in export.text
    alice_there = other.add_member("Alice elsewhere")
    alice_there.id = world.alice.id  # the same Discord user in another server
    res = await alice_there.run_command("my-answers", chan)
    assert res.payload["member"]["user"]["id"] == str(world.alice.id)
    assert "no answers" in (await res.reply()).text
    here = await (await world.alice.run_command("my-answers", world.chan)).reply()
    assert "mine" in here.text
