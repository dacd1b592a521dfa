"""The board's alert thresholds (docs/gateway.md, "Thresholds and alerts"): the HTTP side of
domain/thresholds.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import thresholds
from callcenter.services.gateway.domain.thresholds import AGENT_LIMITS, QUEUE_LIMITS, ThresholdStore
from callcenter.services.gateway.web import BACKENDS, accepts, json_reply, last_segment, read_json, user_of

routes = web.RouteTableDef()
THRESHOLDS = web.AppKey("thresholds", ThresholdStore)


@routes.get("/api/v1/thresholds")
@accepts()
async def get_thresholds(request: web.Request) -> web.Response:
    """The agents' limits and each visible queue's (admins and supervisors)."""
    found = await thresholds.thresholds(user_of(request), request.app[BACKENDS], request.app[THRESHOLDS])
    return json_reply(found)


@routes.put("/api/v1/thresholds/agents")
@accepts(body=AGENT_LIMITS)
async def set_agent_thresholds(request: web.Request) -> web.Response:
    """How long agents may ring, wrap up or pause before they are flagged stuck (admins)."""
    body = await read_json(request)
    return json_reply(await thresholds.set_agent_thresholds(user_of(request), request.app[THRESHOLDS], body))


@routes.put("/api/v1/thresholds/queues/{queue}")
@accepts(body=QUEUE_LIMITS)
async def set_queue_thresholds(request: web.Request) -> web.Response:
    """A queue's service level minimum, longest wait and abandonment maximum (admins)."""
    body = await read_json(request)
    queue = last_segment(request, "queue")
    found = await thresholds.set_queue_thresholds(
        user_of(request), request.app[BACKENDS], request.app[THRESHOLDS], queue, body
    )
    return json_reply(found)


@routes.delete("/api/v1/thresholds/queues/{queue}")
@accepts()
async def reset_queue_thresholds(request: web.Request) -> web.Response:
    """A queue back on the default limits (admins)."""
    queue = last_segment(request, "queue")
    found = await thresholds.reset_queue_thresholds(
        user_of(request), request.app[BACKENDS], request.app[THRESHOLDS], queue
    )
    return json_reply(found)
