"""Gallery walks, comments and dot-votes in Discord: the cards (one message per answer shown,
with **Comment**, **Add a dot** and **Remove a dot**), the comment form, posting a round, a vote
or its results in every group's channel, and editing cards whose answer was edited or
erased.

The engine decides who sees what (bot/engine/gallery.py: :class:`~bot.engine.gallery.Shown`
carries no user id, and a name only where the workshop allows names); this module renders it,
with every piece of people's text escaped and no pings. Cards are remembered with the answer
they show (kind :data:`GALLERY` or :data:`RESULT`), so they can be edited by channel and
message id when an author edits or erases their answers.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.discord_ui import forms, ids, outgoing, render
from bot.discord_ui.choices import choices
from bot.discord_ui.items import IdButton, frozen_view
from bot.discord_ui.respond import (
    guarded,
    guild_id_of,
    in_time,
    is_facilitator,
    respond,
    workshop_bot,
)
from bot.engine import Engine, WorkshopError
from bot.engine.gallery import (
    MAX_COMMENT,
    NAMES,
    CardChange,
    GalleryCardsChanged,
    GalleryWalkStep,
    Shown,
    ShownComment,
    View,
    VoteClose,
    VoteStart,
    WalkStep,
)
from bot.models import Library
from bot.rules import clean_name
from bot.storage import (
    CommentOutcome,
    DotOutcome,
    DotResult,
    SessionRow,
    StorageError,
    StorageUnavailable,
)

if TYPE_CHECKING:
    from bot.discord_ui.client import WorkshopBot

log = logging.getLogger(__name__)

GALLERY = "gallery"  # kinds in the bot's message register: a card showing another group's
RESULT = "gallery-result"  # answer; a card in a vote's results
COMMENT_INPUT = "comment"
ANSWER_LIMIT = 3500  # characters of an answer on a card (the export has it whole)


# --- cards -------------------------------------------------------------------------------------


def _title(shown: Shown) -> str:
    return f"{render.safe(shown.group.group_name)} · {render.safe(shown.label)}"


def _body(shown: Shown, library: Library | None) -> str:
    text = render.answer_text(shown.prompt, shown.fields, ANSWER_LIMIT, library)
    if text.endswith("…"):
        text += "\n*(shortened here; the facilitators' export has it whole)*"
    return text


def card_kwargs(shown: Shown, viewer_session_id: int, library: Library | None = None
                ) -> dict[str, Any]:
    """A gallery card: one answer, as the group ``viewer_session_id`` reads it, with its
    buttons."""
    embed = discord.Embed(title=_title(shown), description=_body(shown, library),
                          colour=render.COLOUR)
    embed.set_footer(text=f"Prompt {shown.prompt.number}: {shown.prompt.title}")
    values = {"aid": shown.answer_id, "sid": viewer_session_id}
    return {"embed": embed, "view": frozen_view(
        CommentButton(**values), AddDotButton(**values), RemoveDotButton(**values))}


def result_kwargs(shown: Shown, dots: int, rank: int | None = None,
                  library: Library | None = None) -> dict[str, Any]:
    """An answer among a vote's results, with its dots."""
    head = f"{rank}. " if rank else ""
    embed = discord.Embed(title=head + _title(shown), description=_body(shown, library),
                          colour=render.COLOUR_DONE)
    embed.add_field(name="Dots", value=f"🟢 **{dots}**", inline=False)
    embed.set_footer(text=f"Prompt {shown.prompt.number}: {shown.prompt.title}")
    return {"embed": embed}


def withdrawn_kwargs() -> dict[str, Any]:
    embed = discord.Embed(description="*This answer was withdrawn by its author.*",
                          colour=render.COLOUR_WARN)
    return {"embed": embed, "view": None}


class CommentButton(IdButton, template=ids.COMMENT.template):
    custom = ids.COMMENT
    label = "Comment"
    emoji = "💬"

    async def callback(self, interaction: discord.Interaction) -> None:
        await open_comment_form(self.values["aid"], self.values["sid"], interaction)


