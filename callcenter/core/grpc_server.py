"""What every gRPC service of the project shares: the asyncio server with health checking,
reflection and the logging interceptor, started and stopped in one place."""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import grpc
import redis.exceptions
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from callcenter.core import errors, metrics, tracing
from callcenter.core.auth import AccessPolicy, interceptors_for
from callcenter.core.grpc_security import GrpcServerSecurity, check_listening, server_credentials

log = structlog.get_logger(__name__)

# Request fields bound into the log context of every line an RPC writes.
_CONTEXT_FIELDS = ("call_id", "agent_id", "pbx_id")


def _bind_request(method: str, request: object) -> None:
    structlog.contextvars.clear_contextvars()
    values = {"rpc": method.rsplit("/", 1)[-1]}
    for name in _CONTEXT_FIELDS:
        value = getattr(request, name, "")
        if isinstance(value, str) and value:
            values[name] = value
    structlog.contextvars.bind_contextvars(**values)


# The four kinds of handler: its attribute, its factory, whether the request is a stream
# (then its ids arrive inside it, and the handler binds them when it reads them) and whether
# the response is one.
_KINDS = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler, False, False),
    ("unary_stream", grpc.unary_stream_rpc_method_handler, False, True),
    ("stream_unary", grpc.stream_unary_rpc_method_handler, True, False),
    ("stream_stream", grpc.stream_stream_rpc_method_handler, True, True),
)


class LogContextInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc, unused-ignore]
    """Binds the RPC name and the request's call_id/agent_id/pbx_id to the log context and
    writes one access line per RPC (debug level; failures at info)."""

    async def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        for attr, factory, streamed_request, streamed_response in _KINDS:
            inner = getattr(handler, attr)
            if inner is None:
                continue
            wrapped = (
                _streaming_access(method, inner, streamed_request)
                if streamed_response
                else (_unary_access(method, inner, streamed_request))
            )
            return factory(
                wrapped,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


def _unary_access(method: str, inner: Any, streamed_request: bool) -> Any:
    async def wrapped(request: Any, context: Any) -> Any:
        _bind_request(method, None if streamed_request else request)
        started = time.perf_counter()
        try:
            with tracing.serving(method.lstrip("/"), context.invocation_metadata()):
                try:
                    return await inner(request, context)
                finally:
                    _access_line(method, context, started)
        finally:
            structlog.contextvars.clear_contextvars()

    return wrapped


def _streaming_access(method: str, inner: Any, streamed_request: bool) -> Any:
    async def wrapped(request: Any, context: Any) -> AsyncIterator[Any]:
        _bind_request(method, None if streamed_request else request)
        started = time.perf_counter()
        try:
            with tracing.serving_stream(method.lstrip("/"), context.invocation_metadata()):
                try:
                    async for response in inner(request, context):
                        yield response
                finally:
                    _access_line(method, context, started)
        finally:
            structlog.contextvars.clear_contextvars()

    return wrapped


_STATUS: tuple[tuple[type[errors.DomainError], grpc.StatusCode], ...] = (
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Aborted, grpc.StatusCode.ABORTED),
    (errors.OutOfRange, grpc.StatusCode.OUT_OF_RANGE),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.DataLoss, grpc.StatusCode.DATA_LOSS),
)


def status_for(exc: errors.DomainError) -> grpc.StatusCode:
    """The gRPC status of a domain refusal: the one place that maps them."""
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION  # a refusal of a kind not listed: still not INTERNAL


# The longest status message a refusal carries (characters). It travels percent-encoded in a
# header, and a client drops header blocks beyond 8-16 KiB: a message echoing a 70,000-character
# id reached the caller as RESOURCE_EXHAUSTED "Stream removed" instead of the refusal. 600
# characters stay under 8 KiB encoded, even of 4-byte UTF-8 characters.
MAX_DETAILS = 600


def bounded_details(message: str) -> str:
    """A status message cut to MAX_DETAILS characters (marked as cut)."""
    if len(message) <= MAX_DETAILS:
        return message
    return message[: MAX_DETAILS - 30] + f"… ({len(message)} characters)"


async def _abort_for(exc: BaseException, context: grpc.aio.ServicerContext, store: str, storage_errors: bool) -> None:
    if isinstance(exc, errors.DomainError):
        await context.abort(status_for(exc), bounded_details(str(exc)))
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        log.warning("redis.unavailable", error=str(exc))
        await context.abort(grpc.StatusCode.UNAVAILABLE, f"{store} is unreachable; retry")
    if storage_errors and isinstance(exc, OSError):
        log.error("storage.failed", error=str(exc))  # what was committed is kept
        await context.abort(grpc.StatusCode.UNAVAILABLE, bounded_details(f"the storage failed ({exc}); retry"))
    raise exc


