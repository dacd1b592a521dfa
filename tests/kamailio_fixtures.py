"""Real Kamailio and sipp for the SIP path (tests/test_kamailio*.py): the processes come from
callcenter.tools.sip; here the skip (or, in CI, the failure) when they are not installed, each
test's working directory, a router with a Kamailio in front of it, the sipp phones a test
started, the router's event stream as it grows, and the steps the tests share: a queue with
its agents' phones (`team`), a call to it (`dial`) and the call's final response."""

from __future__ import annotations

import asyncio
import os

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.event_stream import decode, duration_ms, stream_key
from callcenter.tools.sip.processes import Kamailio, Message, Sipp, sip_tools_missing

LEASE_MS = 2000  # the PBX session's lease of the tests' Kamailio
RING_MS = 1000  # the queue's ring timeout (5 s in production; the same code path)
WRAP_UP_MS = 300
NUMBER = "4930100100"


def require_sip_tools() -> None:
    missing = sip_tools_missing()
    if missing:
        message = f"the SIP tests need {missing} (Debian: kamailio kamailio-python3-modules sip-tester)"
        if os.environ.get("CALLCENTER_REQUIRE_SIP"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def sip_workdir(tmp_path):
    require_sip_tools()
    return tmp_path


@pytest.fixture
async def sip_router(start_replica, sip_workdir):
    replica = await start_replica()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}")
    stub = router_pb2_grpc.RouterServiceStub(channel)
    yield replica, stub
    await channel.close()


@pytest.fixture
async def kamailio(sip_router, sip_workdir, tenant):
    replica, _ = sip_router
    k = Kamailio(sip_workdir, replica.port, pbx_id=f"kam-{tenant}", lease_ms=LEASE_MS)
    await asyncio.to_thread(k.start)
    yield k
    await asyncio.to_thread(k.stop)


@pytest.fixture
def phones():
    """Every sipp started by a test, stopped at its end."""
    started: list[Sipp] = []
    yield started
    for phone in started:
        phone.stop()


@pytest.fixture
def stream(redis, tenant):
    return EventStream(redis, tenant)


class EventStream:
    """The router's event stream, read as it grows: waits are for events, never for time."""

    def __init__(self, redis, tenant: str) -> None:
        self.redis = redis
        self.key = stream_key(tenant)
        self.seen: list[events_pb2.Event] = []
        self._last = "0"

    async def _read(self, block_ms: int) -> None:
        reply = await self.redis.xread({self.key: self._last}, block=block_ms, count=500)
        for _, entries in reply or []:
            for entry_id, fields in entries:
                self.seen.append(decode(entry_id, fields))
                self._last = entry_id

    async def wait_for(self, kind: int, timeout_s: float = 15, **fields: str) -> events_pb2.Event:
        """The first event of this kind whose fields match (waits for it to be appended)."""

        async def first() -> events_pb2.Event:
            while True:
                for event in self.seen:
                    if event.type == kind and all(getattr(event, k) == v for k, v in fields.items()):
                        return event
                await self._read(block_ms=1000)

        return await asyncio.wait_for(first(), timeout_s)

    async def of_call(self, call_id: str) -> list[events_pb2.Event]:
        await self._read(block_ms=1)
        return [e for e in self.seen if e.call_id == call_id]


async def team(stub, workdir, phones: list[Sipp], *behaviours: dict, wrap_up_ms: int = WRAP_UP_MS):
    """A queue on NUMBER and one sipp phone per agent (answer after N ms, never, or busy)."""
    await stub.UpsertQueue(
        pb.UpsertQueueRequest(
            queue=pb.Queue(
                name="sales",
                dialed_numbers=[NUMBER],
                ring_timeout=duration_ms(RING_MS),
                wrap_up=duration_ms(wrap_up_ms),
            )
        )
    )
    for i, how in enumerate(behaviours, 1):
        args = ["-set", "answer", str(how.get("answer", -1)), "-set", "busy", "1" if how.get("busy") else "0"]
        if how.get("again"):  # rung again for the same call: sipp must not ignore a Call-ID it saw
            args += ["-deadcall_wait", "0"]
        phone = Sipp(workdir, f"agent{i}", "agent.xml", *args).start()
        phones.append(phone)
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=f"agent{i}", endpoint=phone.uri, queues=["sales"]))
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=f"agent{i}"))
    return phones[-len(behaviours) :]


def dial(workdir, kamailio: Kamailio, phones: list[Sipp], name: str, scenario: str = "caller.xml", *args: str) -> Sipp:
    """One call from a sipp caller to the queue's number through Kamailio."""
    call = Sipp(workdir, name, scenario, "-s", NUMBER, "-m", "1", *args, f"127.0.0.1:{kamailio.port}").start()
    phones.append(call)
    return call


async def finished(call: Sipp) -> int:
    return await asyncio.to_thread(call.wait)


def final_response(caller: Sipp) -> Message:
    (final,) = [m for m in caller.messages() if not m.sent and m.first_line.split(" ")[1][0] in "3456"]
    return final
