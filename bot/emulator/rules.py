"""Discord's rules on what a bot may send, checked on every message, modal and command payload.

Each check returns a list of :class:`Problem`; an empty list means Discord would accept it.
The server turns problems into a ``400 Invalid Form Body`` answer shaped like Discord's and a
:class:`~bot.emulator.model.Violation` record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER_TEXT = 2048
MAX_AUTHOR_NAME = 256
MAX_ACTION_ROWS = 5
MAX_ROW_WIDTH = 5
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_SELECT_OPTIONS = 25
MAX_SELECT_OPTION_TEXT = 100
MAX_SELECT_PLACEHOLDER = 150
MAX_MODAL_TITLE = 45
MAX_MODAL_LABEL = 45
MAX_MODAL_COMPONENTS = 5
MAX_TEXT_INPUT_LENGTH = 4000
MAX_TEXT_INPUT_PLACEHOLDER = 100
MAX_FILES = 10
MAX_AUTOCOMPLETE_CHOICES = 25
MAX_CHOICE_TEXT = 100
MAX_V2_COMPONENTS = 40
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = (1 << 2) | FLAG_EPHEMERAL | (1 << 12) | FLAG_COMPONENTS_V2

COMPONENT_ACTION_ROW = 1
COMPONENT_BUTTON = 2
COMPONENT_STRING_SELECT = 3
COMPONENT_TEXT_INPUT = 4
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
COMPONENT_SECTION = 9
COMPONENT_CONTAINER = 17
COMPONENT_LABEL = 18

USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")


@dataclass(frozen=True)
class Problem:
    """One broken rule: a stable ``rule`` name, where (``path``) and what, in Discord's words."""

    rule: str
    path: tuple[str | int, ...]
    message: str
    code: str = "BASE_TYPE_INVALID"

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(body)"
        return f"{self.rule}: {where}: {self.message}"


def discord_errors(problems: Iterable[Problem]) -> dict[str, Any]:
    """Nest problems like Discord's ``errors`` object (``{"content": {"_errors": [...]}}``)."""
    root: dict[str, Any] = {}
    for problem in problems:
        node = root
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return root


def _too_long(
    out: list[Problem], rule: str, path: tuple[str | int, ...], value: Any, limit: int
) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(
            Problem(
                rule,
                path,
                f"Must be {limit} or fewer in length (got {len(value)}).",
                "BASE_TYPE_MAX_LENGTH",
            )
        )


def _custom_id(out: list[Problem], path: tuple[str | int, ...], value: Any) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CUSTOM_ID:
        size = len(value) if isinstance(value, str) else "missing"
        out.append(
            Problem(
                "custom_id_length",
                (*path, "custom_id"),
                f"Must be between 1 and {MAX_CUSTOM_ID} in length (got {size}).",
                "BASE_TYPE_BAD_LENGTH",
            )
        )


# --- embeds -------------------------------------------------------------------------------


