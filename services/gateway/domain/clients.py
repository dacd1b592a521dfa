"""An agent's clients, whose personal manager they are (S1.6, S2.5): listing and moving them
to another agent, both within what the user may see; and who sees a client's history."""

from __future__ import annotations

import grpc

from callcenter.api.router.v1 import router_pb2 as pb

from ..backends import Backends, unless_unknown
from ..users import User
from . import access
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


async def find_client(backends: Backends, number: str) -> pb.Client | None:
    """The router's client of this number, None when the router knows no such client (or the
    number is a caller's the router would not take as a client's)."""
    reply: pb.GetClientResponse | None = await unless_unknown(
        backends.router.GetClient(pb.GetClientRequest(number=number), timeout=backends.timeout_s),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    return reply.client if reply is not None else None


async def sees_client(user: User, backends: Backends, seen: access.Visibility, number: str) -> bool:
    """Whoever sees a client's personal manager sees the client's whole history (S1.5, S1.6):
    calls whoever took them, leads whoever owns them, recordings, tasks and comments. So a
    client moved to another manager (ReassignClients, a handover) is the new manager's to
    read at once, and no longer the old one's. Admins see every client."""
    if access.sees_all(user):
        return True
    return bool(number) and (await client_seen(user, backends, seen, number))[1]


async def client_seen(
    user: User, backends: Backends, seen: access.Visibility, number: str
) -> tuple[pb.Client | None, bool]:
    """The router's client of this number (None: none) and whether the user sees it (sees_client)."""
    client = await find_client(backends, number)
    manager = client.manager_id if client is not None else ""
    return client, access.sees_all(user) or (bool(manager) and await seen.sees_agent(manager))
