"""Participants: the answer form (from a card's **Answer** button or `/answer`), their own
answers, and erasing them."""

from __future__ import annotations

import io
import logging
import re
from collections import OrderedDict
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui import render
from bot.discord_ui.cards import ANSWER_TEMPLATE, FORGET_TEMPLATE, SUBMIT_TEMPLATE, frozen_view
from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import guarded, guild_id_of, in_time, respond, workshop_bot
from bot.engine import (
    AnsweringClosed,
    Engine,
    InvalidAnswer,
    NoLiveSession,
    NotFound,
    WorkshopError,
)
from bot.models import Prompt
from bot.storage import SessionRow, SessionStatus

log = logging.getLogger(__name__)

MODAL_TITLE = 45


def answer_modal(
    session: SessionRow, prompt: Prompt, previous: dict[str, str] | None
) -> discord.ui.Modal:
    """The form for one prompt: one text input per field, pre-filled with an earlier answer.
    It is stopped before sending, so discord.py keeps no copy: the submission is handled by
    :meth:`Answering.on_interaction` from its custom id, which also works after a restart."""
    modal = discord.ui.Modal(
        title=render.clip(f"{prompt.number}. {prompt.title}", MODAL_TITLE),
        custom_id=f"wb:submit:{session.id}:{prompt.id}",
        timeout=None,
    )
    for f in prompt.fields:
        modal.add_item(discord.ui.TextInput(
            label=f.label,
            custom_id=f.id,
            style=discord.TextStyle.paragraph if f.style == "paragraph"
            else discord.TextStyle.short,
            required=f.required,
            max_length=f.max_length,
            min_length=f.min_length or None,
            placeholder=f.placeholder,
            # an earlier answer longer than a since-lowered limit would make Discord refuse
            default=((previous or {}).get(f.id) or "")[: f.max_length] or None,
        ))
    modal.stop()
    return modal


def submitted_values(data: dict[str, Any]) -> dict[str, str]:
    """Field values of a modal submission: action rows (type 1) or labels (type 18) holding
    text inputs (type 4)."""
    values: dict[str, str] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for c in components:
            if c.get("type") == 4 and "custom_id" in c:
                values[c["custom_id"]] = c.get("value") or ""
            if "components" in c:
                walk(c["components"])
            if "component" in c:
                walk([c["component"]])

    walk(data.get("components", []))
    return values


