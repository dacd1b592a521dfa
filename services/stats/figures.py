"""Agent and queue figures over a period: sums of the stored buckets, and agent state time
from each agent's state timeline (docs/stats.md has every formula)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from callcenter.services.stats.config import Figures
from callcenter.services.stats.keys import HOUR_MS, StatsKeys
from callcenter.services.stats.model import AgentFigures, InvalidArgument, OutboundFigures, QueueFigures, Range
from callcenter.services.stats.periods import buckets

# The most buckets one request may read (about a second of Redis round trips): a year for a
# dozen agents, a month for a hundred, a day for thousands. Beyond, INVALID_ARGUMENT naming
# `period`. A period itself spans at most 400 days whatever it names
# (callcenter.core.time_bounds.MAX_PERIOD_DAYS, checked in stats.py).
MAX_BUCKET_READS = 100_000
_BATCH = 5_000  # bucket reads per pipeline
_TIMELINE_PAGE = 5_000  # timeline entries per read


def _state_of(member: str) -> tuple[str, str]:
    """A timeline entry's state and reason ("<time>|<id>|<state>|<reason>")."""
    parts = member.split("|", 3)
    return parts[2], parts[3] if len(parts) > 3 else ""


def _histogram(sums: dict[str, int], prefix: str) -> dict[int, int]:
    return {int(k[len(prefix) :]): v for k, v in sums.items() if k.startswith(prefix)}


class FigureReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys, figures: Figures, batch: int = _BATCH) -> None:
        self.redis = redis
        self.keys = keys
        self.figures = figures
        self.batch = batch  # bucket reads per pipeline

    async def sums(self, kind: str, names: list[str], r: Range) -> list[dict[str, int]]:
        """Each name's field sums over the buckets of r (of any kind of bucket: the funnel's too)."""
        return await self._sums(kind, names, r)

    async def _sums(self, kind: str, names: list[str], r: Range) -> list[dict[str, int]]:
        """Each name's field sums over the buckets of r."""
        return [by_range[0] for by_range in await self._sums_by_range(kind, names, [r])]

    async def _sums_by_range(self, kind: str, names: list[str], ranges: list[Range]) -> list[list[dict[str, int]]]:
        """Each name's field sums over the buckets of each range (quarter-hour aligned). Read
        in batches of `batch` buckets and added up as they come: what a request holds is one
        batch and the answer, never a list of every bucket of the period."""
        hours = sum(-(-(r.end_ms - r.start_ms) // HOUR_MS) for r in ranges)  # an hour bucket each, quarters at edges
        if hours * len(names) > MAX_BUCKET_READS:
            raise InvalidArgument(
                "period",
                f"{hours} hours for {len(names)} {kind}s is more than one request may sum"
                f" ({MAX_BUCKET_READS} hour buckets): ask for a shorter period or fewer {kind}s",
            )
        sums: list[list[dict[str, int]]] = [[{} for _ in ranges] for _ in names]
        reads = (
            (i, j, self.keys.bucket(kind, name, span, start))
            for i, name in enumerate(names)
            for j, r in enumerate(ranges)
            for span, start in buckets(r)
        )
        while batch := list(itertools.islice(reads, self.batch)):  # other requests are served between batches
            async with self.redis.pipeline(transaction=False) as pipe:
                for _, _, key in batch:
                    pipe.hgetall(key)
                replies = await pipe.execute()
            for (i, j, _), h in zip(batch, replies, strict=True):
                total = sums[i][j]
                for field, value in h.items():
                    total[field] = total.get(field, 0) + int(value)
        return sums

    async def _timeline(self, key: str, r: Range) -> AsyncIterator[tuple[str, float]]:
        """The timeline's entries inside r, oldest first, read _TIMELINE_PAGE at a time (a
        cursor on the score: the entries of one score already read are skipped)."""
        low, skip = r.start_ms, 0
        while True:
            page = await self.redis.zrangebyscore(
                key, low, f"({r.end_ms}", start=skip, num=_TIMELINE_PAGE, withscores=True
            )
            for entry in page:
                yield entry
            if len(page) < _TIMELINE_PAGE:
                return
            last = page[-1][1]
            same = sum(1 for _, score in page if score == last)
            low, skip = last, (skip + same if last == low else same)

    async def state_time(self, agent_id: str, r: Range, now_ms: int) -> dict[str, int]:
        """Milliseconds spent in each state within r (up to now), from the agent's timeline."""
        return (await self.state_and_pause_time(agent_id, r, now_ms))[0]

    async def state_and_pause_time(self, agent_id: str, r: Range, now_ms: int) -> tuple[dict[str, int], dict[str, int]]:
        """Milliseconds spent in each state within r (up to now), and of the paused time, in
        each pause reason, from the agent's timeline (entries "<order>|<state>|<reason>"). The
        reasons are the router's pause reason codes: the configured list and its automatic
        ones (it refuses any other), so their number is bounded by that list."""
        key = self.keys.timeline(agent_id)
        before = await self.redis.zrevrangebyscore(key, f"({r.start_ms}", "-inf", start=0, num=1)
        state, reason = _state_of(before[0]) if before else ("logged_out", "")
        t = r.start_ms
        spent: dict[str, int] = {}
        paused: dict[str, int] = {}

        def add(until: int) -> None:
            spent[state] = spent.get(state, 0) + until - t
            if state == "paused":
                paused[reason] = paused.get(reason, 0) + until - t

        async for member, score in self._timeline(key, r):
            at = int(score)
            add(at)
            (state, reason), t = _state_of(member), at
        add(max(min(r.end_ms, max(now_ms, t)), t))
        return {s: ms for s, ms in spent.items() if ms}, {p: ms for p, ms in paused.items() if ms}

    async def agents(self, agent_ids: list[str], r: Range, now_ms: int) -> list[AgentFigures]:
        f = self.figures
        out = []
        for agent_id, sums in zip(agent_ids, await self._sums("agent", agent_ids, r), strict=True):
            a = AgentFigures(agent_id=agent_id)
            for name in ("offered", "answered", "missed", "rejected", "busy", "caller_hung_up", "handled"):
                setattr(a, name, sums.get(name, 0))
            a.talk_ms, a.ring_ms, a.wrap_ms = sums.get("talk_ms", 0), sums.get("ring_ms", 0), sums.get("wrap_ms", 0)
            a.successful_touches = sum(c for s, c in _histogram(sums, "t:").items() if s > f.successful_touch_s)
            a.state_ms, a.pause_ms_by_reason = await self.state_and_pause_time(agent_id, r, now_ms)
            a.score = (
                f.score_handled_bonus * a.handled
                - f.score_missed_penalty * a.missed
                - f.score_rejected_penalty * a.rejected
            )
            out.append(a)
        return out

    async def queues(self, names: list[str], r: Range, threshold_s: int) -> list[QueueFigures]:
        sums = await self._sums("queue", names, r)
        return [self.queue_figures(name, s, threshold_s) for name, s in zip(names, sums, strict=True)]

    async def queue_series(self, names: list[str], ranges: list[Range], threshold_s: int) -> list[list[QueueFigures]]:
        """Each queue's figures over each of the ranges (the buckets of a series)."""
        by_queue = await self._sums_by_range("queue", names, ranges)
        return [
            [self.queue_figures(name, s, threshold_s) for s in by_range]
            for name, by_range in zip(names, by_queue, strict=True)
        ]

    def queue_figures(self, name: str, sums: dict[str, int], threshold_s: int) -> QueueFigures:
        """A queue's figures from its summed bucket fields (the one place they are computed)."""
        f = self.figures
        q = QueueFigures(queue=name)
        for field in ("offered", "answered", "abandoned", "timed_out", "overflowed", "handled", "wrap_ups"):
            setattr(q, field, sums.get(field, 0))
        q.answer_wait_ms, q.talk_ms, q.wrap_ms = (
            sums.get("answer_wait_ms", 0),
            sums.get("talk_ms", 0),
            sums.get("wrap_ms", 0),
        )
        q.answered_within = sum(c for s, c in _histogram(sums, "w:").items() if s <= threshold_s)
        q.short_abandoned = sum(c for s, c in _histogram(sums, "a:").items() if s <= f.short_abandon_s)
        ended = q.answered + q.abandoned - q.short_abandoned + q.timed_out + q.overflowed
        q.service_level_percent = 100.0 * q.answered_within / ended if ended else 0.0
        q.service_level_met = ended > 0 and q.service_level_percent >= f.service_level_target_percent
        return q

    async def outbound(self, kind: str, names: list[str], r: Range, conversation_s: int) -> list[OutboundFigures]:
        """Each queue's, campaign's or agent's outbound figures (apply.lua's out_* fields)."""
        out = []
        for name, sums in zip(names, await self._sums(kind, names, r), strict=True):
            o = OutboundFigures(id=name)
            o.calls = sums.get("out_offered" if kind == "agent" else "out_calls", 0)
            o.declined, o.preview_timeouts = sums.get("out_declined", 0), sums.get("out_preview_timeout", 0)
            o.dialed, o.connected = sums.get("out_dialed", 0), sums.get("out_connected", 0)
            o.not_connected, o.handled = sums.get("out_not_connected", 0), sums.get("out_handled", 0)
            o.talk_ms, o.wrap_ms = sums.get("out_talk_ms", 0), sums.get("out_wrap_ms", 0)
            o.conversations = sum(c for s, c in _histogram(sums, "ot:").items() if s > conversation_s)
            o.conversions = sums.get("out_conversions", 0)
            o.not_connected_by_reason = {k[3:]: v for k, v in sums.items() if k.startswith("nc:") and v}
            o.contacts_by_result = {k[8:]: v for k, v in sums.items() if k.startswith("contact:") and v}
            out.append(o)
        return out
