"""Pause reasons from the site's list, "pause after this call" for a busy agent, and the time
paused per reason in the agent figures: real router, stats and gateway, waits on the event
stream."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team
from tests.helpers import next_event, read_events

E = events_pb2


def _ms(ms: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(ms)
    return d


async def _team(stub, agents=("anna",), wrap_up_ms: int = 0) -> None:
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", wrap_up=_ms(wrap_up_ms))))
    for agent_id in agents:
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=["sales"]))
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


async def _answered(stub, call_id: str) -> pb.Call:
    call = (await stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller="+491", queue="sales"))).call
    request = pb.ReportOfferOutcomeRequest(
        call_id=call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
    )
    return (await stub.ReportOfferOutcome(request)).call


async def _event(redis, tenant, check, after="0-0"):
    return await asyncio.wait_for(next_event(redis, tenant, check, after), 10)


async def test_a_reason_outside_the_site_list_is_refused_naming_reason(router_stub):
    await _team(router_stub)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="vacation"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("reason")
    reasons = (await router_stub.ListPauseReasons(pb.ListPauseReasonsRequest())).reasons
    assert "lunch" in [r.code for r in reasons]
    assert [(r.code, r.automatic) for r in reasons if r.automatic] == [("no_answer", True)]

    listed = [pb.PauseReason(code="vacation", label="Vacation"), pb.PauseReason(code="lunch", label="Lunch")]
    reply = await router_stub.SetPauseReasons(pb.SetPauseReasonsRequest(reasons=listed))
    assert [r.code for r in reply.reasons] == ["vacation", "lunch", "no_answer"]
    status = (await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="vacation"))).status
    assert status.state == states_pb2.AGENT_STATE_PAUSED and status.pause_reason == "vacation"
    # the router's own automatic reason stays valid, whatever the list
    status = (await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="no_answer"))).status
    assert status.pause_reason == "no_answer"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="training"))
    assert refused.value.details().startswith("reason")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        twice = [pb.PauseReason(code="a", label="A"), pb.PauseReason(code="a", label="B")]
        await router_stub.SetPauseReasons(pb.SetPauseReasonsRequest(reasons=twice))
    assert refused.value.details().startswith("reasons[1].code")


async def test_logging_in_paused_takes_a_reason_from_the_list_only(router_stub):
    await router_stub.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id="anna", endpoint="sip:anna@pbx")))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.LoginAgent(pb.LoginAgentRequest(agent_id="anna", pause_reason="vacation"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("pause_reason")
    status = (await router_stub.LoginAgent(pb.LoginAgentRequest(agent_id="anna", pause_reason="training"))).status
    assert status.state == states_pb2.AGENT_STATE_PAUSED and status.pause_reason == "training"


async def test_pause_after_this_call_pauses_the_agent_at_the_end_of_the_wrap_up(router_stub, redis, tenant):
    await _team(router_stub, wrap_up_ms=300)
    await _answered(router_stub, "c1")
    status = (
        await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="training", after_current_call=True))
    ).status
    assert status.state == states_pb2.AGENT_STATE_ON_CALL and status.call_id == "c1"  # still on the call
    assert status.pending_pause_reason == "training"
    agent = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent
    assert agent.status.pending_pause_reason == "training"
    requested, _ = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_AGENT_PAUSE_REQUESTED)
    # a call waits meanwhile: anna must not be offered it between her wrap-up and her pause
    waiting = (await router_stub.RouteCall(pb.RouteCallRequest(call_id="c2", caller="+492", queue="sales"))).call
    assert waiting.state == states_pb2.CALL_STATE_WAITING
    await router_stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
    assert (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status.state in (
        states_pb2.AGENT_STATE_WRAP_UP,
        states_pb2.AGENT_STATE_PAUSED,  # on a slow machine the 300 ms may be over already
    )
    paused_id, paused = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_AGENT_PAUSED, requested)
    assert paused.agent_id == "anna" and paused.reason == "training" and paused.attributes["after_call"] == "1"
    between = [e for e in await read_events(redis, tenant) if requested < e.id <= paused_id]
    ended = [e for e in between if e.type == E.EVENT_TYPE_AGENT_WRAP_UP_ENDED]
    assert [(e.reason, e.agent_state) for e in ended] == [("timer", states_pb2.AGENT_STATE_PAUSED)]
    assert not [e for e in between if e.type == E.EVENT_TYPE_CALL_OFFERED]
    status = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status
    assert status.state == states_pb2.AGENT_STATE_PAUSED and status.pause_reason == "training"
    assert status.pending_pause_reason == ""
    assert (await router_stub.GetCall(pb.GetCallRequest(call_id="c2"))).call.state == states_pb2.CALL_STATE_WAITING


async def test_a_pending_pause_applies_when_a_ring_is_missed(router_stub, redis, tenant):
    await _team(router_stub)
    call = (await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))).call
    request = pb.PauseAgentRequest(agent_id="anna", reason="meeting", after_current_call=True)
    status = (await router_stub.PauseAgent(request)).status
    assert status.state == states_pb2.AGENT_STATE_RESERVED and status.pending_pause_reason == "meeting"
    missed = pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_REJECTED)
    assert (await router_stub.ReportOfferOutcome(missed)).call.state == states_pb2.CALL_STATE_WAITING
    _, paused = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_AGENT_PAUSED)
    assert paused.reason == "meeting"
    status = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status
    assert status.state == states_pb2.AGENT_STATE_PAUSED and status.pause_reason == "meeting"


async def test_a_pending_pause_is_cancelled_by_resume(router_stub, redis, tenant):
    await _team(router_stub)  # no wrap-up: the hang-up frees the agent at once
    await _answered(router_stub, "c1")
    await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="lunch", after_current_call=True))
    status = (await router_stub.ResumeAgent(pb.ResumeAgentRequest(agent_id="anna"))).status
    assert status.state == states_pb2.AGENT_STATE_ON_CALL and status.pending_pause_reason == ""
    _, cancelled = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_AGENT_PAUSE_CANCELLED)
    assert cancelled.reason == "lunch" and cancelled.call_id == "c1"
    await router_stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
    _, completed = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CALL_COMPLETED)
    assert completed.agent_state == states_pb2.AGENT_STATE_AVAILABLE
    assert E.EVENT_TYPE_AGENT_PAUSED not in [e.type for e in await read_events(redis, tenant)]
    status = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status
    assert status.state == states_pb2.AGENT_STATE_AVAILABLE


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_time_paused_per_reason_is_in_the_agent_figures(backend_addrs, quiet_stats, gateway, redis, tenant):
    await setup_team(gateway)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        for reason in ("lunch", "training", "lunch"):
            await stub.PauseAgent(pb.PauseAgentRequest(agent_id="boris", reason=reason))
            await asyncio.sleep(0.05)
            await stub.ResumeAgent(pb.ResumeAgentRequest(agent_id="boris"))
    events = [e for e in await read_events(redis, tenant) if e.agent_id == "boris"]
    expected: dict[str, int] = {}
    for pause, resume in zip(events, events[1:], strict=False):
        if pause.type == E.EVENT_TYPE_AGENT_PAUSED and resume.type == E.EVENT_TYPE_AGENT_RESUMED:
            ms = resume.time.ToMilliseconds() - pause.time.ToMilliseconds()
            expected[pause.reason] = expected.get(pause.reason, 0) + ms
    await quiet_stats.consumer.drain()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        stats = stats_pb2_grpc.StatsServiceStub(channel)
        period = spb.Period(range=spb.TimeRange(start=events[0].time, end=_later(events[-1].time)))
        reply = await stats.GetAgentStats(spb.GetAgentStatsRequest(period=period, agent_ids=["boris"]))
    boris = reply.agents[0]
    by_reason = {r: d.ToMilliseconds() for r, d in boris.pause_time_by_reason.items()}
    assert by_reason == {r: ms for r, ms in expected.items() if ms}
    assert sum(by_reason.values()) == boris.pause_time.ToMilliseconds()
    # the gateway's board shows today's paused time per reason
    sam = await gateway.login("sam")
    board = await (await sam.get("/api/v1/board")).json()
    (row,) = [a for a in board["agents"] if a["id"] == "boris"]
    assert row["paused_today_ms"] == by_reason


def _later(t):
    from google.protobuf import timestamp_pb2

    out = timestamp_pb2.Timestamp()
    out.FromMilliseconds(t.ToMilliseconds() + 1000)
    return out


async def test_the_gateway_pauses_a_busy_agent_after_the_call(gateway, redis, tenant):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    listed = (await (await sam.get("/api/v1/pause-reasons")).json())["reasons"]
    assert {"code": "lunch", "label": "Lunch"} in listed
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", wrap_up=_ms(200))))
        await _answered(stub, "c1")  # anna, idle longest
        refused = await sam.post("/api/v1/agents/anna/pause", json={"reason": "holiday"}, headers=csrf(sam))
        assert refused.status == 400 and (await refused.json())["field"] == "reason"
        reply = await sam.post(
            "/api/v1/agents/anna/pause", json={"reason": "lunch", "after_current_call": True}, headers=csrf(sam)
        )
        assert reply.status == 200, await reply.text()
        status = (await reply.json())["status"]
        assert status["state"] == "AGENT_STATE_ON_CALL" and status["pending_pause_reason"] == "lunch"
        assert status["pending_pause_by"] == "sam"
        board = await (await sam.get("/api/v1/board")).json()
        assert [a["pending_pause_reason"] for a in board["agents"] if a["id"] == "anna"] == ["lunch"]
        requested, asked = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_AGENT_PAUSE_REQUESTED)
        assert asked.actor == "sam"
        await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
    _, paused = await _event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_AGENT_PAUSED, requested)
    assert paused.agent_id == "anna" and paused.reason == "lunch" and paused.actor == "sam"
    agent = (await (await sam.get("/api/v1/agents/anna")).json())["agent"]
    assert agent["status"]["state"] == "AGENT_STATE_PAUSED" and agent["status"]["pause_reason"] == "lunch"


async def test_an_admin_sets_the_reason_list_through_the_gateway_and_only_an_admin(gateway):
    await setup_team(gateway)
    root, sam = await gateway.login("root"), await gateway.login("sam")
    wanted = {"reasons": [{"code": "lunch", "label": "Lunch"}, {"code": "doctor", "label": "Doctor's visit"}]}
    refused = await sam.put("/api/v1/pause-reasons", json=wanted, headers=csrf(sam))
    assert refused.status == 403
    reply = await root.put("/api/v1/pause-reasons", json=wanted, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    listed = (await (await sam.get("/api/v1/pause-reasons")).json())["reasons"]
    configured = [(r["code"], r["label"]) for r in listed if not r.get("automatic")]
    assert configured == [("lunch", "Lunch"), ("doctor", "Doctor's visit")]
    paused = await sam.post("/api/v1/agents/anna/pause", json={"reason": "doctor"}, headers=csrf(sam))
    assert paused.status == 200, await paused.text()
    gone = await sam.post("/api/v1/agents/boris/pause", json={"reason": "training"}, headers=csrf(sam))
    assert gone.status == 400 and (await gone.json())["field"] == "reason"  # no longer in the list
    for body, field in (
        ({"reasons": []}, "reasons"),
        ({"reasons": [{"code": "x", "colour": "red"}]}, "reasons[0]"),
        ({"reasons": [{"code": "x", "label": 7}]}, "reasons[0].label"),
        ({"reasons": [{"code": "lunch", "label": "Lunch"}, {"code": "no spaces", "label": "x"}]}, "reasons[1].code"),
    ):
        bad = await root.put("/api/v1/pause-reasons", json=body, headers=csrf(root))
        assert bad.status == 400 and (await bad.json())["field"] == field, await bad.text()
    twice = {"reasons": [{"code": "lunch"}, {"code": "lunch"}]}
    duplicate = await root.put("/api/v1/pause-reasons", json=twice, headers=csrf(root))
    assert duplicate.status == 400, await duplicate.text()
