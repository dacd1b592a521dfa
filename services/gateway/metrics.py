"""The gateway's Prometheus metrics (docs/operations.md, "Metrics"): requests by route pattern,
method and status with their latency, open server-sent-event streams, refused logins. Served on
the ops port (CALLCENTER_OPS_PORT, server.py), never on the public one.

Labels stay bounded whatever clients send: the route is the aiohttp route's pattern
(`/api/v1/agents/{agent_id}`, never the raw path; `other` for a path no route matches), the
method one of the HTTP methods (`other` for anything else)."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from aiohttp import web
from prometheus_client import Counter, Gauge, Histogram

from callcenter.core import metrics

REQUESTS = Counter(
    "callcenter_gateway_requests_total",
    "HTTP requests answered, by route pattern, method and status (499: the client went away first).",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "callcenter_gateway_request_seconds",
    "Time to answer a request, by route pattern (a streamed response: until its headers went out).",
    ["route"],
    buckets=metrics.LATENCY_BUCKETS,
)
SSE_CLIENTS = Gauge(
    "callcenter_gateway_sse_clients", "Server-sent-event streams open (GET /api/v1/events: dashboards following)."
)
LOGIN_FAILURES = Counter(
    "callcenter_gateway_login_failures_total",
    "Logins refused, by reason: wrong_password (or unknown user), throttled (429: too many failures),"
    " busy (503: every password worker taken).",
    ["reason"],
)
LIVE_UNREADABLE = metrics.STREAM_UNREADABLE.labels("gateway_live")

LOGIN_REASONS = ("wrong_password", "throttled", "busy")
for _reason in LOGIN_REASONS:
    LOGIN_FAILURES.labels(_reason)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The status of a request whose client went away before it was answered (nginx's 499).
CLIENT_GONE = 499
_PREPARED = web.RequestKey("metrics_prepared_at", float)


def route_of(request: web.Request) -> str:
    """The pattern of the route that matched (`/api/v1/agents/{agent_id}`), `other` for none."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "other"


def login_failed(reason: str) -> None:
    LOGIN_FAILURES.labels(reason).inc()


def observe(request: web.Request, status: int, started: float) -> None:
    """Counts a request by route, method and status and times it (the access log's middleware
    calls it for every request; a streamed response is timed until its headers went out)."""
    route = route_of(request)
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route).observe(request.get(_PREPARED, time.perf_counter()) - started)


async def prepared(request: web.Request, response: web.StreamResponse) -> None:
    """app.on_response_prepare: when a handler streams its response, the request is answered once
    the headers go out (an event stream lasts as long as its dashboard)."""
    request.setdefault(_PREPARED, time.perf_counter())


def install(app: web.Application, redis: aioredis.Redis) -> None:
    """Notes when streamed responses went out; sets the Redis gauges when Prometheus scrapes."""
    app.on_response_prepare.append(prepared)

    async def refresh() -> None:
        metrics.pool_gauges("gateway", redis)
        await metrics.redis_reachable(redis)

    async def registered(app: web.Application):  # type: ignore[no-untyped-def]
        metrics.refresher("gateway", refresh)
        yield
        metrics.forget_refresher("gateway", refresh)

    app.cleanup_ctx.append(registered)
