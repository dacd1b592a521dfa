"""A SIP load through real Kamailio and the router (callcenter.tools.sip.load, the bench's `sip`
section at a smaller size): every call completes, nothing the integration does fails a SIP
transaction, and the failover figures come out of the traces."""

from __future__ import annotations

import grpc

from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.tools.sip.load import SipLoadPlan, run_sip_load


async def test_a_steady_sip_load_completes_every_call_with_no_failed_transaction(
    start_replica, sip_workdir, redis, tenant
):
    replica = await start_replica()
    plan = SipLoadPlan(
        calls_per_s=10,
        seconds=5,
        agents=40,
        answer_ms=(100, 400),
        talk_ms=(200, 800),
        ring_timeout_ms=500,
        wrap_up_ms=200,
        kamailio_children=4,
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        result = await run_sip_load(stub, redis, tenant, replica.port, sip_workdir / "load", plan, say=lambda _: None)
    calls = result["calls"]
    assert calls["placed"] == plan.calls
    assert calls["completed"] == plan.calls, calls
    assert calls["failed"] == 0 and not [k for k in calls if k.startswith("final_")]
    assert result["sipp_exit_code"] == 0
    assert result["kamailio_error_lines"] == 0
    counted = result["kamailio_counters"]  # from 4 SIP workers and the session process, none lost
    assert counted['kamailio_callcenter_invites_total{result="routed"}'] == plan.calls
    assert counted["kamailio_callcenter_offers_relayed_total"] == result["offers"]
    assert counted["kamailio_callcenter_offer_relay_failures_total"] == 0
    assert counted['kamailio_callcenter_events_dropped_total{reason="failed"}'] == 0
    assert not [series for series in counted if "router_errors" in series]
    assert result["straight_failovers"] > 0  # with 30 % of rings unanswered, many calls moved on
    assert result["failover_lateness"]["n"] == result["straight_failovers"]
