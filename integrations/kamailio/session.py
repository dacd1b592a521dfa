"""The PBX session of one Kamailio instance: one bidirectional PbxSession stream, held by one
process (an rtimer process that never returns to Kamailio), with heartbeats every lease/3 and a
resume after any break. No Kamailio here: `Session.events(timeout)` hands the calling thread the
router's messages and what became of the stream (`Status`); the caller acts on them with
Kamailio's functions and logs through Kamailio (only that thread may call into Kamailio)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc

from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.core.event_stream import duration_ms
from callcenter.core.grpc_security import GrpcClientCredentials, sync_channel


@dataclass(frozen=True)
class Status:
    """What happened to the stream: "opened" (with the router's newest sequence) or "broken"."""

    what: str
    detail: str


@dataclass
class Session:
    """Keeps a PBX session open: reconnects with the last handled sequence, so no message is lost
    or repeated; the first hello of a process ends calls a previous Kamailio left open."""

    router_addr: str
    pbx_id: str
    lease_ms: int
    credentials: GrpcClientCredentials | None = None  # what it presents to the router
    handled: int = 0
    opened: bool = False
    _first_hello: bool = True
    _inbox: queue.Queue[object] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pbx-session", daemon=True)
        self._thread.start()

    def events(self, timeout_s: float) -> list[router_pb2.PbxCallEvent | Status]:
        """What arrived since the last call, waiting up to timeout_s for the first."""
        out: list[router_pb2.PbxCallEvent | Status] = []
        try:
            item = self._inbox.get(timeout=timeout_s)
            while True:
                if isinstance(item, router_pb2.PbxCallEvent | Status):
                    out.append(item)
                item = self._inbox.get_nowait()
        except queue.Empty:
            return out

    def mark_handled(self, sequence: int) -> None:
        self.handled = max(self.handled, sequence)

    # The stream (its own thread: gRPC waits release the GIL, the Kamailio side stays responsive)

    def _requests(self, stop: threading.Event) -> Iterator[router_pb2.PbxSessionRequest]:
        hello = router_pb2.PbxHello(
            pbx_id=self.pbx_id,
            lease=duration_ms(self.lease_ms),
            resume_after_sequence=self.handled,
            ring_timer=router_pb2.RING_TIMER_PBX,
            end_open_calls=self._first_hello,
        )
        yield router_pb2.PbxSessionRequest(hello=hello)
        while not stop.wait(self.lease_ms / 3000):
            yield router_pb2.PbxSessionRequest(heartbeat=router_pb2.PbxHeartbeat(handled_sequence=self.handled))

    def _run(self) -> None:
        backoff = 0.05
        while True:
            stop = threading.Event()
            try:
                with sync_channel(self.router_addr, self.credentials) as channel:
                    stub = router_pb2_grpc.RouterServiceStub(channel)
                    for message in stub.PbxSession(self._requests(stop)):
                        kind = message.WhichOneof("message")
                        if kind == "opened":
                            self._first_hello = False
                            self.opened = True
                            backoff = 0.05
                            self._inbox.put(Status("opened", str(message.opened.sequence)))
                        elif kind == "events":
                            for event in message.events.events:
                                self._inbox.put(event)
            except grpc.RpcError as exc:
                code = exc.code() if isinstance(exc, grpc.Call) else None
                if code == grpc.StatusCode.OUT_OF_RANGE:
                    self.handled = 0  # older than the router keeps: start from now
                self._inbox.put(Status("broken", str(code)))
            finally:
                stop.set()
                self.opened = False
            threading.Event().wait(backoff)
            backoff = min(backoff * 2, 1.0)
