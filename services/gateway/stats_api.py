"""Figures, call records and leads for supervisors (S0.1, S0.2, S1.1, S1.4, S3.1-S3.6,
S4.1-S4.6): the HTTP side of domain/figures.py, calls.py and leads.py."""

from __future__ import annotations

from aiohttp import web
from google.protobuf import duration_pb2

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.services.gateway.domain import calls, figures, leads, timeline
from callcenter.services.gateway.query import (
    PERIOD_PARAMS,
    page_size,
    period_from_query,
    seconds_param,
    timestamp_param,
)
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    ApiError,
    accepts,
    check_call_id,
    json_reply,
    last_segment,
    message_dict,
    read_json,
    text_field,
    user_of,
)

routes = web.RouteTableDef()

OUTCOMES = {
    "answered": spb.CALL_OUTCOME_COMPLETED,
    "in_progress": spb.CALL_OUTCOME_IN_PROGRESS,
    "abandoned": spb.CALL_OUTCOME_ABANDONED,
    "timed_out": spb.CALL_OUTCOME_TIMED_OUT,
    "redirected": spb.CALL_OUTCOME_REDIRECTED,
}
OUTCOME_NAMES = {v: k for k, v in OUTCOMES.items()}
# The query parameters of GET /api/v1/calls.
CALL_PARAMS = (
    "agent_id", "queue", "caller", "call_id", "outcome", "from", "to", "tz",
    "min_talk_s", "max_talk_s", "page_size", "page_token", "q",
)  # fmt: skip
MAX_SEARCH = 64  # characters of ?q=
_NUMBER_CHARS = frozenset("0123456789+-(). ")


def _ms(value) -> int | None:
    return value.ToMilliseconds() if value.ByteSize() else None


# Agent and queue figures ----------------------------------------------------------------------


@routes.get("/api/v1/stats/agents")
@accepts(query=(*PERIOD_PARAMS, "agent_id"))
async def agent_stats(request: web.Request) -> web.Response:
    """Per-agent KPIs over a period, for the agents the user may see (?agent_id= for one)."""
    period, agent_id = period_from_query(request.query), request.query.get("agent_id", "")
    reply = await figures.agent_stats(user_of(request), request.app[BACKENDS], period, agent_id)
    return json_reply(message_dict(reply))


@routes.get("/api/v1/stats/team")
@accepts(query=(*PERIOD_PARAMS, "team_id", "agent_id"))
async def team_stats(request: web.Request) -> web.Response:
    """A router team's members' KPIs (?team_id=) or those of agents named (?agent_id=a,b,c,
    at most 200), each and in total."""
    q = request.query
    wanted, reply, totals = await figures.team_stats(
        user_of(request), request.app[BACKENDS], period_from_query(q), q.get("team_id", ""), q.get("agent_id", "")
    )
    return json_reply(
        {**message_dict(reply), "team_id": q.get("team_id", ""), "agent_ids": wanted, "totals": message_dict(totals)}
    )


@routes.get("/api/v1/agents/{agent_id}/timeline")
@accepts(query=("day", "tz"))
async def agent_timeline(request: web.Request) -> web.Response:
    """The agent's state segments of a day (?day=YYYY-MM-DD, default today; ?tz=)."""
    period = period_from_query(request.query)
    reply = await timeline.agent_timeline(
        user_of(request), request.app[BACKENDS], request.match_info["agent_id"], period
    )
    return json_reply(message_dict(reply))


@routes.get("/api/v1/stats/queues")
@accepts(query=(*PERIOD_PARAMS, "queue", "service_level_s"))
async def queue_stats(request: web.Request) -> web.Response:
    """Per-queue KPIs over a period (service level with ?service_level_s=)."""
    q = request.query
    reply = await figures.queue_stats(
        user_of(request),
        request.app[BACKENDS],
        period_from_query(q),
        queue=q.get("queue", ""),
        service_level_s=seconds_param(q, "service_level_s"),
    )
    return json_reply(message_dict(reply))


# Call records (S1.1) --------------------------------------------------------------------------


def call_summary(record: spb.CallRecord) -> dict:
    return {
        "call_id": record.call_id,
        "caller": record.caller,
        "queue": record.final_queue or record.queue,
        "received_ms": _ms(record.received_at),
        "answered_ms": _ms(record.answered_at),
        "ended_ms": _ms(record.ended_at),
        "outcome": OUTCOME_NAMES.get(record.outcome, "unknown"),
        "agent_id": record.agent_id,
        "wait_ms": record.wait.ToMilliseconds(),
        "ring_ms": record.ring_time.ToMilliseconds(),
        "talk_ms": record.talk_time.ToMilliseconds(),
        "wrap_up_ms": record.wrap_up_time.ToMilliseconds(),
        "offers": [
            {
                "attempt": o.attempt,
                "agent_id": o.agent_id,
                "outcome": o.outcome,
                "ring_ms": o.ring_time.ToMilliseconds(),
            }
            for o in record.offers
        ],
        "recording_id": record.recording_ids[0] if record.recording_ids else "",
        "recording_ids": list(record.recording_ids),
        "lead_id": record.lead_id,
    }


