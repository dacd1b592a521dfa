"""The whole system agrees with itself: the simulator drives the real router, stats and
recorder, and what each says about the same calls is checked against the raw event stream."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections import Counter, defaultdict

import grpc

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.event_stream import stream_key
from callcenter.tools.simulator import Simulation, SimulationConfig
from callcenter.tools.simulator.config import Spread
from callcenter.tools.simulator.side_effects import SideEffect
from tests.helpers import event_types, read_events
from tests.stream_invariants import stream_invariants

SUPPORT, SALES = "sim-support", "sim-sales"
OUTCOME = {
    "completed": spb.CALL_OUTCOME_COMPLETED,
    "abandoned": spb.CALL_OUTCOME_ABANDONED,
    "timed_out": spb.CALL_OUTCOME_TIMED_OUT,
    "redirected": spb.CALL_OUTCOME_REDIRECTED,
}
CALL_STATE = {
    spb.CALL_OUTCOME_COMPLETED: st.CALL_STATE_COMPLETED,
    spb.CALL_OUTCOME_ABANDONED: st.CALL_STATE_ABANDONED,
    spb.CALL_OUTCOME_TIMED_OUT: st.CALL_STATE_TIMED_OUT,
    spb.CALL_OUTCOME_REDIRECTED: st.CALL_STATE_REDIRECTED,
}
MISS_FIGURE = {
    "no_answer": "missed",
    "timeout": "missed",
    "rejected": "rejected",
    "busy": "busy",
    "caller_hangup": "caller_hung_up",
}  # any other reason: the router cancelled the offer (answered_elsewhere, pbx_lost, ...)


class Overflow(SideEffect):
    """Support overflows into sales after 150 ms; sales holds 12 waiting calls at most (then
    redirected) and times out after 300 ms."""

    name = "overflow"

    async def start(self, simulation):
        for name, fields in ((SUPPORT, {"max_wait": 150}), (SALES, {"max_wait": 300})):
            queue = (await simulation.stub.GetQueue(rpb.GetQueueRequest(name=name))).queue
            queue.ClearField("counts")
            queue.max_wait.FromMilliseconds(fields["max_wait"])
            if name == SUPPORT:
                queue.overflow_queue = SALES
            else:
                queue.max_queue_length = 12
            await simulation.stub.UpsertQueue(rpb.UpsertQueueRequest(queue=queue))


def _s(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def stats_caught_up(redis, tenant, stuck: set[str], timeout: float = 10.0) -> None:
    """Until the stats group has read the whole stream and acknowledged all but the `stuck`
    events (refused by stats, see the xfail below), three polls in a row."""
    key, loop = stream_key(tenant), asyncio.get_running_loop()
    deadline, quiet = loop.time() + timeout, 0
    while quiet < 3:
        assert loop.time() < deadline, "stats never caught up"
        last = _s((await redis.xinfo_stream(key))["last-generated-id"])
        group = next(g for g in await redis.xinfo_groups(key) if _s(g["name"]) == "stats")
        pending = {_s(p["message_id"]) for p in await redis.xpending_range(key, "stats", "-", "+", 1000)}
        done = _s(group["last-delivered-id"]) == last and pending <= stuck
        quiet = quiet + 1 if done else 0
        await asyncio.sleep(0.05)


async def stream_quiet(redis, tenant, quiet_s: float = 0.3, timeout: float = 10.0) -> None:
    """Until nothing was appended to the tenant's stream for quiet_s."""
    loop = asyncio.get_running_loop()
    deadline, length, since = loop.time() + timeout, -1, loop.time()
    while loop.time() - since < quiet_s:
        assert loop.time() < deadline, "the router never went quiet"
        now_length = await redis.xlen(stream_key(tenant))
        if now_length != length:
            length, since = now_length, loop.time()
        await asyncio.sleep(0.05)


