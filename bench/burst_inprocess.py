"""The in-process burst bench (``python bench/burst.py --in-process ...``): not the headline.

Bot and emulator share one process and one event loop here, which flatters the bot: its gc
tuning tunes the emulator too, and the emulator's CPU fills the bot's idle waits and is counted
for both bots. bench/burst.py (the headline) runs them as separate processes, as in production.

    python bench/burst.py --in-process                          # 250 people, 10 groups, 5 rounds
    python bench/burst.py --in-process --smoke                  # a few seconds (run by the tests)
    python bench/burst.py --in-process --participants 1000 --rounds 3
    python bench/burst.py --in-process --prefill 1000000        # on a DB of 1M answers

The local Discord emulator and the real bot (real discord.py, real SQLite, ``synchronous=FULL``)
run in this one process, on one event loop. The same script drives, in the same run, a
**baseline**: a bare discord.py ``commands.Bot`` with the same command / button / modal surface
(same names, options and custom ids) that only acknowledges each interaction with an ephemeral
message and stores nothing.

The scenario (per bot, per round, each on a fresh emulator, bot and database):

* ``--participants`` people in ``--groups`` channels; a facilitator starts a **self-paced**
  session of the 3-prompt set ``key-questions`` in each channel (self-paced: every prompt is
  open at once, so everyone can submit all three);
* every person opens the three forms: prompt 1 from the card's **Answer** button, prompts 2 and 3
  with ``/answer prompt:...`` (the "open" phase, itself a burst; reported separately);
* the burst: every form submitted (3 per person, each text field ~200 characters, one example
  cited), shuffled, with one other interaction after every 10 submissions, in turn
  ``/session status`` (the facilitator, which reads the database), ``/example name:...`` and an
  autocomplete of
  ``/example name``. ``flat``: all fired at once without waiting; ``paced``: fired at
  ``--paced`` interactions per second (latency below saturation).

Latency is per interaction: emulator loop time at dispatch (``InteractionResult.created``) to the
bot's callback arriving at the emulator (``acknowledged_at``). Throughput = interactions /
(last acknowledgement - first dispatch). Afterwards every acknowledged answer ("✅" reply) is
looked up in the database, fields compared. The emulator costs the same for both bots and shares
the process (and the CPU) with them, which pulls the ratio towards 1: the bot-side cost per
interaction is also reported (process CPU time / interactions, emulator included).

Memory: one bot runs ``--memory-bursts`` bursts in a row (close the sessions, start new ones,
open, submit); after each, the emulator's records are dropped, ``gc.collect()`` runs, and RSS and
tracemalloc's traced size are taken. Cold start: make_bot → ready (discord.py already imported;
the bot's own modules, YAML, database creation and migrations, command sync and the gateway
connection included), first bot of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import discord  # noqa: E402

from bench.baseline_bot import make_baseline  # noqa: E402
from bench.emulator_process import answer_values  # noqa: E402
from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR, Settings  # noqa: E402
from bot.emulator import (  # noqa: E402
    Channel,
    DiscordRuleViolation,
    Emulator,
    InteractionResult,
    Member,
    running_bot,
)
from bot.models import Library  # noqa: E402

SET_ID = "key-questions"
WORKSHOP = "Burst benchmark"
EXTRA_EVERY = 10  # one non-submit interaction after every 10 submissions
TIMEOUT = 30.0
DEFAULT_GC = gc.get_threshold()

# --- the world and the script ------------------------------------------------------------------


@dataclass
class World:
    emu: Emulator
    channels: list[Channel]
    facilitator: Member
    groups: list[list[Member]]


def make_world(participants: int, groups: int) -> World:
    emu = Emulator(default_timeout=TIMEOUT)
    guild = emu.add_guild("Burst server")
    channels = [guild.add_channel(f"group-{g + 1:02d}") for g in range(groups)]
    facilitator = guild.add_member("Facilitator", permissions="manage_guild")
    people = [guild.add_member(f"P{i:05d}") for i in range(participants)]
    return World(emu, channels, facilitator, [people[g::groups] for g in range(groups)])


@dataclass
class Stats:
    label: str
    latencies: list[float] = field(default_factory=list)  # seconds
    kinds: dict[str, list[float]] = field(default_factory=dict)
    span: float = 0.0
    count: int = 0  # acknowledged in time
    fired: int = 0  # interactions dispatched
    drained: float = 0.0  # first dispatch → the bot's last request of the burst (seconds)
    deferred: int = 0
    violations: int = 0
    failed: int = 0
    cpu: float = 0.0
    failed_ids: set[int] = field(default_factory=set)

    @property
    def throughput(self) -> float:
        return self.count / self.span if self.span else 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


async def collect(label: str, results: list[tuple[str, InteractionResult | asyncio.Task[Any]]],
                  ) -> tuple[Stats, list[InteractionResult]]:
    stats = Stats(label, fired=len(results))
    done: list[InteractionResult] = []
    for kind, res in results:
        try:
            if isinstance(res, asyncio.Task):
                res = await res
            await res.response(TIMEOUT)
        except Exception as exc:  # a rule violation or a timeout: counted, reported
            stats.failed += 1
            if isinstance(exc, DiscordRuleViolation):
                stats.failed_ids.add(exc.violation.interaction_id)
            elif isinstance(res, InteractionResult):
                stats.failed_ids.add(res.id)
            continue
        done.append(res)
        assert res.acknowledged_at is not None
        lat = res.acknowledged_at - res.created
        stats.latencies.append(lat)
        stats.kinds.setdefault(kind, []).append(lat)
        if res.response_type == 5:  # "thinking…": the result comes as the original's edit
            stats.deferred += 1
            with contextlib.suppress(Exception):
                await res.wait_for_original(lambda m: not m.loading, timeout=TIMEOUT)
    if done:
        stats.span = max(r.acknowledged_at or 0 for r in done) - min(r.created for r in done)
    stats.count = len(done)
    return stats, done


async def start_sessions(world: World) -> list[Any]:
    cards = []
    for chan in world.channels:
        res = await world.facilitator.run_command(
            "session start", chan, set=SET_ID, workshop=WORKSHOP, pace="self", timeout=TIMEOUT,
        )
        card = await res.reply(TIMEOUT)
        assert card is not None
        cards.append(card)
    return cards


async def open_forms(world: World, cards: list[Any], prompt_ids: list[str], chunk: int = 0,
                     ) -> tuple[Stats, list[tuple[Member, str, InteractionResult]]]:
    """Every person opens one form per prompt (all at once, or ``chunk`` people at a time);
    returns the open stats and the opened forms."""
    fired: list[tuple[Member, str, InteractionResult]] = []
    waited = 0
    for chan, card, people in zip(world.channels, cards, world.groups, strict=True):
        for person in people:
            fired.append((person, prompt_ids[0], await person.click(card, "Answer", wait=False)))
            for pid in prompt_ids[1:]:
                fired.append((person, pid, await person.run_command(
                    "answer", chan, prompt=pid, wait=False)))
            if chunk and len(fired) - waited >= chunk * len(prompt_ids):
                for _, _, r in fired[waited:]:
                    await r.response(TIMEOUT)
                waited = len(fired)
    stats, _ = await collect("open", [("open", r) for _, _, r in fired])
    return stats, fired


async def drain(emu: Emulator, quiet: float = 0.5, limit: float = 300.0) -> float:
    """Wait until the bot has stopped calling the emulator (no REST request for ``quiet``
    seconds, or ``limit`` seconds in all): after an overload, interactions that missed the
    deadline are still being worked through (answers saved, late callbacks refused with
    404) after the last acknowledgement. Returns the loop time of the last request seen."""
    loop = asyncio.get_running_loop()
    seen = emu.request_counts.total()
    last = start = loop.time()
    while loop.time() - last < quiet and loop.time() - start < limit:
        await asyncio.sleep(0.05)
        now = emu.request_counts.total()
        if now != seen:
            seen, last = now, loop.time()
    return last


async def settle(results: list[tuple[str, InteractionResult | asyncio.Task[Any]]]) -> None:
    """Wait for the acknowledgement (or the failure) of each of ``results``."""
    for _, res in results:
        with contextlib.suppress(Exception):
            if isinstance(res, asyncio.Task):
                res = await res
            await res.response(TIMEOUT)


async def burst(world: World, forms: list[tuple[Member, str, InteractionResult]],
                example_ids: list[str], rate: float | None, seed: int, wave: int = 0,
                ) -> tuple[Stats, list[tuple[Member, str, dict[str, Any], InteractionResult]]]:
    """Fire the submissions (and extras): all at once, at ``rate`` per second, or in waves of
    ``wave`` interactions, each fired once the previous one is acknowledged."""
    rng = random.Random(seed)
    order = list(forms)
    rng.shuffle(order)
    chan_of = {m.id: c for c, people in zip(world.channels, world.groups, strict=True)
               for m in people}
    plan: list[Callable[[], Any]] = []
    submits: list[tuple[Member, str, dict[str, Any], InteractionResult]] = []
    fired: list[tuple[str, InteractionResult | asyncio.Task[Any]]] = []

    for i, (person, pid, opened) in enumerate(order):
        modal = opened.modal
        if modal is None:
            continue
        values = answer_values(modal, f"{person.name} on {pid}")

        async def submit(person: Member = person, pid: str = pid, modal: Any = modal,
                         values: dict[str, Any] = values) -> None:
            res = await modal.submit(person, values, wait=False)
            submits.append((person, pid, values, res))
            fired.append(("submit", res))

        plan.append(submit)
        if (i + 1) % EXTRA_EVERY == 0:
            k = (i + 1) // EXTRA_EVERY
            chan = chan_of[person.id]
            if k % 3 == 0:
                async def extra(chan: Channel = chan) -> None:
                    fired.append(("status", await world.facilitator.run_command(
                        "session status", chan, wait=False)))
            elif k % 3 == 1:
                async def extra(person: Member = person, chan: Channel = chan,
                                k: int = k) -> None:
                    fired.append(("example", await person.run_command(
                        "example", chan, name=example_ids[k % len(example_ids)], wait=False)))
            else:
                async def extra(person: Member = person, chan: Channel = chan) -> None:
                    # Member.autocomplete returns only the choices: the emulator's call gives
                    # the InteractionResult (with its timestamps).
                    fired.append(("autocomplete", asyncio.create_task(world.emu._autocomplete(
                        person, "example", "name", "mst", chan, dm=False, options={},
                        timeout=TIMEOUT))))
            plan.append(extra)

    cpu0 = time.process_time()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for n, step in enumerate(plan):
        if rate:
            delay = t0 + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        elif wave and n and n % wave == 0:
            await settle(fired[n - wave:])
        await step()
    stats, _ = await collect("paced" if rate else "flat", fired)
    last = await drain(world.emu)
    stats.cpu = time.process_time() - cpu0
    first = min((r.created for _, r in fired if isinstance(r, InteractionResult)), default=t0)
    stats.drained = max(last - first, stats.span)
    # a missed deadline is both a violation and a failed wait: count it once
    stats.violations = sum(1 for v in world.emu.violations
                           if v.interaction_id not in stats.failed_ids)
    return stats, submits


# --- one run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    bot: str
    mode: str
    burst: Stats
    opened: Stats
    peak_rss: float | None
    answers_ok: int
    answers_acked: int
    answers_missing: int
    batches: list[int] = field(default_factory=list)


def status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def make_workshop_bot(db_path: Path, library: Library) -> Any:
    from bot.discord_ui.lifecycle import make_bot

    return make_bot(Settings(database_path=db_path), library=library, guild_ready_timeout=0.01)


def check_answers(db_path: Path, submits: list[tuple[Member, str, dict[str, Any],
                                                     InteractionResult]]) -> tuple[int, int, int]:
    """(acknowledged as saved, found with the same fields, missing or different)."""
    conn = sqlite3.connect(db_path)
    try:
        stored = {(r[0], r[1]): json.loads(r[2]) for r in conn.execute(
            "SELECT user_id, prompt_id, fields FROM answers")}
    finally:
        conn.close()
    acked = ok = 0
    for person, pid, values, res in submits:
        msgs = [m for m in (res.original, *res.followups) if m is not None]
        text = " ".join(m.text for m in msgs)
        if not res.acknowledged or "✅" not in text:
            continue
        acked += 1
        if stored.get((person.id, pid)) == values:
            ok += 1
    return acked, ok, acked - ok


class BatchProbe:
    """Counts the jobs per committed write batch (wraps Database._run_batch)."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def install(self, bot: Any) -> None:
        db = bot.db
        original = db._run_batch

        async def run_batch(conn: Any, batch: list[Any]) -> None:
            self.sizes.append(len(batch))
            await original(conn, batch)

        db._run_batch = run_batch


