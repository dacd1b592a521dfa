"""Outbound calls through the router, on real gRPC and Redis, a PBX session playing the PBX:
the same reservation as inbound calls, preview and progressive modes, the PBX's originate and
its dial outcome, and the queue's blend of inbound and outbound work."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from tests.helpers import event_types, read_events
from tests.pbx_session_client import PbxClient, ms, team

K = pb.PbxCallEventKind
ORIGINATE = K.PBX_CALL_EVENT_KIND_ORIGINATE


async def outbound(stub, call_id, number="+4930111", queue="sales", **fields):
    fields.setdefault("pbx_id", "dialer")
    request = pb.CreateOutboundCallRequest(call_id=call_id, number=number, queue=queue, **fields)
    return (await stub.CreateOutboundCall(request)).call


async def dial_outcome(stub, call, outcome):
    request = pb.ReportDialOutcomeRequest(call_id=call.call_id, offer_id=call.offer.offer_id, outcome=outcome)
    return (await stub.ReportDialOutcome(request)).call


async def agent_state(stub, agent_id):
    return (await stub.GetAgent(pb.GetAgentRequest(agent_id=agent_id))).agent.status.state


async def call_events(redis, tenant, call_id):
    events = [e for e in await read_events(redis, tenant) if e.call_id == call_id]
    return list(zip(event_types(events), events, strict=True))


async def test_a_preview_is_dialled_when_the_agent_accepts_and_connects_when_the_customer_answers(
    router_stub, redis, tenant
):
    await team(router_stub, agents=("anna",), wrap_up=ms(0))
    async with PbxClient(router_stub, "dialer") as pbx:
        call = await outbound(router_stub, "o1", deal_id="lead-7")
        assert (call.state, call.offer.agent_id, call.direction) == (
            st.CALL_STATE_RINGING,
            "anna",
            pb.CALL_DIRECTION_OUTBOUND,
        )
        assert call.outbound_mode == pb.OUTBOUND_MODE_PREVIEW and call.caller == "+4930111"
        assert await agent_state(router_stub, "anna") == st.AGENT_STATE_RESERVED
        accepted = (
            await router_stub.AcceptOutboundCall(
                pb.AcceptOutboundCallRequest(call_id="o1", offer_id=call.offer.offer_id)
            )
        ).call
        assert accepted.state == st.CALL_STATE_DIALING
        originate = await pbx.next_event("o1", ORIGINATE)
        assert (originate.offer_id, originate.call.offer.endpoint, originate.call.caller) == (
            call.offer.offer_id,
            "sip:anna@pbx",
            "+4930111",
        )
        connected = await dial_outcome(router_stub, accepted, pb.DIAL_OUTCOME_ANSWERED)
        assert (connected.state, connected.agent_id) == (st.CALL_STATE_CONNECTED, "anna")
        assert await agent_state(router_stub, "anna") == st.AGENT_STATE_ON_CALL
        ended = (await router_stub.HangupCall(pb.HangupCallRequest(call_id="o1"))).call
        await pbx.next_event("o1", K.PBX_CALL_EVENT_KIND_ENDED)
    assert ended.state == st.CALL_STATE_COMPLETED
    # the PBX had nothing to ring before the agent accepted: no OFFERED, no QUEUED
    assert pbx.kinds("o1") == ["ORIGINATE", "CONNECTED", "ENDED"]
    events = await call_events(redis, tenant, "o1")
    assert [k for k, _ in events] == [
        "CALL_RECEIVED",
        "CALL_OFFERED",
        "CALL_DIALING",
        "CALL_ANSWERED",
        "CALL_COMPLETED",
    ]
    assert {e.direction for _, e in events} == {"outbound"}
    assert events[0][1].lead_id == "lead-7" and events[0][1].attributes["mode"] == "preview"
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE


async def test_a_progressive_call_is_dialled_as_soon_as_an_agent_is_reserved(router_stub):
    await team(router_stub, agents=("anna",))
    async with PbxClient(router_stub, "dialer") as pbx:
        call = await outbound(router_stub, "o1", mode=pb.OUTBOUND_MODE_PROGRESSIVE)
        assert call.state == st.CALL_STATE_DIALING and call.offer.agent_id == "anna"
        await pbx.next_event("o1", ORIGINATE)


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [(pb.DIAL_OUTCOME_NO_ANSWER, "no_answer"), (pb.DIAL_OUTCOME_BUSY, "busy"), (pb.DIAL_OUTCOME_FAILED, "failed")],
)
async def test_a_customer_not_reached_ends_the_call_not_connected_and_frees_the_agent_without_an_abandonment(
    router_stub, redis, tenant, outcome, reason
):
    await team(router_stub, agents=("anna",), max_no_answer=1)
    async with PbxClient(router_stub, "dialer") as pbx:
        call = await outbound(router_stub, "o1", mode=pb.OUTBOUND_MODE_PROGRESSIVE)
        ended = await dial_outcome(router_stub, call, outcome)
        await pbx.next_event("o1", K.PBX_CALL_EVENT_KIND_ENDED)
    assert (ended.state, ended.end_reason) == (st.CALL_STATE_NOT_CONNECTED, reason)
    # the customer's no answer is not the agent's: not paused even with max_no_answer 1
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE
    kinds = {k: e for k, e in await call_events(redis, tenant, "o1")}
    assert "CALL_ABANDONED" not in kinds and "OFFER_MISSED" not in kinds
    not_connected = kinds["CALL_NOT_CONNECTED"]
    assert (not_connected.reason, not_connected.agent_id, not_connected.agent_state) == (
        reason,
        "anna",
        st.AGENT_STATE_AVAILABLE,
    )
    repeated = await dial_outcome(router_stub, call, pb.DIAL_OUTCOME_ANSWERED)  # a late, repeated report
    assert repeated.state == st.CALL_STATE_NOT_CONNECTED


async def test_the_agents_own_leg_unanswered_offers_the_call_to_the_next_agent(router_stub):
    await team(router_stub, agents=("anna", "boris"))
    async with PbxClient(router_stub, "dialer") as pbx:
        call = await outbound(router_stub, "o1", mode=pb.OUTBOUND_MODE_PROGRESSIVE)
        assert call.offer.agent_id == "anna"
        again = await dial_outcome(router_stub, call, pb.DIAL_OUTCOME_AGENT_NO_ANSWER)
        assert (again.state, again.offer.agent_id) == (st.CALL_STATE_DIALING, "boris")
        await pbx.wait_for(lambda: pbx.kinds("o1").count("ORIGINATE") == 2)


async def test_a_declined_preview_goes_to_the_next_agent_and_is_not_a_miss(router_stub, redis, tenant):
    await team(router_stub, agents=("anna", "boris"), max_no_answer=1)
    async with PbxClient(router_stub, "dialer"):
        call = await outbound(router_stub, "o1")
        declined = (
            await router_stub.DeclineOutboundCall(
                pb.DeclineOutboundCallRequest(call_id="o1", offer_id=call.offer.offer_id)
            )
        ).call
    assert (declined.state, declined.offer.agent_id) == (st.CALL_STATE_RINGING, "boris")
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE  # not paused for a miss
    missed = [e.reason for k, e in await call_events(redis, tenant, "o1") if k == "OFFER_MISSED"]
    assert missed == ["declined"]


async def test_a_preview_nobody_accepts_in_time_goes_to_the_next_agent(router_stub):
    await team(router_stub, agents=("anna", "boris"), preview_timeout=ms(150))
    async with PbxClient(router_stub, "dialer"):
        call = await outbound(router_stub, "o1")
        assert call.offer.agent_id == "anna"
        async for update in router_stub.WatchCall(pb.WatchCallRequest(call_id="o1")):
            if update.call.offer.agent_id == "boris":
                break


async def test_a_dial_the_pbx_never_reports_ends_not_connected_at_the_dial_timeout(router_stub):
    await team(router_stub, agents=("anna",), dial_timeout=ms(150))
    async with PbxClient(router_stub, "dialer"):
        await outbound(router_stub, "o1", mode=pb.OUTBOUND_MODE_PROGRESSIVE)
        async for update in router_stub.WatchCall(pb.WatchCallRequest(call_id="o1")):
            if update.call.state == st.CALL_STATE_NOT_CONNECTED:
                assert update.call.end_reason == "dial_timeout"
                break
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE


async def test_inbound_calls_go_first_an_outbound_call_waits_until_no_inbound_caller_does(router_stub):
    await team(router_stub, agents=("anna",), wrap_up=ms(0))
    async with PbxClient(router_stub, "dialer"):
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="in1", caller="+491", queue="sales"))
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="in2", caller="+492", queue="sales"))
        waiting = await outbound(router_stub, "o1")
        assert waiting.state == st.CALL_STATE_WAITING
        for inbound in ("in1", "in2"):
            call = (await router_stub.GetCall(pb.GetCallRequest(call_id=inbound))).call
            await router_stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(
                    call_id=inbound, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                )
            )
            await router_stub.HangupCall(pb.HangupCallRequest(call_id=inbound))
            if inbound == "in1":  # in2 went first, though the outbound call was there before it was offered
                assert (await router_stub.GetCall(pb.GetCallRequest(call_id="in2"))).call.offer.agent_id == "anna"
        offered = (await router_stub.GetCall(pb.GetCallRequest(call_id="o1"))).call
    assert (offered.state, offered.offer.agent_id) == (st.CALL_STATE_RINGING, "anna")


@pytest.mark.parametrize(("share", "first"), [(0, "in3"), (50, "o1")])
async def test_a_queues_outbound_share_lets_outbound_calls_hold_agents_while_inbound_callers_wait(
    router_stub, share, first
):
    await team(router_stub, agents=("anna", "boris"), wrap_up=ms(0), outbound_share=share)
    async with PbxClient(router_stub, "dialer"):
        for n in (1, 2, 3):
            await router_stub.RouteCall(pb.RouteCallRequest(call_id=f"in{n}", caller=f"+49{n}", queue="sales"))
        await outbound(router_stub, "o1")
        for n in (1, 2):
            call = (await router_stub.GetCall(pb.GetCallRequest(call_id=f"in{n}"))).call
            await router_stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(
                    call_id=f"in{n}", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                )
            )
        await router_stub.HangupCall(pb.HangupCallRequest(call_id="in1"))  # anna is free again
        taken = {
            c: (await router_stub.GetCall(pb.GetCallRequest(call_id=c))).call.offer.agent_id for c in ("in3", "o1")
        }
    assert taken[first] == "anna" and [c for c, a in taken.items() if a] == [first]


async def test_an_outbound_call_names_its_agent_first_then_goes_to_the_queue(router_stub):
    await team(router_stub, agents=("anna", "boris"), manager_wait=ms(0))
    async with PbxClient(router_stub, "dialer"):
        call = await outbound(router_stub, "o1", agent_id="boris")
        assert call.offer.agent_id == "boris"
        declined = (
            await router_stub.DeclineOutboundCall(
                pb.DeclineOutboundCallRequest(call_id="o1", offer_id=call.offer.offer_id)
            )
        ).call
    assert declined.offer.agent_id == "anna"


async def test_creating_an_outbound_call_again_with_its_id_returns_it_and_reserves_no_one_else(router_stub):
    await team(router_stub, agents=("anna", "boris"))
    async with PbxClient(router_stub, "dialer"):
        first = await outbound(router_stub, "o1")
        again = await outbound(router_stub, "o1")
    assert again.offer.offer_id == first.offer.offer_id
    assert await agent_state(router_stub, "boris") == st.AGENT_STATE_AVAILABLE


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"number": "+49 30"}, "number"),
        ({"number": ""}, "number"),
        ({"mode": 7}, "mode"),
        ({"queue": "bad queue"}, "queue"),
        ({"priority": 10}, "priority"),
        ({"agent_id": "a|b"}, "agent_id"),
        ({"call_id": ""}, "call_id"),
    ],
)
async def test_a_bad_outbound_request_is_invalid_argument_naming_the_field(router_stub, fields, field):
    request = {"call_id": "o1", "number": "+4930", "queue": "sales", "pbx_id": "dialer", **fields}
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.CreateOutboundCall(pb.CreateOutboundCallRequest(**request))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field)


async def test_an_outbound_call_needs_an_open_pbx_and_a_known_queue(router_stub):
    await team(router_stub, agents=("anna",))
    with pytest.raises(grpc.aio.AioRpcError) as no_pbx:
        await outbound(router_stub, "o1", pbx_id="")
    with pytest.raises(grpc.aio.AioRpcError) as closed:
        await outbound(router_stub, "o2", pbx_id="nobody")
    with pytest.raises(grpc.aio.AioRpcError) as no_queue:
        await outbound(router_stub, "o3", queue="nowhere")
    assert no_pbx.value.code() == closed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert no_queue.value.code() == grpc.StatusCode.NOT_FOUND
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE


async def test_accepting_a_preview_that_went_to_someone_else_is_refused(router_stub):
    await team(router_stub, agents=("anna", "boris"))
    async with PbxClient(router_stub, "dialer"):
        call = await outbound(router_stub, "o1")
        await router_stub.DeclineOutboundCall(pb.DeclineOutboundCallRequest(call_id="o1", offer_id=call.offer.offer_id))
        with pytest.raises(grpc.aio.AioRpcError) as stale:
            await router_stub.AcceptOutboundCall(
                pb.AcceptOutboundCallRequest(call_id="o1", offer_id=call.offer.offer_id)
            )
        with pytest.raises(grpc.aio.AioRpcError) as outcome:
            await router_stub.ReportDialOutcome(
                pb.ReportDialOutcomeRequest(call_id="o1", offer_id=call.offer.offer_id, outcome=0)
            )
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert outcome.value.code() == grpc.StatusCode.INVALID_ARGUMENT and outcome.value.details().startswith("outcome")


async def test_a_supervisor_ending_a_dialling_call_ends_it_not_connected(router_stub):
    await team(router_stub, agents=("anna",))
    async with PbxClient(router_stub, "dialer") as pbx:
        await outbound(router_stub, "o1", mode=pb.OUTBOUND_MODE_PROGRESSIVE)
        ended = (await router_stub.EndCall(pb.EndCallRequest(call_id="o1"))).call
        await pbx.next_event("o1", K.PBX_CALL_EVENT_KIND_ENDED)
    assert (ended.state, ended.end_reason) == (st.CALL_STATE_NOT_CONNECTED, "ended_by_supervisor")
    assert await agent_state(router_stub, "anna") == st.AGENT_STATE_AVAILABLE


async def test_an_outbound_offer_and_an_inbound_call_never_reserve_one_agent_twice_across_two_replicas(
    start_replica, redis, tenant
):
    from callcenter.api.router.v1 import router_pb2_grpc

    replicas = [await start_replica(), await start_replica()]
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{r.port}") for r in replicas]
    stubs = [router_pb2_grpc.RouterServiceStub(ch) for ch in channels]
    agents = tuple(f"a{n}" for n in range(4))
    await team(stubs[0], agents=agents, wrap_up=ms(0), outbound_share=50)
    try:
        async with PbxClient(stubs[0], "dialer", lease_ms=20_000):

            async def work(n):
                stub = stubs[n % 2]
                if n % 2:
                    call = await outbound(stub, f"o{n}", number=f"+4930{n}", mode=pb.OUTBOUND_MODE_PROGRESSIVE)
                else:
                    call = (
                        await stub.RouteCall(pb.RouteCallRequest(call_id=f"i{n}", caller=f"+49{n}", queue="sales"))
                    ).call
                async for update in stub.WatchCall(pb.WatchCallRequest(call_id=call.call_id)):
                    c = update.call
                    if c.state == st.CALL_STATE_DIALING:
                        outcome = pb.DIAL_OUTCOME_ANSWERED if n % 3 else pb.DIAL_OUTCOME_BUSY
                        await stub.ReportDialOutcome(
                            pb.ReportDialOutcomeRequest(call_id=c.call_id, offer_id=c.offer.offer_id, outcome=outcome)
                        )
                    elif c.state == st.CALL_STATE_RINGING and c.direction == pb.CALL_DIRECTION_INBOUND:
                        await stub.ReportOfferOutcome(
                            pb.ReportOfferOutcomeRequest(
                                call_id=c.call_id, offer_id=c.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                            )
                        )
                    elif c.state == st.CALL_STATE_CONNECTED:
                        await stubs[(n + 1) % 2].HangupCall(pb.HangupCallRequest(call_id=c.call_id))
                    elif c.state in (st.CALL_STATE_COMPLETED, st.CALL_STATE_NOT_CONNECTED):
                        return c.state

            ends = await asyncio.wait_for(asyncio.gather(*(work(n) for n in range(40))), 60)
    finally:
        for ch in channels:
            await ch.close()
    assert len(ends) == 40
    # Each offer goes to an agent whose previous state, by the event stream, was available.
    last: dict[str, int] = {}
    offers = 0
    for kind, event in zip(event_types(events := await read_events(redis, tenant)), events, strict=True):
        if kind == "CALL_OFFERED":
            assert last.get(event.agent_id) == st.AGENT_STATE_AVAILABLE, (event.agent_id, event.call_id)
            offers += 1
        if event.agent_id and event.agent_state:
            last[event.agent_id] = event.agent_state
    assert offers >= 40
