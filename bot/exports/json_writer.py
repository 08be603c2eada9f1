"""JSON: the complete record (``schema_version`` 1), written piece by piece."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from bot.exports.data import AnswerRecord, ExportPlan, PromptInfo

SCHEMA_VERSION = 1


def _prompt(p: PromptInfo) -> dict[str, Any]:
    return {
        "id": p.id,
        "number": p.number,
        "title": p.title,
        "question": p.question,
        "in_library": p.in_library,
        "fields": [
            {"id": f.id, "label": f.label, "style": f.style, "required": f.required,
             "max_length": f.max_length}
            for f in p.fields
        ],
        "examples": [{"id": e.id, "title": e.title, "look_at": e.look_at} for e in p.examples],
    }


def header(plan: ExportPlan) -> dict[str, Any]:
    """Everything but the answers."""
    scope: dict[str, Any] = {"kind": plan.scope.kind}
    if plan.scope.kind == "session":
        scope["session_id"] = plan.scope.session_id
    return {
        "schema_version": SCHEMA_VERSION,
        "workshop": plan.workshop,
        "exported_at": plan.exported_at.isoformat(timespec="seconds"),
        "scope": scope,
        "counts": {"sessions": len(plan.sessions), "answers": plan.answers},
        "sessions": [
            {
                "id": s.id,
                "group": s.group,
                "prompt_set": s.prompt_set,
                "status": s.status,
                "anonymous": s.anonymous,
                "pace": s.pace,
                "current_prompt": s.current_prompt,
                "prompt_count": s.prompt_count,
                "participants": s.participants,
                "answers": plan.session_count(s),
                "created_at": s.created_at,
                "closed_at": s.closed_at,
            }
            for s in plan.sessions
        ],
        "prompt_sets": [
            {"id": ps.id, "title": ps.title, "in_library": ps.in_library}
            for ps in plan.prompt_sets
        ],
        "prompts": {
            ps.id: [_prompt(p) for p in plan.prompts_of(ps.id)] for ps in plan.prompt_sets
        },
        "votes": [
            {"prompt_id": v.prompt_id, "dots_per_person": v.dots_per_person,
             "opened_at": v.opened_at, "closed_at": v.closed_at, "dots": v.dots,
             "voters": v.voters}
            for v in plan.votes
        ],
    }


def _looks_like_object(raw: str) -> bool:
    return raw[:1] == "{" and raw[-1:] == "}"


def _plain(text: str) -> bool:
    """Text that JSON writes as it is between quotes (our own ISO timestamps)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def write_json(plan: ExportPlan, chunks: Iterable[list[AnswerRecord]], out: IO[str]) -> None:
    """Write the export to ``out`` (a UTF-8 text file): the header objects indented, then
    ``answers`` with one answer per line.

    Answers from an :class:`AnswerSource` made with ``parse_fields=False`` carry the stored
    JSON of their fields, which is embedded as it is (it was written by ``json.dumps``)."""
    head = json.dumps(header(plan), ensure_ascii=False, indent=2)
    out.write(head[:-2])  # drop the closing "\n}" to append "answers"
    out.write(',\n  "answers": [')
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    prefixes: dict[tuple[int, int], str] = {}
    names: dict[tuple[str, int | None], str] = {}
    first = True
    for chunk in chunks:
        parts = []
        append = parts.append
        for a in chunk:
            session, prompt = a.session, a.prompt
            prefix = prefixes.get((session.id, prompt.index))
            if prefix is None:
                prefix = prefixes[(session.id, prompt.index)] = dumps({
                    "session_id": session.id,
                    "group": session.group,
                    "prompt_set": prompt.set_id,
                    "prompt_id": prompt.id,
                    "prompt_number": prompt.number,
                })[:-1]
            who = names.get((a.participant, a.user_id))
            if who is None:
                who = f', "participant": {dumps(a.participant)}'
                if not session.anonymous and a.user_id is not None:
                    who += f', "user_id": "{int(a.user_id)}"'  # a string, as Discord writes ids
                names[(a.participant, a.user_id)] = who
            raw = a.raw_fields
            if raw is None or not _looks_like_object(raw):
                fields = a.fields
                if raw is not None:
                    try:
                        fields = json.loads(raw)
                    except ValueError:
                        fields = {"?": raw}
                raw = dumps(fields)
            sub, upd = a.submitted_at, a.updated_at
            if _plain(sub) and _plain(upd):
                times = f', "submitted_at": "{sub}", "updated_at": "{upd}"'
            else:
                times = f', "submitted_at": {dumps(sub)}, "updated_at": {dumps(upd)}'
            said = dumps([{"from_group": c.from_group, "by": c.by, "text": c.text,
                           "at": c.at} for c in a.comments]) if a.comments else "[]"
            group = ""
            if a.versions:  # a group answer: its contributors and every version
                group = (f", \"contributors\": {dumps(list(a.contributors))}, "
                         f"\"versions\": {a.versions}, \"history\": "
                         + dumps([{"version": v.number, "participant": v.participant,
                                   "fields": v.fields, "saved_at": v.saved_at}
                                  for v in a.history]))
            append(f"{prefix}{who}, \"fields\": {raw}{times}, \"dots\": {a.dots}, "
                   f"\"comments\": {said}{group}}}")
        if not parts:
            continue
        out.write(("\n    " if first else ",\n    ") + ",\n    ".join(parts))
        first = False
    out.write("\n  ]\n}\n" if not first else "]\n}\n")
