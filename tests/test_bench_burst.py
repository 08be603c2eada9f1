"""bench/burst.py must keep working: a smoke run with tiny numbers (the targets themselves are
measured by hand on a quiet machine, see bench/README.md, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_burst_benchmark_smoke_run() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "burst.py"), "--smoke"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "| bot " in out
    for bot in ("workshop", "baseline"):
        for mode in ("flat", "paced"):
            assert any(line.startswith(f"| {bot} ") and f"| {mode} " in line
                       for line in out.splitlines()), (bot, mode, out)
    assert "acknowledged answers present in the database (all present)" in out
    assert "throughput ratio workshop/baseline" in out
    assert "cold start" in out
    assert "memory after each of 2 bursts (workshop" in out
