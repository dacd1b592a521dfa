"""The board now (S0.1, S0.2, S3.1, S3.2, S3.6), read from the keys apply.lua keeps current."""

from __future__ import annotations

import redis.asyncio as aioredis

from callcenter.core import call_states
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import AgentNow, Board, OverdueCall, QueueNow

AGENT_STATES = tuple(s for s in call_states.AGENT_STATES if s != "logged_out")  # the states a board counts
#: The board's lines: inbound calls waiting, ringing, in progress (an outbound call dialling is
#: none of the board's waiting or ringing callers).
LIVE_STATES = ("waiting", "ringing", "connected")
assert set(LIVE_STATES) <= set(call_states.LIVE_CALL_STATES)


def agent_now(agent_id: str, h: dict[str, str]) -> AgentNow:
    return AgentNow(
        agent_id=agent_id,
        state=h.get("state") or "logged_out",
        since_ms=int(h.get("since") or 0),
        call_id=h.get("call", ""),
        pause_reason=h.get("reason", ""),
        queues=tuple(q for q in h.get("queues", "").split(",") if q),
    )


def _count(counts: dict[str, int], agent: AgentNow) -> None:
    if agent.state == "logged_out":
        return
    counts["online"] = counts.get("online", 0) + 1
    counts[agent.state] = counts.get(agent.state, 0) + 1


class BoardReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def agents(self, agent_ids: list[str] | None = None) -> list[AgentNow]:
        ids = sorted(agent_ids if agent_ids is not None else await self.redis.smembers(self.keys.agents))
        async with self.redis.pipeline(transaction=False) as pipe:
            for agent_id in ids:
                pipe.hgetall(self.keys.agent(agent_id))
            hashes = await pipe.execute()
        return [agent_now(agent_id, h) for agent_id, h in zip(ids, hashes, strict=True)]

    async def queues(
        self, names: list[str] | None, agents: list[AgentNow], now_ms: int, overdue_after_ms: int
    ) -> tuple[list[QueueNow], list[OverdueCall]]:
        names = sorted(names if names is not None else await self.redis.smembers(self.keys.queues))
        cutoff = now_ms - overdue_after_ms
        async with self.redis.pipeline(transaction=False) as pipe:
            for q in names:
                for state in LIVE_STATES:
                    pipe.zcard(self.keys.live(q, state))
                pipe.zrange(self.keys.live(q, "waiting"), 0, 0, withscores=True)
                pipe.zrangebyscore(self.keys.live(q, "waiting"), "-inf", f"({cutoff}", withscores=True)
                pipe.zrangebyscore(self.keys.live(q, "ringing"), "-inf", f"({cutoff}", withscores=True)
            replies = await pipe.execute()
        queues: list[QueueNow] = []
        late: list[tuple[str, str, str, int]] = []
        for i, q in enumerate(names):
            waiting, ringing, connected, oldest, late_waiting, late_ringing = replies[i * 6 : i * 6 + 6]
            view = QueueNow(queue=q, waiting=waiting, ringing=ringing, in_progress=connected)
            if oldest:
                view.oldest_waiting_ms = int(oldest[0][1])
            view.overdue = len(late_waiting) + len(late_ringing)
            for agent in agents:
                if q in agent.queues:
                    _count(view.agents, agent)
            queues.append(view)
            late += [(call_id, q, "waiting", int(score)) for call_id, score in late_waiting]
            late += [(call_id, q, "ringing", int(score)) for call_id, score in late_ringing]
        async with self.redis.pipeline(transaction=False) as pipe:
            for call_id, *_ in late:
                pipe.hmget(self.keys.call(call_id), "caller", "live_agent")
            details = await pipe.execute()
        overdue = [
            OverdueCall(call_id, q, d[0] or "", state, received, d[1] or "")
            for (call_id, q, state, received), d in zip(late, details, strict=True)
        ]
        overdue.sort(key=lambda c: (c.received_ms, c.call_id))
        return queues, overdue

    async def board(self, now_ms: int, overdue_after_ms: int) -> Board:
        agents = await self.agents()
        totals: dict[str, int] = {}
        for agent in agents:
            _count(totals, agent)
        queues, overdue = await self.queues(None, agents, now_ms, overdue_after_ms)
        return Board(now_ms, overdue_after_ms, agents, totals, queues, overdue)
