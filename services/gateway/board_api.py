"""The live board (S0.1, S0.2, S3.1, S3.2, S3.6) and the event stream for browsers: agents by
state with time in state and online counts per team, queues with waiting calls, overdue calls
and at-risk leads. Current state comes from the router (the authority on it); the day's
figures from stats."""

from __future__ import annotations

import time

from aiohttp import web

from callcenter.common.v1 import states_pb2
from callcenter.router.v1 import router_pb2 as pb
from services.gateway import access
from services.gateway.agents_api import visible_agents
from services.gateway.live import LiveHub, stream
from services.gateway.web import BACKENDS, json_reply, user_of

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
    figures = await request.app[BOARD_FIGURES](request, [a.id for a in agents], [q.name for q in queues])
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
        }
    )


async def no_figures(request: web.Request, agent_ids: list[str], queues: list[str]) -> dict:
    return {"agents": {}, "queues": {}, "overdue": [], "leads_at_risk": []}


BOARD_FIGURES = web.AppKey("board_figures", object)


@routes.get("/api/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    return await stream(request, request.app[LIVE], user_of(request))
