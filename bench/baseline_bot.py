"""The baseline of bench/burst.py: a bare discord.py bot with the workshop bot's surface.

Same command names, options, custom ids and form fields as the workshop bot; it answers every
interaction with one ephemeral message (or the form / choices) and stores nothing.

As its own process (the production shape), pointed at an emulator like ``workshop-bot run``::

    DISCORD_TOKEN=... DISCORD_API_BASE=... DISCORD_GATEWAY_URL=... python bench/baseline_bot.py
    ... python bench/baseline_bot.py --tuned   # with every runtime setting the workshop bot uses

Default: the interpreter's and discord.py's defaults (gc thresholds, asyncio's own event loop,
the standard ``json`` module even where orjson is installed). ``--tuned``: the workshop bot's
process settings, taken from the bot itself so they stay in step
(:func:`bot.discord_ui.client.tune_gc` when ready, and the event loop and JSON library the bot
runs with). It writes ``baseline ready`` to stderr once ready (after tuning).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from discord import app_commands  # noqa: E402
from discord.ext import commands  # noqa: E402

from bot.models import Library  # noqa: E402

SET_ID = "key-questions"
READY_LINE = "baseline ready"


def make_baseline(library: Library, *, tuned_gc: bool = False, card_like_bot: bool = True,
                  **options: Any) -> commands.Bot:
    """Same command names, options, custom ids and form fields as the workshop bot; answers
    every interaction with one ephemeral message (or the form / choices), stores nothing.
    ``tuned_gc``: apply the workshop bot's collector settings (thresholds, idle collection)
    too once ready."""
    pset = library.prompt_sets[SET_ID]
    fields = {p.id: p.fields for p in pset.prompts}
    examples = {p.id: list(p.example_ids) for p in pset.prompts}
    ex_ids = list(library.examples)
    options.setdefault("guild_ready_timeout", 0.01)
    bot = commands.Bot(
        command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
        help_command=None, allowed_mentions=discord.AllowedMentions.none(), **options,
    )
    channel_session: dict[int, int] = {}

    def form(sid: int, pid: str) -> discord.ui.Modal:
        modal = discord.ui.Modal(title="Answer", custom_id=f"wb:submit:{sid}:{pid}", timeout=None)
        for f in fields[pid]:
            if f.is_cite:
                modal.add_item(discord.ui.Label(text=f.label, component=discord.ui.Select(
                    custom_id=f.id, min_values=0, max_values=len(examples[pid]),
                    required=False, options=[discord.SelectOption(label=e, value=e)
                                             for e in examples[pid]])))
                continue
            modal.add_item(discord.ui.TextInput(
                label=f.label, custom_id=f.id, required=f.required, max_length=f.max_length,
                style=discord.TextStyle.paragraph,
            ))
        modal.stop()
        return modal

    class AnswerButton(discord.ui.DynamicItem[discord.ui.Button],
                       template=r"wb:answer:(?P<sid>[0-9]+):(?P<pid>[a-z0-9-]+)"):
        def __init__(self, sid: int, pid: str) -> None:
            super().__init__(discord.ui.Button(label="Answer", custom_id=f"wb:answer:{sid}:{pid}"))
            self.sid, self.pid = sid, pid

        @classmethod
        async def from_custom_id(cls, interaction: discord.Interaction, item: Any,
                                 match: re.Match[str]) -> AnswerButton:
            return cls(int(match["sid"]), match["pid"])

        async def callback(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(form(self.sid, self.pid))

    session = app_commands.Group(name="session", description="sessions", guild_only=True)

    @session.command(name="start", description="start")
    async def start(interaction: discord.Interaction, set: str, workshop: str,
                    anonymous: bool = False, pace: str = "facilitator") -> None:
        sid = len(channel_session) + 1
        channel_session[interaction.channel_id or 0] = sid
        first = pset.prompts[0]
        view = discord.ui.View(timeout=None)
        view.add_item(AnswerButton(sid, first.id))
        view.add_item(discord.ui.Button(label="Examples",
                                        custom_id=f"wb:examples:{sid}:{first.id}"))
        view.stop()
        if not card_like_bot:
            await interaction.response.send_message(f"Prompt 1 of {pset.title}", view=view)
            return
        # The workshop bot's own card (note, embed, buttons): Discord attaches the card to every
        # form submitted from it, so both bots then receive the same interaction payloads.
        from bot.discord_ui import render
        from bot.storage.rows import SessionRow, SessionStatus

        row = SessionRow(
            id=sid, guild_id=interaction.guild_id or 0, workshop_id=sid, workshop=workshop,
            channel_id=interaction.channel_id or 0,
            group_name=getattr(interaction.channel, "name", None) or "group",
            prompt_set=SET_ID, anonymous=anonymous, pace=pace, status=SessionStatus.OPEN,
            current_prompt=1, prompt_count=len(pset.prompts), started_by=interaction.user.id,
            created_at="", closed_at=None,
        )
        note = (f"**{render.safe(pset.title)}** has started for this group (workshop "
                f"**{render.safe(workshop)}**, {render.pace_label(row)}). Press **Answer** on "
                "the card to respond.")
        await interaction.response.send_message(
            note, embed=render.prompt_card(library, pset, first, row), view=view)

    @session.command(name="status", description="status")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    @session.command(name="close", description="close")
    async def close(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    @app_commands.command(name="answer", description="answer")
    @app_commands.guild_only()
    async def answer(interaction: discord.Interaction, prompt: str | None = None) -> None:
        sid = channel_session.get(interaction.channel_id or 0, 0)
        await interaction.response.send_modal(form(sid, prompt or pset.prompts[0].id))

    @answer.autocomplete("prompt")
    async def answer_ac(interaction: discord.Interaction,
                        current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=p.title[:100], value=p.id) for p in pset.prompts]

    @app_commands.command(name="example", description="example")
    @app_commands.guild_only()
    async def example(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    @example.autocomplete("name")
    async def example_ac(interaction: discord.Interaction,
                         current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=e, value=e) for e in ex_ids[:25]]

    @bot.listen()
    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await interaction.response.send_message("ok", ephemeral=True)

    async def setup_hook() -> None:
        bot.add_dynamic_items(AnswerButton)
        await bot.tree.sync()

    if tuned_gc:
        from bot.discord_ui.client import IdleCollector, tune_gc

        @bot.listen()
        async def on_ready() -> None:
            tune_gc()
            if getattr(bot, "idle_gc", None) is None:
                bot.idle_gc = IdleCollector()  # type: ignore[attr-defined]

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    for cmd in (session, answer, example):
        bot.tree.add_command(cmd)
    return bot


def use_stdlib_json() -> None:
    """discord.py takes orjson whenever it is importable; a default bare bot has the standard
    library's ``json`` (what ``pip install discord.py`` gives)."""
    def to_json(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)

    discord.utils._to_json = to_json
    discord.utils._from_json = json.loads  # type: ignore[assignment]


