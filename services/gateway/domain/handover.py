"""Handovers (S1.6, handovers.py): a supervisor passes an absent agent's clients (the router's
personal-manager links), open leads (stats) and open tasks to a deputy, until a time or until
ended by hand; then what is still the deputy's goes back. The deputy reads the clients' whole
history at once (clients.py: whoever sees the personal manager sees the client).

Who: admins, and supervisors who see both agents (a hidden agent is a 404). The moves are made
on behalf of whoever started the handover, also when the gateway's timer hands back."""

from __future__ import annotations

from typing import Any

import grpc

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.audit import Actor, current_actor
from callcenter.core.errors import InvalidArgument, NotFound
from callcenter.core.lead_stages import OPEN_LEAD_STAGES

from ..backends import Backends
from ..handovers import Handover, HandoverStore
from ..tasks import TaskStore
from ..users import User
from . import access
from .actions import target
from .agents import get_agent
from .errors import Conflict

MAX_AHEAD_MS = 366 * 86_400_000  # a handover lasts at most a year


async def start_handover(
    user: User, backends: Backends, store: HandoverStore, agent_id: str, to_agent_id: str, until_ms: object
) -> Handover:
    """Passes the agent's clients, open leads and tasks to `to_agent_id`; `until_ms` (Redis
    ms, optional) when they come back by themselves."""
    access.require_role(user, "admin", "supervisor")
    await target(user, backends, agent_id, "handover")
    if not to_agent_id:
        raise InvalidArgument("to_agent_id", "is required")
    if to_agent_id == agent_id:
        raise InvalidArgument("to_agent_id", "must be another agent")
    try:
        await get_agent(user, backends, to_agent_id)
    except NotFound:
        raise InvalidArgument("to_agent_id", f"agent {to_agent_id} does not exist") from None
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            raise InvalidArgument("to_agent_id", f"agent {to_agent_id} does not exist") from None
        raise
    until = await _until(store, until_ms)
    if await store.in_force(agent_id) is not None:
        raise Conflict("agent_id", f"agent {agent_id} has a handover in force: end it first")
    clients = await _clients_of(backends, agent_id)
    leads = await _open_leads_of(backends, agent_id)
    tasks = [t.id for t in await store.tasks.for_agent(agent_id)]
    handover = await store.start(agent_id, to_agent_id, until, clients, leads, tasks, user.username)
    await _give(
        backends,
        store.tasks,
        agent_id,
        to_agent_id,
        handover.clients,
        list(handover.leads),
        list(handover.tasks),
        user.username,
    )
    return handover


async def handover_in_force(user: User, backends: Backends, store: HandoverStore, agent_id: str) -> Handover:
    await get_agent(user, backends, agent_id)
    return await _in_force(store, agent_id)


async def _in_force(store: HandoverStore, agent_id: str) -> Handover:
    handover = await store.in_force(agent_id)
    if handover is None:
        raise NotFound(f"agent {agent_id} has no handover in force")
    return handover


async def end_handover(user: User, backends: Backends, store: HandoverStore, agent_id: str) -> Handover:
    """Ends the agent's handover now (they are back early): what is the deputy's goes back."""
    access.require_role(user, "admin", "supervisor")
    await target(user, backends, agent_id, "handover")
    handover = await _in_force(store, agent_id)
    return await hand_back(backends, store, handover, user.username)


async def hand_back(backends: Backends, store: HandoverStore, handover: Handover, actor: str) -> Handover:
    """What of the handover is still the deputy's goes back to the absent agent; then it ends.
    Safe to repeat (a handback cut off midway is claimed again): only what the deputy still
    holds moves."""
    deputy, absent = handover.to_agent_id, handover.from_agent_id
    leads, task_ids = await _still_held(backends, store.tasks, deputy, handover)
    returned = await _give(backends, store.tasks, deputy, absent, handover.clients, leads, task_ids, actor)
    return await store.end(handover.id, returned, actor)


async def fire_due_handback(backends: Backends, store: HandoverStore) -> dict[str, Any]:
    """The gateway timer's step: hands back one handover whose end came (on behalf of whoever
    started it); answers the claim script's reply (its now and next end)."""
    handover, reply = await store.claim_due()
    if handover is not None:
        token = current_actor.set(Actor(handover.started_by or "gateway"))
        try:
            await hand_back(backends, store, handover, handover.started_by)
        finally:
            current_actor.reset(token)
    return reply


async def pass_on_work(
    backends: Backends, tasks: TaskStore, agent_id: str, to_agent_id: str, actor: str
) -> dict[str, int]:
    """Gives an agent's open leads and open tasks to another for good (an agent removed, S2.5:
    their clients the router moves itself); the counts moved."""
    leads = await _open_leads_of(backends, agent_id)
    task_ids = [t.id for t in await tasks.for_agent(agent_id)]
    moved = await _give(backends, tasks, agent_id, to_agent_id, (), leads, task_ids, actor)
    return {"leads": moved["leads"], "tasks": moved["tasks"]}


async def _until(store: HandoverStore, until_ms: object) -> int:
    if until_ms is None:
        return 0
    if not isinstance(until_ms, int) or isinstance(until_ms, bool):
        raise InvalidArgument("until_ms", "must be a time in ms (whole number)")
    now = await store.tasks.now_ms()
    if not now < until_ms <= now + MAX_AHEAD_MS:
        raise InvalidArgument("until_ms", "must be a time ahead of now, at most a year")
    return until_ms


async def _clients_of(backends: Backends, agent_id: str) -> list[str]:
    reply: pb.ListClientsResponse = await backends.router.ListClients(
        pb.ListClientsRequest(manager_id=agent_id), timeout=backends.timeout_s
    )
    return [c.number for c in reply.clients]


async def _open_leads_of(backends: Backends, agent_id: str) -> list[str]:
    reply: spb.ListLeadsResponse = await backends.stats.ListLeads(
        spb.ListLeadsRequest(agent_id=agent_id), timeout=backends.timeout_s
    )
    return [lead.lead_id for lead in reply.leads if lead.stage in OPEN_LEAD_STAGES]


async def _give(
    backends: Backends,
    tasks: TaskStore,
    holder: str,
    to: str,
    clients: tuple[str, ...],
    leads: list[str],
    task_ids: list[str],
    actor: str,
) -> dict[str, int]:
    """Gives `to` the clients of these that `holder` still manages (the router moves only
    those), and these leads and tasks, known to be `holder`'s open ones; the counts."""
    moved = {"clients": 0, "leads": len(leads), "tasks": len(task_ids)}
    if clients:
        reply: pb.ReassignClientsResponse = await backends.router.ReassignClients(
            pb.ReassignClientsRequest(from_agent_id=holder, to_agent_id=to, numbers=list(clients)),
            timeout=backends.timeout_s,
        )
        moved["clients"] = int(reply.clients_moved)
    for lead_id in leads:
        await backends.stats.AssignLead(spb.AssignLeadRequest(lead_id=lead_id, agent_id=to), timeout=backends.timeout_s)
    for task_id in task_ids:
        await tasks.reassign(task_id, to, "", actor)
    return moved


async def _still_held(
    backends: Backends, tasks: TaskStore, holder: str, handover: Handover
) -> tuple[list[str], list[str]]:
    """The handover's leads and tasks `holder` still has open: one ListLeads, one MGET."""
    open_leads = set(await _open_leads_of(backends, holder))
    leads = [lead_id for lead_id in handover.leads if lead_id in open_leads]
    held = await tasks.get_many(list(handover.tasks))
    return leads, [t.id for t in held if t.agent_id == holder and t.status != "done"]