class AddDotButton(IdButton, template=ids.DOT_ADD.template):
    custom = ids.DOT_ADD
    label = "Add a dot"
    style = discord.ButtonStyle.success
    emoji = "🟢"

    async def callback(self, interaction: discord.Interaction) -> None:
        await click_dot(self.values["aid"], self.values["sid"], True, interaction)


class RemoveDotButton(IdButton, template=ids.DOT_REMOVE.template):
    custom = ids.DOT_REMOVE
    label = "Remove a dot"
    emoji = "↩️"

    async def callback(self, interaction: discord.Interaction) -> None:
        await click_dot(self.values["aid"], self.values["sid"], False, interaction)


#: the gallery's items, for the bot to register (``add_dynamic_items``)
ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    CommentButton, AddDotButton, RemoveDotButton,
)


# --- comments --------------------------------------------------------------------------------


@guarded
async def open_comment_form(answer_id: int, session_id: int,
                            interaction: discord.Interaction) -> None:
    """The comment form, at once (nothing is read before it opens)."""
    modal = discord.ui.Modal(title="Comment on this answer", timeout=None,
                             custom_id=ids.COMMENT_FORM.make(aid=answer_id, sid=session_id))
    modal.add_item(discord.ui.TextInput(
        label="Your comment", custom_id=COMMENT_INPUT, style=discord.TextStyle.paragraph,
        max_length=MAX_COMMENT, required=True,
        placeholder="What stood out, a question, a suggestion… The group reads it after "
                    "the walk.",
    ))
    modal.stop()
    await interaction.response.send_modal(modal)