def reset_gc() -> None:
    """Every run starts from the interpreter's default collector settings: the workshop bot
    tunes them itself when ready (bot.discord_ui.client.tune_gc); the baseline keeps them."""
    from bot.discord_ui import client

    gc.unfreeze()
    gc.set_threshold(*DEFAULT_GC)
    client._gc_tuned = False
    gc.collect()


async def run_once(kind: str, mode: str, args: argparse.Namespace, library: Library,
                   tmp: Path, seed: int) -> RunResult:
    reset_gc()
    world = make_world(args.participants, args.groups)
    db_path = tmp / f"{kind}-{mode}-{seed}.db"
    if args.prefill and kind == "workshop":
        await prefill(db_path, args.prefill)
    bot = (make_workshop_bot(db_path, library) if kind == "workshop"
           else make_baseline(library, tuned_gc=kind == "baseline+gc"))
    probe = BatchProbe()
    prompt_ids = [p.id for p in library.prompt_sets[SET_ID].prompts]
    async with running_bot(world.emu, bot, timeout=TIMEOUT):
        if kind == "workshop":
            probe.install(bot)
        cards = await start_sessions(world)
        opened, forms = await open_forms(world, cards, prompt_ids, args.open_chunk)
        probe.sizes.clear()
        gc.collect()
        reset_peak()
        stats, submits = await burst(world, forms, list(library.examples),
                                     args.paced if mode == "paced" else None, seed,
                                     args.wave if mode == "flat" else 0)
        peak = status_mb("VmHWM")
    if kind == "workshop":
        acked, ok, missing = check_answers(db_path, submits)
    else:
        acked = sum(1 for *_, r in submits if r.acknowledged)
        ok, missing = acked, 0
    await world.emu.stop()
    # Something (aiohttp's app, by its bound route handlers) keeps a stopped Emulator alive;
    # drop its records so earlier runs do not grow the heap of later ones (a bigger heap makes
    # full collections rarer, which flattered the later runs of the default-gc baseline).
    forget_emulator_records(world.emu)
    world.emu.guilds.clear()
    world.emu._users.clear()
    world.emu._channels.clear()
    label = "waves" if mode == "flat" and args.wave else mode
    return RunResult(kind, label, stats, opened, peak, ok, acked, missing, probe.sizes)


