"""The simulator's virtual PBX dialling outbound calls against a real router: it plays the
ORIGINATE messages of its session (the agent's leg, then the customer's, ReportDialOutcome by
the configured odds), talks on the connected calls and hangs them up; its agents accept the
previews they are shown. A campaign the simulation runs ends every contact."""

from __future__ import annotations

import asyncio
import io
from collections import Counter, defaultdict

from callcenter.api.events.v1 import events_pb2 as ev
from callcenter.services.router.config import OutboundSettings
from callcenter.tools.simulator import Simulation
from callcenter.tools.simulator.config import Spread
from tests.helpers import event_types, read_events
from tests.simulator_scenes import tiny_config

# The router's hold on an agent for one call ends with one of these (then the wrap-up, of 0 here).
RELEASES = {"OFFER_MISSED", "CALL_NOT_CONNECTED", "CALL_COMPLETED", "CALL_ABANDONED", "CALL_TIMED_OUT"}


def outbound_config(router: str, **overrides):
    """No inbound calls: a campaign of 16 contacts, four agents, customers who answer half the time."""
    fields = dict(
        max_calls=0,
        never_answer_agents=0,
        agents=4,
        wrap_up_s=0.0,
        campaign_contacts=16,
        campaign_max_attempts=2,
        campaign_retry_s=2.0,  # 20 ms at speed 100
        customer_answer_probability=0.5,
        customer_busy_probability=0.2,
        dial_failed_probability=0.1,
        dial_delay=Spread(3.0, 0.3),
        talk=Spread(5.0, 0.3),
        preview_think=Spread(1.0, 0.3),
        preview_poll_s=2.0,
        drain_s=5.0,
        summary_every_s=0,
    )
    return tiny_config(router, **{**fields, **overrides})


def holds(events, kinds) -> list[str]:
    """Offers to an agent the router still held for another call (must be none)."""
    problems, holding = [], {}
    for e, k in zip(events, kinds, strict=True):
        if k == "CALL_OFFERED":
            if e.agent_id in holding:
                problems.append(f"{e.agent_id} offered {e.call_id} while holding {holding[e.agent_id]}")
            holding[e.agent_id] = e.call_id
        elif k in RELEASES and e.agent_id and holding.get(e.agent_id) == e.call_id:
            del holding[e.agent_id]
    return problems


async def run_campaign(start_replica, redis, tenant, **overrides):
    replica = await start_replica(outbound=OutboundSettings(dialler_interval_ms=20))
    simulation = Simulation(outbound_config(f"127.0.0.1:{replica.port}", **overrides), out=io.StringIO())
    result = await asyncio.wait_for(simulation.run(), 60)
    events = [e for e in await read_events(redis, tenant) if e.queue == simulation.sales or not e.call_id]
    return simulation, result, events


async def test_a_progressive_campaign_played_by_the_simulator_ends_every_contact(start_replica, redis, tenant):
    simulation, result, events = await run_campaign(start_replica, redis, tenant)
    campaign = result.campaign
    assert campaign["state"] == "finished", campaign
    assert campaign["reached"] + campaign["exhausted"] == campaign["contacts"] == 16
    assert (campaign["pending"], campaign["calling"]) == (0, 0)
    c = result.counters
    assert c["errors"] == 0 and c["outbound_calls"] == campaign["attempts"] == len(result.calls)
    assert c["dial_answered"] == campaign["connected"] == campaign["reached"] == c["completed"]
    assert c["dial_no_answer"] + c["dial_busy"] + c["dial_failed"] == c["not_connected"], (c, campaign)
    assert sum(campaign["not_connected"].values()) == c["not_connected"]
    assert Counter(call.final_state for call in result.calls) == {
        "completed": c["completed"],
        "not_connected": c["not_connected"],
    }
    kinds = event_types(events)
    by_call: dict[str, list[str]] = defaultdict(list)
    for e, k in zip(events, kinds, strict=True):
        if e.call_id:
            by_call[e.call_id].append(k)
    connected = [call.call_id for call in result.calls if call.final_state == "completed"]
    assert connected  # half the customers answer: some of 16 contacts did
    for call_id in connected:
        steps = [k for k in by_call[call_id] if k in ("CALL_DIALING", "CALL_ANSWERED", "CALL_COMPLETED")]
        assert steps == ["CALL_DIALING", "CALL_ANSWERED", "CALL_COMPLETED"], (call_id, by_call[call_id])
    for call in result.calls:
        assert call.caller.startswith("+49699") and by_call[call.call_id][0] == "CALL_RECEIVED"
    assert holds(events, kinds) == []
    assert kinds.count("CALL_OFFERED") == len(result.calls) > len(simulation.agents)  # agents took several each
    assert {e.campaign_id for e in events if e.call_id} == {simulation.campaign_id}


async def test_the_simulated_agents_accept_the_previews_of_a_preview_campaign(start_replica, redis, tenant):
    _, result, events = await run_campaign(
        start_replica,
        redis,
        tenant,
        campaign_mode="preview",
        campaign_contacts=6,
        customer_answer_probability=1.0,
        customer_busy_probability=0.0,
        dial_failed_probability=0.0,
    )
    assert result.campaign["state"] == "finished" and result.campaign["reached"] == 6
    c = result.counters
    assert c["previews_accepted"] == c["outbound_calls"] == c["completed"] == 6
    assert holds(events, event_types(events)) == []


async def test_an_agent_who_never_picks_up_their_leg_passes_the_call_to_the_next_agent(start_replica, redis, tenant):
    simulation, result, events = await run_campaign(
        start_replica,
        redis,
        tenant,
        agents=3,
        never_answer_agents=1,
        max_no_answer=0,
        campaign_contacts=6,
        customer_answer_probability=1.0,
        customer_busy_probability=0.0,
        dial_failed_probability=0.0,
        ring_timeout_s=1.0,
    )
    assert result.campaign["state"] == "finished" and result.campaign["reached"] == 6
    (never,) = [a.agent_id for a in simulation.agents.values() if a.never_answers]
    assert all(call.agent_id != never for call in result.calls)
    assert result.counters["dial_agent_no_answer"] >= 1
    assert holds(events, event_types(events)) == []


async def test_a_run_that_ends_mid_campaign_pauses_it_and_hangs_up_the_calls_still_dialling(
    start_replica, redis, tenant
):
    simulation, result, events = await run_campaign(
        start_replica,
        redis,
        tenant,
        duration_s=0.5,
        drain_s=0.2,
        dial_delay=Spread(3_000.0, 0.1),  # 30 s of wall time: still dialling at the end
        dial_timeout_s=6_000.0,  # 60 s of wall time: never the end of a dial, however busy the machine
        customer_busy_probability=0.0,
        dial_failed_probability=0.0,
    )
    assert result.campaign["state"] == "paused" and result.counters["errors"] == 0
    # the drain hung up the dials in progress: NOT_CONNECTED (reason hangup), the agents freed
    assert result.calls and {call.final_state for call in result.calls} == {"not_connected"}
    assert {e.reason for e in events if e.type == ev.EVENT_TYPE_CALL_NOT_CONNECTED} == {"hangup"}
    assert result.counters["outbound_calls"] == len(simulation.agents)  # one each, then nobody was free
    finals = [k for k in event_types(events) if k in RELEASES]
    assert len(finals) == len(result.calls)
    assert holds(events, event_types(events)) == []