async def handle_modal(interaction: discord.Interaction) -> bool:
    """Handle ``interaction`` if it submits a comment form; False when it is something else."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return False
    parsed = ids.COMMENT_FORM.parse((interaction.data or {}).get("custom_id", ""))
    if parsed is None:
        return False
    await submit_comment(int(parsed["aid"]), int(parsed["sid"]), interaction)
    return True


@guarded
async def submit_comment(answer_id: int, session_id: int,
                         interaction: discord.Interaction) -> None:
    engine = workshop_bot(interaction).engine
    text = forms.submitted_values(interaction.data or {}).get(COMMENT_INPUT, "")  # type: ignore[arg-type]
    try:
        result = await in_time(interaction, engine.comment(
            guild_id_of(interaction), answer_id, from_session_id=session_id,
            user_id=interaction.user.id, display_name=interaction.user.display_name,
            text=text, interaction_id=interaction.id,
        ))
    except WorkshopError as exc:
        await _comment_not_saved(interaction, exc.message, text)
        return
    except StorageError as exc:
        reason = "the bot's database is unavailable" if isinstance(exc, StorageUnavailable) \
            else "something went wrong on our side"
        if not isinstance(exc, StorageUnavailable):
            log.exception("saving a comment failed (interaction %s)", interaction.id)
        await _comment_not_saved(interaction, f"Your comment was **not saved**: {reason}.",
                                 text)
        return
    if result.outcome is CommentOutcome.REPLAYED:
        await respond(interaction, "💬 Your comment was already saved.")
        return
    named = await engine.comment_shows_name(guild_id_of(interaction), session_id)
    await respond(interaction, "💬 Comment saved. The group reads it when the gallery walk "
                  "ends, with the name of your group" + (" and yours." if named else
                                                          ", not yours."))


async def _comment_not_saved(interaction: discord.Interaction, reason: str, text: str) -> None:
    if "not saved" not in reason:
        reason = f"Your comment was **not saved**. {reason}"
    header = f"⚠️ {reason}"
    if text.strip():
        header += "\nHere is what you wrote, so nothing is lost:"
        body = render.safe(text)
        if len(header) + 2 + len(body) <= render.MESSAGE_CONTENT:
            await respond(interaction, f"{header}\n\n{body}")
            return
        await respond(interaction, header + " (attached as a text file)",
                      file=discord.File(io.BytesIO(text.encode("utf-8")),
                                        filename="your-comment.txt"))
        return
    await respond(interaction, header)


def comments_text(session: SessionRow, comments: Sequence[ShownComment]) -> str:
    """Comments other groups left, as the answering group reads them (names only when the
    engine gave them)."""
    if not comments:
        return (f"No other group has commented on the answers of "
                f"**{render.safe(session.group_name)}**.")
    lines = [f"💬 **{len(comments)} comment{'s' if len(comments) != 1 else ''}** from other "
             f"groups on the answers of **{render.safe(session.group_name)}**:"]
    prompt: tuple[int | None, str] | None = None
    for c in comments:
        if (c.prompt_number, c.prompt_title) != prompt:
            prompt = (c.prompt_number, c.prompt_title)
            number = f"Prompt {c.prompt_number}: " if c.prompt_number else ""
            lines.append(f"\n__{number}{render.safe(c.prompt_title)}__")
        source = render.safe(c.group) if c.group else "a group no longer in the workshop"
        if c.name:
            source += f" ({render.safe(c.name)})"
        on = f" “{render.safe(render.clip(c.on, 80))}”" if c.on else ""
        lines.append(f"• On {render.safe(c.answer_label)}{on}, from **{source}**:\n"
                     f"> {render.safe(c.text).replace(chr(10), chr(10) + '> ')}")
    return "\n".join(lines)


async def show_comments(interaction: discord.Interaction) -> None:
    """`/session comments`: the comments on this channel's group's answers, for the people
    who answered in it (in individual mode, each their own) and facilitators."""
    bot = workshop_bot(interaction)
    guild_id = guild_id_of(interaction)
    session, comments = await in_time(interaction, bot.engine.session_comments(
        guild_id, interaction.channel_id or 0, interaction.user.id,
        is_facilitator(interaction)))
    text = comments_text(session, comments)
    if len(text) <= render.EMBED_DESCRIPTION:
        await respond(interaction, embed=discord.Embed(description=text, colour=render.COLOUR))
        return
    first = render.clip(text, render.EMBED_DESCRIPTION - 80)
    await respond(interaction, embed=discord.Embed(description=first, colour=render.COLOUR),
                  content="Every comment is in the attached file.",
                  file=discord.File(io.BytesIO(text.encode("utf-8")), filename="comments.md"))


# --- dots ----------------------------------------------------------------------------------


def dot_text(result: DotResult) -> str:
    """The reply to a vote click (only the person sees it)."""
    left = (f"You have **{result.left} of {result.dots}** dot{'s' if result.dots != 1 else ''}"
            " left")
    on = f" ({result.on_answer} on this answer)" if result.on_answer else ""
    return {
        DotOutcome.ADDED: f"🟢 Dot placed. {left}{on}.",
        DotOutcome.REMOVED: f"↩️ Dot taken back. {left}{on}.",
        DotOutcome.REPLAYED: f"That click was already counted. {left}{on}.",
        DotOutcome.NO_VOTE: "No vote is open on this prompt right now, so no dot was placed. "
                            "A facilitator opens one with `/workshop vote start`.",
        DotOutcome.NO_ANSWER: "This answer is no longer stored (its author withdrew it), so "
                              "it takes no dots.",
        DotOutcome.OWN_GROUP: f"That is your own group's answer: dots go to other groups' "
                              f"answers. {left}.",
        DotOutcome.NO_DOTS_LEFT: f"You have placed all your {result.dots} dots, so no dot was "
                                 "placed. Press **Remove a dot** on an answer you dotted to "
                                 "take one back.",
        DotOutcome.NONE_TO_REMOVE: f"You have no dot on this answer to take back. {left}.",
    }[result.outcome]


@guarded
async def click_dot(answer_id: int, session_id: int, add: bool,
                    interaction: discord.Interaction) -> None:
    engine = workshop_bot(interaction).engine
    result = await in_time(interaction, engine.dot(
        guild_id_of(interaction), answer_id, viewer_session_id=session_id,
        user_id=interaction.user.id, add=add, interaction_id=interaction.id,
    ))
    await respond(interaction, dot_text(result))


# --- posting in the groups' channels ---------------------------------------------------------


async def _remember(engine: Engine, viewer: SessionRow, message_id: int, answer_id: int,
                    kind: str) -> None:
    try:
        await engine.db.remember_message(
            guild_id=viewer.guild_id, kind=kind, channel_id=viewer.channel_id,
            message_id=message_id, session_id=viewer.id, workshop_id=viewer.workshop_id,
            answer_id=answer_id,
        )
    except StorageError as exc:  # the card is posted; it just cannot be edited later
        log.warning("could not note a gallery card of session %s: %s", viewer.id, exc)


async def _post_view(bot: discord.Client, engine: Engine, view: View, heading: str,
                     skip: frozenset[int] = frozenset()) -> None:
    channel = bot.get_partial_messageable(view.viewer.channel_id)
    await outgoing.send(channel, heading)
    for shown in view.answers:
        if shown.answer_id in skip:
            continue
        message = await outgoing.send(channel, **card_kwargs(shown, view.viewer.id,
                                                                   engine.library))
        await _remember(engine, view.viewer, message.id, shown.answer_id, GALLERY)


async def _each(sessions: Sequence[SessionRow],
                post: Callable[[SessionRow], Awaitable[object]]) -> dict[int, str]:
    """Run ``post(session)`` for every group at once (each channel has its own rate limit);
    returns the groups whose channel could not be posted in, with why."""
    problems: dict[int, str] = {}

    async def one(session: SessionRow) -> None:
        try:
            await post(session)
        except discord.HTTPException as exc:
            log.warning("could not post in the channel of session %s: %s", session.id, exc)
            problems[session.id] = exc.text or str(exc.status)

    await asyncio.gather(*(one(s) for s in sessions))
    return problems


def _prompt_name(number: int, title: str) -> str:
    return f"prompt {number} ({render.safe(title)})"


def _round_heading(step: WalkStep, view: View, now: datetime) -> str:
    shown = view.groups[0]
    walk = step.walk
    names = bool(step.workshop.settings.get(NAMES)) and not view.viewer.anonymous
    text = (f"🖼️ **Gallery walk**, round {walk.round} of {walk.rounds}: here "
            f"{'are' if len(view.answers) != 1 else 'is'} **{render.safe(shown.group_name)}**"
            f"'s answer{'s' if len(view.answers) != 1 else ''} to "
            f"{_prompt_name(step.prompt.number, step.prompt.title)}. Read "
            f"{'them' if len(view.answers) != 1 else 'it'} and press **Comment** to leave a "
            "note: they read it after the walk, with the name of your group"
            f"{' and yours' if names else ', not yours'}.")
    if not view.answers:
        text = (f"🖼️ **Gallery walk**, round {walk.round} of {walk.rounds}: "
                f"**{render.safe(shown.group_name)}** has no answer to "
                f"{_prompt_name(step.prompt.number, step.prompt.title)} to show.")
    if walk.rotate_minutes:
        when = render.timestamp((now + timedelta(minutes=walk.rotate_minutes)).isoformat())
        text += (f" The walk ends {when}." if walk.round >= walk.rounds else
                 f" Every group moves on to the next {when}.")
    else:
        text += " The facilitator moves every group on."
    return text


ENDED = ("🖼️ **The gallery walk is over.** Comments other groups left on this group's "
         "answers can now be read with `/session comments` (by the people who answered here).")


async def post_step(bot: discord.Client, engine: Engine, step: WalkStep) -> dict[int, str]:
    """Show a walk's round (or its end) in every group's channel; returns the groups whose
    channel could not be posted in."""
    if step.ended:
        return await _each(step.groups, lambda s: outgoing.send(
            bot.get_partial_messageable(s.channel_id), ENDED))
    views = {v.viewer.id: v for v in step.views}
    now = engine.clock.now()
    return await _each([v.viewer for v in step.views], lambda s: _post_view(
        bot, engine, views[s.id], _round_heading(step, views[s.id], now)))


def step_summary(step: WalkStep, problems: dict[int, str]) -> str:
    """The facilitator's reply after a walk started, moved on or ended."""
    name = render.safe(step.workshop.name)
    if step.ended:
        text = (f"🖼️ The gallery walk of **{name}** is over ({len(step.groups)} groups). "
                "Each group can now read the comments on its answers with `/session comments`.")
    else:
        pairs = "\n".join(f"• {render.safe(v.viewer.group_name)} reads "
                          f"{render.safe(v.groups[0].group_name)} ({len(v.answers)} "
                          f"answer{'s' if len(v.answers) != 1 else ''})" for v in step.views)
        text = (f"🖼️ Gallery walk of **{name}**, round {step.walk.round} of "
                f"{step.walk.rounds}, on "
                f"{_prompt_name(step.prompt.number, step.prompt.title)}:\n{pairs}\n")
        text += ("Next: `/workshop gallery rotate`"
                 + (f", or it moves on by itself every {step.walk.rotate_minutes} minutes."
                    if step.walk.rotate_minutes else "."))
    for sid, why in problems.items():
        group = next((g for g in step.groups if g.id == sid), None)
        text += (f"\n⚠️ {render.safe(group.group_name) if group else sid}: its channel could "
                 f"not be posted in ({render.safe(why)}).")
    return text


