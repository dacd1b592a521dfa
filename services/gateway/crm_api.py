"""CRM events in (docs/crm.md, "Events in"): the HTTP side of domain/crm_events.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import crm_events
from callcenter.services.gateway.web import BACKENDS, accepts, json_reply, read_json, user_of

routes = web.RouteTableDef()


@routes.post("/api/v1/crm/events")
@accepts(body=("events",))
async def post_crm_events(request: web.Request) -> web.Response:
    """Applies up to 100 CRM events, each once by (source, event_id): one result per event, in
    order (accepted, duplicate, or refused with field, reason and code). Admins."""
    results = await crm_events.submit_events(user_of(request), request.app[BACKENDS], await read_json(request))
    return json_reply({"results": results})