def expected_from_stream(events, kinds):
    """Agent and queue figures, per-call offers, talk, wrap-up and recordings, from the raw
    stream with the formulas of docs/stats.md."""
    agents, queues = defaultdict(Counter), defaultdict(Counter)
    offers, talk, wrap, recordings = defaultdict(dict), Counter(), Counter(), defaultdict(set)
    for e, k in zip(events, kinds, strict=True):
        ms = e.duration.ToMilliseconds()
        if k == "CALL_RECEIVED":
            queues[e.queue]["offered"] += 1
        elif k == "CALL_OFFERED":
            agents[e.agent_id]["offered"] += 1
            offers[e.call_id][e.offer_id] = [e.agent_id, "ringing", 0]
        elif k == "CALL_ANSWERED":
            agents[e.agent_id]["answered"] += 1
            agents[e.agent_id]["ring_time"] += ms
            if e.attributes.get("revoked_miss") == "timeout":  # a late answer takes its miss back
                agents[e.agent_id]["missed"] -= 1
                agents[e.agent_id]["ring_time"] -= offers[e.call_id][e.offer_id][2]
            queue_wait = int(e.attributes["queue_wait_ms"])
            queues[e.queue]["answered"] += 1
            queues[e.queue]["asa_sum"] += queue_wait
            queues[e.queue]["answered_within_threshold"] += -(-queue_wait // 1000) <= 20
            offers[e.call_id][e.offer_id][1:] = ["answered", ms]
        elif k == "OFFER_MISSED":
            agents[e.agent_id][MISS_FIGURE.get(e.reason, "cancelled")] += 1
            agents[e.agent_id]["ring_time"] += ms
            offers[e.call_id][e.offer_id][1:] = [e.reason, ms]
        elif k == "CALL_COMPLETED":
            for figures in (agents[e.agent_id], queues[e.queue]):
                figures["handled"] += 1
                figures["talk_time"] += ms
            talk[e.call_id] += ms
        elif k == "AGENT_WRAP_UP_ENDED":
            agents[e.agent_id]["wrap_up_time"] += ms
            queues[e.queue]["wrap_up_time"] += ms
            wrap[e.call_id] += ms
        elif k == "CALL_ABANDONED":
            queues[e.queue]["abandoned"] += 1
        elif k == "CALL_TIMED_OUT":
            queues[e.queue]["timed_out"] += 1
        elif k == "CALL_OVERFLOWED":
            queues[e.queue]["overflowed"] += 1
            if e.attributes.get("overflow_queue"):
                queues[e.attributes["overflow_queue"]]["offered"] += 1
        elif k == "RECORDING_STORED":
            recordings[e.call_id].add(e.recording_id)
    offers = {call: [tuple(o) for o in listed.values()] for call, listed in offers.items()}
    return agents, queues, offers, talk, wrap, recordings


async def all_records(stub) -> dict[str, spb.CallRecord]:
    records, token = {}, ""
    while True:
        reply = await stub.ListCallRecords(spb.ListCallRecordsRequest(page_size=25, page_token=token))
        records.update((r.call_id, r) for r in reply.records)
        if not (token := reply.next_page_token):
            return records


async def test_a_simulated_rush_agrees_across_stream_router_stats_and_recorder(
    start_replica, start_stats, start_recorder, redis, tenant
):
    from callcenter.tools.simulator.leads import Leads
    from callcenter.tools.simulator.recorder import Recordings

    replica, stats, recorder = await start_replica(), await start_stats(), await start_recorder()
    recordings = Recordings(f"127.0.0.1:{recorder.port}")
    config = SimulationConfig(
        router=f"127.0.0.1:{replica.port}",
        speed=100.0,
        rate_per_min=120.0,  # overloads 5 agents: queues, abandons, overflows, time-outs
        duration_s=None,
        max_calls=60,
        drain_s=3.0,
        summary_every_s=0,
        seed=4,
        agents=5,
        never_answer_agents=1,  # ring-outs, failovers, auto-pauses
        answer_probability=0.8,
        reject_probability=0.1,
        answer_delay=Spread(1.0, 0.5),
        talk=Spread(8.0, 0.3),
        after_call_work=Spread(2.0, 0.3),
        comeback=Spread(5.0, 0.3),
        patience=Spread(35.0, 0.6),  # some give up before sales times them out (300 ms), even on a busy machine
        wrap_up_s=5.0,
        clients=8,
        vip_fraction=0.4,
        managed_fraction=0.4,
        returning_fraction=0.6,
        max_no_answer=2,
        logout_at_end=False,  # so the board and the router have live states to compare
    )
    side_effects = [Overflow(), recordings, Leads(f"127.0.0.1:{stats.port}", lead_fraction=0.5)]
    result = await Simulation(config, side_effects=side_effects, out=io.StringIO()).run()
    calls = {c.call_id: c for c in result.calls}
    await stream_quiet(redis, tenant)  # wrap-up timers and resumes still run after the last call

    events = await read_events(redis, tenant)
    kinds = event_types(events)
    seen = Counter(kinds)
    for kind in ("CALL_OVERFLOWED", "CALL_TIMED_OUT", "CALL_ABANDONED", "CALL_COMPLETED", "AGENT_PAUSED"):
        assert seen[kind] > 0, f"the rush played no {kind}: {seen}"
    # ring-outs: the v2 PBX runs the ring timer and reports them (the router's is a backstop)
    assert any(e.reason in ("timeout", "no_answer") for e, k in zip(events, kinds, strict=True) if k == "OFFER_MISSED")
    assert stream_invariants(events, kinds, calls)[0] == []

    # Every time comes from the Redis clock inside the transition, so no duration is negative
    # and no call's or agent's events go back in time; should one ever do, the calls, agents
    # and queues it touches are left out below (and the count of such is bounded at the end).
    stuck = {e.id for e in events if e.duration.ToMilliseconds() < 0 or e.wait.ToMilliseconds() < 0}
    tainted, tainted_agents, last_call, last_agent = set(), set(), {}, {}
    for e, k in zip(events, kinds, strict=True):
        if k == "RECORDING_STORED":  # the recorder runs on the tests' manual clock
            continue
        t = e.time.ToMilliseconds()
        if e.call_id and t < last_call.get(e.call_id, 0) or e.id in stuck:
            tainted.add(e.call_id)
            tainted_agents.add(e.agent_id)
        if e.agent_id and t < last_agent.get(e.agent_id, 0):
            tainted_agents.add(e.agent_id)
        last_call[e.call_id] = max(t, last_call.get(e.call_id, 0))
        last_agent[e.agent_id] = max(t, last_agent.get(e.agent_id, 0))
    tainted_agents |= {e.agent_id for e in events if e.call_id and e.call_id in tainted}
    tainted_queues = {e.queue for e in events if (e.call_id and e.call_id in tainted) or e.id in stuck}
    await stats_caught_up(redis, tenant, stuck)

    agents, queues, offers, talk, wrap, stored = expected_from_stream(events, kinds)
    period = spb.Period(time_zone="UTC", day=dt.datetime.now(dt.UTC).date().isoformat())
    problems: list[str] = []
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{stats.port}") as stats_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as router_channel,
    ):
        figures = stats_pb2_grpc.StatsServiceStub(stats_channel)
        router = router_pb2_grpc.RouterServiceStub(router_channel)

        answer = await figures.GetAgentStats(spb.GetAgentStatsRequest(period=period))
        assert {a.agent_id for a in answer.agents} == set(agents)
        for a in answer.agents:
            if a.agent_id in tainted_agents:
                continue
            want = agents[a.agent_id]
            for name in ("offered", "answered", "missed", "rejected", "busy", "caller_hung_up", "handled"):
                if getattr(a, name) != want[name]:
                    problems.append(f"agent {a.agent_id} {name}: stats {getattr(a, name)}, stream {want[name]}")
            for name in ("talk_time", "wrap_up_time", "ring_time"):
                if getattr(a, name).ToMilliseconds() != want[name]:
                    problems.append(f"agent {a.agent_id} {name}: stats {getattr(a, name)}, stream {want[name]}")

        answer = await figures.GetQueueStats(spb.GetQueueStatsRequest(period=period))
        assert {q.queue for q in answer.queues} == {SALES, SUPPORT}
        for q in answer.queues:
            if q.queue in tainted_queues:
                continue
            want = queues[q.queue]
            names = ("offered", "answered", "abandoned", "timed_out", "overflowed", "handled")
            for name in (*names, "answered_within_threshold"):
                if getattr(q, name) != want[name]:
                    problems.append(f"queue {q.queue} {name}: stats {getattr(q, name)}, stream {want[name]}")
            for name in ("talk_time", "wrap_up_time"):
                if getattr(q, name).ToMilliseconds() != want[name]:
                    problems.append(f"queue {q.queue} {name}: stats {getattr(q, name)}, stream {want[name]}")
            asa = q.average_speed_of_answer.ToMilliseconds()
            if want["answered"] and abs(asa - want["asa_sum"] / want["answered"]) > 1:
                problems.append(f"queue {q.queue} ASA: stats {asa}, stream {want['asa_sum'] / want['answered']}")

        records = await all_records(figures)
        assert set(records) == set(calls)
        for call_id, call in calls.items():
            if call_id in tainted:
                continue
            record = records[call_id]
            routed = (await router.GetCall(rpb.GetCallRequest(call_id=call_id))).call
            have = {
                "outcome": record.outcome,
                "router state": CALL_STATE[record.outcome],
                "agent": record.agent_id,
                "router queue": record.final_queue or record.queue,
                "offers": [(o.agent_id, o.outcome, o.ring_time.ToMilliseconds()) for o in record.offers],
                "router offers": len(record.offers),
                "times": (record.received_at, record.answered_at, record.ended_at),
                "talk": record.talk_time.ToMilliseconds(),
                "wrap-up": record.wrap_up_time.ToMilliseconds(),
                "recordings": set(record.recording_ids),
                "lead": record.lead_id,
            }
            want = {
                "outcome": OUTCOME[call.final_state],
                "router state": routed.state,
                "agent": routed.agent_id,
                "router queue": routed.queue,
                "offers": offers.get(call_id, []),
                "router offers": routed.offers,
                "times": (routed.received_at, routed.answered_at, routed.ended_at),
                "talk": talk[call_id],
                "wrap-up": wrap[call_id],
                "recordings": stored[call_id],
                "lead": call.attributes.get("lead_id", ""),
            }
            problems += [f"{call_id} {name}: {have[name]} != {want[name]}" for name in have if have[name] != want[name]]
        answered = [c for c in calls.values() if c.answered_at is not None]
        # Every upload the recorder took is linked to its call (stream and record, above). Known
        # bugs leave some answered calls without one: an upload of no audio refused
        # (test_an_answered_call_hung_up_before_its_upload_started_is_still_recorded) and no
        # upload at all (test_a_call_seen_first_as_completed_still_reaches_call_connected).
        assert sum(1 for c in answered if stored[c.call_id]) == recordings.stored
        never_uploaded = sum(1 for c in answered if not c.tasks)
        assert recordings.stored + recordings.failed + never_uploaded == len(answered)
        assert recordings.stored >= len(answered) // 2

        board = await figures.GetBoard(spb.GetBoardRequest())
        listed = {a.id: a.status for a in (await router.ListAgents(rpb.ListAgentsRequest())).agents}
        assert {a.agent_id for a in board.agents} == set(listed)
        for a in board.agents:
            if a.agent_id in tainted_agents:
                continue
            status = listed[a.agent_id]
            have = (a.state, a.state_since, a.call_id, a.pause_reason, sorted(a.queues))
            want = (status.state, status.state_since, status.call_id, status.pause_reason, sorted(status.queues))
            if have != want:
                problems.append(f"board agent {a.agent_id} {have} != router {want}")
            if status.calls_answered != agents[a.agent_id]["answered"]:
                problems.append(f"router {a.agent_id} calls_answered {status.calls_answered}")
        for q in board.queues:
            if q.queue in tainted_queues:
                continue
            if (q.waiting, q.ringing, q.in_progress) != (0, 0, 0):
                problems.append(f"board {q.queue} still live: {q.waiting} {q.ringing} {q.in_progress}")
            counts = (await router.GetQueue(rpb.GetQueueRequest(name=q.queue))).queue.counts
            if (counts.waiting, counts.available_agents) != (q.waiting, q.agents.available):
                problems.append(f"{q.queue} router {counts.waiting, counts.available_agents} board {q}")
    assert problems == []
    assert len(tainted) < len(calls) // 2  # most of the rush was checked


