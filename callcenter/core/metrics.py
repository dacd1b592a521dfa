"""Prometheus metrics every service shares (docs/operations.md, "Metrics").

The `prometheus-client` library (the Prometheus project's own; simpler than OpenTelemetry's
metrics SDK with a Prometheus exporter, and it is what Prometheus scrapes natively) holds them
in its default registry, so `callcenter up`, which runs every service in one process, exposes
them all on one port. Names follow the Prometheus conventions: a `callcenter_` prefix, the unit
in the name (`_seconds`, `_bytes`), `_total` for counters; label values come from bounded sets
(RPC names, status codes, event types, queue names an admin configured), never call or agent
ids.

Figures that live in Redis (agents by state, calls waiting, stream lag) are read when
Prometheus scrapes: a service registers an async `refresher` that sets its gauges, and the ops
server (callcenter/core/ops_server.py) awaits them all before it renders the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.registry import REGISTRY

log = structlog.get_logger(__name__)

#: Buckets of RPC and request latencies (seconds): 1 ms to 10 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Buckets of timer lateness (seconds): the target is 50 ms at p99.
LATENESS_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0)

# gRPC servers (the names of go-grpc-prometheus, so existing dashboards fit) ------------------
GRPC_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, by service, method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_HANDLING = Histogram(
    "grpc_server_handling_seconds",
    "Time the server took to answer an RPC (a stream: until it ended).",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
)

# Redis ------------------------------------------------------------------------------------
REDIS_POOL_IN_USE = Gauge(
    "callcenter_redis_pool_connections_in_use", "Connections of a Redis pool taken by a request.", ["pool"]
)
REDIS_POOL_SIZE = Gauge("callcenter_redis_pool_connections", "Connections a Redis pool holds open.", ["pool"])
REDIS_POOL_MAX = Gauge("callcenter_redis_pool_max_connections", "The most connections a Redis pool opens.", ["pool"])
REDIS_UP = Gauge("callcenter_redis_up", "1 when the last scrape's ping reached Redis, else 0.")

# Event streams ------------------------------------------------------------------------------
STREAM_UNREADABLE = Counter(
    "callcenter_stream_entries_skipped_total",
    "Stream entries a reader could not read and skipped (counted, never fatal).",
    ["reader"],
)

Refresher = Callable[[], Awaitable[None]]
_refreshers: dict[str, Refresher] = {}


def refresher(name: str, refresh: Refresher) -> None:
    """Registers `refresh` (sets gauges from Redis) to run before each scrape; a later one of
    the same name replaces it (a restarted service in the same process)."""
    _refreshers[name] = refresh


def forget_refresher(name: str, refresh: Refresher | None = None) -> None:
    """Drops the refresher of that name (only if it is still `refresh`, when given: a stopped
    service never drops the one a newer service of the same name registered)."""
    if refresh is None or _refreshers.get(name) == refresh:  # (bound methods of one object are equal)
        _refreshers.pop(name, None)


async def render(registry: CollectorRegistry = REGISTRY, timeout_s: float = 2.0) -> bytes:
    """The exposition text after every refresher ran (each within `timeout_s`; one that fails
    or is late keeps its gauges' previous values and is logged)."""

    async def run(name: str, refresh: Refresher) -> None:
        try:
            await asyncio.wait_for(refresh(), timeout_s)
        except Exception as exc:  # noqa: BLE001 - a scrape must answer whatever one source does
            log.warning("metrics.refresh_failed", source=name, error=str(exc) or type(exc).__name__)

    await asyncio.gather(*(run(name, refresh) for name, refresh in list(_refreshers.items())))
    return generate_latest(registry)


async def redis_reachable(redis: Any, timeout_s: float = 1.0) -> bool:
    """PINGs Redis and sets `callcenter_redis_up` (1 answered within `timeout_s`, else 0). A
    refresher calls it first and reads nothing more from a Redis that did not answer."""
    try:
        await asyncio.wait_for(redis.ping(), timeout_s)
    except Exception:  # noqa: BLE001 - whatever the failure, Redis is not usable now
        REDIS_UP.set(0)
        return False
    REDIS_UP.set(1)
    return True


def pool_gauges(pool_name: str, redis: object) -> None:
    """Sets the pool gauges of a redis-py client's connection pool (asyncio or not)."""
    pool = getattr(redis, "connection_pool", None)
    if pool is None:  # a cluster client: its nodes have pools of their own
        return
    in_use = len(getattr(pool, "_in_use_connections", ()))
    available = len(getattr(pool, "_available_connections", ()))
    REDIS_POOL_IN_USE.labels(pool_name).set(in_use)
    REDIS_POOL_SIZE.labels(pool_name).set(in_use + available)
    REDIS_POOL_MAX.labels(pool_name).set(getattr(pool, "max_connections", 0) or 0)
