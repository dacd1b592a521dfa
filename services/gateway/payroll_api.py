"""The payroll and its rules (S2.1, S1.4): the HTTP side of domain/payroll.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import payroll
from callcenter.services.gateway.export_api import stream_csv
from callcenter.services.gateway.query import PERIOD_PARAMS, period_from_query
from callcenter.services.gateway.web import BACKENDS, accepts, json_reply, message_dict, read_json, user_of

routes = web.RouteTableDef()
PAYROLL_PARAMS = (*PERIOD_PARAMS, "agent_id")


def _period(query):
    """?from=&to= alone mean a range (period=range implied); else as every figures route."""
    if "period" not in query and ("from" in query or "to" in query):
        return period_from_query({**query, "period": "range"})
    return period_from_query(query)


@routes.get("/api/v1/payroll")
@accepts(query=PAYROLL_PARAMS)
async def get_payroll(request: web.Request) -> web.Response:
    """One row per agent and currency: paid invoices, commission, bonus, penalty, total (admins;
    supervisors their teams' agents)."""
    q = request.query
    reply, names = await payroll.payroll(user_of(request), request.app[BACKENDS], _period(q), q.get("agent_id", ""))
    data = message_dict(reply)
    for row in data.get("rows", []):
        row["name"] = names.get(row["agent_id"], row["agent_id"])
    return json_reply(data)


@routes.get("/api/v1/export/payroll.csv")
@accepts(query=PAYROLL_PARAMS)
async def export_payroll(request: web.Request) -> web.StreamResponse:
    """The payroll as a CSV download a payroll system takes (amounts in minor units)."""
    q = request.query
    table = await payroll.payroll_table(user_of(request), request.app[BACKENDS], _period(q), q.get("agent_id", ""))
    return await stream_csv(request, table)


@routes.get("/api/v1/commission-rules")
@accepts()
async def get_commission_rules(request: web.Request) -> web.Response:
    rules = await payroll.commission_rules(user_of(request), request.app[BACKENDS])
    return json_reply({"rules": [message_dict(r) for r in rules]})


@routes.put("/api/v1/commission-rules")
@accepts(body=("rules",))
async def set_commission_rules(request: web.Request) -> web.Response:
    """Replaces the commission rules: {"rules": [{product|queue, percent_bp, fixed_minor}]} (admins)."""
    rules = await payroll.set_commission_rules(user_of(request), request.app[BACKENDS], await read_json(request))
    return json_reply({"rules": [message_dict(r) for r in rules]})


@routes.get("/api/v1/pay-rules")
@accepts()
async def get_pay_rules(request: web.Request) -> web.Response:
    rules = await payroll.pay_rules(user_of(request), request.app[BACKENDS])
    return json_reply({"rules": [message_dict(r) for r in rules]})


@routes.put("/api/v1/pay-rules")
@accepts(body=("rules",))
async def set_pay_rules(request: web.Request) -> web.Response:
    """Replaces the pay rules per team: {"rules": [{team_id, currency, bonus_..., penalty_...}]} (admins)."""
    rules = await payroll.set_pay_rules(user_of(request), request.app[BACKENDS], await read_json(request))
    return json_reply({"rules": [message_dict(r) for r in rules]})
