"""Prompt sets: one ``*.yaml`` file per set in a prompt folder.

A set may say how its sessions are answered by default (``answers: individual | group``);
a prompt may suggest how many minutes it takes (``minutes:``, shown on its card). A
prompt's ``examples:`` list gives the order (and, optionally, the ``look_at`` wording) of
examples on its card; for a prompt with a ``key_question`` the card also shows every other
example linked to that question (see :func:`bot.content.library.load_library`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.build import Build, PromptPlace
from bot.content.limits import (
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
from bot.models import ANSWER_MODES, AnswerField, AnswerMode, ExampleLink, Prompt, PromptSet


def load_prompt_set(b: Build, path: Path) -> None:
    f = b.open(path)
    if f is None:
        return
    top = f.mapping(f.data, (), ("id", "title", "description", "prompts"), ("answers",))
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
    if sid and b.define(f, (), "prompt set", sid) and title and description:
        b.prompt_sets[sid] = PromptSet(sid, title, description, tuple(prompts), f.display,
                                       answers=answers)
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
