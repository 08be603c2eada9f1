"""Erasure removes the bytes, not just the rows (issue 11): after `/forget-me` and after a
retention deletion, the erased text, display name and user id are in none of the database
file, its write-ahead log, or a backup taken afterwards, nor in a database restored from an
older backup."""

from __future__ import annotations

import struct
from pathlib import Path

from bot.emulator import EmulatedMessage, Member
from bot.storage.backup import backup_database, restore_database
from bot.storage.schema import sidecars
from tests.discord_layer.conftest import World

SECRET = "zq-erase-me-7731 my family's story"


async def start(world: World, channel=None, workshop: str = "Erasure") -> EmulatedMessage:
    res = await world.facilitator.run_command(
        "session start", channel or world.chan, set="key-questions", workshop=workshop)
    card = await res.reply()
    assert card is not None
    return card


async def answer(person: Member, card: EmulatedMessage, text: str) -> None:
    opened = await person.click(card, "Answer")
    await opened.response()
    done = await opened.modal.submit(person, {i["custom_id"]: text
                                              for i in opened.modal.text_inputs})
    assert "Saved" in (await done.reply()).text or "Updated" in (await done.reply()).text


def traces(member: Member, secret: str) -> list[bytes]:
    """How a person's data looks in SQLite's files: the text and the name (UTF-8), the user
    id as text and as the 8-byte big-endian integer SQLite stores."""
    return [secret.encode(), member.display_name.encode(), str(member.id).encode(),
            struct.pack(">q", member.id)]


def found_in(paths: list[Path], needles: list[bytes]) -> list[tuple[str, bytes]]:
    hits = []
    for path in paths:
        if path.exists():
            blob = path.read_bytes()
            hits += [(path.name, n) for n in needles if n in blob]
    return hits


async def test_forget_me_leaves_no_trace_on_disk(world: World, tmp_path: Path) -> None:
    db_path = world.settings.database_path
    card = await start(world)
    await answer(world.alice, card, SECRET)
    await answer(world.alice, card, SECRET + " (edited)")  # an old version in the WAL too
    await answer(world.bob, card, "Bob stays")
    files = [db_path, *sidecars(db_path)]
    assert found_in(files, traces(world.alice, SECRET))  # it is there before

    confirm = await (await world.alice.run_command("forget-me", world.chan)).reply()
    done = await world.alice.click(confirm, "Yes, erase my answers")
    assert "Erased 1 answer" in (await done.reply()).text

    assert found_in(files, traces(world.alice, SECRET)) == []
    backup = tmp_path / "later-backup.db"
    backup_database(db_path, backup)
    assert found_in([backup], traces(world.alice, SECRET)) == []
    assert found_in([backup], [b"Bob stays"])  # the backup has everyone else


async def test_a_retention_deletion_leaves_no_trace_on_disk(world: World) -> None:
    db_path = world.settings.database_path
    card = await start(world, workshop="Old one")
    await answer(world.alice, card, SECRET)
    await (await world.facilitator.run_command("session close", world.chan)).reply()
    engine = world.bot.engine
    session = await engine.latest_session(world.guild.id, world.chan.id)
    assert await engine.db.delete_sessions([session], reason="retention") == 1
    needles = [SECRET.encode(), world.alice.display_name.encode(), struct.pack(">q",
                                                                              world.alice.id)]
    assert found_in([db_path, *sidecars(db_path)], needles) == []


async def test_a_restore_of_an_older_backup_does_not_bring_an_erasure_back_on_disk(
    world: World, tmp_path: Path
) -> None:
    db_path = world.settings.database_path
    card = await start(world)
    await answer(world.alice, card, SECRET)
    await answer(world.bob, card, "Bob stays")
    old_backup = tmp_path / "before.db"
    backup_database(db_path, old_backup)  # Alice is in this one
    confirm = await (await world.alice.run_command("forget-me", world.chan)).reply()
    await (await world.alice.click(confirm, "Yes, erase my answers")).reply()
    await world.bot.close()  # the bot stops for the restore

    report = restore_database(old_backup, db_path, force=True)
    assert "Applied again 1 erasure" in report
    assert found_in([db_path, *sidecars(db_path)], traces(world.alice, SECRET)) == []
    assert found_in([db_path], [b"Bob stays"])
    for kept in db_path.parent.glob("*.replaced-*"):  # the database it replaced, kept aside
        assert found_in([kept], traces(world.alice, SECRET)) == []
