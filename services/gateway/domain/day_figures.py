"""Today's figures on the board, from stats: answered and missed per agent, answered, abandoned
and service level per queue, overdue calls and leads at risk. The board still shows the
router's live state when stats is down (`stats_unavailable`); and however many dashboards
are open, each view asks stats at most twice a second (FiguresCache)."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from typing import Any

import grpc
import structlog
from google.protobuf import timestamp_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.stats.v1 import stats_pb2 as spb

from ..backends import Backends
from ..users import User
from . import access
from .leads import LEAD_FILTERS
from .periods import today

log = structlog.get_logger(__name__)

FIGURES_TTL_S = 0.5  # short enough that an alert on a figure shows within a second (dashboard.js)
INTERVAL_MS = 30 * 60 * 1000  # the board's "this half hour" figures
QUARTER_MS = 15 * 60 * 1000  # stats rounds a range's end up to a quarter hour
AT_RISK = ("cadence_broken", "improper_refusal", "not_called")  # lead filters, as the reasons shown


class FiguresCache:
    """day_figures, shared for FIGURES_TTL_S by every browser with the same view."""

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], tuple[float, dict[str, Any]]] = {}

    async def day_figures(
        self, user: User, backends: Backends, agent_ids: list[str], queues: list[str], tz: str
    ) -> dict[str, Any]:
        key = (user.role, user.agent_id, tuple(agent_ids), tuple(queues), tz)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < FIGURES_TTL_S:
            return hit[1]
        figures = await day_figures(user, backends, agent_ids, queues, tz)
        figures["fetched_at_ms"] = int(time.time() * 1000)
        if len(self._entries) > 1000:
            self._entries.clear()
        self._entries[key] = (now, figures)
        return figures


async def day_figures(
    user: User, backends: Backends, agent_ids: list[str], queues: list[str], tz: str
) -> dict[str, Any]:
    """Today (in the time zone tz) for these agents and queues, as far as the user may see."""
    period = spb.Period(time_zone=tz, day=today(tz))
    stub, deadline = backends.stats, backends.timeout_s
    figures: dict[str, Any] = {"agents": {}, "queues": {}, "overdue": [], "leads_at_risk": []}
    try:
        if agent_ids:
            agents: spb.GetAgentStatsResponse = await stub.GetAgentStats(
                spb.GetAgentStatsRequest(period=period, agent_ids=agent_ids), timeout=deadline
            )
            for a in agents.agents:
                figures["agents"][a.agent_id] = {
                    "answered_today": a.answered,
                    "missed_today": a.missed,
                    "talk_today_ms": a.talk_time.ToMilliseconds(),
                    "paused_today_ms": {r: d.ToMilliseconds() for r, d in a.pause_time_by_reason.items()},
                }
        if queues and user.role != "agent":
            queue_stats: spb.GetQueueStatsResponse = await stub.GetQueueStats(
                spb.GetQueueStatsRequest(period=period, queues=queues), timeout=deadline
            )
            for q in queue_stats.queues:
                figures["queues"][q.queue] = {
                    "answered_today": q.answered,
                    "abandoned_today": q.abandoned,
                    "offered_today": q.offered,
                    "service_level": _service_level(q),
                    "asa_ms": q.average_speed_of_answer.ToMilliseconds() if q.answered else None,
                    "abandonment_rate": q.abandonment_rate_percent / 100 if q.offered else None,
                }
            start_ms, end_ms = current_interval(tz)
            interval = spb.Period(time_zone=tz, range=spb.TimeRange(start=_ts(start_ms), end=_ts(end_ms)))
            interval_stats: spb.GetQueueStatsResponse = await stub.GetQueueStats(
                spb.GetQueueStatsRequest(period=interval, queues=queues), timeout=deadline
            )
            for q in interval_stats.queues:
                entry = figures["queues"].setdefault(q.queue, {})
                entry["service_level_interval"] = _service_level(q)
                entry["interval_start_ms"] = start_ms
        board: spb.GetBoardResponse = await stub.GetBoard(spb.GetBoardRequest(), timeout=deadline)
        visible_queues = set(queues)
        figures["overdue"] = [
            {
                "call_id": c.call_id,
                "queue": c.queue,
                "state": states_pb2.CallState.Name(c.state),
                "since_ms": c.received_at.ToMilliseconds(),
                "agent_id": c.agent_id,
            }
            for c in board.overdue
            if (c.agent_id == user.agent_id if user.role == "agent" else c.queue in visible_queues)
        ]
        visible_agents = set(agent_ids)
        for name in AT_RISK:
            leads: spb.ListLeadsResponse = await stub.ListLeads(
                spb.ListLeadsRequest(
                    filter=LEAD_FILTERS[name],
                    period=period,
                    agent_id=user.agent_id if user.role == "agent" else "",
                ),
                timeout=deadline,
            )
            figures["leads_at_risk"] += [
                {"lead_id": lead.lead_id, "agent_id": lead.agent_id, "reason": name}
                for lead in leads.leads
                if access.sees_all(user) or lead.agent_id in visible_agents
            ]
    except grpc.aio.AioRpcError as exc:
        log.warning("board.stats_unavailable", code=exc.code().name, details=exc.details())
        figures["stats_unavailable"] = True
    return figures


def _service_level(q: spb.QueueStats) -> float | None:
    """The service level as a fraction; None while no call of the period has ended (stats
    gives 0 % then, which is no figure to alert on)."""
    ended = q.answered + q.abandoned - q.short_abandoned + q.timed_out + q.overflowed
    return q.service_level_percent / 100 if ended > 0 else None


def _ts(ms: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromMilliseconds(ms)
    return ts


def current_interval(tz: str, now_ms: int | None = None) -> tuple[int, int]:
    """The current half hour in the time zone tz: its start, and now rounded up to a quarter
    hour (what stats counts in), in ms since the epoch."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    local = dt.datetime.fromtimestamp(now_ms / 1000, zoneinfo.ZoneInfo(tz))
    start = local.replace(minute=local.minute // 30 * 30, second=0, microsecond=0)
    start_ms = int(start.timestamp() * 1000)
    end_ms = max(-(-now_ms // QUARTER_MS) * QUARTER_MS, start_ms + QUARTER_MS)
    return start_ms, min(end_ms, start_ms + INTERVAL_MS)
