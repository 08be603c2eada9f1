"""The emulator tests' discord.py bot, its world and raw payloads that break Discord's rules."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from bot.emulator import Channel, Guild, Member, Role


@dataclass
class World:
    guild: Guild
    chan: Channel
    other: Channel
    facilitator: Role
    alice: Member  # facilitator with Manage Guild
    bob: Member  # plain participant


# Raw interaction callbacks the /raw command sends as they are, to exercise Discord's rules
# without discord.py's own client-side checks in the way.
def _row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def _button(label: str = "ok", custom_id: str = "b") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def _select(options: int = 1, custom_id: str = "s", **option: Any) -> dict[str, Any]:
    opts = [{"label": f"o{i}", "value": f"v{i}", **option} for i in range(options)]
    return {"type": 3, "custom_id": custom_id, "options": opts}


def _modal(title: str = "Title", inputs: int = 1, **text_input: Any) -> dict[str, Any]:
    base = {"type": 4, "custom_id": "answer", "style": 1, "label": "Answer"}
    rows = [_row({**base, "custom_id": f"answer{i}", **text_input}) for i in range(inputs)]
    return {"type": 9, "data": {"title": title, "custom_id": "modal", "components": rows}}


def _label(component: dict[str, Any], label: str = "Pick", **extra: Any) -> dict[str, Any]:
    return {"type": 18, "label": label, "component": component, **extra}


def _label_modal(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 9, "data": {"title": "Title", "custom_id": "modal", "components": components}}


def _text(**extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": "text", "style": 1, **extra}


def _msg(**data: Any) -> dict[str, Any]:
    return {"type": 4, "data": data}


def _embed(**fields: Any) -> dict[str, Any]:
    return {"type": "rich", **fields}


RULE_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "content": (_msg(content="x" * 2001), "content_length"),
    "empty": (_msg(content=""), "message_empty"),
    "embed-count": (_msg(embeds=[_embed(title="t")] * 11), "embed_count"),
    "embed-title": (_msg(embeds=[_embed(title="t" * 257)]), "embed_title_length"),
    "embed-description": (
        _msg(embeds=[_embed(description="d" * 4097)]),
        "embed_description_length",
    ),
    "embed-fields": (
        _msg(embeds=[_embed(fields=[{"name": "n", "value": "v"}] * 26)]),
        "embed_field_count",
    ),
    "field-name": (
        _msg(embeds=[_embed(fields=[{"name": "n" * 257, "value": "v"}])]),
        "embed_field_name_length",
    ),
    "field-value": (
        _msg(embeds=[_embed(fields=[{"name": "n", "value": "v" * 1025}])]),
        "embed_field_value_length",
    ),
    "footer": (_msg(embeds=[_embed(footer={"text": "f" * 2049})]), "embed_footer_length"),
    "author": (_msg(embeds=[_embed(author={"name": "a" * 257})]), "embed_author_length"),
    "embed-total": (
        _msg(embeds=[_embed(description="d" * 4000), _embed(description="d" * 2001)]),
        "embed_total_length",
    ),
    "rows": (
        _msg(content="x", components=[_row(_button(custom_id=f"b{i}")) for i in range(6)]),
        "action_row_count",
    ),
    "row-width": (
        _msg(content="x", components=[_row(*[_button(custom_id=f"b{i}") for i in range(6)])]),
        "action_row_width",
    ),
    "select-row": (
        _msg(content="x", components=[_row(_select(), _button())]),
        "select_row_width",
    ),
    "select-none": (_msg(content="x", components=[_row(_select(0))]), "select_option_count"),
    "select-many": (_msg(content="x", components=[_row(_select(26))]), "select_option_count"),
    "option-label": (
        _msg(content="x", components=[_row(_select(1, label="l" * 101))]),
        "select_option_label_length",
    ),
    "option-value": (
        _msg(content="x", components=[_row(_select(1, value="v" * 101))]),
        "select_option_value_length",
    ),
    "custom-id-long": (
        _msg(content="x", components=[_row(_button(custom_id="c" * 101))]),
        "custom_id_length",
    ),
    "custom-id-empty": (
        _msg(content="x", components=[_row(_button(custom_id=""))]),
        "custom_id_length",
    ),
    "button-label": (
        _msg(content="x", components=[_row(_button(label="l" * 81))]),
        "button_label_length",
    ),
    "mentions-conflict": (
        _msg(content="hi", allowed_mentions={"parse": ["users"], "users": ["1"]}),
        "allowed_mentions_conflict",
    ),
    "modal-title": (_modal(title="t" * 46), "modal_title_length"),
    "modal-label": (_modal(label="l" * 46), "modal_label_length"),
    "modal-none": (_modal(inputs=0), "modal_component_count"),
    "modal-six": (_modal(inputs=6), "modal_component_count"),
    "input-max-length": (_modal(max_length=4001), "text_input_max_length"),
    "input-placeholder": (_modal(placeholder="p" * 101), "text_input_placeholder_length"),
    "modal-custom-id": (
        {"type": 9, "data": {**_modal()["data"], "custom_id": "m" * 101}},
        "custom_id_length",
    ),
    # Modals with Label components (type 18) wrapping selects and text inputs.
    "modal-select-in-row": (_label_modal(_row(_select(3))), "modal_select_in_action_row"),
    "modal-six-labels": (
        _label_modal(*[_label(_text(custom_id=f"t{i}")) for i in range(6)]),
        "modal_component_count",
    ),
    "label-too-long": (_label_modal(_label(_select(3), label="l" * 46)), "modal_label_length"),
    "label-description": (
        _label_modal(_label(_select(3), description="d" * 101)),
        "modal_label_description_length",
    ),
    "modal-select-26": (_label_modal(_label(_select(26))), "select_option_count"),
    "modal-select-min-over-max": (
        _label_modal(_label({**_select(5), "min_values": 3, "max_values": 2})),
        "select_values_range",
    ),
    "modal-select-max-26": (
        _label_modal(_label({**_select(5), "max_values": 26})),
        "select_values_range",
    ),
    "modal-select-defaults": (
        _label_modal(_label({**_select(5, default=True), "max_values": 2})),
        "select_default_count",
    ),
    "modal-select-min-0-required": (
        _label_modal(_label({**_select(5), "min_values": 0, "max_values": 2})),
        "modal_select_min_values",
    ),
    "modal-select-disabled": (
        _label_modal(_label({**_select(3), "disabled": True})),
        "modal_disabled_component",
    ),
    "input-min-over-max": (
        _label_modal(_label(_text(min_length=10, max_length=5))),
        "text_input_length_range",
    ),
    "input-value-over-max": (
        _label_modal(_label(_text(max_length=10, value="v" * 11))),
        "text_input_value_length",
    ),
    "modal-button": (_label_modal(_row(_button())), "modal_button"),
    "modal-unknown-top-level": (
        _label_modal({"type": 17, "components": []}),
        "modal_component_type",
    ),
    "label-holds-button": (_label_modal(_label(_button())), "modal_label_component"),
    # Messages: the smaller items of the conformance note.
    "embed-colour": (_msg(embeds=[_embed(title="t", color=-1)]), "embed_color_range"),
    "embed-colour-high": (_msg(embeds=[_embed(title="t", color=0x1000000)]), "embed_color_range"),
    "nonce": (_msg(content="x", nonce="n" * 26), "nonce_length"),
    "select-defaults": (
        _msg(content="x", components=[_row({**_select(3, default=True), "max_values": 2})]),
        "select_default_count",
    ),
    "button-style": (
        _msg(content="x", components=[_row({**_button(), "style": 7})]),
        "button_style",
    ),
    "component-unknown": (
        _msg(content="x", components=[_row({"type": 99, "custom_id": "u"})]),
        "component_type_unknown",
    ),
}


class AnswerView(discord.ui.View):
    """A persistent view: fixed custom ids, no timeout."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Answer", custom_id="answer", style=discord.ButtonStyle.primary)
    async def answer(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(
            content=f"answered by {interaction.user.display_name}"
        )

    @discord.ui.button(label="Write", custom_id="write")
    async def write(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(AnswerModal())

    @discord.ui.select(
        custom_id="pick",
        placeholder="Pick some",
        min_values=1,
        max_values=2,
        options=[discord.SelectOption(label=f"Option {c}", value=c) for c in "abc"],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {','.join(select.values)}", ephemeral=True)


class AnswerModal(discord.ui.Modal, title="Your answer"):
    answer: discord.ui.TextInput = discord.ui.TextInput(
        label="Answer", custom_id="answer-text", max_length=200
    )
    note: discord.ui.TextInput = discord.ui.TextInput(
        label="Note", custom_id="note", required=False, style=discord.TextStyle.paragraph
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"got {self.answer.value}|{self.note.value}")


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"vote:(?P<n>[0-9]+)"):
    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label=f"Vote {n}", custom_id=f"vote:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> VoteButton:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"vote {self.n}")


class ExampleBot(commands.Bot):
    def __init__(self, *, sync_guild: int | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.01,
            help_command=None,
        )
        self.sync_guild = sync_guild
        self.errors: asyncio.Queue[discord.HTTPException] = asyncio.Queue()
        self.release = asyncio.Event()
        self.synced: list[app_commands.AppCommand] = []
        _add_commands(self)

    async def setup_hook(self) -> None:
        self.add_view(AnswerView())
        self.add_dynamic_items(VoteButton)
        if self.sync_guild is not None:
            guild = discord.Object(id=self.sync_guild)
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
        else:
            self.synced = await self.tree.sync()


async def _raw_callback(interaction: discord.Interaction, payload: dict[str, Any]) -> None:
    route = Route(
        "POST",
        "/interactions/{interaction_id}/{token}/callback",
        interaction_id=interaction.id,
        token=interaction.token,
    )
    await interaction.client.http.request(route, json=payload)


def _add_commands(bot: ExampleBot) -> None:
    tree = bot.tree

    @tree.error
    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.NoPrivateMessage):
            await interaction.response.send_message("Not in DMs, sorry.", ephemeral=True)
        else:
            await interaction.response.send_message(f"error: {error}", ephemeral=True)

    @tree.command(description="Answer pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @tree.command(description="Say where the command ran")
    async def whereami(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("dm" if interaction.guild is None else "guild")

    session = app_commands.Group(name="session", description="Workshop sessions", guild_only=True)
    admin = app_commands.Group(name="admin", description="Admin things", parent=session)

    sets = ["key-questions", "key-ideas", "warm-up"]

    @session.command(name="start", description="Start a session")
    @app_commands.describe(set="Prompt set", workshop="Workshop name")
    async def start(
        interaction: discord.Interaction, set: str, workshop: str, rounds: int = 1
    ) -> None:
        await interaction.response.send_message(f"Started {set} for {workshop} x{rounds}")

    @start.autocomplete("set")
    async def set_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.namespace.workshop in (None, "Leeds")
        return [app_commands.Choice(name=s, value=s) for s in sets if s.startswith(current)]

    @session.command(name="status", description="Session status")
    async def status(interaction: discord.Interaction) -> None:
        if interaction.guild is None:  # guild_only only hides it: a forced DM still arrives
            await interaction.response.send_message("Not in DMs, sorry.", ephemeral=True)
            return
        perms = interaction.permissions.manage_guild
        await interaction.response.send_message(f"status ok manage_guild={perms}", ephemeral=True)

    @admin.command(name="grant", description="Grant a role")
    async def grant(
        interaction: discord.Interaction,
        role: discord.Role,
        member: discord.Member,
        channel: discord.TextChannel,
        weight: float = 1.0,
        loud: bool = False,
    ) -> None:
        await interaction.response.send_message(
            f"{role.name}|{member.display_name}|{channel.name}|{weight * 2}|{loud}"
        )

    tree.add_command(session)

    @tree.command(description="Defer then follow up")
    async def slowcalc(interaction: discord.Interaction, ephemeral: bool = False) -> None:
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        await interaction.followup.send("done")
        await interaction.followup.send("second")

    @tree.command(description="Send then edit")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        await interaction.edit_original_response(content="edited")

    @tree.command(description="Open a modal")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(AnswerModal())

    @tree.command(description="Buttons and a select")
    async def buttons(interaction: discord.Interaction) -> None:
        view = AnswerView()
        view.add_item(VoteButton(3))
        await interaction.response.send_message("Question 1", view=view)

    @tree.command(description="Send a file")
    async def report(interaction: discord.Interaction) -> None:
        data = io.BytesIO(b"name,answer\nAlice,yes\n")
        await interaction.response.send_message("report", file=discord.File(data, "report.csv"))

    @tree.command(description="Read an uploaded file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}:{len(data)}:{data.decode()}")

    @tree.command(description="Big file")
    async def bigfile(interaction: discord.Interaction, size: int) -> None:
        try:
            await interaction.response.send_message(
                file=discord.File(io.BytesIO(b"x" * size), "big.bin")
            )
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    @tree.command(description="Announce")
    @app_commands.choices(
        mode=[app_commands.Choice(name=n, value=n) for n in ("none", "all", "users", "roles")]
    )
    async def announce(
        interaction: discord.Interaction, mode: str, who: discord.Member, role: discord.Role
    ) -> None:
        text = f"@everyone hello {who.mention} and {role.mention}"
        allowed = {
            "none": discord.AllowedMentions.none(),
            "all": None,
            "users": discord.AllowedMentions(everyone=False, users=True, roles=False),
            "roles": discord.AllowedMentions(everyone=False, users=False, roles=[role]),
        }[mode]
        if allowed is None:
            await interaction.response.send_message(text)
        else:
            await interaction.response.send_message(text, allowed_mentions=allowed)

    @tree.command(description="Post in the channel and open a thread")
    async def thread(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        starter = await interaction.channel.send("Breakout starts")
        created = await starter.create_thread(name="breakout")
        await created.send("Welcome to the breakout")
        private = await interaction.channel.create_thread(name="private-room")
        await private.send("private hello")
        await interaction.followup.send(f"threads {created.id} {private.id}", ephemeral=True)

    @tree.command(description="Channel message that breaks a rule")
    async def longpost(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("trying", ephemeral=True)
        assert interaction.channel is not None
        try:
            await interaction.channel.send("y" * 2001)  # type: ignore[union-attr]
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    @tree.command(description="Send a raw callback")
    async def raw(interaction: discord.Interaction, case: str) -> None:
        try:
            await _raw_callback(interaction, RULE_CASES[case][0])
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    @tree.command(description="Answer twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        try:
            await _raw_callback(interaction, {"type": 4, "data": {"content": "two"}})
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)

    @tree.command(description="Answer too late")
    async def slow(interaction: discord.Interaction) -> None:
        await bot.release.wait()
        try:
            await interaction.response.send_message("late")
        except discord.HTTPException as exc:
            bot.errors.put_nowait(exc)


async def next_error(bot: ExampleBot) -> discord.HTTPException:
    """The next HTTP error the test bot caught (event based)."""
    async with asyncio.timeout(5):
        return await bot.errors.get()
