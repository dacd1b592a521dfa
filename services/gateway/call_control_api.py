"""Live call control (S3.4): the HTTP side of domain/call_control.py. Every route answers
{"call": …}, the call after the change."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import call_control
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    accepts,
    action_call_id,
    json_reply,
    message_dict,
    read_json,
    text_field,
    user_of,
)

routes = web.RouteTableDef()
CALL = "/api/v1/calls/{call_id:" + ANY_SEGMENT + "}"


def _reply(call) -> web.Response:
    return json_reply({"call": message_dict(call)})


@routes.post(CALL + "/move")
@accepts(body=("agent_id", "queue"))
async def move_call(request: web.Request) -> web.Response:
    """A waiting call to a named agent (offered at once) or to another queue."""
    body = await read_json(request)
    agent_id, queue = text_field(body, "agent_id", limit=64), text_field(body, "queue", limit=64)
    call = await call_control.move(user_of(request), request.app[BACKENDS], action_call_id(request), agent_id, queue)
    return _reply(call)


@routes.post(CALL + "/take")
@accepts()
async def take_call(request: web.Request) -> web.Response:
    """The supervisor takes a waiting call themselves (their user's agent)."""
    await read_json(request)
    return _reply(await call_control.take(user_of(request), request.app[BACKENDS], action_call_id(request)))


@routes.post(CALL + "/end")
@accepts()
async def end_call(request: web.Request) -> web.Response:
    """Ends a stuck call now (reason ended_by_supervisor)."""
    await read_json(request)
    return _reply(await call_control.end(user_of(request), request.app[BACKENDS], action_call_id(request)))


@routes.post(CALL + "/reassign")
@accepts(body=("agent_id",))
async def reassign_call(request: web.Request) -> web.Response:
    """A ringing call to another agent, or back to its queue (no agent_id)."""
    agent_id = text_field(await read_json(request), "agent_id", limit=64)
    call = await call_control.reassign(user_of(request), request.app[BACKENDS], action_call_id(request), agent_id)
    return _reply(call)
