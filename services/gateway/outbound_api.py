"""Outbound work for agents (docs/outbound.md): click-to-call, the preview an agent accepts or
declines, and callbacks. The HTTP side of domain/outbound.py and domain/callbacks.py."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.services.gateway.domain import callbacks, outbound
from callcenter.services.gateway.query import datetime_param
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    ApiError,
    accepts,
    action_call_id,
    json_reply,
    last_segment,
    message_dict,
    read_json,
    text_field,
    user_of,
)

routes = web.RouteTableDef()
CALL = "/api/v1/outbound/calls/{call_id:" + ANY_SEGMENT + "}"
CALLBACK_STATES = {v: k.removeprefix("CALLBACK_STATE_").lower() for k, v in pb.CallbackState.items()}


def _ms(ts) -> int | None:
    return ts.ToMilliseconds() if ts.ByteSize() else None


def callback_view(c: pb.Callback) -> dict:
    due = _ms(c.due_at)
    return {
        "callback_id": c.callback_id,
        "number": c.number,
        "queue": c.queue,
        "due_ms": due,
        "due_at": dt.datetime.fromtimestamp(due / 1000, dt.UTC).isoformat() if due is not None else "",
        "agent_id": c.agent_id,
        "deal_id": c.deal_id,
        "note": c.note,
        "state": CALLBACK_STATES.get(c.state, "unspecified"),
        "origin": c.origin,
        "attempts": c.attempts,
        "call_id": c.call_id,
        "ended_reason": c.ended_reason,
        "created_by": c.created_by,
    }


def offer_view(offer: outbound.Offer) -> dict:
    call = offer.call
    return {
        "call_id": call.call_id,
        "offer_id": call.offer.offer_id,
        "number": call.caller,
        "queue": call.queue,
        "client_name": offer.client_name,
        "campaign_id": call.campaign_id,
        "campaign_name": offer.campaign_name,
        "script": offer.script,
        "callback_id": call.callback_id,
        "note": offer.note,
        "deal_id": call.deal_id,
        "call": message_dict(call),
    }


@routes.post("/api/v1/outbound/calls")
@accepts(body=("number", "queue", "deal_id", "agent_id"))
async def create_call(request: web.Request) -> web.Response:
    """Click-to-call: a preview offered to the caller's own agent (supervisors: agent_id)."""
    body = await read_json(request)
    call = await outbound.create_call(
        user_of(request),
        request.app[BACKENDS],
        number=text_field(body, "number", limit=64).strip(),
        queue=text_field(body, "queue", limit=64),
        deal_id=text_field(body, "deal_id", limit=128),
        agent_id=text_field(body, "agent_id", limit=64),
    )
    return json_reply({"call": message_dict(call)}, 201)


@routes.post(CALL + "/accept")
@accepts(body=("offer_id",))
async def accept_call(request: web.Request) -> web.Response:
    """The offered agent accepts the preview: the PBX dials it (DIALING)."""
    offer_id = text_field(await read_json(request), "offer_id", limit=128)
    call = await outbound.accept(user_of(request), request.app[BACKENDS], action_call_id(request), offer_id)
    return json_reply({"call": message_dict(call)})


@routes.post(CALL + "/decline")
@accepts(body=("offer_id",))
async def decline_call(request: web.Request) -> web.Response:
    """The offered agent passes: offered to the next agent, no miss."""
    offer_id = text_field(await read_json(request), "offer_id", limit=128)
    call = await outbound.decline(user_of(request), request.app[BACKENDS], action_call_id(request), offer_id)
    return json_reply({"call": message_dict(call)})


@routes.get("/api/v1/outbound/offers")
@accepts()
async def current_offers(request: web.Request) -> web.Response:
    """The outbound preview offered to the caller's own agent now, with the campaign's script."""
    offers = await outbound.current_offers(user_of(request), request.app[BACKENDS])
    return json_reply({"offers": [offer_view(o) for o in offers]})


def _flag(query, name: str) -> bool:
    raw = query.get(name, "")
    if raw not in ("", "0", "1", "true", "false"):
        raise ApiError(400, f"{name}: must be 1 or 0", name)
    return raw in ("1", "true")


@routes.get("/api/v1/callbacks")
@accepts(query=("agent_id", "queue", "include_ended"))
async def list_callbacks(request: web.Request) -> web.Response:
    """An agent's own callbacks; a supervisor's queues'; soonest due first."""
    q = request.query
    found = await callbacks.list_callbacks(
        user_of(request),
        request.app[BACKENDS],
        agent_id=q.get("agent_id", ""),
        queue=q.get("queue", ""),
        include_ended=_flag(q, "include_ended"),
    )
    return json_reply({"callbacks": [callback_view(c) for c in found]})


@routes.post("/api/v1/callbacks")
@accepts(body=("number", "due_at", "agent_id", "queue", "note", "deal_id"))
async def schedule_callback(request: web.Request) -> web.Response:
    """Schedules a callback: number, due_at (ISO 8601; without an offset: UTC), optional agent,
    queue, note and deal."""
    body = await read_json(request)
    raw_due = text_field(body, "due_at", limit=64)
    if not raw_due:
        raise ApiError(400, "due_at: is required (ISO 8601 date-time)", "due_at")
    due_at = datetime_param({"due_at": raw_due}, "due_at")
    assert due_at is not None
    callback = await callbacks.schedule(
        user_of(request),
        request.app[BACKENDS],
        number=text_field(body, "number", limit=64).strip(),
        due_at=due_at,
        agent_id=text_field(body, "agent_id", limit=64),
        queue=text_field(body, "queue", limit=64),
        note=text_field(body, "note", limit=callbacks.MAX_NOTE),
        deal_id=text_field(body, "deal_id", limit=128),
    )
    return json_reply({"callback": callback_view(callback)}, 201)


@routes.delete("/api/v1/callbacks/{callback_id:" + ANY_SEGMENT + "}")
@accepts()
async def cancel_callback(request: web.Request) -> web.Response:
    callback_id = last_segment(request, "callback_id")
    callback = await callbacks.cancel(user_of(request), request.app[BACKENDS], callback_id)
    return json_reply({"callback": callback_view(callback)})
