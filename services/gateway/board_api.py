"""The live board (S0.1, S0.2, S3.1, S3.2, S3.6) and the event stream for browsers: agents by
state with time in state and online counts per team, queues with waiting calls, overdue calls
and at-risk leads. Current state comes from the router (the authority on it); the day's
figures from stats."""

from __future__ import annotations

import time

import grpc
import structlog
from aiohttp import web

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.services.gateway import access, stats_api
from callcenter.services.gateway.agents_api import visible_agents
from callcenter.services.gateway.live import LiveHub, stream
from callcenter.services.gateway.query import time_zone
from callcenter.services.gateway.web import BACKENDS, TOKEN, current_user, json_reply, user_of

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()
LIVE = web.AppKey("live", LiveHub)


def _ms(ts) -> int | None:
    return ts.ToMilliseconds() if ts.seconds or ts.nanos else None


@routes.get("/api/v1/board")
async def board(request: web.Request) -> web.Response:
    user = user_of(request)
    backends = request.app[BACKENDS]
    agents = await visible_agents(request)
    queue_reply = await backends.router.ListQueues(pb.ListQueuesRequest(), timeout=backends.timeout_s)
    if user.role == "agent":
        mine = {q for a in agents for q in a.queues}
        queues = [q for q in queue_reply.queues if q.name in mine]
    else:
        queues = [q for q in queue_reply.queues if access.sees_queue(user, q.name)]
    offline = (states_pb2.AGENT_STATE_UNSPECIFIED, states_pb2.AGENT_STATE_LOGGED_OUT)
    online = [a for a in agents if a.status.state not in offline]
    by_queue = {q.name: sum(1 for a in online if q.name in a.status.queues) for q in queues}
    figures = await cached_day_figures(request, [a.id for a in agents], [q.name for q in queues])
    return json_reply(
        {
            "generated_at_ms": int(time.time() * 1000),
            "online": {"total": len(online), "by_queue": by_queue},
            "agents": [
                {
                    "id": a.id,
                    "name": a.name,
                    "state": states_pb2.AgentState.Name(a.status.state),
                    "since_ms": _ms(a.status.state_since),
                    "pause_reason": a.status.pause_reason,
                    "call_id": a.status.call_id,
                    "queues": list(a.status.queues or a.queues),
                    "wrap_up_ends_ms": _ms(a.status.wrap_up_ends_at),
                    **figures["agents"].get(a.id, {}),
                }
                for a in agents
            ],
            "queues": [
                {
                    "name": q.name,
                    "waiting": q.counts.waiting,
                    "oldest_waiting_since_ms": _ms(q.counts.oldest_waiting_since),
                    "available_agents": q.counts.available_agents,
                    **figures["queues"].get(q.name, {}),
                }
                for q in queues
            ],
            "overdue": figures["overdue"],
            "leads_at_risk": figures["leads_at_risk"],
            "stats_unavailable": figures.get("stats_unavailable", False),
        }
    )


FIGURES_TTL_S = 1.0
FIGURES_CACHE = web.AppKey("figures_cache", dict)


async def cached_day_figures(request: web.Request, agent_ids: list[str], queues: list[str]) -> dict:
    """day_figures, shared for a second by every browser with the same view: however many
    dashboards are open, each view asks stats at most once a second."""
    user = user_of(request)
    key = (user.role, user.agent_id, tuple(agent_ids), tuple(queues), time_zone(request.query))
    cache = request.app[FIGURES_CACHE]
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < FIGURES_TTL_S:
        return hit[1]
    figures = await day_figures(request, agent_ids, queues)
    if len(cache) > 1000:
        cache.clear()
    cache[key] = (now, figures)
    return figures


async def day_figures(request: web.Request, agent_ids: list[str], queues: list[str]) -> dict:
    """Today's figures (in ?tz=) from stats: answered and missed per agent, answered,
    abandoned and service level per queue, overdue calls and leads at risk. The board still
    shows the router's live state when stats is down (`stats_unavailable`)."""
    user = user_of(request)
    tz = time_zone(request.query)
    period = spb.Period(time_zone=tz, day=stats_api.today(tz))
    stub, deadline = stats_api.stats(request), stats_api.timeout(request)
    figures: dict = {"agents": {}, "queues": {}, "overdue": [], "leads_at_risk": []}
    try:
        if agent_ids:
            reply = await stub.GetAgentStats(
                spb.GetAgentStatsRequest(period=period, agent_ids=agent_ids), timeout=deadline
            )
            for a in reply.agents:
                figures["agents"][a.agent_id] = {
                    "answered_today": a.answered,
                    "missed_today": a.missed,
                    "talk_today_ms": a.talk_time.ToMilliseconds(),
                }
        if queues and user.role != "agent":
            reply = await stub.GetQueueStats(spb.GetQueueStatsRequest(period=period, queues=queues), timeout=deadline)
            for q in reply.queues:
                figures["queues"][q.queue] = {
                    "answered_today": q.answered,
                    "abandoned_today": q.abandoned,
                    "service_level": q.service_level_percent / 100 if q.offered else None,
                }
        board = await stub.GetBoard(spb.GetBoardRequest(), timeout=deadline)
        visible_queues = set(queues)
        figures["overdue"] = [
            {
                "call_id": c.call_id,
                "queue": c.queue,
                "state": states_pb2.CallState.Name(c.state),
                "since_ms": c.received_at.ToMilliseconds(),
                "agent_id": c.agent_id,
            }
            for c in board.overdue
            if (c.agent_id == user.agent_id if user.role == "agent" else c.queue in visible_queues)
        ]
        visible_agents_set = set(agent_ids)
        for name in ("cadence_broken", "improper_refusal", "not_called"):
            reply = await stub.ListLeads(
                spb.ListLeadsRequest(
                    filter=stats_api.LEAD_FILTERS[name],
                    period=period,
                    agent_id=user.agent_id if user.role == "agent" else "",
                ),
                timeout=deadline,
            )
            figures["leads_at_risk"] += [
                {"lead_id": lead.lead_id, "agent_id": lead.agent_id, "reason": name}
                for lead in reply.leads
                if access.sees_all(user) or lead.agent_id in visible_agents_set
            ]
    except grpc.aio.AioRpcError as exc:
        log.warning("board.stats_unavailable", code=exc.code().name, details=exc.details())
        figures["stats_unavailable"] = True
    return figures


@routes.get("/api/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    user, token = user_of(request), request[TOKEN]

    async def still_valid() -> bool:
        current, _ = await current_user(request.app, token)
        return current is not None and current.uid == user.uid

    return await stream(request, request.app[LIVE], user, still_valid)
