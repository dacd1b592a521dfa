"""Callbacks (S1.10) on real gRPC and Redis: scheduled, made at their time as outbound
previews to the same agent first, tried again when unreached, never lost across restarts."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import timestamp_pb2

from callcenter.api.events.v1 import events_pb2 as ev
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.services.router.config import OutboundSettings
from tests.helpers import next_event
from tests.pbx_session_client import PbxClient, ms, team

CB = pb.CALLBACK_STATE_SCHEDULED


def at(ms_since_epoch: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromMilliseconds(ms_since_epoch)
    return ts


async def redis_ms(redis) -> int:
    seconds, micros = await redis.time()
    return seconds * 1000 + micros // 1000


async def schedule(stub, callback_id, due_ms, agent_id="boris", number="+4930555", **fields):
    callback = pb.Callback(
        callback_id=callback_id, number=number, queue="sales", due_at=at(due_ms), agent_id=agent_id, **fields
    )
    return (await stub.ScheduleCallback(pb.ScheduleCallbackRequest(callback=callback))).callback


def offered(callback_id: str):
    return lambda e: e.type == ev.EVENT_TYPE_CALL_OFFERED and e.callback_id == callback_id


async def stub_of(replica):
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}")
    return channel, router_pb2_grpc.RouterServiceStub(channel)


async def test_a_callback_scheduled_before_every_router_stopped_is_made_after_the_restart_to_the_same_agent(
    start_replica, redis, tenant
):
    first = await start_replica()
    channel, stub = await stub_of(first)
    await team(stub, agents=("anna", "boris"), outbound_pbx="dialer")
    async with PbxClient(stub, "dialer", lease_ms=30_000):
        # due after this replica has stopped: only the timer in Redis remembers it
        scheduled = await schedule(stub, "cb1", await redis_ms(redis) + 2000, note="asked about leasing")
    assert scheduled.state == CB and scheduled.created_by == ""
    await channel.close()
    await first.stop()
    # nothing runs now: the callback is only its hash and its timer in Redis
    assert await redis.hget(f"cc:{{{tenant}}}:callback:cb1", "state") == "scheduled"
    assert await redis.zscore(f"cc:{{{tenant}}}:timers", "callback|cb1") is not None
    second = await start_replica()
    channel, stub = await stub_of(second)
    async with PbxClient(stub, "dialer", lease_ms=30_000):
        _, event = await asyncio.wait_for(next_event(redis, tenant, offered("cb1")), 10)
        assert event.agent_id == "boris" and event.direction == "outbound"  # anna was free longer
        cb = (await stub.GetCallback(pb.GetCallbackRequest(callback_id="cb1"))).callback
        call = (await stub.GetCall(pb.GetCallRequest(call_id=cb.call_id))).call
    await channel.close()
    assert cb.state == pb.CALLBACK_STATE_CALLING and cb.attempts == 1
    assert call.callback_id == "cb1" and call.attributes["note"] == "asked about leasing"
    assert call.outbound_mode == pb.OUTBOUND_MODE_PREVIEW


async def test_an_unreached_callback_is_tried_again_and_fails_when_its_attempts_run_out(start_replica, redis, tenant):
    replica = await start_replica(outbound=OutboundSettings(callback_attempts=2, callback_retry_ms=100))
    channel, stub = await stub_of(replica)
    await team(stub, agents=("boris",), outbound_pbx="dialer")
    async with PbxClient(stub, "dialer"):
        await schedule(stub, "cb1", await redis_ms(redis))
        for attempt, outcome in ((1, pb.DIAL_OUTCOME_NO_ANSWER), (2, pb.DIAL_OUTCOME_BUSY)):
            _, event = (
                await asyncio.wait_for(next_event(redis, tenant, offered("cb1")), 10)
                if attempt == 1
                else (
                    await asyncio.wait_for(
                        next_event(redis, tenant, lambda e: offered("cb1")(e) and e.call_id.endswith("-2")), 10
                    )
                )
            )
            accepted = await stub.AcceptOutboundCall(
                pb.AcceptOutboundCallRequest(call_id=event.call_id, offer_id=event.offer_id)
            )
            await stub.ReportDialOutcome(
                pb.ReportDialOutcomeRequest(
                    call_id=event.call_id, offer_id=accepted.call.offer.offer_id, outcome=outcome
                )
            )
        cb = (await stub.GetCallback(pb.GetCallbackRequest(callback_id="cb1"))).callback
    await channel.close()
    assert (cb.state, cb.ended_reason, cb.attempts) == (pb.CALLBACK_STATE_FAILED, "attempts", 2)


async def test_a_callback_reaching_the_customer_is_done(router_stub, redis, tenant):
    await team(router_stub, agents=("boris",), outbound_pbx="dialer", wrap_up=ms(0))
    async with PbxClient(router_stub, "dialer"):
        await schedule(router_stub, "cb1", await redis_ms(redis))
        _, event = await asyncio.wait_for(next_event(redis, tenant, offered("cb1")), 10)
        await router_stub.AcceptOutboundCall(
            pb.AcceptOutboundCallRequest(call_id=event.call_id, offer_id=event.offer_id)
        )
        await router_stub.ReportDialOutcome(
            pb.ReportDialOutcomeRequest(
                call_id=event.call_id, offer_id=event.offer_id, outcome=pb.DIAL_OUTCOME_ANSWERED
            )
        )
        await router_stub.HangupCall(pb.HangupCallRequest(call_id=event.call_id))
        cb = (await router_stub.GetCallback(pb.GetCallbackRequest(callback_id="cb1"))).callback
        live = (await router_stub.ListCallbacks(pb.ListCallbacksRequest(agent_id="boris"))).callbacks
        ended = (await router_stub.ListCallbacks(pb.ListCallbacksRequest(include_ended=True))).callbacks
    assert (cb.state, cb.ended_reason) == (pb.CALLBACK_STATE_DONE, "done")
    assert list(live) == [] and [c.callback_id for c in ended] == ["cb1"]


async def test_a_callback_whose_agent_is_busy_goes_to_the_queue_after_the_managers_wait(router_stub, redis, tenant):
    await team(router_stub, agents=("anna", "boris"), outbound_pbx="dialer", manager_wait=ms(100))
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="in1", caller="+491", queue="sales"))
    ringing = (await router_stub.GetCall(pb.GetCallRequest(call_id="in1"))).call
    assert ringing.offer.agent_id == "anna"
    await router_stub.ReportOfferOutcome(
        pb.ReportOfferOutcomeRequest(call_id="in1", offer_id=ringing.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
    )
    async with PbxClient(router_stub, "dialer"):
        await schedule(router_stub, "cb1", await redis_ms(redis), agent_id="anna")  # anna is on a call
        _, event = await asyncio.wait_for(next_event(redis, tenant, offered("cb1")), 10)
    assert event.agent_id == "boris"


async def test_a_caller_who_abandons_is_called_back_unless_they_get_through_first(router_stub, redis, tenant):
    await team(router_stub, agents=("anna",), outbound_pbx="dialer", callback_after_missed=ms(3_600_000))
    await router_stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="lunch"))
    for n in (1, 2):  # the same caller gives up twice: one callback
        await router_stub.RouteCall(pb.RouteCallRequest(call_id=f"in{n}", caller="+4977", queue="sales"))
        await router_stub.HangupCall(pb.HangupCallRequest(call_id=f"in{n}"))
    callbacks = (await router_stub.ListCallbacks(pb.ListCallbacksRequest(queue="sales"))).callbacks
    assert [(c.number, c.origin, c.state) for c in callbacks] == [("+4977", "missed_call", CB)]
    await router_stub.ResumeAgent(pb.ResumeAgentRequest(agent_id="anna"))
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="in3", caller="+4977", queue="sales"))
    ringing = (await router_stub.GetCall(pb.GetCallRequest(call_id="in3"))).call
    await router_stub.ReportOfferOutcome(
        pb.ReportOfferOutcomeRequest(call_id="in3", offer_id=ringing.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
    )
    cb = (await router_stub.GetCallback(pb.GetCallbackRequest(callback_id=callbacks[0].callback_id))).callback
    assert (cb.state, cb.ended_reason) == (pb.CALLBACK_STATE_CANCELLED, "caller_reached")


async def test_a_cancelled_callback_is_never_made(router_stub, redis, tenant):
    await team(router_stub, agents=("boris",), outbound_pbx="dialer")
    await schedule(router_stub, "cb1", await redis_ms(redis) + 200)
    cancelled = (await router_stub.CancelCallback(pb.CancelCallbackRequest(callback_id="cb1"))).callback
    assert cancelled.state == pb.CALLBACK_STATE_CANCELLED
    timers = await redis.zrange(f"cc:{{{tenant}}}:timers", 0, -1)
    assert not [t for t in timers if t.startswith("callback|")]
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await router_stub.CancelCallback(pb.CancelCallbackRequest(callback_id="cb1"))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_scheduling_a_callback_again_is_idempotent_and_another_with_its_id_is_refused(router_stub, redis):
    await team(router_stub, agents=("boris",), outbound_pbx="dialer")
    due = await redis_ms(redis) + 86_400_000
    first = await schedule(router_stub, "cb1", due)
    again = await schedule(router_stub, "cb1", due)
    assert again == first
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await schedule(router_stub, "cb1", due + 1)
    assert other.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"callback_id": "bad id"}, "callback.callback_id", grpc.StatusCode.INVALID_ARGUMENT),
        ({"number": "no number"}, "callback.number", grpc.StatusCode.INVALID_ARGUMENT),
        ({"note": "x" * 501}, "callback.note", grpc.StatusCode.INVALID_ARGUMENT),
        ({"due_at": at(99_999_999_999_999)}, "callback.due_at", grpc.StatusCode.INVALID_ARGUMENT),
        ({"origin": "robot"}, "origin", grpc.StatusCode.INVALID_ARGUMENT),
        ({"queue": "nowhere"}, "", grpc.StatusCode.NOT_FOUND),
        ({"agent_id": "ghost"}, "", grpc.StatusCode.NOT_FOUND),
    ],
)
async def test_a_bad_callback_is_refused_naming_the_field(router_stub, redis, fields, field, code):
    await team(router_stub, agents=("boris",))
    values = {"callback_id": "cb1", "number": "+4930", "queue": "sales", "due_at": at(await redis_ms(redis))}
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.ScheduleCallback(pb.ScheduleCallbackRequest(callback=pb.Callback(**{**values, **fields})))
    assert refused.value.code() == code
    assert refused.value.details().startswith(field)


async def test_a_callback_of_a_queue_without_an_open_pbx_waits_and_is_made_once_one_opens(router_stub, redis, tenant):
    await team(router_stub, agents=("boris",), outbound_pbx="dialer")
    await schedule(router_stub, "cb1", await redis_ms(redis))
    _, fired = await asyncio.wait_for(
        next_event(redis, tenant, lambda e: e.type == ev.EVENT_TYPE_CALLBACK_SCHEDULED and e.callback_id == "cb1"), 10
    )
    # due now, but no PBX session is open: the timer is put a minute on, the callback kept
    deadline = await asyncio.wait_for(_timer_moved(redis, tenant, "callback|cb1", int(fired.time.ToMilliseconds())), 10)
    assert deadline >= int(fired.time.ToMilliseconds()) + 59_000
    cb = (await router_stub.GetCallback(pb.GetCallbackRequest(callback_id="cb1"))).callback
    assert cb.state == CB and cb.attempts == 0


async def _timer_moved(redis, tenant, member, scheduled_ms):
    while True:
        score = await redis.zscore(f"cc:{{{tenant}}}:timers", member)
        if score is not None and score > scheduled_ms + 1000:
            return score
        await asyncio.sleep(0.02)
