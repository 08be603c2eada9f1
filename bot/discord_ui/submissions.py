"""A submitted answer form: save it, and say plainly whether it was saved.

When it was not (refused by the rules, invalid, the session gone, the database unavailable, or
anything else), the person gets back exactly what they typed: in the reply when it fits, as a
text file when it does not, and with a **Try again** button that reopens the form pre-filled
with it (from memory: no database read). Only a reply that says "saved" means it is on disk.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping

import discord

from bot.discord_ui import forms, ids, render
from bot.discord_ui.items import MergeButton, RetryButton, frozen_view
from bot.discord_ui.respond import guarded, guild_id_of, in_time, respond, workshop_bot
from bot.engine import EditConflict, WorkshopError
from bot.models import FieldValue, Library, Prompt
from bot.rules import Refusal
from bot.storage import SessionRow, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

UNAVAILABLE = {
    "full": "the bot's disk is full",
    "readonly": "the bot's database cannot be written",
    "locked": "the bot's database is busy",
    "io": "the bot's disk is failing",
}


async def handle(interaction: discord.Interaction) -> bool:
    """Handle ``interaction`` if it submits an answer form; False when it is something else."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return False
    custom_id = (interaction.data or {}).get("custom_id", "")
    parsed = ids.SUBMIT.parse(custom_id) or ids.GROUP_SUBMIT.parse(custom_id)
    if parsed is None:
        return False
    base = parsed.get("base")
    await submit(int(parsed["sid"]), str(parsed["pid"]),
                 int(base) if base is not None else None, interaction)
    return True


@guarded
async def submit(session_id: int, prompt_id: str, base_version: int | None,
                 interaction: discord.Interaction) -> None:
    """Save a form (``base_version``: a group answer's form, opened on that version)."""
    bot = workshop_bot(interaction)
    engine = bot.engine
    values = forms.submitted_values(interaction.data or {})  # type: ignore[arg-type]
    try:
        guild_id = guild_id_of(interaction)
        session = engine.peek_session(guild_id, session_id)
        if session is not None and interaction.channel_id != session.channel_id:
            raise WorkshopError("This form belongs to a session in another channel; answer "
                                "there, or use `/answer` where your group's session runs.")
        sub = await in_time(interaction, engine.submit(
            guild_id, session_id, prompt_id, user_id=interaction.user.id,
            display_name=interaction.user.display_name, values=values,
            interaction_id=interaction.id, base_version=base_version,
        ))
    except EditConflict as exc:
        await conflict(interaction, exc, session_id, prompt_id)
        return
    except WorkshopError as exc:
        await not_saved(interaction, exc.message, session_id, prompt_id, values, base_version)
        return
    except StorageUnavailable as exc:
        reason = UNAVAILABLE.get(exc.reason, "the bot's database is unavailable")
        await not_saved(interaction, f"Your answer was **not saved**: {reason}. The "
                        "facilitator has been told in the bot's log.", session_id, prompt_id,
                        values, base_version)
        return
    except Exception as exc:
        if not isinstance(exc, StorageError):
            log.exception("saving an answer failed (interaction %s)", interaction.id)
        await not_saved(interaction, "Your answer was **not saved**: something went wrong on "
                        "our side.", session_id, prompt_id, values, base_version)
        return
    session = engine.peek_session(guild_id, session_id)
    prompt = engine.prompt(session, prompt_id) if session else None
    what = f"prompt {prompt.number} ({prompt.title})" if prompt else "this prompt"
    if sub.replayed:
        text = f"✅ Your answer to {what} was already saved."
    elif sub.answer.is_group:
        text = (f"✅ Saved the group's answer to {what} (version {sub.answer.version}). "
                "Anyone in the group can press **Answer** to edit it.")
    elif sub.created:
        text = (f"✅ Saved your answer to {what}. Press **Answer** again any time to edit "
                "it, or use `/my-answers` to see it.")
    else:
        text = f"✅ Updated your answer to {what}."
    if sub.first_in_guild:
        text += f"\n\n🔒 **Privacy:** {bot.settings.privacy_notice}"
    await respond(interaction, text)


