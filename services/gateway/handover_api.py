"""Handovers (S1.6): the HTTP side of domain/handover.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import handover
from callcenter.services.gateway.web import BACKENDS, HANDOVERS, accepts, json_reply, read_json, text_field, user_of

routes = web.RouteTableDef()


@routes.post("/api/v1/agents/{agent_id}/handover")
@accepts(body=("to_agent_id", "until_ms"))
async def start_handover(request: web.Request) -> web.Response:
    """The agent's clients, open leads and tasks pass to to_agent_id, until until_ms (optional)."""
    body = await read_json(request)
    started = await handover.start_handover(
        user_of(request),
        request.app[BACKENDS],
        request.app[HANDOVERS],
        request.match_info["agent_id"],
        to_agent_id=text_field(body, "to_agent_id", limit=64),
        until_ms=body.get("until_ms"),
    )
    return json_reply({"handover": started.public()}, 201)


@routes.get("/api/v1/agents/{agent_id}/handover")
@accepts()
async def handover_in_force(request: web.Request) -> web.Response:
    found = await handover.handover_in_force(
        user_of(request), request.app[BACKENDS], request.app[HANDOVERS], request.match_info["agent_id"]
    )
    return json_reply({"handover": found.public()})


@routes.post("/api/v1/agents/{agent_id}/handover/end")
@accepts()
async def end_handover(request: web.Request) -> web.Response:
    """The agent is back: what is still the deputy's goes back to them now."""
    ended = await handover.end_handover(
        user_of(request), request.app[BACKENDS], request.app[HANDOVERS], request.match_info["agent_id"]
    )
    return json_reply({"handover": ended.public()})
