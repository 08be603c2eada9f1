"""The command line: --version, and user errors reported in a line or a list, never a traceback."""

from __future__ import annotations

import logging
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty working directory (no .env) and none of the bot's settings set; what a .env
    sets and the log level the demo sets are undone afterwards."""
    for name in re.findall(r"(?m)^#?([A-Z_]+)=", (ROOT / ".env.example").read_text("utf-8")):
        monkeypatch.setenv(name, "")  # so that teardown removes it, even if a .env set it
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    level = logging.getLogger().level
    yield tmp_path
    logging.getLogger().setLevel(level)


def test_version_is_the_packages(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"workshop-bot {version}\n"


def _broken_prompts(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load((ROOT / "prompts" / "quick-reflection.yaml").read_text("utf-8"))
    data["id"] = "ours"
    data["prompts"][0]["fields"][0]["lable"] = data["prompts"][0]["fields"][0].pop("label")
    (here / "ours").mkdir()
    (here / "ours" / "ours.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    monkeypatch.setenv("EXTRA_PROMPT_DIRS", "ours")


@pytest.mark.parametrize("command", [["validate"], ["demo", "--out", "exports"], ["run"], []])
def test_a_content_problem_is_the_validate_report_in_every_command(
    command: list[str], here: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _broken_prompts(here, monkeypatch)
    if command == ["run"]:  # with a token, so it gets as far as loading the content
        monkeypatch.setenv("DISCORD_TOKEN", "never-used")
    assert main(command) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    report = [line for line in err.splitlines() if line.startswith("ours/ours.yaml:")]
    assert [line.split(": ", 1)[1] for line in report] == [
        "prompts[0].fields[0].label: required key 'label' is missing",
        "prompts[0].fields[0].lable: unknown key 'lable' (did you mean 'label'?)",
    ]
    assert "2 problems in 1 file." in err.splitlines()
    assert not (here / "exports").exists() and not (here / "demo-output").exists()
    assert not (here / "data").exists()  # nothing was started, no database created


def test_demo_out_must_be_a_folder(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "notes.txt").write_text("mine", "utf-8")
    assert main(["demo", "--out", "notes.txt"]) == 1
    assert capsys.readouterr().err == (
        "workshop-bot demo: notes.txt is a file; --out needs a folder\n")
    assert (here / "notes.txt").read_text("utf-8") == "mine"


def test_a_folder_that_cannot_be_made_is_one_line(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "notes.txt").write_text("mine", "utf-8")
    assert main(["demo", "--out", "notes.txt/exports"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workshop-bot: [Errno 20] Not a directory") and "notes.txt" in err
    assert len(err.splitlines()) == 1


def test_the_demo_with_a_dotenv_from_the_example_logs_only_problems(
    here: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / ".env.example", here / ".env")
    logging.getLogger().setLevel(logging.INFO)  # what main's basicConfig does outside pytest
    assert main(["demo", "--out", "exports"]) == 0
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.WARNING] == []
    assert "Exports written to exports/" in capsys.readouterr().out
