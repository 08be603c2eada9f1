"""The bot collects garbage while it is idle, so a burst of answers starts from an empty young
generation (bench/burst.py --instrument gc measures the pauses this keeps out of bursts)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from bot.discord_ui import client
from tests.discord_layer.conftest import World


async def test_garbage_piled_up_is_collected_once_the_bot_is_idle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.bot._idle_gc is not None  # started when the bot got ready
    monkeypatch.setattr(client, "IDLE_CHECK", 0.05)
    thresholds = gc.get_threshold()
    loop = asyncio.get_running_loop()
    collected = asyncio.Event()

    def on_collection(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            loop.call_soon(collected.set)

    gc.set_threshold(10_000_000, *thresholds[1:])  # nothing collects on its own meanwhile
    gc.callbacks.append(on_collection)
    try:
        pile = [[] for _ in range(2 * client.IDLE_COLLECT_MIN)]  # young objects, still alive
        await asyncio.wait_for(collected.wait(), 10)
        assert gc.get_count()[0] < client.IDLE_COLLECT_MIN
        assert len(pile) == 2 * client.IDLE_COLLECT_MIN
    finally:
        gc.callbacks.remove(on_collection)
        gc.set_threshold(*thresholds)


async def test_the_collector_stops_with_the_bot(world: World) -> None:
    collector = world.bot._idle_gc
    assert collector is not None
    await world.bot.close()
    assert world.bot._idle_gc is None
    assert collector._timer.cancelled()
