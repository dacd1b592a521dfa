"""PBX contract v2 on real gRPC and Redis: one session stream per PBX, leases, resume."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from tests.pbx_session_client import PbxClient, ms, team

K = pb.PbxCallEventKind


async def test_one_stream_carries_every_change_of_every_call_of_the_pbx_in_order(router_stub):
    await team(router_stub)
    async with PbxClient(router_stub, "kamailio-1") as pbx:
        for n in range(3):
            await router_stub.RouteCall(
                pb.RouteCallRequest(call_id=f"c{n}", caller="+491", queue="sales", pbx_id="kamailio-1")
            )
        offered = await pbx.next_event("c0", K.PBX_CALL_EVENT_KIND_OFFERED)
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c0", offer_id=offered.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        await router_stub.HangupCall(pb.HangupCallRequest(call_id="c0"))
        await pbx.next_event("c0", K.PBX_CALL_EVENT_KIND_ENDED)
        await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_QUEUED)
    assert pbx.kinds("c0") == ["OFFERED", "CONNECTED", "ENDED"]
    assert pbx.kinds("c2")[0] == "QUEUED"
    sequences = [e.sequence for e in pbx.events]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    ended = (await pbx.next_event("c0", K.PBX_CALL_EVENT_KIND_ENDED)).call
    assert ended.state == st.CALL_STATE_COMPLETED and ended.pbx_id == "kamailio-1"


async def test_a_call_for_a_pbx_without_an_open_session_is_refused(router_stub):
    await team(router_stub)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="nobody"))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def call_events(redis, tenant, call_id: str):
    from tests.helpers import event_types, read_events

    events = [e for e in await read_events(redis, tenant) if e.call_id == call_id]
    return list(zip(event_types(events), events, strict=True))


async def test_a_lapsed_lease_ends_the_pbxs_calls_and_frees_their_agents_without_a_miss(router_stub, redis, tenant):
    await team(router_stub, agents=("anna", "boris"))
    async with PbxClient(router_stub, "pbx-a", lease_ms=1000) as pbx:
        for n in range(3):
            await router_stub.RouteCall(
                pb.RouteCallRequest(call_id=f"c{n}", caller="+491", queue="sales", pbx_id="pbx-a")
            )
        offered = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=offered.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        pbx.beating = False  # the PBX hangs: no more heartbeats
        await pbx.wait_for(lambda: pbx.error is not None)
    assert pbx.error.code() == grpc.StatusCode.FAILED_PRECONDITION
    calls = {n: (await router_stub.GetCall(pb.GetCallRequest(call_id=f"c{n}"))).call for n in range(3)}
    assert [(c.state, c.end_reason) for c in calls.values()] == [
        (st.CALL_STATE_ABANDONED, "pbx_lost"),  # was ringing anna
        (st.CALL_STATE_COMPLETED, "pbx_lost"),  # was connected to boris
        (st.CALL_STATE_ABANDONED, "pbx_lost"),  # was waiting
    ]
    assert ["ENDED"] == pbx.kinds("c2")[-1:]
    anna = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status
    assert anna.state == st.AGENT_STATE_AVAILABLE
    missed = [(k, e.reason) for k, e in await call_events(redis, tenant, "c0") if k == "OFFER_MISSED"]
    assert missed == [("OFFER_MISSED", "pbx_lost")]  # not a miss of anna's (stats counts it as cancelled)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="c9", caller="+491", queue="sales", pbx_id="pbx-a"))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_reconnect_to_another_replica_resumes_the_stream_with_no_gap_and_no_repeat(
    start_replica, redis, tenant
):
    a, b = await start_replica(), await start_replica()
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{a.port}") as ch_a,
        grpc.aio.insecure_channel(f"127.0.0.1:{b.port}") as ch_b,
    ):
        from callcenter.api.router.v1 import router_pb2_grpc

        stub_a, stub_b = router_pb2_grpc.RouterServiceStub(ch_a), router_pb2_grpc.RouterServiceStub(ch_b)
        await team(stub_a, agents=("anna",))
        first = PbxClient(stub_a, "pbx-r", lease_ms=5000)
        async with first:
            for n in range(4):
                await stub_a.RouteCall(
                    pb.RouteCallRequest(call_id=f"c{n}", caller="+491", queue="sales", pbx_id="pbx-r")
                )
            await first.next_event("c3", K.PBX_CALL_EVENT_KIND_QUEUED)
        handled = first.events[-1].sequence
        # while the PBX is away, its calls move on (through the other replica)
        for n in range(4):
            await stub_b.HangupCall(pb.HangupCallRequest(call_id=f"c{n}"))
        async with PbxClient(stub_b, "pbx-r", lease_ms=5000, resume_after=handled) as second:
            await second.next_event("c3", K.PBX_CALL_EVENT_KIND_ENDED)
        assert second.opened.sequence >= handled
    received = [e.sequence for e in first.events + second.events]
    stored = [int(i.split("-")[1]) for i, _ in await redis.xrange(f"cc:{{{tenant}}}:pbx:pbx-r:events")]
    assert received == stored == list(range(1, len(stored) + 1))
    assert second.events[0].sequence == handled + 1


async def test_a_resume_point_ahead_of_the_stream_is_out_of_range(router_stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async with PbxClient(router_stub, "pbx-new", resume_after=99):
            pass
    assert refused.value.code() == grpc.StatusCode.OUT_OF_RANGE


@pytest.mark.parametrize(
    ("hello", "field"),
    [
        (pb.PbxHello(pbx_id="bad id"), "hello.pbx_id"),
        (pb.PbxHello(pbx_id="p", ring_timer=7), "hello.ring_timer"),
        (pb.PbxHello(pbx_id="p", lease=ms(500)), "hello.lease"),
        (pb.PbxHello(pbx_id="p", lease=ms(301_000)), "hello.lease"),
    ],
)
async def test_a_bad_hello_is_invalid_argument_naming_the_field(router_stub, hello, field):
    async def requests():
        yield pb.PbxSessionRequest(hello=hello)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in router_stub.PbxSession(requests()):
            pass
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field)


async def test_a_session_must_start_with_a_hello(router_stub):
    async def requests():
        yield pb.PbxSessionRequest(heartbeat=pb.PbxHeartbeat())

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in router_stub.PbxSession(requests()):
            pass
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_late_miss_report_for_an_offer_the_router_expired_is_ok_and_counted_once(router_stub, redis, tenant):
    await team(router_stub, agents=("anna", "boris"), ring_timeout=ms(150))
    async with PbxClient(router_stub, "pbx-l") as pbx:
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="pbx-l"))
        first = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
        cancelled = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED)  # the router's ring timer
        assert (cancelled.offer_id, cancelled.reason) == (first.offer_id, "timeout")
        late = await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=first.offer_id, outcome=pb.OFFER_OUTCOME_NO_ANSWER)
        )
    assert late.call.state == st.CALL_STATE_RINGING and late.call.offer.agent_id == "boris"
    misses = [(e.offer_id, e.reason) for k, e in await call_events(redis, tenant, "c1") if k == "OFFER_MISSED"]
    assert misses[:1] == [(first.offer_id, "timeout")] and [m for m in misses if m[0] == first.offer_id] == misses[:1]


async def test_an_answer_racing_the_routers_expiry_is_accepted_and_the_newer_offer_cancelled(
    router_stub, redis, tenant
):
    await team(router_stub, agents=("anna", "boris"), ring_timeout=ms(150))
    async with PbxClient(router_stub, "pbx-race") as pbx:
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="pbx-race"))
        first = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
        await pbx.wait_for(lambda: pbx.kinds("c1").count("OFFERED") == 2)
        second = [e for e in pbx.events if e.kind == K.PBX_CALL_EVENT_KIND_OFFERED][1]
        assert second.call.offer.agent_id == "boris"
        # anna picked up just as the router gave up on her: she is talking to the caller
        answered = await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=first.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        told = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_CONNECTED)
        stop = [
            e for e in pbx.events if e.kind == K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED and e.offer_id == second.offer_id
        ]
    assert answered.call.state == st.CALL_STATE_CONNECTED and answered.call.agent_id == "anna"
    assert told.offer_id == first.offer_id
    assert [e.reason for e in stop] == ["answered_elsewhere"]  # the PBX stops ringing boris
    boris = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="boris"))).agent.status
    assert boris.state == st.AGENT_STATE_AVAILABLE
    kinds = [(k, e.agent_id, e.reason) for k, e in await call_events(redis, tenant, "c1")]
    assert ("OFFER_MISSED", "boris", "answered_elsewhere") in kinds
    [answer] = [e for k, e in await call_events(redis, tenant, "c1") if k == "CALL_ANSWERED"]
    assert answer.agent_id == "anna" and answer.attributes["revoked_miss"] == "timeout"


async def test_a_true_double_answer_is_refused(router_stub):
    await team(router_stub, agents=("anna", "boris"), ring_timeout=ms(150))
    async with PbxClient(router_stub, "pbx-d") as pbx:
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="pbx-d"))
        first = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
        await pbx.wait_for(lambda: pbx.kinds("c1").count("OFFERED") == 2)
        second = [e for e in pbx.events if e.kind == K.PBX_CALL_EVENT_KIND_OFFERED][1]
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=second.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await router_stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=first.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
            )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "connected to agent boris" in refused.value.details()
    call = (await router_stub.GetCall(pb.GetCallRequest(call_id="c1"))).call
    assert call.state == st.CALL_STATE_CONNECTED and call.agent_id == "boris"


async def test_an_answer_the_pbx_itself_reported_missed_is_refused(router_stub):
    await team(router_stub, agents=("anna", "boris"))
    routed = await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))
    first = routed.call.offer.offer_id
    await router_stub.ReportOfferOutcome(
        pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=first, outcome=pb.OFFER_OUTCOME_NO_ANSWER)
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=first, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "ended as no_answer" in refused.value.details()


async def test_with_the_pbx_running_the_ring_timer_the_routers_expiry_is_only_a_backstop(start_replica, redis, tenant):
    from callcenter.api.router.v1 import router_pb2_grpc
    from callcenter.services.router.config import PbxSettings

    replica = await start_replica(pbx=PbxSettings(ring_grace_ms=300))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await team(stub, agents=("anna", "boris"), ring_timeout=ms(200))
        async with PbxClient(stub, "pbx-t", ring_timer=pb.RING_TIMER_PBX) as pbx:
            assert pbx.opened.ring_grace.ToMilliseconds() == 300
            await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="pbx-t"))
            offered = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
            offer = offered.call.offer
            assert offer.ring_timeout.ToMilliseconds() == 200
            assert offer.expires_at.ToMilliseconds() - offered.time.ToMilliseconds() == 500
            # this PBX says nothing (it hung): the backstop expires the offer after ring + grace
            cancelled = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED)
    assert cancelled.reason == "timeout"
    assert cancelled.time.ToMilliseconds() - offered.time.ToMilliseconds() >= 500


async def test_a_call_outliving_its_queues_maximum_lifetime_is_ended(router_stub):
    await team(router_stub, agents=("anna",), max_call_lifetime=ms(300), wrap_up=ms(60_000))
    async with PbxClient(router_stub, "pbx-m") as pbx:
        await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="pbx-m"))
        offered = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=offered.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        ended = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_ENDED)  # no hang-up ever comes
    assert (ended.call.state, ended.call.end_reason, ended.reason) == (
        st.CALL_STATE_COMPLETED,
        "max_lifetime",
        "max_lifetime",
    )
    anna = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status
    assert anna.state == st.AGENT_STATE_WRAP_UP


async def test_waiting_calls_are_told_their_new_position_when_the_line_moves(start_replica):
    from callcenter.api.router.v1 import router_pb2_grpc
    from callcenter.services.router.config import PbxSettings

    replica = await start_replica(pbx=PbxSettings(position_interval_ms=100))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await team(stub, agents=("anna",))
        async with PbxClient(stub, "pbx-p") as pbx:
            for n in range(3):
                await stub.RouteCall(pb.RouteCallRequest(call_id=f"c{n}", caller="+491", queue="sales", pbx_id="pbx-p"))
            queued = await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_QUEUED)
            assert queued.call.queue_position == 2
            await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))  # the call ahead gives up
            moved = await pbx.next_event("c2", K.PBX_CALL_EVENT_KIND_POSITION_CHANGED)
    assert moved.call.queue_position == 1
    assert pbx.kinds("c2").count("POSITION_CHANGED") == 1  # told once, not once per event


async def test_a_v1_watcher_following_the_documented_version_rule_gets_position_changes(start_replica):
    from callcenter.api.router.v1 import router_pb2_grpc
    from callcenter.services.router.config import PbxSettings

    replica = await start_replica(pbx=PbxSettings(position_interval_ms=100))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await team(stub, agents=("anna",))
        for n in range(3):
            await stub.RouteCall(pb.RouteCallRequest(call_id=f"c{n}", caller="+491", queue="sales"))
        applied, last_version = [], 0
        async for update in stub.WatchCall(pb.WatchCallRequest(call_id="c2"), timeout=10):
            if update.call.version < last_version:  # docs/pbx-integration.md: drop only older ones
                continue
            last_version = update.call.version
            applied.append(update.call.queue_position)
            if len(applied) == 1:
                await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
            if update.call.queue_position == 1:
                break
    assert applied == [2, 1]


async def open_when_free(stub, pbx_id: str, within_s: float = 10.0) -> PbxClient:
    """Opens a session, again while the replica answers RESOURCE_EXHAUSTED (each refusal is
    the replica's answer to the attempt before: no timer decides), for at most within_s."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        client = PbxClient(stub, pbx_id)
        try:
            return await client.__aenter__()
        except grpc.aio.AioRpcError as refused:
            await client.close()
            if refused.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0)  # let the replica run the closed session's end


