"""Settings from the environment: defaults, parsing, and clear errors naming the setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR, Settings, SettingsError


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.discord_token is None
    assert s.database_path == Path("data/workshop.db")
    assert s.content_dirs == (BUNDLED_CONTENT_DIR,)
    assert s.prompt_dirs == (BUNDLED_PROMPTS_DIR,)
    assert (s.log_level, s.dev_guild_id, s.retention_days, s.shard_count) == (
        "INFO", None, None, None)


def test_values_are_parsed() -> None:
    s = Settings.from_env({
        "DISCORD_TOKEN": " secret ", "DATABASE_PATH": "/tmp/x.db", "LOG_LEVEL": "debug",
        "EXTRA_PROMPT_DIRS": f"/a{os.pathsep}/b", "DEV_GUILD_ID": "123",
        "RETENTION_DAYS": "30", "SHARD_COUNT": "auto",
    })
    assert s.discord_token == "secret"
    assert s.database_path == Path("/tmp/x.db")
    assert s.prompt_dirs == (BUNDLED_PROMPTS_DIR, Path("/a"), Path("/b"))
    assert (s.log_level, s.dev_guild_id, s.retention_days, s.shard_count) == (
        "DEBUG", 123, 30, "auto")
    assert Settings.from_env({"SHARD_COUNT": "4"}).shard_count == 4


def test_the_token_never_appears_in_repr() -> None:
    assert "secret" not in repr(Settings.from_env({"DISCORD_TOKEN": "secret"}))


@pytest.mark.parametrize(("name", "value", "message"), [
    ("RETENTION_DAYS", "thirty", "RETENTION_DAYS must be a whole number"),
    ("RETENTION_DAYS", "0", "RETENTION_DAYS must be at least 1"),
    ("SHARD_COUNT", "0", "SHARD_COUNT must be 'auto' or a number"),
    ("DEV_GUILD_ID", "my-server", "DEV_GUILD_ID must be a whole number"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be"),
])
def test_bad_values_name_the_setting(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_the_cli_reports_a_bad_setting_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("RETENTION_DAYS", "soon")
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "configuration error: RETENTION_DAYS must be a whole number" in err
