"""Shared fixtures: the real bundled content, and a real SQLite database in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR
from bot.engine import Engine
from bot.models import Library
from bot.storage import Database


@pytest.fixture(scope="session")
def library() -> Library:
    from bot.content import load_library

    return load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "workshop.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def engine(db: Database, library: Library) -> Engine:
    return await Engine.create(db, library)
