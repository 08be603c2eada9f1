"""Benchmark the content loader on hostile content packs: the time and memory a verdict takes.

    python bench/hostile_content.py            # every case
    python bench/hostile_content.py --case laughs --case files

Each case builds a pack in a temporary folder, then runs ``workshop-bot validate`` on the
bundled content plus that pack in a **fresh process** (``python -m bot validate``), as a
person checking a pack would. Printed per case: the exit code, the wall time of the whole
process (interpreter start and imports included, about 0.1 s), its peak resident memory
(``VmHWM`` from /proc, the whole process; Linux only), and the first line of the verdict.
The target (issue 11): a verdict within 2 s and 200 MB for any pack.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.limits import (  # noqa: E402
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_FILE_NODES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_NODES,
)

QUICK = yaml.safe_load((ROOT / "prompts" / "quick-reflection.yaml").read_text("utf-8"))
KEY_QUESTIONS = (ROOT / "prompts" / "key-questions.yaml").read_text("utf-8")


# `workshop-bot validate`, then the process's own peak RSS (VmHWM: per process image, so
# unlike ru_maxrss it does not include what the parent held when it forked).
MEASURED = """\
import sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
finally:
    with open("/proc/self/status") as status:
        print(next(line for line in status if line.startswith("VmHWM")).strip(), flush=True)
