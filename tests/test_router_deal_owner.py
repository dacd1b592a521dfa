"""Two manager roles (S2.4): a call about an open deal goes to the deal's owner first, other
calls to the client's personal manager, then the queue. Real Redis, a real router replica
(its router-deals consumer), leads reported to a real stats service over gRPC."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2
from callcenter.core import event_stream
from callcenter.services.router.config import DealOwnerSettings
from callcenter.services.router.deal_owners import DealOwners, entry_order
from callcenter.services.router.model import Client
from callcenter.tools.sip.processes import Kamailio
from tests import test_kamailio_calls as sip
from tests.helpers import next_event, team
from tests.pbx_session_client import PbxClient

OFFERED = events_pb2.EVENT_TYPE_CALL_OFFERED
PATIENCE_S = 10


@pytest.fixture(name="replica")
async def replica_fixture(start_replica):
    return await start_replica()


@pytest.fixture(name="router_grpc")
async def router_grpc_fixture(replica):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)


async def until(member: DealOwners, check) -> None:
    """Returns once check() holds, woken by each batch the member acknowledges."""
    changed = asyncio.Event()
    member.on_done = changed.set
    try:
        async with asyncio.timeout(PATIENCE_S):
            while True:
                changed.clear()
                if check():
                    return
                await changed.wait()
    finally:
        member.on_done = None


async def learnt(member: DealOwners, event_id: str) -> None:
    """Waits until the replica's router-deals member has applied the stream up to event_id."""
    await until(member, lambda: member.done_through >= entry_order(event_id))


async def lead(stats_stub, lead_id: str, owner: str, stage: str = "in_work") -> str:
    created = await stats_stub.CreateLead(stats_pb2.CreateLeadRequest(lead_id=lead_id, agent_id=owner, stage=stage))
    return created.event_id


async def offered_to(redis, tenant, call_id: str) -> events_pb2.Event:
    async with asyncio.timeout(PATIENCE_S):
        _, event = await next_event(redis, tenant, lambda e: e.type == OFFERED and e.call_id == call_id)
    return event


async def sales_team(replica, agents=("carl", "anna", "boris")) -> None:
    """carl logs in first (idle longest: the strategy's pick), anna manages +4917001."""
    await team(replica.router, "sales", list(agents), wrap_up_ms=0)
    if "anna" in agents:
        await replica.router.upsert_client(Client(number="+4917001", name="Client", manager_id="anna"))


async def test_a_call_about_an_open_deal_is_offered_to_the_deal_owner_first(
    replica, router_grpc, stats_stub, redis, tenant
):
    await sales_team(replica)
    await learnt(replica.deals, await lead(stats_stub, "deal-1", "boris"))
    routed = await router_grpc.RouteCall(
        pb.RouteCallRequest(call_id="c1", caller="+4917001", queue="sales", deal_id="deal-1")
    )
    assert routed.call.offer.agent_id == "boris"  # not anna, the personal manager, nor carl
    assert (await offered_to(redis, tenant, "c1")).reason == "deal_owner"
    async with asyncio.timeout(PATIENCE_S):  # the call is the deal's: its CALL_RECEIVED names it
        _, received = await next_event(
            redis, tenant, lambda e: e.type == events_pb2.EVENT_TYPE_CALL_RECEIVED and e.call_id == "c1"
        )
    assert received.lead_id == "deal-1"
    # without the deal, the same client's call goes to the personal manager
    await router_grpc.RouteCall(pb.RouteCallRequest(call_id="c2", caller="+4917001", queue="sales"))
    assert (await offered_to(redis, tenant, "c2")).reason == "personal_manager"


async def test_a_reassigned_deal_goes_to_its_new_owner_also_through_a_pbx_session(
    replica, router_grpc, stats_stub, redis, tenant
):
    await sales_team(replica)
    await lead(stats_stub, "deal-2", "anna")
    moved = await stats_stub.AssignLead(stats_pb2.AssignLeadRequest(lead_id="deal-2", agent_id="boris"))
    await learnt(replica.deals, moved.event_id)
    async with PbxClient(router_grpc, "pbx-1"):
        routed = await router_grpc.RouteCall(
            pb.RouteCallRequest(call_id="c1", caller="+4917999", queue="sales", pbx_id="pbx-1", deal_id="deal-2")
        )
    assert routed.call.offer.agent_id == "boris"
    assert (await offered_to(redis, tenant, "c1")).reason == "deal_owner"


async def test_a_call_about_a_closed_deal_goes_to_the_personal_manager(replica, router_grpc, stats_stub, redis, tenant):
    await sales_team(replica)
    await lead(stats_stub, "deal-3", "boris")
    closed = await stats_stub.ChangeLeadStage(stats_pb2.ChangeLeadStageRequest(lead_id="deal-3", stage="fulfilled"))
    await learnt(replica.deals, closed.event_id)
    routed = await router_grpc.RouteCall(
        pb.RouteCallRequest(call_id="c1", caller="+4917001", queue="sales", deal_id="deal-3")
    )
    assert routed.call.offer.agent_id == "anna"
    assert (await offered_to(redis, tenant, "c1")).reason == "personal_manager"


