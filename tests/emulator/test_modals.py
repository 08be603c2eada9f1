"""Modals built from Label components: a text input and a multi-select (the coming `cite`
answer field), seen and filled in as a person would, sent back as Discord sends them."""

from __future__ import annotations

import discord
import pytest
from emulator_testbot import ExampleBot, World

from bot.emulator import Emulator, EmulatorUsageError, ModalSelect

EXAMPLES = {"ex-1": "Family group conferences", "ex-2": "Signs of Safety", "ex-3": "Mockingbird"}


class AnswerWithCitations(discord.ui.Modal, title="Your answer"):
    def __init__(self, *, required: bool = False) -> None:
        super().__init__()
        self.change: discord.ui.TextInput = discord.ui.TextInput(
            custom_id="change", max_length=200, style=discord.TextStyle.paragraph
        )
        self.add_item(
            discord.ui.Label(
                text="What will change?", description="One or two sentences", component=self.change
            )
        )
        self.cite: discord.ui.Select = discord.ui.Select(
            custom_id="cite",
            min_values=1,
            max_values=2,
            required=required,
            placeholder="Examples you drew on",
            options=[
                discord.SelectOption(label=label, value=value, default=value == "ex-2")
                for value, label in EXAMPLES.items()
            ],
        )
        self.add_item(discord.ui.Label(text="Cite examples", component=self.cite))
        self.seen: tuple[str, list[str]] | None = None

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.seen = (self.change.value, list(self.cite.values))
        await interaction.response.send_message(
            f"{self.change.value}|{','.join(self.cite.values)}", ephemeral=True
        )


@pytest.fixture
async def answer_bot(bot: ExampleBot) -> ExampleBot:
    @bot.tree.command(description="Answer with citations")
    async def answer(interaction: discord.Interaction, required: bool = False) -> None:
        await interaction.response.send_modal(AnswerWithCitations(required=required))

    await bot.tree.sync()
    return bot


async def test_a_select_in_a_label_is_seen_like_a_person_sees_it(
    emu: Emulator, world: World, answer_bot: ExampleBot
) -> None:
    opened = await world.bob.run_command("answer", channel=world.chan)
    modal = opened.modal
    assert [i["custom_id"] for i in modal.text_inputs] == ["change"]
    assert [i["label"] for i in modal.inputs] == ["What will change?", "Cite examples"]
    [cite] = modal.selects
    assert isinstance(cite, ModalSelect) and modal.select("Cite examples") is not None
    assert cite.custom_id == "cite" and cite.label == "Cite examples"
    assert cite.values == ["ex-1", "ex-2", "ex-3"]
    assert [o["label"] for o in cite.options] == list(EXAMPLES.values())
    assert cite.defaults == ["ex-2"]
    assert (cite.min_values, cite.max_values, cite.required) == (1, 2, False)
    assert cite.placeholder == "Examples you drew on"
    emu.assert_no_violations()


async def test_submitting_text_and_chosen_values(
    emu: Emulator, world: World, answer_bot: ExampleBot
) -> None:
    opened = await world.bob.run_command("answer", channel=world.chan)
    done = await opened.modal.submit(
        world.bob, {"change": "fewer crises", "cite": ["ex-1", "Mockingbird"]}
    )
    assert (await done.reply()).content == "fewer crises|ex-1,ex-3"
    # What Discord sends for labels: every component numbered, the select's chosen values.
    label_text, label_select = done.payload["data"]["components"]
    assert label_select == {
        "type": 18,
        "id": label_select["id"],
        "component": {
            "type": 3,
            "id": label_select["component"]["id"],
            "custom_id": "cite",
            "values": ["ex-1", "ex-3"],
        },
    }
    assert label_text["component"]["value"] == "fewer crises"
    ids = [label_text["id"], label_text["component"]["id"], label_select["id"]]
    assert len(set(ids)) == 3 and all(isinstance(i, int) and i > 0 for i in ids)
    emu.assert_no_violations()


async def test_untouched_select_sends_its_defaults_and_optional_may_be_empty(
    emu: Emulator, world: World, answer_bot: ExampleBot
) -> None:
    opened = await world.bob.run_command("answer", channel=world.chan)
    done = await opened.modal.submit({"change": "x"})
    assert (await done.reply()).content == "x|ex-2"
    again = await world.bob.run_command("answer", channel=world.chan)
    cleared = await again.modal.submit({"change": "y", "cite": []})
    assert (await cleared.reply()).content == "y|"


async def test_what_the_client_would_not_allow_is_refused(
    emu: Emulator, world: World, answer_bot: ExampleBot
) -> None:
    opened = await world.bob.run_command("answer", channel=world.chan, required=True)
    modal = opened.modal
    with pytest.raises(EmulatorUsageError, match=r"no option 'ex-9'.*offers \['ex-1'"):
        await modal.submit({"change": "x", "cite": ["ex-9"]})
    with pytest.raises(EmulatorUsageError, match="takes 1-2 values, got 3"):
        await modal.submit({"change": "x", "cite": ["ex-1", "ex-2", "ex-3"]})
    with pytest.raises(EmulatorUsageError, match="'Cite examples' is required"):
        await modal.submit({"change": "x", "cite": []})
    with pytest.raises(EmulatorUsageError, match="no field"):
        await modal.submit({"change": "x", "mood": "happy"})
    assert emu.interactions[opened.id] is opened and len(emu.interactions) == 1
    # A modified client can send anything: the bot must check for itself.
    forced = await modal.submit({"change": "x", "cite": ["ex-9", "ex-1", "ex-2"]}, force=True)
    assert (await forced.reply()).content == "x|ex-9,ex-1,ex-2"


async def test_label_modal_at_discord_limits_is_accepted(
    emu: Emulator, world: World, bot: ExampleBot
) -> None:
    @bot.tree.command(description="Largest modal")
    async def biggest(interaction: discord.Interaction) -> None:
        modal = discord.ui.Modal(title="t" * 45, custom_id="m" * 100)
        for n in range(4):
            modal.add_item(
                discord.ui.Label(
                    text=f"{n}" * 45,
                    description="d" * 100,
                    component=discord.ui.TextInput(
                        custom_id=f"text{n}", min_length=4000, max_length=4000, default="v" * 4000
                    ),
                )
            )
        modal.add_item(
            discord.ui.Label(
                text="Pick",
                component=discord.ui.Select(
                    custom_id="pick",
                    min_values=25,
                    max_values=25,
                    options=[
                        discord.SelectOption(label=f"{i}", value=f"{i}", default=True)
                        for i in range(25)
                    ],
                ),
            )
        )
        await interaction.response.send_modal(modal)

    await bot.tree.sync()
    opened = await world.alice.run_command("biggest", channel=world.chan)
    assert len(opened.modal.data["components"]) == 5
    assert opened.modal.select("pick").defaults == [f"{i}" for i in range(25)]
    emu.assert_no_violations()