def _prompt_of(interaction: discord.Interaction, session_id: int, prompt_id: str
               ) -> tuple[SessionRow | None, Prompt | None]:
    bot = workshop_bot(interaction)
    session = bot.engine.peek_session(interaction.guild_id or 0, session_id)
    pset = bot.library.prompt_sets.get(session.prompt_set) if session else None
    return session, pset.prompt_by_id(prompt_id) if pset else None


async def conflict(interaction: discord.Interaction, exc: EditConflict, session_id: int,
                   prompt_id: str) -> None:
    """A group answer saved by someone else after the form opened: both texts back, and a
    button to edit the current version (merging is the person's call, not the bot's)."""
    _session, prompt = _prompt_of(interaction, session_id, prompt_id)
    header = (f"⚠️ {exc.message}\nBoth texts are below. Press **Edit the current version** to "
              "open the form on the group's answer as it is now, and merge in what you want "
              "to keep from yours.")
    view = frozen_view(MergeButton(sid=session_id, pid=prompt_id))
    library = workshop_bot(interaction).library
    yours = render.answer_text(prompt, exc.yours, 10_000, library)
    current = render.answer_text(prompt, exc.current, 10_000, library)
    body = f"**Yours (not saved):**\n{yours}\n\n**The group's answer now:**\n{current}"
    if len(header) + 2 + len(body) <= render.MESSAGE_CONTENT:
        await respond(interaction, f"{header}\n\n{body}", view=view)
        return
    plain = (f"YOURS (NOT SAVED)\n\n{_plain(prompt, exc.yours, library)}\n\n"
             f"THE GROUP'S ANSWER NOW\n\n{_plain(prompt, exc.current, library)}")
    await respond(interaction, header + " (attached as a text file)", view=view,
                  file=discord.File(io.BytesIO(plain.encode("utf-8")),
                                    filename="both-answers.txt"))


async def not_saved(
    interaction: discord.Interaction, reason: str, session_id: int, prompt_id: str,
    values: Mapping[str, FieldValue], base_version: int | None = None,
) -> None:
    """Tell the person their answer was not saved and why, and give back what they typed."""
    bot = workshop_bot(interaction)
    session, prompt = _prompt_of(interaction, session_id, prompt_id)
    if "not saved" not in reason.lower():
        reason = f"Your answer was **not saved**. {reason}"
    header = f"⚠️ {reason}\nHere is what you typed, so nothing is lost:"
    view = None
    if session is not None and prompt is not None and \
            bot.engine.refusal(session, prompt) in (None, Refusal.PAUSED):
        token = bot.drafts.keep(interaction.user.id, session_id, prompt_id, values,
                                base_version)
        view = frozen_view(RetryButton(sid=session_id, pid=prompt_id, draft=token))
    body = render.answer_text(prompt, values, 10_000, bot.library)
    if len(header) + 2 + len(body) <= render.MESSAGE_CONTENT:
        await respond(interaction, f"{header}\n\n{body}", view=view)
        return
    await respond(
        interaction, header + " (attached as a text file)", view=view,
        file=discord.File(io.BytesIO(_plain(prompt, values, bot.library).encode("utf-8")),
                          filename="your-answer.txt"),
    )


def _plain(prompt: Prompt | None, values: Mapping[str, FieldValue],
           library: Library) -> str:
    """An answer as plain text for a file: citations by the examples' titles."""
    def label(key: str) -> str:
        f = prompt.field_by_id(key) if prompt else None
        return f.label if f else key

    def text(value: FieldValue) -> str:
        if isinstance(value, list):
            return "\n".join(library.examples[e].title if e in library.examples else e
                             for e in value) or "(none chosen)"
        return value

    return "\n\n".join(f"{label(k)}:\n{text(v)}" for k, v in values.items())
