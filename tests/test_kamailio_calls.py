"""A real SIP PBX drives the router: Kamailio with the integration (integrations/kamailio),
sipp callers and sipp agents' phones on loopback ports, times read from the SIP messages."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.kamailio_fixtures import Kamailio, Sipp

RING_MS = 1000  # the queue's ring timeout (5 s in production; the same code path)
NUMBER = "4930100100"


def _ms(ms: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


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
    k = Kamailio(sip_workdir, replica.port, pbx_id=f"kam-{tenant}")
    await asyncio.to_thread(k.start)
    yield k
    await asyncio.to_thread(k.stop)


async def team(stub, workdir, *behaviours: dict, wrap_up_ms: int = 300):
    """A queue on NUMBER and one sipp phone per agent (answer after N ms, never, or busy)."""
    await stub.UpsertQueue(
        pb.UpsertQueueRequest(
            queue=pb.Queue(name="sales", dialed_numbers=[NUMBER], ring_timeout=_ms(RING_MS), wrap_up=_ms(wrap_up_ms))
        )
    )
    phones = []
    for i, how in enumerate(behaviours, 1):
        args = ["-set", "answer", str(how.get("answer", -1)), "-set", "busy", "1" if how.get("busy") else "0"]
        phone = Sipp(workdir, f"agent{i}", "agent.xml", *args).start()
        phones.append(phone)
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=f"agent{i}", endpoint=phone.uri, queues=["sales"]))
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=f"agent{i}"))
    return phones


def caller(workdir, kamailio: Kamailio, name: str = "caller", *args: str) -> Sipp:
    return Sipp(workdir, name, "caller.xml", "-s", NUMBER, "-m", "1", *args, f"127.0.0.1:{kamailio.port}").start()


def invites(phone: Sipp):
    return [m for m in phone.messages() if not m.sent and m.method == "INVITE"]


async def test_no_answer_within_the_ring_timeout_offers_the_next_agent(sip_router, kamailio, sip_workdir):
    _, stub = sip_router
    first, second = await team(stub, sip_workdir, {"answer": -1}, {"answer": 200})
    call = caller(sip_workdir, kamailio, "caller", "-set", "talk", "200")
    assert await asyncio.to_thread(call.wait) == 0
    (offered_first,) = invites(first)
    (offered_second,) = invites(second)
    gap_ms = (offered_second.at - offered_first.at).total_seconds() * 1000
    assert abs(gap_ms - RING_MS) <= 50, gap_ms
    assert offered_first.headers["x-callcenter-offer-id"].endswith("#1")
    for phone in (first, second):
        phone.stop()
