"""The single writer: concurrent write jobs run in one transaction (one fsync for the batch), and
each job's caller is answered only after the batch is committed, so an answer acknowledged to a
user is on disk.

Faults of the file or disk (full, read-only, locked by another process past the busy timeout,
I/O errors) fail the whole batch with :class:`StorageUnavailable`; a locked database is first
retried with back-off. The log gets one ERROR line when writes start failing and one line when
they work again, not a traceback per answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

from bot.storage.errors import StorageError, StorageUnavailable, fault_reason

log = logging.getLogger(__name__)

T = TypeVar("T")
# A write job runs synchronously on the sqlite3 connection, in aiosqlite's thread: a whole
# batch of jobs is one hop to that thread. Measured with bench/burst.py (250 people, 750
# submissions at once), one hop per statement (11 per answer) was most of the event loop's
# work during a burst.
Job = Callable[[sqlite3.Connection], T]

MAX_BATCH = 512
# A batch that meets a locked database is tried again after these pauses (each attempt already
# waits up to the busy timeout inside SQLite), all within the time a deferred interaction has.
LOCKED_RETRY_PAUSES = (0.25, 1.0)


class _Fault(Exception):
    """A job met a fault of the file or disk: the whole batch must fail (or be retried)."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class Writer:
    """Owns the write queue of one aiosqlite connection."""

    def __init__(self, conn: aiosqlite.Connection,
                 run_batch: Callable[[aiosqlite.Connection, list[Any]], Any] | None = None
                 ) -> None:
        self._conn = conn
        # what runs one batch: :meth:`run_batch` unless the owner routes it elsewhere (tests
        # wrap ``Database._run_batch`` to inject slow or failing commits)
        self._runner = run_batch or self.run_batch
        self._queue: asyncio.Queue[tuple[Job[Any], asyncio.Future[Any]] | None] = (
            asyncio.Queue()
        )
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches_committed = 0
        self.failed_batches = 0
        self._fault: str | None = None  # set while writes are failing
        self._failed_in_fault = 0
        # a job run after each committed batch that contained a job flagged ``after_commit``
        self._after: list[Callable[[sqlite3.Connection], None]] = []

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="workshop-db-writer")

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Finish queued writes, then stop."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            await self._queue.put(None)
            await self._task

    async def write(self, job: Job[T]) -> T:
        """Run ``job`` (on the ``sqlite3`` connection, in aiosqlite's thread, never on the event
        loop) inside the next committed batch; returns once it is durable on disk."""
        if self._closed:
            raise StorageError("the database is closed")
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, fut))
        return await fut

    def after_commit(self, task: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``task`` once after the next batch commits (outside its transaction), e.g. a
        WAL checkpoint after an erasure. Call it from inside a job."""
        self._after.append(task)

    async def _loop(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            await self._runner(self._conn, batch)
            if stop:
                return

    async def run_batch(
        self, conn: aiosqlite.Connection, batch: list[tuple[Job[Any], asyncio.Future[Any]]]
    ) -> None:
        """Run one batch in one transaction and answer each job's caller."""
        jobs = [job for job, _fut in batch]
        pauses = iter(LOCKED_RETRY_PAUSES)
        while True:
            try:
                # One hop to aiosqlite's thread for the whole transaction.
                results = await conn._execute(run_jobs, conn._conn, jobs)
            except Exception as exc:  # run_jobs has rolled the transaction back
                original = exc.original if isinstance(exc, _Fault) else exc
                reason = fault_reason(original)
                if reason == "locked":
                    pause = next(pauses, None)
                    if pause is not None:
                        log.debug("database locked; trying the batch again in %.2f s", pause)
                        await asyncio.sleep(pause)
                        continue
                self._failed(batch, original, reason)
                return
            break
        self._recovered()
        self.batches_committed += 1
        if self._after:
            after, self._after = self._after, []
            for task in after:
                try:
                    await conn._execute(task, conn._conn)
                except Exception as exc:  # housekeeping only: the batch itself is committed
                    log.warning("after a commit, %s failed: %s", getattr(task, "__name__", task),
                                exc)
        for (_job, fut), (result, exc) in zip(batch, results, strict=True):
            if fut.done():  # the caller went away (cancelled); the write still happened
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(result)

    def _failed(self, batch: list[tuple[Job[Any], asyncio.Future[Any]]],
                exc: BaseException, reason: str | None) -> None:
        self.failed_batches += 1
        self._after.clear()
        if reason is None:  # not a fault of the disk: a bug; keep the traceback
            log.error("a write batch of %d jobs failed; nothing in it was saved", len(batch),
                      exc_info=exc)
            error: StorageError = StorageError(f"the write failed: {exc}")
        else:
            if self._fault is None:
                log.error("database writes are failing (%s: %s); nothing is saved until this "
                          "is fixed, and people are told so", reason, exc)
                self._fault = reason
                self._failed_in_fault = 0
            self._failed_in_fault += 1
            error = StorageUnavailable(reason, str(exc))
        for _job, fut in batch:
            if not fut.done():
                fut.set_exception(error)

    def _recovered(self) -> None:
        if self._fault is not None:
            log.warning("database writes work again (after %d failed batches: %s)",
                        self._failed_in_fault, self._fault)
            self._fault = None


def run_jobs(
    raw: sqlite3.Connection, jobs: list[Job[Any]]
) -> list[tuple[Any, BaseException | None]]:
    """One write transaction in aiosqlite's thread: each job in its own savepoint (a failing job
    is rolled back alone), one COMMIT (one fsync) for all. A fault of the file or disk in any
    job fails the whole batch; raises if the batch fails."""
    out: list[tuple[Any, BaseException | None]] = []
    raw.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            raw.execute("SAVEPOINT job")
            try:
                result = job(raw)
            except Exception as exc:
                if fault_reason(exc) is not None:
                    raise _Fault(exc) from exc
                raw.execute("ROLLBACK TO job")  # this job only
                raw.execute("RELEASE job")
                out.append((None, exc))
            else:
                raw.execute("RELEASE job")
                out.append((result, None))
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                raw.execute("ROLLBACK")
        raise
    return out
