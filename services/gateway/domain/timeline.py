"""An agent's state timeline of a day (the agent page): asked of stats for an agent the user
may see (a supervisor their teams' agents, an agent only themselves; NotFound otherwise)."""

from __future__ import annotations

from callcenter.api.stats.v1 import stats_pb2 as spb

from ..backends import Backends
from ..users import User
from .agents import get_agent


async def agent_timeline(
    user: User, backends: Backends, agent_id: str, period: spb.Period
) -> spb.GetAgentTimelineResponse:
    """The agent's state segments of `period`'s day in its time zone."""
    await get_agent(user, backends, agent_id)  # NotFound unless the user sees the agent
    reply: spb.GetAgentTimelineResponse = await backends.stats.GetAgentTimeline(
        spb.GetAgentTimelineRequest(agent_id=agent_id, day=period.day, time_zone=period.time_zone),
        timeout=backends.timeout_s,
    )
    return reply
