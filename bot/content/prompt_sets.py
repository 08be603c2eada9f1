"""Prompt sets: one ``*.yaml`` file per set in a prompt folder.

A set may say how its sessions are answered by default (``answers: individual | group``);
a prompt may suggest how many minutes it takes (``minutes:``, shown on its card). A
prompt's ``examples:`` list gives the order (and, optionally, the ``look_at`` wording) of
examples on its card; for a prompt with a ``key_question`` the card also shows every other
example linked to that question (see :func:`bot.content.library.load_library`).

A field is a text box (``kind: text``, the default) or a multi-select of the prompt's linked
examples (``kind: cite``: which seminar examples informed the answer; at most one a prompt).
A set may declare its theory-of-change ``chain:``: for each of the three columns
(:data:`bot.models.CHAIN_COLUMNS`), the prompts and text fields that feed it::

    chain:
      min_chars: 80          # a link answered in fewer characters is too short to use
      change:
        identify-change: [change, for-whom]
      intervention:
        scale-and-sustain: [intervention, {field: sustain, required: true}]
      impact:
        measure-impact: [first-outcome, value]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.build import Build, PromptPlace
from bot.content.limits import (
    FIELD_KINDS,
    FIELD_STYLES,
    MAX_ANSWER_LENGTH,
    MAX_DESCRIPTION,
    MAX_FIELDS,
    MAX_GUIDANCE,
    MAX_LABEL,
    MAX_LINKED_EXAMPLES,
    MAX_LOOK_AT,
    MAX_MINUTES,
    MAX_PLACEHOLDER,
    MAX_PROMPT_TITLE,
    MAX_PROMPTS,
    MAX_QUESTION,
    MAX_SET_TITLE,
)
from bot.content.problems import KeyPath
from bot.content.yaml_file import YamlFile, clipped_repr
from bot.models import (
    ANSWER_MODES,
    CHAIN_COLUMNS,
    AnswerField,
    AnswerMode,
    Chain,
    ChainColumn,
    ChainPart,
    ExampleLink,
    Prompt,
    PromptSet,
)


def load_prompt_set(b: Build, path: Path) -> None:
    f = b.open(path)
    if f is None:
        return
    top = f.mapping(f.data, (), ("id", "title", "description", "prompts"),
                    ("answers", "chain"))
    if top is None:
        return
    sid = f.ident(top, ())
    title = f.text(top, (), "title", MAX_SET_TITLE)
    description = f.text(top, (), "description", MAX_DESCRIPTION)
    answers = _answer_mode(f, top)
    prompts: list[Prompt] = []
    places: dict[str, PromptPlace] = {}
    prompt_ids: dict[str, int] = {}
    raw_prompts = f.items(top, (), "prompts", least=1, most=MAX_PROMPTS, what="prompts")
    for i, raw in enumerate(raw_prompts):
        where: KeyPath = ("prompts", i)
        made = _prompt(b, f, raw, where, number=i + 1)
        if made is None:
            continue
        prompt, link_paths = made
        if prompt.id in prompt_ids:
            f.problem(("prompts", i, "id"), f"duplicate prompt id {prompt.id!r} in this set "
                                            f"(also prompts[{prompt_ids[prompt.id]}])")
            continue
        prompt_ids[prompt.id] = i
        prompts.append(prompt)
        places[prompt.id] = PromptPlace(f, where, link_paths)
    chain = _chain(f, top, prompts) if "chain" in top else None
    if sid and b.define(f, (), "prompt set", sid) and title and description:
        b.prompt_sets[sid] = PromptSet(sid, title, description, tuple(prompts), f.display,
                                       answers=answers, chain=chain)
        b.prompt_places[sid] = places


def _answer_mode(f: YamlFile, top: dict[str, Any]) -> AnswerMode:
    value = top.get("answers", "individual")
    for mode in ANSWER_MODES:
        if value == mode:
            return mode
    f.problem(("answers",), "answers must be " + " or ".join(repr(m) for m in ANSWER_MODES)
              + f", got {clipped_repr(value)}")
    return "individual"


def _prompt(b: Build, f: YamlFile, raw: Any, where: KeyPath, number: int
            ) -> tuple[Prompt, list[KeyPath]] | None:
    """The prompt at ``where`` and the key path of each of its example links."""
    m = f.mapping(raw, where, ("id", "title", "question", "guidance", "fields"),
                  ("key_question", "examples", "minutes"))
    if m is None:
        return None
    pid = f.ident(m, where)
    title = f.text(m, where, "title", MAX_PROMPT_TITLE)
    question = f.text(m, where, "question", MAX_QUESTION)
    guidance = f.text(m, where, "guidance", MAX_GUIDANCE)
    key_question = None
    if m.get("key_question") is not None:
        key_question = f.ident(m, where, "key_question")
        if key_question:
            b.ref(f, (*where, "key_question"), "key question", key_question)
    fields: list[AnswerField] = []
    field_ids: set[str] = set()
    for i, raw_field in enumerate(f.items(m, where, "fields", least=1, most=MAX_FIELDS,
                                          what="fields")):
        answer_field = _field(f, raw_field, (*where, "fields", i))
        if answer_field is None:
            continue
        if answer_field.id in field_ids:
            f.problem((*where, "fields", i, "id"),
                      f"duplicate field id {answer_field.id!r} in this prompt")
            continue
        if answer_field.is_cite and any(x.is_cite for x in fields):
            f.problem((*where, "fields", i, "kind"),
                      "a prompt has at most one cite field (it lists every linked example)")
            continue
        field_ids.add(answer_field.id)
        fields.append(answer_field)
    minutes = f.integer(m, where, "minutes", None, 1, MAX_MINUTES)
    links: list[ExampleLink] = []
    link_paths: list[KeyPath] = []
    linked: set[str] = set()
    for i, raw_link in enumerate(f.items(m, where, "examples", most=MAX_LINKED_EXAMPLES,
                                         what="linked examples")):
        l_where = (*where, "examples", i)
        lm = f.mapping(raw_link, l_where, ("example",), ("look_at",))
        if lm is None:
            continue
        eid = f.ident(lm, l_where, "example")
        look_at = f.text(lm, l_where, "look_at", MAX_LOOK_AT, required=False)
        if look_at is None and m.get("key_question") is None \
                and isinstance(lm.get("look_at"), str | None):
            f.problem((*l_where, "look_at"), "look_at is required here: this prompt has no "
                                             "key_question whose link reason could be shown")
        if eid and eid in linked:
            f.problem((*l_where, "example"), f"example {eid!r} is linked twice")
        elif eid:
            linked.add(eid)
            links.append(ExampleLink(eid, look_at or ""))
            link_paths.append(l_where)
            b.ref(f, (*l_where, "example"), "example", eid)
    if not (pid and title and question and guidance):
        return None
    prompt = Prompt(id=pid, number=number, title=title, question=question, guidance=guidance,
                    fields=tuple(fields), examples=tuple(links), key_question=key_question,
                    minutes=minutes)
    return prompt, link_paths


_TEXT_ONLY = ("style", "max_length", "min_length")


def _field(f: YamlFile, raw: Any, where: KeyPath) -> AnswerField | None:
    m = f.mapping(raw, where, ("id", "label"),
                  ("kind", "style", "required", "max_length", "min_length", "placeholder",
                   "max_values"))
    if m is None:
        return None
    fid = f.ident(m, where)
    label = f.text(m, where, "label", MAX_LABEL)
    kind = m.get("kind", "text")
    if kind not in FIELD_KINDS:
        f.problem((*where, "kind"), "kind must be " + " or ".join(repr(k) for k in FIELD_KINDS)
                  + f", got {clipped_repr(kind)}")
        kind = "text"
    required = f.boolean(m, where, "required", True)
    placeholder = f.text(m, where, "placeholder", MAX_PLACEHOLDER, required=False)
    if kind == "cite":
        for key in _TEXT_ONLY:
            if key in m:
                f.problem((*where, key), f"{key} is for text fields; a cite field is a list "
                                         "of the prompt's linked examples to choose from")
        max_values = f.integer(m, where, "max_values", None, 1, MAX_LINKED_EXAMPLES)
        if not (fid and label):
            return None
        return AnswerField(id=fid, label=label, required=required, placeholder=placeholder,
                           kind="cite", max_values=max_values)
    if "max_values" in m:
        f.problem((*where, "max_values"), "max_values is for cite fields (kind: cite)")
    style = m.get("style", "paragraph")
    if style not in FIELD_STYLES:
        f.problem((*where, "style"),
                  f"style must be 'short' or 'paragraph', got {clipped_repr(style)}")
        style = "paragraph"
    max_length = f.integer(m, where, "max_length", 1000, 1, MAX_ANSWER_LENGTH) or 1000
    min_length = f.integer(m, where, "min_length", 0, 0, MAX_ANSWER_LENGTH) or 0
    if min_length > max_length:
        f.problem((*where, "min_length"),
                  f"min_length ({min_length}) is more than max_length ({max_length})")
    if not (fid and label):
        return None
    return AnswerField(id=fid, label=label, style=style, required=required,
                       max_length=max_length, min_length=min_length,
                       placeholder=placeholder)


def _chain(f: YamlFile, top: dict[str, Any], prompts: list[Prompt]) -> Chain | None:
    """The set's ``chain:``: every column fed by at least one text field of its prompts."""
    where: KeyPath = ("chain",)
    names = [c for c, _ in CHAIN_COLUMNS]
    m = f.mapping(top.get("chain"), where, names, ("min_chars",))
    if m is None:
        return None
    min_chars = f.integer(m, where, "min_chars", 0, 0, MAX_ANSWER_LENGTH) or 0
    by_id = {p.id: p for p in prompts}
    seen: set[tuple[str, str]] = set()
    columns: list[ChainColumn] = []
    ok = True
    for name, title in CHAIN_COLUMNS:
        if name not in m:
            ok = False
            continue
        parts = _chain_column(f, m[name], (*where, name), by_id, seen)
        if parts is None:
            ok = False
            continue
        columns.append(ChainColumn(name, title, tuple(parts)))
    return Chain(tuple(columns), min_chars) if ok else None