async def post_vote(bot: discord.Client, engine: Engine, start: VoteStart) -> dict[int, str]:
    """Open a vote in every group's channel: a heading, then a card for each other group's
    answer the channel has not been shown yet (the walk's cards take dots too)."""

    async def post(viewer: SessionRow) -> None:
        view = views[viewer.id]
        shown = frozenset(n.answer_id for n in await engine.db.messages(
            viewer.guild_id, GALLERY, session_id=viewer.id) if n.answer_id is not None)
        reused = [a for a in view.answers if a.answer_id in shown]
        heading = (f"🗳️ **Dot-voting is open** on "
                   f"{_prompt_name(start.prompt.number, start.prompt.title)}: you have "
                   f"**{start.vote.dots} dot{'s' if start.vote.dots != 1 else ''}**. Press "
                   "**Add a dot** on the answers you find strongest (several on one answer "
                   "if you like); **Remove a dot** takes one back. Dots go to other groups' "
                   "answers only; the counts stay hidden until the facilitator closes the "
                   "vote.")
        if reused:
            heading += (f" The gallery walk's cards above take dots too ({len(reused)} "
                        f"answer{'s' if len(reused) != 1 else ''}).")
        await _post_view(bot, engine, view, heading, shown)

    views = {v.viewer.id: v for v in start.views}
    return await _each([v.viewer for v in start.views], post)


