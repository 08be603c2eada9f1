"""Prompt sets: one ``*.yaml`` file per set in a prompt folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.build import Build
from bot.content.limits import (
    FIELD_STYLES,
    MAX_ANSWER_LENGTH,
    MAX_DESCRIPTION,
    MAX_FIELDS,
    MAX_GUIDANCE,
    MAX_LABEL,
    MAX_LINKED_EXAMPLES,
    MAX_LOOK_AT,
    MAX_PLACEHOLDER,
    MAX_PROMPT_TITLE,
    MAX_PROMPTS,
    MAX_QUESTION,
    MAX_SET_TITLE,
)
from bot.content.problems import KeyPath
from bot.content.yaml_file import YamlFile, clipped_repr
from bot.models import AnswerField, ExampleLink, Prompt, PromptSet


def load_prompt_set(b: Build, path: Path) -> None:
    f = b.open(path)
    if f is None:
        return
    top = f.mapping(f.data, (), ("id", "title", "description", "prompts"))
    if top is None:
        return
    sid = f.ident(top, ())
    title = f.text(top, (), "title", MAX_SET_TITLE)
    description = f.text(top, (), "description", MAX_DESCRIPTION)
    prompts: list[Prompt] = []
    prompt_ids: dict[str, int] = {}
    raw_prompts = f.items(top, (), "prompts", least=1, most=MAX_PROMPTS, what="prompts")
    for i, raw in enumerate(raw_prompts):
        prompt = _prompt(b, f, raw, ("prompts", i), number=i + 1)
        if prompt is None:
            continue
        if prompt.id in prompt_ids:
            f.problem(("prompts", i, "id"), f"duplicate prompt id {prompt.id!r} in this set "
                                            f"(also prompts[{prompt_ids[prompt.id]}])")
            continue
        prompt_ids[prompt.id] = i
        prompts.append(prompt)
    if sid and b.define(f, (), "prompt set", sid) and title and description:
        b.prompt_sets[sid] = PromptSet(sid, title, description, tuple(prompts), f.display)


def _prompt(b: Build, f: YamlFile, raw: Any, where: KeyPath, number: int) -> Prompt | None:
    m = f.mapping(raw, where, ("id", "title", "question", "guidance", "fields"),
                  ("key_question", "examples"))
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
        field_ids.add(answer_field.id)
        fields.append(answer_field)
    links: list[ExampleLink] = []
    linked: set[str] = set()
    for i, raw_link in enumerate(f.items(m, where, "examples", most=MAX_LINKED_EXAMPLES,
                                         what="linked examples")):
        l_where = (*where, "examples", i)
        lm = f.mapping(raw_link, l_where, ("example", "look_at"))
        if lm is None:
            continue
        eid = f.ident(lm, l_where, "example")
        look_at = f.text(lm, l_where, "look_at", MAX_LOOK_AT)
        if eid and eid in linked:
            f.problem((*l_where, "example"), f"example {eid!r} is linked twice")
        elif eid and look_at:
            linked.add(eid)
            links.append(ExampleLink(eid, look_at))
            b.ref(f, (*l_where, "example"), "example", eid)
    if not (pid and title and question and guidance):
        return None
    return Prompt(id=pid, number=number, title=title, question=question, guidance=guidance,
                  fields=tuple(fields), examples=tuple(links), key_question=key_question)


def _field(f: YamlFile, raw: Any, where: KeyPath) -> AnswerField | None:
    m = f.mapping(raw, where, ("id", "label"),
                  ("style", "required", "max_length", "min_length", "placeholder"))
    if m is None:
        return None
    fid = f.ident(m, where)
    label = f.text(m, where, "label", MAX_LABEL)
    style = m.get("style", "paragraph")
    if style not in FIELD_STYLES:
        f.problem((*where, "style"),
                  f"style must be 'short' or 'paragraph', got {clipped_repr(style)}")
        style = "paragraph"
    required = f.boolean(m, where, "required", True)
    max_length = f.integer(m, where, "max_length", 1000, 1, MAX_ANSWER_LENGTH) or 1000
    min_length = f.integer(m, where, "min_length", 0, 0, MAX_ANSWER_LENGTH) or 0
    if min_length > max_length:
        f.problem((*where, "min_length"),
                  f"min_length ({min_length}) is more than max_length ({max_length})")
    placeholder = f.text(m, where, "placeholder", MAX_PLACEHOLDER, required=False)
    if not (fid and label):
        return None
    return AnswerField(id=fid, label=label, style=style, required=required,
                       max_length=max_length, min_length=min_length,
                       placeholder=placeholder)
