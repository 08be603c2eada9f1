"""Markdown: a readable report. Everything people typed renders as text, never as markup.

Names, titles and answers go through :func:`md_escape`: every Markdown metacharacter gets a
backslash (CommonMark lets any ASCII punctuation be escaped), which also neutralises raw HTML
(``\\<``), entities (``\\&``), autolinks and mentions (``\\@``). Multi-line answers are
written as block quotes inside their list item, every line prefixed, so no line can break
out of the item; leading spaces become no-break spaces so an indented line can't turn into a
code block. Control characters (C0 but tab and line breaks, and DEL) are shown as their
Unicode control pictures (``\\x07`` as ``␇``), so none reaches a renderer or terminal raw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO

from bot.exports.chain import ChainCollector, ChainEntry
from bot.exports.common import utc_minute
from bot.exports.data import AnswerRecord, ExportPlan, PromptInfo, SessionInfo, answer_reader
from bot.synthesis import GAP_MARK, ChainCell

# ASCII punctuation that means something to CommonMark, GFM or common extensions
# (tables, strikethrough, autolinks, maths, mentions).
MD_SPECIALS = "\\`*_{}[]()#+-.!|<>~@&:=$^"
_ESCAPED = tuple((c, "\\" + c) for c in MD_SPECIALS[1:])
_INDENT = "\u00a0"
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PICTURES = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {0x7F: 0x2421}


def _escape(text: str) -> str:
    """A backslash before every character of :data:`MD_SPECIALS`.

    (A chain of ``str.replace`` is several times faster than ``str.translate`` with a
    table of multi-character replacements, or a regular expression.)"""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    for char, escaped in _ESCAPED:
        if char in text:
            text = text.replace(char, escaped)
    if _CONTROLS.search(text):
        text = text.translate(_PICTURES)
    return text


def md_escape(text: str) -> str:
    """One line of text (newlines become spaces), safe to put anywhere in Markdown."""
    text = _escape(text)
    if "\n" in text or "\r" in text or "\t" in text:
        text = " ".join(text.replace("\t", " ").splitlines())
    return text


def md_block(text: str, prefix: str) -> str:
    """Multi-line text as block-quote lines, each starting with ``prefix`` (e.g. ``"  > "``).

    Line breaks are kept as hard breaks (a trailing backslash), blank lines as paragraph
    breaks inside the quote."""
    escaped = _escape(text)
    if "\n" not in escaped and "\r" not in escaped and not escaped[:1].isspace():
        return prefix + escaped if escaped else prefix.rstrip()
    lines = escaped.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    last = len(lines) - 1
    for i, line in enumerate(lines):
        stripped = line.lstrip(" \t")
        if not stripped.strip():
            out.append(prefix.rstrip())
            continue
        lead = line[: len(line) - len(stripped)]
        if lead:
            stripped = _INDENT * (len(lead) + 3 * lead.count("\t")) + stripped
        stripped = stripped.rstrip()
        if i < last and lines[i + 1].strip():
            stripped += "\\"  # hard line break: keep the author's line
        out.append(prefix + stripped)
    return "\n".join(out)


def _when(iso: str | None) -> str:
    """:func:`~bot.exports.common.utc_minute`, what is not a time escaped."""
    shown = utc_minute(iso)
    return md_escape(iso or "") if shown is None else shown


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _group_names(plan: ExportPlan) -> dict[int, str]:
    """Escaped group names; a repeated name gets its session id so groups stay apart."""
    seen: dict[str, int] = {}
    for s in plan.sessions:
        seen[s.group.casefold()] = seen.get(s.group.casefold(), 0) + 1
    return {
        s.id: md_escape(s.group) + (f" (session {s.id})" if seen[s.group.casefold()] > 1 else "")
        for s in plan.sessions
    }


def _head(plan: ExportPlan, groups: dict[int, str]) -> list[str]:
    ws = md_escape(plan.workshop)
    lines = [f"# Workshop report: {ws}", ""]
    lines.append(f"- **Workshop:** {ws}")
    lines.append(f"- **Exported:** {plan.exported_at.strftime('%Y-%m-%d %H:%M UTC')}")
    if plan.scope.kind == "session" and plan.sessions:
        lines.append(f"- **Scope:** one session (group {groups[plan.sessions[0].id]})")
    else:
        lines.append(f"- **Scope:** the whole workshop ({_plural(len(plan.sessions), 'group')})")
    sets = ", ".join(md_escape(ps.title) for ps in plan.prompt_sets) or "none"
    lines.append(f"- **Prompt sets:** {sets}")
    lines.append(f"- **Answers:** {plan.answers}")
    if plan.chains:
        lines.append("- **Theory of change:** the chain each group made is at the end of "
                     "this report")
    lines += ["", "## Groups", ""]
    if not plan.sessions:
        lines.append("No sessions.")
    for s in plan.sessions:
        bits = [
            _plural(plan.session_count(s), "answer"),
            _plural(s.participants, "participant"),
            "anonymous" if s.anonymous else "named",
            s.status,
            f"started {_when(s.created_at)}",
        ]
        if s.closed_at:
            bits.append(f"closed {_when(s.closed_at)}")
        lines.append(f"- **{groups[s.id]}** (session {s.id}): " + ", ".join(bits))
    lines.append("")
    return lines


def _prompt_head(plan: ExportPlan, prompt: PromptInfo, groups: dict[int, str]) -> list[str]:
    title = md_escape(prompt.title)
    if prompt.number is not None and not prompt.title.lstrip().startswith(f"{prompt.number}."):
        title = f"{prompt.number}\\. {title}"
    lines = [f"## {title}", ""]
    if len(plan.prompt_sets) > 1:
        ps = next(p for p in plan.prompt_sets if p.id == prompt.set_id)
        lines += [f"*Prompt set: {md_escape(ps.title)}*", ""]
    if not prompt.in_library:
        lines += ["*This prompt is no longer in the loaded prompt files; its id is shown as "
                  "the title.*", ""]
    if prompt.question:
        lines += [f"**Question:** {md_escape(prompt.question)}", ""]
    if prompt.examples:
        lines += ["**Linked examples:**", ""]
        for e in prompt.examples:
            look = f": {md_escape(e.look_at)}" if e.look_at else ""
            lines.append(f"- *{md_escape(e.title)}*{look}")
        lines.append("")
    total = plan.count(prompt)
    per_group = ", ".join(
        f"{groups[s.id]}: {plan.count(prompt, s)}" for s in plan.sessions_for(prompt)
    )
    lines += [f"**Answers:** {total}" + (f" ({per_group})" if per_group else ""), ""]
    tally = plan.citations.get(prompt.index)
    if prompt.cite is not None and tally is not None and total:
        cited = "; ".join(f"{md_escape(prompt.example_title(e))} ({n})"
                          for e, n in tally.most_cited()) or "none"
        never = "; ".join(md_escape(prompt.example_title(e)) for e in tally.never_cited())
        lines += [f"**Examples cited** (answers citing each; {tally.citing} of {total} "
                  f"answers cite one): {cited}", ""]
        lines += [f"**Linked but never cited:** {never or 'none, every one was cited'}", ""]
    return lines


def _chain_cell(entry: ChainEntry, cell: ChainCell) -> str:
    """One cell of the chain table, on one line: gaps first (marked), then the parts."""
    bits = [md_escape(f"{GAP_MARK} {g.text}") for g in cell.gaps]
    bits += [f"*{md_escape(v.label)}:* {md_escape(v.text.strip())}" for v in cell.filled]
    if cell.cited:
        titles = "; ".join(md_escape(t) for t in entry.cited_titles(cell))
        bits.append(f"*Examples cited:* {titles}")
    return " · ".join(bits) or "—"


def _chain_section(collector: ChainCollector, plan: ExportPlan,
                   groups: dict[int, str]) -> list[str]:
    lines = ["## Theory of change", "",
             "The three key questions as one chain, per group (or per participant where each "
             f"answered alone). {GAP_MARK} marks a gap: a link with no answer, a part left "
             "empty, an answer too short to use, or no seminar example cited.", ""]
    for set_id, pset in plan.chains.items():
        chain = pset.chain
        assert chain is not None
        if len(plan.chains) > 1:
            lines += [f"### {md_escape(pset.title)}", ""]
        head = ["Group", *(md_escape(c.title) for c in chain.columns), "Gaps"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        rows = 0
        for e in collector.entries(set_id):
            who = groups[e.session.id] + (f" · {md_escape(e.participant)}"
                                          if e.participant is not None else "")
            cells = [who, *(_chain_cell(e, c) for c in e.row.cells), str(len(e.row.gaps))]
            lines.append("| " + " | ".join(cells) + " |")
            rows += 1
        if not rows:
            lines.append("| *no answers yet* |" + " |" * (len(head) - 1))
        lines.append("")
    return lines


def _group_head(plan: ExportPlan, prompt: PromptInfo, session: SessionInfo,
                groups: dict[int, str]) -> str:
    return f"### {groups[session.id]}: {_plural(plan.count(prompt, session), 'answer')}\n\n"


def _comments(a: AnswerRecord) -> str:
    """Comments other groups left on an answer (gallery walks and votes)."""
    lines = ["  *Comments from other groups:*\n"]
    for c in a.comments:
        source = md_escape(c.from_group) if c.from_group else "a group no longer in the workshop"
        if c.by:
            source += f" \\({md_escape(c.by)}\\)"
        lines.append(f"  - from {source}, {_when(c.at)}\n\n{md_block(c.text, '    > ')}\n")
    return "\n".join(lines) + "\n"


def write_markdown(plan: ExportPlan, chunks: Iterable[Iterable[AnswerRecord]],
                   out: IO[str]) -> None:
    groups = _group_names(plan)
    out.write("\n".join(_head(plan, groups)) + "\n")
    names: dict[str, str] = {}
    labels: dict[tuple[int, str], str] = {}
    next_answer = answer_reader(chunks)

    chain = ChainCollector(plan)
    add_to_chain = chain.add if chain.wanted else None
    current = next_answer()
    for prompt in plan.prompts:
        out.write("\n".join(_prompt_head(plan, prompt, groups)) + "\n")
        voted = plan.voted(prompt)
        for session in plan.sessions_for(prompt):
            if plan.count(prompt, session) == 0:
                continue
            parts = [_group_head(plan, prompt, session, groups)]
            while (current is not None and current.prompt is prompt
                   and current.session is session):
                a = current
                name = names.get(a.participant)
                if name is None:
                    name = names[a.participant] = md_escape(a.participant) or "\\(no name\\)"
                edited = (f" (edited {_when(a.updated_at)})"
                          if a.updated_at and a.updated_at[:16] != a.submitted_at[:16] else "")
                if a.versions:  # a group answer: who wrote it, in how many versions
                    who = ", ".join(md_escape(c) for c in a.contributors) or "nobody now"
                    parts.append(f"- **{name}** ({a.versions} version"
                                 f"{'s' if a.versions != 1 else ''} by {who}), "
                                 f"{_when(a.submitted_at)}{edited}\n\n")
                else:
                    parts.append(f"- **{name}**, {_when(a.submitted_at)}{edited}\n\n")
                for f, value in a.field_values():
                    label = labels.get((prompt.index, f.id))
                    if label is None:
                        label = labels[(prompt.index, f.id)] = md_escape(f.label)
                    if value.strip():
                        parts.append(f"  *{label}*\n\n{md_block(value, '  > ')}\n\n")
                    else:
                        parts.append(f"  *{label}*: no answer\n\n")
                if prompt.cite is not None:
                    cited = "; ".join(md_escape(t) for t in a.cited_titles())
                    parts.append(f"  *{md_escape(prompt.cite.label)}*: "
                                 f"{cited or 'none cited'}\n\n")
                if voted:
                    parts.append(f"  **Dots:** {a.dots}\n\n")
                if a.comments:
                    parts.append(_comments(a))
                if add_to_chain is not None:
                    add_to_chain(a)
                current = next_answer()
            out.write("".join(parts))
    if current is not None:  # pragma: no cover - the source follows the plan's order
        raise RuntimeError("answers arrived out of the plan's order")
    if chain.wanted:
        for line in _chain_section(chain, plan, groups):  # (a line at a time)
            out.write(line + "\n")
