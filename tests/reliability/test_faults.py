"""Faults, and nothing lost: the bot killed mid-burst, stopped with SIGTERM, restarted, its
gateway cut, its database slowed down, Discord answering 429.

The crash and stop tests run the real bot as a separate process (``python -m bot run``, as in
production) against the emulator in this test's event loop, and read its SQLite file from
outside. The others run the bot in-process (same discord.py code paths) to inject faults.
Each test logs one ``FIGURES`` line (``-o log_cli=true --log-cli-level=INFO`` shows them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path

import pytest

from bot.discord_ui import respond
from bot.emulator import (
    Channel,
    DiscordRuleViolation,
    EmulatedMessage,
    Emulator,
    InteractionResult,
    Member,
)
from bot.models import Library
from bot.storage import Database
from tests.discord_layer.conftest import make_world
from tests.reliability.helpers import (
    SAVED,
    Burst,
    add_people,
    bot_process,
    fire_in_window,
    fire_submissions,
    open_forms,
    read_db,
)

SET = "key-questions"
KILL_AFTER_ACKS = 10
IN_FLIGHT = 40  # submissions in the bot's hands at once during the crash burst
log = logging.getLogger("tests.reliability.figures")


def figures(test: str, **values: object) -> None:
    """One line of figures per test (``--log-cli-level=INFO`` shows them)."""
    log.info("FIGURES %s: %s", test, ", ".join(f"{k}={v}" for k, v in values.items()))


def sidecars(db_path: Path) -> dict[str, bool]:
    return {s: db_path.with_name(db_path.name + s).exists() for s in ("-wal", "-shm")}


async def start_session(channel: Channel, person: Member, **options: object) -> EmulatedMessage:
    res = await person.run_command("session start", channel, set=SET, **options)
    card = await res.reply(timeout=15)
    assert card is not None and card.buttons, "session start should post a card"
    return card


async def open_prompt_forms(
    people: list[Member], channel: Channel, prompt: str
) -> list[InteractionResult]:
    """Everyone runs ``/answer prompt:<n>`` at once (self-paced: any prompt)."""
    runs = [await p.run_command("answer", channel, prompt=prompt, wait=False) for p in people]
    await asyncio.gather(*(r.response(timeout=20) for r in runs))
    for r in runs:
        assert r.modal is not None, f"/answer did not open a form: {r}"
    return runs


def only_expected_violations(emu: Emulator, allowed: dict[str, set[int]]) -> None:
    """Every violation is of an allowed rule on an allowed interaction."""
    unexpected = [
        v for v in emu.violations
        if v.rule not in allowed or v.interaction_id not in allowed[v.rule]
    ]
    assert not unexpected, "\n".join(str(v) for v in unexpected)


# --- 1. SIGKILL mid-burst ----------------------------------------------------------------------


async def test_sigkill_mid_burst_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    emu = Emulator(default_timeout=15.0)
    guild = emu.add_guild("Workshop server")
    chan = guild.add_channel("group-a")
    organiser = guild.add_member("Olu", permissions="manage_guild")
    people = add_people(guild, 100)
    db_path = tmp_path / "data" / "bot.db"
    burst = Burst()
    burst.listen(emu)
    await emu.start()
    loop = asyncio.get_running_loop()
    try:
        async with bot_process(emu, db_path, tmp_path) as first:
            card = await start_session(chan, organiser, workshop="Crash", pace="self")
            forms = await open_forms(people, card)  # prompt 1, from the card
            forms += await open_prompt_forms(people, chan, "2")  # prompt 2, via /answer
            assert len(forms) == 200
            killed: list[tuple[float, int]] = []

            def sigkill() -> None:  # SIGKILL: no shutdown code runs
                first.proc.kill()
                killed.append((loop.time(), len(burst.acked)))

            burst.when_acked(KILL_AFTER_ACKS, sigkill)
            fired_at = loop.time()
            # IN_FLIGHT at once, topped up as answers are acknowledged: when the kill lands the
            # bot holds submissions it has not answered (a plain burst of all 200 could be fully
            # answered before the emulator has read the tenth acknowledgement)
            await fire_in_window(forms, burst, "burst", window=IN_FLIGHT, stop=lambda: bool(killed))
            await burst.wait_for_acks(KILL_AFTER_ACKS)
            assert await first.wait(10) == -signal.SIGKILL
        killed_at, acked_at_kill = killed[0]
        crashed = read_db(db_path)

        async with bot_process(emu, db_path, tmp_path) as second:
            after = read_db(db_path)
            # the restarted bot works: Answer opens the form, pre-filled from the database
            index, someone = next((i, r) for i, r in enumerate(burst.results)
                                  if r.id in after.applied)
            if index < len(people):  # prompt 1: the old card's button
                opened = await (await someone.user.click(card, "Answer")).response()
            else:
                opened = await someone.user.run_command("answer", chan, prompt="2")
            assert opened.modal is not None
            assert opened.modal.text_inputs[0]["value"] == burst.texts[someone.id]
            newcomer = guild.add_member("Late Larry")
            late = await (await newcomer.click(card, "Answer")).response()
            done = await late.modal.submit(
                newcomer, {i["custom_id"]: "after the crash" for i in late.modal.text_inputs
                           if i.get("required", True)})
            assert SAVED in (await done.reply()).text
            second.signal(signal.SIGTERM)
            assert await second.wait(10) == 0
        final = read_db(db_path)
    finally:
        await emu.stop()

    # every "Saved" that reached the emulator, before the kill or from the socket after it
    # (the process sends one only after the commit, so each must be in the database)
    acked = set(burst.acked)
    assert len(acked) < len(burst.results), "the kill should land while submissions are in flight"
    lost = acked - set(after.applied)
    assert not lost, f"{len(lost)} acknowledged answers missing after the restart"
    for iid in acked:  # and each holds what that person typed
        assert burst.texts[iid] in after.applied[iid]
    assert after.integrity == "ok" and crashed.integrity == "ok" and final.integrity == "ok"
    assert after.duplicates == 0 and after.rows <= len(burst.results)
    assert after.rows == len(after.applied)  # one interaction per answer row
    assert final.rows == after.rows + 1  # the newcomer's answer
    assert set(after.applied) <= {r.id for r in burst.results}
    unacked = {r.id for r in burst.results} - acked
    only_expected_violations(emu, {"ack_deadline": unacked})
    figures(
        "sigkill", submissions=len(burst.results), acknowledged=len(acked),
        saved_but_unacknowledged=len(set(after.applied) - acked),
        present_after_restart=after.rows, lost=len(lost),
        acknowledged_when_killed=acked_at_kill, kill_at_s=f"{killed_at - fired_at:.3f}",
    )


# --- 2. the same interaction delivered twice, across a restart ----------------------------------


async def test_redelivery_after_a_restart_changes_nothing(tmp_path: Path) -> None:
    emu = Emulator(default_timeout=15.0)
    guild = emu.add_guild("Workshop server")
    chan = guild.add_channel("group-a")
    organiser = guild.add_member("Olu", permissions="manage_guild")
    alice, bob = guild.add_member("Alice"), guild.add_member("Bob")
    db_path = tmp_path / "data" / "bot.db"
    await emu.start()
    try:
        async with bot_process(emu, db_path, tmp_path) as first:
            card = await start_session(chan, organiser, workshop="Twice")
            submitted: dict[str, InteractionResult] = {}
            for person, text in ((alice, "first version"), (bob, "bob's only version")):
                form = await (await person.click(card, "Answer")).response()
                submitted[person.name] = await form.modal.submit(
                    person, {i["custom_id"]: text for i in form.modal.text_inputs})
                assert SAVED in (await submitted[person.name].reply()).text
            first.proc.kill()  # crash straight after the acknowledgements
            await first.wait(10)

        async with bot_process(emu, db_path, tmp_path) as second:
            # Alice edits her answer in the new process...
            form = await (await alice.click(card, "Answer")).response()
            assert form.modal.text_inputs[0]["value"] == "first version"  # from the database
            edit = await form.modal.submit(
                alice, {i["custom_id"]: "second version" for i in form.modal.text_inputs})
            assert "Updated your answer" in (await edit.reply()).text
            # ...then the first process's interactions arrive again (as after a resume).
            for res in submitted.values():
                emu.redeliver(res)
                # The bot answers the copy; Discord (the emulator) refuses a second callback
                # for an acknowledged interaction: 400, code 40060, recorded as a violation.
                with pytest.raises(DiscordRuleViolation) as refused:
                    await res.wait_for(lambda r: False, "the bot to answer the redelivery")
                assert refused.value.violation.rule == "double_response"
                assert refused.value.violation.code == 40060
            state = read_db(db_path)
            second.signal(signal.SIGTERM)
            assert await second.wait(10) == 0
            # the refused reply is a one-line warning, not an error with a traceback
            assert "can no longer be answered" in second.log()
            assert "Traceback" not in second.log()
    finally:
        await emu.stop()

    # the database, not the reply: one row per person, the stale copy did not overwrite
    assert state.rows == 2 and state.duplicates == 0 and state.integrity == "ok"
    texts = {u: {v for v in json.loads(f).values() if isinstance(v, str)}
             for (_s, _p, u), f in state.answers.items()}
    assert texts == {alice.id: {"second version"}, bob.id: {"bob's only version"}}
    assert set(state.applied) == {submitted["Alice"].id, submitted["Bob"].id, edit.id}
    redelivered = {r.id for r in submitted.values()}
    only_expected_violations(emu, {"double_response": redelivered})
    figures("redelivery", redelivered=2, answer_rows=state.rows, overwritten_by_stale_copy=0)


# --- 3. gateway reconnect (op 7) and a dropped socket mid-session -------------------------------


async def test_reconnect_and_dropped_socket_replay_submissions(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    await world.emu.start()
    emu = world.emu
    try:
        async with world.running() as bot:
            card = await start_session(world.chan, world.organiser, workshop="Resume",
                                       pace="self")
            people = add_people(world.guild, 40)
            forms = await open_forms(people, card)
            burst = Burst()
            burst.listen(emu)

            resumes = len(emu.resumes)
            await emu.force_reconnect(wait=False)  # op 7: the socket stops carrying events
            await fire_submissions(forms[:20], burst, "during op 7")
            first = await emu.wait_for_resume(resumes + 1)
            await emu.drop_connection(wait=False)  # TCP cut without a close frame
            await fire_submissions(forms[20:], burst, "while cut")
            second = await emu.wait_for_resume(resumes + 2)

            replies = await asyncio.gather(*(r.reply() for r in burst.results))
            assert all(SAVED in m.text for m in replies)
            rows = await bot.engine.db.fetchall("SELECT interaction_id FROM answer_writes")
            # cards still work afterwards
            late = world.guild.add_member("After the storm")
            form = await (await late.click(card, "Answer")).response()
            done = await form.modal.submit(
                late, {i["custom_id"]: "still here" for i in form.modal.text_inputs
                       if i.get("required", True)})
            assert SAVED in (await done.reply()).text
        emu.assert_no_violations()
    finally:
        await emu.stop()
    assert first.replayed >= 20 and second.replayed >= 20  # they came through the replay
    assert {r[0] for r in rows} == {r.id for r in burst.results}
    assert len(rows) == 40
    figures("resume", submitted_while_disconnected=40, replayed_op7=first.replayed,
            replayed_drop=second.replayed, acknowledged=len(burst.acked), lost=40 - len(rows))


# --- 4. storage slower than Discord's 3 s deadline ----------------------------------------------


async def test_every_submission_is_acknowledged_in_time_when_each_batch_takes_3_5_s(
    tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(tmp_path, library, default_timeout=20.0)
    await world.emu.start()
    emu = world.emu
    try:
        async with world.running() as bot:
            card = await start_session(world.chan, world.organiser, workshop="Slow")
            forms = await open_forms(add_people(world.guild, 20), card)
            db: Database = bot.engine.db
            original = db._run_batch
            batches: list[int] = []

            async def slow_batch(conn: object, batch: list[object]) -> None:
                # fault injection: every group commit takes 3.5 s (Discord's deadline is 3 s)
                batches.append(len(batch))
                await asyncio.sleep(3.5)
                await original(conn, batch)

            monkeypatch.setattr(db, "_run_batch", slow_batch)
            burst = Burst()
            burst.listen(emu)
            await fire_submissions(forms, burst, "slow")
            await asyncio.gather(*(r.response() for r in burst.results))
            ack_delays = [r.acknowledged_at - r.created for r in burst.results]
            replies = await asyncio.gather(*(r.wait_for_original() for r in burst.results))
            rows = await db.fetchall("SELECT interaction_id FROM answer_writes")
        emu.assert_no_violations()  # no "Unknown interaction", nothing past the deadline
    finally:
        await emu.stop()
    assert all(r.deferred for r in burst.results)  # "thinking…" first, then the result
    assert max(ack_delays) < emu.ack_deadline
    assert max(ack_delays) >= respond.DEFER_AFTER * 0.9  # deferred only when slow
    assert all(SAVED in m.text for m in replies) and len(replies) == 20
    assert {r[0] for r in rows} == {r.id for r in burst.results}
    figures("slow-storage", submissions=20, batches=len(batches), batch_delay_s=3.5,
            max_ack_s=f"{max(ack_delays):.3f}", acknowledged=len(burst.acked),
            saved=len(rows), lost=20 - len(rows))


# --- 5. 429 with retry_after ---------------------------------------------------------------------


async def test_rate_limited_requests_are_retried_after_retry_after(
    tmp_path: Path, library: Library
) -> None:
    world = make_world(tmp_path, library)
    await world.emu.start()
    emu = world.emu
    callback = "POST /interactions/{interaction_id}/{token}/callback"
    followup = "POST /webhooks/{app_id}/{token}"
    try:
        async with world.running():
            card = await start_session(world.chan, world.organiser, workshop="Busy")
            form = await (await world.alice.click(card, "Answer")).response()

            # the submission's acknowledgement is refused twice with 429
            emu.rate_limit(2, route=callback, retry_after=0.2)
            before = emu.request_counts[callback]
            done = await form.modal.submit(
                world.alice, {i["custom_id"]: "despite 429s" for i in form.modal.text_inputs})
            assert SAVED in (await done.reply()).text
            callbacks = emu.request_counts[callback] - before

            # the export's file upload (a followup, multipart) is refused once
            emu.rate_limit(1, route=followup, retry_after=0.3)
            export = await world.organiser.run_command("session export", world.chan,
                                                       format="csv")
            msg = await export.wait_for_original(lambda m: bool(m.attachments))
            assert b"despite 429s" in msg.attachments[0].data

            # a global limit on whatever comes next
            emu.rate_limit(1, retry_after=0.25, is_global=True)
            moved = await (await world.organiser.run_command("session next", world.chan)).reply()
            assert "Moving on to prompt 2" in moved.text
        emu.assert_no_violations()
    finally:
        await emu.stop()
    served = emu.rate_limited
    assert [r.route for r in served[:3]] == [callback, callback, followup]
    assert served[3].is_global and len(served) == 4
    for record in served:
        assert record.retried_at is not None, f"no retry after {record}"
        assert record.waited >= record.retry_after - 0.01, record  # waited, no tight loop
        assert record.waited < record.retry_after + 1.0, record  # but not stuck either
    assert served[0].path == served[1].path == f"POST /api/v10/interactions/{done.id}/" \
        f"{done.token}/callback"
    assert callbacks == 3  # two 429s, one success: bounded
    figures("rate-limit", served_429=len(served),
            waits_s=[f"{r.waited:.3f}" for r in served],
            callback_requests=callbacks, lost=0)


# --- 6. SIGTERM mid-burst ------------------------------------------------------------------------


async def test_sigterm_finishes_work_in_flight_and_closes_the_database(tmp_path: Path) -> None:
    emu = Emulator(default_timeout=15.0)
    guild = emu.add_guild("Workshop server")
    chan = guild.add_channel("group-a")
    organiser = guild.add_member("Olu", permissions="manage_guild")
    people = add_people(guild, 100)
    db_path = tmp_path / "data" / "bot.db"
    burst = Burst()
    burst.listen(emu)
    await emu.start()
    loop = asyncio.get_running_loop()
    try:
        async with bot_process(emu, db_path, tmp_path) as bot:
            card = await start_session(chan, organiser, workshop="Stop", pace="self")
            forms = await open_forms(people, card)
            forms += await open_prompt_forms(people, chan, "2")
            late_forms = await open_prompt_forms(people[:50], chan, "3")
            signalled: list[tuple[float, int]] = []

            def sigterm() -> None:  # as the 20th acknowledgement arrives
                bot.signal(signal.SIGTERM)
                signalled.append((loop.time(), len(burst.acked)))

            burst.when_acked(20, sigterm)
            await fire_submissions(forms, burst, "sigterm")
            await burst.wait_for_acks(20)
            # more people submit while the bot is stopping: it takes them on or never sees them
            await fire_submissions(late_forms, burst, "while stopping")
            code = await bot.wait(10)
            took = loop.time() - signalled[0][0]
            bot_log = bot.log()
        files_after_exit = sidecars(db_path)
        state = read_db(db_path)
    finally:
        await emu.stop()

    assert code == 0, bot_log[-3000:]
    assert took < 10
    acked = set(burst.acked)
    # finished what was in flight: every submission the bot took on was saved AND answered,
    # so nothing is saved without the person being told, and nothing told is missing
    assert acked == set(state.applied), (
        f"acknowledged but not saved: {len(acked - set(state.applied))}, saved but never "
        f"acknowledged: {len(set(state.applied) - acked)}"
    )
    for iid in acked:
        assert burst.texts[iid] in state.applied[iid]
    errors = [r for r in burst.results for m in r.messages if respond.GENERIC_ERROR in m.text]
    assert not errors
    assert state.integrity == "ok" and state.duplicates == 0
    assert files_after_exit == {"-wal": False, "-shm": False}  # checkpointed and closed
    assert "Traceback" not in bot_log, bot_log[-3000:]
    assert "SIGTERM received" in bot_log and "stopped cleanly in" in bot_log
    assert "database closed" in bot_log
    unacked = {r.id for r in burst.results} - acked
    only_expected_violations(emu, {"ack_deadline": unacked})
    assert len(burst.results) == 250 and len(acked) > signalled[0][1]  # in-flight work finished
    figures("sigterm", submissions=len(burst.results), acknowledged_when_signalled=signalled[0][1],
            acknowledged=len(acked), saved=state.rows, never_delivered=len(unacked),
            exit_code=code, exit_s=f"{took:.2f}", wal_left=files_after_exit["-wal"])



async def test_drain_waits_for_interaction_tasks_and_a_second_signal_cuts_it_short() -> None:
    from bot.discord_ui.lifecycle import drain

    release, hurry, running = asyncio.Event(), asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def handler(name: str) -> None:
        running.set()
        await release.wait()
        finished.append(name)

    tasks = [asyncio.create_task(handler("a"), name="discord.py: interaction"),
             asyncio.create_task(handler("b"), name="CommandTree-invoker")]
    unrelated = asyncio.create_task(asyncio.Event().wait(), name="discord-ext-tasks: daily")
    draining = asyncio.create_task(drain(30.0, hurry=hurry))
    await running.wait()  # the handlers and drain have all started
    assert not draining.done()
    release.set()
    assert await asyncio.wait_for(draining, 5) == 0  # both finished, the daily loop ignored
    assert sorted(finished) == ["a", "b"]

    stuck = asyncio.create_task(asyncio.Event().wait(), name="discord-ui-modal-dispatch-1")
    draining = asyncio.create_task(drain(30.0, hurry=hurry))
    hurry.set()  # the second SIGTERM
    assert await asyncio.wait_for(draining, 5) == 1
    for task in (*tasks, unrelated, stuck):
        task.cancel()
