"""Running the real bot as a separate process (``python -m bot run``) against an emulator that
lives in the test's event loop, and reading its database from outside."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator import EmulatedMessage, Emulator, Guild, InteractionResult, Member

SAVED = "Saved your answer"
START_TIMEOUT = 30.0  # import + login + IDENTIFY; normally about 1 s


@dataclass
class BotProcess:
    """One ``python -m bot run`` process; its stderr (the log) goes to ``log_path``."""

    proc: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)

    async def wait(self, within: float) -> int:
        """The exit code; fails (with the log's tail) if the process is still running."""
        try:
            async with asyncio.timeout(within):
                return await self.proc.wait()
        except TimeoutError:
            raise AssertionError(
                f"the bot process did not exit within {within:g}s; log:\n{self.tail()}"
            ) from None

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()


def bot_env(emu: Emulator, db_path: Path) -> dict[str, str]:
    """The environment of a bot process pointed at ``emu``: nothing inherited that could
    change the bot's settings (no DISCORD_*, no DEV_GUILD_ID, SHARD_COUNT, EXTRA_*)."""
    dropped = ("DISCORD_", "DATABASE_PATH", "DEV_GUILD_ID", "SHARD_COUNT", "EXTRA_",
               "LOG_LEVEL", "PRIVACY_NOTICE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        DISCORD_TOKEN=emu.token,
        DISCORD_API_BASE=emu.api_base,
        DISCORD_GATEWAY_URL=emu.gateway_url,
        DATABASE_PATH=str(db_path),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


async def start_bot_process(emu: Emulator, db_path: Path, workdir: Path) -> BotProcess:
    """Start ``python -m bot run`` in ``workdir`` (no ``.env`` there) and wait until it has
    IDENTIFYed on the emulator's gateway (commands are synced before that)."""
    workdir.mkdir(parents=True, exist_ok=True)
    assert not (workdir / ".env").exists()
    target = emu.identify_count + 1
    log_path = workdir / f"bot-{target}.log"
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=workdir, env=bot_env(emu, db_path),
            stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
        )
    bot = BotProcess(proc, log_path)
    identified = asyncio.ensure_future(emu.wait_for_identify(target, timeout=START_TIMEOUT))
    exited = asyncio.ensure_future(proc.wait())
    try:
        await asyncio.wait({identified, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not identified.done():
            raise AssertionError(
                f"the bot process exited ({proc.returncode}) before connecting; log:\n"
                f"{bot.tail()}"
            )
        identified.result()
    except BaseException:
        await bot.kill()
        raise
    finally:
        for fut in (identified, exited):
            if not fut.done():
                fut.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fut
    return bot


@contextlib.asynccontextmanager
async def bot_process(emu: Emulator, db_path: Path, workdir: Path) -> AsyncIterator[BotProcess]:
    """A bot process for the block; killed on the way out if the test left it running."""
    bot = await start_bot_process(emu, db_path, workdir)
    try:
        yield bot
    finally:
        await bot.kill()


# --- the people and the burst --------------------------------------------------------------


@dataclass
class Burst:
    """Submissions fired at once, and the acknowledgements the emulator saw arrive."""

    results: list[InteractionResult] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)  # interaction id -> text submitted
    acked: set[int] = field(default_factory=set)  # interaction ids answered "Saved…"
    _threshold: int = 0
    _reached: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set on each acknowledgement
    _on_threshold: Callable[[], None] | None = None

    def listen(self, emu: Emulator) -> Callable[[str, object], None]:
        def on_event(event: str, obj: object) -> None:
            if not event.startswith("message_") or not isinstance(obj, EmulatedMessage):
                return
            it = obj.interaction
            if it is not None and it.id in self.texts and SAVED in obj.text:
                self.acked.add(it.id)
                self._arrived.set()
                if self._threshold and len(self.acked) >= self._threshold \
                        and not self._reached.is_set():
                    self._reached.set()
                    if self._on_threshold is not None:
                        self._on_threshold()

        emu.add_listener(on_event)
        return on_event

    def when_acked(self, count: int, action: Callable[[], None]) -> None:
        """Run ``action`` synchronously as the ``count``-th acknowledgement arrives (e.g. kill
        the bot at that very moment, not when the test next gets to run)."""
        self._threshold = count
        self._on_threshold = action

    async def wait_for_acks(self, count: int, within: float = 20.0) -> None:
        """Until ``count`` submissions have been acknowledged as saved (event based)."""
        self._threshold = count
        if len(self.acked) >= count:
            return
        try:
            async with asyncio.timeout(within):
                await self._reached.wait()
        except TimeoutError:
            raise AssertionError(
                f"only {len(self.acked)} of {count} acknowledgements within {within:g}s"
            ) from None


async def open_forms(people: Iterable[Member], card: EmulatedMessage) -> list[InteractionResult]:
    """Everyone presses Answer on ``card`` at once; returns the opened forms' interactions."""
    clicks = [await person.click(card, "Answer", wait=False) for person in people]
    await asyncio.gather(*(c.response(timeout=20) for c in clicks))
    for c in clicks:
        assert c.modal is not None, f"Answer did not open a form: {c}"
    return clicks


async def fire_submissions(forms: list[InteractionResult], burst: Burst, tag: str) -> None:
    """Submit every form without waiting for the bot; texts are unique per person."""
    for form in forms:
        assert form.modal is not None
        text = f"{tag} answer of {form.user.name}"
        values = {i["custom_id"]: text for i in form.modal.text_inputs if i.get("required", True)}
        res = await form.modal.submit(form.user, values, wait=False)
        burst.results.append(res)
        burst.texts[res.id] = text


async def fire_in_window(
    forms: list[InteractionResult], burst: Burst, tag: str, *, window: int,
    stop: Callable[[], bool],
) -> None:
    """Keep ``window`` submissions in the bot's hands at once: ``window`` fired together, then
    one more for each acknowledgement, until ``stop()`` says so or every form is submitted.

    Unlike :func:`fire_submissions` (every dispatch queued before the bot answers any), the bot
    always has unanswered work when ``stop()`` turns true, however fast it runs compared with
    the emulator reading its acknowledgements.
    """
    pending = iter(forms)
    while not stop():
        if len(burst.results) - len(burst.acked) >= window:
            burst._arrived.clear()
            await burst._arrived.wait()
            continue
        form = next(pending, None)
        if form is None:
            return
        await fire_submissions([form], burst, tag)


def add_people(guild: Guild, count: int, prefix: str = "Person") -> list[Member]:
    return [guild.add_member(f"{prefix} {i:03d}") for i in range(count)]


# --- the database, from outside ------------------------------------------------------------


@dataclass
class DbState:
    integrity: str
    rows: int
    duplicates: int
    applied: dict[int, str]  # interaction id applied -> the answer's fields (JSON)
    answers: dict[tuple[int, str, int], str]  # (session, prompt, user) -> fields (JSON)


def read_db(path: Path) -> DbState:
    """Read the database read-only (safe while the bot runs: WAL)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM answers GROUP BY session_id, prompt_id, "
            "user_id HAVING count(*) > 1)"
        ).fetchone()[0]
        applied = dict(conn.execute(
            "SELECT w.interaction_id, a.fields FROM answer_writes w "
            "JOIN answers a ON a.id = w.answer_id"
        ).fetchall())
        answers = {
            (s, p, u): f for s, p, u, f in conn.execute(
                "SELECT session_id, prompt_id, user_id, fields FROM answers"
            )
        }
    finally:
        conn.close()
    return DbState(integrity, rows, duplicates, applied, answers)