def vote_summary(start: VoteStart, problems: dict[int, str]) -> str:
    shown = sum(len(v.answers) for v in start.views)
    text = (f"🗳️ Vote open in **{render.safe(start.workshop.name)}** on "
            f"{_prompt_name(start.prompt.number, start.prompt.title)}: {start.vote.dots} "
            f"dot{'s' if start.vote.dots != 1 else ''} each; {len(start.views)} groups are "
            f"shown {shown} answers in all (cards the gallery walk posted take dots too, so "
            "they are not posted again). Close it with `/workshop vote close` to post the "
            "results.")
    for sid, why in problems.items():
        group = next((v.viewer for v in start.views if v.viewer.id == sid), None)
        text += (f"\n⚠️ {render.safe(group.group_name) if group else sid}: its channel could "
                 f"not be posted in ({render.safe(why)}).")
    return text


def _results_heading(closed: VoteClose, index: int) -> str:
    result = closed.results[index]
    head = (f"🏆 **Vote results** for "
            f"{_prompt_name(result.prompt.number, result.prompt.title)}: {result.dots} "
            f"dot{'s' if result.dots != 1 else ''} from {result.voters} "
            f"{'person' if result.voters == 1 else 'people'}.")
    if not result.top:
        return head + " No answer received a dot."
    return head + " The most dotted answers:"


