"""The facilitator's live board: one message per workshop that shows every group (live prompt,
answers per prompt, paused or not, time left) and keeps itself up to date.

Answers and moves only mark a board stale (cheap, on the hot path); one task per board edits
the message at most once every :data:`INTERVAL` seconds whatever the burst, by channel and
message id (interaction tokens expire after 15 minutes), so the last state is always shown
within a few seconds. discord.py honours Discord's rate limits (429 ``retry_after`` and the
rate-limit headers) on those edits. Boards are remembered in the database and picked up again
after a restart; a board message someone deleted is noticed and forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from bot import events as ev
from bot.discord_ui import outgoing, render
from bot.engine import WorkshopError
from bot.engine.timers import TimerCancelled, TimerSet, TimeUp
from bot.storage import BotMessage, StorageError, WorkshopRow

if TYPE_CHECKING:
    from bot.discord_ui.client import WorkshopBot

log = logging.getLogger(__name__)

BOARD = "board"  # the kind of a board in the bot's message register
INTERVAL = 5.0  # seconds between two edits of one board, at the most


@dataclass
class _Board:
    note: BotMessage
    stale: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    edits: int = 0


class Boards:
    """Every live board of the bot process."""

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        self._boards: dict[int, _Board] = {}  # by workshop id
        self.interval = INTERVAL  # (tests shorten it)
        events = bot.engine.events
        for kind in (ev.AnswerSaved, ev.PromptMoved, ev.SessionStarted, ev.SessionPaused,
                     ev.SessionResumed, ev.SessionClosed, ev.AnswersErased, TimerSet,
                     TimerCancelled, TimeUp):
            events.subscribe(kind, self._on_event)

    async def start(self) -> None:
        """Pick up the boards recorded before a restart, and show them as they are now."""
        for note in await self.bot.engine.db.messages(None, BOARD):
            if note.workshop_id is not None:
                self._watch(note).stale.set()

    async def stop(self) -> None:
        for board in self._boards.values():
            if board.task is not None:
                board.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await board.task
        self._boards.clear()

    async def until_stopped(self, workshop_id: int) -> None:
        """Wait until the board of a workshop stops (it was deleted, or its workshop)."""
        board = self._boards.get(workshop_id)
        if board is not None and board.task is not None:
            await asyncio.wait({board.task})

    def edits(self, workshop_id: int) -> int:
        board = self._boards.get(workshop_id)
        return board.edits if board else 0

    # --- a new board ------------------------------------------------------------------------

    async def post(self, channel: discord.abc.Messageable, workshop: WorkshopRow) -> int:
        """Post a board for ``workshop`` in ``channel`` (replacing any earlier board of it);
        returns its message id."""
        message = await outgoing.send(channel, **await self._content(workshop))
        note = await self.bot.engine.db.remember_message(
            guild_id=workshop.guild_id, kind=BOARD, channel_id=message.channel.id,
            message_id=message.id, workshop_id=workshop.id, replace=True,
        )
        old = self._boards.pop(workshop.id, None)
        if old is not None and old.task is not None:
            old.task.cancel()
        self._watch(note)
        return message.id

    def _watch(self, note: BotMessage) -> _Board:
        assert note.workshop_id is not None
        board = _Board(note)
        self._boards[note.workshop_id] = board
        board.task = asyncio.create_task(self._keep_up(board),
                                         name=f"workshop-board-{note.workshop_id}")
        return board

    # --- keeping it up to date ----------------------------------------------------------------

    def _on_event(self, event: ev.Event) -> None:
        session = getattr(event, "session", None)
        if session is not None:
            board = self._boards.get(session.workshop_id)
            if board is not None:
                board.stale.set()
        elif isinstance(event, ev.AnswersErased):
            for board in self._boards.values():
                if board.note.guild_id == event.guild_id:
                    board.stale.set()

    async def _keep_up(self, board: _Board) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await board.stale.wait()
            board.stale.clear()
            started = loop.time()
            try:
                if not await self._edit(board):
                    return
            except Exception:  # keep the board alive: try again at the next change
                log.exception("could not update the board of workshop %s",
                              board.note.workshop_id)
            await asyncio.sleep(max(0.0, self.interval - (loop.time() - started)))

    async def _edit(self, board: _Board) -> bool:
        """Edit the board to the workshop's state now; False when the board is gone."""
        engine = self.bot.engine
        note = board.note
        workshop = await engine.db.workshop_by_id(note.guild_id, note.workshop_id or 0)
        if workshop is None:
            await self._forget(board)
            return False
        try:
            await outgoing.edit(self.bot, note.channel_id, note.message_id,
                                **await self._content(workshop))
        except discord.NotFound:  # deleted in Discord (or its channel): forget it
            log.info("the board of workshop %s was deleted; no longer updating it",
                     note.workshop_id)
            await self._forget(board)
            return False
        board.edits += 1
        return True

    async def _forget(self, board: _Board) -> None:
        if self._boards.get(board.note.workshop_id or 0) is board:
            del self._boards[board.note.workshop_id or 0]
        with contextlib.suppress(StorageError):
            await self.bot.engine.db.forget_message(board.note.message_id)

    async def _content(self, workshop: WorkshopRow) -> dict[str, object]:
        engine = self.bot.engine
        try:
            _, statuses = await engine.workshop_status(workshop.guild_id, workshop.name)
        except WorkshopError:
            statuses = []
        timers = {s.session.id: engine.timer_of(s.session.id) for s in statuses}
        return {"embeds": render.board_embeds(workshop, statuses, timers,
                                              engine.clock.now())}
