"""The Discord side of bench/burst.py, in its own process: the emulator, the world and the load.

Run by bench/burst.py, which starts the bot in a third process. It talks to its parent in JSON
lines: it writes events on stdout (``listening``, ``armed``, ``fired``, ``checked``) and reads
commands on stdin (``setup``, ``fire``, ``check``, ``stop``):

1. start an :class:`~bot.emulator.Emulator` (Discord's rate limits on) and build the world: one
   server, ``--groups`` group channels, a warm-up channel, a facilitators' channel, a
   facilitator (Manage Server) and ``--participants`` people; write ``listening`` with the
   addresses and token the bot needs;
2. ``setup`` (the bot is ready): the facilitator starts a session in every group channel
   (prompt 1 live) and, with ``--board``, posts ``/workshop board`` in the facilitators'
   channel; a warm-up: ``--warmup`` other people open and submit the form in the warm-up
   channel (another workshop, so the board does not count it); then all participants open the
   form (all at once) and, after ``--think`` seconds, ``armed``;
3. ``fire``: every form submitted, in a shuffled order, all at once (``--rate 0``) or at
   ``--rate`` per second; waits for every acknowledgement and until the bot has stopped
   calling (no request for 0.5 s); ``fired`` with the times (emulator clock, seconds from the
   first dispatch) of every acknowledgement;
4. ``check`` (``--db``): every answer acknowledged as saved looked up in the bot's database
   (read only, from outside), fields compared; ``checked``;
5. ``stop``: stop the emulator and exit.

Only the emulator's public API is used (``from bot.emulator import ...``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.emulator import Emulator, InteractionResult, Member  # noqa: E402

SET_ID = "key-questions"
WORKSHOP = "Burst benchmark"
WARMUP_WORKSHOP = "Warm-up"
TIMEOUT = 60.0
QUIET = 0.5  # the bot has stopped calling once no request came for this long
SAVED_MARK = "✅"


def answer_values(modal: Any, who: str) -> dict[str, Any]:
    """~200 characters per text field, different for every person; the first example cited."""
    base = (f"{who}: we will measure outcomes for children on the edge of care, "
            "with the families, and check the costs against the value over three years. ")
    values: dict[str, Any] = {i["custom_id"]: (base * 2)[: min(200, i.get("max_length", 4000))]
                              for i in modal.text_inputs}
    for select in modal.selects:
        values[select.custom_id] = select.values[:1]
    return values


PROBE_LOOPS = 40_000


def speed_probe() -> list[float]:
    """The CPU time (ms) a fixed loop of pure Python takes on each CPU this process may use,
    run on one CPU at a time. The VM's CPUs switch between two speeds (~1.7x apart, each on its
    own, in spells of a fraction of a second to seconds): a burst whose probes before and after
    read the same level on every CPU most likely ran at that level throughout."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    out = []
    try:
        for cpu in cpus or [None]:
            if cpu is not None:
                os.sched_setaffinity(0, {cpu})  # this thread only
            times = []
            for _ in range(3):  # the least of three: an interruption does not count
                t0 = time.thread_time()
                total = 0
                for i in range(PROBE_LOOPS):
                    total += i * i
                times.append((time.thread_time() - t0) * 1000)
            out.append(min(times))
    finally:
        if cpus:
            os.sched_setaffinity(0, set(cpus))
    return out


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.emu = Emulator(default_timeout=TIMEOUT, rate_limits="discord")
        guild = self.emu.add_guild("Burst server")
        self.groups = [guild.add_channel(f"group-{g + 1:02d}") for g in range(args.groups)]
        self.warm_channel = guild.add_channel("warm-up")
        self.facilitators = guild.add_channel("facilitators")
        self.facilitator = guild.add_member("Facilitator", permissions="manage_guild")
        self.people = [guild.add_member(f"P{i:05d}") for i in range(args.participants)]
        self.warm_people = [guild.add_member(f"W{i:05d}") for i in range(args.warmup)]
        self.forms: list[tuple[Member, InteractionResult]] = []
        self.submits: list[tuple[Member, dict[str, str], InteractionResult]] = []
        self.board_edits_before = 0

    # --- the world ------------------------------------------------------------------------

    async def start_session(self, channel: Any, workshop: str) -> Any:
        res = await self.facilitator.run_command(
            "session start", channel, set=SET_ID, workshop=workshop, timeout=TIMEOUT)
        card = await res.reply(TIMEOUT)
        assert card is not None, "no session card"
        return card

    async def open_forms(self, people: list[tuple[Member, Any]]) -> list[tuple[Member,
                                                                               InteractionResult]]:
        """Everyone presses Answer on their group's card at once; waits for every form."""
        opened = [(person, await person.click(card, "Answer", wait=False))
                  for person, card in people]
        for _person, res in opened:
            await res.response(TIMEOUT)
            assert res.modal is not None, f"Answer did not open a form: {res}"
        return opened

    async def setup(self) -> None:
        args = self.args
        cards = [await self.start_session(chan, WORKSHOP) for chan in self.groups]
        if args.board:
            res = await self.facilitator.run_command(
                "workshop board", self.facilitators, workshop=WORKSHOP, timeout=TIMEOUT)
            await res.reply(TIMEOUT)
            await self.emu.wait_for_message(self.facilitators, lambda m: bool(m.embeds),
                                            timeout=TIMEOUT)
        if self.warm_people:
            warm_card = await self.start_session(self.warm_channel, WARMUP_WORKSHOP)
            warm = await self.open_forms([(p, warm_card) for p in self.warm_people])
            fired = [await form.modal.submit(person, answer_values(form.modal,
                                                                   person.name), wait=False)
                     for person, form in warm if form.modal is not None]
            for res in fired:
                await res.response(TIMEOUT)
        n = len(self.groups)
        self.forms = await self.open_forms(
            [(p, cards[i % n]) for i, p in enumerate(self.people)])
        await self.drain()
        self.board_edits_before = self.board_edits()
        if args.think:
            await asyncio.sleep(args.think)  # people typing: the bot is idle

    def board_edits(self) -> int:
        return sum(1 for r in self.emu.requests("PATCH /channels/{channel_id}/messages/"
                                                "{message_id}") if r.status < 300)

    async def drain(self, limit: float = 120.0) -> float:
        """Wait until the bot has stopped calling the emulator (no REST request for
        :data:`QUIET` seconds); returns the emulator time of its last request."""
        loop = asyncio.get_running_loop()
        counts = self.emu.request_counts
        seen = counts.total()
        last = start = loop.time()
        while loop.time() - last < QUIET and loop.time() - start < limit:
            await asyncio.sleep(0.02)
            now = counts.total()
            if now != seen:
                seen, last = now, loop.time()
        return last

    # --- the burst --------------------------------------------------------------------------

    async def fire(self) -> dict[str, Any]:
        args = self.args
        order = list(self.forms)
        random.Random(args.seed).shuffle(order)
        planned = [(person, form.modal, answer_values(form.modal, person.name))
                   for person, form in order if form.modal is not None]
        loop = asyncio.get_running_loop()
        speed_before = speed_probe()
        cpu0 = time.process_time()
        t0 = loop.time()
        for n, (person, modal, values) in enumerate(planned):
            if args.rate:
                delay = t0 + n / args.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            res = await modal.submit(person, values, wait=False)
            self.submits.append((person, values, res))
        failed = 0
        for _person, _values, res in self.submits:
            try:
                await res.response(TIMEOUT)
            except Exception:  # a missed deadline or a timeout: counted
                failed += 1
        cpu = time.process_time() - cpu0
        speed_after = speed_probe()
        last_request = await self.drain()
        first = min(r.created for *_, r in self.submits)
        acked = [r for *_, r in self.submits if r.acknowledged_at is not None and not r.expired]
        return {
            "event": "fired",
            "fired": len(self.submits),
            "failed": failed,
            "deferred": sum(1 for r in acked if r.response_type == 5),
            "violations": len(self.emu.violations),
            # per submission, in firing order: dispatched and acknowledged, seconds from the
            # first dispatch (acknowledged None when it never was)
            "dispatched": [r.created - first for *_, r in self.submits],
            "acks": [None if r.acknowledged_at is None or r.expired
                     else r.acknowledged_at - first for *_, r in self.submits],
            "last_request": last_request - first,
            "board_edits": self.board_edits() - self.board_edits_before,
            "emulator_cpu": cpu,
            "speed": [speed_before, speed_after],
        }

    def check(self) -> dict[str, Any]:
        """Every answer acknowledged as saved, looked up in the bot's database."""
        acked = ok = 0
        if self.args.db:
            uri = Path(self.args.db).resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True)
            try:
                stored: dict[int, dict[str, str]] = {}
                for user_id, fields in conn.execute("SELECT user_id, fields FROM answers"):
                    stored[user_id] = json.loads(fields)
            finally:
                conn.close()
            for person, values, res in self.submits:
                text = " ".join(m.text for m in (res.original, *res.followups) if m is not None)
                if res.acknowledged and SAVED_MARK in text:
                    acked += 1
                    ok += stored.get(person.id) == values
        return {"event": "checked", "acked": acked, "ok": ok}


def say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def commands() -> Any:
    """The parent's commands, one JSON object a line on stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        yield json.loads(line)


async def main_async(args: argparse.Namespace) -> int:
    bench = Bench(args)
    emu = bench.emu
    await emu.start()
    say({"event": "listening", "api_base": emu.api_base, "gateway_url": emu.gateway_url,
         "token": emu.token})
    try:
        async for cmd in commands():
            what = cmd.get("cmd")
            if what == "setup":
                await emu.wait_for_bot_ready(timeout=TIMEOUT)
                await bench.setup()
                say({"event": "armed"})
            elif what == "fire":
                say(await bench.fire())
            elif what == "check":
                say(bench.check())
            elif what == "stop":
                break
    finally:
        with contextlib.suppress(Exception):
            await emu.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=250)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=50,
                        help="people submitting in the warm-up channel first")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="submissions per second (0: all at once)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="idle seconds between opening the forms and submitting them")
    parser.add_argument("--board", action="store_true",
                        help="a live board of the workshop during the burst")
    parser.add_argument("--db", default="", help="the bot's database, to check the answers")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # The emulator stands in for Discord's servers: it must not be the bottleneck, nor pause
    # in the middle of a burst to collect garbage (the bot's own settings are the bot's).
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
