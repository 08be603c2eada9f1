"""`workshop-bot demo`: the real bot against the local Discord emulator, playing a scripted
workshop (a facilitator and six participants in two breakout groups, each agreeing one answer
per prompt, with a live board and timers), with a readable transcript.

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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.emulator import Channel, EmulatedMessage, Emulator, Member, running_bot

log = logging.getLogger(__name__)

WORKSHOP = "Evidence into practice (demo)"
EXPORT_FORMATS = ("csv", "xlsx", "json", "markdown", "html")

# Fictional participants' answers, per prompt of the key-questions set (by field order).
# They describe an imaginary local authority and make no claims about real organisations.
ANSWERS: dict[str, list[list[str]]] = {
    "group-a": [
        ["Fewer teenagers coming into care in a crisis; more staying safely at home.",
         "Young people aged 13-17 on the edge of care, and their families.",
         "Our data: entries to care at 13+ rose for three years running; families tell us "
         "help came too late.",
         "Care-entry data first, then a session with young people with care experience and "
         "with parents, then schools and the police."],
        ["An intensive family-based intervention",
         "It works with the whole family at home, where the crisis starts.",
         "Start in one locality with one team; add a team a year as referrals show the need.",
         "Core budget rather than a pilot fund; train our own supervisors; report to the "
         "children's board each year."],
        ["Days in care avoided for young people aged 13-17",
         "Days in care: last year's figures as the baseline, monthly from the case system, "
         "by the performance team. Young people's views: a survey every six months.",
         "Set-up, training and licence costs; staff time; supervision; the cost of care "
         "avoided.",
         "Cost per family against the cost of the placements avoided, reviewed with "
         "commissioners each year."],
    ],
    "group-b": [
        ["Children in our children's homes feeling safer and more settled.",
         "Children and young people living in our children's homes.",
         "Incident reports, staff turnover, and what children say in their reviews.",
         "A review of incident data, then listening sessions with the children and staff of "
         "every home."],
        ["Whole-home staff training",
         "The change is about daily life in the homes, so every shift needs the same "
         "approach.",
         "Every home in the county, one home per term.",
         "Refresher training for new starters and peer support between homes."],
        ["Fewer placement moves for children in our homes",
         "Placement moves and missing episodes: last year as the baseline, quarterly from "
         "case records, by home managers. Staff confidence: a survey before and after.",
         "Trainer time, cover for staff while they train, materials.",
         "Cost per home trained against the cost of placement breakdowns."],
    ],
}


# The seminar examples each group says informed its answer, per prompt (the form's cite
# field). Group B cites none for prompt 3: the chain flags that link.
CITES: dict[str, list[list[str]]] = {
    "group-a": [["young-person-mst", "leeds-mst-can"],
                ["leeds-strategic-reform", "essex-manchester-sib"],
                ["holmes-costs-value"]],
    "group-b": [["berridge-residential-result"],
                ["oxfordshire-residential-result"],
                []],
}


class Transcript:
    """What people did and what the bot posted, as plain text."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.roles: dict[str, str] = {}  # role id -> name, to show mentions as @name
        self.channels: dict[str, str] = {}  # channel id -> name, to show <#id> as #name
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)  # the demo's clock

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
        text = re.sub(r"<#(\d+)>", lambda m: "#" + self.channels.get(m[1], "channel"), text)
        text = re.sub(r"<t:(\d+):([tTR])>", lambda m: self._time(int(m[1]), m[2]), text)
        buttons = [b.get("label") for b in message.buttons if b.get("label")]
        files = [a.filename for a in message.attachments]
        body = textwrap.indent(_shorten(text), "    ")
        self.line(f"  {label} ({vis}):\n{body}")
        if buttons:
            self.line(f"    [buttons: {' | '.join(buttons)}]")
        if files:
            self.line(f"    [files: {', '.join(files)}]")


    def _time(self, epoch: int, style: str) -> str:
        """A Discord timestamp as a client shows it (here in UTC, against the demo's clock)."""
        when = datetime.fromtimestamp(epoch, UTC)
        if style == "t":
            return f"{when:%H:%M} UTC"
        if style == "T":
            return f"{when:%H:%M:%S} UTC"
        minutes = round((when - self.now()).total_seconds() / 60)
        if minutes == 0:
            return "just now"
        return f"in {minutes} minutes" if minutes > 0 else f"{-minutes} minutes ago"


