"""The webhooks service's Prometheus metrics (docs/operations.md, "Metrics"). The dispatcher and
the sender move the counters in the replica that did the work; what is in Redis (deliveries
queued, dead letters, the group's lag) is read when Prometheus scrapes (`refresh`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

from callcenter.core import consumer_lag, metrics

if TYPE_CHECKING:
    from callcenter.services.webhooks.server import WebhooksService

EVENTS_QUEUED = Counter(
    "callcenter_webhooks_events_queued_total", "Events of the stream this replica queued deliveries for (each once)."
)
EVENTS_DUPLICATE = Counter(
    "callcenter_webhooks_events_duplicate_total",
    "Redelivered events this replica recognised as queued already (nothing queued again).",
)
EVENTS_RECLAIMED = Counter(
    "callcenter_webhooks_events_reclaimed_total", "Events this replica took over from a consumer that did not ack them."
)
EVENTS_DEAD_LETTERED = Counter(
    "callcenter_webhooks_events_dead_lettered_total", "Events this replica could not read or queue (skipped, kept)."
)
DELIVERIES = Counter(
    "callcenter_webhooks_deliveries_total",
    "Delivery outcomes: delivered, retrying (an attempt failed), dead (given up), overflowed (queue full), stale"
    " (an answer after the lease ran out).",
    ["outcome"],
)
CRM_EVENTS = Counter(
    "callcenter_webhooks_crm_events_total",
    "CRM events in (SubmitCrmEvents) by kind (client, lead, invoice, payment; none: without a change) and outcome"
    " (accepted, duplicate, refused).",
    ["kind", "outcome"],
)
ATTEMPTS = Counter("callcenter_webhooks_attempts_total", "Delivery attempts this replica sent.")
ATTEMPT_SECONDS = Histogram(
    "callcenter_webhooks_attempt_seconds",
    "How long a delivery attempt took, until the answer or the error.",
    buckets=metrics.LATENCY_BUCKETS,
)
QUEUED = Gauge(
    "callcenter_webhooks_queued_deliveries", "Deliveries queued and not delivered or dead yet (all subscriptions)."
)
DEAD_LETTERS = Gauge("callcenter_webhooks_dead_letter_deliveries", "Dead letters kept (all subscriptions).")
SUBSCRIPTIONS = Gauge("callcenter_webhooks_subscriptions", "Subscriptions of the site.")
CONSUMER_LAG = Gauge(
    "callcenter_webhooks_consumer_lag_seconds",
    "Age by the Redis clock of the group's oldest event not acknowledged (pending or undelivered); 0 caught up.",
)
UNREADABLE = metrics.STREAM_UNREADABLE.labels("webhooks_dispatcher")


async def refresh(service: WebhooksService) -> None:
    """Sets the gauges from Redis."""
    redis, dispatcher = service.redis, service.dispatcher
    metrics.pool_gauges("webhooks", redis)
    if not await metrics.redis_reachable(redis):
        return
    subs = await service.subscriptions.all()
    SUBSCRIPTIONS.set(len(subs))
    QUEUED.set(sum(s.queued for s in subs))
    DEAD_LETTERS.set(sum(s.dead_letters for s in subs))
    reader = dispatcher.redis
    now_ms = await consumer_lag.redis_now_ms(reader, dispatcher.stream)
    lags = await consumer_lag.group_lags(reader, dispatcher.stream, groups=[dispatcher.group])
    CONSUMER_LAG.set(lags[0].lag_ms(now_ms) / 1000 if lags else 0)
