"""Exports of a period (issue 18): call records, agent, queue and conversation figures as
tables of text cells, what export_api.py writes as CSV downloads. No HTTP here.

What a user exports is what the JSON API shows them, by the same rules: call records as
`calls.list_calls` gives them (an agent's own legs, a supervisor's teams, recordings only to
whoever may hear them), figures as `figures.agent_stats` and `queue_stats` do, conversation
figures as `conversation_control.stats` (issue 21). Call records
are read from stats page by page (`calls.every_call`) and each page's rows are given on as
it arrives: an export holds one page, never the whole period.

Cells are readable: agents by name (beside their id), outcomes as labels, times ISO 8601 in
the requested time zone, durations in seconds. A cell that a spreadsheet would take for a
formula (starting with = + - @, a tab or a carriage return) is prefixed with ' (OWASP's CSV
injection advice): a caller's "number" is whatever the PBX was sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import AsyncGenerator, Iterable

from google.protobuf import duration_pb2, timestamp_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import time_bounds
from callcenter.core.errors import InvalidArgument

from ..backends import Backends
from ..users import User
from . import access, calls, conversation_control, figures
from .agents import visible_agents
from .teams import list_teams

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

OUTCOME_LABELS = {
    spb.CALL_OUTCOME_IN_PROGRESS: "In progress",
    spb.CALL_OUTCOME_COMPLETED: "Answered",
    spb.CALL_OUTCOME_ABANDONED: "Abandoned",
    spb.CALL_OUTCOME_TIMED_OUT: "Timed out",
    spb.CALL_OUTCOME_REDIRECTED: "Redirected",
}
OFFER_LABELS = {
    "answered": "Answered",
    "no_answer": "No answer",
    "rejected": "Rejected",
    "busy": "Busy",
    "timeout": "Timed out",
    "caller_hangup": "Caller hung up",
    "ringing": "Ringing",
}

CALL_COLUMNS = [
    "Call ID", "Received", "Caller", "Queue", "Outcome", "Agent", "Agent ID", "Answered", "Ended",
    "Wait (s)", "Ring (s)", "Talk (s)", "Wrap-up (s)", "Offers", "Offered to", "Recordings", "Lead",
]  # fmt: skip
AGENT_COLUMNS = [
    "Agent", "Agent ID", "From", "To", "Offered", "Answered", "Missed", "Rejected", "Busy", "Caller hung up",
    "Handled", "Talk (s)", "Average talk (s)", "Wrap-up (s)", "Paused (s)", "Available (s)", "Logged in (s)",
    "Ring (s)", "Occupancy (%)", "Successful touches", "Score",
]  # fmt: skip
QUEUE_COLUMNS = [
    "Queue", "From", "To", "Offered", "Answered", "Abandoned", "Short abandoned", "Timed out", "Overflowed",
    "Answered within threshold", "Service level (%)", "Service level met", "Service level threshold (s)",
    "Average speed of answer (s)", "Average handle time (s)", "Abandonment (%)", "Handled", "Talk (s)",
    "Wrap-up (s)",
]  # fmt: skip

# The conversation figures' columns after the group's key (CONVERSATION_KEYS): the counts of
# ConversationFigures, the means and the overdue share derived from them, and the sums behind
# the means (so that rows can be added up exactly in a spreadsheet).
CONVERSATION_COLUMNS = [
    "From", "To", "Conversations created", "Closed", "First replies", "First response mean (s)", "Replies",
    "Reply mean (s)", "Handled", "Handle mean (s)", "Overdue", "Overdue (%)", "First response total (s)",
    "Reply total (s)", "Handle total (s)",
]  # fmt: skip
# The key columns per group_by: agents and router teams by display name beside their id.
CONVERSATION_KEYS = {
    "channel": ["Channel"],
    "topic": ["Topic"],
    "agent": ["Agent", "Agent ID"],
    "queue": ["Queue"],
    "team": ["Team", "Team ID"],
}

Rows = list[list[str]]


@dataclasses.dataclass
class Table:
    """An export: its file name (without extension), its header and its rows, one list per
    page read from the backend (async: the next page is read when the last is written)."""

    name: str
    columns: list[str]
    pages: AsyncGenerator[Rows, None]


def neutral(cell: str) -> str:
    """A cell no spreadsheet runs as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _row(cells: Iterable[str]) -> list[str]:
    return [neutral(cell) for cell in cells]


