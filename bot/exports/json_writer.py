"""JSON: the complete record (``schema_version`` 1), written piece by piece.

Besides the answers: per prompt, how its answers cite its linked examples (``citations``);
after the answers, ``theory_of_change``: for each prompt set with a chain, its columns and one
row per group (or participant) with the text of each column, the examples it cites and its
gaps (:mod:`bot.synthesis`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from bot.exports.chain import ChainCollector, ChainEntry
from bot.exports.data import AnswerRecord, ExportPlan, PromptInfo
from bot.synthesis import CitationTally

SCHEMA_VERSION = 1


def _prompt(p: PromptInfo, tally: CitationTally | None) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"id": f.id, "label": f.label, "style": f.style, "required": f.required,
         "max_length": f.max_length, "kind": "text"}
        for f in p.fields
    ]
    if p.cite is not None:
        fields.append({"id": p.cite.id, "label": p.cite.label, "required": p.cite.required,
                       "kind": "cite"})
    return {
        "id": p.id,
        "number": p.number,
        "title": p.title,
        "question": p.question,
        "in_library": p.in_library,
        "fields": fields,
        "examples": [{"id": e.id, "title": e.title, "look_at": e.look_at} for e in p.examples],
        "citations": _citations(p, tally),
    }


def _citations(p: PromptInfo, tally: CitationTally | None) -> dict[str, Any] | None:
    """How the prompt's answers cite its examples (None: it has no cite field)."""
    if p.cite is None:
        return None
    if tally is None:
        tally = CitationTally(tuple(e.id for e in p.examples))
    return {
        "field_id": p.cite.id,
        "answers": tally.answers,
        "answers_citing": tally.citing,
        "cited": [{"id": e, "title": p.example_title(e), "answers": n}
                  for e, n in tally.most_cited()],
        "never_cited": [{"id": e, "title": p.example_title(e)} for e in tally.never_cited()],
    }


def _chain_row(e: ChainEntry) -> dict[str, Any]:
    return {
        "session_id": e.session.id,
        "group": e.session.group,
        "participant": e.participant,
        "gaps": len(e.row.gaps),
        "cells": [{
            "column": cell.column.id,
            "parts": [{"prompt_id": v.prompt_id, "field_id": v.field_id, "label": v.label,
                       "text": v.text} for v in cell.parts],
            "cited": list(cell.cited),
            "gaps": [{"kind": g.kind, "prompt_id": g.prompt_id, "text": g.text}
                     for g in cell.gaps],
        } for cell in e.row.cells],
    }


def write_theory_of_change(rows: ChainCollector, plan: ExportPlan, out: IO[str],
                           dumps: Any) -> None:
    """``"theory_of_change"``: per prompt set with a chain, its columns, and its rows one a
    line (one group or participant each)."""
    out.write(',\n  "theory_of_change": [')
    for n, (set_id, pset) in enumerate(plan.chains.items()):
        chain = pset.chain
        assert chain is not None
        head = dumps({
            "prompt_set": set_id,
            "min_chars": chain.min_chars,
            "columns": [{"id": c.id, "title": c.title,
                         "parts": [{"prompt_id": p.prompt_id, "field_id": p.field_id,
                                    "required": p.required} for p in c.parts]}
                        for c in chain.columns],
        })[:-1]
        out.write(("\n    " if n == 0 else ",\n    ") + head + ', "rows": [')
        sep = "\n      "
        for e in rows.entries(set_id):  # (a row at a time)
            out.write(sep + dumps(_chain_row(e)))
            sep = ",\n      "
        out.write("\n    ]}" if sep != "\n      " else "]}")
    out.write("\n  ]" if plan.chains else "]")


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
            ps.id: [_prompt(p, plan.citations.get(p.index)) for p in plan.prompts_of(ps.id)]
            for ps in plan.prompt_sets
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


def write_json(plan: ExportPlan, chunks: Iterable[Iterable[AnswerRecord]], out: IO[str]) -> None:
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
    chain = ChainCollector(plan)
    add_to_chain = chain.add if chain.wanted else None
    first = True
    for chunk in chunks:
        parts = []
        append = parts.append
        for a in chunk:
            if add_to_chain is not None:
                add_to_chain(a)
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
    out.write("\n  ]" if not first else "]")
    write_theory_of_change(chain, plan, out, dumps)
    out.write("\n}\n")
