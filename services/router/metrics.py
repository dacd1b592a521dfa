"""The router's Prometheus metrics (docs/operations.md, "Metrics"). Counters move by what each
transition's script reports beside its reply (lib.lua: MET_EVENTS, MET_LATE), in the replica
that ran it; gauges of what is in Redis are read when Prometheus scrapes (`refresh`)."""

from __future__ import annotations

import json
from collections import Counter as Tally
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

from callcenter.core import metrics
from callcenter.core.call_states import AGENT_STATES

if TYPE_CHECKING:
    from callcenter.services.router.store import RouterStore

EVENTS = Counter("callcenter_router_events_total", "Events the router's transitions wrote, by type.", ["type"])
OFFERS = Counter("callcenter_router_offers_total", "Calls offered to an agent (each ring of each agent).")
ANSWERS = Counter("callcenter_router_answers_total", "Offers an agent answered.")
MISSES = Counter(
    "callcenter_router_misses_total",
    "Offers that ended unanswered, by reason (no_answer, rejected, busy, timeout, …).",
    ["reason"],
)
TIMER_LATENESS = Histogram(
    "callcenter_router_timer_lateness_seconds",
    "How long after its deadline (by the Redis clock) a timer fired, by kind.",
    ["kind"],
    buckets=metrics.LATENESS_BUCKETS,
)
DIALLER_DECISIONS = Counter(
    "callcenter_router_dialler_decisions_total",
    "Campaign contacts the dialler decided on (dialled, or put off to their calling hours).",
)
DIALLER_CALLS = Counter("callcenter_router_dialler_calls_total", "Outbound calls the dialler made for campaigns.")
DIALLER_BUSY = Counter(
    "callcenter_router_dialler_busy_seconds_total", "Time this replica's dialler spent deciding (its passes)."
)
CALLS_WAITING = Gauge("callcenter_router_calls_waiting", "Calls waiting for an agent, by queue.", ["queue"])
CONVERSATIONS_WAITING = Gauge(
    "callcenter_router_conversations_waiting",
    "Conversations in a queue's line: no agent logged in to it has room for them (chat_capacity), by queue.",
    ["queue"],
)
AGENTS = Gauge("callcenter_router_agents", "Agents of a queue by state (logged in).", ["queue", "state"])
PBX_SESSIONS = Gauge("callcenter_router_pbx_sessions", "PBX sessions by state (open, lost).", ["state"])
# The router's stream readers, for callcenter_stream_entries_skipped_total{reader}.
WATCH_UNREADABLE = metrics.STREAM_UNREADABLE.labels("router_watch_hub")
PBX_UNREADABLE = metrics.STREAM_UNREADABLE.labels("router_pbx_session")
DEALS_UNREADABLE = metrics.STREAM_UNREADABLE.labels("router_deal_owners")

_OFFERED, _ANSWERED, _MISSED = "CALL_OFFERED", "CALL_ANSWERED", "OFFER_MISSED"


def count(reported: str) -> None:
    """Moves the counters by one transition's report: {"e": {"<type>|<reason>": n}, "l": [...]}."""
    report = json.loads(reported)
    events = report.get("e") or {}
    for key, n in events.items():
        kind, _, reason = key.partition("|")
        EVENTS.labels(kind).inc(n)
        if kind == _OFFERED:
            OFFERS.inc(n)
        elif kind == _ANSWERED:
            ANSWERS.inc(n)
        elif kind == _MISSED:
            MISSES.labels(reason or "unknown").inc(n)
    late = report.get("l") or []
    for item in late if isinstance(late, list) else ():
        kind, _, ms = item.rpartition("|")
        TIMER_LATENESS.labels(kind).observe(max(0, int(ms)) / 1000)


#: Agent states a queue's gauge shows (every one, so a state that empties reads 0, not stale).
SHOWN_STATES = tuple(s for s in AGENT_STATES if s != "logged_out")
#: The most agents a scrape looks at (a bigger site still gets its queues' waiting calls).
MAX_AGENTS_PER_SCRAPE = 20_000


async def refresh(store: RouterStore) -> None:
    """Sets the gauges from Redis: whether it answers, per queue the calls and conversations
    waiting and its logged-in agents by state, the PBX sessions by state; and the pools' use."""
    redis, keys = store.redis, store.keys
    metrics.pool_gauges("router", redis)
    if not await metrics.redis_reachable(redis):
        return
    queues = await store.queue_names()
    async with redis.pipeline(transaction=False) as p:
        for queue in queues:
            p.zcard(keys.waiting_all(queue))
            p.smembers(keys.online(queue))
            p.zcard(keys.conversations_waiting(queue))
        replies = await p.execute()
    online = {queue: replies[3 * i + 1] for i, queue in enumerate(queues)}
    agents = sorted({a for members in online.values() for a in members})[:MAX_AGENTS_PER_SCRAPE]
    async with redis.pipeline(transaction=False) as p:
        for agent in agents:
            p.hget(keys.agent(agent), "state")
        states = dict(zip(agents, await p.execute(), strict=True))
    for i, queue in enumerate(queues):
        CALLS_WAITING.labels(queue).set(replies[3 * i])
        CONVERSATIONS_WAITING.labels(queue).set(replies[3 * i + 2])
        by_state = Tally(states.get(a) or "unknown" for a in online[queue])
        for state in SHOWN_STATES:
            AGENTS.labels(queue, state).set(by_state.get(state, 0))
    pbxs = sorted(await redis.smembers(keys.pbxs))
    async with redis.pipeline(transaction=False) as p:
        for pbx in pbxs:
            p.hget(keys.pbx(pbx), "state")
        sessions = Tally(await p.execute())
    for state in ("open", "lost", "closed"):
        PBX_SESSIONS.labels(state).set(sessions.get(state, 0))
