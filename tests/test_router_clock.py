"""One clock: every time the router writes comes from the Redis server, inside the transition."""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf import duration_pb2

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from tests.helpers import event_types, read_events
from tests.router_processes import RouterProcess

# Put on a router process's PYTHONPATH: its wall clock runs CLOCK_SKEW_MS off.
SKEWED_CLOCK = """
import os, time
_skew_ns = int(os.environ.get("CLOCK_SKEW_MS", "0")) * 1_000_000
_time_ns, _time = time.time_ns, time.time
time.time_ns = lambda: _time_ns() + _skew_ns
time.time = lambda: _time() + _skew_ns / 1e9
"""


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


async def test_two_replicas_with_clocks_300_ms_apart_write_the_redis_time_and_no_negative_duration(
    tmp_path, redis_url, redis, tenant
):
    import os

    site = tmp_path / "skew"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SKEWED_CLOCK)
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    ahead = RouterProcess(tmp_path, "ahead", redis_url, tenant, PYTHONPATH=path, CLOCK_SKEW_MS="300")
    behind = RouterProcess(tmp_path, "behind", redis_url, tenant, PYTHONPATH=path, CLOCK_SKEW_MS="-300")
    await asyncio.gather(ahead.start(), behind.start())
    try:
        async with ahead.channel() as ch_a, behind.channel() as ch_b:
            a, b = ahead.stub(ch_a), behind.stub(ch_b)
            await a.UpsertQueue(
                pb.UpsertQueueRequest(queue=pb.Queue(name="sales", ring_timeout=ms(100), wrap_up=ms(50)))
            )
            for agent_id in ("anna", "boris"):
                await a.UpsertAgent(
                    pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint="sip:x", queues=["sales"]))
                )
                await b.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
            for n in range(6):
                routed = (await a.RouteCall(pb.RouteCallRequest(call_id=f"c{n}", caller="+491", queue="sales"))).call
                if n % 3 == 0:  # the other replica's miss report, then its hang-up while ringing
                    routed = (
                        await b.ReportOfferOutcome(
                            pb.ReportOfferOutcomeRequest(
                                call_id=f"c{n}", offer_id=routed.offer.offer_id, outcome=pb.OFFER_OUTCOME_REJECTED
                            )
                        )
                    ).call
                    await b.HangupCall(pb.HangupCallRequest(call_id=f"c{n}"))
                elif n % 3 == 1 and routed.state == st.CALL_STATE_RINGING:  # answered on b, hung up on a
                    await b.ReportOfferOutcome(
                        pb.ReportOfferOutcomeRequest(
                            call_id=f"c{n}", offer_id=routed.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                        )
                    )
                    await a.HangupCall(pb.HangupCallRequest(call_id=f"c{n}"))
                else:  # a's hang-up of a call b's timer may be expiring right now
                    await asyncio.sleep(0.1)
                    await a.HangupCall(pb.HangupCallRequest(call_id=f"c{n}"))
    finally:
        ahead.kill()
        behind.kill()
    entries = await redis.xrange(f"cc:{{{tenant}}}:events")
    events = await read_events(redis, tenant)
    assert len(events) > 20 and "OFFER_MISSED" in event_types(events)
    for (entry_id, _), event in zip(entries, events, strict=True):
        written_ms = int(entry_id.split("-")[0])  # the Redis server's clock when it was written
        # the script's TIME and its XADD differ by the script's own run time, a few ms, more when
        # a busy machine descheduled Redis mid-script; a replica's clock would be 300 ms off
        assert abs(event.time.ToMilliseconds() - written_ms) <= 50, (event, entry_id)
        assert event.duration.ToMilliseconds() >= 0 and event.wait.ToMilliseconds() >= 0, event
    times = [e.time.ToMilliseconds() for e in events]
    assert times == sorted(times)  # in stream order, whichever replica wrote them


async def test_sip_call_ids_are_call_ids(router_stub):
    await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", ring_timeout=ms(100))))
    for agent_id in ("anna", "boris"):
        await router_stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint="sip:x", queues=["sales"]))
        )
        await router_stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
    ids = ["a84b4c76e66710@pc33.example.com", "!~%*/=+[]{}|#?'\"<>\\:x", "x" * 255, "a|b|c"]
    for call_id in ids:
        routed = (await router_stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller="+491", queue="sales"))).call
        assert routed.call_id == call_id and routed.offer.offer_id == call_id + "#1"
        assert (await router_stub.GetCall(pb.GetCallRequest(call_id=call_id))).call.call_id == call_id
        await router_stub.HangupCall(pb.HangupCallRequest(call_id=call_id))
    # the router's own timers work for such ids too ("|" separates a timer's parts)
    routed = (await router_stub.RouteCall(pb.RouteCallRequest(call_id="t|1", caller="+491", queue="sales"))).call
    async for update in router_stub.WatchCall(pb.WatchCallRequest(call_id="t|1"), timeout=10):
        if update.call.offer.attempt == 2:
            break
    assert update.call.offer.agent_id != routed.offer.agent_id
    for bad in ("x" * 256, "has space", "tab\there", "ümlaut", ""):
        try:
            await router_stub.GetCall(pb.GetCallRequest(call_id=bad))
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
            assert exc.details().startswith("call_id"), exc.details()
        else:
            raise AssertionError(f"{bad!r} was accepted")
