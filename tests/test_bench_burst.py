"""bench/burst.py must keep working: smoke runs with tiny numbers (the targets themselves are
measured by hand on a quiet machine, see bench/README.md, not asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "burst.py"), "--smoke", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_burst_benchmark_smoke_run_in_the_production_shape() -> None:
    """Bot, baselines and emulator as separate processes; every figure of the report there."""
    out = run_bench("--instrument", "gc,timeline", "--pin")
    rows = [line for line in out.splitlines() if line.startswith("|   0 |")]
    for bot, mode in [("workshop", "flat"), ("baseline", "flat"), ("tuned", "flat"),
                      ("workshop", "board"), ("workshop", "paced"), ("workshop", "paced-board")]:
        row = next((r for r in rows if f"| {bot} " in r and f"| {mode} " in r), None)
        assert row is not None, (bot, mode, out)
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3] == "12", row  # every submission acknowledged
        assert float(cells[9]) > 0, row  # CPU of the event loop's thread was measured
        if bot == "workshop":
            assert cells[15] == "12/12", row  # every acknowledged answer found on disk
            assert int(cells[14]) >= 1, row  # commits counted from the WAL index
    assert "throughput workshop/baseline (flat): median" in out
    assert "throughput workshop/tuned (flat): median" in out
    assert "throughput workshop with board / without (flat): median" in out
    assert "workshop paced at 100/s: p50" in out
    assert "acknowledged answers present in the database (all present)" in out
    assert "failed or late acknowledgements: 0" in out
    # the instruments inside the bot process: the write batches of the workshop bot's burst
    assert re.search(r"write batches \(start\+ms: jobs\) [0-9.]+\+[0-9.]+: [0-9]+", out), out
    assert "gc: " in out
    # the machine's speed, probed on every CPU before and after each burst
    probes = re.findall(r"speed probe \(ms per CPU\): before ([0-9./]+), after ([0-9./]+)", out)
    assert len(probes) == len(rows), out
    assert all(float(v) > 0 for pair in probes for probe in pair for v in probe.split("/"))
    assert re.search(r"runs on steady CPUs \(.*\): [0-9]+ of 6", out), out


def test_burst_benchmark_in_process_smoke_run() -> None:
    """The older bench (bot and emulator in one process) still runs."""
    out = run_bench("--in-process")
    for bot in ("workshop", "baseline"):
        for mode in ("flat", "paced"):
            assert any(line.startswith(f"| {bot} ") and f"| {mode} " in line
                       for line in out.splitlines()), (bot, mode, out)
    assert "acknowledged answers present in the database (all present)" in out
    assert "throughput ratio workshop/baseline" in out
    assert "memory after each of 2 bursts (workshop" in out
