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
MAX_LABEL_DESCRIPTION = 100
MAX_TEXT_INPUT_LENGTH = 4000
MAX_TEXT_INPUT_PLACEHOLDER = 100
MAX_FILES = 10
MAX_AUTOCOMPLETE_CHOICES = 25
MAX_CHOICE_TEXT = 100
MAX_V2_COMPONENTS = 40
MAX_COLOR = 0xFFFFFF
MAX_NONCE = 25
MAX_STICKERS = 3
MAX_COMMAND_TOTAL = 4000
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
COMPONENT_TEXT_DISPLAY = 10
COMPONENT_CONTAINER = 17
COMPONENT_LABEL = 18
# What a Label may hold: text input, selects, file upload, radio/checkbox groups, checkbox.
LABEL_CHILD_TYPES = frozenset({COMPONENT_TEXT_INPUT, *SELECT_TYPES, 19, 21, 22, 23})
# Components a message may carry (4, the text input, is refused with its own rule).
MESSAGE_COMPONENT_TYPES = frozenset({1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17})

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
        color = embed.get("color")
        if color is not None and (
            isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= MAX_COLOR
        ):
            out.append(
                Problem(
                    "embed_color_range",
                    (*path, "color"),
                    f"Color {color!r} is not an integer from 0 to {MAX_COLOR}.",
                    "NUMBER_TYPE_MAX",
                )
            )
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
    if style not in (1, 2, 3, 4, 5, 6):
        out.append(
            Problem(
                "button_style",
                (*path, "style"),
                f"Value {style!r} is not a valid button style (1-6).",
                "ENUM_TYPE_COERCE",
            )
        )
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
    if not (
        isinstance(min_values, int)
        and isinstance(max_values, int)
        and 0 <= min_values <= 25
        and 1 <= max_values <= 25
        and min_values <= max_values
    ):
        out.append(
            Problem(
                "select_values_range",
                (*path, "max_values"),
                f"min_values/max_values out of range ({min_values}/{max_values}).",
                "BASE_TYPE_BAD_INT",
            )
        )
        max_values = 25
    options = select.get("options") or []
    if select.get("type", 3) == COMPONENT_STRING_SELECT:
        defaults = sum(1 for o in options if isinstance(o, dict) and o.get("default"))
    else:
        defaults = len(select.get("default_values") or ())
    if defaults > max_values:
        out.append(
            Problem(
                "select_default_count",
                (*path, "options"),
                f"{defaults} options are selected by default; max_values is {max_values}.",
                "BASE_TYPE_BAD_LENGTH",
            )
        )
    if select.get("type", 3) != COMPONENT_STRING_SELECT:
        return
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
            if ctype not in MESSAGE_COMPONENT_TYPES:
                out.append(
                    Problem(
                        "component_type_unknown",
                        (*cpath, "type"),
                        f"Component type {ctype!r} cannot be used in a message.",
                        "UNION_TYPE_CHOICES",
                    )
                )
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
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
        out.append(
            Problem(
                "nonce_length",
                ("nonce",),
                f"Must be {MAX_NONCE} or fewer in length (got {len(nonce)}).",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    if len(payload.get("sticker_ids") or ()) > MAX_STICKERS:
        out.append(
            Problem(
                "sticker_count",
                ("sticker_ids",),
                f"Must be {MAX_STICKERS} or fewer in length.",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
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


def _length_between(
    out: list[Problem], rule: str, path: tuple[str | int, ...], value: Any, low: int, high: int
) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        size = len(value) if isinstance(value, str) else "missing"
        out.append(
            Problem(
                rule,
                path,
                f"Must be between {low} and {high} in length (got {size}).",
                "BASE_TYPE_BAD_LENGTH",
            )
        )


def check_modal(data: Any) -> list[Problem]:
    """A modal (callback type 9): 1-5 top-level Labels, Text Displays or (legacy) action rows
    holding one text input; selects only inside a Label; Discord's limits on each part."""
    if not isinstance(data, dict):
        return [Problem("modal_type", ("data",), "Must be an object.")]
    out: list[Problem] = []
    _length_between(
        out, "modal_title_length", ("data", "title"), data.get("title"), 1, MAX_MODAL_TITLE
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
        if not isinstance(comp, dict):
            out.append(Problem("component_type", cpath, "Must be an object."))
            continue
        ctype = comp.get("type")
        if ctype == COMPONENT_ACTION_ROW:
            children = comp.get("components") or []
            if len(children) != 1:
                out.append(
                    Problem(
                        "modal_row_width",
                        (*cpath, "components"),
                        "A modal action row holds exactly one text input.",
                        "BASE_TYPE_BAD_LENGTH",
                    )
                )
            for j, child in enumerate(children):
                ipath = (*cpath, "components", j)
                if isinstance(child, dict) and child.get("type") in SELECT_TYPES:
                    out.append(
                        Problem(
                            "modal_select_in_action_row",
                            (*ipath, "type"),
                            "In a modal a select menu must be inside a Label (type 18), "
                            "not an action row.",
                            "UNION_TYPE_CHOICES",
                        )
                    )
                else:
                    _check_modal_item(child, child.get("label"), ipath, out, ids, in_label=False)
        elif ctype == COMPONENT_LABEL:
            _length_between(
                out, "modal_label_length", (*cpath, "label"), comp.get("label"), 1, MAX_MODAL_LABEL
            )
            _too_long(
                out,
                "modal_label_description_length",
                (*cpath, "description"),
                comp.get("description"),
                MAX_LABEL_DESCRIPTION,
            )
            inner = comp.get("component")
            if not isinstance(inner, dict) or inner.get("type") not in LABEL_CHILD_TYPES:
                kind = inner.get("type") if isinstance(inner, dict) else "missing"
                out.append(
                    Problem(
                        "modal_label_component",
                        (*cpath, "component"),
                        f"A Label holds a text input, a select or an upload, not {kind}.",
                        "UNION_TYPE_CHOICES",
                    )
                )
            else:
                _check_modal_item(
                    inner, comp.get("label"), (*cpath, "component"), out, ids, in_label=True
                )
        elif ctype == COMPONENT_TEXT_DISPLAY:
            _length_between(
                out, "text_display_length", (*cpath, "content"), comp.get("content"), 1, 4000
            )
        else:
            out.append(
                Problem(
                    "modal_component_type",
                    (*cpath, "type"),
                    f"Component type {ctype!r} cannot be used at the top of a modal "
                    "(Label 18, Text Display 10 or an action row 1).",
                    "UNION_TYPE_CHOICES",
                )
            )
    return out


def _check_modal_item(
    item: Any,
    label: str | None,
    path: tuple[str | int, ...],
    out: list[Problem],
    ids: set[str],
    *,
    in_label: bool,
) -> None:
    if not isinstance(item, dict):
        out.append(Problem("component_type", path, "Must be an object."))
        return
    custom_id = item.get("custom_id")
    _custom_id(out, path, custom_id)
    if isinstance(custom_id, str):
        if custom_id in ids:
            out.append(
                Problem(
                    "custom_id_duplicated",
                    (*path, "custom_id"),
                    f"Component custom id {custom_id!r} is used twice in this modal.",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                )
            )
        ids.add(custom_id)
    if item.get("disabled"):
        out.append(
            Problem(
                "modal_disabled_component",
                (*path, "disabled"),
                "Modals cannot have disabled components.",
                "BASE_TYPE_INVALID",
            )
        )
    itype = item.get("type")
    if itype == COMPONENT_TEXT_INPUT:
        _check_text_input(item, label, path, out, in_label=in_label)
    elif itype in SELECT_TYPES:
        _check_select(item, path, out)
        required = item.get("required", True)
        min_values = item.get("min_values", 1)
        if required and isinstance(min_values, int) and min_values < 1:
            out.append(
                Problem(
                    "modal_select_min_values",
                    (*path, "min_values"),
                    "min_values must be at least 1 (or omitted) when the select is required.",
                    "BASE_TYPE_BAD_INT",
                )
            )
    elif itype == COMPONENT_BUTTON:
        out.append(
            Problem(
                "modal_button",
                (*path, "type"),
                "Buttons are not allowed in modals.",
                "UNION_TYPE_CHOICES",
            )
        )
    elif itype not in LABEL_CHILD_TYPES:
        out.append(
            Problem(
                "modal_component_type",
                (*path, "type"),
                f"Component type {itype!r} cannot be used in a modal.",
                "UNION_TYPE_CHOICES",
            )
        )


def _check_text_input(
    item: Mapping[str, Any],
    label: str | None,
    path: tuple[str | int, ...],
    out: list[Problem],
    *,
    in_label: bool,
) -> None:
    if not in_label and ("label" in item or label is None):
        _length_between(out, "modal_label_length", (*path, "label"), label, 1, MAX_MODAL_LABEL)
    if item.get("style") not in (1, 2):
        out.append(Problem("text_input_style", (*path, "style"), "Style must be 1 or 2."))
    max_length = item.get("max_length")
    if max_length is not None and not 1 <= max_length <= MAX_TEXT_INPUT_LENGTH:
        out.append(
            Problem(
                "text_input_max_length",
                (*path, "max_length"),
                f"Must be between 1 and {MAX_TEXT_INPUT_LENGTH} (got {max_length}).",
                "NUMBER_TYPE_MAX",
            )
        )
    min_length = item.get("min_length")
    if min_length is not None and not 0 <= min_length <= MAX_TEXT_INPUT_LENGTH:
        out.append(
            Problem(
                "text_input_min_length",
                (*path, "min_length"),
                f"Must be between 0 and {MAX_TEXT_INPUT_LENGTH} (got {min_length}).",
                "NUMBER_TYPE_MAX",
            )
        )
    if isinstance(min_length, int) and isinstance(max_length, int) and min_length > max_length:
        out.append(
            Problem(
                "text_input_length_range",
                (*path, "min_length"),
                f"min_length ({min_length}) is more than max_length ({max_length}).",
                "BASE_TYPE_BAD_INT",
            )
        )
    _too_long(
        out,
        "text_input_placeholder_length",
        (*path, "placeholder"),
        item.get("placeholder"),
        MAX_TEXT_INPUT_PLACEHOLDER,
    )
    limit = max_length if isinstance(max_length, int) and max_length >= 1 else None
    _too_long(
        out,
        "text_input_value_length",
        (*path, "value"),
        item.get("value"),
        min(limit or MAX_TEXT_INPUT_LENGTH, MAX_TEXT_INPUT_LENGTH),
    )


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
        contexts = command.get("contexts")
        if contexts is not None and (
            not isinstance(contexts, list) or any(c not in (0, 1, 2) for c in contexts)
        ):
            out.append(
                Problem(
                    "command_contexts",
                    (*path, "contexts"),
                    f"Contexts must be 0 (guild), 1 (bot DM) or 2 (private channel): {contexts!r}.",
                    "ENUM_TYPE_COERCE",
                )
            )
        permissions = command.get("default_member_permissions")
        if permissions is not None and not (
            (isinstance(permissions, int) and not isinstance(permissions, bool))
            or (isinstance(permissions, str) and permissions.isdigit())
        ):
            out.append(
                Problem(
                    "command_permissions_invalid",
                    (*path, "default_member_permissions"),
                    f"Value {permissions!r} is not a permission bit set.",
                    "NUMBER_TYPE_COERCE",
                )
            )
        if ctype == 1:
            _check_command_node(command, path, out)
            total = _command_text_length(command)
            if total > MAX_COMMAND_TOTAL:
                out.append(
                    Problem(
                        "command_total_length",
                        path,
                        f"Names, descriptions and choices total {total} characters "
                        f"(at most {MAX_COMMAND_TOTAL}).",
                        "APPLICATION_COMMAND_TOO_LARGE",
                    )
                )
        elif command.get("description"):
            out.append(
                Problem(
                    "command_description_not_allowed",
                    (*path, "description"),
                    "User and message commands cannot have a description.",
                    "APPLICATION_COMMAND_DESCRIPTION_INVALID",
                )
            )
    return out


def _command_text_length(node: Mapping[str, Any]) -> int:
    total = len(node.get("name") or "") + len(node.get("description") or "")
    for choice in node.get("choices") or ():
        total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    for option in node.get("options") or ():
        total += _command_text_length(option)
    return total


OPTION_TYPES = frozenset(range(1, 12))
AUTOCOMPLETE_TYPES = frozenset({3, 4, 10})
SUBCOMMAND_TYPES = frozenset({1, 2})


def _check_command_node(
    node: Mapping[str, Any], path: tuple[str | int, ...], out: list[Problem], *, root: bool = True
) -> None:
    """A command (``root``) or one of its options (subcommands and groups recursively)."""
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
    kinds = {o.get("type") in SUBCOMMAND_TYPES for o in options}
    if len(kinds) == 2:
        out.append(
            Problem(
                "command_options_mixed",
                (*path, "options"),
                "Subcommands and groups cannot sit beside plain options.",
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            )
        )
    names: set[str] = set()
    optional_seen = False
    for j, option in enumerate(options):
        opath = (*path, "options", j)
        otype = option.get("type")
        oname = option.get("name")
        if oname in names:
            out.append(
                Problem(
                    "command_option_name_duplicated",
                    (*opath, "name"),
                    f"Option name {oname!r} is used twice.",
                    "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                )
            )
        names.add(oname)
        if otype not in OPTION_TYPES:
            out.append(
                Problem(
                    "command_option_type",
                    (*opath, "type"),
                    f"Value {otype!r} is not a valid option type (1-11).",
                    "ENUM_TYPE_COERCE",
                )
            )
            continue
        if otype in SUBCOMMAND_TYPES:
            if not root and (node.get("type") == 1 or otype == 2):
                out.append(
                    Problem(
                        "command_group_nested",
                        (*opath, "type"),
                        "Subcommand groups hold subcommands only; nothing nests deeper.",
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    )
                )
            _check_command_node(option, opath, out, root=False)
            continue
        _check_command_node({**option, "options": []}, opath, out, root=False)
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
        _check_option_values(option, otype, opath, out)


def _check_option_values(
    option: Mapping[str, Any], otype: int, path: tuple[str | int, ...], out: list[Problem]
) -> None:
    choices = option.get("choices") or []
    if len(choices) > 25:
        out.append(
            Problem(
                "command_choice_count",
                (*path, "choices"),
                "Must be 25 or fewer in length.",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    if option.get("autocomplete"):
        if choices:
            out.append(
                Problem(
                    "command_choices_autocomplete",
                    (*path, "autocomplete"),
                    "Autocomplete cannot be set with choices.",
                    "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                )
            )
        if otype not in AUTOCOMPLETE_TYPES:
            out.append(
                Problem(
                    "command_autocomplete_type",
                    (*path, "autocomplete"),
                    f"Autocomplete is only for string, integer and number options, not {otype}.",
                    "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                )
            )
    for k, choice in enumerate(choices):
        cpath = (*path, "choices", k)
        _length_between(
            out, "command_choice_name_length", (*cpath, "name"), choice.get("name"), 1, 100
        )
        value = choice.get("value")
        if otype == 3:
            fits = isinstance(value, str)
        elif otype == 4:
            fits = isinstance(value, int) and not isinstance(value, bool)
        else:
            fits = isinstance(value, int | float) and not isinstance(value, bool)
        if not fits:
            out.append(
                Problem(
                    "command_choice_type",
                    (*cpath, "value"),
                    f"Choice value {value!r} does not match the option's type ({otype}).",
                    "APPLICATION_COMMAND_OPTION_CHOICE_TYPE_INVALID",
                )
            )
        elif isinstance(value, str):
            _length_between(out, "command_choice_value_length", (*cpath, "value"), value, 1, 100)
    low, high = option.get("min_value"), option.get("max_value")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        out.append(
            Problem(
                "command_option_value_range",
                (*path, "min_value"),
                f"min_value ({low}) is more than max_value ({high}).",
                "NUMBER_TYPE_MIN",
            )
        )
    low, high = option.get("min_length"), option.get("max_length")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        out.append(
            Problem(
                "command_option_length_range",
                (*path, "min_length"),
                f"min_length ({low}) is more than max_length ({high}).",
                "NUMBER_TYPE_MIN",
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
