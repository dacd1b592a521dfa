"""The simulator's virtual PBX over PBX contract v2 when the router goes away under it: a
replica stops mid-run (the PBX's session moves to another replica and resumes after the last
sequence it handled: nothing lost, nothing twice), or stays away longer than the session's
lease (the router ends the PBX's calls as lost; the PBX learns it when it is back)."""

from __future__ import annotations

import asyncio
import io
from collections import Counter

from callcenter.tools.simulator import Simulation, SimulationConfig
from callcenter.tools.simulator.config import Spread
from tests.helpers import event_types, read_events
from tests.simulator_scenes import tiny_config

FINAL_EVENTS = {"CALL_COMPLETED", "CALL_ABANDONED", "CALL_TIMED_OUT", "CALL_OVERFLOWED"}


def config(router: str, **overrides) -> SimulationConfig:
    """The tiny call centre, busier: 40 calls at about one per wall-clock millisecond."""
    fields = dict(
        rate_per_min=600.0,  # about one call every 1 ms of wall time ... 10 a simulated second
        max_calls=40,
        drain_s=5.0,
        summary_every_s=0,
        seed=11,
        agents=5,
        talk=Spread(20.0, 0.3),
        patience=Spread(60.0, 0.3),
        wrap_up_s=3.0,
        returning_fraction=SimulationConfig.returning_fraction,
    )
    return tiny_config(router, **{**fields, **overrides})


async def until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never met"
        await asyncio.sleep(0.01)


def finals_by_call(events) -> Counter:
    finals = Counter()
    for e, k in zip(events, event_types(events), strict=True):
        if k in FINAL_EVENTS and not (k == "CALL_OVERFLOWED" and "overflow_queue" in e.attributes):
            finals[e.call_id] += 1
    return finals


def assert_every_call_ended_once(result, events) -> None:
    finals = finals_by_call(events)
    calls = {c.call_id for c in result.calls}
    assert {c: finals[c] for c in calls if finals[c] != 1} == {}
    assert all(c.final_state in ("completed", "abandoned", "timed_out", "redirected") for c in result.calls), Counter(
        c.final_state for c in result.calls
    )
    kinds = Counter(event_types(events))
    assert result.counters["completed"] == kinds["CALL_COMPLETED"]
    assert result.counters["abandoned"] == kinds["CALL_ABANDONED"]


def assert_contiguous(sequences: list[int]) -> None:
    assert sequences, "the session delivered nothing"
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


async def test_a_replica_stopping_mid_run_moves_the_session_to_another_one_with_no_gap_and_no_repeat(
    start_replica, redis, tenant
):
    first, second = await start_replica(), await start_replica()
    # Two replicas of one router: the PBX's channel uses the first and moves to the second.
    simulation = Simulation(
        config(f"127.0.0.1:{first.port},127.0.0.1:{second.port}"),
        out=io.StringIO(),
    )
    run = asyncio.create_task(simulation.run())
    await until(lambda: simulation.counters.answered >= 5 and simulation.counters.calls >= 15)
    before = simulation.session.handled
    await first.stop()  # its streams end; RPCs under way fail UNAVAILABLE (and are retried)
    result = await asyncio.wait_for(run, 60)

    c = result.counters
    assert c["reconnects"] >= 1 and c["resumed"] == c["reconnects"] and c["fresh_sessions"] == 0, c
    assert_contiguous(result.sequences)
    assert c["stream_gaps"] == c["stream_repeats"] == 0 and c["stream_messages"] == len(result.sequences)
    assert result.sequences[-1] > before  # the session went on after the move
    assert c["lost_calls"] == 0 and c["errors"] == 0 and c["unknown_events"] == 0
    assert c["routed"] == c["calls"] == 40
    events = await read_events(redis, tenant)
    assert_every_call_ended_once(result, events)
    # The router saw the PBX open its session, then resume it (on the other replica).
    opened = [e.reason for e, k in zip(events, event_types(events), strict=True) if k == "PBX_SESSION_OPENED"]
    assert opened[0] == "opened" and "resumed" in opened[1:]
    assert "PBX_SESSION_LOST" not in event_types(events)


