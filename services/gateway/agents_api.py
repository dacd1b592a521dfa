"""Agents and queues as the router knows them, and supervisor actions on agents (S0.1, S1.6,
S2.5, S3.1): the HTTP side of domain/agents.py, actions.py and clients.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import actions, agents, clients
from callcenter.services.gateway.web import (
    BACKENDS,
    ApiError,
    accepts,
    json_reply,
    message_dict,
    number_field,
    read_json,
    text_field,
    text_list,
    user_of,
)

routes = web.RouteTableDef()


@routes.get("/api/v1/agents")
@accepts()
async def list_agents(request: web.Request) -> web.Response:
    found = await agents.visible_agents(user_of(request), request.app[BACKENDS])
    return json_reply({"agents": [message_dict(a) for a in found]})


@routes.get("/api/v1/agents/{agent_id}")
@accepts()
async def get_agent(request: web.Request) -> web.Response:
    agent = await agents.get_agent(user_of(request), request.app[BACKENDS], request.match_info["agent_id"])
    return json_reply({"agent": message_dict(agent)})


@routes.get("/api/v1/queues")
@accepts()
async def list_queues(request: web.Request) -> web.Response:
    queues = await agents.visible_queues(user_of(request), request.app[BACKENDS])
    return json_reply({"queues": [message_dict(q) for q in queues]})


def _status_reply(status) -> web.Response:
    return json_reply({"status": message_dict(status)})


@routes.post("/api/v1/agents/{agent_id}/pause")
@accepts(body=("reason", "after_current_call"))
async def pause_agent(request: web.Request) -> web.Response:
    """Pauses an agent for one of the site's reasons (GET /api/v1/pause-reasons); with
    after_current_call, a busy agent is paused when they leave the call and its wrap-up."""
    body = await read_json(request)
    reason = text_field(body, "reason", limit=64)
    after = body.get("after_current_call", False)
    if not isinstance(after, bool):
        raise ApiError(400, "after_current_call: must be true or false", "after_current_call")
    status = await actions.pause(
        user_of(request), request.app[BACKENDS], request.match_info["agent_id"], reason, after_current_call=after
    )
    return _status_reply(status)


@routes.get("/api/v1/pause-reasons")
@accepts()
async def pause_reasons(request: web.Request) -> web.Response:
    """The site's pause reasons (code, label; automatic ones are the router's own)."""
    found = await actions.pause_reasons(request.app[BACKENDS])
    return json_reply({"reasons": [message_dict(r) for r in found]})


@routes.put("/api/v1/pause-reasons")
@accepts(body=("reasons",))
async def set_pause_reasons(request: web.Request) -> web.Response:
    """Admins replace the list: {"reasons": [{"code": "lunch", "label": "Lunch"}, ...]}."""
    body = await read_json(request)
    given = body.get("reasons")
    if not isinstance(given, list) or not given:
        raise ApiError(400, "reasons: a non-empty list of {code, label} is required", "reasons")
    reasons = []
    for i, item in enumerate(given):
        field = f"reasons[{i}]"
        if not isinstance(item, dict) or set(item) - {"code", "label"} or not isinstance(item.get("code"), str):
            raise ApiError(400, f"{field}: must be an object with a string code and an optional label", field)
        label = item.get("label", "")
        if not isinstance(label, str):
            raise ApiError(400, f"{field}.label: must be a string", f"{field}.label")
        reasons.append((item["code"], label))
    found = await actions.set_pause_reasons(user_of(request), request.app[BACKENDS], reasons)
    return json_reply({"reasons": [message_dict(r) for r in found]})


@routes.post("/api/v1/agents/{agent_id}/resume")
@accepts()
async def resume_agent(request: web.Request) -> web.Response:
    await read_json(request)
    return _status_reply(await actions.resume(user_of(request), request.app[BACKENDS], request.match_info["agent_id"]))


@routes.post("/api/v1/agents/{agent_id}/logout")
@accepts()
async def logout_agent(request: web.Request) -> web.Response:
    await read_json(request)
    return _status_reply(await actions.log_out(user_of(request), request.app[BACKENDS], request.match_info["agent_id"]))


@routes.post("/api/v1/agents/{agent_id}/wrap-up/end")
@accepts()
async def end_wrap_up(request: web.Request) -> web.Response:
    await read_json(request)
    status = await actions.end_wrap_up(user_of(request), request.app[BACKENDS], request.match_info["agent_id"])
    return _status_reply(status)


@routes.post("/api/v1/agents/{agent_id}/wrap-up/extend")
@accepts(body=("seconds",))
async def extend_wrap_up(request: web.Request) -> web.Response:
    seconds = number_field(await read_json(request), "seconds")
    status = await actions.extend_wrap_up(
        user_of(request), request.app[BACKENDS], request.match_info["agent_id"], seconds
    )
    return _status_reply(status)


@routes.get("/api/v1/agents/{agent_id}/clients")
@accepts()
async def list_clients(request: web.Request) -> web.Response:
    found = await clients.list_clients(user_of(request), request.app[BACKENDS], request.match_info["agent_id"])
    return json_reply({"clients": [message_dict(c) for c in found]})


@routes.post("/api/v1/agents/{agent_id}/clients/reassign")
@accepts(body=("to_agent_id", "numbers"))
async def reassign_clients(request: web.Request) -> web.Response:
    """Moves all (or the listed) clients of an agent to another agent (S1.6, S2.5)."""
    body = await read_json(request)
    moved = await clients.reassign_clients(
        user_of(request),
        request.app[BACKENDS],
        request.match_info["agent_id"],
        to_agent_id=text_field(body, "to_agent_id", limit=64),
        numbers=text_list(body, "numbers"),
    )
    return json_reply({"clients_moved": moved})
