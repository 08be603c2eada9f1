"""`workshop-bot demo`: the real bot against the local Discord emulator, playing a scripted
workshop (a facilitator and six participants in two groups), with a readable transcript.

No Discord account or network is needed: everything runs on 127.0.0.1 in this process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.emulator import EmulatedMessage, Emulator, Member, running_bot

log = logging.getLogger(__name__)

WORKSHOP = "Evidence into practice (demo)"

# Fictional participants' answers, per prompt of the key-questions set (by field order).
# They describe an imaginary local authority and make no claims about real organisations.
ANSWERS: dict[str, list[list[str]]] = {
    "group-a": [
        ["Fewer teenagers coming into care in crisis; more staying safely at home.",
         "Our own data on who enters care aged 13+, and what families tell us.",
         "Social workers, schools, young people with care experience, parents."],
        ["An intensive family-based intervention, because it works with the whole family.",
         "Start in one locality, then grow team by team as referrals prove out.",
         "Build it into the core budget, not a pilot fund; train our own supervisors."],
        ["Days in care avoided; placement stability; young people's own views.",
         "Set-up, training and licence costs; staff time; costs of care avoided.",
         "Compare cost per family with the cost of the placements it prevents."],
    ],
    "group-b": [
        ["Children in residential care feeling safer and more settled at home.",
         "Incident reports, staff turnover, and what children say in reviews.",
         "Residential staff, managers, the children living in the homes."],
        ["Whole-home staff training, so the approach is shared by every shift.",
         "Every home in the county, one home per term.",
         "Refresher training for new starters and peer support between homes."],
        ["Staff confidence and skills; placement moves; missing episodes.",
         "Trainer time, cover for staff while training, materials.",
         "Cost per home trained against the cost of placement breakdowns."],
    ],
}


class Transcript:
    """What people did and what the bot posted, as plain text."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.roles: dict[str, str] = {}  # role id -> name, to show mentions as @name

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def act(self, who: Member, where: str, what: str) -> None:
        self.line(f"\n[{where}] {who.display_name}: {what}")

    def bot(self, message: EmulatedMessage | None, *, label: str = "bot") -> None:
        if message is None:
            return
        vis = "only you can see this" if message.ephemeral else "everyone sees this"
        text = _plain(message.text.strip()) or "(no text)"
        text = re.sub(r"<@&(\d+)>", lambda m: "@" + self.roles.get(m[1], "role"), text)
        buttons = [b.get("label") for b in message.buttons if b.get("label")]
        files = [a.filename for a in message.attachments]
        body = textwrap.indent(_shorten(text), "    ")
        self.line(f"  {label} ({vis}):\n{body}")
        if buttons:
            self.line(f"    [buttons: {' | '.join(buttons)}]")
        if files:
            self.line(f"    [files: {', '.join(files)}]")


