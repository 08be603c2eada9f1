"""The ``workshop-bot`` command line: validate, run, demo, export, backup, restore."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings, SettingsError
from bot.log import setup_logging
from bot.models import Library

if TYPE_CHECKING:
    from bot.content import ContentError

log = logging.getLogger("workshop_bot")


def _report_content_problems(exc: ContentError) -> None:
    """One line per problem (file, line, key path, what is wrong), then the count."""
    files = len({p.file for p in exc.problems})
    print(exc.report(), file=sys.stderr)
    print(f"{exc.total} problem{'s' if exc.total != 1 else ''} in "
          f"{files} file{'s' if files != 1 else ''}.", file=sys.stderr)


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import ContentError, load_library

    content_dirs = tuple(args.content) if args.content else settings.content_dirs
    prompt_dirs = tuple(args.prompts) if args.prompts else settings.prompt_dirs
    try:
        library = load_library(content_dirs, prompt_dirs)
    except ContentError as exc:
        _report_content_problems(exc)
        return 1
    print(
        f"OK: {len(library.examples)} examples, {len(library.glossary)} glossary entries, "
        f"{len(library.key_questions)} key questions, {len(library.prompt_sets)} prompt sets "
        f"({', '.join(sorted(library.prompt_sets))})"
    )
    return 0


NO_TOKEN_HELP = """\
No DISCORD_TOKEN is set, so the bot cannot connect to Discord.

