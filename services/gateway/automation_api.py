"""The automation rules (docs/gateway.md, "Automation"): the HTTP side of domain/automation.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.automation import Automation, AutomationStore
from callcenter.services.gateway.domain import automation
from callcenter.services.gateway.web import accepts, json_reply, read_json, user_of

routes = web.RouteTableDef()
AUTOMATION = web.AppKey("automation", AutomationStore)
AUTOMATION_CONSUMER = web.AppKey("automation_consumer", Automation)


@routes.get("/api/v1/automation/rules")
@accepts()
async def get_rules(request: web.Request) -> web.Response:
    """Every automation rule (admins)."""
    found = await automation.rules(user_of(request), request.app[AUTOMATION])
    return json_reply({"rules": [r.public() for r in found]})


@routes.put("/api/v1/automation/rules")
@accepts(body=("rules",))
async def set_rules(request: web.Request) -> web.Response:
    """Replaces every automation rule: {"rules": [{id, kind, title, due_in_minutes, enabled, ...}]} (admins)."""
    found = await automation.set_rules(user_of(request), request.app[AUTOMATION], await read_json(request))
    return json_reply({"rules": [r.public() for r in found]})