async def serve(tuned: bool, *, card_like_bot: bool = True) -> None:
    from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR
    from bot.content import load_library

    api_base = os.environ.get("DISCORD_API_BASE")
    gateway = os.environ.get("DISCORD_GATEWAY_URL")
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway:
        import yarl

        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    library = load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR])
    # discord.py's default guild_ready_timeout, as `workshop-bot run` has
    bot = make_baseline(library, tuned_gc=tuned, card_like_bot=card_like_bot,
                        guild_ready_timeout=2.0)

    idle: list[object] = []

    @bot.listen()
    async def on_ready() -> None:
        if tuned and not idle:  # the workshop bot collects garbage while idle too
            from bot.discord_ui import client

            collector = getattr(client, "IdleCollector", None)  # (not in older bots)
            if collector is not None:
                idle.append(collector())
        print(READY_LINE, file=sys.stderr, flush=True)  # after tune_gc (listeners run in order)

    async with bot:
        await bot.start(os.environ["DISCORD_TOKEN"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tuned", action="store_true",
                        help="the workshop bot's gc settings, event loop and JSON library")
    parser.add_argument("--plain-card", action="store_true",
                        help="a one-line session card instead of the workshop bot's card")
    args = parser.parse_args(argv)
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    if not args.tuned:
        use_stdlib_json()
    import contextlib

    loop_factory = None
    if args.tuned:  # the event loop the workshop bot runs on
        from bot.discord_ui import client

        factory = getattr(client, "event_loop_factory", None)
        loop_factory = factory() if factory is not None else None
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory) as r:
        r.run(serve(args.tuned, card_like_bot=not args.plain_card))
    return 0


if __name__ == "__main__":
    sys.exit(main())
