"""Connections the gateway will not hold for ever: a cap on open connections, and a deadline
for sending a request's headers.

aiohttp has no header-read timeout: its RequestHandler only closes a connection that waits
for a request longer than `keepalive_timeout`, and bytes of a request that never completes
keep nothing from waiting (a client that sends half a request line holds its connection, and
a slot of the process, until that timeout: an hour by default). So each connection's
protocol is wrapped (`GuardedProtocol`, a plain asyncio protocol in front of aiohttp's, built
by `GuardedSite`):

- When the connection opens, and at the first byte of each later request, a deadline of
  `header_timeout_s` starts; the first middleware of the app (`middleware`, which sees a
  request only once aiohttp has parsed its whole header) stops it. At the deadline the
  connection is aborted.
- While a request is being handled nothing is timed here (a stream may last hours); between
  requests aiohttp's keep-alive timeout (`idle_timeout_s`, passed to the AppRunner) closes an
  idle connection.
- One connection beyond `connections` open is answered 503 at once and closed, before
  aiohttp sees it.

Everything here is asyncio's public protocol API (a transport's `get_protocol()` is the
wrapper), so it does not depend on aiohttp's internals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)

_FULL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)


class ConnectionGuard:
    """The deadlines and the count of one server's connections."""

    def __init__(self, max_connections: int, header_timeout_s: float) -> None:
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.open = 0  # connections open now
        self.timed_out = 0  # connections closed at the header deadline, since start
        self.refused = 0  # connections refused because `max_connections` were open

    def protocol(self, inner: asyncio.Protocol) -> GuardedProtocol:
        return GuardedProtocol(self, inner)

    def refusal(self) -> bytes:
        body = (
            b'{"error":"the gateway has %d connections open, the most it serves'
            b' (CALLCENTER_GATEWAY_MAX_CONNECTIONS); retry later"}' % self.max_connections
        )
        return _FULL % (len(body), body)


class GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the guard's deadline and count."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self.handling = 0  # requests in the app's middleware now
        self._deadline: asyncio.TimerHandle | None = None
        self._on_lost: list[Callable[[], None]] = []

    # The guard's side --------------------------------------------------------------------

    def _arm(self) -> None:
        if self._deadline is None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self.guard.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        if self.handling or self.transport.get_write_buffer_size():
            # Still answering the last request (a response aiohttp writes after the app
            # returned it): the next one's header is read once that is done.
            self._arm()
            return
        self.guard.timed_out += 1
        log.info(
            "gateway.header_timeout",
            peer=str(self.transport.get_extra_info("peername")),
            timeout_s=self.guard.header_timeout_s,
            timed_out=self.guard.timed_out,
        )
        self.transport.abort()

    def request_started(self) -> None:
        """The app got a request: its whole header has arrived."""
        self._disarm()
        self.handling += 1

    def request_ended(self) -> None:
        self.handling -= 1

    def on_lost(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Calls callback once when the connection is lost; returns what cancels that."""
        self._on_lost.append(callback)
        return lambda: self._on_lost.remove(callback) if callback in self._on_lost else None

    # asyncio's side ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.guard.open >= self.guard.max_connections:
            self.guard.refused += 1
            if self.guard.refused == 1 or self.guard.refused % 1000 == 0:
                log.warning("gateway.connections_full", open=self.guard.open, refused=self.guard.refused)
            transport.write(self.guard.refusal())
            transport.close()
            return
        self.admitted = True
        self.guard.open += 1
        self._arm()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if not self.handling:
            self._arm()  # the first byte of a request: its header has header_timeout_s to arrive
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.admitted:
            self.admitted = False
            self.guard.open -= 1
            self.inner.connection_lost(exc)
        callbacks, self._on_lost = self._on_lost, []
        for callback in callbacks:
            callback()

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()


def guarded(request: web.Request) -> GuardedProtocol | None:
    """The guard's protocol of the request's connection (None on a server without a guard,
    such as the tests' TestServer, or once the connection is gone)."""
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, GuardedProtocol) else None


def on_connection_lost(request: web.Request, callback: Callable[[], None]) -> Callable[[], None]:
    """Calls callback when the request's client goes away (aiohttp tells a handler only when it
    next writes: a quiet event stream would hold its place until its next keepalive). Returns
    what cancels that; without a guard, nothing is called."""
    protocol = guarded(request)
    return protocol.on_lost(callback) if protocol is not None else lambda: None


@web.middleware
async def middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Tells the connection's guard that a request arrived whole, and when it is handled."""
    protocol = guarded(request)
    if protocol is None:
        return await handler(request)
    protocol.request_started()
    try:
        return await handler(request)
    finally:
        protocol.request_ended()


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through the guard (aiohttp's TCPSite, minus what the
    gateway does not use, plus the wrapper). No SO_REUSEPORT: a port taken is an error."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard) -> None:
        super().__init__(runner)
        self.host = host
        self.requested_port = port
        self.guard = guard
        self.bound_port = 0

    @property
    def name(self) -> str:
        return f"http://{self.host}:{self.bound_port or self.requested_port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        listening = await loop.create_server(
            lambda: self.guard.protocol(server()), self.host, self.requested_port, reuse_port=False
        )
        self._server = listening
        self.bound_port = listening.sockets[0].getsockname()[1]
