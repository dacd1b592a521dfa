"""Leads (S4), asked of stats and filtered by role: a lead is seen by whoever sees its agent,
and by whoever sees its client (the client's personal manager and their supervisors: clients.py);
only supervisors and admins report and change leads: leads whose current owner they see,
given to agents they see."""

from __future__ import annotations

import grpc

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .agents import visibility
from .clients import sees_client
from .errors import Conflict

# The lead filters by the names the API and the board use.
LEAD_FILTERS = {
    "": spb.LEAD_FILTER_UNSPECIFIED,
    "not_called": spb.LEAD_FILTER_NOT_CALLED,
    "improper_refusal": spb.LEAD_FILTER_IMPROPER_REFUSAL,
    "cadence_broken": spb.LEAD_FILTER_CADENCE_BROKEN,
}


async def list_leads(
    user: User, backends: Backends, filter_name: str, period: spb.Period, agent_id: str
) -> list[spb.Lead]:
    """The leads of a filter (a name of LEAD_FILTERS) in the period, of one agent or all."""
    if user.role == "agent":
        if agent_id and agent_id != user.agent_id:
            raise NotFound(f"agent {agent_id} does not exist")
        agent_id = user.agent_id
    reply: spb.ListLeadsResponse = await backends.stats.ListLeads(
        spb.ListLeadsRequest(filter=LEAD_FILTERS[filter_name], period=period, agent_id=agent_id),
        timeout=backends.timeout_s,
    )
    seen = visibility(user, backends)
    return [lead for lead in reply.leads if await seen.sees_agent(lead.agent_id)]


async def get_lead(user: User, backends: Backends, lead_id: str, period: spb.Period) -> spb.Lead:
    reply: spb.GetLeadResponse = await backends.stats.GetLead(
        spb.GetLeadRequest(lead_id=lead_id, period=period), timeout=backends.timeout_s
    )
    if not await sees_lead(user, backends, visibility(user, backends), reply.lead):
        raise NotFound(f"lead {lead_id} does not exist")
    return reply.lead


async def sees_lead(user: User, backends: Backends, seen: access.Visibility, lead: spb.Lead) -> bool:
    """A lead of an agent the user sees, or of a client whose history they see."""
    return await seen.sees_agent(lead.agent_id) or await sees_client(user, backends, seen, lead.client_number)


async def _current_owner(backends: Backends, lead_id: str) -> str | None:
    """The agent the lead belongs to now ("" for nobody's), None when stats knows no such lead."""
    try:
        reply: spb.GetLeadResponse = await backends.stats.GetLead(
            spb.GetLeadRequest(lead_id=lead_id), timeout=backends.timeout_s
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise
    return reply.lead.agent_id


async def _check_change(user: User, backends: Backends, lead_id: str, agent_id: str) -> None:
    """A change of an existing lead: by a supervisor or an admin, of a lead whose current
    owner they see (another team's lead is refused as not found, as it is to read), naming
    only agents they see. A lead stats does not know yet may be named: the change creates it."""
    access.require_role(user, "admin", "supervisor")
    seen = visibility(user, backends)
    owner = await _current_owner(backends, lead_id) if lead_id else None
    if owner is not None and not await seen.sees_agent(owner):
        raise NotFound(f"lead {lead_id} does not exist")
    await _check_agent(seen, agent_id)


async def _check_agent(seen: access.Visibility, agent_id: str) -> None:
    """The agent a lead is given to (or moved by): one the router knows and the user sees."""
    if agent_id and not (agent_id in await seen.agent_queues() and await seen.sees_agent(agent_id)):
        raise InvalidArgument("agent_id", f"agent {agent_id} does not exist")


async def create_lead(user: User, backends: Backends, lead_id: str, agent_id: str, stage: str) -> str:
    """The CRM (or a supervisor) reports a new lead; returns the event's id. An id stats
    already knows is refused (409 naming lead_id), whoever's lead it is: a creation would
    overwrite its stage, owner and creation time (the cadence's day 1)."""
    access.require_role(user, "admin", "supervisor")
    await _check_agent(visibility(user, backends), agent_id)
    if lead_id and await _current_owner(backends, lead_id) is not None:
        raise Conflict(
            "lead_id",
            f"lead {lead_id} already exists and a creation would overwrite it; change it with"
            f" POST /api/v1/leads/{lead_id}/assign or /stage",
        )
    reply: spb.CreateLeadResponse = await backends.stats.CreateLead(
        spb.CreateLeadRequest(lead_id=lead_id, agent_id=agent_id, stage=stage), timeout=backends.timeout_s
    )
    return reply.event_id


async def assign_lead(user: User, backends: Backends, lead_id: str, agent_id: str) -> str:
    await _check_change(user, backends, lead_id, agent_id)
    reply: spb.AssignLeadResponse = await backends.stats.AssignLead(
        spb.AssignLeadRequest(lead_id=lead_id, agent_id=agent_id), timeout=backends.timeout_s
    )
    return reply.event_id


async def change_lead_stage(user: User, backends: Backends, lead_id: str, stage: str, agent_id: str) -> str:
    await _check_change(user, backends, lead_id, agent_id)
    reply: spb.ChangeLeadStageResponse = await backends.stats.ChangeLeadStage(
        spb.ChangeLeadStageRequest(lead_id=lead_id, stage=stage, agent_id=agent_id), timeout=backends.timeout_s
    )
    return reply.event_id
