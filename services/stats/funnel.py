"""The lead funnel (S1.9): how many leads entered each stage in a period, and the conversion
from each stage to the next, in total, per agent or per team.

apply.lua counts a lead entering a stage (LEAD_CREATED at its first stage, every
LEAD_STAGE_CHANGED) as 'lead_in:<stage>' in the event's quarter-hour and hour buckets: of
everyone ('funnel', 'all'), of the lead's agent then ('agent', <id>: the one named, else the
lead's owner at the time) and of each queue that agent was logged in to as stats knew it when
applying ('team', <queue>: the team). A period is a sum of those buckets, like every figure."""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.services.stats.figures import FigureReader
from callcenter.services.stats.lead_stages import NEXT_STAGE
from callcenter.services.stats.model import LEAD_STAGES, InvalidArgument, Range

#: The most agents or teams one funnel request may name or group by.
MAX_FUNNEL_GROUPS = 200
GROUPINGS = ("none", "agent", "team")


@dataclass
class FunnelStage:
    stage: str
    entered: int
    next_stage: str  # "" after fulfilled and refused
    conversion_percent: float  # entered next / entered this x 100; 0 when none entered this


@dataclass
class Funnel:
    agent_id: str = ""  # the group's agent (grouped by agent)
    queue: str = ""  # the group's team (grouped by team)
    stages: list[FunnelStage] = field(default_factory=list)


def funnel_of(sums: dict[str, int], agent_id: str = "", queue: str = "") -> Funnel:
    """The funnel of summed bucket fields (the one place conversion is computed)."""
    entered = {stage: sums.get(f"lead_in:{stage}", 0) for stage in LEAD_STAGES}
    stages = []
    for stage in LEAD_STAGES:
        nxt = NEXT_STAGE.get(stage, "")
        percent = 100.0 * entered[nxt] / entered[stage] if nxt and entered[stage] else 0.0
        stages.append(FunnelStage(stage, entered[stage], nxt, percent))
    return Funnel(agent_id, queue, stages)


def _added(all_sums: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for sums in all_sums:
        for name, value in sums.items():
            total[name] = total.get(name, 0) + value
    return total


def check_names(names: list[str], field_name: str) -> list[str]:
    unique = list(dict.fromkeys(names))
    if len(unique) > MAX_FUNNEL_GROUPS:
        raise InvalidArgument(field_name, f"at most {MAX_FUNNEL_GROUPS} names, got {len(unique)}")
    if any(not name for name in unique):
        raise InvalidArgument(field_name, "empty name")
    return unique


class FunnelReader:
    def __init__(self, figures: FigureReader) -> None:
        self.figures = figures

    async def funnel(
        self, r: Range, group_by: str, agent_ids: list[str], queues: list[str]
    ) -> tuple[list[Funnel], Funnel]:
        """The groups' funnels and the total over r: of the agents named, else of the teams
        named, else everyone's (one of agent_ids and queues at most; the caller fills in the
        names to group by when none are given: Stats, every agent or queue stats knows)."""
        if group_by not in GROUPINGS:
            raise InvalidArgument("group_by", f"one of {', '.join(GROUPINGS)} expected, got {group_by!r}")
        if agent_ids and queues:
            raise InvalidArgument("queues", "name agent_ids or queues (teams), not both")
        if agent_ids:
            kind, names = "agent", agent_ids
        elif queues:
            kind, names = "team", queues
        else:
            kind, names = "funnel", ["all"]
        if group_by == "team" and not (queues and not agent_ids):
            raise InvalidArgument("queues", "grouping by team needs the teams (queues), and no agent_ids")
        if group_by == "agent" and kind != "agent":
            raise InvalidArgument("agent_ids", "grouping by agent needs the agents")
        sums = await self.figures.sums(kind, names, r)
        total = funnel_of(_added(sums))
        if group_by == "none":
            return [total], total
        return [
            funnel_of(s, agent_id=name if kind == "agent" else "", queue=name if kind == "team" else "")
            for name, s in zip(names, sums, strict=True)
        ], total
