"""Agent and queue KPIs over a period (S3.1-S3.6), asked of stats for the agents and queues the
user may see; queue figures are for supervisors and admins; a team's figures (a router team's
members, or agents named) each and in total."""

from __future__ import annotations

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound, PermissionDenied

from ..backends import Backends
from ..users import User
from . import access
from .agents import visible_agents
from .teams import check_team_id, team_members


async def agent_stats(
    user: User, backends: Backends, period: spb.Period, agent_id: str = "", visible_list: list[pb.Agent] | None = None
) -> spb.GetAgentStatsResponse:
    """Per-agent KPIs of every agent the user may see, or of the one named (`visible_list`:
    the agents the user sees, when the caller has read them already)."""
    if visible_list is None:
        visible_list = await visible_agents(user, backends)
    visible = {a.id for a in visible_list}
    if agent_id and agent_id not in visible:
        raise NotFound(f"agent {agent_id} does not exist")
    ids = [agent_id] if agent_id else sorted(visible)
    if not ids and not access.sees_all(user):  # none to see: stats would answer for every agent
        return spb.GetAgentStatsResponse()
    reply: spb.GetAgentStatsResponse = await backends.stats.GetAgentStats(
        spb.GetAgentStatsRequest(period=period, agent_ids=ids), timeout=backends.timeout_s
    )
    return reply


async def queue_stats(
    user: User, backends: Backends, period: spb.Period, queue: str = "", service_level_s: float | None = None
) -> spb.GetQueueStatsResponse:
    """Per-queue KPIs of the user's teams (every queue for admins), or of the one named;
    service level within service_level_s when given."""
    if user.role == "agent":
        raise PermissionDenied("queue figures are for supervisors")
    if queue and not access.sees_queue(user, queue):
        raise NotFound(f"queue {queue} does not exist")
    req = spb.GetQueueStatsRequest(period=period)
    if queue:
        req.queues.append(queue)
    elif not access.sees_all(user):
        req.queues.extend(user.teams)
    if service_level_s is not None:
        req.service_level_threshold.FromMilliseconds(round(service_level_s * 1000))
    reply: spb.GetQueueStatsResponse = await backends.stats.GetQueueStats(req, timeout=backends.timeout_s)
    return reply


MAX_TEAM_AGENTS = 200  # agents of one GET /api/v1/stats/team?agent_id=a,b,c
_COUNTS = ("offered", "answered", "missed", "rejected", "busy", "caller_hung_up", "handled", "successful_touches")
_DURATIONS = ("talk_time", "wrap_up_time", "pause_time", "available_time", "logged_in_time", "ring_time")


def team_totals(agents: list[spb.AgentStats]) -> spb.AgentStats:
    """The agents' figures added up (agent_id empty): counts and times summed, the average
    talk time over all handled calls; occupancy and score are per agent only (left 0)."""
    total = spb.AgentStats()
    for a in agents:
        for name in _COUNTS:
            setattr(total, name, getattr(total, name) + getattr(a, name))
        for name in _DURATIONS:
            d = getattr(total, name)
            d.FromMilliseconds(d.ToMilliseconds() + getattr(a, name).ToMilliseconds())
        for reason, d in a.pause_time_by_reason.items():
            t = total.pause_time_by_reason[reason]
            t.FromMilliseconds(t.ToMilliseconds() + d.ToMilliseconds())
    if total.handled:
        total.average_talk_time.FromMilliseconds(total.talk_time.ToMilliseconds() // total.handled)
    return total


def _agent_list(text: str) -> list[str]:
    ids_ = text.split(",")
    if len(ids_) > MAX_TEAM_AGENTS:
        raise InvalidArgument("agent_id", f"at most {MAX_TEAM_AGENTS} agents")
    for agent_id in ids_:
        ids.check_name(agent_id, "agent_id")
    if len(set(ids_)) != len(ids_):
        raise InvalidArgument("agent_id", "names an agent twice")
    return ids_


async def team_stats(
    user: User, backends: Backends, period: spb.Period, team_id: str = "", agent_ids: str = ""
) -> tuple[list[str], spb.GetAgentStatsResponse, spb.AgentStats]:
    """The figures of a router team's members (S2.3, S3.6), or of the agents named
    (comma-separated, at most 200: e.g. the trainees), each and in total, as far as the user
    sees them: an unknown or unseen team or agent is NotFound. Returns the agents asked about,
    their figures and the totals."""
    access.require_role(user, "admin", "supervisor")
    if bool(team_id) == bool(agent_ids):
        raise InvalidArgument("team_id", "give a team_id or an agent_id list (exactly one)")
    visible = {a.id for a in await visible_agents(user, backends)}
    if team_id:
        check_team_id(team_id)
        wanted = sorted(a for a in await team_members(user, backends, team_id) if a in visible)
    else:
        wanted = _agent_list(agent_ids)
        for agent_id in wanted:
            if agent_id not in visible:
                raise NotFound(f"agent {agent_id} does not exist")
    if not wanted:  # no members: no figures (an empty list would ask stats for every agent)
        return wanted, spb.GetAgentStatsResponse(), team_totals([])
    reply: spb.GetAgentStatsResponse = await backends.stats.GetAgentStats(
        spb.GetAgentStatsRequest(period=period, agent_ids=wanted), timeout=backends.timeout_s
    )
    return wanted, reply, team_totals(list(reply.agents))
