"""Settings from the environment and an optional ``.env`` file (see ``.env.example``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _bundled_root() -> Path:
    """The folder holding the bundled ``content/`` and ``prompts/`` folders.

    An installed wheel or sdist carries them inside the package, as ``bot/_bundled/`` (setup.py
    maps the repository's top-level folders there at build time), so they are found whatever the
    working directory. A checkout (an editable install, or the tests run from source) has no
    ``bot/_bundled``: there they are the repository's own folders, so edits show at once.
    The package folder is this module's own, found from this file.
    """
    package = Path(__file__).resolve().parent
    installed = package / "_bundled"
    return installed if installed.is_dir() else package.parent


BUNDLED_ROOT = _bundled_root()
BUNDLED_CONTENT_DIR = BUNDLED_ROOT / "content"
BUNDLED_PROMPTS_DIR = BUNDLED_ROOT / "prompts"
# The repository's folder in a checkout (tests and tools read README.md etc. from it); in an
# installed package, the bundled folder.
REPO_ROOT = BUNDLED_ROOT

DEFAULT_PRIVACY_NOTICE = (
    "This bot stores your Discord user id, the display name you had when you answered, and "
    "your answers, so the workshop organisers can export and write up what groups said. "
    "Facilitators of this server can export answers. Other groups see answers only when a "
    "facilitator runs a gallery walk or a vote, and without your name unless the workshop "
    "shows names in named sessions (never in anonymous ones); comments and dots you give "
    "there are stored too. Use `/my-answers` to see your answers and `/forget-me` to erase "
    "them, with your comments and dots, from this server at any time."
)


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the setting."""


def _paths(value: str | None) -> tuple[Path, ...]:
    if not value:
        return ()
    return tuple(Path(p).expanduser() for p in value.split(os.pathsep) if p.strip())


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(default=None, repr=False)  # never printed or logged
    database_path: Path = Path("data/workshop.db")
    content_dirs: tuple[Path, ...] = (BUNDLED_CONTENT_DIR,)
    prompt_dirs: tuple[Path, ...] = (BUNDLED_PROMPTS_DIR,)
    log_level: str = "INFO"
    dev_guild_id: int | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    privacy_notice: str = DEFAULT_PRIVACY_NOTICE
    retention_days: int | None = None
    shard_count: int | str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Read settings from ``env`` (default ``os.environ``, after loading ``./.env``)."""
        if env is None:
            if dotenv:
                from dotenv import load_dotenv

                # ./.env, the working directory's: never a .env found near the installed code
                load_dotenv(Path.cwd() / ".env", override=False)
            env = os.environ
        shards_raw = env.get("SHARD_COUNT", "").strip().lower()
        shard_count: int | str | None
        if not shards_raw:
            shard_count = None
        elif shards_raw == "auto":
            shard_count = "auto"
        else:
            shard_count = _int(env, "SHARD_COUNT", None)
            if shard_count is not None and shard_count < 1:
                raise SettingsError("SHARD_COUNT must be 'auto' or a number of at least 1")
        retention = _int(env, "RETENTION_DAYS", None)
        if retention is not None and retention < 1:
            raise SettingsError("RETENTION_DAYS must be at least 1 (leave it empty to keep data)")
        level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
        return cls(
            discord_token=env.get("DISCORD_TOKEN", "").strip() or None,
            database_path=Path(env.get("DATABASE_PATH", "").strip() or "data/workshop.db"),
            content_dirs=(BUNDLED_CONTENT_DIR, *_paths(env.get("EXTRA_CONTENT_DIRS"))),
            prompt_dirs=(BUNDLED_PROMPTS_DIR, *_paths(env.get("EXTRA_PROMPT_DIRS"))),
            log_level=level,
            dev_guild_id=_int(env, "DEV_GUILD_ID", None),
            discord_api_base=env.get("DISCORD_API_BASE", "").strip() or None,
            discord_gateway_url=env.get("DISCORD_GATEWAY_URL", "").strip() or None,
            privacy_notice=env.get("PRIVACY_NOTICE", "").strip() or DEFAULT_PRIVACY_NOTICE,
            retention_days=retention,
            shard_count=shard_count,
        )
