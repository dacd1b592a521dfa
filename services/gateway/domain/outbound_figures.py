"""Outbound figures (stats' GetOutboundStats) per queue, campaign and agent, for what the user
may see: an agent their own agent's; a supervisor their queues, those queues' campaigns and
the agents they see; an admin everything. Stats answers every one known for an empty filter,
so the reply is cut to what the user sees as well."""

from __future__ import annotations

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import ids
from callcenter.core.errors import NotFound

from ..backends import Backends
from ..users import User
from . import access
from .agents import visible_agents
from .campaigns import list_campaigns
from .outbound import ROLES


async def outbound_stats(
    user: User, backends: Backends, period: spb.Period, queue: str = "", campaign_id: str = "", agent_id: str = ""
) -> spb.GetOutboundStatsResponse:
    access.require_role(user, *ROLES)
    for value, field in ((queue, "queue"), (campaign_id, "campaign_id"), (agent_id, "agent_id")):
        if value:
            ids.check_name(value, field)
    if user.role == "agent":
        if (agent_id and agent_id != user.agent_id) or queue or campaign_id:
            raise NotFound("outbound figures of others are for supervisors")
        queues: set[str] | None = set()
        campaigns: set[str] | None = set()
        agents: set[str] | None = {user.agent_id} if user.agent_id else set()
    elif access.sees_all(user):
        queues = campaigns = agents = None  # everything
    else:
        queues = set(user.teams)
        campaigns = {c.campaign_id for c in await list_campaigns(user, backends)}
        agents = {a.id for a in await visible_agents(user, backends)}
    named = ((queue, queues, "queue"), (campaign_id, campaigns, "campaign"), (agent_id, agents, "agent"))
    for wanted, seen, what in named:
        if wanted and seen is not None and wanted not in seen:
            raise NotFound(f"{what} {wanted} does not exist")
    req = spb.GetOutboundStatsRequest(period=period)
    for wanted, seen, target in (
        (queue, queues, req.queues),
        (campaign_id, campaigns, req.campaign_ids),
        (agent_id, agents, req.agent_ids),
    ):
        if wanted:
            target.append(wanted)
        elif seen:
            target.extend(sorted(seen)[:1000])
    reply: spb.GetOutboundStatsResponse = await backends.stats.GetOutboundStats(req, timeout=backends.timeout_s)
    out = spb.GetOutboundStatsResponse()
    out.CopyFrom(reply)
    for field, (wanted, seen, _) in zip(("queues", "campaigns", "agents"), named, strict=True):
        entries = [e for e in getattr(reply, field) if (seen is None or e.id in seen) and wanted in ("", e.id)]
        out.ClearField(field)
        getattr(out, field).extend(entries)
    return out
