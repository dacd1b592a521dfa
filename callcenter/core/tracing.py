"""Traces across the services (docs/operations.md, "Tracing"), with OpenTelemetry.

Every RPC a service serves and every gateway request is a span. Its context travels in the W3C
`traceparent` header: gRPC metadata from the gateway to router, stats and recorder, and from a
PBX to the router (a PBX that sends one finds its trace id in the router's log lines); the HTTP
header from the Ingress or a browser into the gateway. The trace and span ids are bound to the
log context of every line the request writes (`trace_id`, `span_id`).

Spans are exported over OTLP/gRPC when CALLCENTER_OTLP_ENDPOINT names a collector, and only
logged ids otherwise (no exporter, no cost beyond making the ids).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER_NAME = "callcenter"
_configured = False
_tracer_in_use: trace.Tracer | None = None  # made once: get_tracer builds a new one per call


def configure_tracing(service: str, otlp_endpoint: str = "") -> None:
    """Installs the process's tracer provider once (the first service of a process names it;
    `callcenter up` runs all of them under one). With an endpoint, spans are batched to it."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"callcenter-{service}"}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)
    _configured = True


def _tracer() -> trace.Tracer:
    global _tracer_in_use
    if _tracer_in_use is None:
        if not _configured:  # a test or tool that never configured: ids still made, nothing exported
            configure_tracing("process")
        _tracer_in_use = trace.get_tracer(_TRACER_NAME)
    return _tracer_in_use


def _carrier(headers: Iterable[tuple[str, Any]] | Mapping[str, Any] | None) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return {k.lower(): v for k, v in items if isinstance(v, str) and k.lower() in ("traceparent", "tracestate")}


@contextlib.contextmanager
def serving(
    name: str, headers: Iterable[tuple[str, Any]] | Mapping[str, Any] | None, kind: Any = None
) -> Iterator[None]:
    """A server span for one request, continuing the caller's trace when its headers carry a
    valid `traceparent` (a malformed one starts a new trace); its ids bound to the log context."""
    parent = _PROPAGATOR.extract(_carrier(headers))
    token = otel_context.attach(parent)
    try:
        with _tracer().start_as_current_span(name, kind=kind or trace.SpanKind.SERVER) as span:
            _bind_ids(span)
            yield
    finally:
        otel_context.detach(token)


@contextlib.contextmanager
def serving_stream(name: str, headers: Iterable[tuple[str, Any]] | Mapping[str, Any] | None) -> Iterator[None]:
    """As `serving`, for a streaming handler (an async generator): its span is not made the
    current context, since grpc may close the generator from another task, where a context
    attached here could not be detached (OpenTelemetry would log "Failed to detach context").
    The span's ids are still bound to the stream's log lines."""
    span = _tracer().start_span(name, context=_PROPAGATOR.extract(_carrier(headers)), kind=trace.SpanKind.SERVER)
    try:
        _bind_ids(span)
        yield
    finally:
        span.end()


def _bind_ids(span: Any) -> None:
    ids = span.get_span_context()
    structlog.contextvars.bind_contextvars(trace_id=format(ids.trace_id, "032x"), span_id=format(ids.span_id, "016x"))


def outgoing_headers() -> list[tuple[str, str]]:
    """`traceparent` (and `tracestate`) of the current span, for a call this request makes."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return list(carrier.items())
