"""Users, members and the application: who the bot is, who people are, and DM channels."""

from __future__ import annotations

from aiohttp import web

from bot.emulator._util import Route, error_response, json_response, to_int
from bot.emulator.state import State


class Users:
    def __init__(self, state: State) -> None:
        self._state = state

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/users/@me", self._get_me),
            Route("GET", "/users/{user_id}", self._get_user),
            Route("POST", "/users/@me/channels", self._create_dm),
            Route("GET", "/oauth2/applications/@me", self._get_application),
            Route("GET", "/applications/@me", self._get_application),
            Route("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
        ]

    async def _get_me(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            {
                **self._state.bot_user_payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "locale": "en-US",
            }
        )

    async def _get_user(self, request: web.Request) -> web.StreamResponse:
        member = self._state.users.get(to_int(request.match_info["user_id"]))
        if member is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(member.user_payload())

    async def _get_member(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        guild = state.guilds.get(to_int(request.match_info["guild_id"]))
        if guild is None:
            return error_response(404, 10004, "Unknown Guild")
        user_id = to_int(request.match_info["user_id"])
        if user_id == state.config.bot_user_id:
            return json_response(guild.bot_member_payload())
        member = guild.members.get(user_id)
        if member is None:
            return error_response(404, 10007, "Unknown Member")
        return json_response(member.member_payload())

    async def _create_dm(self, request: web.Request) -> web.StreamResponse:
        """Opening a DM channel always works, even with the person's DMs closed (as on
        Discord: sending in it is what fails, with 50007)."""
        body = await request.json()
        member = self._state.users.get(to_int(body.get("recipient_id")))
        if member is None:
            return error_response(
                400,
                50035,
                "Invalid Form Body",
                {
                    "recipient_id": {
                        "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": "Unknown user."}]
                    }
                },
            )
        return json_response(member.dm_channel.to_payload())

    async def _get_application(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        config = state.config
        owner = {
            "id": str(config.owner_user_id),
            "username": "owner",
            "global_name": "Owner",
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        return json_response(
            {
                "id": str(config.application_id),
                "name": config.bot_name,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": state.bot_user_payload(),
                "rpc_origins": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(state.guilds),
                "integration_types_config": {"0": {}},
            }
        )