async def post_results(bot: discord.Client, engine: Engine, closed: VoteClose
                       ) -> dict[int, str]:
    """Post each prompt's results in every group's channel: a heading, then the top answers
    as cards with their dots (remembered, so an erasure can withdraw them)."""

    async def post(viewer: SessionRow) -> None:
        channel = bot.get_partial_messageable(viewer.channel_id)
        for index, result in enumerate(closed.results):
            await outgoing.send(channel, _results_heading(closed, index))
            for rank, (shown, dots) in enumerate(result.top, start=1):
                message = await outgoing.send(channel, **result_kwargs(shown, dots, rank,
                                                                         engine.library))
                await _remember(engine, viewer, message.id, shown.answer_id, RESULT)

    return await _each(closed.groups, post)


def results_summary(closed: VoteClose, problems: dict[int, str]) -> str:
    lines = [f"🏆 Closed the vote{'s' if len(closed.results) != 1 else ''} of "
             f"**{render.safe(closed.workshop.name)}**; the results are posted in "
             f"{len(closed.groups)} groups' channels."]
    for result in closed.results:
        lines.append(f"\n__{_prompt_name(result.prompt.number, result.prompt.title)}__: "
                     f"{result.dots} dots from {result.voters} people")
        for rank, (shown, dots) in enumerate(result.top, start=1):
            lines.append(f"{rank}. {_title(shown)}: {dots} dot{'s' if dots != 1 else ''}")
    for sid, why in problems.items():
        group = next((g for g in closed.groups if g.id == sid), None)
        lines.append(f"⚠️ {render.safe(group.group_name) if group else sid}: its channel "
                     f"could not be posted in ({render.safe(why)}).")
    return "\n".join(lines)


# --- what the engine says happened ---------------------------------------------------------


class GalleryEvents:
    """Posts what nobody's command shows: a round or the end of a walk moved on by its
    timer; and edits the cards of answers their authors edited or erased."""

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        events = bot.engine.events
        self._unsubscribe = [
            events.subscribe(GalleryWalkStep, self.on_step),
            events.subscribe(GalleryCardsChanged, self.on_cards_changed),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    async def on_step(self, event: GalleryWalkStep) -> None:
        if event.cause == "timer":
            await post_step(self.bot, self.bot.engine, event.step)

    async def on_cards_changed(self, event: GalleryCardsChanged) -> None:
        # all at once (each channel has its own rate limit): the person whose edit or erasure
        # caused this is answered once the cards are edited
        await asyncio.gather(*(self._edit(change) for change in event.changes))

    async def _edit(self, change: CardChange) -> None:
        note, db = change.note, self.bot.engine.db
        if change.shown is None:
            kwargs = withdrawn_kwargs()
        elif note.kind == RESULT:
            kwargs = result_kwargs(change.shown, change.dots,
                                   library=self.bot.engine.library)
        else:
            kwargs = card_kwargs(change.shown, note.session_id or 0, self.bot.engine.library)
        try:
            await outgoing.edit(self.bot, note.channel_id, note.message_id, **kwargs)
        except discord.NotFound:  # deleted in Discord meanwhile
            await db.forget_message(note.message_id)
            return
        except discord.HTTPException as exc:
            log.warning("could not edit a gallery card (message %s): %s", note.message_id, exc)
            return
        if change.shown is None:  # withdrawn: nothing left to keep up to date
            await db.forget_message(note.message_id)


# --- autocomplete -----------------------------------------------------------------------------


async def prompt_choices(interaction: discord.Interaction, current: str
                         ) -> list[app_commands.Choice[str]]:
    """The prompts of the workshop named in the ``workshop`` option (facilitators only)."""
    if interaction.guild_id is None or not is_facilitator(interaction):
        return []
    engine = workshop_bot(interaction).engine
    name = str(getattr(interaction.namespace, "workshop", "") or "")
    workshop = await engine.db.workshop(interaction.guild_id, clean_name(name))
    if workshop is None:
        return []
    prompts = {}
    for group in await engine.gallery_groups(workshop):
        pset = engine.library.prompt_sets.get(group.prompt_set)
        for p in pset.prompts if pset else ():
            prompts.setdefault(p.id, p)
    return choices(prompts.values(), current, name=lambda p: f"{p.number}. {p.title}",
                   value=lambda p: p.id, search=lambda p: (p.title, p.id, str(p.number)))
