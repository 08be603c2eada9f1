"""``/session chain``: the theory-of-change chain a group has made so far (its agreed answers
in group mode), or in individual mode the chain of the person asking (their own answers).
See :mod:`bot.synthesis` for how a row and its gaps are worked out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.engine.errors import NoLiveSession, NotFound
from bot.models import PromptSet
from bot.storage import SessionRow
from bot.synthesis import ChainRow, chain_row

if TYPE_CHECKING:
    from bot.engine.engine import Engine


@dataclass(frozen=True, slots=True)
class OwnChain:
    session: SessionRow
    pset: PromptSet
    row: ChainRow


class ChainRun:
    async def own_chain(self: Engine, guild_id: int, channel_id: int, user_id: int,
                        display_name: str) -> OwnChain:
        """The chain of the session running (or last run) in a channel: the group's, in
        group mode; ``user_id``'s own otherwise."""
        session = await self.latest_session(guild_id, channel_id)
        if session is None:
            raise NoLiveSession("No session has run in this channel yet, so there is no chain "
                                "to show.")
        pset = self.prompt_set(session.prompt_set)
        if pset.chain is None:
            raise NotFound(f"The prompt set of this session ({pset.title}) declares no "
                           "theory-of-change chain; `key-questions` and `key-questions-group` "
                           "do.")
        if session.group_mode:
            answers = await self.db.group_answers(guild_id, session.id)
            label = session.group_name
        else:
            answers = [a for a in await self.db.answers_of_user(guild_id, user_id)
                       if a.session_id == session.id and a.user_id == user_id]
            label = display_name
        row = chain_row(pset, label, {a.prompt_id: a.fields for a in answers})
        return OwnChain(session, pset, row)
