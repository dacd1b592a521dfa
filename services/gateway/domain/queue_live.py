"""One queue's live calls for the supervisor's queue page (S3.4): the calls waiting in it (by
position, with VIP priority), its calls ringing an agent or connected (with the agent's name),
its agents with their states, and what the page's controls may pick from (the available agents
and the other queues of the user's teams). All of it is the router's current state.

Supervisors see only their teams' queues (another queue is NotFound: not revealed), admins
every queue; agents never (PermissionDenied: the page is for live call control, which is not
theirs). An agent of another team on one of the queue's calls (an admin moved it there) is
shown without id or name."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import ids
from callcenter.core.errors import NotFound

from ..backends import Backends
from ..users import User
from . import access

#: The most waiting calls (and, apart, ringing or connected ones) the page lists.
PAGE = 200


def _ms(ts: Any) -> int | None:
    """A Timestamp in ms since the epoch; None when unset."""
    return int(ts.ToMilliseconds()) if ts.seconds or ts.nanos else None


def _waiting(call: pb.Call) -> dict[str, Any]:
    wait = call.estimated_wait.ToMilliseconds() if call.HasField("estimated_wait") else None
    return {
        "call_id": call.call_id,
        "caller": call.caller,
        "waiting_since_ms": _ms(call.received_at),
        "position": call.queue_position,
        "priority": call.priority,
        "vip": call.priority > 0,
        "estimated_wait_ms": wait,
    }


def _active(call: pb.Call, names: dict[str, str]) -> dict[str, Any]:
    ringing = call.state == states_pb2.CALL_STATE_RINGING
    agent_id = call.offer.agent_id if ringing else call.agent_id
    if ringing:
        offered_ms = _ms(call.offer.expires_at)
        since = offered_ms - call.offer.ring_timeout.ToMilliseconds() if offered_ms else None
    else:
        since = _ms(call.answered_at)
    shown = agent_id in names
    return {
        "call_id": call.call_id,
        "caller": call.caller,
        "state": "ringing" if ringing else "connected",
        "agent_id": agent_id if shown else "",
        "agent_name": names.get(agent_id, ""),
        "since_ms": since,
        "priority": call.priority,
        "vip": call.priority > 0,
    }


def _agent(agent: pb.Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name or agent.id,
        "state": states_pb2.AgentState.Name(agent.status.state),
        "since_ms": _ms(agent.status.state_since),
        "pause_reason": agent.status.pause_reason,
        "pending_pause_reason": agent.status.pending_pause_reason,
        "call_id": agent.status.call_id,
    }


async def queue_live(user: User, backends: Backends, queue: str) -> dict[str, Any]:
    """The queue's live calls and agents as the user may see them."""
    ids.check_name(queue, "queue")
    access.require_role(user, "supervisor", "admin")
    if not access.sees_queue(user, queue):
        raise NotFound(f"queue {queue} does not exist")
    timeout = backends.timeout_s
    calls_reply, agents_reply, queues_reply = await asyncio.gather(
        backends.router.ListQueueCalls(pb.ListQueueCallsRequest(queue=queue, page_size=PAGE), timeout=timeout),
        backends.router.ListAgents(pb.ListAgentsRequest(), timeout=timeout),
        backends.router.ListQueues(pb.ListQueuesRequest(), timeout=timeout),
    )
    calls: pb.ListQueueCallsResponse = calls_reply
    visible = [a for a in agents_reply.agents if access.sees_agent(user, a.id, a.queues)]
    names = {a.id: a.name or a.id for a in visible}
    serving = [a for a in visible if queue in a.queues or queue in a.status.queues]
    counts = next((q.counts for q in queues_reply.queues if q.name == queue), pb.QueueCounts())
    return {
        "generated_at_ms": int(time.time() * 1000),
        "queue": {
            "name": queue,
            "waiting": counts.waiting,
            "available_agents": counts.available_agents,
            "oldest_waiting_since_ms": _ms(counts.oldest_waiting_since),
        },
        "waiting": [_waiting(c) for c in calls.waiting_calls],
        "waiting_total": calls.waiting_total,
        "active": [_active(c, names) for c in calls.active_calls],
        "active_total": calls.active_total,
        "agents": [_agent(a) for a in sorted(serving, key=lambda a: (a.name or a.id).lower())],
        "targets": {
            "agents": [
                {"id": a.id, "name": a.name or a.id}
                for a in sorted(visible, key=lambda a: (a.name or a.id).lower())
                if a.status.state == states_pb2.AGENT_STATE_AVAILABLE
            ],
            "queues": sorted(
                q.name for q in queues_reply.queues if q.name != queue and access.sees_queue(user, q.name)
            ),
        },
        "own_agent_id": user.agent_id,
    }
