"""The ``workshop-bot`` command line: validate, run, demo, export, backup."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings, SettingsError

log = logging.getLogger("workshop_bot")


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import ContentError, load_library

    content_dirs = tuple(args.content) if args.content else settings.content_dirs
    prompt_dirs = tuple(args.prompts) if args.prompts else settings.prompt_dirs
    try:
        library = load_library(content_dirs, prompt_dirs)
    except ContentError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    print(
        f"OK: {len(library.examples)} examples, {len(library.glossary)} glossary entries, "
        f"{len(library.key_questions)} key questions, {len(library.prompt_sets)} prompt sets "
        f"({', '.join(sorted(library.prompt_sets))})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workshop-bot",
        description="Run structured discussion workshops in Discord.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the content and prompt YAML files")
    p.add_argument("--content", type=Path, action="append",
                   help="content folder (repeatable; default: bundled + EXTRA_CONTENT_DIRS)")
    p.add_argument("--prompts", type=Path, action="append",
                   help="prompt-set folder (repeatable; default: bundled + EXTRA_PROMPT_DIRS)")
    p.set_defaults(func=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"workshop-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
