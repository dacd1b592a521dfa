"""The invoice queue (S2.7): the HTTP side of domain/invoice_queue.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import invoice_queue
from callcenter.services.gateway.query import flag_param, page_size
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    accepts,
    json_reply,
    message_dict,
    read_json,
    user_of,
)

routes = web.RouteTableDef()


@routes.get("/api/v1/invoice-queue")
@accepts(query=("queue", "uncalled_only", "page_size", "page_token"))
async def list_invoice_queue(request: web.Request) -> web.Response:
    """Unpaid invoices nobody reached yet, oldest first: an agent's own, a team's, or all."""
    q = request.query
    reply = await invoice_queue.list_invoices(
        user_of(request),
        request.app[BACKENDS],
        q.get("queue", ""),
        flag_param(q, "uncalled_only"),
        page_size(q),
        q.get("page_token", ""),
    )
    return json_reply(message_dict(reply))


@routes.post("/api/v1/invoice-queue/{invoice_id:" + ANY_SEGMENT + "}/call")
@accepts()
async def call_invoice(request: web.Request) -> web.Response:
    """A call about the invoice, offered to its deal owner first: {"call": …}."""
    await read_json(request)
    call = await invoice_queue.call_invoice(user_of(request), request.app[BACKENDS], request.match_info["invoice_id"])
    return json_reply({"call": message_dict(call)})
