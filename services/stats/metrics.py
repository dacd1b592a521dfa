"""The stats service's Prometheus metrics (docs/operations.md, "Metrics"). The consumer moves
the counters as it applies each batch, in the replica that applied it; what is in Redis (the
event stream, the group's pending entries and lag, the dead-letter stream, the open
conversations of the conversations' board) is read when Prometheus scrapes (`refresh`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from callcenter.api.events.v1 import events_pb2
from callcenter.core import consumer_lag, metrics
from callcenter.services.stats.conversation_board import OPEN_STATES

if TYPE_CHECKING:
    from callcenter.services.stats.server import StatsService

APPLIED = Counter(
    "callcenter_stats_events_applied_total",
    "Events this replica's consumer applied (each event once in all), by type.",
    ["type"],
)
#: The `type` values of APPLIED: the event types of the contract (events.proto's EventType, without
#: its prefix), `other` for anything else in the stream (a bounded set whatever is written there).
EVENT_TYPES = frozenset(name.removeprefix("EVENT_TYPE_") for name in events_pb2.EventType.keys()) - {"UNSPECIFIED"}


def applied(event_type: str | None) -> None:
    """Counts one event applied, by its type as the stream entry names it."""
    APPLIED.labels(event_type if event_type in EVENT_TYPES else "other").inc()


DUPLICATES = Counter(
    "callcenter_stats_events_duplicate_total",
    "Redelivered events this replica recognised as applied already (no effect: exactly once).",
)
RECLAIMED = Counter(
    "callcenter_stats_events_reclaimed_total",
    "Events this replica took over, unacknowledged past CALLCENTER_STATS_CLAIM_IDLE_MS (a dead consumer's, or its"
    " own failed ones: XAUTOCLAIM).",
)
DEAD_LETTERED = Counter(
    "callcenter_stats_dead_letters_total",
    "Events this replica gave up on into the dead-letter stream (unreadable, or failing every delivery).",
)
EVENT_STREAM_LENGTH = Gauge("callcenter_event_stream_length", "Entries in the tenant's event stream (XLEN).")
CONSUMER_PENDING = Gauge(
    "callcenter_stats_consumer_pending", "Events delivered to the stats consumer group and not acknowledged yet."
)
CONSUMER_LAG = Gauge(
    "callcenter_stats_consumer_lag_seconds",
    "Age by the Redis clock of the group's oldest event not acknowledged (pending or undelivered); 0 caught up.",
)
BOARD_WATCHERS = Gauge("callcenter_stats_board_watchers", "WatchBoard streams open on this replica.")
CONVERSATIONS_OPEN = Gauge(
    "callcenter_stats_conversations_open",
    "Open conversations of a queue by state (new, taken, unanswered, answered), as the conversations' board counts.",
    ["queue", "state"],
)
CONVERSATIONS_OVERDUE = Gauge(
    "callcenter_stats_conversations_overdue",
    "Open conversations of a queue past their reply deadline (first_response or reply) and not replied to since.",
    ["queue"],
)
#: The most open conversations a scrape reads (the oldest: a bigger site's newest are left out).
MAX_CONVERSATIONS_PER_SCRAPE = 10_000
UNREADABLE = metrics.STREAM_UNREADABLE.labels("stats_consumer")
WATCH_UNREADABLE = metrics.STREAM_UNREADABLE.labels("stats_board_watch")


class _DeadLetters(Collector):
    """`callcenter_stats_dead_letters`: the dead-letter stream's length. A collector of its own:
    prometheus-client reserves the name for the family of the counter
    `callcenter_stats_dead_letters_total` and refuses a Gauge of it, though the exposition text
    keeps the two apart (its `describe` names nothing, so the registry checks no name)."""

    def __init__(self) -> None:
        self.value = 0.0

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "callcenter_stats_dead_letters",
            "Entries in the dead-letter stream: events the stats could not apply, kept until an operator removes them.",
            value=self.value,
        )


DEAD_LETTERS = _DeadLetters()
REGISTRY.register(DEAD_LETTERS)


async def refresh(service: StatsService) -> None:
    """Sets the gauges from Redis (the event stream's length, the group's pending events and
    lag, the dead letters, each queue's open and overdue conversations) and from the replica
    (WatchBoard streams, the pools' use)."""
    BOARD_WATCHERS.set(service.board_watch.watchers)
    redis, consumer = service.redis, service.consumer
    metrics.pool_gauges("stats", redis)
    metrics.pool_gauges("stats-consumer", consumer.redis)
    if not await metrics.redis_reachable(redis):
        return
    # The consumer's client reads entries that are not UTF-8 (the lag reads the first
    # undelivered one); it holds a connection more than its blocking read needs.
    reader = consumer.redis
    now_ms = await consumer_lag.redis_now_ms(reader, consumer.stream)
    lags = await consumer_lag.group_lags(reader, consumer.stream, groups=[consumer.group])
    lag = lags[0] if lags else None
    async with redis.pipeline(transaction=False) as p:
        p.xlen(consumer.stream)
        p.xlen(consumer.keys.dead_letters)
        length, dead = await p.execute()
    EVENT_STREAM_LENGTH.set(length)
    DEAD_LETTERS.value = float(dead)
    CONSUMER_PENDING.set(lag.pending if lag else 0)
    CONSUMER_LAG.set(lag.lag_ms(now_ms) / 1000 if lag else 0)
    by_queue = await service.stats.conversation_board_reader.by_queue(MAX_CONVERSATIONS_PER_SCRAPE)
    for queue, counts in by_queue.items():
        for state in OPEN_STATES:
            CONVERSATIONS_OPEN.labels(queue, state).set(getattr(counts, state))
        CONVERSATIONS_OVERDUE.labels(queue).set(counts.overdue)
