"""Turn core results into Discord messages: embeds and safe text. Nothing here talks to Discord.

Every piece of user-written text (answers, display names, workshop and group names) goes
through :func:`safe` before it is shown, and the client sends with ``AllowedMentions.none()``,
so nothing a participant types can ping anyone or render as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

import discord

from bot.engine import PromptCount, Status
from bot.engine.timers import Reminder, Timer
from bot.engine.workshop_run import WorkshopMove
from bot.models import Example, FieldValue, Library, Prompt, PromptSet
from bot.storage import AnswerRow, SessionRow, SessionStatus, WorkshopRow

COLOUR = discord.Colour(0x2B6CB0)
COLOUR_DONE = discord.Colour(0x2F855A)
COLOUR_WARN = discord.Colour(0xC05621)

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_VALUE = 1024
MESSAGE_CONTENT = 2000


def clip(text: str, limit: int) -> str:
    """Shorten ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Every character Discord's markdown gives a meaning to (emphasis, spoilers, code, quotes,
# headings, lists, masked links, <...> mentions and timestamps, autolinks via ':'). Discord
# drops a backslash before any punctuation, so escaping these is invisible to readers.
_MARKDOWN = re.compile(r"([\\*_~|`>#\-+.!\[\]()<:])")


def safe(text: str, limit: int | None = None) -> str:
    """User text shown as text: markdown escaped, every '@' defused (no mention can form),
    then clipped."""
    out = _MARKDOWN.sub(r"\\\1", text).replace("@", "@\u200b")
    return clip(out, limit) if limit else out


def pace_label(session: SessionRow) -> str:
    return "self-paced" if session.pace == "self" else "facilitator-paced"


def prompt_card(
    library: Library, pset: PromptSet, prompt: Prompt, session: SessionRow
) -> discord.Embed:
    """The card a group sees for one prompt: question, guidance, suggested time, fields,
    linked examples."""
    question = f"**{prompt.question}**"
    kq = library.key_questions.get(prompt.key_question or "")
    if kq is not None and prompt.question == kq.text:
        question += (f"\n*Key question {kq.number} as the panels put it, quoted from "
                     f"{_report(library, article=True)}*")
    embed = discord.Embed(
        title=clip(f"Prompt {prompt.number} of {len(pset.prompts)} · {prompt.title}", EMBED_TITLE),
        description=clip(f"{question}\n\n{prompt.guidance}", EMBED_DESCRIPTION),
        colour=COLOUR if session.status is SessionStatus.OPEN else COLOUR_WARN,
    )
    if prompt.minutes:
        embed.add_field(name="Suggested time", value=f"About {prompt.minutes} minutes",
                        inline=False)
    fields = "\n".join(
        f"• {f.label}" + ("" if f.required else " *(optional)*") for f in prompt.fields
    )
    embed.add_field(name="Your answer covers", value=clip(fields, FIELD_VALUE), inline=False)
    if prompt.examples:
        embed.add_field(
            name="Seminar examples to look at", value=_card_examples(library, prompt),
            inline=False,
        )
    state = {
        SessionStatus.OPEN: "Answering is open: press **Answer**.",
        SessionStatus.PAUSED: "Answering is paused by the facilitator.",
        SessionStatus.CLOSED: "This session is closed.",
    }[session.status]
    embed.add_field(name="Status", value=state, inline=False)
    embed.set_footer(text=clip(
        f"{session.workshop} · {session.group_name} · {pace_label(session)} · "
        f"session {session.id}", 2048,
    ))
    return embed


def _report(library: Library, *, article: bool = False) -> str:
    """The seminar report, as the content names it (e.g. "NIS seminar report (2016)")."""
    name = library.event.source if library.event and library.event.source else "report"
    return f"the {name}" if article else name


def _not_from_report(example: Example) -> str:
    return "" if example.from_report else " *(not from the report)*"


def _card_examples(library: Library, prompt: Prompt) -> str:
    """Every linked example with what to look at in it; titles only when that would not
    fit, so that the card still names them all (the Examples button gives the reasons)."""
    examples = [(library.examples[link.example_id], link.look_at)
                for link in prompt.examples if link.example_id in library.examples]
    full = [f"• **{e.title}**{_not_from_report(e)}: {look_at}" if look_at
            else f"• **{e.title}**{_not_from_report(e)}" for e, look_at in examples]
    if len("\n".join(full)) <= FIELD_VALUE:
        return "\n".join(full)
    return _join_clipped([f"• {e.title}{_not_from_report(e)}" for e, _ in examples],
                         FIELD_VALUE)


def _join_clipped(lines: list[str], limit: int) -> str:
    """Join lines, dropping whole lines (with a count) rather than cutting one in half."""
    budget = limit - 24  # room for the "… and N more" tail
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        line = clip(line, budget)
        extra = len(line) + (1 if out else 0)
        if used + extra > budget:
            out.append(f"… and {len(lines) - i} more")
            break
        out.append(line)
        used += extra
    return "\n".join(out)