sys.exit(code)
"""
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")


def _set(set_id: str, **extra: object) -> str:
    return yaml.safe_dump({**QUICK, "id": set_id, **extra}, sort_keys=False)


def _laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join([*lines, f"id: *l{levels - 1}"]) + "\n"


# Each builder fills ``root`` (with ``content/`` and/or ``prompts/``) and returns a note.
def fifo(root: Path) -> str:
    os.mkfifo(root / "prompts" / "x.yaml")
    return "a FIFO named x.yaml"


def dev_zero(root: Path) -> str:
    (root / "content" / "examples" / "zero.yaml").symlink_to("/dev/zero")
    return "examples/zero.yaml -> /dev/zero"


def huge_file(root: Path) -> str:
    with (root / "prompts" / "big.yaml").open("w") as out:
        out.write(_set("big"))
        out.writelines("- " + "x" * 97 + "\n" for _ in range(22 * 1024 * 1024 // 100))
    return "one 22 MB file"


def laughs(root: Path) -> str:
    (root / "prompts" / "laughs.yaml").write_text(_laughs())
    return f"billion laughs, {len(_laughs())} bytes (9^9 strings expanded)"


def merge_bomb(root: Path) -> str:
    text = "a: &a {x: 1}\n" + "".join(
        f"k{n}: &k{n} {{<<: [{', '.join(['*a' if n == 0 else f'*k{n - 1}'] * 9)}]}}\n"
        for n in range(30))
    (root / "prompts" / "merge.yaml").write_text(text)
    return f"merge-key bomb, {len(text)} bytes"


def loop(root: Path) -> str:
    (root / "content" / "examples").rmdir()
    (root / "content" / "examples").symlink_to(root / "content" / "examples")
    (root / "prompts" / "x.yaml").symlink_to(root / "prompts" / "x.yaml")
    return "examples/ -> itself, x.yaml -> itself"


def unreadable(root: Path) -> str:
    (root / "content" / "examples" / "mine.yaml").write_text("examples: []\n")
    (root / "content" / "examples").chmod(0)
    return "examples/ chmod 000 (no effect when run as root)"


def deep(root: Path) -> str:
    (root / "prompts" / "deep.yaml").write_text("id: " + "[" * 100_000)
    return "100,000 '[' nested"


def max_file_real(root: Path) -> str:
    """A real prompt set repeated up to the per-file byte limit (valid YAML, many prompts)."""
    head, body = KEY_QUESTIONS.split("prompts:\n", 1)
    text = head + "prompts:\n"
    while len(text) + len(body) < MAX_FILE_BYTES:
        text += body
    (root / "prompts" / "real.yaml").write_text(text.replace("id: key-questions", "id: real"))
    return f"one {len(text) // 1024} KiB file of real prompts (too many of them)"


def max_values_one_file(root: Path) -> str:
    many = "[" + ",".join("1" for _ in range(MAX_FILE_NODES + 10)) + "]"
    (root / "prompts" / "many.yaml").write_text(f"id: many\ntitle: {many}\n")
    return f"one file of {MAX_FILE_NODES + 10:,} flow values (over the per-file limit)"


def max_values_total(root: Path) -> str:
    per = MAX_FILE_NODES - 100
    for i in range(MAX_TOTAL_NODES // per + 1):
        many = "[" + ",".join("1" for _ in range(per)) + "]"
        (root / "prompts" / f"s{i}.yaml").write_text(f"id: s{i}\ntitle: {many}\n")
    return f"{MAX_TOTAL_NODES // per + 1} files of {per:,} values (over the load's limit)"


def max_bytes_total(root: Path) -> str:
    head, body = KEY_QUESTIONS.split("prompts:\n", 1)
    for i in range(MAX_TOTAL_BYTES // MAX_FILE_BYTES + 2):
        text = head.replace("id: key-questions", f"id: s{i}") + "prompts:\n"
        while len(text) + len(body) < MAX_FILE_BYTES - 100:
            text += body
        (root / "prompts" / f"s{i}.yaml").write_text(text)
    return (f"{MAX_TOTAL_BYTES // MAX_FILE_BYTES + 2} files of ~250 KiB of real prompts "
            "(over the load's byte limit)")


def many_files(root: Path) -> str:
    for i in range(MAX_FILES + 100):
        (root / "prompts" / f"s{i:04d}.yaml").write_text(_set(f"s{i:04d}"))
    return f"{MAX_FILES + 100:,} valid prompt sets (over the load's file limit)"


def many_problems(root: Path) -> str:
    for i in range(5):
        keys = "\n".join(f"kee{n}: x" for n in range(MAX_FILE_NODES // 2 - 50))
        (root / "prompts" / f"p{i}.yaml").write_text(f"{_set(f'p{i}')}{keys}\n")
    return f"5 files of {MAX_FILE_NODES // 2 - 50:,} unknown keys each (problem floods)"


def many_bad_refs(root: Path) -> str:
    examples = [{"id": f"e{i}", "title": "T", "organisation": "O", "event": "E", "summary": "S",
                 "programmes": [f"prog{i}"],
                 "questions": [{"question": f"question-{i}", "why": "W"}]}
                for i in range(MAX_FILE_NODES // 25)]
    for i in range(4):
        (root / "content" / "examples" / f"e{i}.yaml").write_text(yaml.safe_dump(
            {"examples": [{**e, "id": f"{e['id']}-{i}"} for e in examples]}))
    return (f"4 files of {MAX_FILE_NODES // 25:,} examples with unknown glossary and question "
            "ids")


def many_entries(root: Path) -> str:
    for i in range(MAX_ENTRIES + 10):
        (root / "prompts" / f"n{i}.txt").touch()
    return f"{MAX_ENTRIES + 10:,} files (not YAML) in one folder"


def long_scalar(root: Path) -> str:
    (root / "prompts" / "long.yaml").write_text(
        _set("long").replace("title: Quick reflection", "title: " + "x" * (MAX_FILE_BYTES - 3000)))
    return "one ~250 KiB title"


CASES: dict[str, Callable[[Path], str]] = {
    "fifo": fifo, "dev-zero": dev_zero, "22mb": huge_file, "laughs": laughs,
    "merge": merge_bomb, "loop": loop, "unreadable": unreadable, "deep": deep,
    "real-256k": max_file_real, "values-file": max_values_one_file,
    "values-total": max_values_total, "bytes-total": max_bytes_total, "files": many_files,
    "problems": many_problems, "refs": many_bad_refs, "entries": many_entries,
    "long-scalar": long_scalar,
}


def run_case(name: str, build: Callable[[Path], str] | None) -> None:
    with tempfile.TemporaryDirectory(prefix=f"hostile-{name}-") as tmp:
        root = Path(tmp)
        (root / "content" / "examples").mkdir(parents=True)
        (root / "prompts").mkdir()
        note = build(root) if build else "the bundled content alone"
        env = {k: v for k, v in os.environ.items()
               if k not in ("EXTRA_CONTENT_DIRS", "EXTRA_PROMPT_DIRS")}
        env["PYTHONPATH"] = str(ROOT)
        args = [sys.executable, "-c", MEASURED, "validate",
                "--content", str(ROOT / "content"), "--prompts", str(ROOT / "prompts")]
        if build:
            args += ["--content", str(root / "content"), "--prompts", str(root / "prompts")]
        with tempfile.TemporaryFile("w+") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(args, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
            proc.wait()
            elapsed = time.perf_counter() - started
            out.seek(0)
            lines = out.read().splitlines()
        peak = next(int(line.split()[1]) for line in lines if line.startswith("VmHWM"))
        lines = [line for line in lines
                 if not LOG_LINE.match(line) and not line.startswith("VmHWM")]
        if name == "unreadable":
            (root / "content" / "examples").chmod(0o755)
    verdict = lines[0].replace(tmp + "/", "") if lines else ""
    print(f"{name:<12} exit {proc.returncode}  {elapsed:5.2f} s  peak RSS "
          f"{peak / 1024:6.1f} MB  {note}")
    print(f"{'':<12} {verdict[:150]}" + (f"  (+{len(lines) - 1} lines)" if len(lines) > 1
                                         else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES),
                        help="run only this case (repeatable)")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, PyYAML {yaml.__version__} "
          f"(libyaml: {yaml.__with_libyaml__}), {os.cpu_count()} CPUs\n")
    if not args.case:
        run_case("baseline", None)
    for name in args.case or CASES:
        run_case(name, CASES[name])


if __name__ == "__main__":
    main()
