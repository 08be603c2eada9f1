"""Project hygiene: ruff is clean, CI runs exactly the README's test command, the README's
commands and files are there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_readme_opens_with_exactly_two_commands() -> None:
    run, test = _readme_commands()
    # the first installs as users do (not editable: tests/test_packaging.py proves that works)
    assert run.endswith(".venv/bin/workshop-bot") and "pip install -q . " in run
    assert " -e " not in run
    assert "pytest" in test and "'.[test]'" in test


def test_readme_routes_name_files_that_exist() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running it in your server", 1)[1].split("\n## ", 1)[0]
    for name in ("deploy/workshop-bot.service", "compose.yaml", "Dockerfile", ".env.example"):
        assert name in section and (ROOT / name).is_file(), name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci.splitlines()
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed; it is part of the 'test' extra")
    result = subprocess.run([ruff, "check", "--quiet", "."], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_has_no_discord_imports() -> None:
    core = [p for p in (ROOT / "bot").rglob("*.py")
            if not {"discord_ui", "emulator"} & set(p.relative_to(ROOT / "bot").parts)
            and p.name != "demo.py"]
    assert len(core) > 10
    for path in core:
        text = path.read_text(encoding="utf-8")
        assert "import discord" not in text and "from discord" not in text, path


def test_library_code_does_not_print() -> None:
    import re

    for path in (ROOT / "bot").rglob("*.py"):
        if path.name == "cli.py":
            continue
        assert not re.search(r"^\s*print\(", path.read_text(encoding="utf-8"), re.M), path