async def test_a_hangup_stamped_before_the_offer_it_ends_is_still_counted(
    router, clock, redis, tenant, make_consumer, stats
):
    from tests.helpers import team

    await team(router, "sales", ["anna"])
    call = await router.route_call("c1", "+491", "sales")
    assert call.state == "ringing"
    offered_at = clock.now_ms()
    clock.advance(0.01)
    # What Router.hangup sends when its request read the clock 5 ms before the offer's script
    # ran (seen under the simulator: CALL_OFFERED at t, then OFFER_MISSED caller_hangup at t-5).
    await router.store.hangup(offered_at - 5, "c1")
    events = await read_events(redis, tenant)
    [missed] = [e for e, k in zip(events, event_types(events), strict=True) if k == "OFFER_MISSED"]
    await make_consumer().drain()
    record = await stats.call_record("c1")
    assert missed.duration.ToMilliseconds() >= 0
    assert [o.outcome for o in record.offers] == ["caller_hangup"]


async def test_two_calls_of_one_caller_ending_together_move_their_lead_once():
    import random

    from callcenter.tools.simulator.leads import Leads
    from callcenter.tools.simulator.side_effects import SimCall

    changes: list[tuple[str, str]] = []

    class FakeStats:
        async def AssignLead(self, request, timeout=None):
            await asyncio.sleep(0)

        async def ChangeLeadStage(self, request, timeout=None):
            await asyncio.sleep(0)
            changes.append((request.lead_id, request.stage))

    class FakeSimulation:
        rng = random.Random(0)

    FakeSimulation.rng.random = lambda: 0.0  # always the first next stage: payment -> fulfilled
    leads = Leads("127.0.0.1:1", lead_fraction=1.0)
    leads._simulation, leads._stub = FakeSimulation(), FakeStats()
    leads.open["+491"] = ["L-1", "payment", "anna"]
    calls = [
        SimCall(f"c{i}", "+491", "sales", attributes={"lead_id": "L-1"}, agent_id="anna", final_state="completed")
        for i in (1, 2)
    ]
    results = await asyncio.gather(*(leads.call_finished(c) for c in calls), return_exceptions=True)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert changes == [("L-1", "fulfilled")] and leads.won == 1


