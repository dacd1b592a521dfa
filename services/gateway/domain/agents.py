"""Agents and queues as the router knows them, as far as a user may see them (S0.1, S3.1)."""

from __future__ import annotations

import functools

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.errors import NotFound

from ..backends import Backends
from ..users import User
from . import access


async def agent_queues(backends: Backends) -> dict[str, list[str]]:
    """Every agent's configured queues: what the role rules go by."""
    reply: pb.ListAgentsResponse = await backends.router.ListAgents(pb.ListAgentsRequest(), timeout=backends.timeout_s)
    return {a.id: list(a.queues) for a in reply.agents}


async def served_queues(backends: Backends) -> dict[str, set[str]]:
    """Every agent's queues, configured or of their current login: what the live feed filters by."""
    reply: pb.ListAgentsResponse = await backends.router.ListAgents(pb.ListAgentsRequest(), timeout=backends.timeout_s)
    return {a.id: set(a.queues) | set(a.status.queues) for a in reply.agents}


def visibility(user: User, backends: Backends) -> access.Visibility:
    """What the user may see, the agents' queues read once (at the first agent asked about)."""
    return access.Visibility(user, functools.partial(agent_queues, backends))


async def get_agent(user: User, backends: Backends, agent_id: str) -> pb.Agent:
    """The agent, if this user may see them (NotFound otherwise, whether they exist or not)."""
    reply: pb.GetAgentResponse = await backends.router.GetAgent(
        pb.GetAgentRequest(agent_id=agent_id), timeout=backends.timeout_s
    )
    if not access.sees_agent(user, reply.agent.id, reply.agent.queues):
        raise NotFound(f"agent {agent_id} does not exist")
    return reply.agent


async def visible_agents(user: User, backends: Backends) -> list[pb.Agent]:
    reply: pb.ListAgentsResponse = await backends.router.ListAgents(pb.ListAgentsRequest(), timeout=backends.timeout_s)
    return [a for a in reply.agents if access.sees_agent(user, a.id, a.queues)]


async def visible_queues(user: User, backends: Backends) -> list[pb.Queue]:
    """The queues a supervisor supervises (all for admins); an agent's own queues."""
    reply: pb.ListQueuesResponse = await backends.router.ListQueues(pb.ListQueuesRequest(), timeout=backends.timeout_s)
    if user.role == "agent":
        own = await get_agent(user, backends, user.agent_id) if user.agent_id else None
        names = set(own.queues) if own else set()
        return [q for q in reply.queues if q.name in names]
    return [q for q in reply.queues if access.sees_queue(user, q.name)]
