"""A PBX's side of a session, for tests: opens PbxSession, sends heartbeats, collects messages."""

from __future__ import annotations

import asyncio
import contextlib

import grpc
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb


class PbxClient:
    def __init__(
        self,
        stub,
        pbx_id: str,
        *,
        lease_ms: int = 2000,
        resume_after: int = 0,
        ring_timer: int = pb.RING_TIMER_ROUTER,
        heartbeat_s: float | None = None,
        end_open_calls: bool = False,
    ) -> None:
        self.stub, self.pbx_id = stub, pbx_id
        self.lease_ms, self.resume_after, self.ring_timer = lease_ms, resume_after, ring_timer
        self.heartbeat_s = lease_ms / 3000 if heartbeat_s is None else heartbeat_s
        self.end_open_calls = end_open_calls
        self.opened: pb.PbxSessionOpened | None = None
        self.events: list[pb.PbxCallEvent] = []
        self.error: grpc.aio.AioRpcError | None = None
        self.beating = True
        self._new = asyncio.Condition()
        self._call = None
        self._task: asyncio.Task | None = None

    async def _requests(self):
        lease = duration_pb2.Duration()
        lease.FromMilliseconds(self.lease_ms)
        yield pb.PbxSessionRequest(
            hello=pb.PbxHello(
                pbx_id=self.pbx_id,
                lease=lease,
                resume_after_sequence=self.resume_after,
                ring_timer=self.ring_timer,
                end_open_calls=self.end_open_calls,
            )
        )
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if self.beating:
                handled = self.events[-1].sequence if self.events else 0
                yield pb.PbxSessionRequest(heartbeat=pb.PbxHeartbeat(handled_sequence=handled))

    async def _run(self) -> None:
        self._call = self.stub.PbxSession(self._requests())
        try:
            async for response in self._call:
                async with self._new:
                    if response.WhichOneof("message") == "opened":
                        self.opened = response.opened
                    else:
                        self.events.extend(response.events.events)
                    self._new.notify_all()
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                self.error = exc
        async with self._new:
            self._new.notify_all()

    async def __aenter__(self) -> PbxClient:
        self._task = asyncio.create_task(self._run())
        await self.wait_for(lambda: self.opened is not None or self.error is not None)
        if self.error is not None:
            raise self.error
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self._call is not None:
            self._call.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for(self, condition, timeout: float = 10.0):
        async with self._new:
            await asyncio.wait_for(self._new.wait_for(condition), timeout)

    async def next_event(self, call_id: str, kind: int, timeout: float = 10.0) -> pb.PbxCallEvent:
        """The first event of call_id of this kind (already received or yet to come)."""
        found: list[pb.PbxCallEvent] = []

        def seen() -> bool:
            found[:] = [e for e in self.events if e.call.call_id == call_id and e.kind == kind]
            return bool(found) or self.error is not None

        await self.wait_for(seen, timeout)
        if not found:
            raise AssertionError(f"no {pb.PbxCallEventKind.Name(kind)} for {call_id}: {self.error}")
        return found[0]

    def kinds(self, call_id: str) -> list[str]:
        return [
            pb.PbxCallEventKind.Name(e.kind).removeprefix("PBX_CALL_EVENT_KIND_")
            for e in self.events
            if e.call.call_id == call_id
        ]


async def team(stub, queue="sales", agents=("anna", "boris"), **queue_fields):
    """A queue (Queue fields as keywords) and its agents (endpoint sip:<id>@pbx), logged in in order."""
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, **queue_fields)))
    for agent_id in agents:
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue]))
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d
