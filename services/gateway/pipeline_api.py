"""A lead's pipeline history and the lead funnel (S1.9): the HTTP side of domain/pipeline.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import pipeline
from callcenter.services.gateway.query import PERIOD_PARAMS, names_param, period_from_query
from callcenter.services.gateway.web import BACKENDS, ApiError, accepts, json_reply, message_dict, user_of

routes = web.RouteTableDef()


@routes.get("/api/v1/leads/{lead_id}/history")
@accepts()
async def lead_history(request: web.Request) -> web.Response:
    """Every creation, assignment and stage change of the lead, oldest first, with who and when."""
    reply = await pipeline.lead_history(user_of(request), request.app[BACKENDS], request.match_info["lead_id"])
    return json_reply(message_dict(reply))


@routes.get("/api/v1/stats/funnel")
@accepts(query=(*PERIOD_PARAMS, "group_by", "agent_id", "queue"))
async def lead_funnel(request: web.Request) -> web.Response:
    """?group_by=none|agent|queue &agent_id=a,b &queue=q1,q2 and a period (?day=, ?from=&to=, ?tz=)."""
    q = request.query
    group_by = q.get("group_by", "none")
    if group_by not in pipeline.GROUPINGS:
        raise ApiError(400, f"group_by: one of {', '.join(pipeline.GROUPINGS)}", "group_by")
    reply = await pipeline.lead_funnel(
        user_of(request),
        request.app[BACKENDS],
        period_from_query(q),
        group_by,
        names_param(q, "agent_id", pipeline.MAX_NAMES),
        names_param(q, "queue", pipeline.MAX_NAMES),
    )
    return json_reply(message_dict(reply))