# A backslash before ASCII punctuation is an escape: Discord shows the character alone.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_HIDDEN = 0xF0000  # escaped characters are parked in a private-use plane meanwhile
_EMPHASIS = [
    re.compile(r"\*\*(.+?)\*\*", re.S),  # bold
    re.compile(r"__(.+?)__", re.S),  # underline
    re.compile(r"~~(.+?)~~", re.S),  # strikethrough
    re.compile(r"\|\|(.+?)\|\|", re.S),  # spoiler
    re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"),  # italics
    re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"),  # italics
    re.compile(r"`([^`\n]+)`"),  # inline code
]


def _plain(text: str) -> str:
    """Discord markdown as a Discord user reads it: escapes resolved, emphasis shown plainly
    (no asterisks, underscores or backticks), invisible characters dropped."""
    text = _ESCAPED.sub(lambda m: chr(_HIDDEN + ord(m[1])), text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    text = re.sub(r"[\U000F0000-\U000F007F]", lambda m: chr(ord(m[0]) - _HIDDEN), text)
    return text.replace("\u200b", "")


def _shorten(text: str, lines: int = 40) -> str:
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
    from bot.discord_ui.lifecycle import make_bot
    from bot.scheduler import ManualClock

    guild = emu.add_guild("Evidence into Practice")
    plenary = guild.add_channel("workshop")
    backroom = guild.add_channel("facilitators")
    facilitators = guild.add_role("Facilitator")
    out.roles[str(facilitators.id)] = facilitators.name
    organiser = guild.add_member("Olu (organiser)", permissions="manage_guild")
    facilitator = guild.add_member("Fran (facilitator)", roles=[facilitators])
    people = {
        "group-a": [guild.add_member(n) for n in ("Asha", "Ben", "Carys")],
        "group-b": [guild.add_member(n) for n in ("Dev", "Ellie", "Femi")],
    }
    out.line("workshop-bot demo: the real bot, a local Discord emulator, a scripted workshop.")
    out.line("Server 'Evidence into Practice': #workshop for everyone, #facilitators for Fran.")

    # The demo's clock moves only when the script says so (to show a timer running out).
    clock = ManualClock(datetime.now(UTC))
    out.now = clock.now
    bot = make_bot(settings, guild_ready_timeout=0.05, clock=clock)
    async with running_bot(emu, bot, token=emu.token):
        bot.boards.interval = 0.05  # (every 5 s in a real workshop)
        r = await organiser.run_command("workshop-config facilitator-role", plenary,
                                        role=facilitators)
        out.act(organiser, "#workshop", "/workshop-config facilitator-role role:@Facilitator")
        out.bot(await r.reply())

        r = await facilitator.run_command(
            "workshop breakouts", plenary, count=2, set="key-questions-group",
            workshop=WORKSHOP, names="Group A, Group B")
        out.act(facilitator, "#workshop",
                f"/workshop breakouts count:2 set:key-questions-group workshop:{WORKSHOP} "
                "names:Group A, Group B")
        listing = await r.reply()
        out.bot(listing)
        assert listing is not None
        threads = {name: emu.get_channel(int(t)) for name, t in
                   zip(ANSWERS, re.findall(r"<#(\d+)>", listing.text), strict=True)}
        out.channels.update({str(t.id): t.name for t in threads.values()})
        for thread in threads.values():
            out.line(f"\n[#{thread.name}, a thread of #workshop] the bot posted its first "
                     "card:")
            out.bot(_card(emu, thread))

        r = await facilitator.run_command("workshop board", backroom, workshop=WORKSHOP)
        out.act(facilitator, "#facilitators", f"/workshop board workshop:{WORKSHOP}")
        out.bot(await r.reply())
        board = next(m for m in emu.messages_in(backroom) if "Live board" in m.text)
        out.bot(board, label="the board")

        r = await facilitator.run_command("workshop timer start", backroom, workshop=WORKSHOP)
        out.act(facilitator, "#facilitators",
                f"/workshop timer start workshop:{WORKSHOP} (each prompt's suggested time)")
        out.bot(await r.reply())

        for number in range(3):
            for name, thread in threads.items():
                await _group_answers(emu, out, thread, people[name], ANSWERS[name][number],
                                     CITES[name][number], show=number == 0)
            if number == 0:
                await _conflict_scene(emu, out, threads["group-a"], people["group-a"])
                edited = await emu.wait_for_message(
                    backroom, lambda m: m.id == board.id and m.text.count("1 ✅ v") == 2
                    and "v4" in m.text)
                out.line("\n[#facilitators] the board has kept itself up to date:")
                out.bot(edited, label="the board")
                minutes = bot.engine.live_prompt(
                    bot.engine.peek_live(guild.id, threads["group-a"].id)).minutes or 25
                for step, note in ((minutes - 1, "to one minute before the end"),
                                   (1, "one more minute")):
                    clock.advance(minutes=step)
                    await bot.engine.scheduler.settled()
                    out.line(f"\n(The demo moves its clock on {note}.)")
                    for thread in threads.values():
                        out.line(f"[#{thread.name}]")
                        out.bot(emu.messages_in(thread)[-1])
            if number < 2:
                r = await facilitator.run_command("workshop next", backroom, workshop=WORKSHOP)
                out.act(facilitator, "#facilitators", f"/workshop next workshop:{WORKSHOP}")
                out.bot(await r.reply())
                out.line(f"\n[#{threads['group-a'].name}] the bot posted the next card:")
                out.bot(_card(emu, threads["group-a"]))

        await _participant_scenes(out, threads, people)

        r = await facilitator.run_command("workshop status", backroom, workshop=WORKSHOP)
        out.act(facilitator, "#facilitators", f"/workshop status workshop:{WORKSHOP}")
        out.bot(await r.reply())
        r = await facilitator.run_command("workshop close", backroom, workshop=WORKSHOP)
        out.act(facilitator, "#facilitators", f"/workshop close workshop:{WORKSHOP}")
        out.bot(await r.reply())

        await _gallery_and_vote(emu, out, backroom, threads, people, facilitator)
        await _synthesis(out, backroom, threads, people, facilitator)

        written: list[str] = []
        for fmt in EXPORT_FORMATS:
            r = await facilitator.run_command(
                "session export", backroom, format=fmt, workshop=WORKSHOP)
            out.act(facilitator, "#facilitators",
                    f"/session export format:{fmt} workshop:{WORKSHOP}")
            msg = await r.reply()
            out.bot(msg)
            assert msg is not None and msg.attachments, f"the {fmt} export should be attached"
            for attachment in msg.attachments:
                data = await attachment.read()
                (out_dir / attachment.filename).write_bytes(data)
                written.append(attachment.filename)
        emu.assert_no_violations()
    return written


def _card(emu: Emulator, channel: Channel) -> EmulatedMessage:
    return [m for m in emu.messages_in(channel) if m.buttons][-1]


async def _group_answers(emu: Emulator, out: Transcript, thread: Channel, members: list[Member],
                         texts: list[str], cites: list[str], *, show: bool) -> None:
    """The group agrees its answer: the first member writes it (and chooses the seminar
    examples that informed it), the second adds to it."""
    writer, editor = members[0], members[1]
    card = _card(emu, thread)
    r = await writer.click(card, "Answer")
    await r.response()
    assert r.modal is not None, "the Answer button should open a form"
    values: dict[str, str | list[str]] = {
        inp["custom_id"]: texts[i] for i, inp in enumerate(r.modal.text_inputs)}
    for select in r.modal.selects:  # the cite field: examples from the card
        values[select.custom_id] = cites
    done = await r.modal.submit(writer, values)
    if show:
        chosen = [o["label"] for s in r.modal.selects for o in s.options
                  if o["value"] in cites]
        out.act(writer, f"#{thread.name}",
                f"clicks Answer; the form '{r.modal.title}' opens empty and the group's "
                "first draft is typed in, citing "
                + (", ".join(chosen) if chosen else "no seminar example"))
        out.bot(await done.reply())
    r = await editor.click(card, "Answer")
    await r.response()
    assert r.modal is not None
    first = r.modal.text_inputs[0]
    done = await r.modal.submit(editor, {first["custom_id"]: first.get("value", "") +
                                         " Agreed by the whole group."})
    if show:
        out.act(editor, f"#{thread.name}",
                "clicks Answer: the form opens with the group's draft "
                f"({first.get('value', '')[:40]!r}…) and a line is added")
        out.bot(await done.reply())


async def _conflict_scene(emu: Emulator, out: Transcript, thread: Channel,
                          members: list[Member]) -> None:
    """Two members save at the same moment: one is refused, with both texts, and merges."""
    ben, carys = members[1], members[2]
    card = _card(emu, thread)
    forms = []
    for person in (ben, carys):
        r = await person.click(card, "Answer")
        await r.response()
        assert r.modal is not None
        forms.append((person, r.modal))
    out.act(ben, f"#{thread.name}", "and Carys both open the form on the same version")
    saves = [await modal.submit(person, {modal.text_inputs[0]["custom_id"]:
                                         f"{person.display_name}'s wording of the change."},
                                wait=False) for person, modal in forms]
    replies = [await s.reply() for s in saves]
    refused = next((r for r in replies if r is not None and "not saved" in r.text), None)
    saved = next((r for r in replies if r is not None and "Saved" in r.text), None)
    out.line("  (both press Submit at the same moment)")
    out.bot(saved, label="bot, to the first")
    out.bot(refused, label="bot, to the second")
    assert refused is not None, "one of the two saves should be refused"
    loser = carys if refused.interaction and refused.interaction.user is carys else ben
    r = await loser.click(refused, "Edit the current version")
    await r.response()
    assert r.modal is not None
    first = r.modal.text_inputs[0]
    done = await r.modal.submit(loser, {first["custom_id"]: first.get("value", "") +
                                        " (And the other wording, merged.)"})
    out.act(loser, f"#{thread.name}", "clicks 'Edit the current version' and merges both")
    out.bot(await done.reply())


async def _participant_scenes(out: Transcript, threads: dict[str, Channel],
                              people: dict[str, list[Member]]) -> None:
    ben = people["group-a"][1]
    where = threads["group-a"]
    r = await ben.run_command("example", where, name="holmes-costs-value")
    out.act(ben, f"#{where.name}", "/example name:holmes-costs-value")
    out.bot(await r.reply())
    r = await ben.run_command("my-answers", where)
    out.act(ben, f"#{where.name}", "/my-answers")
    out.bot(await r.reply())
    femi = people["group-b"][2]
    where = threads["group-b"]
    r = await femi.run_command("reminders", where, on=True)
    out.act(femi, f"#{where.name}", "/reminders on:True")
    out.bot(await r.reply())
    ellie = people["group-b"][1]
    r = await ellie.run_command("forget-me", where)
    out.act(ellie, f"#{where.name}", "/forget-me")
    confirm = await r.reply()
    out.bot(confirm)
    assert confirm is not None
    r = await ellie.click(confirm, "Yes, erase my answers")
    out.act(ellie, f"#{where.name}", "clicks 'Yes, erase my answers'")
    out.bot(await r.reply())


async def _gallery_and_vote(emu: Emulator, out: Transcript, backroom: Channel,
                            threads: dict[str, Channel], people: dict[str, list[Member]],
                            facilitator: Member) -> None:
    """The groups read each other's answer to the first prompt, comment, and dot-vote."""
    out.line("\n--- The groups learn from each other: a gallery walk and a dot-vote ---")
    r = await facilitator.run_command("workshop gallery start", backroom, workshop=WORKSHOP,
                                      prompt="identify-change")
    out.act(facilitator, "#facilitators",
            f"/workshop gallery start workshop:{WORKSHOP} prompt:identify-change")
    out.bot(await r.reply())
    where = threads["group-b"]
    heading = next(m for m in emu.messages_in(where) if "Gallery walk" in m.text)
    card = _gallery_card(emu, where)
    out.line(f"\n[#{where.name}] the bot posted the other group's answer:")
    out.bot(heading)
    out.bot(card)
    dev = people["group-b"][0]
    r = await dev.click(card, "Comment")
    await r.response()
    assert r.modal is not None, "Comment should open a form"
    done = await r.modal.submit(dev, {"comment": "Starting from the care-entry data is "
                                                 "convincing. Which schools will you ask?"})
    out.act(dev, f"#{where.name}", f"clicks Comment; the form '{r.modal.title}' opens and "
                                   "he writes a note")
    out.bot(await done.reply())
    r = await facilitator.run_command("workshop gallery rotate", backroom, workshop=WORKSHOP)
    out.act(facilitator, "#facilitators", f"/workshop gallery rotate workshop:{WORKSHOP} "
                                          "(two groups: one round, so the walk ends)")
    out.bot(await r.reply())
    asha, where = people["group-a"][0], threads["group-a"]
    r = await asha.run_command("session comments", where)
    out.act(asha, f"#{where.name}", "/session comments")
    out.bot(await r.reply())

    r = await facilitator.run_command("workshop vote start", backroom, workshop=WORKSHOP,
                                      dots=2, prompt="identify-change")
    out.act(facilitator, "#facilitators",
            f"/workshop vote start workshop:{WORKSHOP} dots:2 prompt:identify-change")
    out.bot(await r.reply())
    out.line(f"\n[#{where.name}]")
    out.bot(next(m for m in emu.messages_in(where) if "Dot-voting is open" in m.text))
    carys, femi = people["group-a"][2], people["group-b"][2]
    for voter, group, note in ((carys, "group-a", "Add a dot"), (carys, "group-a", "Add a dot"),
                               (femi, "group-b", "Add a dot"),
                               (dev, "group-a", "Add a dot, on his own group's answer")):
        where = threads[group]
        r = await voter.click(_gallery_card(emu, where), "Add a dot")
        out.act(voter, f"#{where.name}", f"clicks {note}")
        out.bot(await r.reply())
    r = await facilitator.run_command("workshop vote close", backroom, workshop=WORKSHOP)
    out.act(facilitator, "#facilitators", f"/workshop vote close workshop:{WORKSHOP}")
    out.bot(await r.reply())
    where = threads["group-a"]
    posted = emu.messages_in(where)
    first = next(i for i, m in enumerate(posted) if "Vote results" in m.text)
    out.line(f"\n[#{where.name}]")
    for message in posted[first:first + 2]:  # the heading and the most dotted answer
        out.bot(message)


async def _synthesis(out: Transcript, backroom: Channel, threads: dict[str, Channel],
                     people: dict[str, list[Member]], facilitator: Member) -> None:
    """A group looks at the chain its three answers make; the facilitator sums up."""
    out.line("\n--- From answers to a synthesis: the chain and the digest ---")
    dev, where = people["group-b"][0], threads["group-b"]
    r = await dev.run_command("session chain", where)
    out.act(dev, f"#{where.name}", "/session chain")
    out.bot(await r.reply())
    r = await facilitator.run_command("workshop digest", backroom, workshop=WORKSHOP)
    out.act(facilitator, "#facilitators", f"/workshop digest workshop:{WORKSHOP}")
    out.bot(await r.reply())


def _gallery_card(emu: Emulator, channel: Channel) -> EmulatedMessage:
    return [m for m in emu.messages_in(channel)
            if "Comment" in [b.get("label") for b in m.buttons]][-1]
