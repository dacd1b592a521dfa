"""Supervisor control of conversations and their board (issue 21; S3.1, S3.4-S3.6): the HTTP
side of domain/conversation_control.py. The control routes answer {"conversation": …}, the
conversation after the change. Closing is conversations_api.py's route, for agents and
supervisors alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from callcenter.services.gateway.conversations_api import ONE, conversation_id_of, conversation_reply
from callcenter.services.gateway.domain import conversation_control as control
from callcenter.services.gateway.query import PERIOD_PARAMS, names_param, period_from_query
from callcenter.services.gateway.web import BACKENDS, accepts, json_reply, message_dict, read_json, text_field, user_of

routes = web.RouteTableDef()
BOARD_PARAMS = ("channel", "topic", "queue", "agent_id")
# The query parameters of the conversation figures (GET /api/v1/stats/conversations and its
# CSV download, export_api.py).
CONVERSATION_STATS_PARAMS = (*PERIOD_PARAMS, "group_by", "channel", "topic")


def conversation_stats_query(q: Mapping[str, str]) -> dict[str, Any]:
    """The figures asked for by CONVERSATION_STATS_PARAMS (the JSON route and the CSV export)."""
    return {
        "period": period_from_query(q),
        "group_by": q.get("group_by", "queue"),
        "channel": q.get("channel", ""),
        "topic": q.get("topic", ""),
    }


@routes.get("/api/v1/board/conversations")
@accepts(query=BOARD_PARAMS)
async def conversation_board(request: web.Request) -> web.Response:
    """The conversations' board now; ?queue=a,b and ?agent_id=a,b choose queues and operators."""
    q = request.query
    reply = await control.board(
        user_of(request),
        request.app[BACKENDS],
        channel=q.get("channel", ""),
        topic=q.get("topic", ""),
        queues=names_param(q, "queue", control.MAX_BOARD_QUEUES),
        agent_ids=names_param(q, "agent_id", control.MAX_BOARD_AGENTS),
    )
    return json_reply(message_dict(reply))


@routes.get("/api/v1/stats/conversations")
@accepts(query=CONVERSATION_STATS_PARAMS)
async def conversation_stats(request: web.Request) -> web.Response:
    """Conversation figures over a period, grouped by channel, topic, agent or queue (team)."""
    reply = await control.stats(user_of(request), request.app[BACKENDS], **conversation_stats_query(request.query))
    return json_reply(message_dict(reply))


@routes.post(ONE + "/transfer")
@accepts(body=("agent_id",))
async def transfer(request: web.Request) -> web.Response:
    """To another agent of the supervisor's, or back to the queue's line (no agent_id)."""
    agent_id = text_field(await read_json(request), "agent_id", limit=64)
    return conversation_reply(
        await control.transfer(user_of(request), request.app[BACKENDS], conversation_id_of(request), agent_id)
    )


@routes.post(ONE + "/take")
@accepts()
async def take(request: web.Request) -> web.Response:
    """The supervisor takes it themselves (their user's agent)."""
    await read_json(request)
    return conversation_reply(await control.take(user_of(request), request.app[BACKENDS], conversation_id_of(request)))


async def _message(request: web.Request, *, note: bool) -> web.Response:
    body = await read_json(request)
    message_id = text_field(body, "message_id", limit=64)
    text = text_field(body, "text", limit=control.MAX_TEXT)
    conversation = await control.post_message(
        user_of(request), request.app[BACKENDS], conversation_id_of(request), message_id, text, note=note
    )
    return conversation_reply(conversation)


@routes.post(ONE + "/note")
@accepts(body=("message_id", "text"))
async def note(request: web.Request) -> web.Response:
    """A note whispered to the conversation's agent; the customer never sees it."""
    return await _message(request, note=True)


@routes.post(ONE + "/supervisor-reply")
@accepts(body=("message_id", "text"))
async def supervisor_reply(request: web.Request) -> web.Response:
    """A reply to the customer in the agent's place (counts as the agent's reply)."""
    return await _message(request, note=False)
