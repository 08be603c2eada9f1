"""Storage faults lose nothing (issue 11): a submission the database cannot take is answered
"not saved" with the text given back and a Try again button; a locked database is retried;
the bot keeps serving reads and logs one ERROR line per fault burst; a database it cannot
write stops it at start with one line and exit code 2."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator import EmulatedMessage, Member
from bot.storage import writer
from tests.discord_layer.conftest import World

TEXT = "Our answer, typed with care: 13-15s in crisis; see the data (p. 4)."


async def start(world: World, channel=None) -> EmulatedMessage:
    res = await world.facilitator.run_command(
        "session start", channel or world.chan, set="key-questions", workshop="Faults")
    card = await res.reply()
    assert card is not None
    return card


async def submit(person: Member, card: EmulatedMessage, text: str) -> EmulatedMessage:
    opened = await person.click(card, "Answer")
    await opened.response()
    assert opened.modal is not None
    done = await opened.modal.submit(person, {i["custom_id"]: f"{text} [{i['custom_id']}]"
                                              for i in opened.modal.text_inputs})
    reply = await done.reply()
    assert reply is not None
    return reply


def typed(text: str, prompt) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{text} [{f.id}]" for f in prompt.fields if not f.is_cite]


async def stored_answers(world: World, person: Member) -> list[dict[str, str]]:
    return [a.fields for a in await world.bot.engine.my_answers(world.guild.id, person.id)]


def fail_writes(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    """Every write transaction fails as SQLite does when the disk is full."""

    def broken(raw: sqlite3.Connection, jobs: list) -> list:
        raise sqlite3.OperationalError(message)

    monkeypatch.setattr(writer, "run_jobs", broken)


async def test_a_write_that_fails_says_not_saved_and_gives_the_text_back(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    card = await start(world)
    prompt = world.library.prompt_sets["key-questions"].prompts[0]
    fail_writes(monkeypatch, "database or disk is full")
    with caplog.at_level(logging.WARNING):
        replies = [await submit(p, card, TEXT) for p in (world.alice, world.bob, world.alice)]
        # reads go on meanwhile
        status = await (await world.facilitator.run_command("session status",
                                                            world.chan)).reply()
        assert "Answers per prompt" in status.text
    for reply in replies:
        assert reply.ephemeral and "not saved" in reply.text and "disk is full" in reply.text
        assert "Saved your answer" not in reply.text and "nothing you typed was lost" \
            not in reply.text
        for value in typed(TEXT, prompt):  # the text comes back (escaped for Discord)
            assert value.replace("(", "\\(").replace(")", "\\)").replace(".", "\\.") \
                .replace("-", "\\-").replace(":", "\\:").replace("[", "\\[") \
                .replace("]", "\\]") in reply.text
        assert [b["label"] for b in reply.buttons] == ["Try again"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "database writes are failing (full" in errors[0].getMessage()
    assert not any(r.exc_info for r in errors)  # one line, not a traceback per answer
    assert await stored_answers(world, world.alice) == []

    monkeypatch.undo()  # the disk has room again
    retry = await world.alice.click(replies[-1], "Try again")
    await retry.response()
    assert retry.modal is not None
    # the form is back with exactly what she typed, read from memory
    assert [i["value"] for i in retry.modal.text_inputs] == typed(TEXT, prompt)
    done = await retry.modal.submit(world.alice, {})
    assert "Saved your answer" in (await done.reply()).text
    assert await stored_answers(world, world.alice) == [{  # (and no example cited)
        **dict(zip([f.id for f in prompt.fields if not f.is_cite], typed(TEXT, prompt),
                   strict=True)), prompt.cite_field.id: []}]
    recovered = [r for r in caplog.records if "work again" in r.getMessage()]
    assert len(recovered) == 1


async def test_a_long_answer_that_cannot_be_saved_comes_back_as_a_file(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await start(world)
    fail_writes(monkeypatch, "attempt to write a readonly database")
    opened = await world.alice.click(card, "Answer")
    await opened.response()
    long = {i["custom_id"]: "é" * i["max_length"] for i in opened.modal.text_inputs}
    reply = await (await opened.modal.submit(world.alice, long)).reply()
    assert "not saved" in reply.text and "cannot be written" in reply.text
    (attachment,) = reply.attachments
    text = attachment.text()
    for value in long.values():
        assert value in text
    assert len(reply.text) <= 2000


@contextlib.contextmanager
def lock_holder(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds the database's write lock until told to let go."""
    code = ("import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute('ROLLBACK')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.stdin.write("go\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        proc.wait(10)


def release(proc: subprocess.Popen[str]) -> None:
    proc.stdin.write("go\n")  # type: ignore[union-attr]
    proc.stdin.flush()  # type: ignore[union-attr]


async def test_a_database_locked_by_another_process_is_retried(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await start(world)
    db = world.bot.engine.db
    await db.fetchone("PRAGMA busy_timeout = 100")  # (5 s in production)
    attempts = asyncio.Event()
    pauses: list[float] = []

    async def counted_sleep(delay: float) -> None:
        pauses.append(delay)
        attempts.set()

    monkeypatch.setattr(writer.asyncio, "sleep", counted_sleep)
    with lock_holder(world.settings.database_path) as holder:
        opened = await world.alice.click(card, "Answer")
        await opened.response()
        done = await opened.modal.submit(
            world.alice, {i["custom_id"]: TEXT for i in opened.modal.text_inputs}, wait=False)
        await asyncio.wait_for(attempts.wait(), 10)  # the first attempt met the lock
        release(holder)  # ...the other process lets go before the retries run out
        reply = await done.reply()
    assert "Saved your answer" in reply.text
    assert pauses and pauses[0] == writer.LOCKED_RETRY_PAUSES[0]

    # held past every retry: not saved, the text comes back
    with lock_holder(world.settings.database_path):
        reply = await submit(world.bob, card, TEXT)
    assert "not saved" in reply.text and "busy" in reply.text
    assert len(pauses) == 1 + len(writer.LOCKED_RETRY_PAUSES)
    assert await stored_answers(world, world.bob) == []


# --- a real full disk --------------------------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(tmp_path: Path, size: str = "2m") -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({done.stderr.strip() or 'no root'});"
                    " the injected storage errors above cover the same path")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the filesystem of ``folder`` to the last byte."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


async def test_a_real_full_disk_loses_nothing_and_recovers(tmp_path: Path, library) -> None:
    from tests.discord_layer.conftest import emulating, make_world

    with small_filesystem(tmp_path) as disk:
        w = make_world(tmp_path, library)
        w.settings = w.settings.__class__(database_path=disk / "bot.db")
        async with emulating(w), w.running():
            await w.organiser.run_command("workshop-config facilitator-role", w.chan,
                                          role=w.role)
            card = await start(w)
            assert "Saved" in (await submit(w.bob, card, "before the disk filled")).text
            filler = fill(disk)
            opened = await w.alice.click(card, "Answer")
            await opened.response()
            big = {i["custom_id"]: (TEXT * 100)[: i["max_length"]]
                   for i in opened.modal.text_inputs}
            (cite,) = opened.modal.selects
            cited = {cite.custom_id: cite.values[1:3]}  # two seminar examples cited
            reply = await (await opened.modal.submit(w.alice, {**big, **cited})).reply()
            assert "not saved" in reply.text and "disk is full" in reply.text
            assert all(v in reply.attachments[0].text() for v in big.values())
            assert await stored_answers(w, w.alice) == []
            mine = await (await w.bob.run_command("my-answers", w.chan)).reply()
            assert "before the disk filled" in mine.text  # reads still work
            filler.unlink()
            retry = await w.alice.click(reply, "Try again")
            await retry.response()
            assert {i["custom_id"]: i["value"] for i in retry.modal.text_inputs} == big
            assert retry.modal.selects[0].defaults == cited[cite.custom_id]  # kept too
            done = await retry.modal.submit(w.alice, {})
            assert "Saved your answer" in (await done.reply()).text
            assert await stored_answers(w, w.alice) == [{**big, **cited}]


# --- start-up checks ---------------------------------------------------------------------------


def _as_nobody() -> list[str]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the bot as an unprivileged user")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def _run_cli(prefix: list[str], db_path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "DATABASE_PATH", "EXTRA_"))}
    env.update(DISCORD_TOKEN="not-used", DATABASE_PATH=str(db_path),
               DISCORD_API_BASE="http://127.0.0.1:9/api/v10", PYTHONPATH=str(Path.cwd()))
    return subprocess.run([*prefix, sys.executable, "-m", "bot", "run"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="workshop-faults-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("what", ["folder", "database", "lock"])
def test_a_database_it_cannot_write_stops_it_at_start_with_one_line(
    open_folder: Path, what: str
) -> None:
    prefix = _as_nobody()
    root = open_folder
    folder = root / "data"
    folder.mkdir()
    db_path = folder / "workshop.db"
    if what == "folder":  # a read-only first run
        os.chmod(folder, 0o555)
        culprit = folder
    else:
        sqlite3.connect(db_path).close()
        db_path.with_name("workshop.db.lock").touch()
        for p in (folder, db_path, db_path.with_name("workshop.db.lock")):
            os.chown(p, 65534, 65534)
        culprit = db_path if what == "database" else db_path.with_name("workshop.db.lock")
        os.chown(culprit, 0, 0)
        os.chmod(culprit, 0o644)
    done = _run_cli(prefix, db_path, root)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(culprit) in lines[0], done.stderr
    assert "Traceback" not in done.stderr