async def test_an_answered_call_hung_up_before_its_upload_started_is_still_recorded(start_recorder):
    import time
    import types

    from callcenter.tools.simulator.recorder import Recordings
    from callcenter.tools.simulator.side_effects import SimCall

    recorder = await start_recorder()
    recordings = Recordings(f"127.0.0.1:{recorder.port}")
    await recordings.start(types.SimpleNamespace(config=types.SimpleNamespace(speed=100.0)))
    now = time.time()
    # Talked 8 simulated seconds (80 ms at speed 100), hung up before the upload task ran.
    call = SimCall("c1", "+491", "sales", agent_id="anna", answered_at=now - 0.08, ended_at=now, planned_talk_s=8.0)
    try:
        await recordings._upload(call)
    except grpc.aio.AioRpcError:
        pass
    finally:
        await recordings.stop()
    assert (recordings.stored, recordings.failed) == (1, 0)


async def test_a_call_seen_first_as_completed_still_reaches_call_connected():
    from callcenter.api.common.v1 import states_pb2
    from callcenter.tools.simulator.pbx import _Leg
    from callcenter.tools.simulator.side_effects import SimCall

    connected: list[str] = []

    class Spy(SideEffect):
        name = "spy"

        async def call_connected(self, call):
            connected.append(call.call_id)

    simulation = Simulation(SimulationConfig(router="127.0.0.1:1"), side_effects=[Spy()], out=io.StringIO())
    leg = _Leg(SimCall("c1", "+491", "sales"))
    completed = rpb.Call(call_id="c1", state=states_pb2.CALL_STATE_COMPLETED, agent_id="anna", version=5)
    completed.answered_at.FromMilliseconds(1_700_000_000_000)
    simulation._update(leg, completed)
    await asyncio.gather(*leg.call.tasks)
    assert simulation.counters.answered == 1 and leg.call.answered_at is not None
    assert connected == ["c1"]
