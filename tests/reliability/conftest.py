"""The reliability tests use the Discord-layer world too (a bot, an emulator, people)."""

from tests.discord_layer.conftest import world  # noqa: F401 (the fixture)