async def prefill(db_path: Path, answers: int) -> None:
    """A database with ``answers`` answers of closed sessions of another server, plus some in
    this one (1,000 per session), filled with executemany (schema from Database.open)."""
    from bot.storage import Database, utcnow_iso

    db = await Database.open(db_path)
    await db.close()
    conn = sqlite3.connect(db_path)
    now = utcnow_iso()
    per_session = 1000
    sessions = (answers + per_session - 1) // per_session
    with conn:
        conn.execute("INSERT INTO workshops (id, guild_id, name, created_at) VALUES "
                     "(1, 1, 'old', ?)", (now,))
        conn.executemany(
            "INSERT INTO sessions (id, guild_id, workshop_id, channel_id, group_name, prompt_set,"
            " anonymous, pace, status, current_prompt, prompt_count, started_by, created_at,"
            " closed_at) VALUES (?, 1, 1, ?, 'g', ?, 0, 'self', 'closed', 1, 3, 1, ?, ?)",
            [(s + 1, 1000 + s % 50, SET_ID, now, now) for s in range(sessions)])
        fields = json.dumps({"change": "x" * 200, "evidence": "y" * 200, "involve": "z" * 100})
        conn.executemany(
            "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, display_name, fields,"
            " created_at, updated_at, interaction_id) VALUES (1, ?, 'identify-change', ?, 'P', ?,"
            " ?, ?, ?)",
            ((n // per_session + 1, n % per_session + 10, fields, now, now, n + 1)
             for n in range(answers)))
        conn.executemany(
            "INSERT INTO answer_writes (interaction_id, answer_id) VALUES (?, ?)",
            ((n + 1, n + 1) for n in range(answers)))
    conn.close()


# --- cold start and memory ---------------------------------------------------------------------


async def cold_start(library_loader: Callable[[], Library], tmp: Path) -> tuple[float, float]:
    """(make_bot → ready, of which the library load) in seconds; discord.py already imported."""
    world = make_world(10, 1)
    await world.emu.start()
    t0 = time.perf_counter()
    library = library_loader()
    t_lib = time.perf_counter() - t0
    bot = make_workshop_bot(tmp / "cold.db", library)
    async with running_bot(world.emu, bot, timeout=TIMEOUT):
        total = time.perf_counter() - t0
    await world.emu.stop()
    return total, t_lib


def forget_emulator_records(emu: Emulator) -> None:
    """Drop what the emulator keeps of past interactions and messages, so that what remains
    in the process is the bot's."""
    emu.interactions.clear()
    emu._by_token.clear()
    emu._messages.clear()
    for chan in emu._channels.values():
        chan.messages.clear()
    for session in emu._sessions.values():  # the gateway's RESUME replay buffer
        session.buffer.clear()


async def memory_run(kind: str, args: argparse.Namespace, library: Library, tmp: Path,
                     ) -> list[tuple[float | None, int, float | None]]:
    """After each of ``--memory-bursts`` bursts (sessions closed, emulator records dropped,
    ``gc.collect()``): RSS (MB), objects tracked by the collector, and with ``--tracemalloc``
    the traced size (MB; tracemalloc slows the run down several times)."""
    reset_gc()
    world = make_world(args.participants, args.groups)
    bot = (make_workshop_bot(tmp / f"mem-{kind}.db", library) if kind == "workshop"
           else make_baseline(library))
    prompt_ids = [p.id for p in library.prompt_sets[SET_ID].prompts]
    out: list[tuple[float | None, int, float | None]] = []
    if args.tracemalloc:
        tracemalloc.start()
    try:
        async with running_bot(world.emu, bot, timeout=TIMEOUT):
            for n in range(args.memory_bursts):
                cards = await start_sessions(world)
                _, forms = await open_forms(world, cards, prompt_ids, args.open_chunk)
                await burst(world, forms, list(library.examples), None, n)
                for chan in world.channels:
                    await (await world.facilitator.run_command(
                        "session close", chan, timeout=TIMEOUT)).reply(TIMEOUT)
                del cards, forms
                forget_emulator_records(world.emu)
                gc.collect()
                traced = (tracemalloc.get_traced_memory()[0] / 2**20
                          if tracemalloc.is_tracing() else None)
                out.append((status_mb("VmRSS"), len(gc.get_objects()), traced))
    finally:
        tracemalloc.stop()
        await world.emu.stop()
    return out


# --- report ----------------------------------------------------------------------------------


def ms(x: float) -> str:
    return f"{x * 1000:7.1f}"


def row(r: RunResult) -> str:
    s = r.burst
    lat = s.latencies
    peak = f"{r.peak_rss:6.0f}" if r.peak_rss is not None else "     ?"
    return (f"| {r.bot:11} | {r.mode:5} | {s.count:5} | {ms(pct(lat, 50))} | {ms(pct(lat, 95))} | "
            f"{ms(pct(lat, 99))} | {ms(max(lat) if lat else 0)} | {s.throughput:7.0f} | "
            f"{s.cpu / max(s.fired, 1) * 1e6:6.0f} | {peak} | {s.deferred:3} | "
            f"{s.violations + s.failed:3} | {r.answers_ok}/{r.answers_acked} |")


def overload_note(r: RunResult) -> str | None:
    """For a run where interactions failed: how many, and how long the backlog lasted."""
    s = r.burst
    if s.count == s.fired and not s.failed:
        return None
    return (f"    {r.bot} {r.mode}: {s.fired} fired, {s.count} acknowledged in time, "
            f"{s.failed} failed (missed the deadline or timed out); the bot's last request "
            f"{s.drained:.1f} s after the first dispatch")


HEADER = ("| bot         | mode  |     n |  p50 ms |  p95 ms |  p99 ms |  max ms |   per s | "
          "µs cpu | RSS MB | def | err | answers |\n"
          "|-------------|-------|------:|--------:|--------:|--------:|--------:|--------:|"
          "-------:|-------:|----:|----:|--------:|")


async def main_async(args: argparse.Namespace) -> int:
    from bot.content import load_library

    def loader() -> Library:
        return load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR])

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="burst-") as tmpname:
        tmp = Path(tmpname)
        cold, cold_lib = await cold_start(loader, tmp)
        library = loader()
        print(f"# burst: {args.participants} participants, {args.groups} groups, "
              f"{len(library.prompt_sets[SET_ID].prompts)} prompts (self-paced), "
              f"{args.rounds} round(s), paced at {args.paced:g}/s"
              + (f", database pre-filled with {args.prefill:,} answers" if args.prefill else "")
              + (f", flat burst in waves of {args.wave}" if args.wave else ""))
        print(f"# machine: {os.cpu_count()} cpus, Python {sys.version.split()[0]}, "
              f"discord.py {discord.__version__}, SQLite {sqlite3.sqlite_version}")
        print(f"cold start (make_bot → ready, discord.py imported): {cold * 1000:.0f} ms "
              f"(library load {cold_lib * 1000:.0f} ms)")
        runs: list[RunResult] = []
        ratios: list[float] = []
        ratios_gc: list[float] = []
        print(HEADER)
        for rnd in range(args.rounds):
            kinds = ["workshop", "baseline"] if rnd % 2 == 0 else ["baseline", "workshop"]
            kinds = [k for k in kinds if k in args.bots.split(",")]
            if args.baseline_gc:
                kinds.append("baseline+gc")
            for mode in args.modes.split(","):
                pair: dict[str, RunResult] = {}
                for kind in kinds:
                    r = await run_once(kind, mode, args, library, tmp, seed=rnd)
                    pair[kind] = r
                    runs.append(r)
                    print(row(r), flush=True)
                    note = overload_note(r)
                    if note:
                        print(note, flush=True)
                if mode == "flat" and "baseline" in pair and "workshop" in pair \
                        and pair["baseline"].burst.throughput:
                    ratios.append(pair["workshop"].burst.throughput
                                  / pair["baseline"].burst.throughput)
                if mode == "flat" and "baseline+gc" in pair and "workshop" in pair:
                    ratios_gc.append(pair["workshop"].burst.throughput
                                     / pair["baseline+gc"].burst.throughput)
        opens = [r.opened for r in runs if r.bot == "workshop"]
        open_lat = [x for s in opens for x in s.latencies]
        bopen_lat = [x for r in runs if r.bot == "baseline" for x in r.opened.latencies]
        print(f"open phase (flat-out, {len(open_lat)} forms opened): workshop p50/p99/max "
              f"{ms(pct(open_lat, 50))}/{ms(pct(open_lat, 99))}/{ms(max(open_lat, default=0))} ms; "
              f"baseline {ms(pct(bopen_lat, 50))}/{ms(pct(bopen_lat, 99))}/"
              f"{ms(max(bopen_lat, default=0))} ms")
        for kind_name in ("status", "example", "autocomplete", "submit"):
            w = [x for r in runs if r.bot == "workshop" and r.mode == "paced"
                 for x in r.burst.kinds.get(kind_name, [])]
            if w:
                print(f"paced, workshop, {kind_name:12}: n={len(w):5} p50 {ms(pct(w, 50))} ms, "
                      f"p99 {ms(pct(w, 99))} ms, max {ms(max(w))} ms")
        batches = [b for r in runs if r.bot == "workshop" for b in r.batches]
        for mode in ("flat", "paced"):
            bs = [b for r in runs if r.bot == "workshop" and r.mode == mode for b in r.batches]
            if bs:
                print(f"write batches ({mode}): {len(bs)} commits, jobs per batch mean "
                      f"{statistics.mean(bs):.1f}, median {statistics.median(bs):g}, "
                      f"max {max(bs)}")
        del batches
        acked = sum(r.answers_acked for r in runs if r.bot == "workshop")
        ok = sum(r.answers_ok for r in runs if r.bot == "workshop")
        print(f"answers: {ok}/{acked} acknowledged answers present in the database "
              f"({'all present' if ok == acked else 'MISSING ' + str(acked - ok)})")
        if ok != acked:
            failures.append("acknowledged answers missing")
        paced = [x for r in runs if r.bot == "workshop" and r.mode == "paced"
                 for x in r.burst.latencies]
        allw = [x for r in runs if r.bot == "workshop" for x in r.burst.latencies] + open_lat
        viol = sum(r.burst.violations + r.burst.failed for r in runs)
        ratio = statistics.median(ratios) if ratios else float("nan")
        print(f"throughput ratio workshop/baseline (flat-out, median of {len(ratios)} paired "
              f"rounds): {ratio:.2f}  [{', '.join(f'{x:.2f}' for x in ratios)}]")
        if ratios_gc:
            print(f"control: ratio to a baseline with the same gc settings (median of "
                  f"{len(ratios_gc)}): {statistics.median(ratios_gc):.2f}  "
                  f"[{', '.join(f'{x:.2f}' for x in ratios_gc)}]")
        print(f"paced p99 (workshop, all rounds): {pct(paced, 99) * 1000:.1f} ms; slowest "
              f"acknowledgement of any workshop interaction: {max(allw, default=0) * 1000:.0f} ms; "
              f"ack-deadline violations / failures: {viol}")
        if args.memory_bursts:
            for kind in ("workshop", "baseline"):
                mem = await memory_run(kind, args, library, tmp)
                print(f"memory after each of {len(mem)} bursts ({kind}, after gc, emulator "
                      "records dropped): RSS MB "
                      + " ".join(f"{m[0]:.0f}" if m[0] is not None else "?" for m in mem)
                      + "; gc-tracked objects " + " ".join(str(m[1]) for m in mem)
                      + ("; traced MB " + " ".join(f"{m[2]:.1f}" for m in mem)
                         if mem and mem[0][2] is not None else ""))
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=250)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paced", type=float, default=250.0, help="interactions per second")
    parser.add_argument("--memory-bursts", type=int, default=10)
    parser.add_argument("--prefill", type=int, default=0,
                        help="answers already in the workshop bot's database")
    parser.add_argument("--baseline-gc", action="store_true",
                        help="also run the baseline with the workshop bot's gc settings")
    parser.add_argument("--open-chunk", type=int, default=0,
                        help="people opening their forms at a time before the burst (0: all)")
    parser.add_argument("--wave", type=int, default=0,
                        help="flat mode: fire the burst in waves of this many interactions, "
                             "each once the previous wave is acknowledged (0: all at once)")
    parser.add_argument("--modes", default="flat,paced", help="flat, paced or both")
    parser.add_argument("--bots", default="workshop,baseline",
                        help="workshop, baseline or both")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report tracemalloc's traced size in the memory runs")
    parser.add_argument("--smoke", action="store_true", help="tiny numbers, a few seconds")
    args = parser.parse_args(argv)
    if args.smoke:
        args.participants, args.groups, args.rounds = 12, 2, 1
        args.memory_bursts, args.paced = 2, 500.0
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)  # no voice: expected
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
