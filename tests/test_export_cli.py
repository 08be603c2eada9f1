"""``workshop-bot export``: to a folder or a file, clear errors, never an empty database."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine
from bot.models import Library
from bot.storage import Database

GUILD, OTHER_GUILD = 990000000000000001, 990000000000000002


async def _fill(path: Path, library: Library) -> dict[str, int]:
    db = await Database.open(path)
    try:
        engine = await Engine.create(db, library)
        ids = {}
        for guild, channel, workshop in ((GUILD, 1, "Leeds seminar"), (GUILD, 2, "Leeds seminar"),
                                         (OTHER_GUILD, 3, "Shared name"),
                                         (GUILD, 4, "shared NAME")):
            s = await engine.start(guild, channel, group_name=f"group {channel}",
                                   workshop=workshop, set_id="quick-reflection", started_by=9,
                                   pace="self")
            ids[f"{guild}-{channel}"] = s.id
            for p in library.prompt_sets["quick-reflection"].prompts:
                await engine.submit(guild, s.id, p.id, user_id=100 + channel,
                                    display_name=f"person {channel}",
                                    values={p.fields[0].id: f"=answer {channel}"})
        return ids
    finally:
        await db.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, library: Library) -> dict[str, object]:
    monkeypatch.chdir(tmp_path)  # no stray .env; default output folder
    db_path = tmp_path / "data" / "workshop.db"
    monkeypatch.setenv("DATABASE_PATH", str(db_path))
    monkeypatch.delenv("EXTRA_CONTENT_DIRS", raising=False)
    monkeypatch.delenv("EXTRA_PROMPT_DIRS", raising=False)
    ids = asyncio.run(_fill(db_path, library))
    return {"db": db_path, "ids": ids, "tmp": tmp_path}


def test_export_workshop_to_a_folder(env: dict, capsys: pytest.CaptureFixture[str]) -> None:
    out = env["tmp"] / "exports"
    assert main(["export", "--workshop", "LEEDS seminar", "--format", "csv", "-o", str(out)]) == 0
    files = list(out.iterdir())
    assert len(files) == 1 and files[0].name.startswith("leeds-seminar-")
    assert files[0].name.endswith(".csv")
    assert str(files[0]) in capsys.readouterr().out
    with open(files[0], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert {r[1] for r in rows} == {"group 1", "group 2"}
    assert all(r[8].startswith("'=answer") for r in rows)
    entries = asyncio.run(_audit(env["db"]))
    assert entries[-1][1] is None and entries[-1][3]["via"] == "cli"


async def _audit(path: Path) -> list:
    db = await Database.open(path)
    try:
        return [e for e in await db.audit_entries(GUILD) if e[2] == "export"]
    finally:
        await db.close()


def test_export_session_to_a_file_path(env: dict) -> None:
    target = env["tmp"] / "mine.json"
    sid = env["ids"][f"{GUILD}-2"]
    assert main(["export", "--session", str(sid), "--format", "json", "-o", str(target)]) == 0
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert [s["id"] for s in doc["sessions"]] == [sid]
    assert len(doc["answers"]) == 3


def test_markdown_alias_and_default_folder(env: dict) -> None:
    assert main(["export", "--workshop", "Leeds seminar", "--format", "markdown"]) == 0
    assert [p.suffix for p in env["tmp"].iterdir() if p.is_file()] == [".md"]


def test_unknown_workshop_or_session(env: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--workshop", "Birmingham", "--format", "csv"]) == 1
    err = capsys.readouterr().err
    assert "no workshop called 'Birmingham'" in err and "'Leeds seminar'" in err
    assert main(["export", "--session", "4242", "--format", "xlsx"]) == 1
    assert "no session with id 4242" in capsys.readouterr().err
    assert not [p for p in env["tmp"].iterdir() if p.is_file()]


def test_workshop_in_several_servers_needs_guild(env: dict,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--workshop", "Shared name", "--format", "csv"]) == 1
    err = capsys.readouterr().err
    assert "--guild" in err and str(GUILD) in err and str(OTHER_GUILD) in err
    out = env["tmp"] / "o"
    assert main(["export", "--workshop", "Shared name", "--format", "csv", "--guild",
                 str(OTHER_GUILD), "-o", str(out)]) == 0
    (only,) = out.iterdir()
    with open(only, encoding="utf-8-sig", newline="") as f:
        assert {r[1] for r in list(csv.reader(f))[1:]} == {"group 3"}


def test_missing_database_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "nowhere" / "workshop.db"
    monkeypatch.setenv("DATABASE_PATH", str(missing))
    assert main(["export", "--workshop", "x", "--format", "csv"]) == 1
    assert "no database" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()
