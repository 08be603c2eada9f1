"""File uploads (multipart payload_json + files[n]) and attachments served back from 127.0.0.1."""

from __future__ import annotations

import aiohttp
from emulator_testbot import ExampleBot, World

from bot.emulator import Emulator


async def test_file_uploaded_and_read_back(emu: Emulator, world: World, bot: ExampleBot) -> None:
    res = await world.alice.run_command("report", channel=world.chan)
    msg = res.message
    assert msg.content == "report"
    [attachment] = msg.attachments
    assert attachment.filename == "report.csv"
    assert attachment.content_type == "text/csv"
    assert await attachment.read() == b"name,answer\nAlice,yes\n"
    assert attachment.size == len(attachment.data)
    assert msg.data["attachments"][0]["url"].startswith(emu.url)
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as resp:
        assert resp.status == 200
        assert await resp.read() == attachment.data


async def test_followup_with_file_after_defer(emu: Emulator, world: World, bot: ExampleBot) -> None:
    import io

    import discord

    @bot.tree.command(description="Export")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(
            "here", file=discord.File(io.BytesIO(b"\x00\x01binary"), "answers.xlsx"), ephemeral=True
        )
        await interaction.edit_original_response(content="here (edited)", attachments=[])

    await bot.tree.sync()
    res = await world.alice.run_command("export", channel=world.chan)
    msg = await res.wait_for_original(lambda m: m.content == "here (edited)")
    assert msg.ephemeral
    assert msg.history[-1]["attachments"][0]["filename"] == "answers.xlsx"
    assert msg.attachments == []  # the edit removed it, as attachments=[] does on Discord
    emu.assert_no_violations()


async def test_bot_reads_an_uploaded_attachment_option(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    res = await world.alice.run_command(
        "upload", channel=world.chan, file=("notes.txt", b"my notes")
    )
    assert res.message.content == "notes.txt:8:my notes"
