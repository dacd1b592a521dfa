"""An agent's clients, whose personal manager they are (S1.6, S2.5): listing and moving them
to another agent, both within what the user may see."""

from __future__ import annotations

from callcenter.api.router.v1 import router_pb2 as pb

from ..backends import Backends
from ..users import User
from .actions import target
from .agents import get_agent


async def list_clients(user: User, backends: Backends, agent_id: str) -> list[pb.Client]:
    await get_agent(user, backends, agent_id)
    reply: pb.ListClientsResponse = await backends.router.ListClients(
        pb.ListClientsRequest(manager_id=agent_id), timeout=backends.timeout_s
    )
    return list(reply.clients)


async def reassign_clients(user: User, backends: Backends, agent_id: str, to_agent_id: str, numbers: list[str]) -> int:
    """Moves all (or the listed) clients of an agent to another; returns how many moved."""
    await target(user, backends, agent_id, "reassign_clients")
    if to_agent_id:
        await get_agent(user, backends, to_agent_id)  # the new manager must be visible to this user too
    reply: pb.ReassignClientsResponse = await backends.router.ReassignClients(
        pb.ReassignClientsRequest(from_agent_id=agent_id, to_agent_id=to_agent_id, numbers=numbers),
        timeout=backends.timeout_s,
    )
    return reply.clients_moved
