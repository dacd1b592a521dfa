"""Call campaigns, segments and the do-not-call list for supervisors and admins, and the
outbound figures: the HTTP side of domain/campaigns.py, segments.py and outbound_figures.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.api.router.v1 import campaigns_pb2 as cpb
from callcenter.api.router.v1 import segments_pb2 as spb
from callcenter.services.gateway.domain import campaigns, outbound_figures, segments
from callcenter.services.gateway.query import PERIOD_PARAMS, page_size, period_from_query
from callcenter.services.gateway.web import (
    BACKENDS,
    ApiError,
    accepts,
    json_reply,
    message_dict,
    read_json,
    user_of,
)

routes = web.RouteTableDef()
CAMPAIGN = "/api/v1/campaigns/{campaign_id}"
MODE_NAMES = {v: k for k, v in campaigns.MODES.items()}
SOURCE_NAMES = {v: k for k, v in campaigns.SOURCES.items()}
PROGRESS = ("contacts", "pending", "calling", "reached", "exhausted", "skipped", "attempts", "connected")


def _ms(ts) -> int | None:
    return ts.ToMilliseconds() if ts.ByteSize() else None


def campaign_view(c: cpb.Campaign) -> dict:
    """A campaign as JSON: every field, zeros included, enums as words, durations in seconds."""
    p, r, h = c.progress, c.retry, c.calling_hours
    return {
        "campaign_id": c.campaign_id,
        "name": c.name,
        "queue": c.queue,
        "segment_id": c.segment_id,
        "source": SOURCE_NAMES.get(c.source, "contacts"),
        "script": c.script,
        "mode": MODE_NAMES.get(c.mode, "preview"),
        "calling_hours": {
            "days": list(h.days),
            "start_minute": h.start_minute,
            "end_minute": h.end_minute,
            "time_zone": h.time_zone,
        },
        "retry": {
            "no_answer_s": r.no_answer.ToMilliseconds() / 1000,
            "busy_s": r.busy.ToMilliseconds() / 1000,
            "failed_s": r.failed.ToMilliseconds() / 1000,
            "spread_s": r.spread.ToMilliseconds() / 1000,
            "max_attempts": r.max_attempts,
            "call_reached_again": r.call_reached_again,
        },
        "max_concurrent": c.max_concurrent,
        "state": campaigns.STATES.get(c.state, "unspecified"),
        "progress": {**{name: getattr(p, name) for name in PROGRESS}, "not_connected": dict(p.not_connected)},
        "created_ms": _ms(c.created_at),
    }


def contact_view(c: cpb.CampaignContact) -> dict:
    return {
        "number": c.number,
        "deal_id": c.deal_id,
        "state": campaigns.CONTACT_STATES.get(c.state, "unspecified"),
        "attempts": c.attempts,
        "last_outcome": c.last_outcome,
        "next_attempt_ms": _ms(c.next_attempt_at),
    }


def _campaign_id(request: web.Request) -> str:
    return request.match_info["campaign_id"]


@routes.get("/api/v1/campaigns")
@accepts()
async def list_campaigns(request: web.Request) -> web.Response:
    found = await campaigns.list_campaigns(user_of(request), request.app[BACKENDS])
    return json_reply({"campaigns": [campaign_view(c) for c in found]})


@routes.post("/api/v1/campaigns")
@accepts(body=campaigns.CAMPAIGN_FIELDS)
async def upsert_campaign(request: web.Request) -> web.Response:
    """Creates a campaign (draft) or replaces the settings of one (a running one: pause first)."""
    campaign = await campaigns.upsert_campaign(user_of(request), request.app[BACKENDS], await read_json(request))
    return json_reply({"campaign": campaign_view(campaign)}, 201)


@routes.get(CAMPAIGN)
@accepts()
async def get_campaign(request: web.Request) -> web.Response:
    campaign = await campaigns.get_campaign(user_of(request), request.app[BACKENDS], _campaign_id(request))
    return json_reply({"campaign": campaign_view(campaign)})


@routes.get(CAMPAIGN + "/contacts")
@accepts(query=("state", "page_size", "after_number"))
async def list_contacts(request: web.Request) -> web.Response:
    q = request.query
    found = await campaigns.list_contacts(
        user_of(request),
        request.app[BACKENDS],
        _campaign_id(request),
        q.get("state", ""),
        page_size(q, 200),
        q.get("after_number", "")[:64],
    )
    return json_reply({"contacts": [contact_view(c) for c in found]})


@routes.post(CAMPAIGN + "/contacts")
@accepts(body=("numbers", "contacts"))
async def add_contacts(request: web.Request) -> web.Response:
    """Adds contacts: {numbers: [...]} and/or {contacts: [{number, deal_id}]}, 1-1000."""
    contacts = campaigns.contacts_from_json(await read_json(request))
    reply = await campaigns.add_contacts(user_of(request), request.app[BACKENDS], _campaign_id(request), contacts)
    return json_reply({"added": reply.added, "skipped": reply.skipped})


def _state_route(action: str):
    async def change(request: web.Request) -> web.Response:
        await read_json(request)
        campaign = await campaigns.change_state(user_of(request), request.app[BACKENDS], _campaign_id(request), action)
        return json_reply({"campaign": campaign_view(campaign)})

    change.__name__ = f"{action}_campaign"
    change.__doc__ = f"{action.capitalize()}s the campaign."
    return change


for _action in ("start", "pause", "stop"):
    routes.post(f"{CAMPAIGN}/{_action}")(accepts()(_state_route(_action)))


# Segments and the do-not-call list ---------------------------------------------------------------


def segment_view(s: spb.Segment) -> dict:
    return {
        "segment_id": s.segment_id,
        "name": s.name,
        "conditions": [{"attribute": c.attribute, "values": list(c.values)} for c in s.conditions],
        "members": s.members,
        "updated_ms": _ms(s.updated_at),
    }


@routes.get("/api/v1/segments")
@accepts()
async def list_segments(request: web.Request) -> web.Response:
    found = await segments.list_segments(user_of(request), request.app[BACKENDS])
    return json_reply({"segments": [segment_view(s) for s in found]})


@routes.post("/api/v1/segments")
@accepts(body=segments.SEGMENT_FIELDS)
async def upsert_segment(request: web.Request) -> web.Response:
    """Creates or replaces a segment: {segment_id, name, conditions: [{attribute, values}]}."""
    segment = await segments.upsert_segment(user_of(request), request.app[BACKENDS], await read_json(request))
    return json_reply({"segment": segment_view(segment)}, 201)


@routes.get("/api/v1/do-not-call")
@accepts(query=("page_size", "page_token", "number"))
async def list_do_not_call(request: web.Request) -> web.Response:
    """The do-not-call list, oldest first, paged; ?number= says whether one number is on it."""
    q = request.query
    number = q.get("number", "")
    if len(number) > 64:
        raise ApiError(400, "number: at most 64 characters", "number")
    reply = await segments.list_do_not_call(
        user_of(request), request.app[BACKENDS], page_size(q), q.get("page_token", "")[:256], [number] if number else []
    )
    entries = [{"number": e.number, "added_ms": _ms(e.added_at)} for e in reply.entries]
    return json_reply({"entries": entries, "total": reply.total, "next_page_token": reply.next_page_token})


@routes.post("/api/v1/do-not-call")
@accepts(body=("numbers",))
async def add_do_not_call(request: web.Request) -> web.Response:
    numbers = segments.numbers_from_json(await read_json(request))
    return json_reply({"added": await segments.add_do_not_call(user_of(request), request.app[BACKENDS], numbers)})


@routes.delete("/api/v1/do-not-call")
@accepts(body=("numbers",))
async def remove_do_not_call(request: web.Request) -> web.Response:
    numbers = segments.numbers_from_json(await read_json(request))
    removed = await segments.remove_do_not_call(user_of(request), request.app[BACKENDS], numbers)
    return json_reply({"removed": removed})


# Outbound figures ---------------------------------------------------------------------------------


@routes.get("/api/v1/stats/outbound")
@accepts(query=(*PERIOD_PARAMS, "queue", "campaign_id", "agent_id"))
async def outbound_stats(request: web.Request) -> web.Response:
    """GetOutboundStats over a period, per queue, campaign and agent the user may see."""
    q = request.query
    reply = await outbound_figures.outbound_stats(
        user_of(request),
        request.app[BACKENDS],
        period_from_query(q),
        queue=q.get("queue", ""),
        campaign_id=q.get("campaign_id", ""),
        agent_id=q.get("agent_id", ""),
    )
    body = message_dict(reply)
    for field in ("queues", "campaigns", "agents"):
        body.setdefault(field, [])
    return json_reply(body)
