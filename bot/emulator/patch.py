"""Point the discord.py client at another Discord (the emulator, or any compatible server)."""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl


def point_discord_at(api_base: str, gateway_url: str) -> None:
    """Send every REST call to ``api_base`` and connect the gateway to ``gateway_url``.

    ``api_base`` is the versioned REST root (``http://127.0.0.1:PORT/api/v10``): discord.py builds
    every request from ``discord.http.Route.BASE``, interaction callbacks and webhook followups
    included. ``gateway_url`` (``ws://127.0.0.1:PORT/gateway``) becomes
    ``DiscordWebSocket.DEFAULT_GATEWAY``, a ``yarl.URL`` the client appends its query to.
    This changes process-wide class attributes; call it again to point elsewhere.
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def point_discord_at_discord() -> None:
    """Undo :func:`point_discord_at`: back to discord.com and the public gateway."""
    point_discord_at("https://discord.com/api/v10", "wss://gateway.discord.gg/")