def _chain_column(f: YamlFile, raw: Any, where: KeyPath, by_id: dict[str, Prompt],
                  seen: set[tuple[str, str]]) -> list[ChainPart] | None:
    column = where[-1]
    if not isinstance(raw, dict) or not raw:
        what = "nothing" if raw is None or raw == {} else clipped_repr(raw)
        f.problem(where, f"column {column!r} has no parts: give a mapping of prompt ids to "
                         f"lists of their field ids (got {what})")
        return None
    parts: list[ChainPart] = []
    ok = True
    for pid, raw_fields in raw.items():
        p_where = (*where, pid)
        prompt = by_id.get(pid) if isinstance(pid, str) else None
        if prompt is None:
            close = f.close_match(str(pid), by_id)
            hint = f" (did you mean {close!r}?)" if close else ""
            f.problem(p_where, f"unknown prompt {clipped_repr(pid)} in this set{hint}")
            ok = False
            continue
        items = raw_fields if isinstance(raw_fields, list) else None
        if not items:
            f.problem(p_where, f"expected a list of field ids of prompt {pid!r}, got "
                               f"{clipped_repr(raw_fields) if raw_fields else 'nothing'}")
            ok = False
            continue
        for i, item in enumerate(items):
            part = _chain_part(f, item, (*p_where, i), prompt)
            if part is None:
                ok = False
            elif (part.prompt_id, part.field_id) in seen:
                f.problem((*p_where, i), f"field {part.field_id!r} of prompt {pid!r} is in "
                                         "the chain twice")
                ok = False
            else:
                seen.add((part.prompt_id, part.field_id))
                parts.append(part)
    return parts if ok and parts else None


def _chain_part(f: YamlFile, raw: Any, where: KeyPath, prompt: Prompt) -> ChainPart | None:
    required: bool | None = None
    if isinstance(raw, dict):
        m = f.mapping(raw, where, ("field",), ("required",))
        if m is None:
            return None
        fid = m.get("field")
        required = f.boolean(m, where, "required", False) if "required" in m else None
        where = (*where, "field")
    else:
        fid = raw
    field = prompt.field_by_id(fid) if isinstance(fid, str) else None
    if field is None:
        close = f.close_match(str(fid), [x.id for x in prompt.fields])
        hint = f" (did you mean {close!r}?)" if close else ""
        f.problem(where, f"unknown field {clipped_repr(fid)} of prompt {prompt.id!r}{hint}")
        return None
    if field.is_cite:
        f.problem(where, f"field {field.id!r} cites examples; the chain takes text fields (the "
                         "examples a link cites are checked from its prompt's cite field)")
        return None
    return ChainPart(prompt.id, field.id, field.required if required is None else required)
