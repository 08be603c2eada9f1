"""`/workshop-config`: server settings, for members with Manage Server."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui.client import WorkshopBot
from bot.discord_ui.respond import NotFacilitator, guild_id_of, in_time, respond
from bot.engine import WorkshopError


class Admin(commands.Cog):
    config = app_commands.Group(
        name="workshop-config", description="Configure workshop-bot in this server",
        guild_only=True, default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: WorkshopBot) -> None:
        self.bot = bot

    @config.command(name="facilitator-role", description="Choose which role may facilitate")
    @app_commands.describe(
        role="Members with this role may run sessions (empty: Manage Server only)"
    )
    async def facilitator_role(
        self, interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        guild_id = guild_id_of(interaction)
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise NotFacilitator("Only members with the Manage Server permission can change this.")
        if role is not None and (role.is_default() or role.id == guild_id):
            raise WorkshopError(
                "@everyone cannot be the facilitator role: every member would be able to run "
                "sessions and export everyone's answers. Choose a role given to facilitators."
            )
        await in_time(interaction, self.bot.engine.set_facilitator_role(
            guild_id, role.id if role else None
        ))
        if role is None:
            text = "No facilitator role is set: members with Manage Server can facilitate."
        else:
            text = (f"Facilitators are now members with the {role.mention} role (and anyone "
                    "with Manage Server).")
        await respond(interaction, text)

    @config.command(name="gallery",
                    description="Allow gallery walks (groups reading each other's answers)")
    @app_commands.describe(enabled="On: facilitators may start gallery walks (default on); "
                                   "empty: show the setting")
    async def gallery(self, interaction: discord.Interaction,
                      enabled: bool | None = None) -> None:
        await self._sharing(interaction, gallery=enabled)

    @config.command(name="voting",
                    description="Allow dot-votes on the groups' answers")
    @app_commands.describe(enabled="On: facilitators may open votes (default on); empty: show "
                                   "the setting")
    async def voting(self, interaction: discord.Interaction,
                     enabled: bool | None = None) -> None:
        await self._sharing(interaction, voting=enabled)

    async def _sharing(self, interaction: discord.Interaction, *, gallery: bool | None = None,
                       voting: bool | None = None) -> None:
        guild_id = guild_id_of(interaction)
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise NotFacilitator("Only members with the Manage Server permission can change this.")
        engine = self.bot.engine
        if gallery is None and voting is None:
            gallery_on, voting_on = await in_time(interaction, engine.sharing(guild_id))
        else:
            gallery_on, voting_on = await in_time(interaction, engine.set_sharing(
                guild_id, gallery=gallery, voting=voting))
        await respond(interaction, sharing_text(gallery_on, voting_on))


def sharing_text(gallery_on: bool, voting_on: bool) -> str:
    """What the server allows. Answers reach other groups only when a facilitator starts a
    walk or a vote; these switches decide whether facilitators may."""
    return (f"Gallery walks are **{'allowed' if gallery_on else 'switched off'}** and votes "
            f"are **{'allowed' if voting_on else 'switched off'}** in this server. Answers "
            "reach other groups only when a facilitator starts one of them; a walk or vote "
            "already running goes on until it is ended or closed.")


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(Admin(bot))