def example_card(library: Library, example: Example) -> discord.Embed:
    """One example: what the report says (summary, who, where and when), notes on the
    source, the key questions it is linked to, and, marked as not from the report, what the
    names it mentions stand for."""
    embed = discord.Embed(
        title=clip(example.title, EMBED_TITLE),
        description=clip(example.summary, EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    report = _report(library, article=True)
    embed.set_author(name=clip(
        f"From {report}" if example.from_report
        else f"Not from {report}: added to this bot's content", 256))
    embed.add_field(name="Who", value=clip(_who(example), FIELD_VALUE), inline=False)
    embed.add_field(name="Where and when", value=clip(example.event, FIELD_VALUE), inline=False)
    if example.source_note:
        embed.add_field(name="About the source", value=clip(example.source_note, FIELD_VALUE),
                        inline=False)
    if example.questions:
        lines = []
        for link in example.questions:
            kq = library.key_questions.get(link.question_id)
            label = f"Q{kq.number}. {kq.title}" if kq else link.question_id
            lines.append(f"• **{label}**: {link.why}")
        embed.add_field(
            name="Key questions it can inform", value=_join_clipped(lines, FIELD_VALUE),
            inline=False,
        )
    entries = [library.glossary[g] for g in example.programmes if g in library.glossary]
    for from_report, heading in ((True, "Names explained"),
                                 (False, "Names explained (not from the report)")):
        lines = [f"**{g.term}**: {g.expansion}" + (f"\n  *{g.source_note}*" if g.source_note
                                                  else "")
                 for g in entries if g.from_report is from_report]
        if lines:
            embed.add_field(name=heading, value=_join_clipped(lines, FIELD_VALUE), inline=False)
    embed.set_footer(text=(
        "Summary, who, where and when: from the report. The key-question links are this "
        "bot's suggestions." if example.from_report else
        "The key-question links are suggestions of whoever added this example."))
    return embed


def _who(example: Example) -> str:
    if not example.speakers:
        return example.organisation
    parts = []
    for s in example.speakers:
        bits = [s.name]
        if s.role:
            bits.append(s.role)
        if s.organisation:
            bits.append(s.organisation)
        parts.append(", ".join(bits))
    return "\n".join(parts)


def examples_list(library: Library, examples: list[Example], heading: str) -> discord.Embed:
    lines = []
    for e in examples:
        qs = ", ".join(f"Q{n}" for n in sorted(
            library.key_questions[q.question_id].number
            for q in e.questions if q.question_id in library.key_questions
        ))
        lines.append(f"• **{e.title}**" + (f" ({qs})" if qs else "") + _not_from_report(e))
    embed = discord.Embed(
        title=clip(heading, EMBED_TITLE),
        description=_join_clipped(lines, EMBED_DESCRIPTION) or "No examples.",
        colour=COLOUR,
    )
    embed.set_footer(text="Open one with /example name")
    return embed


def status_embed(status: Status, *, title: str | None = None) -> discord.Embed:
    s = status.session
    state = {SessionStatus.OPEN: "open", SessionStatus.PAUSED: "paused",
             SessionStatus.CLOSED: "closed"}[s.status]
    embed = discord.Embed(
        title=clip(title or f"Session {s.id}: {safe(s.workshop)} · {safe(s.group_name)}",
                   EMBED_TITLE),
        colour=COLOUR_DONE if s.status is SessionStatus.CLOSED else COLOUR,
    )
    embed.description = clip(
        f"Prompt set **{s.prompt_set}**, {pace_label(s)}, "
        f"{'anonymous' if s.anonymous else 'named'} exports. Answering is **{state}**.",
        EMBED_DESCRIPTION,
    )
    if s.status is not SessionStatus.CLOSED:
        embed.add_field(
            name="Live prompt",
            value=clip(f"{status.live.number}. {status.live.title}", FIELD_VALUE),
            inline=False,
        )
    if s.group_mode:
        lines = [f"{pc.prompt.number}. {pc.prompt.title}: {group_progress(pc, s.anonymous)}"
                 for pc in status.per_prompt]
        embed.add_field(name="The group's answer per prompt",
                        value=_join_clipped(lines, FIELD_VALUE), inline=False)
        embed.add_field(name="Contributors", value=str(status.participants), inline=True)
        return embed
    lines = [
        f"{pc.prompt.number}. {pc.prompt.title}: **{pc.answers}** "
        f"answer{'s' if pc.answers != 1 else ''}"
        for pc in status.per_prompt
    ]
    embed.add_field(name="Answers per prompt", value=_join_clipped(lines, FIELD_VALUE),
                    inline=False)
    embed.add_field(name="Participants", value=str(status.participants), inline=True)
    return embed


def timestamp(iso: str | None, style: str = "R") -> str:
    """A Discord timestamp (every client shows it in its own time zone), e.g. "2 minutes
    ago"."""
    if not iso:
        return ""
    return f"<t:{int(datetime.fromisoformat(iso).timestamp())}:{style}>"


def group_progress(pc: PromptCount, anonymous: bool) -> str:
    """A group answer's state: answered (how many versions, by whom, when last) or not yet.
    Anonymous sessions show how many people wrote it, not who."""
    if not pc.answers:
        return "not answered yet"
    if anonymous:
        who = f"{len(pc.contributors)} contributor{'s' if len(pc.contributors) != 1 else ''}"
    else:
        who = ", ".join(safe(name, 40) for name in pc.contributors)
    versions = f"{pc.versions} version{'s' if pc.versions != 1 else ''}"
    return f"✅ answered ({versions} by {who}; last {timestamp(pc.updated_at)})"


def answer_text(prompt: Prompt | None, fields: Mapping[str, FieldValue], limit: int,
                library: Library | None = None) -> str:
    """A person's own answer shown back to them (escaped), field by field; citations by the
    examples' titles (from ``library``)."""
    parts = []
    for fid, value in fields.items():
        field = prompt.field_by_id(fid) if prompt else None
        label = field.label if field else fid
        if isinstance(value, list):
            shown = "; ".join(cited_titles(library, value)) or "*(none chosen)*"
        else:
            shown = safe(value) if value.strip() else "*(left empty)*"
        parts.append(f"**{label}**\n{shown}")
    return clip("\n\n".join(parts), limit)


def cited_titles(library: Library | None, example_ids: list[str]) -> list[str]:
    """The titles of cited examples, as text (an example no longer in the content by its
    id)."""
    examples = library.examples if library else {}
    return [safe(examples[eid].title) if eid in examples else safe(str(eid))
            for eid in example_ids]


def my_answers_embeds(
    library: Library, answers: list[AnswerRow], sessions: dict[int, SessionRow]
) -> list[discord.Embed]:
    """Up to 10 embeds within Discord's 6000-character total."""
    embeds: list[discord.Embed] = []
    total = 0
    for a in answers:
        session = sessions.get(a.session_id)
        pset = library.prompt_sets.get(session.prompt_set) if session else None
        prompt = pset.prompt_by_id(a.prompt_id) if pset else None
        title = clip(
            (f"{prompt.number}. {prompt.title}" if prompt else a.prompt_id)
            + (f" (group answer, version {a.version})" if a.is_group else ""), EMBED_TITLE
        )
        body = answer_text(prompt, a.fields, 900, library)
        footer = clip(
            f"{session.workshop} · {session.group_name} · updated {a.updated_at[:16]} UTC"
            if session else f"updated {a.updated_at[:16]} UTC", 200,
        )
        size = len(title) + len(body) + len(footer)
        if len(embeds) == 10 or total + size > 5800:
            break
        embed = discord.Embed(title=title, description=body, colour=COLOUR)
        embed.set_footer(text=footer)
        embeds.append(embed)
        total += size
    return embeds


# --- a whole workshop -------------------------------------------------------------------------

_MOVED = {"next": "moved on", "back": "moved back", "goto": "moved", "pause": "paused",
          "resume": "resumed", "close": "closed"}


def workshop_move_summary(result: WorkshopMove, unreachable: dict[int, str]) -> str:
    """One reply for the facilitator: what happened per group, e.g. "Moved 8 groups to prompt
    2; group-c was already there"."""
    name = safe(result.workshop.name)
    lines = []
    moved = result.moved
    if moved:
        if result.move in ("next", "back", "goto"):
            by_prompt: dict[int, list[str]] = {}
            for g in moved:
                by_prompt.setdefault(g.session.current_prompt, []).append(g.session.group_name)
            where = "; ".join(f"{len(groups)} to prompt {n}" for n, groups in by_prompt.items())
            lines.append(f"✅ Workshop **{name}**: moved {_groups(len(moved))} ({where}).")
        else:
            lines.append(f"✅ Workshop **{name}**: {_MOVED[result.move]} "
                         f"{_groups(len(moved))}.")
    else:
        lines.append(f"Workshop **{name}**: no group changed.")
    for g in result.groups:
        if g.outcome == "unchanged":
            lines.append(f"• {safe(g.before.group_name)}: unchanged ({g.reason.rstrip('.')})")
        elif g.outcome == "failed":
            lines.append(f"• {safe(g.before.group_name)}: not done ({g.reason.rstrip('.')})")
        elif g.session.id in unreachable:
            lines.append(f"• {safe(g.session.group_name)}: {_MOVED[result.move]}, but its "
                         f"channel could not be posted in ({safe(unreachable[g.session.id])})")
    return "\n".join(lines)


def _groups(n: int) -> str:
    return f"{n} group{'s' if n != 1 else ''}"


def workshop_status_embeds(workshop: WorkshopRow, statuses: list[Status],
                           timers: Mapping[int, Timer | None] | None = None,
                           title: str | None = None) -> list[discord.Embed]:
    """Every live group of a workshop: live prompt, answering open or paused, time left,
    answers per prompt (individual mode: people; group mode: the group's answer, when last
    edited); 25 groups per embed."""
    embeds: list[discord.Embed] = []
    timers = timers or {}
    if not statuses:
        return [discord.Embed(title=clip(title or f"Workshop {safe(workshop.name)}",
                                         EMBED_TITLE),
                              description="No group is running.", colour=COLOUR)]
    for start in range(0, len(statuses), 25):
        embed = discord.Embed(
            title=clip(title or f"Workshop {safe(workshop.name)}: {_groups(len(statuses))}",
                       EMBED_TITLE) if not embeds else None,
            colour=COLOUR,
        )
        for status in statuses[start:start + 25]:
            embed.add_field(name=clip(safe(status.session.group_name), 256),
                            value=clip(group_line(status, timers.get(status.session.id)),
                                       FIELD_VALUE), inline=False)
        embeds.append(embed)
    return embeds[:10]


def board_embeds(workshop: WorkshopRow, statuses: list[Status],
                 timers: Mapping[int, Timer | None], now: datetime) -> list[discord.Embed]:
    """The live board: the workshop's status, and when it was last brought up to date."""
    embeds = workshop_status_embeds(workshop, statuses, timers,
                                    title=f"📋 Live board: {safe(workshop.name)}")
    embeds[-1].set_footer(text="Updates itself as groups answer and move on.")
    embeds[0].description = f"Up to date as of {timestamp(now.isoformat(), 'T')}."
    return embeds


def group_line(status: Status, timer: Timer | None = None) -> str:
    s = status.session
    state = "paused" if s.status is SessionStatus.PAUSED else "open"
    head = f"Prompt **{status.live.number}** of {s.prompt_count} · answering {state}"
    if timer is not None and timer.prompt_number == status.live.number:
        head += f" · ⏱️ ends {timestamp(timer.ends_at.isoformat())}"
    if s.group_mode:
        marks = " · ".join(
            f"{pc.prompt.number} {'✅' if pc.answers else '—'}"
            + (f" v{pc.versions}" if pc.versions else "")
            for pc in status.per_prompt
        )
        live = next((pc for pc in status.per_prompt if pc.prompt.number == status.live.number),
                    None)
        edited = f"; last edit {timestamp(live.updated_at)}" if live and live.updated_at else ""
        return f"{head}\nGroup answer: {marks}{edited}"
    counts = " · ".join(f"{pc.prompt.number}: **{pc.answers}**" for pc in status.per_prompt)
    people = f"{status.participants} participant{'s' if status.participants != 1 else ''}"
    return f"{head}\nAnswers per prompt: {counts} ({people})"

THEN_TEXT = {"nothing": "the group carries on", "pause": "answering pauses",
             "next": "the group moves to the next prompt"}


def timer_text(timer: Timer) -> str:
    """When a timer ends, as every Discord client shows it in its own clock."""
    iso = timer.ends_at.isoformat()
    return (f"Ends {timestamp(iso)} (at {timestamp(iso, 't')}); then "
            f"{THEN_TEXT[timer.then]}.")


def reminder_text(reminder: Reminder) -> str:
    """A reminder posted in a group's channel. It never pings: names, when shown, are text."""
    prompt = f"prompt {reminder.prompt_number} ({reminder.prompt_title})"
    if reminder.session.group_mode:
        if reminder.group_answer_missing:
            return f"📝 Reminder: the group's answer to {prompt} is still missing."
        return f"📝 The group's answer to {prompt} is in: it can still be edited."
    if not reminder.of:
        return f"📝 Reminder: {prompt} is open. Press **Answer** on the card."
    if not reminder.missing:
        return f"📝 Everyone who has answered so far has answered {prompt}."
    text = (f"📝 Reminder: {reminder.missing} of the {reminder.of} people who have answered "
            f"in this session have not answered {prompt} yet.")
    if reminder.names:
        text += " Still to answer: " + ", ".join(safe(n, 60) for n in reminder.names) + "."
    return text


def workshop_settings_text(workshop: WorkshopRow) -> str:
    on = workshop.settings.get("remind_at_warning", False)
    names = workshop.settings.get("gallery_names", False)
    return (f"⚙️ Workshop **{safe(workshop.name)}**: reminders with the one-minute warning "
            f"are **{'on' if on else 'off'}**; gallery cards, comments and vote results "
            f"show people's names **{'in named sessions' if names else 'never'}**.")
