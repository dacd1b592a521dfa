"""The live board (S0.1, S0.2, S3.1, S3.2, S3.6): agents by state with time in state and online
counts per team, queues with waiting calls, and today's figures (day_figures.py). Current
state comes from the router, the authority on it."""

from __future__ import annotations

import time
from typing import Any

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb

from ..backends import Backends
from ..users import User
from . import access, alerts, conversation_control
from .agents import visible_agents
from .day_figures import FIGURES_TTL_S, FiguresCache
from .thresholds import ThresholdStore

OFFLINE = (states_pb2.AGENT_STATE_UNSPECIFIED, states_pb2.AGENT_STATE_LOGGED_OUT)
# A queue's agents by what they are doing (the router's states, "ringing" for reserved).
ACTIVITIES = {
    states_pb2.AGENT_STATE_AVAILABLE: "available",
    states_pb2.AGENT_STATE_ON_CALL: "on_call",
    states_pb2.AGENT_STATE_WRAP_UP: "wrap_up",
    states_pb2.AGENT_STATE_PAUSED: "paused",
    states_pb2.AGENT_STATE_RESERVED: "ringing",
}


def activity(agents: list[pb.Agent], queue: str) -> dict[str, int]:
    """How many of the agents serving the queue are available, on a call, in wrap-up, paused, ringing."""
    counts = dict.fromkeys(ACTIVITIES.values(), 0)
    for a in agents:
        if a.status.state in ACTIVITIES and queue in (a.status.queues or a.queues):
            counts[ACTIVITIES[a.status.state]] += 1
    return counts


def _ms(ts: Any) -> int | None:
    """A Timestamp in ms since the epoch; None when unset."""
    return int(ts.ToMilliseconds()) if ts.seconds or ts.nanos else None


async def board(
    user: User, backends: Backends, figures: FiguresCache, tz: str, thresholds: ThresholdStore | None = None
) -> dict[str, Any]:
    """The board as the user may see it, with today's figures in the time zone tz (and, given
    the thresholds, its alerts: alerts.py)."""
    agents = await visible_agents(user, backends)
    queue_reply: pb.ListQueuesResponse = await backends.router.ListQueues(
        pb.ListQueuesRequest(), timeout=backends.timeout_s
    )
    if user.role == "agent":
        mine = {q for a in agents for q in a.queues}
        queues = [q for q in queue_reply.queues if q.name in mine]
    else:
        queues = [q for q in queue_reply.queues if access.sees_queue(user, q.name)]
    online = [a for a in agents if a.status.state not in OFFLINE]
    by_queue = {q.name: sum(1 for a in online if q.name in a.status.queues) for q in queues}
    day = await figures.day_figures(user, backends, [a.id for a in agents], [q.name for q in queues], tz)
    now_ms = int(time.time() * 1000)
    result = {
        "generated_at_ms": now_ms,
        "figures_at_ms": day.get("fetched_at_ms", now_ms),  # figures are shared a while (day_figures.py)
        "figures_ttl_ms": int(FIGURES_TTL_S * 1000),
        "online": {"total": len(online), "by_queue": by_queue},
        "agents": [
            {
                "id": a.id,
                "name": a.name,
                "state": states_pb2.AgentState.Name(a.status.state),
                "since_ms": _ms(a.status.state_since),
                "pause_reason": a.status.pause_reason,
                "pending_pause_reason": a.status.pending_pause_reason,
                "call_id": a.status.call_id,
                "queues": list(a.status.queues or a.queues),
                "wrap_up_ends_ms": _ms(a.status.wrap_up_ends_at),
                **day["agents"].get(a.id, {}),
            }
            for a in agents
        ],
        "queues": [
            {
                "name": q.name,
                "waiting": q.counts.waiting,
                "oldest_waiting_since_ms": _ms(q.counts.oldest_waiting_since),
                "available_agents": q.counts.available_agents,
                "agents": activity(agents, q.name),
                **day["queues"].get(q.name, {}),
            }
            for q in queues
        ],
        "overdue": day["overdue"],
        "leads_at_risk": day["leads_at_risk"],
        "stats_unavailable": day.get("stats_unavailable", False),
        "conversations": await conversation_control.dashboard_tile(user, backends, [q.name for q in queues], tz),
    }
    if thresholds is not None:
        await alerts.apply(user, thresholds, result, now_ms)
    return result