To get a token: https://discord.com/developers/applications -> New Application -> Bot ->
Reset Token; put it in a .env file in the folder you start workshop-bot from, as
DISCORD_TOKEN=... (see .env.example and the README's "Running it in your server").

Without a token you can still try everything offline: `workshop-bot demo` plays a scripted
workshop against a local Discord emulator."""


def _load_or_report(settings: Settings) -> Library | None:
    """The content and prompt sets, or None after reporting their problems as validate does."""
    from bot.content import ContentError, load_library

    try:
        return load_library(settings.content_dirs, settings.prompt_dirs)
    except ContentError as exc:
        _report_content_problems(exc)
        print("Fix them and start again (`workshop-bot validate` checks the files).",
              file=sys.stderr)
        return None


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.discord_token:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 2
    import asyncio

    from bot.discord_ui.client import event_loop_factory
    from bot.discord_ui.lifecycle import serve
    from bot.storage import StorageError, StorageNotWritable, check_writable

    try:
        check_writable(settings.database_path)  # before anything else, Discord included
    except StorageNotWritable as exc:
        print(f"workshop-bot: cannot start: {exc} (DATABASE_PATH={settings.database_path})",
              file=sys.stderr)
        return 2
    library = _load_or_report(settings)
    if library is None:
        return 1
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(serve(settings, library))
    except StorageNotWritable as exc:
        print(f"workshop-bot: cannot start: {exc} (DATABASE_PATH={settings.database_path})",
              file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"workshop-bot: {exc}", file=sys.stderr)
        return 1


def _cmd_default(args: argparse.Namespace, settings: Settings) -> int:
    """No subcommand: run the bot when a token is configured, else the offline demo."""
    if settings.discord_token:
        return _cmd_run(args, settings)
    print(NO_TOKEN_HELP + "\n\nStarting the offline demo now.\n", file=sys.stderr)
    args.out = Path("demo-output")
    return _cmd_demo(args, settings)


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import os

    from bot.demo import run_demo

    if args.out.exists() and not args.out.is_dir():
        print(f"workshop-bot demo: {args.out} is a file; --out needs a folder", file=sys.stderr)
        return 1
    if not os.environ.get("LOG_LEVEL", "").strip():
        # the transcript is the output: log only problems, unless a level was asked for
        logging.getLogger().setLevel(logging.WARNING)
    if _load_or_report(settings) is None:
        return 1

    return asyncio.run(run_demo(settings, out_dir=args.out))


def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.backup import BackupError, backup_database

    try:
        report = backup_database(settings.database_path, args.path)
    except BackupError as exc:
        print(f"workshop-bot backup: {exc}", file=sys.stderr)
        return 1
    print(report)
    return 0


def _cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.backup import BackupError, restore_database

    try:
        report = restore_database(args.backup, settings.database_path, force=args.force)
    except BackupError as exc:
        print(f"workshop-bot restore: {exc}", file=sys.stderr)
        return 1
    print(report)
    return 0


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Export a workshop or one session from the database in the settings, offline."""
    import asyncio

    from bot.exports import (
        ExportError,
        ExportFormat,
        ExportScope,
        export_to_dir,
        find_session_guild,
        find_workshop_guilds,
    )
    from bot.storage import Database, StorageError

    try:
        fmt = ExportFormat.parse(args.format)
    except ExportError as exc:
        print(f"workshop-bot: {exc.message}", file=sys.stderr)
        return 1
    db_path = settings.database_path
    if not db_path.is_file():  # never create an empty database just to export from it
        print(f"workshop-bot: there is no database at {db_path} (DATABASE_PATH); nothing to "
              "export", file=sys.stderr)
        return 1
    from bot.content import ContentError, load_library

    try:
        library = load_library(settings.content_dirs, settings.prompt_dirs)
    except ContentError as exc:
        print("workshop-bot: warning: the prompt files have problems, so prompts are shown by "
              f"id only:\n{exc.report()}", file=sys.stderr)
        library = Library()
    out: Path = args.output if args.output is not None else Path.cwd()
    if out.is_dir() or (not out.exists() and not out.suffix):
        out_dir, filename = out, None
    else:
        out_dir, filename = out.parent, out.name

    async def run() -> int:
        db = await Database.open(db_path)
        try:
            if args.session is not None:
                scope = ExportScope.session(args.session)
                guild = await find_session_guild(db, args.session)
                if guild is None or (args.guild is not None and guild != args.guild):
                    print(f"workshop-bot: there is no session with id {args.session}"
                          + (f" in server {args.guild}" if args.guild is not None else ""),
                          file=sys.stderr)
                    return 1
            else:
                scope = ExportScope.workshop(args.workshop)
                guilds = await find_workshop_guilds(db, args.workshop)
                if args.guild is not None:
                    guild = args.guild
                elif len(guilds) == 1:
                    guild = next(iter(guilds))
                elif not guilds:
                    names = await db.all_workshop_names()
                    known = ", ".join(f"'{n}'" for n in names) or "none"
                    print(f"workshop-bot: no workshop called '{args.workshop}' in the database. "
                          f"Known workshops: {known}.", file=sys.stderr)
                    return 1
                else:
                    print(f"workshop-bot: a workshop called '{args.workshop}' exists in "
                          f"{len(guilds)} servers; choose one with --guild: "
                          + ", ".join(str(g) for g in guilds), file=sys.stderr)
                    return 1
            result = await export_to_dir(
                db, library, guild_id=guild, scope=scope, fmt=fmt, out_dir=out_dir,
                actor_id=None, filename=filename, via="cli",
            )
        except ExportError as exc:
            print(f"workshop-bot: {exc.message}", file=sys.stderr)
            return 1
        finally:
            await db.close()
        print(f"Wrote {result.path} ({result.answers} answers from {result.sessions} "
              f"session{'s' if result.sessions != 1 else ''}, {result.size:,} bytes)")
        return 0

    try:
        return asyncio.run(run())
    except (StorageError, OSError) as exc:
        print(f"workshop-bot: {exc}", file=sys.stderr)
        return 1


def _version() -> str:
    """The installed package's version (pyproject.toml is its only source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("workshop-bot")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workshop-bot",
        description="Run structured discussion workshops in Discord.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.set_defaults(func=_cmd_default)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run the bot in Discord (needs DISCORD_TOKEN)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("demo", help="play a scripted workshop offline, against a local emulator")
    p.add_argument("--out", type=Path, default=Path("demo-output"),
                   help="folder for the exported files (default: ./demo-output)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("backup", help="copy the database safely while the bot runs")
    p.add_argument("path", type=Path, help="file to write the backup to")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("restore", help="put a backup in place (bot stopped); erasures made "
                                       "since the backup are applied again")
    p.add_argument("backup", type=Path, help="the backup file")
    p.add_argument("--force", action="store_true",
                   help="replace the existing database (it is kept beside it)")
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("export", help="export answers to CSV, XLSX, JSON, Markdown or HTML")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--workshop", help="workshop name (all its groups; case-insensitive)")
    which.add_argument("--session", type=int, help="one session, by id")
    p.add_argument("--format", required=True,
                   choices=["csv", "xlsx", "json", "md", "markdown", "html"],
                   help="file format")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="folder (file name generated) or file path (default: this folder)")
    p.add_argument("--guild", type=int, default=None,
                   help="server id; needed only when the workshop name is used in several")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("validate", help="check the content and prompt YAML files")
    p.add_argument("--content", type=Path, action="append",
                   help="content folder (repeatable; default: bundled + EXTRA_CONTENT_DIRS)")
    p.add_argument("--prompts", type=Path, action="append",
                   help="prompt-set folder (repeatable; default: bundled + EXTRA_PROMPT_DIRS)")
    p.set_defaults(func=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line. Everything it prints (and logs) goes through
    :class:`~bot.terminal.SafeStream`: names from the database never reach the terminal as
    control characters."""
    from bot.terminal import SafeStream

    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"workshop-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        return int(args.func(args, settings) or 0)
    except OSError as exc:  # a folder that cannot be written, a full disk, no network...
        print(f"workshop-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C (`run` handles it itself and stops cleanly)
        print("workshop-bot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