async def test_a_replica_serves_a_bounded_number_of_sessions(start_replica):
    from callcenter.api.router.v1 import router_pb2_grpc
    from callcenter.services.router.config import PbxSettings

    replica = await start_replica(pbx=PbxSettings(max_sessions=2))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        async with PbxClient(stub, "pbx-1"), PbxClient(stub, "pbx-2"):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                async with PbxClient(stub, "pbx-3"):
                    pass
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # a closed session frees its place once the replica has seen its stream end (the
        # client's cancel reaches it asynchronously): a PBX opening again, as a real one
        # retries, gets in
        third = await open_when_free(stub, "pbx-3")
        try:
            assert third.opened.pbx_id == "pbx-3"
        finally:
            await third.close()


async def test_offers_still_expire_while_clients_hold_every_shared_connection(start_replica, redis, redis_url, tenant):
    import asyncio

    from callcenter.core.redis_connection import client_for
    from callcenter.services.router.model import AgentProfile
    from callcenter.services.router.router import Router
    from callcenter.services.router.store import RouterStore
    from tests.helpers import read_events

    await start_replica()  # its timers run on connections of their own
    other = client_for(redis_url)
    router = Router(RouterStore(other, tenant, event_stream_maxlen=100_000, call_retention_s=3600))
    await router.upsert_queue("sales", ring_timeout_ms=150)
    await router.upsert_agent(AgentProfile(id="anna", endpoint="sip:anna", queues=("sales",)))
    await router.login("anna")
    # Streams opened by clients hold all 64 connections of the replica's shared pool.
    holders = [asyncio.create_task(redis.xread({"held-open": "$"}, block=4000)) for _ in range(64)]
    await asyncio.sleep(0.2)
    try:
        await router.route_call("c1", "+491", "sales")
        deadline = asyncio.get_running_loop().time() + 3
        while not [e for e in await read_events(other, tenant) if e.reason == "timeout"]:
            assert asyncio.get_running_loop().time() < deadline, "the offer never expired"
            await asyncio.sleep(0.05)
    finally:
        for task in holders:
            task.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        await other.aclose()
