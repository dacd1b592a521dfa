"""A lead's pipeline history and the lead funnel (S1.9), asked of stats with the user's
visibility: a lead's history is seen by whoever sees the lead (its owner, or its client:
leads.py); a funnel covers only agents (or queues) the user sees - an agent's is their own, a
supervisor's their teams' - and per router team (group_by=team) the teams the user sees."""

from __future__ import annotations

import asyncio

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .agents import visibility
from .leads import sees_lead
from .teams import list_teams

#: How a funnel is grouped, by the names the API uses.
GROUPINGS = {
    "none": spb.LEAD_FUNNEL_GROUPING_UNSPECIFIED,
    "agent": spb.LEAD_FUNNEL_GROUPING_AGENT,
    "queue": spb.LEAD_FUNNEL_GROUPING_TEAM,
    "team": spb.LEAD_FUNNEL_GROUPING_UNSPECIFIED,  # per router team: composed here (team_funnel)
}
#: The most agents or queues one funnel request names (the stats service's own limit).
MAX_NAMES = 200


async def lead_history(user: User, backends: Backends, lead_id: str) -> spb.GetLeadHistoryResponse:
    lead: spb.GetLeadResponse = await backends.stats.GetLead(
        spb.GetLeadRequest(lead_id=lead_id), timeout=backends.timeout_s
    )
    if not await sees_lead(user, backends, visibility(user, backends), lead.lead):
        raise NotFound(f"lead {lead_id} does not exist")
    reply: spb.GetLeadHistoryResponse = await backends.stats.GetLeadHistory(
        spb.GetLeadHistoryRequest(lead_id=lead_id), timeout=backends.timeout_s
    )
    return reply


async def _scope(
    user: User, backends: Backends, agent_ids: list[str], queues: list[str]
) -> tuple[list[str], list[str]]:
    """The agents and queues a funnel may cover for this user (what they named, checked, or
    everything they see when they named nothing)."""
    if access.sees_all(user):
        return agent_ids, queues
    if user.role == "agent":
        if any(agent != user.agent_id for agent in agent_ids) or queues:
            raise NotFound("an agent's funnel is their own")
        return [user.agent_id], []
    seen = visibility(user, backends)
    for agent in agent_ids:
        if not await seen.sees_agent(agent):
            raise NotFound(f"agent {agent} does not exist")
    for queue in queues:
        if not access.sees_queue(user, queue):
            raise NotFound(f"queue {queue} does not exist")
    if agent_ids or queues:
        return agent_ids, queues
    mine = sorted([agent for agent in await seen.agent_queues() if await seen.sees_agent(agent)])
    if len(mine) > MAX_NAMES:
        raise InvalidArgument("agent_id", f"name at most {MAX_NAMES} agents: your teams have {len(mine)}")
    return mine or [""], []


async def lead_funnel(
    user: User, backends: Backends, period: spb.Period, group_by: str, agent_ids: list[str], queues: list[str]
) -> spb.GetLeadFunnelResponse:
    """The funnel of the period grouped by `group_by` (a GROUPINGS name)."""
    if group_by == "team":
        return await team_funnel(user, backends, period, agent_ids, queues)
    agent_ids, queues = await _scope(user, backends, agent_ids, queues)
    if group_by == "queue" and not queues and not access.sees_all(user):
        queues = sorted(user.teams)
        agent_ids = []
    if agent_ids == [""]:  # a supervisor whose teams have no agents yet
        return spb.GetLeadFunnelResponse()
    reply: spb.GetLeadFunnelResponse = await backends.stats.GetLeadFunnel(
        spb.GetLeadFunnelRequest(period=period, agent_ids=agent_ids, queues=queues, group_by=GROUPINGS[group_by]),
        timeout=backends.timeout_s,
    )
    return reply


async def team_funnel(
    user: User, backends: Backends, period: spb.Period, agent_ids: list[str], queues: list[str]
) -> spb.GetLeadFunnelResponse:
    """The funnel per router team the user sees (admins: every team; a supervisor: theirs):
    one group per team, each stats' total over the team's members (so conversion is computed
    once, by stats); the total over every member of those teams."""
    if agent_ids or queues:
        raise InvalidArgument("group_by", "team takes no agent_id or queue (it groups by every team you see)")
    teams = [t for t in await list_teams(user, backends) if t.member_agent_ids]
    if len(teams) > MAX_NAMES:
        raise InvalidArgument("group_by", f"at most {MAX_NAMES} teams: there are {len(teams)}")

    async def funnel_of(members: list[str]) -> spb.GetLeadFunnelResponse:
        reply: spb.GetLeadFunnelResponse = await backends.stats.GetLeadFunnel(
            spb.GetLeadFunnelRequest(period=period, agent_ids=members), timeout=backends.timeout_s
        )
        return reply

    everyone = sorted({a for t in teams for a in t.member_agent_ids})
    if not everyone:
        return spb.GetLeadFunnelResponse()
    if len(everyone) > MAX_NAMES:
        raise InvalidArgument("group_by", f"the teams have {len(everyone)} agents: at most {MAX_NAMES} in one funnel")
    total, *per_team = await asyncio.gather(funnel_of(everyone), *(funnel_of(list(t.member_agent_ids)) for t in teams))
    out = spb.GetLeadFunnelResponse(total=total.total, range=total.range)
    for team, reply in zip(teams, per_team, strict=True):
        group = out.groups.add()
        group.CopyFrom(reply.total)
        group.team_id = team.team_id
    return out