def call_filters(q) -> spb.ListCallRecordsRequest:
    """?agent_id= ?queue= ?caller= ?outcome= ?from= ?to= ?min_talk_s= ?max_talk_s= and paging."""
    req = spb.ListCallRecordsRequest(
        agent_id=q.get("agent_id", ""),
        queue=q.get("queue", ""),
        caller=q.get("caller", ""),
        page_size=page_size(q),
        page_token=q.get("page_token", ""),
    )
    search(req, q.get("q", ""))
    outcome = q.get("outcome", "")
    if outcome == "missed":
        req.missed_only = True
    elif outcome:
        if outcome not in OUTCOMES:
            raise ApiError(400, f"outcome: must be missed or one of {', '.join(OUTCOMES)}", "outcome")
        req.outcome = OUTCOMES[outcome]
    start, end = timestamp_param(q, "from"), timestamp_param(q, "to")
    if start is not None:
        req.received.start.CopyFrom(start)
    if end is not None:
        req.received.end.CopyFrom(end)
    for param, field in (("min_talk_s", "min_talk_time"), ("max_talk_s", "max_talk_time")):
        value = seconds_param(q, param)
        if value is not None:
            getattr(req, field).CopyFrom(_duration(value))
    return req


def search(req: spb.ListCallRecordsRequest, text: str) -> None:
    """?q=: a fragment of the caller's number (digits, with + - ( ) . and spaces ignored) or
    of the call id; digits alone may be either."""
    text = text.strip()
    if len(text) > MAX_SEARCH:
        raise ApiError(400, f"q: at most {MAX_SEARCH} characters", "q")
    if not text:
        return
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if digits and set(text) <= _NUMBER_CHARS:
        req.caller_contains = digits
    if " " not in text:
        if not (text.isascii() and text.isprintable()):
            raise ApiError(400, "q: a number or a call id (printable ASCII) expected", "q")
        req.call_id_contains = text
    elif not req.caller_contains:
        raise ApiError(400, "q: a number or a call id (no spaces) expected", "q")


def _duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(round(seconds * 1000))
    return d


@routes.get("/api/v1/calls")
@accepts(query=CALL_PARAMS)
async def list_calls(request: web.Request) -> web.Response:
    q = request.query
    filters, call_id = call_filters(q), check_call_id(q["call_id"]) if q.get("call_id") else ""
    records, token = await calls.list_calls(user_of(request), request.app[BACKENDS], filters, call_id)
    return json_reply({"calls": [call_summary(r) for r in records], "next_page_token": token})


@routes.get("/api/v1/calls/{call_id:" + ANY_SEGMENT + "}")
@accepts()
async def get_call(request: web.Request) -> web.Response:
    """One call record; the id percent-encoded as one path segment ("/" as %2F). The ids "."
    and ".." cannot be a path segment (clients drop them as dot segments): ?call_id= on
    /api/v1/calls takes any id."""
    call_id = check_call_id(last_segment(request, "call_id"))
    record = await calls.get_call(user_of(request), request.app[BACKENDS], call_id)
    return json_reply({"call": call_summary(record), "record": message_dict(record)})


# Leads (S4) -----------------------------------------------------------------------------------


@routes.get("/api/v1/leads")
@accepts(query=(*PERIOD_PARAMS, "filter", "agent_id"))
async def list_leads(request: web.Request) -> web.Response:
    """?filter=not_called|improper_refusal|cadence_broken, ?agent_id=, ?day= and ?tz=."""
    q = request.query
    name = q.get("filter", "")
    if name not in leads.LEAD_FILTERS:
        raise ApiError(400, f"filter: must be one of {', '.join(f for f in leads.LEAD_FILTERS if f)}", "filter")
    found = await leads.list_leads(
        user_of(request), request.app[BACKENDS], name, period_from_query(q), q.get("agent_id", "")
    )
    return json_reply({"leads": [message_dict(lead) for lead in found]})


@routes.get("/api/v1/leads/{lead_id}")
@accepts(query=PERIOD_PARAMS)
async def get_lead(request: web.Request) -> web.Response:
    period = period_from_query(request.query)
    lead = await leads.get_lead(user_of(request), request.app[BACKENDS], request.match_info["lead_id"], period)
    return json_reply({"lead": message_dict(lead)})


@routes.post("/api/v1/leads")
@accepts(body=("lead_id", "agent_id", "stage"))
async def create_lead(request: web.Request) -> web.Response:
    """The CRM (or a supervisor) reports a new lead."""
    body = await read_json(request)
    event_id = await leads.create_lead(
        user_of(request),
        request.app[BACKENDS],
        lead_id=text_field(body, "lead_id", limit=128),
        agent_id=text_field(body, "agent_id"),
        stage=text_field(body, "stage"),
    )
    return json_reply({"event_id": event_id}, 201)


@routes.post("/api/v1/leads/{lead_id}/assign")
@accepts(body=("agent_id",))
async def assign_lead(request: web.Request) -> web.Response:
    agent_id = text_field(await read_json(request), "agent_id")
    event_id = await leads.assign_lead(user_of(request), request.app[BACKENDS], request.match_info["lead_id"], agent_id)
    return json_reply({"event_id": event_id})


@routes.post("/api/v1/leads/{lead_id}/stage")
@accepts(body=("stage", "agent_id"))
async def change_lead_stage(request: web.Request) -> web.Response:
    body = await read_json(request)
    event_id = await leads.change_lead_stage(
        user_of(request),
        request.app[BACKENDS],
        request.match_info["lead_id"],
        stage=text_field(body, "stage"),
        agent_id=text_field(body, "agent_id"),
    )
    return json_reply({"event_id": event_id})
