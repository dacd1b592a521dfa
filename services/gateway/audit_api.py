"""The audit trail (docs/security.md, "Audit"): the HTTP side of domain/audit.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.core import time_bounds
from callcenter.services.gateway.domain import audit
from callcenter.services.gateway.query import page_size, timestamp_param
from callcenter.services.gateway.web import BACKENDS, ApiError, accepts, json_reply, user_of

routes = web.RouteTableDef()

# The query parameters of GET /api/v1/actions.
ACTION_PARAMS = ("from", "to", "tz", "actor", "page_size", "page_token")


@routes.get("/api/v1/actions")
@accepts(query=ACTION_PARAMS)
async def list_actions(request: web.Request) -> web.Response:
    """The actions recorded from ?from= to ?to= (ISO date-times or dates in ?tz=; a date as
    ?to= includes that day), at most 400 days, newest first; ?actor= for one actor's."""
    q = request.query
    start, end = timestamp_param(q, "from"), timestamp_param(q, "to")
    for name, value in (("from", start), ("to", end)):
        if value is None:
            raise ApiError(400, f"{name}: is required (an ISO date or date-time)", name)
    assert start is not None and end is not None
    if end.ToMilliseconds() <= start.ToMilliseconds():
        raise ApiError(400, "to: must be after from", "to")
    time_bounds.check_period_ms(start.ToMilliseconds(), end.ToMilliseconds(), "to")  # at most 400 days
    actions, token = await audit.list_actions(
        user_of(request),
        request.app[BACKENDS],
        start,
        end,
        actor=q.get("actor", ""),
        page_size=page_size(q),
        page_token=q.get("page_token", ""),
    )
    return json_reply({"actions": actions, "next_page_token": token})