def _plain(text: str) -> str:
    """Discord markdown as a terminal shows it best: without the asterisks."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)


def _shorten(text: str, lines: int = 14) -> str:
    rows = text.splitlines()
    if len(rows) <= lines:
        return text
    return "\n".join([*rows[:lines], f"… ({len(rows) - lines} more lines)"])


async def run_demo(
    settings: Settings, *, out_dir: Path, stream: TextIO | None = None
) -> int:
    """Play the scripted workshop; write every export to ``out_dir``. Returns an exit code."""
    out = Transcript(stream or sys.stdout)
    started = time.perf_counter()
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="workshop-demo-") as tmp:
        demo_settings = dataclasses.replace(
            settings, discord_token=None, database_path=Path(tmp) / "demo.db",
            dev_guild_id=None,
        )
        emu = Emulator()
        await emu.start()
        try:
            exports = await _play(emu, demo_settings, out, out_dir)
        finally:
            await emu.stop()
    out.line(f"\nDone in {time.perf_counter() - started:.1f} s. Exports written to "
             f"{out_dir}/: {', '.join(exports)}")
    return 0


async def _play(emu: Emulator, settings: Settings, out: Transcript, out_dir: Path) -> list[str]:
    from bot.discord_ui.runner import make_bot

    guild = emu.add_guild("Evidence into Practice")
    channels = {name: guild.add_channel(name) for name in ANSWERS}
    facilitators = guild.add_role("Facilitator")
    out.roles[str(facilitators.id)] = facilitators.name
    organiser = guild.add_member("Olu (organiser)", permissions="manage_guild")
    facilitator = guild.add_member("Fran (facilitator)", roles=[facilitators])
    people = {
        "group-a": [guild.add_member(n) for n in ("Asha", "Ben", "Carys")],
        "group-b": [guild.add_member(n) for n in ("Dev", "Ellie", "Femi")],
    }
    out.line("workshop-bot demo: the real bot, a local Discord emulator, a scripted workshop.")
    out.line("Server 'Evidence into Practice', channels #group-a and #group-b.")

    bot = make_bot(settings, guild_ready_timeout=0.05)
    async with running_bot(emu, bot, token=emu.token):
        r = await organiser.run_command("workshop-config facilitator-role", channels["group-a"],
                                        role=facilitators)
        out.act(organiser, "#group-a", "/workshop-config facilitator-role role:@Facilitator")
        out.bot(await r.reply())

        cards: dict[str, EmulatedMessage] = {}
        for name, channel in channels.items():
            r = await facilitator.run_command(
                "session start", channel, set="key-questions", workshop=WORKSHOP
            )
            out.act(facilitator, f"#{name}",
                    f"/session start set:key-questions workshop:{WORKSHOP}")
            card = await r.reply()
            out.bot(card)
            assert card is not None
            cards[name] = card

        for number in range(3):
            for name in channels:
                card = cards[name]
                for person_index, person in enumerate(people[name]):
                    texts = ANSWERS[name][number]
                    if number == 1 and person_index == 2:
                        continue  # one person skips a prompt: the status shows the gap
                    r = await person.click(card, "Answer")
                    await r.response()
                    modal = r.modal
                    assert modal is not None, "the Answer button should open a form"
                    values = {inp["custom_id"]: texts[i] for i, inp in enumerate(modal.inputs)}
                    if person_index == 0:
                        out.act(person, f"#{name}",
                                f"clicks Answer; the form '{modal.title}' opens")
                    done = await modal.submit(person, values)
                    if person_index == 0:
                        out.bot(await done.reply())
                if number == 0 and name == "group-a":
                    asha = people[name][0]
                    r = await asha.click(card, "Answer")
                    await r.response()
                    assert r.modal is not None
                    first = r.modal.inputs[0]
                    out.act(asha, "#group-a",
                            "edits her answer: the form opens with her earlier text "
                            f"({first.get('value', '')[:40]!r}…)")
                    done = await r.modal.submit(asha, {
                        first["custom_id"]: first.get("value", "") + " Especially 13-15s."
                    })
                    out.bot(await done.reply())
                    r = await people[name][1].click(card, "Examples")
                    out.act(people[name][1], "#group-a", "clicks Examples on the card")
                    listing = await r.reply()
                    out.bot(listing)
                    assert listing is not None
                    first_option = listing.selects[0]["options"][0]["value"]
                    r = await people[name][1].select(listing, [first_option])
                    out.act(people[name][1], "#group-a", "chooses the first example")
                    out.bot(await r.reply())
            if number < 2:
                for name, channel in channels.items():
                    r = await facilitator.run_command("session next", channel)
                    out.act(facilitator, f"#{name}", "/session next")
                    card = await r.reply()
                    out.bot(card)
                    assert card is not None
                    cards[name] = card

        ben = people["group-a"][1]
        r = await ben.run_command("example", channels["group-a"], name="holmes-costs-value")
        out.act(ben, "#group-a", "/example name:holmes-costs-value")
        out.bot(await r.reply())
        r = await ben.run_command("examples", channels["group-a"], question="measure-impact")
        out.act(ben, "#group-a", "/examples question:measure-impact")
        out.bot(await r.reply())

        femi = people["group-b"][2]
        r = await femi.run_command("my-answers", channels["group-b"])
        out.act(femi, "#group-b", "/my-answers")
        out.bot(await r.reply())
        r = await femi.run_command("forget-me", channels["group-b"])
        out.act(femi, "#group-b", "/forget-me")
        confirm = await r.reply()
        out.bot(confirm)
        assert confirm is not None
        r = await femi.click(confirm, "Yes, erase my answers")
        out.act(femi, "#group-b", "clicks 'Yes, erase my answers'")
        out.bot(await r.reply())

        for name, channel in channels.items():
            r = await facilitator.run_command("session status", channel)
            out.act(facilitator, f"#{name}", "/session status")
            out.bot(await r.reply())
            r = await facilitator.run_command("session close", channel)
            out.act(facilitator, f"#{name}", "/session close")
            out.bot(await r.reply())

        written: list[str] = []
        for fmt in ("csv", "xlsx", "json", "markdown", "html"):
            r = await facilitator.run_command(
                "session export", channels["group-a"], format=fmt, scope="workshop"
            )
            out.act(facilitator, "#group-a", f"/session export format:{fmt} scope:workshop")
            msg = await r.reply()
            out.bot(msg)
            assert msg is not None and msg.attachments, f"the {fmt} export should be attached"
            for attachment in msg.attachments:
                data = await attachment.read()
                (out_dir / attachment.filename).write_bytes(data)
                written.append(attachment.filename)
        emu.assert_no_violations()
    return written
