"""Several router processes on one Redis: no double reservation under load, and timers that
outlive the replica that set them."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from tests.helpers import event_types, read_events
from tests.router_processes import RouterProcess

FINAL = {states_pb2.CALL_STATE_COMPLETED, states_pb2.CALL_STATE_ABANDONED, states_pb2.CALL_STATE_TIMED_OUT}


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


@pytest.fixture
async def replicas(tmp_path, redis_url, tenant):
    started: list[RouterProcess] = []

    async def start(n: int) -> list[RouterProcess]:
        procs = [RouterProcess(tmp_path, f"router{i}", redis_url, tenant) for i in range(n)]
        await asyncio.gather(*(p.start() for p in procs))
        started.extend(procs)
        return procs

    yield start
    for proc in started:
        proc.kill()


async def setup_team(stub, agents: int, **queue_fields) -> list[str]:
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", **queue_fields)))
    ids = [f"agent{i:02d}" for i in range(agents)]
    for agent_id in ids:
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}", queues=["sales"]))
        )
    return ids


async def play_call(stub, call_id: str, rng: random.Random, stats: Counter) -> int:
    """A PBX leg: follows the call's offers; answers some, rejects some, lets some ring out;
    answered calls talk briefly and hang up. Returns the final state. (No deadline: the
    test's safety net bounds the whole run.)"""
    handled: set[str] = set()
    async for update in stub.WatchCall(pb.WatchCallRequest(call_id=call_id)):
        call = update.call
        if call.state in FINAL:
            return call.state
        if call.state != states_pb2.CALL_STATE_RINGING or call.offer.offer_id in handled:
            continue  # an offer is acted on once, however often the stream shows it
        handled.add(call.offer.offer_id)
        roll = rng.random()
        try:
            if roll < 0.6:
                await asyncio.sleep(rng.uniform(0, 0.02))
                await stub.ReportOfferOutcome(
                    pb.ReportOfferOutcomeRequest(
                        call_id=call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                    )
                )
                stats["answered"] += 1
                await asyncio.sleep(rng.uniform(0.005, 0.03))
                await stub.HangupCall(pb.HangupCallRequest(call_id=call_id))
            elif roll < 0.9:
                await stub.ReportOfferOutcome(
                    pb.ReportOfferOutcomeRequest(
                        call_id=call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_NO_ANSWER
                    )
                )
                stats["no_answer"] += 1
            else:
                stats["ring_out"] += 1  # report nothing: the router's ring timer moves on
        except grpc.aio.AioRpcError as exc:
            # The call moved on meanwhile (connected through a late answer): that is allowed.
            assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION, exc
            stats["stale"] += 1
    raise AssertionError(f"watch of {call_id} ended without a final state")


def assert_no_agent_ever_held_two_calls(events) -> None:
    holding: dict[str, str] = {}
    for e in events:
        kind = event_types([e])[0]
        if kind == "CALL_OFFERED":
            assert e.agent_id not in holding, f"{e.agent_id} offered {e.call_id} while holding {holding[e.agent_id]}"
            holding[e.agent_id] = e.call_id
        elif kind in ("OFFER_MISSED", "CALL_COMPLETED"):
            assert holding.pop(e.agent_id) == e.call_id
        elif kind == "CALL_ANSWERED" and e.attributes.get("late_answer") == "1":
            # an offer the router had expired was answered after all: the agent holds the call
            # now (any other offer of theirs was cancelled first)
            assert e.agent_id not in holding, f"{e.agent_id} answered {e.call_id} while holding {holding[e.agent_id]}"
            holding[e.agent_id] = e.call_id
        elif kind == "CALL_ANSWERED":
            assert holding[e.agent_id] == e.call_id
    assert holding == {}


def first_step_of_each_call(events) -> Counter:
    """For each call, what came right after CALL_RECEIVED: CALL_OFFERED (an agent was free
    when it was routed) or CALL_QUEUED."""
    first: dict[str, str] = {}
    for e, kind in zip(events, event_types(events), strict=True):
        if kind in ("CALL_OFFERED", "CALL_QUEUED"):
            first.setdefault(e.call_id, kind)
    return Counter(first.values())


@pytest.mark.timeout(300)  # ~12 s on an idle 2-core machine, 75-100 s at load 8: never the limit
async def test_two_replicas_200_calls_20_agents_never_reserve_an_agent_twice(replicas, redis, tenant):
    async with asyncio.timeout(280):  # a safety net only: every wait below ends on an event
        await two_replicas_200_calls_20_agents(replicas, redis, tenant)


async def two_replicas_200_calls_20_agents(replicas, redis, tenant):
    a, b = await replicas(2)
    rng = random.Random(7)
    async with a.channel() as ch_a, b.channel() as ch_b:
        stubs = [a.stub(ch_a), b.stub(ch_b)]
        # No auto-pause: on a busy machine the first offers may ring out before the watchers
        # are open, and paused agents would leave the rest of the calls waiting for ever.
        agents = await setup_team(
            stubs[0], 20, ring_timeout=ms(150), wrap_up=ms(40), retry_delay=ms(50), max_no_answer=0
        )
        await asyncio.gather(
            *(stubs[i % 2].LoginAgent(pb.LoginAgentRequest(agent_id=agent_id)) for i, agent_id in enumerate(agents))
        )
        routed = await asyncio.gather(
            *(
                stubs[n % 2].RouteCall(pb.RouteCallRequest(call_id=f"call-{n}", caller=f"+49170{n:04d}", queue="sales"))
                for n in range(200)
            )
        )
        states = Counter(states_pb2.CallState.Name(r.call.state) for r in routed)
        assert set(states) <= {"CALL_STATE_RINGING", "CALL_STATE_WAITING"}
        # 20 agents for 200 calls: 20 ring at once, and the rest wait, but for the calls
        # routed after a ring timeout (150 ms) lapsed meanwhile: they may find that agent free.
        assert states["CALL_STATE_RINGING"] >= 20 and sum(states.values()) == 200
        stats: Counter = Counter()
        finals = await asyncio.gather(*(play_call(stubs[(n + 1) % 2], f"call-{n}", rng, stats) for n in range(200)))
    assert finals == [states_pb2.CALL_STATE_COMPLETED] * 200
    events = await read_events(redis, tenant)
    first_steps = first_step_of_each_call(events)
    assert first_steps == Counter(
        {"CALL_OFFERED": states["CALL_STATE_RINGING"], "CALL_QUEUED": states["CALL_STATE_WAITING"]}
    ), "each call rang at once exactly when the router answered RINGING"
    assert_no_agent_ever_held_two_calls(events)
    kinds = Counter(event_types(events))
    assert kinds["CALL_RECEIVED"] == kinds["CALL_COMPLETED"] == kinds["CALL_ANSWERED"] == 200
    assert kinds["OFFER_MISSED"] >= stats["no_answer"] + stats["ring_out"] > 0
    print(f"\n200 calls over 2 replicas: {dict(stats)}; events {dict(kinds)}")


async def test_an_offer_still_expires_on_time_when_the_replica_that_made_it_is_killed(replicas, redis, tenant):
    a, b = await replicas(2)
    async with a.channel() as ch_a, b.channel() as ch_b:
        stub_a, stub_b = a.stub(ch_a), b.stub(ch_b)
        await setup_team(stub_a, 2, ring_timeout=ms(800))
        for agent_id in ("agent00", "agent01"):
            await stub_a.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
            await asyncio.sleep(0.005)
        routed = await stub_a.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales"))
        first = routed.call.offer
        assert first.agent_id == "agent00"
        watch = stub_b.WatchCall(pb.WatchCallRequest(call_id="c1"), timeout=20)
        assert (await watch.read()).call.offer.offer_id == first.offer_id
        a.kill()  # the replica that made the offer dies while agent00's endpoint rings
        pushed = await watch.read()
        watch.cancel()
    assert pushed.call.offer.agent_id == "agent01" and pushed.call.offer.attempt == 2
    missed = [e for e in await read_events(redis, tenant) if event_types([e]) == ["OFFER_MISSED"]]
    assert [(e.agent_id, e.reason) for e in missed] == [("agent00", "timeout")]
    lateness_ms = missed[0].time.ToMilliseconds() - first.expires_at.ToMilliseconds()
    print(f"\noffer expired by the surviving replica {lateness_ms} ms after its deadline")
    assert 0 <= lateness_ms < 1000


async def test_sigterm_drains_a_replica_and_exits_cleanly(replicas):
    (a,) = await replicas(1)
    async with a.channel() as ch:
        await a.stub(ch).ListQueues(pb.ListQueuesRequest())
    assert await a.terminate() == 0
