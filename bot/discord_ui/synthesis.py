"""The synthesis in Discord: a group's theory-of-change chain (``/session chain``) and the
digests (``/session digest``, ``/workshop digest``) as embeds within Discord's limits.

Everything people wrote goes through :func:`render.safe`; gaps are marked with
:data:`bot.synthesis.GAP_MARK` and come first in their column, so clipping a long answer
never hides one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.discord_ui import outgoing, render
from bot.discord_ui.render import clip, safe
from bot.discord_ui.respond import respond
from bot.engine import OwnChain
from bot.engine.gallery import NAMES
from bot.exports import ExportScope
from bot.exports.digest import Digest, PromptDigest, build_digest
from bot.models import Library
from bot.rules import clean_name
from bot.synthesis import GAP_MARK, ChainCell

if TYPE_CHECKING:
    from bot.discord_ui.client import WorkshopBot

PART = 300  # characters of one part of a chain cell
MOST = 5  # examples listed as cited most
NEVER = 12  # examples listed as never cited (the rest counted)


def _cell_value(library: Library, cell: ChainCell) -> str:
    lines = [f"{GAP_MARK} {g.text}" for g in cell.gaps]  # (our words and content labels)
    for part in cell.parts:
        text = part.text.strip()
        if text:
            lines.append(f"**{safe(part.label)}**: {safe(clip(text, PART))}")
    if cell.cited:
        titles = "; ".join(render.cited_titles(library, list(cell.cited)))
        lines.append(f"*Seminar examples cited:* {titles}")
    return clip("\n".join(lines) or "—", outgoing.FIELD_VALUE)


def chain_embed(library: Library, own: OwnChain) -> discord.Embed:
    """The chain of one group (or person): a field per column, gaps first in each."""
    row = own.row
    whose = ("the group" if own.session.group_mode else "your answers")
    embed = discord.Embed(
        title=clip(f"Theory of change: {safe(row.label)}", outgoing.TITLE),
        description=(
            "The three key questions as one chain: what you set out to change and for whom, "
            "the intervention that reaches it at scale and lasts, and how you will measure "
            f"outcomes, costs and value for money, from {whose} so far."),
        colour=render.COLOUR_DONE if row.complete else render.COLOUR_WARN,
    )
    for cell in row.cells:
        mark = f" {GAP_MARK}" if cell.gaps else " ✅"
        embed.add_field(name=clip(cell.column.title + mark, outgoing.FIELD_NAME),
                        value=_cell_value(library, cell), inline=False)
    gaps = len(row.gaps)
    embed.set_footer(text=(
        f"{gaps} gap{'s' if gaps != 1 else ''} to look at ({GAP_MARK}): a link with no answer, "
        "a part left empty, an answer too short to use, or no seminar example cited."
        if gaps else "No gaps: every link is answered and cites a seminar example."))
    return embed


def _prompt_name(pd: PromptDigest) -> str:
    p = pd.prompt
    return f"{p.number}. {p.title}" if p.number is not None else p.title


def _digest_body(pd: PromptDigest) -> str:
    lines = [f"**{pd.answers}** answer{'s' if pd.answers != 1 else ''}"
             + (f" from {pd.groups} group{'s' if pd.groups != 1 else ''}" if pd.groups else "")]
    tally = pd.citations
    if tally is None:
        lines.append("*This prompt has no field for citing seminar examples.*")
    elif pd.answers:
        most = tally.most_cited()[:MOST]
        if most:
            lines.append("**Cited most:** " + "; ".join(
                f"{safe(pd.title(eid))} ({n})" for eid, n in most))
        lines.append(f"Answers citing an example: {tally.citing} of {tally.answers}")
        never = tally.never_cited()
        if never:
            shown = "; ".join(safe(pd.title(e)) for e in never[:NEVER])
            more = f" and {len(never) - NEVER} more" if len(never) > NEVER else ""
            lines.append(f"**Never cited:** {shown}{more}")
        else:
            lines.append("Every linked example was cited.")
    if pd.voted:
        if pd.top:
            lines.append("**Top-voted:**")
            for n, top in enumerate(pd.top, start=1):
                excerpt = safe(clip(top.excerpt, 160)) if top.excerpt else "*(no text)*"
                lines.append(f"{n}. {safe(top.group)} · {safe(top.who)}: "
                             f"{top.dots} dot{'s' if top.dots != 1 else ''}: {excerpt}")
        else:
            lines.append("A vote was held; no answer to this prompt got a dot.")
    return "\n".join(lines)


def digest_embeds(digest: Digest) -> list[discord.Embed]:
    """One embed per prompt (at most 10, within 6,000 characters together)."""
    # (an author line shows no markdown: plain text)
    where = (f"group {digest.group}" if digest.group is not None
             else f"{digest.groups} group{'s' if digest.groups != 1 else ''}")
    embeds = []
    for i, pd in enumerate(digest.prompts[:outgoing.EMBEDS]):
        embed = discord.Embed(
            title=clip(safe(_prompt_name(pd)), outgoing.TITLE),
            description=clip(_digest_body(pd), outgoing.DESCRIPTION),
            colour=render.COLOUR,
        )
        if i == 0:
            embed.set_author(name=clip(f"Digest: {digest.workshop} · {where}", outgoing.AUTHOR))
        embeds.append(embed)
    return embeds


async def post_digest(interaction: discord.Interaction, bot: WorkshopBot, scope: ExportScope,
                      prompt: str | None, public: bool, workshop: str) -> None:
    """Work out a digest and post it (in the channel when ``public``, else to the caller).
    Named answers among the top-voted show names only if the workshop shows names to other
    groups (``/workshop settings names``)."""
    await interaction.response.defer(ephemeral=not public, thinking=True)
    found = await bot.engine.db.workshop(interaction.guild_id or 0, clean_name(workshop))
    names = bool(found and found.settings.get(NAMES))
    digest = await build_digest(bot.engine.db, bot.library, guild_id=interaction.guild_id or 0,
                                scope=scope, prompt=prompt, names=names)
    note, embeds = digest_message(digest)
    await respond(interaction, note, embeds=embeds, ephemeral=not public)


def digest_message(digest: Digest) -> tuple[str | None, list[discord.Embed]]:
    """The digest as one message: its embeds within Discord's limits, and a note when more
    prompts than one message holds were left out (and how to see them)."""
    _, embeds = outgoing.fit(None, digest_embeds(digest))
    if len(embeds) == len(digest.prompts):
        return None, embeds
    left = digest.prompts[len(embeds):]
    return (f"The first {len(embeds)} prompts are shown; for the other {len(left)} (from "
            f"{_prompt_name(left[0])}), give `prompt:`."), embeds
