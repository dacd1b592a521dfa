"""An agent's state timeline of a local day (GetAgentTimeline): the segments of time in each
state, read from the agent's state changes that apply.lua stores per UTC day (keys.py,
`agent_day`, at most MAX_DAY_STATES each, the oldest cut and counted in `agent_trimmed`).

A local day overlaps two or three UTC days (offsets up to ±14 h, 25-hour DST days); their
keys are read and cut to the day. The state at the day's start is the last change before it:
in the UTC day keys just before, else in the agent's long timeline (keys.py, `timeline`;
it holds no call ids)."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from callcenter.services.stats.keys import DAY_MS, StatsKeys
from callcenter.services.stats.model import InvalidArgument, Range

_CALL_STATES = ("reserved", "on_call", "wrap_up")  # states that belong to a call
_MAX_AGENT_ID = 128


@dataclass(frozen=True)
class Change:
    """One state change: when, the state after it, its reason (pause reason) and call."""

    at_ms: int
    state: str
    reason: str = ""
    call_id: str = ""


@dataclass(frozen=True)
class Segment:
    state: str
    reason: str
    start_ms: int
    end_ms: int
    call_id: str
    ongoing: bool

    @property
    def duration_ms(self) -> int:
        return max(self.end_ms - self.start_ms, 0)


@dataclass(frozen=True)
class Timeline:
    agent_id: str
    range: Range
    segments: list[Segment]
    trimmed: int


def parse_change(member: str, score: float) -> Change:
    """A stored change, "<time>|<entry id>|<state>|<reason>|<call id>" (the long timeline's
    members have no call id). The reason is kept only for a pause; the call only for a state
    of a call (the call id is last, so it may hold '|')."""
    parts = member.split("|", 4)
    state = parts[2] if len(parts) > 2 else "logged_out"
    reason = parts[3] if len(parts) > 3 and state == "paused" else ""
    call_id = parts[4] if len(parts) > 4 and state in _CALL_STATES else ""
    return Change(int(score), state, reason, call_id)


def segments_of(first: Change, changes: list[Change], r: Range, now_ms: int) -> list[Segment]:
    """The segments within r (up to now) of the state `first` (in force at r's start) and the
    changes after it, oldest first; a change repeating the state in force continues its
    segment. Nothing after now: a day to come has no segments."""
    until = min(r.end_ms, now_ms)
    out: list[Segment] = []
    current, since = first, max(first.at_ms, r.start_ms)
    for change in changes:
        if change.at_ms >= until:
            break
        if (change.state, change.reason, change.call_id) == (current.state, current.reason, current.call_id):
            continue
        out.append(Segment(current.state, current.reason, since, change.at_ms, current.call_id, False))
        current, since = change, change.at_ms
    if since < until:
        out.append(Segment(current.state, current.reason, since, until, current.call_id, until == now_ms))
    return out


def utc_days(r: Range) -> list[int]:
    """The starts (ms) of the UTC days r overlaps."""
    first = r.start_ms // DAY_MS * DAY_MS
    return list(range(first, r.end_ms, DAY_MS))


class TimelineReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def day(self, agent_id: str, r: Range, now_ms: int) -> Timeline:
        """The agent's segments within r (a local day): at most 3 UTC day keys of at most
        MAX_DAY_STATES changes each are read, one pipeline."""
        if not agent_id:
            raise InvalidArgument("agent_id", "required")
        if len(agent_id) > _MAX_AGENT_ID:
            raise InvalidArgument("agent_id", f"at most {_MAX_AGENT_ID} characters")
        days = utc_days(r)
        previous_day = days[0] - DAY_MS
        async with self.redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.zrangebyscore(self.keys.agent_day(day, agent_id), r.start_ms, f"({r.end_ms}", withscores=True)
            for day in (days[0], previous_day):  # the change in force at the start
                pipe.zrevrangebyscore(
                    self.keys.agent_day(day, agent_id), f"({r.start_ms}", "-inf", start=0, num=1, withscores=True
                )
            pipe.zrevrangebyscore(
                self.keys.timeline(agent_id), f"({r.start_ms}", "-inf", start=0, num=1, withscores=True
            )
            pipe.hmget(self.keys.agent_trimmed(agent_id), [str(day) for day in days])
            replies = await pipe.execute()
        changes = [parse_change(m, s) for reply in replies[: len(days)] for m, s in reply]
        before = [reply[0] for reply in replies[len(days) : len(days) + 3] if reply]
        first = parse_change(*before[0]) if before else Change(r.start_ms, "logged_out")
        trimmed = sum(int(n or 0) for n in replies[-1])
        if trimmed and changes:  # what was in force before the first kept change is unknown
            first, changes = changes[0], changes[1:]
        return Timeline(agent_id, r, segments_of(first, changes, r, now_ms), trimmed)