def embed_text_length(embed: Mapping[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or ():
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def check_embeds(embeds: Any, out: list[Problem]) -> None:
    if not isinstance(embeds, list):
        out.append(Problem("embeds_type", ("embeds",), "Must be an array."))
        return
    if len(embeds) > MAX_EMBEDS:
        out.append(
            Problem(
                "embed_count",
                ("embeds",),
                f"Must be {MAX_EMBEDS} or fewer in length (got {len(embeds)}).",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    total = 0
    for i, embed in enumerate(embeds):
        path: tuple[str | int, ...] = ("embeds", i)
        if not isinstance(embed, dict):
            out.append(Problem("embed_type", path, "Must be an object."))
            continue
        _too_long(out, "embed_title_length", (*path, "title"), embed.get("title"), MAX_EMBED_TITLE)
        _too_long(
            out,
            "embed_description_length",
            (*path, "description"),
            embed.get("description"),
            MAX_EMBED_DESCRIPTION,
        )
        fields = embed.get("fields") or []
        if len(fields) > MAX_EMBED_FIELDS:
            out.append(
                Problem(
                    "embed_field_count",
                    (*path, "fields"),
                    f"Must be {MAX_EMBED_FIELDS} or fewer in length (got {len(fields)}).",
                    "BASE_TYPE_MAX_LENGTH",
                )
            )
        for j, field in enumerate(fields):
            fpath = (*path, "fields", j)
            for key, limit in (("name", MAX_FIELD_NAME), ("value", MAX_FIELD_VALUE)):
                value = field.get(key)
                if not isinstance(value, str) or not value.strip():
                    out.append(
                        Problem(
                            f"embed_field_{key}_required",
                            (*fpath, key),
                            "This field is required",
                            "BASE_TYPE_REQUIRED",
                        )
                    )
                else:
                    _too_long(out, f"embed_field_{key}_length", (*fpath, key), value, limit)
        footer = embed.get("footer") or {}
        _too_long(
            out,
            "embed_footer_length",
            (*path, "footer", "text"),
            footer.get("text"),
            MAX_FOOTER_TEXT,
        )
        author = embed.get("author") or {}
        _too_long(
            out,
            "embed_author_length",
            (*path, "author", "name"),
            author.get("name"),
            MAX_AUTHOR_NAME,
        )
        total += embed_text_length(embed)
    if total > MAX_EMBED_TOTAL:
        out.append(
            Problem(
                "embed_total_length",
                ("embeds",),
                f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL} (got {total}).",
                "MAX_EMBED_SIZE_EXCEEDED",
            )
        )


# --- components ---------------------------------------------------------------------------


def walk_components(components: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every component, depth first, including those inside rows, sections and containers."""
    for component in components:
        yield component
        children = component.get("components")
        if children:
            yield from walk_components(children)
        accessory = component.get("accessory")
        if accessory:
            yield from walk_components([accessory])
        inner = component.get("component")
        if inner:
            yield from walk_components([inner])


def _check_button(
    button: Mapping[str, Any], path: tuple[str | int, ...], out: list[Problem]
) -> None:
    _too_long(out, "button_label_length", (*path, "label"), button.get("label"), MAX_BUTTON_LABEL)
    style = button.get("style")
    if style == 5:
        if not button.get("url"):
            out.append(Problem("button_url_required", (*path, "url"), "Link buttons need a url."))
        if "custom_id" in button:
            out.append(
                Problem(
                    "button_link_custom_id",
                    (*path, "custom_id"),
                    "Link buttons cannot have a custom_id.",
                )
            )
    elif style == 6:
        if not button.get("sku_id"):
            out.append(
                Problem("button_sku_required", (*path, "sku_id"), "Premium buttons need a sku_id.")
            )
    else:
        _custom_id(out, path, button.get("custom_id"))
        if not button.get("label") and not button.get("emoji"):
            out.append(
                Problem(
                    "button_label_required", (*path, "label"), "A button needs a label or an emoji."
                )
            )


def _check_select(
    select: Mapping[str, Any], path: tuple[str | int, ...], out: list[Problem]
) -> None:
    _custom_id(out, path, select.get("custom_id"))
    _too_long(
        out,
        "select_placeholder_length",
        (*path, "placeholder"),
        select.get("placeholder"),
        MAX_SELECT_PLACEHOLDER,
    )
    min_values = select.get("min_values", 1)
    max_values = select.get("max_values", 1)
    if not (0 <= min_values <= 25 and 1 <= max_values <= 25 and min_values <= max_values):
        out.append(
            Problem(
                "select_values_range",
                (*path, "max_values"),
                f"min_values/max_values out of range ({min_values}/{max_values}).",
                "BASE_TYPE_BAD_INT",
            )
        )
    if select.get("type", 3) != COMPONENT_STRING_SELECT:
        return
    options = select.get("options") or []
    if not 1 <= len(options) <= MAX_SELECT_OPTIONS:
        out.append(
            Problem(
                "select_option_count",
                (*path, "options"),
                f"Must be between 1 and {MAX_SELECT_OPTIONS} in length (got {len(options)}).",
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    elif max_values > len(options):
        out.append(
            Problem(
                "select_values_range",
                (*path, "max_values"),
                f"max_values ({max_values}) is more than the {len(options)} options.",
                "BASE_TYPE_BAD_INT",
            )
        )
    seen: set[str] = set()
    for k, option in enumerate(options):
        opath = (*path, "options", k)
        for key in ("label", "value"):
            value = option.get(key)
            if not isinstance(value, str) or not value:
                out.append(
                    Problem(
                        f"select_option_{key}_required",
                        (*opath, key),
                        "This field is required",
                        "BASE_TYPE_REQUIRED",
                    )
                )
            else:
                _too_long(
                    out, f"select_option_{key}_length", (*opath, key), value, MAX_SELECT_OPTION_TEXT
                )
        _too_long(
            out,
            "select_option_description_length",
            (*opath, "description"),
            option.get("description"),
            MAX_SELECT_OPTION_TEXT,
        )
        value = option.get("value")
        if isinstance(value, str):
            if value in seen:
                out.append(
                    Problem(
                        "select_option_value_duplicated",
                        (*opath, "value"),
                        f"Option value {value!r} is used twice.",
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                    )
                )
            seen.add(value)


def check_components(components: Any, flags: int, out: list[Problem]) -> None:
    if not isinstance(components, list):
        out.append(Problem("components_type", ("components",), "Must be an array."))
        return
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    if not v2 and len(components) > MAX_ACTION_ROWS:
        out.append(
            Problem(
                "action_row_count",
                ("components",),
                f"Must be {MAX_ACTION_ROWS} or fewer in length (got {len(components)}).",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    if v2:
        count = sum(1 for _ in walk_components(components))
        if count > MAX_V2_COMPONENTS:
            out.append(
                Problem(
                    "component_count",
                    ("components",),
                    f"At most {MAX_V2_COMPONENTS} components in total (got {count}).",
                    "BASE_TYPE_MAX_LENGTH",
                )
            )
    custom_ids: set[str] = set()
    _check_component_list(components, ("components",), top=True, v2=v2, out=out, ids=custom_ids)


def _check_component_list(
    components: Sequence[Any],
    path: tuple[str | int, ...],
    *,
    top: bool,
    v2: bool,
    out: list[Problem],
    ids: set[str],
) -> None:
    for i, comp in enumerate(components):
        cpath = (*path, i)
        if not isinstance(comp, dict):
            out.append(Problem("component_type", cpath, "Must be an object."))
            continue
        ctype = comp.get("type")
        if top and not v2 and ctype != COMPONENT_ACTION_ROW:
            out.append(
                Problem(
                    "component_top_level",
                    (*cpath, "type"),
                    "Top-level components must be action rows (type 1).",
                    "UNION_TYPE_CHOICES",
                )
            )
        custom_id = comp.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in ids:
                out.append(
                    Problem(
                        "custom_id_duplicated",
                        (*cpath, "custom_id"),
                        f"Component custom id {custom_id!r} is used twice in this message.",
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                    )
                )
            ids.add(custom_id)
        if ctype == COMPONENT_ACTION_ROW:
            children = comp.get("components") or []
            selects = [c for c in children if isinstance(c, dict) and c.get("type") in SELECT_TYPES]
            if not children:
                out.append(
                    Problem(
                        "action_row_empty",
                        (*cpath, "components"),
                        "An action row needs at least one component.",
                        "BASE_TYPE_BAD_LENGTH",
                    )
                )
            if len(children) > MAX_ROW_WIDTH:
                out.append(
                    Problem(
                        "action_row_width",
                        (*cpath, "components"),
                        f"Must be {MAX_ROW_WIDTH} or fewer in length (got {len(children)}).",
                        "BASE_TYPE_MAX_LENGTH",
                    )
                )
            if selects and len(children) > 1:
                out.append(
                    Problem(
                        "select_row_width",
                        (*cpath, "components"),
                        "A select menu takes a whole action row.",
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    )
                )
            _check_component_list(
                children, (*cpath, "components"), top=False, v2=v2, out=out, ids=ids
            )
        elif ctype == COMPONENT_BUTTON:
            _check_button(comp, cpath, out)
        elif ctype in SELECT_TYPES:
            _check_select(comp, cpath, out)
        elif ctype == COMPONENT_TEXT_INPUT:
            out.append(
                Problem(
                    "text_input_in_message",
                    (*cpath, "type"),
                    "Text inputs are only allowed in modals.",
                    "UNION_TYPE_CHOICES",
                )
            )
        else:
            if ctype in (COMPONENT_SECTION, COMPONENT_CONTAINER) and not v2:
                out.append(
                    Problem(
                        "components_v2_flag",
                        (*cpath, "type"),
                        "Layout components need the IS_COMPONENTS_V2 flag (1 << 15).",
                        "UNION_TYPE_CHOICES",
                    )
                )
            children = comp.get("components")
            if children:
                _check_component_list(
                    children, (*cpath, "components"), top=False, v2=v2, out=out, ids=ids
                )
            accessory = comp.get("accessory")
            if accessory:
                _check_component_list(
                    [accessory], (*cpath, "accessory"), top=False, v2=v2, out=out, ids=ids
                )


# --- messages -----------------------------------------------------------------------------


def check_allowed_mentions(allowed: Any, out: list[Problem]) -> None:
    if allowed is None:
        return
    if not isinstance(allowed, dict):
        out.append(Problem("allowed_mentions_type", ("allowed_mentions",), "Must be an object."))
        return
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("users", "roles", "everyone"):
            out.append(
                Problem(
                    "allowed_mentions_parse",
                    ("allowed_mentions", "parse", i),
                    f"Value {kind!r} is not a valid enum value.",
                    "ENUM_TYPE_COERCE",
                )
            )
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        if ids and kind in parse:
            out.append(
                Problem(
                    "allowed_mentions_conflict",
                    ("allowed_mentions", kind),
                    f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                )
            )
        if len(ids) > 100:
            out.append(
                Problem(
                    "allowed_mentions_count",
                    ("allowed_mentions", kind),
                    "Must be 100 or fewer in length.",
                    "BASE_TYPE_MAX_LENGTH",
                )
            )


def check_message(
    payload: Mapping[str, Any],
    *,
    file_sizes: Sequence[tuple[str, int]] = (),
    creating: bool = True,
    attachment_limit: int = DEFAULT_ATTACHMENT_LIMIT,
    kept_attachments: int = 0,
) -> list[Problem]:
    """Check a message body (create or edit) the way Discord's API does."""
    out: list[Problem] = []
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        out.append(Problem("content_type", ("content",), "Must be a string."))
    _too_long(out, "content_length", ("content",), content, MAX_CONTENT)
    flags = payload.get("flags") or 0
    if flags & ~SENDABLE_FLAGS & ~FLAG_LOADING:
        out.append(
            Problem("flags_invalid", ("flags",), f"Flags {flags} include ones a bot cannot set.")
        )
    if "embeds" in payload and payload["embeds"] is not None:
        check_embeds(payload["embeds"], out)
    if "components" in payload and payload["components"] is not None:
        check_components(payload["components"], flags, out)
    check_allowed_mentions(payload.get("allowed_mentions"), out)
    if flags & FLAG_COMPONENTS_V2 and (payload.get("content") or payload.get("embeds")):
        out.append(
            Problem(
                "components_v2_content",
                ("content",),
                "Messages with IS_COMPONENTS_V2 cannot have content or embeds.",
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            )
        )
    if len(file_sizes) + kept_attachments > MAX_FILES:
        out.append(
            Problem(
                "attachment_count",
                ("attachments",),
                f"Must be {MAX_FILES} or fewer in length.",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    for i, (name, size) in enumerate(file_sizes):
        if size > attachment_limit:
            out.append(
                Problem(
                    "attachment_size",
                    ("files", i),
                    f"File {name!r} is {size} bytes; the limit is {attachment_limit}.",
                    "BASE_TYPE_MAX_SIZE",
                )
            )
    if creating and not (
        content
        or payload.get("embeds")
        or payload.get("components")
        or file_sizes
        or payload.get("sticker_ids")
        or payload.get("poll")
    ):
        out.append(Problem("message_empty", (), "Cannot send an empty message", "MESSAGE_EMPTY"))
    return out


# --- modals and autocomplete --------------------------------------------------------------


def modal_inputs(
    components: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    """Each interactive modal component with its label (from the input or its Label wrapper)."""
    for comp in components:
        ctype = comp.get("type")
        if ctype == COMPONENT_ACTION_ROW:
            for child in comp.get("components") or []:
                yield child, child.get("label")
        elif ctype == COMPONENT_LABEL:
            inner = comp.get("component") or {}
            yield inner, comp.get("label")
        elif "custom_id" in comp:
            yield comp, comp.get("label")


def check_modal(data: Any) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem("modal_type", ("data",), "Must be an object.")]
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MAX_MODAL_TITLE:
        out.append(
            Problem(
                "modal_title_length",
                ("data", "title"),
                f"Must be between 1 and {MAX_MODAL_TITLE} in length "
                f"(got {len(title) if isinstance(title, str) else 'missing'}).",
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    _custom_id(out, ("data",), data.get("custom_id"))
    components = data.get("components") or []
    if not 1 <= len(components) <= MAX_MODAL_COMPONENTS:
        out.append(
            Problem(
                "modal_component_count",
                ("data", "components"),
                f"Must be between 1 and {MAX_MODAL_COMPONENTS} in length (got {len(components)}).",
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    ids: set[str] = set()
    for i, comp in enumerate(components):
        cpath: tuple[str | int, ...] = ("data", "components", i)
        ctype = comp.get("type")
        if ctype == COMPONENT_ACTION_ROW and len(comp.get("components") or []) != 1:
            out.append(
                Problem(
                    "modal_row_width",
                    (*cpath, "components"),
                    "A modal action row holds exactly one text input.",
                    "BASE_TYPE_BAD_LENGTH",
                )
            )
        if ctype == COMPONENT_LABEL:
            label = comp.get("label")
            if not isinstance(label, str) or not 1 <= len(label) <= MAX_MODAL_LABEL:
                out.append(
                    Problem(
                        "modal_label_length",
                        (*cpath, "label"),
                        f"Must be between 1 and {MAX_MODAL_LABEL} in length.",
                        "BASE_TYPE_BAD_LENGTH",
                    )
                )
    for k, (item, label) in enumerate(modal_inputs(components)):
        ipath: tuple[str | int, ...] = ("data", "components", k)
        custom_id = item.get("custom_id")
        _custom_id(out, ipath, custom_id)
        if isinstance(custom_id, str):
            if custom_id in ids:
                out.append(
                    Problem(
                        "custom_id_duplicated",
                        (*ipath, "custom_id"),
                        f"Component custom id {custom_id!r} is used twice in this modal.",
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                    )
                )
            ids.add(custom_id)
        itype = item.get("type")
        if itype == COMPONENT_TEXT_INPUT:
            if ("label" in item or label is None) and (
                not isinstance(label, str) or not 1 <= len(label) <= MAX_MODAL_LABEL
            ):
                out.append(
                    Problem(
                        "modal_label_length",
                        (*ipath, "label"),
                        f"Must be between 1 and {MAX_MODAL_LABEL} in length "
                        f"(got {len(label) if isinstance(label, str) else 'missing'}).",
                        "BASE_TYPE_BAD_LENGTH",
                    )
                )
            if item.get("style") not in (1, 2):
                out.append(Problem("text_input_style", (*ipath, "style"), "Style must be 1 or 2."))
            max_length = item.get("max_length")
            if max_length is not None and not 1 <= max_length <= MAX_TEXT_INPUT_LENGTH:
                out.append(
                    Problem(
                        "text_input_max_length",
                        (*ipath, "max_length"),
                        f"Must be between 1 and {MAX_TEXT_INPUT_LENGTH} (got {max_length}).",
                        "NUMBER_TYPE_MAX",
                    )
                )
            min_length = item.get("min_length")
            if min_length is not None and not 0 <= min_length <= MAX_TEXT_INPUT_LENGTH:
                out.append(
                    Problem(
                        "text_input_min_length",
                        (*ipath, "min_length"),
                        f"Must be between 0 and {MAX_TEXT_INPUT_LENGTH} (got {min_length}).",
                        "NUMBER_TYPE_MAX",
                    )
                )
            _too_long(
                out,
                "text_input_placeholder_length",
                (*ipath, "placeholder"),
                item.get("placeholder"),
                MAX_TEXT_INPUT_PLACEHOLDER,
            )
            _too_long(
                out,
                "text_input_value_length",
                (*ipath, "value"),
                item.get("value"),
                MAX_TEXT_INPUT_LENGTH,
            )
        elif itype in SELECT_TYPES:
            _check_select(item, ipath, out)
        elif itype == COMPONENT_BUTTON:
            out.append(
                Problem(
                    "modal_button",
                    (*ipath, "type"),
                    "Buttons are not allowed in modals.",
                    "UNION_TYPE_CHOICES",
                )
            )
    return out


def check_autocomplete(data: Any) -> list[Problem]:
    out: list[Problem] = []
    choices = (data or {}).get("choices")
    if not isinstance(choices, list):
        return [
            Problem(
                "autocomplete_choices_required",
                ("data", "choices"),
                "This field is required",
                "BASE_TYPE_REQUIRED",
            )
        ]
    if len(choices) > MAX_AUTOCOMPLETE_CHOICES:
        out.append(
            Problem(
                "autocomplete_choice_count",
                ("data", "choices"),
                f"Must be {MAX_AUTOCOMPLETE_CHOICES} or fewer in length (got {len(choices)}).",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    for i, choice in enumerate(choices):
        path: tuple[str | int, ...] = ("data", "choices", i)
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_CHOICE_TEXT:
            out.append(
                Problem(
                    "autocomplete_choice_name_length",
                    (*path, "name"),
                    f"Must be between 1 and {MAX_CHOICE_TEXT} in length.",
                    "BASE_TYPE_BAD_LENGTH",
                )
            )
        value = choice.get("value")
        if isinstance(value, str):
            _too_long(
                out, "autocomplete_choice_value_length", (*path, "value"), value, MAX_CHOICE_TEXT
            )
    return out


# --- application commands -----------------------------------------------------------------

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def check_commands(commands: Any) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(commands, list):
        return [Problem("commands_type", (), "Must be an array.")]
    if len(commands) > 100:
        out.append(Problem("command_count", (), "At most 100 commands.", "BASE_TYPE_MAX_LENGTH"))
    seen: set[tuple[str, int]] = set()
    for i, command in enumerate(commands):
        path: tuple[str | int, ...] = (i,)
        ctype = command.get("type", 1)
        name = command.get("name", "")
        if (name, ctype) in seen:
            out.append(
                Problem(
                    "command_name_duplicated",
                    (*path, "name"),
                    f"Application command names must be unique ({name!r}).",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                )
            )
        seen.add((name, ctype))
        if ctype == 1:
            _check_command_node(command, path, out)
    return out


def _check_command_node(
    node: Mapping[str, Any], path: tuple[str | int, ...], out: list[Problem]
) -> None:
    name = node.get("name", "")
    if not COMMAND_NAME.match(name) or name != name.lower():
        out.append(
            Problem(
                "command_name_invalid",
                (*path, "name"),
                f"Invalid name {name!r} (1-32 lowercase letters, digits, - or _).",
                "APPLICATION_COMMAND_INVALID_NAME",
            )
        )
    description = node.get("description", "")
    if not 1 <= len(description) <= 100:
        out.append(
            Problem(
                "command_description_length",
                (*path, "description"),
                "Must be between 1 and 100 in length.",
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    options = node.get("options") or []
    if len(options) > 25:
        out.append(
            Problem(
                "command_option_count",
                (*path, "options"),
                "Must be 25 or fewer in length.",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    optional_seen = False
    for j, option in enumerate(options):
        opath = (*path, "options", j)
        if option.get("type") in (1, 2):
            _check_command_node(option, opath, out)
            continue
        _check_command_node({**option, "options": []}, opath, out)
        if option.get("required"):
            if optional_seen:
                out.append(
                    Problem(
                        "command_required_order",
                        opath,
                        "Required options must be placed before non-required options.",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    )
                )
        else:
            optional_seen = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            out.append(
                Problem(
                    "command_choice_count",
                    (*opath, "choices"),
                    "Must be 25 or fewer in length.",
                    "BASE_TYPE_MAX_LENGTH",
                )
            )
        if choices and option.get("autocomplete"):
            out.append(
                Problem(
                    "command_choices_autocomplete",
                    (*opath, "autocomplete"),
                    "Autocomplete cannot be set with choices.",
                    "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                )
            )


# --- mentions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mentions:
    users: tuple[int, ...]
    roles: tuple[int, ...]
    everyone: bool


def parse_mentions(content: str) -> Mentions:
    """Everything the content mentions, before ``allowed_mentions`` and permissions apply."""
    if not content or "@" not in content:
        return Mentions((), (), False)
    users = tuple(dict.fromkeys(int(m) for m in USER_MENTION.findall(content)))
    roles = tuple(dict.fromkeys(int(m) for m in ROLE_MENTION.findall(content)))
    everyone = "@everyone" in content or "@here" in content
    return Mentions(users, roles, everyone)


def filter_mentions(found: Mentions, allowed: Mapping[str, Any] | None) -> Mentions:
    """Apply Discord's ``allowed_mentions`` semantics (absent means everything is parsed)."""
    if allowed is None:
        return found
    parse = allowed.get("parse") or ()
    user_ids = {int(x) for x in allowed.get("users") or ()}
    role_ids = {int(x) for x in allowed.get("roles") or ()}
    users = found.users if "users" in parse else tuple(u for u in found.users if u in user_ids)
    roles = found.roles if "roles" in parse else tuple(r for r in found.roles if r in role_ids)
    return Mentions(users, roles, found.everyone and "everyone" in parse)
