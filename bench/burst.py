"""Benchmark a whole room submitting its answers at once, in the shape that runs in production.

    python bench/burst.py                      # 250 people, warm-up round + 15 rounds
    python bench/burst.py --smoke              # tiny numbers (tests/test_bench_burst.py)
    python bench/burst.py --modes flat --compare before=/tmp/before/bin/python \
        --pairs workshop/before                # A/B against another install of the bot
    python bench/burst.py --instrument gc      # also the collector's pauses inside the bot
    python bench/burst.py --pin                # emulator and bot each on a CPU of its own
    python bench/burst.py --in-process ...     # the older in-process bench (burst_inprocess.py)

Three processes per run, as in production: this script (it measures), the **bot** on its own
(``python -m bot run``, i.e. ``workshop-bot run``, with ``DISCORD_TOKEN``, ``DISCORD_API_BASE``,
``DISCORD_GATEWAY_URL`` and ``DATABASE_PATH`` pointing at the emulator and a fresh database;
``synchronous=FULL`` as always), and **Discord**: bench/emulator_process.py, the bundled
emulator with Discord's rate limits, which builds the world and drives the load. The
**baseline** (bench/baseline_bot.py, a bare discord.py bot with the same commands, custom ids
and forms that answers "ok" and stores nothing; it posts the workshop bot's own session card,
so Discord attaches the same message to every form submitted) runs the same way, once with
the defaults (``baseline``) and once with every process setting the workshop bot uses
(``tuned``: its gc settings, event loop and JSON library). ``baseline-plain`` and
``tuned-plain`` (in ``--bots``): the same with a one-line session card.

A run (fresh processes and database each time): the bot starts and gets ready; the facilitator
starts a session in each of ``--groups`` channels (prompt 1 live); ``--warmup`` other people
open and submit the form in a warm-up channel (a number drawn per round from a range: what
came before a burst decides whether a garbage collection falls inside it); the
``--participants`` open their forms (all at once); after ``--think`` idle seconds every form
is submitted in a shuffled order, back to back (``flat``) or at ``--rate`` per second
(``paced``). ``board``/``paced-board``: the same with a live board (``/workshop board``)
posted in a facilitators' channel first.

Per run: throughput = acknowledged / (last acknowledgement - first dispatch); latency per
submission = dispatch to acknowledgement (emulator clock); the bot's CPU per submission from
``/proc/<pid>/task/<tid>/schedstat`` (nanoseconds), the event loop's thread (the main thread)
and the other threads (the database writer, executors) apart; how busy the loop was (its CPU /
the burst's span); how long the bot's threads waited for a CPU (other processes on the
machine); commits per burst (SQLite's change counter in the ``-shm`` WAL index, read from
outside: one per write transaction); and every answer acknowledged as saved looked up in the
database afterwards. Rounds interleave the bots (the order rotates each round); the headline is
the median of the per-round paired ratios of the flat bursts.

``--compare LABEL=PYTHON`` adds a bot: ``PYTHON -m bot run``, i.e. another install of the bot
(such as the unchanged one, to measure a change in the same run); the label ``workshop``
replaces the bot of this checkout. The board and paced modes run for ``workshop`` only.
``--instrument gc,profile,timeline`` measures inside the bot process without changing it
(bench/instrument/sitecustomize.py, through ``PYTHONPATH``); ``timeline``: when the
interactions were parsed, the write batches ran and the replies left.

The machine's speed: this VM's CPUs switch between two speeds ~1.7x apart, each on its own,
in spells of a fraction of a second to seconds, whatever runs on them (bench/README.md). So the
emulator probes every CPU just before each burst and once it is acknowledged (a fixed loop of
pure Python, the least of three, per CPU), each run's row shows the probes, and every ratio
is given twice: over all rounds (the headline), and over the rounds where both runs had
**steady CPUs** (every probe within 15 % of the median probe of the whole bench run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

WORKSHOP = "workshop"
BASELINE = "baseline"
TUNED = "tuned"
FLAT, BOARD, PACED, PACED_BOARD = "flat", "board", "paced", "paced-board"
MODES = (FLAT, BOARD, PACED, PACED_BOARD)
# the baselines (bench/baseline_bot.py) and their flags; "-plain": a one-line session card
# instead of the workshop bot's (so Discord attaches a smaller message to every form submitted)
BASELINES = {BASELINE: [], TUNED: ["--tuned"], f"{BASELINE}-plain": ["--plain-card"],
             f"{TUNED}-plain": ["--tuned", "--plain-card"]}
READY_MARKS = {WORKSHOP: "connected as", **{b: "baseline ready" for b in BASELINES}}
START_TIMEOUT = 60.0
STEP_TIMEOUT = 300.0
# what the bot process must not inherit: it would change its settings
DROPPED_ENV = ("DISCORD_", "DATABASE_PATH", "DEV_GUILD_ID", "SHARD_COUNT", "EXTRA_", "LOG_LEVEL",
               "PRIVACY_NOTICE", "PYTHONPATH")


# --- reading a process from outside ----------------------------------------------------------


def thread_times(pid: int) -> dict[int, tuple[int, int]]:
    """Per thread of ``pid``: (nanoseconds on a CPU, nanoseconds runnable but waiting for one),
    from ``/proc/<pid>/task/<tid>/schedstat``."""
    out: dict[int, tuple[int, int]] = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                run, wait, _ = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
                out[int(tid)] = (int(run), int(wait))
    return out


@dataclass
class CpuSplit:
    loop: float = 0.0  # seconds on a CPU, the main thread (the event loop's)
    other: float = 0.0  # the other threads
    waited: float = 0.0  # all threads: runnable, waiting for a CPU


def cpu_between(pid: int, before: dict[int, tuple[int, int]],
                after: dict[int, tuple[int, int]]) -> CpuSplit:
    split = CpuSplit()
    for tid, (run, wait) in after.items():
        run0, wait0 = before.get(tid, (0, 0))
        if tid == pid:
            split.loop += (run - run0) / 1e9
        else:
            split.other += (run - run0) / 1e9
        split.waited += (wait - wait0) / 1e9
    return split


def wal_changes(db: Path) -> int | None:
    """SQLite's change counter in the WAL index (``iChange``, bytes 8-11 of the ``-shm`` file):
    one more per committed write transaction, checkpoints and WAL restarts included."""
    try:
        with open(f"{db}-shm", "rb") as f:
            head = f.read(12)
    except OSError:
        return None
    return struct.unpack("=I", head[8:12])[0] if len(head) == 12 else None


# --- one run --------------------------------------------------------------------------------


@dataclass
class Run:
    round: int
    bot: str
    mode: str
    fired: int = 0
    failed: int = 0
    deferred: int = 0
    violations: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged in time
    span: float = 0.0  # first dispatch -> last acknowledgement
    first_ack: float = 0.0
    cpu: CpuSplit = field(default_factory=CpuSplit)
    emulator_cpu: float = 0.0
    commits: int | None = None
    answers_acked: int | None = None
    answers_ok: int | None = None
    board_edits: int = 0
    instrument: dict[str, Any] = field(default_factory=dict)  # from bench/instrument
    # the emulator's speed probe of each CPU (ms), just before the burst and once it was
    # acknowledged: [[cpu0, cpu1, ...], [cpu0, cpu1, ...]]
    speed: list[list[float]] = field(default_factory=list)

    @property
    def acked(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.acked / self.span if self.span else 0.0

    @property
    def busy(self) -> float:
        return self.cpu.loop / self.span if self.span else 0.0


class Failed(Exception):
    pass


def bot_env(api_base: str, gateway_url: str, token: str, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV)}
    env.update(DISCORD_TOKEN=token, DISCORD_API_BASE=api_base, DISCORD_GATEWAY_URL=gateway_url,
               DATABASE_PATH=str(db), LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    return env


class Child:
    """The emulator process: JSON lines both ways."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log

    async def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()

    async def expect(self, event: str, within: float = STEP_TIMEOUT) -> dict[str, Any]:
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(within):
                line = await self.proc.stdout.readline()
        except TimeoutError:
            raise Failed(f"the emulator process sent no {event!r} within {within:g} s; "
                         f"its log:\n{tail(self.log)}") from None
        if not line:
            raise Failed(f"the emulator process ended before {event!r}; its log:\n"
                         f"{tail(self.log)}")
        msg = json.loads(line)
        if msg.get("event") != event:
            raise Failed(f"the emulator process sent {msg.get('event')!r}, not {event!r}")
        return msg


def tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


async def wait_for_mark(proc: asyncio.subprocess.Process, log: Path, mark: str) -> None:
    """Until the bot's log shows ``mark`` (its on_ready, after its gc tuning)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if mark in tail(log, 1000):
            return
        if proc.returncode is not None:
            raise Failed(f"the bot process exited ({proc.returncode}) before it was ready; "
                         f"its log:\n{tail(log)}")
        await asyncio.sleep(0.05)
    raise Failed(f"the bot process was not ready within {START_TIMEOUT:g} s; its log:\n"
                 f"{tail(log)}")


def bot_command(bot: str, variants: dict[str, str]) -> list[str]:
    if bot in BASELINES:
        return [sys.executable, str(BENCH / "baseline_bot.py"), *BASELINES[bot]]
    return [variants.get(bot, sys.executable), "-m", "bot", "run"]


async def stop(proc: asyncio.subprocess.Process, within: float = 15.0) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(within):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


def exists(path: Path) -> bool:
    return path.exists()


async def wait_for_file(path: Path, proc: asyncio.subprocess.Process, what: str) -> None:
    deadline = time.monotonic() + 10.0
    while not exists(path):
        if proc.returncode is not None or time.monotonic() > deadline:
            raise Failed(f"the bot process did not {what}")
        await asyncio.sleep(0.01)


def warmup_of(spec: str, rnd: int) -> int:
    """The warm-up submissions of round ``rnd``: ``N``, or ``LO-HI`` (drawn per round, the same
    for every bot of the round: what came before a burst decides whether a collection of the
    garbage collector falls inside it, as in a bot that has been running for a while)."""
    lo, _, hi = spec.partition("-")
    return random.Random(rnd).randint(int(lo), int(hi)) if hi else int(lo)


def pinned(pin: bool, which: int) -> Callable[[], None] | None:
    """With ``--pin``: run the child on one CPU only, the emulator (``which`` 0) on the first
    CPU this process may use and the bot (1) on the last (the same one on a 1-CPU machine)."""
    if not pin:
        return None
    cpus = sorted(os.sched_getaffinity(0))
    cpu = cpus[0] if which == 0 else cpus[-1]
    return lambda: os.sched_setaffinity(0, {cpu})


async def run_once(rnd: int, bot: str, mode: str, args: argparse.Namespace, tmp: Path,
                   variants: dict[str, str]) -> Run:
    workdir = tmp / f"r{rnd:02d}-{bot}-{mode}"
    workdir.mkdir()
    db = workdir / "workshop.db"
    stores = bot not in BASELINES
    emu_cmd = [sys.executable, str(BENCH / "emulator_process.py"),
               "--participants", str(args.participants), "--groups", str(args.groups),
               "--warmup", str(warmup_of(args.warmup, rnd)), "--think", str(args.think),
               "--seed", str(rnd),
               "--rate", str(args.rate if mode in (PACED, PACED_BOARD) else 0)]
    if mode in (BOARD, PACED_BOARD):
        emu_cmd.append("--board")
    if stores:
        emu_cmd += ["--db", str(db)]
    emu_log = workdir / "emulator.log"
    bot_log = workdir / "bot.log"
    with emu_log.open("wb") as elog:
        emu_proc = await asyncio.create_subprocess_exec(
            *emu_cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=elog, cwd=workdir, preexec_fn=pinned(args.pin, 0))
    emu = Child(emu_proc, emu_log)
    bot_proc: asyncio.subprocess.Process | None = None
    run = Run(rnd, bot, mode)
    try:
        hello = await emu.expect("listening", START_TIMEOUT)
        env = bot_env(hello["api_base"], hello["gateway_url"], hello["token"], db)
        probe = workdir / "instrument.json"
        if args.instrument:
            env.update(PYTHONPATH=str(BENCH / "instrument"), BURST_INSTRUMENT=args.instrument,
                       BURST_INSTRUMENT_OUT=str(probe))
        with bot_log.open("wb") as blog:
            bot_proc = await asyncio.create_subprocess_exec(
                *bot_command(bot, variants), cwd=workdir, env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=blog, stderr=blog,
                preexec_fn=pinned(args.pin, 1))
        await wait_for_mark(bot_proc, bot_log, READY_MARKS.get(bot, READY_MARKS[WORKSHOP]))
        await emu.send(cmd="setup")
        await emu.expect("armed")
        pid = bot_proc.pid
        commits0 = wal_changes(db) if stores else None
        if args.instrument:
            bot_proc.send_signal(signal.SIGUSR1)
            await wait_for_file(Path(f"{probe}.on"), bot_proc, "start its instruments")
        before = thread_times(pid)
        await emu.send(cmd="fire")
        fired = await emu.expect("fired")
        after = thread_times(pid)
        if args.instrument:
            bot_proc.send_signal(signal.SIGUSR2)
            await wait_for_file(probe, bot_proc, "write what its instruments measured")
            run.instrument = json.loads(probe.read_text())
        commits1 = wal_changes(db) if stores else None
        run.cpu = cpu_between(pid, before, after)
        if commits0 is not None and commits1 is not None:
            run.commits = (commits1 - commits0) % 2**32
        run.fired, run.failed = fired["fired"], fired["failed"]
        run.deferred, run.violations = fired["deferred"], fired["violations"]
        run.emulator_cpu, run.board_edits = fired["emulator_cpu"], fired["board_edits"]
        run.speed = fired["speed"]
        acks = [(d, a) for d, a in zip(fired["dispatched"], fired["acks"], strict=True)
                if a is not None]
        run.latencies = [a - d for d, a in acks]
        if acks:
            run.span = max(a for _, a in acks)
            run.first_ack = min(a for _, a in acks)
        if stores:
            await emu.send(cmd="check")
            checked = await emu.expect("checked")
            run.answers_acked, run.answers_ok = checked["acked"], checked["ok"]
    finally:
        if bot_proc is not None:
            await stop(bot_proc)
        if emu_proc.returncode is None:
            with contextlib.suppress(Exception):
                await emu.send(cmd="stop")
            await stop(emu_proc)
    if not args.workdir:
        for path in sorted(workdir.iterdir()):
            if path.name.startswith("workshop.db"):
                path.unlink()
    return run


# --- the report --------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


ROW_HEAD = ("| rnd | bot            | mode        |   n | per s | first ms | p50 ms | p99 ms | "
            "max ms | loop µs | other µs | busy | waited ms | emu busy | commits | answers |\n"
            "|----:|----------------|-------------|----:|------:|---------:|-------:|-------:|"
            "-------:|--------:|---------:|-----:|----------:|---------:|--------:|--------:|")


def row(r: Run) -> str:
    n = max(r.fired, 1)
    lat = r.latencies
    answers = f"{r.answers_ok}/{r.answers_acked}" if r.answers_acked is not None else "-"
    commits = str(r.commits) if r.commits is not None else "-"
    emu_busy = r.emulator_cpu / r.span if r.span else 0.0
    text = (f"| {r.round:3} | {r.bot:14} | {r.mode:11} | {r.acked:3} | {r.throughput:5.0f} | "
            f"{r.first_ack * 1000:8.1f} | {pct(lat, 50) * 1000:6.1f} | "
            f"{pct(lat, 99) * 1000:6.1f} | "
            f"{max(lat, default=0) * 1000:6.1f} | {r.cpu.loop / n * 1e6:7.0f} | "
            f"{r.cpu.other / n * 1e6:8.0f} | {r.busy:4.0%} | {r.cpu.waited * 1000:9.1f} | "
            f"{emu_busy:8.0%} | {commits:>7} | {answers:>7} |")
    if r.speed:
        text += ("\n    speed probe (ms per CPU): before "
                 + ", after ".join("/".join(f"{v:.1f}" for v in probe) for probe in r.speed))
    ins = r.instrument
    if "gc_collections" in ins:
        text += (f"\n    gc: {'/'.join(map(str, ins['gc_collections']))} collections "
                 f"(gen 0/1/2), {ins['gc_pause'] * 1000:.1f} ms in all, longest "
                 f"{ins['gc_max_pause'] * 1000:.1f} ms; gc.get_count() before "
                 f"{tuple(ins['gc_count_at_start'])}, after {tuple(ins['gc_count_at_end'])}")
    if ins.get("timeline"):
        marks = ins["timeline"]
        parsed = [t for what, t, _ in marks if what == "parsed"]
        replies = [t for what, t, _ in marks if what == "reply"]
        batches = [(t, n) for what, t, n in marks if what == "batch start"]
        ends = [t for what, t, _ in marks if what == "batch end"]
        text += (f"\n    timeline (ms from the first interaction parsed): last parsed "
                 f"{max(parsed):.1f}; replies from {min(replies, default=0):.1f} to "
                 f"{max(replies, default=0):.1f}; write batches (start+ms: jobs) "
                 + (", ".join(f"{t:.1f}+{e - t:.1f}: {n}"
                              for (t, n), e in zip(batches, ends, strict=False)) or "none"))
    if r.failed or r.deferred or r.violations:
        text += (f"\n    {r.fired} fired: {r.failed} failed, {r.deferred} deferred, "
                 f"{r.violations} rule violations")
    return text


# The VM's CPUs switch between two speeds ~1.7x apart, each on its own, in spells of a fraction
# of a second to seconds (bench/README.md). A run counts as steady when every probe of its CPUs,
# before and after its burst, is within this fraction of the median probe of the whole bench
# run: the CPUs stayed at their usual level throughout (very likely; a spell shorter than the
# burst can slip between the probes).
STEADY = 0.15


def steady_cpus(runs: list[Run]) -> Callable[[Run], bool]:
    """Whether a run's CPUs were at the bench run's usual speed before and after its burst."""
    probes = [v for r in runs for probe in r.speed for v in probe]
    if not probes:
        return lambda r: False
    usual = statistics.median(probes)
    return lambda r: bool(r.speed) and all(abs(v / usual - 1) <= STEADY
                                           for probe in r.speed for v in probe)


def ratios(runs: list[Run], num: tuple[str, str], den: tuple[str, str],
           keep: Callable[[Run], bool] | None = None) -> list[float]:
    """Per round, throughput of ``num`` over ``den`` ((bot, mode) each); with ``keep``, only
    the rounds where both runs pass it."""
    by = {(r.round, r.bot, r.mode): r for r in runs}
    out = []
    for rnd in sorted({r.round for r in runs}):
        a, b = by.get((rnd, *num)), by.get((rnd, *den))
        if a and b and b.throughput and (keep is None or (keep(a) and keep(b))):
            out.append(a.throughput / b.throughput)
    return out


def summary(runs: list[Run], bots: list[str], pairs: list[tuple[str, str]]) -> list[str]:
    lines = ["", "Medians over the measured rounds (per submission fired; busy = loop CPU / "
             "burst span):", "| bot            | mode        | rounds | per s | first ms | "
             "p99 ms | loop µs | other µs | busy | waited ms | commits | answers on disk |",
             "|----------------|-------------|-------:|------:|---------:|-------:|--------:|"
             "---------:|-----:|----------:|--------:|----------------:|"]
    for bot in bots:
        for mode in MODES:
            rs = [r for r in runs if r.bot == bot and r.mode == mode]
            if not rs:
                continue
            commits = [r.commits for r in rs if r.commits is not None]
            acked = sum(r.answers_acked or 0 for r in rs)
            ok = sum(r.answers_ok or 0 for r in rs)
            on_disk = f"{ok}/{acked}" if any(r.answers_acked is not None for r in rs) else "-"
            lines.append(
                f"| {bot:14} | {mode:11} | {len(rs):6} | {med([r.throughput for r in rs]):5.0f} | "
                f"{med([r.first_ack for r in rs]) * 1000:8.1f} | "
                f"{med([pct(r.latencies, 99) for r in rs]) * 1000:6.1f} | "
                f"{med([r.cpu.loop / max(r.fired, 1) for r in rs]) * 1e6:7.0f} | "
                f"{med([r.cpu.other / max(r.fired, 1) for r in rs]) * 1e6:8.0f} | "
                f"{med([r.busy for r in rs]):4.0%} | "
                f"{med([r.cpu.waited for r in rs]) * 1000:9.1f} | "
                f"{med(commits) if commits else float('nan'):7.1f} | {on_disk:>15} |")
    lines.append("")

    def say(label: str, values: list[float]) -> None:
        if values:
            lines.append(f"{label}: median {med(values):.2f}, min {min(values):.2f}, "
                         f"max {max(values):.2f} ({len(values)} rounds) "
                         f"[{', '.join(f'{v:.2f}' for v in values)}]")

    steady_run = steady_cpus(runs)
    steady = ", both runs on steady CPUs"

    def both(label: str, num: tuple[str, str], den: tuple[str, str]) -> None:
        say(label, ratios(runs, num, den))
        say(label + steady, ratios(runs, num, den, steady_run))

    for bot in bots:
        if bot in BASELINES:
            continue
        both(f"throughput {bot}/baseline (flat)", (bot, FLAT), (BASELINE, FLAT))
        both(f"throughput {bot}/tuned (flat)", (bot, FLAT), (TUNED, FLAT))
        both(f"throughput {bot} with board / without (flat)", (bot, BOARD), (bot, FLAT))
        for mode in (PACED, PACED_BOARD):
            lat = [x for r in runs if r.bot == bot and r.mode == mode for x in r.latencies]
            if lat:
                lines.append(f"{bot} {mode} at {{rate}}/s: p50 {pct(lat, 50) * 1000:.1f} ms, "
                             f"p99 {pct(lat, 99) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms "
                             f"({len(lat)} submissions over all rounds)")
        edits = [r.board_edits for r in runs if r.bot == bot and r.mode == BOARD]
        if edits:
            lines.append(f"{bot} board edits during a flat burst: {min(edits)}-{max(edits)}")
    for num, den in pairs:
        for mode in (FLAT, BOARD):
            both(f"throughput {num}/{den} ({mode})", (num, mode), (den, mode))
    if any(r.speed for r in runs):
        usual = statistics.median(v for r in runs for probe in r.speed for v in probe)
        lines.append(f"runs on steady CPUs (every speed probe before and after the burst "
                     f"within {STEADY:.0%} of the median probe, {usual:.1f} ms): "
                     f"{sum(1 for r in runs if steady_run(r))} of {len(runs)}")
    acked = sum(r.answers_acked or 0 for r in runs)
    ok = sum(r.answers_ok or 0 for r in runs)
    lines.append(f"answers: {ok}/{acked} acknowledged answers present in the database "
                 f"({'all present' if ok == acked else f'MISSING {acked - ok}'})")
    failed = sum(r.failed + r.violations for r in runs)
    lines.append(f"failed or late acknowledgements: {failed}")
    return lines


# --- main ------------------------------------------------------------------------------------


def plan(bots: list[str], modes: list[str]) -> list[tuple[str, str]]:
    """The runs of one round: every bot flat; the board and paced modes for the bot named
    ``workshop`` (the baselines have no board; other variants are compared flat)."""
    out = []
    for mode in modes:
        for bot in bots:
            if mode == FLAT or bot == WORKSHOP:
                out.append((bot, mode))
    return out


def machine() -> str:
    import sqlite3

    import discord

    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() \
        else ["?"]
    return (f"# machine: {os.cpu_count()} cpus, load average {' '.join(load)}, Python "
            f"{sys.version.split()[0]}, discord.py {discord.__version__}, SQLite "
            f"{sqlite3.sqlite_version}")


async def main_async(args: argparse.Namespace) -> int:
    # stopped from outside: end the processes of the run in progress too (finally clauses)
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, task.cancel)
    variants = dict(v.split("=", 1) for v in args.compare)
    bots = [b for b in args.bots.split(",") if b] + list(variants)
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            raise SystemExit(f"unknown mode {m!r}: choose from {', '.join(MODES)}")
    runs_of_round = plan(bots, modes)
    print(f"# burst, production shape: {args.participants} participants in {args.groups} "
          f"group(s), {args.warmup} warm-up submissions, {args.think:g} s idle before the "
          f"burst, paced at {args.rate:g}/s; {args.warmup_rounds} warm-up round(s) + "
          f"{args.rounds} rounds of {len(runs_of_round)} runs")
    print(machine())
    for label, python in variants.items():
        print(f"# {label}: {python} -m bot run")
    print(ROW_HEAD, flush=True)
    runs: list[Run] = []
    failures: list[str] = []
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.workdir:
            tmp = Path(args.workdir)
            os.makedirs(tmp, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="burst-")))
        for rnd in range(args.warmup_rounds + args.rounds):
            shift = rnd % len(runs_of_round)
            for bot, mode in runs_of_round[shift:] + runs_of_round[:shift]:
                try:
                    r = await run_once(rnd, bot, mode, args, tmp, variants)
                except Failed as exc:  # reported; the other runs go on
                    failures.append(f"round {rnd}, {bot} {mode}: {exc}")
                    print(f"| {rnd:3} | {bot:14} | {mode:11} | FAILED: "
                          f"{str(exc).splitlines()[0]}", flush=True)
                    continue
                line = row(r)
                if rnd < args.warmup_rounds:
                    line = line.replace(f"| {rnd:3} |", "|   w |", 1)
                else:
                    runs.append(r)
                print(line, flush=True)
    pairs = [tuple(p.split("/", 1)) for p in args.pairs.split(",") if "/" in p]
    print("\n".join(summary(runs, bots, pairs)).replace("{rate}", f"{args.rate:g}"))
    print(machine().replace("# machine", "# afterwards"))
    print(f"# {time.monotonic() - started:.0f} s")
    for failure in failures:
        print(f"FAILED: {failure}")
    acked = sum(r.answers_acked or 0 for r in runs)
    ok = sum(r.answers_ok or 0 for r in runs)
    return 0 if ok == acked and not failures else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--in-process" in argv:
        sys.path.insert(0, str(BENCH))
        from burst_inprocess import main as in_process

        return in_process([a for a in argv if a != "--in-process"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=250)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--warmup", default="0-200", metavar="N or LO-HI",
                        help="submissions in a warm-up channel before the burst, per run (a "
                             "range: drawn per round)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="idle seconds between opening the forms and the burst")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup-rounds", type=int, default=1,
                        help="rounds run first and not counted")
    parser.add_argument("--rate", type=float, default=250.0, help="paced: submissions per second")
    parser.add_argument("--bots", default=f"{WORKSHOP},{BASELINE},{TUNED}")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL=PYTHON",
                        help="also run `PYTHON -m bot run` (another install of the bot, e.g. "
                             "the unchanged one) as bot LABEL")
    parser.add_argument("--pairs", default="", metavar="A/B,C/D",
                        help="also the per-round throughput ratios of these bots")
    parser.add_argument("--instrument", default="", metavar="gc,profile,timeline",
                        help="measure inside the bot process (bench/instrument: gc pauses, "
                             "a cProfile of the loop thread, saved in --workdir, when "
                             "interactions were parsed, written and answered); slows it")
    parser.add_argument("--workdir", default="",
                        help="keep every run's logs and database here (default: a temporary "
                             "folder, removed at the end)")
    parser.add_argument("--in-process", action="store_true",
                        help="the older bench: bot and emulator in this one process")
    parser.add_argument("--pin", action="store_true",
                        help="the emulator on one CPU and the bot (all its threads) on another, so "
                             "the stand-in for Discord never takes the bot's CPU")
    parser.add_argument("--smoke", action="store_true", help="tiny numbers, one round")
    args = parser.parse_args(argv)
    if args.smoke:
        args.participants, args.groups, args.warmup, args.think = 12, 2, "3", 0.0
        args.rounds, args.warmup_rounds, args.rate = 1, 0, 100.0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
