"""Agent and queue KPIs over a period (S3.1-S3.6), asked of stats for the agents and queues the
user may see; queue figures are for supervisors and admins."""

from __future__ import annotations

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import NotFound, PermissionDenied

from ..backends import Backends
from ..users import User
from . import access
from .agents import visible_agents


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