_HANDLED = (errors.DomainError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def domain_errors(store: str, storage_errors: bool = False) -> Callable[[Any], Any]:
    """The decorator every servicer's handlers wear, unary and streaming alike: a domain
    refusal becomes its gRPC status (status_for) with its message; a Redis outage becomes
    UNAVAILABLE ("<store> is unreachable; retry"); with storage_errors, so does a failing disk."""

    def decorate(handler: Any) -> Any:
        if inspect.isasyncgenfunction(handler):

            @functools.wraps(handler)
            async def streaming(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
                try:
                    async for response in handler(self, request, context):
                        yield response
                except _HANDLED as exc:
                    await _abort_for(exc, context, store, storage_errors)

            return streaming

        @functools.wraps(handler)
        async def wrapper(self: Any, request: Any, context: Any) -> Any:
            try:
                return await handler(self, request, context)
            except _HANDLED as exc:
                await _abort_for(exc, context, store, storage_errors)

        return wrapper

    return decorate


def _access_line(method: str, context: grpc.aio.ServicerContext, started: float) -> None:
    code = context.code()
    name = code.name if isinstance(code, grpc.StatusCode) else "OK"
    failure = sys.exc_info()[1]  # set while the handler's exception propagates through `finally`
    if name == "OK" and isinstance(failure, asyncio.CancelledError | GeneratorExit):
        # grpc cancels the handler when the caller cancels or its deadline passes
        remaining = context.time_remaining()
        name = "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
    elif name == "OK" and failure is not None:
        name = "UNKNOWN"  # grpc answers an unexpected exception with UNKNOWN
        log.error("rpc.crashed", error=repr(failure)[:500])
    elapsed_s = time.perf_counter() - started
    service, _, name_of_method = method.lstrip("/").partition("/")
    metrics.GRPC_HANDLED.labels(service, name_of_method, name).inc()
    metrics.GRPC_HANDLING.labels(service, name_of_method).observe(elapsed_s)
    elapsed_ms = round(elapsed_s * 1000, 2)
    if name == "OK":
        log.debug("rpc.done", code=name, ms=elapsed_ms)
    else:
        log.info("rpc.failed", code=name, ms=elapsed_ms, details=context.details())


class PortTaken(RuntimeError):
    """The address to listen on is taken."""


class GrpcServer:
    """A grpc.aio server with the standard health service and reflection turned on."""

    def __init__(
        self,
        service_names: Iterable[str],
        register: Callable[[grpc.aio.Server], None],
        security: GrpcServerSecurity | None = None,
        policies: Iterable[AccessPolicy] = (),
    ) -> None:
        """`security`: TLS and the callers file (docs/security.md); `policies`: which roles may
        call each RPC of the services registered."""
        self.service_names = list(service_names)
        self.security = security or GrpcServerSecurity()
        # No SO_REUSEPORT: a second process on a taken port must fail, not share it (grpcio's
        # default would split the calls between two systems). The caller check runs inside
        # the logging interceptor (a refusal is logged like any answer).
        self.server = grpc.aio.server(
            interceptors=[LogContextInterceptor(), *interceptors_for(self.security, *policies)],
            options=[("grpc.so_reuseport", 0)],
        )
        register(self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self.service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )
        self.port = 0
        self.serving = False  # what the health service says: SERVING between start and stop

    async def start(self, host: str, port: int) -> int:
        """Binds host:port (0 picks a free port), starts serving, marks every service SERVING.
        Off loopback it refuses to serve without TLS and authentication (ConfigError), unless
        the security settings allow it."""
        check_listening(host, self.security)
        credentials = server_credentials(self.security)
        address = f"{host}:{port}"
        try:
            if credentials is None:
                self.port = self.server.add_insecure_port(address)
            else:
                self.port = self.server.add_secure_port(address, credentials)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise PortTaken(f"could not bind {host}:{port}: the port is taken (another service runs there?)")
        await self.server.start()
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.serving = True
        return self.port

    async def stop(self, grace_s: float) -> None:
        """Reports NOT_SERVING so load balancers stop sending work, then lets RPCs finish."""
        self.serving = False
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_s)
