"""Benchmark the exports: fill a database with N answers, then time each format.

    python bench/export.py                 # 100,000 answers (3 fields each), all formats
    python bench/export.py --answers 1000  # quick smoke run
    python bench/export.py --formats csv,xlsx --answers 1000000
    python bench/export.py --synthesis     # answers also cite examples; the set has a chain

The HTML report also draws its two charts; the script then says what matplotlib's import and
a chart cost in a fresh process (included in the html time).

The data: one workshop, 10 groups, 250 participants (25 per group, every other group
anonymous), a 20-prompt set with 3 paragraph fields per prompt; as many rounds of sessions per
group as the answer count needs. Answers are 1-3 sentences per field, some multi-line, some
starting with a formula character, some with emoji. The database is filled with direct
``executemany`` inserts into a fresh database created by ``Database.open`` (schema and
migrations as in production), bypassing the engine.

Each format runs in a fresh subprocess. "peak RSS" is that process's resident-set high-water
mark (``VmHWM`` in /proc/self/status, reset through /proc/self/clear_refs just before the
export, so it is the peak *during* the export: the whole process, interpreter, imports and
SQLite cache included); "+..." is how far that peak rose above the RSS just before the export.
(Where /proc is missing it falls back to ``ru_maxrss``, the peak since the process started.)
"loop lag" is the longest the event loop went without running a 5 ms ticker task during the
export: how long the bot would have kept other people waiting. "cpu" is the CPU time of the
whole process during the export (every thread): less sensitive than the wall time to other
work on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.exports import ExportFormat, ExportScope, export_to_dir  # noqa: E402
from bot.models import (  # noqa: E402
    CHAIN_COLUMNS,
    AnswerField,
    Chain,
    ChainColumn,
    ChainPart,
    Example,
    ExampleLink,
    Library,
    Prompt,
    PromptSet,
)
from bot.storage import Database  # noqa: E402

GUILD = 424242424242424242
WORKSHOP = "Regional seminar (benchmark)"
GROUPS = 10
PARTICIPANTS = 250
PROMPTS = 20
FIELDS = 3
SET_ID = "bench-set"

_WORD_TEXT = (
    "children families evidence outcomes placement stability school attendance funding "
    "commissioners workforce leadership reform intervention scale sustain measure cost "
    "value money partners carers parents young people practitioners data local authority "
    "training supervision fidelity referral pathway trust relationships"
)
WORDS = tuple(_WORD_TEXT.split())
# About one answer field in ten has an emoji or non-Latin text in it.
NON_ASCII = ("🙂", "👍🏽", "שלום", "ünïcödé", "café", "日本語")
STARTS = ("", "", "", "", "", "", "=", "+", "-", "@", "=HYPERLINK(\"http://x\")")


EXAMPLES = 5
CITE = "examples"


def bench_library(synthesis: bool = False) -> Library:
    """The benchmark's prompt set; with ``synthesis`` every prompt also has a cite field over
    all five examples, and the set a chain over its first three prompts (as the key-question
    sets have)."""
    examples = {
        f"ex-{i}": Example(id=f"ex-{i}", title=f"Example {i}: a programme that lasted",
                           organisation="Somewhere council", speakers=(), event="seminar",
                           summary="", programmes=(), questions=())
        for i in range(1, EXAMPLES + 1)
    }
    cite = (AnswerField(id=CITE, label="Examples that informed this", required=False,
                        kind="cite"),) if synthesis else ()
    prompts = tuple(
        Prompt(
            id=f"p{n:02d}", number=n, title=f"Prompt {n}: what would change",
            question=f"Question {n}: what would you change, and how would you know?",
            guidance="",
            fields=tuple(AnswerField(id=f"f{k}", label=f"Field {k} of prompt {n}",
                                     max_length=1500) for k in range(1, FIELDS + 1)) + cite,
            examples=tuple(ExampleLink(f"ex-{i}", "Look at how it was funded.")
                           for i in range(1, EXAMPLES + 1)) if synthesis
            else (ExampleLink(f"ex-{n % 5 + 1}", "Look at how it was funded."),),
        )
        for n in range(1, PROMPTS + 1)
    )
    chain = Chain(tuple(
        ChainColumn(column, title, tuple(ChainPart(f"p{n:02d}", f"f{k}", True)
                                         for k in range(1, FIELDS + 1)))
        for n, (column, title) in enumerate(CHAIN_COLUMNS, start=1)), min_chars=40) \
        if synthesis else None
    pset = PromptSet(id=SET_ID, title="Benchmark prompts", description="", prompts=prompts,
                     chain=chain)
    return Library(examples=examples, prompt_sets={SET_ID: pset})


def _texts(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(1, 3)):
            words = rng.choices(WORDS, k=rng.randint(8, 24))
            sentences.append(" ".join(words).capitalize() + ".")
        if rng.random() < 0.1:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(NON_ASCII))
        sep = "\n" if rng.random() < 0.3 else " "
        out.append(rng.choice(STARTS) + sep.join(sentences))
    return out


async def _create(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def fill(path: Path, answers: int, seed: int = 7, synthesis: bool = False) -> dict[str, int]:
    """A fresh database at ``path`` with ``answers`` answers (with ``synthesis``, each citing
    none to two examples); returns what was made."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    asyncio.run(_create(path))
    rng = random.Random(seed)
    pool = _texts(rng, 2000)
    cited = [f"ex-{i}" for i in range(1, EXAMPLES + 1)]
    per_group = PARTICIPANTS // GROUPS
    per_session = per_group * PROMPTS
    rounds = max(1, math.ceil(answers / (GROUPS * per_session)))
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO workshops (id, guild_id, name, created_at) VALUES (1, ?, ?, ?)",
                 (GUILD, WORKSHOP, start.isoformat()))
    users = [100_000_000_000_000_000 + i * 7919 for i in range(PARTICIPANTS)]
    conn.executemany("INSERT INTO participants (workshop_id, user_id, number) VALUES (1, ?, ?)",
                     [(u, i + 1) for i, u in enumerate(users)])
    sessions = []
    for r in range(rounds):
        for g in range(GROUPS):
            sid = r * GROUPS + g + 1
            when = (start + timedelta(days=r)).isoformat(timespec="milliseconds")
            sessions.append((sid, GUILD, 1000 + g, f"group-{chr(65 + g)}", SET_ID, g % 2,
                             "self", "closed", PROMPTS, PROMPTS, 9, when, when))
    conn.executemany(
        "INSERT INTO sessions (id, guild_id, workshop_id, channel_id, group_name, prompt_set, "
        "anonymous, pace, status, current_prompt, prompt_count, started_by, created_at, "
        "closed_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    made = 0
    batch = []
    for sid, _, _, _, _, _, _, _, _, _, _, when, _ in sessions:
        g = (sid - 1) % GROUPS
        t0 = datetime.fromisoformat(when)
        for p in range(1, PROMPTS + 1):
            for u in users[g * per_group:(g + 1) * per_group]:
                if made >= answers:
                    break
                at = (t0 + timedelta(seconds=made % 86000)).isoformat(timespec="milliseconds")
                fields: dict[str, object] = {f"f{k}": pool[rng.randrange(len(pool))]
                                             for k in range(1, FIELDS + 1)}
                if synthesis:
                    fields[CITE] = sorted(rng.sample(cited, rng.randint(0, 2)))
                batch.append((GUILD, sid, f"p{p:02d}", u, f"Person {u % 100000}",
                              json.dumps(fields, ensure_ascii=False), at, at))
                made += 1
            if len(batch) >= 20000:
                conn.executemany(
                    "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, "
                    "display_name, fields, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
                batch.clear()
    if batch:
        conn.executemany(
            "INSERT INTO answers (guild_id, session_id, prompt_id, user_id, display_name, "
            "fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    used = sum(1 for s in sessions if s[0] <= math.ceil(made / per_session))
    return {"answers": made, "sessions": used}


def _status_mb(key: str) -> float | None:
    """``VmRSS`` / ``VmHWM`` (peak) of this process from /proc, in MB (None elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux >= 4.0), so the peak measured is the export's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    hwm = _status_mb("VmHWM")
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _run_one(db_path: Path, fmt: ExportFormat, out_dir: Path,
                   synthesis: bool = False) -> dict[str, float]:
    db = await Database.open(db_path)
    lag = 0.0
    stop = False

    async def ticker() -> None:
        nonlocal lag
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            lag = max(lag, now - last - 0.005)
            last = now

    try:
        before = _status_mb("VmRSS") or _peak_mb()
        _reset_peak()
        tick = asyncio.create_task(ticker())
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        result = await export_to_dir(db, bench_library(synthesis), guild_id=GUILD,
                                     scope=ExportScope.workshop(WORKSHOP), fmt=fmt,
                                     out_dir=out_dir, actor_id=None)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        stop = True
        await tick
    finally:
        await db.close()
    after = _peak_mb()
    return {"seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": after,
            "rss_delta_mb": after - before, "size_mb": result.size / 1e6,
            "answers": result.answers, "lag_ms": lag * 1000, "sessions": result.sessions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,json,md,xlsx,html",
                        help="comma-separated formats (default: all five)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="work folder (default: a temporary folder, removed afterwards)")
    parser.add_argument("--synthesis", action="store_true",
                        help="answers cite examples and the set declares a chain (the "
                             "citations and theory of change in every export)")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # child: one format
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run:  # child process: one export, results as JSON on stdout
        stats = asyncio.run(_run_one(args.db, ExportFormat.parse(args.run), args.dir,
                                     args.synthesis))
        print(json.dumps(stats))
        return 0

    formats = [ExportFormat.parse(f) for f in args.formats.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db_path = work / "bench.db"
        t0 = time.perf_counter()
        made = fill(db_path, args.answers, synthesis=args.synthesis)
        print(f"filled {db_path.name}: {made['answers']:,} answers x {FIELDS} fields, "
              f"{made['sessions']} sessions ({GROUPS} groups), {PARTICIPANTS} participants, "
              f"{PROMPTS} prompts, {db_path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t0:.1f} s")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; each format in a fresh "
              "subprocess; peak RSS = VmHWM of that process during the export (reset just "
              "before it), whole process")
        failed = False
        for fmt in formats:
            proc = subprocess.run(
                [sys.executable, __file__, "--run", fmt.value, "--db", str(db_path),
                 "--dir", str(work / "out"), *(["--synthesis"] if args.synthesis else [])],
                capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                print(f"{fmt.value:<5} FAILED (exit {proc.returncode})\n{proc.stderr}")
                failed = True
                continue
            s = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{fmt.value:<5} {int(s['answers']):>9,} answers  {s['seconds']:7.2f} s  "
                  f"(cpu {s['cpu_seconds']:5.2f} s)  peak RSS {s['peak_rss_mb']:6.1f} MB "
                  f"(+{s['rss_delta_mb']:.1f} MB over the RSS before the export)  "
                  f"loop lag max {s['lag_ms']:5.1f} ms  file {s['size_mb']:7.1f} MB")
        if ExportFormat.HTML in formats:
            print(_chart_costs())
    return 1 if failed else 0


_CHART_COSTS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bot.exports import charts
t0 = time.perf_counter()
charts._matplotlib()
t1 = time.perf_counter()
chart = charts.BarChart(categories=[f"Prompt {i}" for i in range(20)],
                        series=[(f"group {g}", [g + i for i in range(20)]) for g in range(10)],
                        value_label="Answers")
charts.render_svg(chart, "a")
t2 = time.perf_counter()
charts.render_svg(chart, "b")
print(json.dumps([t1 - t0, t2 - t1, time.perf_counter() - t2]))
"""


def _chart_costs() -> str:
    """What matplotlib costs the HTML export (in a fresh process, as the bot would pay it)."""
    proc = subprocess.run([sys.executable, "-c", _CHART_COSTS, str(ROOT)], capture_output=True,
                          text=True, check=True)
    imported, first, second = json.loads(proc.stdout.strip().splitlines()[-1])
    return (f"html: of which matplotlib import {imported:.2f} s (once per process, on the first "
            f"report), first chart {first:.2f} s, a chart after that {second:.2f} s")


if __name__ == "__main__":
    raise SystemExit(main())
