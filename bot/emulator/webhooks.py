"""The bot answering interactions: the callback (message, defer, update, modal, autocomplete
choices) and the interaction webhook (followups, ``@original`` and followup edits/deletes)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.emulator import rules
from bot.emulator._util import Route, error_response, json_response, to_int
from bot.emulator.interactions import People
from bot.emulator.messages import Messages, number_components, read_body
from bot.emulator.referee import Referee
from bot.emulator.state import State
from bot.emulator.world import EmulatedMessage, EmulatedModal, InteractionResult

log = logging.getLogger("bot.emulator")

# Which callback types each interaction type accepts (6/7 on a modal submit only when the modal
# was opened from a component; checked separately).
ALLOWED_CALLBACKS = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


class Responses:
    def __init__(self, state: State, messages: Messages, referee: Referee, people: People) -> None:
        self._state = state
        self._messages = messages
        self._referee = referee
        self._people = people

    def routes(self) -> list[Route]:
        webhook = "/webhooks/{app_id}/{token}"
        return [
            Route(
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                self._callback,
                bot_only=False,
            ),
            Route("POST", webhook, self._post_followup, bot_only=False),
            Route("GET", webhook + "/messages/{message_id}", self._webhook_get, bot_only=False),
            Route("PATCH", webhook + "/messages/{message_id}", self._webhook_patch, bot_only=False),
            Route(
                "DELETE", webhook + "/messages/{message_id}", self._webhook_delete, bot_only=False
            ),
        ]

    async def _callback(self, request: web.Request) -> web.StreamResponse:
        interaction_id = to_int(request.match_info["interaction_id"])
        result = self._state.interactions.get(interaction_id)
        route = f"POST /interactions/{interaction_id}/<token>/callback"
        if result is None or result.token != request.match_info["token"] or result.expired:
            if result is not None and result.expired:
                log.warning(
                    "callback for %s after the acknowledgement deadline", result.description
                )
            return error_response(404, 10062, "Unknown interaction")
        payload, files = await read_body(request)
        if result.acknowledged:
            return self._referee.reject_one(
                "double_response",
                f"{result.description} was answered twice (already answered with type "
                f"{result.response_type}, now type {payload.get('type')})",
                route,
                status=400,
                code=40060,
                message="Interaction has already been acknowledged.",
                interaction=result,
            )
        rtype = payload.get("type")
        allowed = ALLOWED_CALLBACKS.get(result.type, set())
        if result.type == 5 and result.source_message is None:
            allowed = {4, 5}
        if rtype not in allowed:
            problem = rules.Problem(
                "invalid_response_type",
                ("type",),
                f"Response type {rtype} is not valid for a {result.kind} "
                f"interaction (allowed: {sorted(allowed)}).",
                "INTERACTION_RESPONSE_TYPE_INVALID",
            )
            return self._referee.reject([problem], route, interaction=result)
        data = payload.get("data") or {}
        problems: list[rules.Problem] = []
        if rtype == 4:
            problems = self._messages.check_new(data, files)
        elif rtype == 7:
            assert result.source_message is not None
            problems = self._messages.check_edit(result.source_message, data, files)
        elif rtype == 9:
            problems = rules.check_modal(data)
        elif rtype == 8:
            problems = rules.check_autocomplete(data)
        if problems:
            prefixed = [
                rules.Problem(
                    p.rule,
                    ("data", *p.path) if p.path[:1] != ("data",) else p.path,
                    p.message,
                    p.code,
                )
                for p in problems
            ]
            return self._referee.reject(prefixed, route, interaction=result)

        self._people.acknowledged(result)
        result.response_type = rtype
        result.response_data = data
        channel = result.channel
        assert channel is not None
        msg: EmulatedMessage | None = None
        msg_type = 20 if result.type == 2 else 0
        if rtype == 4:
            msg = self._messages.create(
                channel,
                data,
                files,
                interaction=result,
                msg_type=msg_type,
                flags=(data.get("flags") or 0),
            )
            result.original = msg
        elif rtype == 5:
            flags = rules.FLAG_LOADING | ((data.get("flags") or 0) & rules.FLAG_EPHEMERAL)
            result.original = None
            msg = self._messages.create(
                channel, {}, [], interaction=result, msg_type=msg_type, flags=flags
            )
            result.original = msg
        elif rtype == 6:
            result.original = result.source_message
        elif rtype == 7:
            assert result.source_message is not None
            msg = self._messages.edit(result.source_message, data, files)
            result.original = msg
        elif rtype == 8:
            result.choices = list(data.get("choices") or [])
        elif rtype == 9:
            # Discord numbers the modal's components; the submission carries those ids back.
            data["components"] = number_components(list(data.get("components") or ()))
            result.modal = EmulatedModal(self._state.host, data, result)
        result.waiters.notify()

        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        info: dict[str, object] = {"id": str(result.id), "type": result.type}
        body: dict[str, object] = {"interaction": info, "resource": {"type": rtype}}
        if msg is not None:
            info["response_message_id"] = str(msg.id)
            info["response_message_loading"] = msg.loading
            info["response_message_ephemeral"] = msg.ephemeral
            body["resource"] = {"type": rtype, "message": msg.data}
        return json_response(body)

    def _webhook_interaction(
        self, request: web.Request, route: str
    ) -> InteractionResult | web.Response:
        state = self._state
        result = state.by_token.get(request.match_info["token"])
        if result is None or to_int(request.match_info["app_id"]) != state.config.application_id:
            return error_response(404, 10015, "Unknown Webhook")
        if state.token_expired(result):
            return self._referee.reject_one(
                "interaction_token_expired",
                f"the bot used the token of {result.description} more than 15 minutes after "
                "the interaction (edit a lasting message by channel and message id instead)",
                route,
                status=401,
                code=50027,
                message="Invalid Webhook Token",
                interaction=result,
            )
        if not result.acknowledged:
            return self._referee.reject_one(
                "webhook_before_response",
                f"the bot used the webhook of {result.description} before acknowledging it",
                route,
                status=404,
                code=10015,
                message="Unknown Webhook",
                interaction=result,
            )
        return result

    async def _post_followup(self, request: web.Request) -> web.StreamResponse:
        route = "POST /webhooks/<app>/<token>"
        result = self._webhook_interaction(request, route)
        if isinstance(result, web.Response):
            return result
        payload, files = await read_body(request)
        original = result.original
        filling = result.response_type == 5 and original is not None and original.loading
        if filling:
            assert original is not None
            problems = self._messages.check_edit(original, payload, files)
        else:
            problems = self._messages.check_new(payload, files)
        if problems:
            return self._referee.reject(problems, route, interaction=result)
        if filling:
            assert original is not None
            # The first followup after a "thinking" defer replaces the loading message.
            msg = self._messages.edit(original, payload, files, fill_deferred=True)
        else:
            assert result.channel is not None
            msg = self._messages.create(
                result.channel,
                payload,
                files,
                interaction=result,
                msg_type=20 if result.type == 2 else 0,
                flags=payload.get("flags") or 0,
            )
        result.followups.append(msg)
        result.waiters.notify()
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response(msg.data)

    def _webhook_message(
        self, request: web.Request, route: str
    ) -> tuple[InteractionResult, EmulatedMessage] | web.Response:
        result = self._webhook_interaction(request, route)
        if isinstance(result, web.Response):
            return result
        key = request.match_info["message_id"]
        if key == "@original":
            msg = result.original
        else:
            msg = self._state.messages.get(to_int(key))
            if msg is not None and msg is not result.original and msg not in result.followups:
                msg = None
        if msg is None or msg.deleted:
            return self._referee.reject_one(
                "unknown_message",
                f"{route}: {result.description} has no message {key}",
                route,
                status=404,
                code=10008,
                message="Unknown Message",
                interaction=result,
            )
        return result, msg

    async def _webhook_get(self, request: web.Request) -> web.StreamResponse:
        found = self._webhook_message(request, "GET /webhooks/<app>/<token>/messages/<id>")
        if isinstance(found, web.Response):
            return found
        return json_response(found[1].data)

    async def _webhook_patch(self, request: web.Request) -> web.StreamResponse:
        route = f"PATCH /webhooks/<app>/<token>/messages/{request.match_info['message_id']}"
        found = self._webhook_message(request, route)
        if isinstance(found, web.Response):
            return found
        result, msg = found
        payload, files = await read_body(request)
        problems = self._messages.check_edit(msg, payload, files)
        if problems:
            return self._referee.reject(problems, route, interaction=result)
        self._messages.edit(msg, payload, files)
        result.waiters.notify()
        return json_response(msg.data)

    async def _webhook_delete(self, request: web.Request) -> web.StreamResponse:
        route = f"DELETE /webhooks/<app>/<token>/messages/{request.match_info['message_id']}"
        found = self._webhook_message(request, route)
        if isinstance(found, web.Response):
            return found
        self._messages.delete(found[1])
        return web.Response(status=204)