def closed_message(session: SessionRow) -> str | None:
    if session.status is SessionStatus.PAUSED:
        return "Answering is paused by the facilitator. Try again once it resumes."
    if session.status is SessionStatus.CLOSED:
        return "This session is closed, so answers can no longer be changed."
    return None


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=ANSWER_TEMPLATE):
    def __init__(self, session_id: int, prompt_id: str) -> None:
        super().__init__(discord.ui.Button(
            label="Answer", style=discord.ButtonStyle.primary, emoji="✍️",
            custom_id=f"wb:answer:{session_id}:{prompt_id}",
        ))
        self.session_id = session_id
        self.prompt_id = prompt_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AnswerButton:
        return cls(int(match["sid"]), match["pid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await open_form(self.session_id, self.prompt_id, interaction)


@guarded
async def open_form(session_id: int, prompt_id: str, interaction: discord.Interaction) -> None:
    """Open the answer form at once, from memory only (no database work before the modal)."""
    engine = workshop_bot(interaction).engine
    guild_id = guild_id_of(interaction)
    session = engine.peek_session(guild_id, session_id)
    if session is None:
        raise NotFound("This session is closed, so answers can no longer be changed.")
    prompt = engine.prompt(session, prompt_id)
    problem = closed_message(session)
    if problem is None and session.pace == "facilitator" and \
            prompt.number != session.current_prompt:
        problem = (
            f"The group has moved on to prompt {session.current_prompt}; prompt "
            f"{prompt.number} is closed. Use the latest card, or `/answer`."
        )
    if problem:
        raise WorkshopError(problem)
    previous = engine.peek_answer(session.id, prompt.id, interaction.user.id)
    await interaction.response.send_modal(answer_modal(session, prompt, previous))


class ForgetButton(discord.ui.DynamicItem[discord.ui.Button], template=FORGET_TEMPLATE):
    def __init__(self, user_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Yes, erase my answers", style=discord.ButtonStyle.danger,
            custom_id=f"wb:forget:{user_id}",
        ))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ForgetButton:
        return cls(int(match["uid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await erase(self.user_id, interaction)


@guarded
async def erase(user_id: int, interaction: discord.Interaction) -> None:
    guild_id = guild_id_of(interaction)
    if interaction.user.id != user_id:
        raise WorkshopError("This button erases someone else's answers, so it is not for you.")
    count = await in_time(interaction, workshop_bot(interaction).engine.forget(guild_id, user_id))
    text = (f"Erased {count} answer{'s' if count != 1 else ''} of yours in this server. They "
            "will not appear in any later export.") if count else \
        "You had no answers stored in this server."
    if interaction.response.is_done():
        await interaction.edit_original_response(content=text, view=None)
    else:
        await interaction.response.edit_message(content=text, view=None)


class Answering(commands.Cog):
    RECENT = 4096  # interaction ids remembered to drop a re-delivered submission

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot
        self._recent: OrderedDict[int, None] = OrderedDict()

    @property
    def engine(self) -> Engine:
        return self.bot.engine

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnswerButton, ForgetButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AnswerButton, ForgetButton)

    # --- the form ---------------------------------------------------------------------------

    @app_commands.command(name="answer", description="Answer the live prompt in this channel")
    @app_commands.describe(prompt="Which prompt (self-paced sessions; default: the live one)")
    @app_commands.guild_only()
    async def answer(self, interaction: discord.Interaction, prompt: str | None = None) -> None:
        guild_id = guild_id_of(interaction)
        session = self.engine.peek_live(guild_id, interaction.channel_id)
        if session is None:
            raise NoLiveSession(
                "There is no session running in this channel. Answer in the channel where "
                "your group's session runs."
            )
        live = self.engine.live_prompt(session)
        chosen = live
        if prompt:
            pset = self.engine.prompt_set(session.prompt_set)
            found = pset.prompt_by_id(prompt) or (
                pset.prompt_by_number(int(prompt)) if prompt.isdigit() else None
            )
            if found is None:
                raise NotFound(f"This session has no prompt '{render.safe(prompt, 60)}'.")
            chosen = found
        await open_form(session.id, chosen.id, interaction)

    @answer.autocomplete("prompt")
    async def _prompt_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        session = self.engine.peek_live(interaction.guild_id, interaction.channel_id)
        if session is None:
            return []
        prompts = self.engine.prompt_set(session.prompt_set).prompts
        if session.pace == "facilitator":
            prompts = (self.engine.live_prompt(session),)
        needle = current.lower()
        return [
            app_commands.Choice(name=render.clip(f"{p.number}. {p.title}", 100), value=p.id)
            for p in prompts if needle in p.title.lower() or needle in p.id
        ][:25]

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        match = SUBMIT_TEMPLATE.fullmatch((interaction.data or {}).get("custom_id", ""))
        if not match:
            return
        if interaction.id in self._recent:  # delivered again (e.g. after a gateway resume)
            log.info("ignoring a repeated delivery of interaction %s", interaction.id)
            return
        self._recent[interaction.id] = None
        if len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)
        await self.submit(int(match["sid"]), match["pid"], interaction)

    @guarded
    async def submit(
        self, session_id: int, prompt_id: str, interaction: discord.Interaction
    ) -> None:
        guild_id = guild_id_of(interaction)
        values = submitted_values(interaction.data or {})  # type: ignore[arg-type]
        try:
            sub = await in_time(interaction, self.engine.submit(
                guild_id, session_id, prompt_id, user_id=interaction.user.id,
                display_name=interaction.user.display_name, values=values,
                interaction_id=interaction.id,
            ))
        except (AnsweringClosed, InvalidAnswer, NotFound) as exc:
            await self._not_saved(interaction, exc.message, session_id, prompt_id, values)
            return
        session = self.engine.peek_session(guild_id, session_id)
        prompt = self.engine.prompt(session, prompt_id) if session else None
        what = f"prompt {prompt.number} ({prompt.title})" if prompt else "this prompt"
        if sub.replayed:
            text = f"✅ Your answer to {what} was already saved."
        elif sub.created:
            text = (f"✅ Saved your answer to {what}. Press **Answer** again any time to edit "
                    "it, or use `/my-answers` to see it.")
        else:
            text = f"✅ Updated your answer to {what}."
        if sub.first_in_guild:
            text += f"\n\n🔒 **Privacy:** {self.bot.settings.privacy_notice}"
        await respond(interaction, render.clip(text, render.MESSAGE_CONTENT))

    async def _not_saved(
        self, interaction: discord.Interaction, reason: str, session_id: int, prompt_id: str,
        values: dict[str, str],
    ) -> None:
        """Tell the person why, and give back what they typed so nothing is lost."""
        session = self.engine.peek_session(interaction.guild_id or 0, session_id)
        pset = self.bot.library.prompt_sets.get(session.prompt_set) if session else None
        prompt = pset.prompt_by_id(prompt_id) if pset else None
        header = f"⚠️ {reason}\nHere is what you typed, so nothing is lost:"
        body = render.answer_text(prompt, values, 10_000)
        if len(header) + 2 + len(body) <= render.MESSAGE_CONTENT:
            await respond(interaction, f"{header}\n\n{body}")
            return
        plain = "\n\n".join(
            f"{(prompt.field_by_id(k).label if prompt and prompt.field_by_id(k) else k)}:\n{v}"
            for k, v in values.items()
        )
        await respond(
            interaction, header + " (attached as a text file)",
            file=discord.File(io.BytesIO(plain.encode("utf-8")), filename="your-answer.txt"),
        )

    # --- own data ---------------------------------------------------------------------------

    @app_commands.command(name="my-answers", description="See your own answers in this server")
    @app_commands.guild_only()
    async def my_answers(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)

        async def load() -> tuple[list[Any], dict[int, SessionRow]]:
            answers = await self.engine.my_answers(guild_id, interaction.user.id)
            sessions = {s.id: s for s in await self.engine.sessions(guild_id)}
            return answers, sessions

        answers, sessions = await in_time(interaction, load())
        if not answers:
            await respond(interaction, "You have no answers stored in this server.")
            return
        embeds = render.my_answers_embeds(self.bot.library, answers, sessions)
        more = len(answers) - len(embeds)
        note = f"Your {len(answers)} answer{'s' if len(answers) != 1 else ''} in this server"
        note += f" (the first {len(embeds)} shown)." if more else "."
        await respond(interaction, note, embeds=embeds)

    @app_commands.command(name="forget-me", description="Erase all your answers in this server")
    @app_commands.guild_only()
    async def forget_me(self, interaction: discord.Interaction) -> None:
        guild_id_of(interaction)
        await respond(
            interaction,
            "This erases **every answer you gave in this server**, in every session, and they "
            "will not appear in later exports. Files already exported by facilitators are not "
            "changed. Are you sure?",
            view=frozen_view(ForgetButton(interaction.user.id)),
        )


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Answering(bot))
