"""The answer form: building it for a prompt (pre-filled with an earlier answer or a draft that
could not be saved) and reading what was submitted."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord

from bot.discord_ui import ids, render
from bot.models import MAX_ANSWER_LENGTH, AnswerField, FieldValue, Library, Prompt
from bot.storage import SessionRow

MODAL_TITLE = 45
SELECT_OPTIONS = 25
OPTION_TEXT = 100  # a select option's label and description
SELECT_PLACEHOLDER = 150
LABEL_DESCRIPTION = 100


def answer_modal(
    session: SessionRow, prompt: Prompt, previous: Mapping[str, FieldValue] | None,
    base_version: int = 0, library: Library | None = None,
) -> discord.ui.Modal:
    """The form for one prompt: one text input per text field, pre-filled with ``previous``,
    and for a cite field a multi-select of the prompt's linked examples (titles from
    ``library``), the ones ``previous`` cites chosen. In group mode it is the group's answer,
    and the form carries the version it was opened on (``base_version``), so a save on top
    of someone else's newer version is refused.

    A pre-filled value longer than the field's limit (the limit was lowered after it was
    written) is given whole, with the box's limit raised to hold it: the person's text is never
    cut behind their back, and the engine accepts it back unchanged.
    It is stopped before sending, so discord.py keeps no copy: the submission is handled from
    its custom id (bot/discord_ui/submissions.py), which also works after a restart."""
    if session.group_mode:
        title = f"Group answer · {prompt.number}. {prompt.title}"
        custom_id = ids.GROUP_SUBMIT.make(sid=session.id, pid=prompt.id, base=base_version)
    else:
        title = f"{prompt.number}. {prompt.title}"
        custom_id = ids.SUBMIT.make(sid=session.id, pid=prompt.id)
    modal = discord.ui.Modal(title=render.clip(title, MODAL_TITLE), custom_id=custom_id,
                             timeout=None)
    for f in prompt.fields:
        stored = (previous or {}).get(f.id)
        if f.is_cite:
            modal.add_item(cite_select(prompt, f, stored, library))
            continue
        value = stored if isinstance(stored, str) else ""
        modal.add_item(discord.ui.TextInput(
            label=f.label,
            custom_id=f.id,
            style=discord.TextStyle.paragraph if f.style == "paragraph"
            else discord.TextStyle.short,
            required=f.required,
            max_length=min(MAX_ANSWER_LENGTH, max(f.max_length, len(value))),
            min_length=f.min_length or None,
            placeholder=f.placeholder,
            default=value[:MAX_ANSWER_LENGTH] or None,
        ))
    modal.stop()
    return modal


def cite_select(prompt: Prompt, f: AnswerField, stored: FieldValue | None,
                library: Library | None) -> discord.ui.Label[Any]:
    """A cite field: a Label holding a multi-select of the prompt's linked examples (Discord:
    at most 25 options; the content validator keeps a prompt within that), with the examples
    already cited chosen (at most as many as the field allows)."""
    limit = max(1, prompt.cite_limit(f))
    cited = stored if isinstance(stored, list) else []
    links = prompt.examples[:SELECT_OPTIONS]
    chosen = [link.example_id for link in links if link.example_id in cited][:limit]
    options = []
    for link in links:
        example = library.examples.get(link.example_id) if library else None
        options.append(discord.SelectOption(
            label=render.clip(example.title if example else link.example_id, OPTION_TEXT),
            value=link.example_id,
            description=render.clip(link.look_at, OPTION_TEXT) if link.look_at else None,
            default=link.example_id in chosen,
        ))
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=f.id, options=options, min_values=1 if f.required else 0,
        max_values=min(limit, len(options)), required=f.required,
        placeholder=render.clip(f.placeholder, SELECT_PLACEHOLDER) if f.placeholder else None,
    )
    hint = ("Choose at least one of the examples on the card" if f.required
            else "Optional: the examples on the card that informed it")
    hint += f" (up to {limit})." if limit < len(options) else "."
    return discord.ui.Label(text=f.label, component=select,
                            description=render.clip(hint, LABEL_DESCRIPTION))


def submitted_values(data: dict[str, Any]) -> dict[str, FieldValue]:
    """Field values of a modal submission: action rows (type 1) or labels (type 18) holding
    text inputs (type 4, their text) or string selects (type 3, the list of values
    chosen)."""
    values: dict[str, FieldValue] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for c in components:
            if c.get("type") == 4 and "custom_id" in c:
                values[c["custom_id"]] = c.get("value") or ""
            elif c.get("type") == 3 and "custom_id" in c:
                values[c["custom_id"]] = [str(v) for v in c.get("values") or ()]
            if "components" in c:
                walk(c["components"])
            if "component" in c:
                walk([c["component"]])

    walk(data.get("components", []))
    return values


@dataclass(frozen=True, slots=True)
class Draft:
    user_id: int
    session_id: int
    prompt_id: str
    values: dict[str, FieldValue]
    kept_at: float
    base_version: int | None = None  # group mode: the version the form was opened on


class Drafts:
    """What people typed in forms that could not be saved (the database was unavailable), kept
    in memory for a while so a **Try again** button can reopen the form with exactly that text,
    without reading the database. Bounded; the reply that offers the button also shows the
    text, so nothing depends on this surviving a restart."""

    def __init__(self, limit: int = 2000, keep_for: float = 6 * 3600) -> None:
        self._drafts: OrderedDict[str, Draft] = OrderedDict()
        self.limit = limit
        self.keep_for = keep_for

    def keep(self, user_id: int, session_id: int, prompt_id: str,
             values: Mapping[str, FieldValue],
             base_version: int | None = None) -> str:
        token = secrets.token_hex(6)
        self._drafts[token] = Draft(user_id, session_id, prompt_id, dict(values),
                                    time.monotonic(), base_version)
        while len(self._drafts) > self.limit:
            self._drafts.popitem(last=False)
        return token

    def get(self, token: str, user_id: int) -> Draft | None:
        draft = self._drafts.get(token)
        if draft is None or draft.user_id != user_id:
            return None
        if time.monotonic() - draft.kept_at > self.keep_for:
            del self._drafts[token]
            return None
        return draft

    def drop(self, token: str) -> None:
        self._drafts.pop(token, None)
