"""Figures, call records and leads for supervisors, asked of the stats service and filtered
by role (S0.1, S0.2, S1.1, S1.4, S3.1-S3.6, S4.1-S4.6)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from aiohttp import web
from google.protobuf import duration_pb2

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.services.gateway import access
from callcenter.services.gateway.agents_api import visible_agents
from callcenter.services.gateway.query import datetime_param, page_size, seconds_param, time_zone, timestamp_param
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    ApiError,
    check_call_id,
    json_reply,
    last_segment,
    message_dict,
    read_json,
    text_field,
    user_of,
    visibility,
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
LEAD_FILTERS = {
    "": spb.LEAD_FILTER_UNSPECIFIED,
    "not_called": spb.LEAD_FILTER_NOT_CALLED,
    "improper_refusal": spb.LEAD_FILTER_IMPROPER_REFUSAL,
    "cadence_broken": spb.LEAD_FILTER_CADENCE_BROKEN,
}


def stats(request: web.Request) -> stats_pb2_grpc.StatsServiceStub:
    return stats_pb2_grpc.StatsServiceStub(request.app[BACKENDS].stats_channel)


def timeout(request: web.Request) -> float:
    return request.app[BACKENDS].timeout_s


def _ms(value) -> int | None:
    return value.ToMilliseconds() if value.ByteSize() else None


def today(tz: str) -> str:
    return dt.datetime.now(zoneinfo.ZoneInfo(tz)).date().isoformat()


def period_from_query(query) -> spb.Period:
    """?period=day&day=YYYY-MM-DD (default: today) | hour&hour=ISO | range&from=&to=; ?tz=."""
    tz = time_zone(query)
    kind = query.get("period", "day")
    period = spb.Period(time_zone=tz)
    if kind == "day":
        day = query.get("day", "") or today(tz)
        try:
            dt.date.fromisoformat(day)
        except ValueError as exc:
            raise ApiError(400, f"day: {day!r} is not YYYY-MM-DD", "day") from exc
        period.day = day
    elif kind == "hour":
        hour = datetime_param(query, "hour")
        if hour is None:
            raise ApiError(400, "hour: is required for period=hour", "hour")
        period.hour.FromDatetime(hour.astimezone(dt.UTC))
    elif kind == "range":
        start, end = timestamp_param(query, "from"), timestamp_param(query, "to")
        if start is None or end is None:
            raise ApiError(400, "from: and to: are required for period=range", "from")
        period.range.start.CopyFrom(start)
        period.range.end.CopyFrom(end)
    else:
        raise ApiError(400, "period: must be day, hour or range", "period")
    return period


async def visible_agent_ids(request: web.Request) -> dict[str, list[str]]:
    return {a.id: list(a.queues) for a in await visible_agents(request)}


# Agent and queue figures ----------------------------------------------------------------------


@routes.get("/api/v1/stats/agents")
async def agent_stats(request: web.Request) -> web.Response:
    """Per-agent KPIs over a period, for the agents the user may see (?agent_id= for one)."""
    visible = await visible_agent_ids(request)
    wanted = request.query.get("agent_id", "")
    if wanted and wanted not in visible:
        raise access.Hidden(f"agent {wanted} does not exist")
    ids = [wanted] if wanted else sorted(visible)
    reply = await stats(request).GetAgentStats(
        spb.GetAgentStatsRequest(period=period_from_query(request.query), agent_ids=ids), timeout=timeout(request)
    )
    return json_reply(message_dict(reply))


@routes.get("/api/v1/stats/queues")
async def queue_stats(request: web.Request) -> web.Response:
    """Per-queue KPIs over a period (service level with ?service_level_s=)."""
    user = user_of(request)
    if user.role == "agent":
        raise access.Forbidden("queue figures are for supervisors")
    wanted = request.query.get("queue", "")
    if wanted and not access.sees_queue(user, wanted):
        raise access.Hidden(f"queue {wanted} does not exist")
    req = spb.GetQueueStatsRequest(period=period_from_query(request.query))
    if wanted:
        req.queues.append(wanted)
    elif not access.sees_all(user):
        req.queues.extend(user.teams)
    threshold = seconds_param(request.query, "service_level_s")
    if threshold is not None:
        req.service_level_threshold.FromMilliseconds(round(threshold * 1000))
    reply = await stats(request).GetQueueStats(req, timeout=timeout(request))
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


def sees_record(user, record: spb.CallRecord) -> bool:
    agents = [o.agent_id for o in record.offers] + [record.agent_id]
    queues = {record.queue, record.final_queue} - {""}
    if user.role == "agent":
        return access.sees_call(user, record.queue, agents)
    return access.sees_all(user) or any(access.sees_queue(user, q) for q in queues)


@routes.get("/api/v1/calls")
async def list_calls(request: web.Request) -> web.Response:
    user = user_of(request)
    q = request.query
    req = spb.ListCallRecordsRequest(
        agent_id=q.get("agent_id", ""),
        queue=q.get("queue", ""),
        caller=q.get("caller", ""),
        page_size=page_size(q),
        page_token=q.get("page_token", ""),
    )
    if user.role == "agent":
        if req.agent_id and req.agent_id != user.agent_id:
            raise access.Hidden(f"agent {req.agent_id} does not exist")
        req.agent_id = user.agent_id
    elif req.queue and not access.sees_queue(user, req.queue):
        raise access.Hidden(f"queue {req.queue} does not exist")
    elif not req.queue and user.role == "supervisor" and len(user.teams) == 1:
        req.queue = user.teams[0]
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
    if q.get("call_id"):
        reply = await stats(request).GetCallRecord(
            spb.GetCallRecordRequest(call_id=check_call_id(q["call_id"])), timeout=timeout(request)
        )
        records, token = [reply.record], ""
    else:
        reply = await stats(request).ListCallRecords(req, timeout=timeout(request))
        records, token = list(reply.records), reply.next_page_token
    return json_reply({"calls": [call_summary(r) for r in records if sees_record(user, r)], "next_page_token": token})


@routes.get("/api/v1/calls/{call_id:" + ANY_SEGMENT + "}")
async def get_call(request: web.Request) -> web.Response:
    """One call record; the id percent-encoded as one path segment ("/" as %2F). The ids "."
    and ".." cannot be a path segment (clients drop them as dot segments): ?call_id= on
    /api/v1/calls takes any id."""
    call_id = check_call_id(last_segment(request, "call_id"))
    reply = await stats(request).GetCallRecord(spb.GetCallRecordRequest(call_id=call_id), timeout=timeout(request))
    if not sees_record(user_of(request), reply.record):
        raise access.Hidden(f"call {call_id} does not exist")
    return json_reply({"call": call_summary(reply.record), "record": message_dict(reply.record)})


def _duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(round(seconds * 1000))
    return d


# Leads (S4) -----------------------------------------------------------------------------------


async def sees_lead(request: web.Request, lead: spb.Lead) -> bool:
    return await visibility(request).sees_agent(lead.agent_id)


@routes.get("/api/v1/leads")
async def list_leads(request: web.Request) -> web.Response:
    """?filter=not_called|improper_refusal|cadence_broken, ?agent_id=, ?day= and ?tz=."""
    user = user_of(request)
    q = request.query
    name = q.get("filter", "")
    if name not in LEAD_FILTERS:
        raise ApiError(400, f"filter: must be one of {', '.join(f for f in LEAD_FILTERS if f)}", "filter")
    agent_id = q.get("agent_id", "")
    if user.role == "agent":
        if agent_id and agent_id != user.agent_id:
            raise access.Hidden(f"agent {agent_id} does not exist")
        agent_id = user.agent_id
    reply = await stats(request).ListLeads(
        spb.ListLeadsRequest(filter=LEAD_FILTERS[name], period=period_from_query(q), agent_id=agent_id),
        timeout=timeout(request),
    )
    leads = [lead for lead in reply.leads if await sees_lead(request, lead)]
    return json_reply({"leads": [message_dict(lead) for lead in leads]})


@routes.get("/api/v1/leads/{lead_id}")
async def get_lead(request: web.Request) -> web.Response:
    lead_id = request.match_info["lead_id"]
    reply = await stats(request).GetLead(
        spb.GetLeadRequest(lead_id=lead_id, period=period_from_query(request.query)), timeout=timeout(request)
    )
    if not await sees_lead(request, reply.lead):
        raise access.Hidden(f"lead {lead_id} does not exist")
    return json_reply({"lead": message_dict(reply.lead)})


async def _lead_change(request: web.Request) -> tuple[dict, str]:
    access.require_role(user_of(request), "admin", "supervisor")
    body = await read_json(request)
    agent_id = text_field(body, "agent_id")
    if agent_id and agent_id not in await visible_agent_ids(request):
        raise ApiError(400, f"agent_id: agent {agent_id} does not exist", "agent_id")
    return body, agent_id


@routes.post("/api/v1/leads")
async def create_lead(request: web.Request) -> web.Response:
    """The CRM (or a supervisor) reports a new lead."""
    body, agent_id = await _lead_change(request)
    reply = await stats(request).CreateLead(
        spb.CreateLeadRequest(
            lead_id=text_field(body, "lead_id", limit=128), agent_id=agent_id, stage=text_field(body, "stage")
        ),
        timeout=timeout(request),
    )
    return json_reply({"event_id": reply.event_id}, 201)


@routes.post("/api/v1/leads/{lead_id}/assign")
async def assign_lead(request: web.Request) -> web.Response:
    _, agent_id = await _lead_change(request)
    reply = await stats(request).AssignLead(
        spb.AssignLeadRequest(lead_id=request.match_info["lead_id"], agent_id=agent_id), timeout=timeout(request)
    )
    return json_reply({"event_id": reply.event_id})


@routes.post("/api/v1/leads/{lead_id}/stage")
async def change_lead_stage(request: web.Request) -> web.Response:
    body, agent_id = await _lead_change(request)
    reply = await stats(request).ChangeLeadStage(
        spb.ChangeLeadStageRequest(
            lead_id=request.match_info["lead_id"], stage=text_field(body, "stage"), agent_id=agent_id
        ),
        timeout=timeout(request),
    )
    return json_reply({"event_id": reply.event_id})
