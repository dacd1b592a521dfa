"""Live call control (S3.4) on a real router with a PBX session, and through the gateway: a
supervisor moves a waiting call to a named agent or another queue, ends a stuck call, and
reassigns a ringing one. The PBX is told on its stream; every change is an event with its actor."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.audit import ON_BEHALF_KEY
from callcenter.core.call_states import CANCELLED_OFFER_REASONS
from callcenter.services.router.keys import RouterKeys
from tests.gateway_fixtures import PASSWORD, csrf
from tests.helpers import event_types, read_events
from tests.pbx_session_client import PbxClient

K = pb.PbxCallEventKind
SAM = ((ON_BEHALF_KEY, "sam"),)  # the user a gateway relays


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


async def queue_with(stub, queue: str, *agents: str, **fields) -> None:
    """A queue (long ring timeout: nothing expires on a busy machine) and its agents, logged in."""
    fields.setdefault("ring_timeout", ms(120_000))
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, **fields)))
    for agent_id in agents:
        agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue])
        await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


async def route(stub, call_id: str, queue: str = "sales", pbx_id: str = "pbx-1") -> pb.Call:
    reply = await stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller="+491", queue=queue, pbx_id=pbx_id))
    return reply.call


async def agent_state(stub, agent_id: str) -> int:
    return (await stub.GetAgent(pb.GetAgentRequest(agent_id=agent_id))).agent.status.state


async def events_of(redis, tenant, call_id: str):
    """(type, event) of every event of the call, oldest first."""
    events = await read_events(redis, tenant)
    return [(kind, e) for kind, e in zip(event_types(events), events, strict=True) if e.call_id == call_id]


async def refused(coro) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value


# Move a waiting call ----------------------------------------------------------------------------


async def test_moving_a_waiting_call_to_a_named_agent_offers_it_to_them_and_tells_the_pbx(router_stub, redis, tenant):
    await queue_with(router_stub, "sales", "anna")
    await queue_with(router_stub, "support", "boris")  # boris serves another queue: free
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000) as pbx:
        await route(router_stub, "c1")  # rings anna
        waiting = await route(router_stub, "c2")
        assert waiting.state == st.CALL_STATE_WAITING
        moved = (
            await router_stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c2", agent_id="boris"), metadata=SAM)
        ).call
        assert (moved.state, moved.offer.agent_id, moved.offer.endpoint) == (
            st.CALL_STATE_RINGING,
            "boris",
            "sip:boris@pbx",
        )
        offered = await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_OFFERED)
    assert (offered.call.offer.agent_id, offered.offer_id) == ("boris", moved.offer.offer_id)
    assert pbx.kinds("c2") == ["QUEUED", "OFFERED"]
    assert await agent_state(router_stub, "boris") == st.AGENT_STATE_RESERVED
    (offer,) = [e for kind, e in await events_of(redis, tenant, "c2") if kind == "CALL_OFFERED"]
    assert (offer.agent_id, offer.reason, offer.actor) == ("boris", "supervisor", "sam")


async def test_moving_a_call_to_an_agent_who_is_not_free_is_refused_naming_the_state_and_changes_nothing(
    router_stub,
):
    await queue_with(router_stub, "sales", "anna")
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000):
        await route(router_stub, "c1")  # anna is reserved for it
        await route(router_stub, "c2")
        busy = await refused(router_stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c2", agent_id="anna")))
        assert busy.code() == grpc.StatusCode.FAILED_PRECONDITION and "reserved" in busy.details()
        ringing = await refused(router_stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c1", agent_id="anna")))
        assert ringing.code() == grpc.StatusCode.FAILED_PRECONDITION and "ringing" in ringing.details()
        nobody = await refused(router_stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c2", agent_id="zoe")))
        assert nobody.code() == grpc.StatusCode.NOT_FOUND
        unknown = await refused(router_stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c9", agent_id="anna")))
        assert unknown.code() == grpc.StatusCode.NOT_FOUND
        bad = await refused(router_stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c2", agent_id="")))
        assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "agent_id" in bad.details()
        still = (await router_stub.GetCall(pb.GetCallRequest(call_id="c2"))).call
        assert (still.state, still.queue_position) == (st.CALL_STATE_WAITING, 1)


async def test_moving_a_waiting_call_to_another_queue_keeps_its_place_by_arrival(router_stub, redis, tenant):
    await queue_with(router_stub, "sales", "anna")
    await queue_with(router_stub, "support")  # nobody serves it yet
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000) as pbx:
        await route(router_stub, "c1")  # rings anna
        await route(router_stub, "c2")  # waits in sales
        await route(router_stub, "s1", queue="support")  # arrived later, waits in support
        moved = (
            await router_stub.MoveCallToQueue(pb.MoveCallToQueueRequest(call_id="c2", queue="support"), metadata=SAM)
        ).call
        assert (moved.queue, moved.state, moved.queue_position) == ("support", st.CALL_STATE_WAITING, 1)
        await pbx.wait_for(
            lambda: sum(e.call.call_id == "c2" and e.kind == K.PBX_CALL_EVENT_KIND_QUEUED for e in pbx.events) == 2
        )
        queued = [e for e in pbx.events if e.call.call_id == "c2" and e.kind == K.PBX_CALL_EVENT_KIND_QUEUED]
        assert [e.call.queue for e in queued] == ["sales", "support"]
        later = (await router_stub.GetCall(pb.GetCallRequest(call_id="s1"))).call
        assert later.queue_position == 2  # c2 waited longer, so it goes first
        same = await refused(router_stub.MoveCallToQueue(pb.MoveCallToQueueRequest(call_id="c2", queue="support")))
        assert same.code() == grpc.StatusCode.FAILED_PRECONDITION
        none = await refused(router_stub.MoveCallToQueue(pb.MoveCallToQueueRequest(call_id="c2", queue="nowhere")))
        assert none.code() == grpc.StatusCode.NOT_FOUND
        # an agent of the new queue frees up: the moved call is offered first
        await queue_with(router_stub, "support", "boris")
        offered = await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_OFFERED)
        assert offered.call.offer.agent_id == "boris"
    (overflow,) = [e for kind, e in await events_of(redis, tenant, "c2") if kind == "CALL_OVERFLOWED"]
    assert (overflow.queue, overflow.reason, overflow.attributes["overflow_queue"], overflow.actor) == (
        "sales",
        "moved_by_supervisor",
        "support",
        "sam",
    )


# End a stuck call ---------------------------------------------------------------------------------


async def test_ending_a_stuck_connected_call_completes_it_frees_the_agent_into_wrap_up_and_tells_the_pbx(
    router_stub, redis, tenant
):
    await queue_with(router_stub, "sales", "anna")
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000) as pbx:
        offer = (await route(router_stub, "c1")).offer
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        ended = (await router_stub.EndCall(pb.EndCallRequest(call_id="c1"), metadata=SAM)).call
        assert (ended.state, ended.end_reason) == (st.CALL_STATE_COMPLETED, "ended_by_supervisor")
        told = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_ENDED)
    assert told.reason == "ended_by_supervisor"
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_WRAP_UP
    (completed,) = [e for kind, e in await events_of(redis, tenant, "c1") if kind == "CALL_COMPLETED"]
    assert (completed.reason, completed.actor) == ("ended_by_supervisor", "sam")
    again = await refused(router_stub.EndCall(pb.EndCallRequest(call_id="c1")))
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION and "completed" in again.details()


async def test_ending_a_ringing_call_cancels_the_offer_without_a_miss(router_stub, redis, tenant):
    await queue_with(router_stub, "sales", "anna", max_no_answer=1)  # a counted miss would pause anna
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000) as pbx:
        offer = (await route(router_stub, "c1")).offer
        ended = (await router_stub.EndCall(pb.EndCallRequest(call_id="c1"), metadata=SAM)).call
        assert (ended.state, ended.end_reason) == (st.CALL_STATE_ABANDONED, "ended_by_supervisor")
        await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_ENDED)
    assert pbx.kinds("c1") == ["OFFERED", "OFFER_CANCELLED", "ENDED"]
    assert pbx.events[-2].offer_id == offer.offer_id
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE
    (missed,) = [e for kind, e in await events_of(redis, tenant, "c1") if kind == "OFFER_MISSED"]
    assert missed.reason == "ended_by_supervisor" and missed.reason in CANCELLED_OFFER_REASONS


# Reassign a ringing call ------------------------------------------------------------------------


async def test_reassigning_a_ringing_call_cancels_the_first_offer_without_a_miss_and_offers_the_second_agent(
    router_stub, redis, tenant
):
    await queue_with(router_stub, "sales", "anna", max_no_answer=1)  # a counted miss would pause anna
    await queue_with(router_stub, "support", "boris")
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000) as pbx:
        first = (await route(router_stub, "c1")).offer
        assert first.agent_id == "anna"
        call = (
            await router_stub.ReassignCall(pb.ReassignCallRequest(call_id="c1", agent_id="boris"), metadata=SAM)
        ).call
        assert (call.state, call.offer.agent_id, call.offer.attempt) == (st.CALL_STATE_RINGING, "boris", 2)
        await pbx.wait_for(lambda: len([e for e in pbx.events if e.call.call_id == "c1"]) == 3)
    cancelled, offered = [e for e in pbx.events if e.call.call_id == "c1"][1:]
    assert (cancelled.kind, cancelled.offer_id, cancelled.reason) == (
        K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED,
        first.offer_id,
        "reassigned_by_supervisor",
    )
    assert (offered.kind, offered.call.offer.agent_id) == (K.PBX_CALL_EVENT_KIND_OFFERED, "boris")
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE  # not paused: no miss
    assert await redis.hget(RouterKeys(tenant).agent("anna"), "misses") == "0"
    kinds = [(kind, e.agent_id, e.reason, e.actor) for kind, e in await events_of(redis, tenant, "c1")]
    assert ("OFFER_MISSED", "anna", "reassigned_by_supervisor", "sam") in kinds
    assert ("CALL_OFFERED", "boris", "supervisor", "sam") in kinds
    assert "reassigned_by_supervisor" in CANCELLED_OFFER_REASONS  # stats counts it as cancelled
    assert "AGENT_PAUSED" not in event_types(await read_events(redis, tenant))


async def test_reassigning_a_ringing_call_back_to_its_queue_offers_the_next_free_agent(router_stub):
    await queue_with(router_stub, "sales", "anna")
    async with PbxClient(router_stub, "pbx-1", lease_ms=10_000) as pbx:
        await route(router_stub, "c1")  # rings anna
        await queue_with(router_stub, "sales", "boris")  # boris frees up meanwhile
        call = (await router_stub.ReassignCall(pb.ReassignCallRequest(call_id="c1"))).call
        assert (call.state, call.offer.agent_id) == (st.CALL_STATE_RINGING, "boris")
        await pbx.wait_for(lambda: pbx.kinds("c1") == ["OFFERED", "OFFER_CANCELLED", "OFFERED"])
        same = await refused(router_stub.ReassignCall(pb.ReassignCallRequest(call_id="c1", agent_id="boris")))
        assert same.code() == grpc.StatusCode.FAILED_PRECONDITION
        busy = await refused(router_stub.ReassignCall(pb.ReassignCallRequest(call_id="c2")))
        assert busy.code() == grpc.StatusCode.NOT_FOUND
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE


# Through the gateway ----------------------------------------------------------------------------


async def gateway_scene(gateway):
    """sales (anna) and support (boris); sam supervises both, sue only support."""
    import grpc as _grpc

    from callcenter.api.router.v1 import router_pb2_grpc

    channel = _grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}")
    stub = router_pb2_grpc.RouterServiceStub(channel)
    await queue_with(stub, "sales", "anna")
    await queue_with(stub, "support", "boris")
    await gateway.users.create("sam", PASSWORD, "supervisor", teams=("sales", "support"))
    await gateway.users.create("sue", PASSWORD, "supervisor", teams=("support",))
    return channel, stub


async def test_a_supervisor_moves_a_waiting_call_of_their_team_through_the_gateway_and_the_pbx_sees_it(
    gateway, redis, tenant
):
    channel, stub = await gateway_scene(gateway)
    try:
        async with PbxClient(stub, "pbx-1", lease_ms=10_000) as pbx:
            await route(stub, "c1")
            await route(stub, "c2")
            sam = await gateway.login("sam")
            reply = await sam.post("/api/v1/calls/c2/move", json={"agent_id": "boris"}, headers=csrf(sam))
            assert reply.status == 200, await reply.text()
            body = await reply.json()
            assert body["call"]["state"] == "CALL_STATE_RINGING" and body["call"]["offer"]["agent_id"] == "boris"
            offered = await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_OFFERED)
            assert offered.call.offer.agent_id == "boris"
    finally:
        await channel.close()
    (offer,) = [e for kind, e in await events_of(redis, tenant, "c2") if kind == "CALL_OFFERED"]
    assert offer.actor == "sam"


async def test_a_supervisor_of_another_team_cannot_touch_the_call_and_an_agent_gets_403(gateway):
    channel, stub = await gateway_scene(gateway)
    try:
        async with PbxClient(stub, "pbx-1", lease_ms=10_000):
            await route(stub, "c1")
            await route(stub, "c2")
            sue = await gateway.login("sue")  # supervises support, not sales
            for path, body in (
                ("/api/v1/calls/c2/move", {"agent_id": "boris"}),
                ("/api/v1/calls/c2/move", {"queue": "support"}),
                ("/api/v1/calls/c1/end", {}),
                ("/api/v1/calls/c1/reassign", {"agent_id": "boris"}),
            ):
                reply = await sue.post(path, json=body, headers=csrf(sue))
                assert reply.status == 404, (path, await reply.text())
            await gateway.users.create("anna", PASSWORD, "agent", agent_id="anna")
            agent = await gateway.login("anna")
            reply = await agent.post("/api/v1/calls/c1/end", json={}, headers=csrf(agent))
            assert reply.status == 403
            still = (await stub.GetCall(pb.GetCallRequest(call_id="c2"))).call
            assert still.state == st.CALL_STATE_WAITING
    finally:
        await channel.close()


async def test_a_supervisor_takes_a_waiting_call_ends_one_and_reassigns_one_through_the_gateway(gateway):
    channel, stub = await gateway_scene(gateway)
    try:
        await stub.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id="sam-agent", endpoint="sip:sam@pbx")))
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id="sam-agent"))
        await gateway.users.create("lead", PASSWORD, "supervisor", teams=("sales", "support"), agent_id="sam-agent")
        async with PbxClient(stub, "pbx-1", lease_ms=10_000) as pbx:
            await route(stub, "c1")  # rings anna
            await route(stub, "c2")  # waits
            lead = await gateway.login("lead")
            taken = await lead.post("/api/v1/calls/c2/take", json={}, headers=csrf(lead))
            assert taken.status == 200, await taken.text()
            assert (await taken.json())["call"]["offer"]["agent_id"] == "sam-agent"
            moved = await lead.post("/api/v1/calls/c1/reassign", json={"agent_id": "boris"}, headers=csrf(lead))
            assert moved.status == 200, await moved.text()
            await pbx.wait_for(lambda: pbx.kinds("c1") == ["OFFERED", "OFFER_CANCELLED", "OFFERED"])
            busy = await lead.post("/api/v1/calls/c2/move", json={"agent_id": "anna"}, headers=csrf(lead))
            assert busy.status == 409  # ringing already
            ended = await lead.post("/api/v1/calls/c2/end", json={}, headers=csrf(lead))
            assert ended.status == 200 and (await ended.json())["call"]["end_reason"] == "ended_by_supervisor"
            await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_ENDED)
            both = await lead.post("/api/v1/calls/c2/move", json={"agent_id": "anna", "queue": "x"}, headers=csrf(lead))
            assert both.status == 400
    finally:
        await channel.close()
