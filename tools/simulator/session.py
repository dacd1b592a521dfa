"""The virtual PBX's session with the router (PBX contract v2, docs/pbx-integration.md).

One `PbxSession` stream carries every change of every call the PBX routed with its pbx_id.
`PbxSessionLink` opens it (hello: pbx id, lease, resume point, who runs the ring timer),
renews the lease with a heartbeat every third of it, hands each event to a callback in
sequence order, and keeps the link alive: when the stream breaks (the replica stops, the
network blips) it backs off and reopens, on whichever replica the channel reaches, resuming
after the last sequence it handled, so nothing is lost or repeated. When the router refuses
the resume point (OUT_OF_RANGE) or the session's lease lapsed (FAILED_PRECONDITION), it
opens a fresh session (from now, ending whatever the router still holds open for this PBX)
and lets the simulation treat the calls it had in progress as lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import structlog
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc

log = structlog.get_logger(__name__)

# Refusals that no reconnect cures: an old router (no PbxSession), a malformed hello.
_FATAL = {
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
}
# The router no longer has what the PBX would resume: open fresh, the open calls are lost.
_FRESH = {grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.FAILED_PRECONDITION}


@dataclass
class SessionStats:
    """What the link did; every figure counts since the start of the run."""

    sessions: int = 0  # sessions opened (the first one, then one per reconnect)
    reconnects: int = 0  # reopened after the stream broke or ended
    resumed: int = 0  # ... of which continued after the last handled sequence
    fresh: int = 0  # ... of which started from now (resume refused or lease lapsed)
    messages: int = 0  # messages received on the stream (opened + events)
    events: int = 0  # call events handed to the simulation
    heartbeats: int = 0
    gaps: int = 0  # sequences skipped on a resumed stream (must stay 0)
    repeats: int = 0  # sequences received again and dropped (must stay 0)
    breaks: dict[str, int] = field(default_factory=dict)  # why streams ended, by status code


class PbxSessionLink:
    """Keeps one PBX's session open. `on_event` gets each PbxCallEvent exactly once, in
    sequence order; `on_fresh` runs after a fresh session replaced one whose messages were
    lost (before any event of the new one)."""

    def __init__(
        self,
        stub: router_pb2_grpc.RouterServiceStub,
        pbx_id: str,
        *,
        lease_s: float = 10.0,
        ring_timer: int = pb.RING_TIMER_PBX,
        on_event: Callable[[pb.PbxCallEvent], None],
        on_fresh: Callable[[], Awaitable[None]] | None = None,
        keep_sequences: bool = False,
        end_open_calls_at_start: bool = True,
        backoff_s: tuple[float, float] = (0.05, 1.0),
    ) -> None:
        self.stub, self.pbx_id = stub, pbx_id
        self.lease_s, self.ring_timer = lease_s, ring_timer
        self.on_event, self.on_fresh = on_event, on_fresh
        self.backoff_s = backoff_s
        self.end_open_calls_at_start = end_open_calls_at_start
        self.stats = SessionStats()
        # The last sequence handled (the resume point and the heartbeat's handled_sequence).
        self.handled = 0
        # Every sequence received, in order (bounded runs only: tests check it is contiguous).
        self.sequences: list[int] | None = [] if keep_sequences else None
        self.opened: pb.PbxSessionOpened | None = None
        self.error: grpc.aio.AioRpcError | None = None  # a fatal refusal; the link gave up
        self._open = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = False
        self._call: grpc.aio.StreamStreamCall | None = None
        self._task: asyncio.Task | None = None
        self._down_since: float | None = None

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def start(self, timeout_s: float = 10.0) -> pb.PbxSessionOpened:
        """Opens the first session; raises the router's refusal (an AioRpcError) if it has
        none to give, or TimeoutError."""
        self._task = asyncio.create_task(self._run(), name=f"pbx-session-{self.pbx_id}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self._open.is_set():
            if self.error is not None:
                raise self.error
            if self._task.done():
                self._task.result()
                raise RuntimeError("the PBX session ended before it opened")
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no PBX session within {timeout_s} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        assert self.opened is not None
        return self.opened

    async def wait_open(self, timeout_s: float) -> bool:
        """Until the session is open (False after timeout_s, or when the link gave up)."""
        if self._open.is_set():
            return True
        if self.error is not None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._open.wait(), timeout_s)
        return self._open.is_set()

    async def close(self) -> None:
        """Ends the stream (the router keeps the session until its lease lapses; it has no
        open calls by then)."""
        self._closing = True
        if self._call is not None:
            self._call.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._open.clear()

    # The link ------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.backoff_s[0]
        first, fresh = True, False
        while not self._closing:
            opened_before = self.stats.sessions
            lost_position = False
            try:
                await self._one_stream(first=first, fresh=fresh)
                code = "OK"  # the router ended the stream (e.g. shutting down): reopen
            except grpc.aio.AioRpcError as exc:
                if self._closing:
                    return
                code = exc.code().name
                if exc.code() in _FATAL:
                    log.error("simulator.pbx_session_refused", pbx_id=self.pbx_id, code=code, details=exc.details())
                    self.error = exc
                    return
                lost_position = exc.code() in _FRESH
                log.warning(
                    "simulator.pbx_session_broken",
                    pbx_id=self.pbx_id,
                    code=code,
                    details=exc.details(),
                    handled=self.handled,
                    reopen="fresh" if lost_position or fresh else "resume",
                )
            finally:
                self._open.clear()
                self._changed.set()
                self._call = None
            if self._closing:
                return
            self.stats.breaks[code] = self.stats.breaks.get(code, 0) + 1
            if self.stats.sessions > opened_before:  # it had opened: reconnect soon
                first, fresh = False, False
                delay = self.backoff_s[0]
                self._down_since = time.monotonic()
            # Once the router refused the resume point, every retry opens fresh until one opens.
            fresh = fresh or lost_position
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_s[1])

    async def _one_stream(self, *, first: bool, fresh: bool) -> None:
        lease = duration_pb2.Duration()
        lease.FromMilliseconds(round(self.lease_s * 1000))
        resume = 0 if first or fresh else self.handled
        hello = pb.PbxHello(
            pbx_id=self.pbx_id,
            lease=lease,
            resume_after_sequence=resume,
            ring_timer=self.ring_timer,
            # A PBX that (re)starts from scratch has lost whatever calls the router still
            # holds for its id: the router ends them now rather than at the lease's lapse.
            end_open_calls=(first and self.end_open_calls_at_start) or fresh,
        )
        # A reconnect waits for the channel to reach a replica rather than failing at once.
        call = self.stub.PbxSession(wait_for_ready=None if first else True)
        self._call = call
        await call.write(pb.PbxSessionRequest(hello=hello))
        response = await call.read()
        if response is grpc.aio.EOF:
            return
        if response.WhichOneof("message") != "opened":
            raise RuntimeError(f"PbxSession answered the hello with {response.WhichOneof('message')}")
        self.opened = response.opened
        self.stats.messages += 1
        self.stats.sessions += 1
        if not first:
            self.stats.reconnects += 1
            if fresh:
                self.stats.fresh += 1
            else:
                self.stats.resumed += 1
        if resume == 0:
            self.handled = response.opened.sequence  # events from now on
        log.info(
            "simulator.pbx_session_opened",
            pbx_id=self.pbx_id,
            sequence=response.opened.sequence,
            resume_after=resume,
            open_calls=response.opened.open_calls,
            down_s=None if self._down_since is None else round(time.monotonic() - self._down_since, 3),
        )
        self._down_since = None
        beats = asyncio.create_task(self._heartbeats(call), name=f"pbx-heartbeat-{self.pbx_id}")
        try:
            if fresh and self.on_fresh is not None:
                await self.on_fresh()
            self._open.set()
            self._changed.set()
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    return
                if response.WhichOneof("message") == "events":
                    self.stats.messages += len(response.events.events)
                    for event in response.events.events:
                        self._handle(event)
        finally:
            beats.cancel()
            with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError, grpc.aio.UsageError):
                await beats

    async def _heartbeats(self, call: grpc.aio.StreamStreamCall) -> None:
        every = self.lease_s / 3
        with contextlib.suppress(grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
            while True:
                await asyncio.sleep(every)
                await call.write(pb.PbxSessionRequest(heartbeat=pb.PbxHeartbeat(handled_sequence=self.handled)))
                self.stats.heartbeats += 1

    def _handle(self, event: pb.PbxCallEvent) -> None:
        sequence = event.sequence
        if sequence <= self.handled:
            self.stats.repeats += 1
            log.warning("simulator.pbx_sequence_repeated", pbx_id=self.pbx_id, sequence=sequence, handled=self.handled)
            return
        if sequence != self.handled + 1:
            self.stats.gaps += 1
            log.warning("simulator.pbx_sequence_gap", pbx_id=self.pbx_id, sequence=sequence, handled=self.handled)
        if self.sequences is not None:
            self.sequences.append(sequence)
        self.stats.events += 1
        try:
            self.on_event(event)
        except Exception:  # a bug in handling one event must not take the PBX's link down
            log.exception("simulator.pbx_event_failed", pbx_id=self.pbx_id, sequence=sequence)
        self.handled = sequence