async def test_a_busy_deal_owner_the_call_goes_on_to_the_queue(replica, router_grpc, stats_stub, redis, tenant):
    await sales_team(replica, agents=("carl", "boris"))
    await learnt(replica.deals, await lead(stats_stub, "deal-4", "boris", stage="payment"))
    busy = await replica.router.route_call("busy", "+4917555", "sales", personal_manager_id="boris")
    await replica.router.report_offer_outcome("busy", busy.offer.offer_id, "answered")
    routed = await router_grpc.RouteCall(
        pb.RouteCallRequest(call_id="c1", caller="+4917999", queue="sales", deal_id="deal-4")
    )
    assert routed.call.offer.agent_id == "carl"  # not waiting for boris
    assert (await offered_to(redis, tenant, "c1")).reason == "strategy"
    # nobody free: the call waits in the queue's line, not the owner's
    queued = await router_grpc.RouteCall(
        pb.RouteCallRequest(call_id="c2", caller="+4917999", queue="sales", deal_id="deal-4")
    )
    assert queued.call.stage == pb.ROUTING_STAGE_ANYONE and queued.call.queue_position == 1


async def test_a_redelivered_lead_event_changes_nothing(start_replica, stats_stub, redis, tenant):
    settings = DealOwnerSettings(claim_idle_ms=50)
    dying = DealOwners(redis, tenant, settings, name="dying")
    created = await lead(stats_stub, "deal-5", "anna")
    read = await dying.read_new()
    assert [entry_id for entry_id, _ in read] == [created]
    await dying.apply(read)  # applied, then the replica dies before acknowledging it
    moved = await stats_stub.AssignLead(stats_pb2.AssignLeadRequest(lead_id="deal-5", agent_id="boris"))
    replica = await start_replica(deals=settings)
    await learnt(replica.deals, moved.event_id)
    await until(replica.deals, lambda: replica.deals.stale == 1)  # LEAD_CREATED, taken over and redelivered
    assert await redis.xpending(event_stream.stream_key(tenant), "router-deals") == {
        "pending": 0,
        "min": None,
        "max": None,
        "consumers": [],
    }
    await sales_team(replica)
    call = await replica.router.route_call("c1", "+4917999", "sales", deal_id="deal-5")
    assert call.offer.agent_id == "boris"  # the older event did not take the deal back to anna
    assert await dying.apply(read) == [created]  # once more, by hand: still nothing
    assert dying.stale == 1 and await redis.hget(replica.router.store.keys.deal("deal-5"), "owner") == "boris"


async def test_an_unreadable_lead_event_is_skipped_and_counted(replica, stats_stub, redis, tenant):
    await event_stream.append(redis, tenant, "lead_assigned", 1, lead_id="bad lead id", agent_id="boris")
    await event_stream.append(redis, tenant, "lead_assigned", 1, lead_id="deal-6")  # no owner
    await learnt(replica.deals, await lead(stats_stub, "deal-6", "anna"))
    assert replica.deals.skipped == 2
    await sales_team(replica)
    call = await replica.router.route_call("c1", "+4917999", "sales", deal_id="deal-6")
    assert call.offer.agent_id == "anna"


async def test_an_unknown_deal_id_routes_like_a_call_without_one(replica, router_grpc, redis, tenant):
    await sales_team(replica)
    routed = await router_grpc.RouteCall(
        pb.RouteCallRequest(call_id="c1", caller="+4917001", queue="sales", deal_id="no-such-deal")
    )
    assert routed.call.offer.agent_id == "anna"
    assert (await offered_to(redis, tenant, "c1")).reason == "personal_manager"
    other = await router_grpc.RouteCall(
        pb.RouteCallRequest(call_id="c2", caller="+4917999", queue="sales", deal_id="no-such-deal")
    )
    assert other.call.offer.agent_id == "carl"
    assert (await offered_to(redis, tenant, "c2")).reason == "strategy"


async def test_a_malformed_deal_id_is_refused_naming_the_field(router_grpc, replica):
    await sales_team(replica)
    for bad in ("deal 1", "x" * 129, "deal/1"):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await router_grpc.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", deal_id=bad))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "deal_id" in refused.value.details()


async def test_a_kamailio_call_with_an_x_deal_id_header_rings_the_deal_owner(
    replica, router_grpc, stats_stub, sip_workdir, redis, tenant
):
    kamailio = Kamailio(sip_workdir, replica.port, pbx_id=f"kam-{tenant}", lease_ms=sip.LEASE_MS)
    await asyncio.to_thread(kamailio.start)
    phones: list = []
    try:
        first, owner = await sip.team(router_grpc, sip_workdir, phones, {"answer": 100}, {"answer": 100})
        await learnt(replica.deals, await lead(stats_stub, "deal-7", "agent2"))
        call = sip.dial(sip_workdir, kamailio, phones, "caller", "caller.xml", "-set", "deal", "deal-7")
        assert await sip.finished(call) == 0
        assert (await offered_to(redis, tenant, sip.call_id_of(call))).reason == "deal_owner"
        assert len(sip.received(owner, "INVITE")) == 1 and sip.received(first, "INVITE") == []
    finally:
        for phone in phones:
            phone.stop()
        await asyncio.to_thread(kamailio.stop)