def local_time(ts: timestamp_pb2.Timestamp, tz: str) -> str:
    """ISO 8601 in the time zone, to the millisecond; "" for a time never set."""
    if not ts.ByteSize():
        return ""
    ms = ts.ToMilliseconds()
    when = dt.datetime.fromtimestamp(ms // 1000, zoneinfo.ZoneInfo(tz)).replace(microsecond=(ms % 1000) * 1000)
    return when.isoformat(timespec="milliseconds")


def _number(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def seconds(d: duration_pb2.Duration) -> str:
    return _number(d.ToMilliseconds() / 1000, 3)


def _percent(value: float) -> str:
    return _number(value, 1)


def check_period(received: spb.TimeRange) -> None:
    """An export's period: both ends given, the end after the start, at most 400 days."""
    if not received.HasField("start"):
        raise InvalidArgument("from", "is required (an ISO date or date-time)")
    if not received.HasField("end"):
        raise InvalidArgument("to", "is required (an ISO date or date-time)")
    start, end = received.start.ToMilliseconds(), received.end.ToMilliseconds()
    if end <= start:
        raise InvalidArgument("to", "must be after from")
    time_bounds.check_period_ms(start, end, "to")


def _file_name(kind: str, period: spb.TimeRange, tz: str) -> str:
    """calls_2026-03-02_2026-03-08: the period's first and last local days (digits and dashes)."""
    zone = zoneinfo.ZoneInfo(tz)
    first = dt.datetime.fromtimestamp(period.start.ToMilliseconds() / 1000, zone).date()
    last = dt.datetime.fromtimestamp((period.end.ToMilliseconds() - 1) / 1000, zone).date()
    return f"{kind}_{first.isoformat()}_{last.isoformat()}"


async def _names(user: User, backends: Backends) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The display names of the agents the user may see (a name not set: the id), and every
    agent's queues (what the role rules go by): one ListAgents for the whole export."""
    reply: pb.ListAgentsResponse = await backends.router.ListAgents(pb.ListAgentsRequest(), timeout=backends.timeout_s)
    names = {a.id: a.name or a.id for a in reply.agents if access.sees_agent(user, a.id, a.queues)}
    return names, {a.id: list(a.queues) for a in reply.agents}


async def call_records(user: User, backends: Backends, filters: spb.ListCallRecordsRequest, tz: str) -> Table:
    """The call records of the filters' period (from and to required) the user may see,
    newest first, as the JSON API lists them."""
    check_period(filters.received)
    names, queues = await _names(user, backends)

    async def agent_queues() -> dict[str, list[str]]:
        return queues

    seen = access.Visibility(user, agent_queues)
    records = calls.every_call(user, backends, filters, seen)

    def name(agent_id: str) -> str:
        return names.get(agent_id, agent_id)

    def row(r: spb.CallRecord) -> list[str]:
        offered = "; ".join(f"{name(o.agent_id)}: {OFFER_LABELS.get(o.outcome, o.outcome)}" for o in r.offers)
        return _row([
            r.call_id, local_time(r.received_at, tz), r.caller, r.final_queue or r.queue,
            OUTCOME_LABELS.get(r.outcome, "Unknown"), name(r.agent_id) if r.agent_id else "", r.agent_id,
            local_time(r.answered_at, tz), local_time(r.ended_at, tz), seconds(r.wait), seconds(r.ring_time),
            seconds(r.talk_time), seconds(r.wrap_up_time), str(len(r.offers)), offered, " ".join(r.recording_ids),
            r.lead_id,
        ])  # fmt: skip

    async def pages() -> AsyncGenerator[Rows, None]:
        try:
            async for page in records:
                yield [row(r) for r in page]
        finally:
            await records.aclose()

    return Table(_file_name("calls", filters.received, tz), CALL_COLUMNS, pages())


async def _one_page(rows: Rows) -> AsyncGenerator[Rows, None]:
    yield rows


async def agent_figures(user: User, backends: Backends, period: spb.Period, agent_id: str = "") -> Table:
    """The agent figures of the period, one row per agent the user may see (as the JSON API)."""
    agents = await visible_agents(user, backends)
    reply = await figures.agent_stats(user, backends, period, agent_id, agents)
    names = {a.id: a.name or a.id for a in agents}
    tz = period.time_zone or "UTC"
    start, end = local_time(reply.range.start, tz), local_time(reply.range.end, tz)
    rows = [
        _row(
            [
                names.get(a.agent_id, a.agent_id),
                a.agent_id,
                start,
                end,
                str(a.offered),
                str(a.answered),
                str(a.missed),
                str(a.rejected),
                str(a.busy),
                str(a.caller_hung_up),
                str(a.handled),
                seconds(a.talk_time),
                seconds(a.average_talk_time),
                seconds(a.wrap_up_time),
                seconds(a.pause_time),
                seconds(a.available_time),
                seconds(a.logged_in_time),
                seconds(a.ring_time),
                _percent(a.occupancy * 100),
                str(a.successful_touches),
                _number(a.score, 2),
            ]
        )  # fmt: skip
        for a in reply.agents
    ]
    return Table(_file_name("agents", reply.range, tz), AGENT_COLUMNS, _one_page(rows))


async def queue_figures(
    user: User, backends: Backends, period: spb.Period, queue: str = "", service_level_s: float | None = None
) -> Table:
    """The queue figures of the period, one row per queue the user may see (supervisors and
    admins, as the JSON API)."""
    reply = await figures.queue_stats(user, backends, period, queue, service_level_s)
    tz = period.time_zone or "UTC"
    start, end = local_time(reply.range.start, tz), local_time(reply.range.end, tz)
    threshold = seconds(reply.service_level_threshold)
    rows = [
        _row(
            [
                q.queue,
                start,
                end,
                str(q.offered),
                str(q.answered),
                str(q.abandoned),
                str(q.short_abandoned),
                str(q.timed_out),
                str(q.overflowed),
                str(q.answered_within_threshold),
                _percent(q.service_level_percent),
                "yes" if q.service_level_met else "no",
                threshold,
                seconds(q.average_speed_of_answer),
                seconds(q.average_handle_time),
                _percent(q.abandonment_rate_percent),
                str(q.handled),
                seconds(q.talk_time),
                seconds(q.wrap_up_time),
            ]
        )  # fmt: skip
        for q in reply.queues
    ]
    return Table(_file_name("queues", reply.range, tz), QUEUE_COLUMNS, _one_page(rows))


async def _key_names(user: User, backends: Backends, group_by: str) -> dict[str, str]:
    """The display names of the agents (group_by=agent) or router teams (team) the user sees."""
    if group_by == "agent":
        return {a.id: a.name or a.id for a in await visible_agents(user, backends)}
    if group_by == "team":
        return {t.team_id: t.name or t.team_id for t in await list_teams(user, backends)}
    return {}


async def conversation_figures(
    user: User, backends: Backends, period: spb.Period, group_by: str = "queue", channel: str = "", topic: str = ""
) -> Table:
    """The conversation figures of the period, one row per group the user sees (supervisors
    and admins, as the JSON API: `conversation_control.stats`); no total row (an agent in two
    teams is in both teams' rows)."""
    reply = await conversation_control.stats(user, backends, period, group_by, channel=channel, topic=topic)
    names = await _key_names(user, backends, group_by)
    tz = period.time_zone or "UTC"
    start, end = local_time(reply.range.start, tz), local_time(reply.range.end, tz)

    def key(row: spb.ConversationStats) -> list[str]:
        return [names.get(row.key, row.key), row.key] if group_by in ("agent", "team") else [row.key]

    rows = [
        _row(
            [
                *key(r),
                start,
                end,
                str(r.created),
                str(r.closed),
                str(r.first_replies),
                seconds(r.average_first_response),
                str(r.replies),
                seconds(r.average_reply),
                str(r.handled),
                seconds(r.average_handle),
                str(r.overdue),
                _percent(r.overdue_percent),
                seconds(r.total_first_response),
                seconds(r.total_reply),
                seconds(r.total_handle),
            ]
        )  # fmt: skip
        for r in reply.rows
    ]
    kind = f"conversations_by_{group_by}"
    # No row the user may see: stats was not asked, so there is no resolved period to name.
    name = _file_name(kind, reply.range, tz) if reply.range.HasField("start") else kind
    return Table(name, CONVERSATION_KEYS[group_by] + CONVERSATION_COLUMNS, _one_page(rows))