async def test_a_router_away_for_longer_than_the_lease_ends_the_pbxs_calls_and_the_pbx_counts_them_lost(
    start_replica, redis, tenant
):
    """The simulator's only replica stops for longer than the session's lease while calls
    talk; another replica (not the PBX's) lapses the lease and ends them (pbx_lost). The
    replica comes back on the same port, the PBX reconnects, learns each call's end from its
    session and plays on."""
    pbx_replica = await start_replica()
    await start_replica()  # fires the timers (the lease lapse) while the PBX's replica is away
    port = pbx_replica.port
    simulation = Simulation(
        config(
            f"127.0.0.1:{port}",
            pbx_lease_s=1.0,
            rate_per_min=6.0,  # 10 calls a second: they go on arriving while the router is away
            talk=Spread(150.0, 0.2),
            max_calls=20,
            patience=Spread(300.0),
        ),
        out=io.StringIO(),
    )
    run = asyncio.create_task(simulation.run())
    await until(lambda: simulation.counters.answered >= 3)
    await pbx_replica.stop()
    await asyncio.sleep(2.0)  # the lease (1 s) lapses meanwhile
    await start_replica(port=port)
    result = await asyncio.wait_for(run, 60)

    c = result.counters
    events = await read_events(redis, tenant)
    kinds = event_types(events)
    assert "PBX_SESSION_LOST" in kinds
    lost = {e.call_id for e, k in zip(events, kinds, strict=True) if k in FINAL_EVENTS and e.reason == "pbx_lost"}
    assert lost and c["lost_calls"] == len(lost), (c["lost_calls"], lost)
    assert c["reconnects"] >= 1 and c["stream_gaps"] == c["stream_repeats"] == 0
    assert_contiguous(result.sequences)
    assert_every_call_ended_once(result, events)
    # Calls placed while the router was away were routed once it was back, and played out.
    assert c["routed"] == c["calls"] == 20 and c["errors"] == 0
    assert any(call.final_state == "completed" and call.call_id not in lost for call in result.calls)


async def test_a_lease_lapsing_under_an_open_stream_makes_the_pbx_open_a_fresh_session(start_replica, redis, tenant):
    """The router lapses the session while its stream is open (as when heartbeats stop for
    longer than the lease: here its lease timer is made due at once): the calls end as
    pbx_lost, the stream ends with FAILED_PRECONDITION, and the PBX opens a fresh session
    and goes on with new calls on it."""
    from callcenter.services.router.keys import RouterKeys

    replica = await start_replica()
    simulation = Simulation(
        config(f"127.0.0.1:{replica.port}", talk=Spread(300.0, 0.2), max_calls=60, rate_per_min=30.0),
        out=io.StringIO(),
    )
    run = asyncio.create_task(simulation.run())
    await until(lambda: simulation.counters.answered >= 3)
    await redis.zadd(RouterKeys(tenant).timers, {f"pbx|{simulation.pbx_id}": 0})
    await until(lambda: simulation.session.stats.fresh >= 1)
    routed_before = simulation.counters.routed
    result = await asyncio.wait_for(run, 60)

    c = result.counters
    events = await read_events(redis, tenant)
    kinds = event_types(events)
    assert kinds.count("PBX_SESSION_LOST") == 1 and c["fresh_sessions"] == 1 and c["resumed"] == 0
    assert simulation.session.stats.breaks.get("FAILED_PRECONDITION") == 1
    lost = {e.call_id for e, k in zip(events, kinds, strict=True) if k in FINAL_EVENTS and e.reason == "pbx_lost"}
    assert len(lost) >= 3 and c["lost_calls"] == len(lost)
    # The fresh session starts after the newest message: nothing missed, nothing twice.
    assert_contiguous(result.sequences) and c["stream_gaps"] == c["stream_repeats"] == 0
    assert_every_call_ended_once(result, events)
    assert c["errors"] == 0 and c["routed"] == 60 > routed_before  # the rest on the fresh session
    assert sum(1 for call in result.calls if call.final_state == "completed" and call.call_id not in lost) > 0
