"""Measurement hooks for a bot process under bench/burst.py ``--instrument``; no bot code changes.

bench/burst.py puts this folder on ``PYTHONPATH`` of the bot process, so Python imports this
module at start-up (``site`` imports ``sitecustomize``). Between SIGUSR1 (just before the burst)
and SIGUSR2 (after it) it records, as ``BURST_INSTRUMENT`` asks (comma-separated):

* ``gc``: every collection of the cyclic garbage collector (generation, pause);
* ``profile``: a cProfile of the event loop's thread (the main thread; slows it down);
* ``timeline``: when each interaction was parsed, each write batch ran (in the writer's thread:
  start, end, size) and each reply left, in ms from the first interaction of the burst
  (patched in from here: the bot's code is unchanged).

On SIGUSR2 it writes a JSON summary to ``BURST_INSTRUMENT_OUT`` (and with ``profile`` the
stats to ``BURST_INSTRUMENT_OUT`` + ``.prof``). Without ``BURST_INSTRUMENT`` it does nothing.
"""

from __future__ import annotations

import os

_WHAT = {w for w in os.environ.get("BURST_INSTRUMENT", "").split(",") if w}

if _WHAT:
    import cProfile
    import gc
    import json
    import signal
    import time
    from typing import Any

    _OUT = os.environ.get("BURST_INSTRUMENT_OUT", "burst-instrument.json")
    _state: dict[str, Any] = {"on": False, "pauses": [], "started": None, "profile": None}

    def _gc_callback(phase: str, info: dict[str, int]) -> None:
        if not _state["on"]:
            return
        if phase == "start":
            _state["started"] = time.perf_counter()
        elif _state["started"] is not None:
            _state["pauses"].append((info["generation"], time.perf_counter() - _state["started"],
                                     info.get("collected", 0)))
            _state["started"] = None

    def _start(signum: int, frame: Any) -> None:
        _state["count_at_start"] = gc.get_count()
        _state["pauses"] = []
        _marks.clear()
        _state["on"] = True
        if "profile" in _WHAT:
            prof = cProfile.Profile()
            _state["profile"] = prof
            prof.enable()
        with open(_OUT + ".on", "w", encoding="utf-8"):
            pass

    def _stop(signum: int, frame: Any) -> None:
        _state["on"] = False
        prof = _state["profile"]
        if prof is not None:
            prof.disable()
            prof.dump_stats(_OUT + ".prof")
            _state["profile"] = None
        pauses = _state["pauses"]
        summary = {
            "gc_collections": [sum(1 for g, _, _ in pauses if g == n) for n in range(3)],
            "gc_pause": sum(p for _, p, _ in pauses),
            "gc_max_pause": max((p for _, p, _ in pauses), default=0.0),
            "gc_thresholds": gc.get_threshold(),
            "gc_count_at_start": _state["count_at_start"],
            "gc_count_at_end": gc.get_count(),
            "gc_frozen": gc.get_freeze_count(),
        }
        parsed = [t for what, t, _ in _marks if what == "parsed"]
        if parsed:
            t0 = parsed[0]
            summary["timeline"] = [(what, round((t - t0) * 1000, 2), n) for what, t, n in _marks]
        with open(_OUT + ".tmp", "w", encoding="utf-8") as f:
            json.dump(summary, f)
        os.replace(_OUT + ".tmp", _OUT)

    _marks: list[tuple[str, float, int]] = []

    def _mark(what: str, n: int = 0) -> None:
        if _state["on"]:
            _marks.append((what, time.perf_counter(), n))

    def _timeline() -> None:
        import discord.state
        from discord.interactions import InteractionResponse

        from bot.storage import writer

        parse = discord.state.ConnectionState.parse_interaction_create

        def parse_interaction_create(self: Any, data: Any) -> None:
            _mark("parsed")
            parse(self, data)

        discord.state.ConnectionState.parse_interaction_create = parse_interaction_create  # type: ignore[method-assign]
        run_jobs = writer.run_jobs

        def timed_run_jobs(raw: Any, jobs: Any) -> Any:
            _mark("batch start", len(jobs))
            try:
                return run_jobs(raw, jobs)
            finally:
                _mark("batch end", len(jobs))

        writer.run_jobs = timed_run_jobs
        send = InteractionResponse.send_message

        async def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
            _mark("reply")
            return await send(self, *args, **kwargs)

        InteractionResponse.send_message = send_message  # type: ignore[method-assign]

    if "timeline" in _WHAT:
        _timeline()
    if "gc" in _WHAT:
        gc.callbacks.append(_gc_callback)
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
