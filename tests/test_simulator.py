"""The simulator plays a tiny, scaled-down call centre against a real router replica; the
event stream shows what happened."""

from __future__ import annotations

import io
from collections import Counter, defaultdict

import pytest

from callcenter.api.common.v1 import states_pb2
from callcenter.tools.simulator import Simulation, SimulationConfig
from callcenter.tools.simulator.config import Spread
from callcenter.tools.simulator.side_effects import CallLog, SideEffect
from tests.helpers import event_types, next_event, read_events
from tests.simulator_scenes import tiny_config

FINAL_EVENTS = {"CALL_COMPLETED", "CALL_ABANDONED", "CALL_TIMED_OUT", "CALL_OVERFLOWED"}


class Recording(SideEffect):
    name = "recording"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def before_route(self, call):
        call.attributes["lead"] = "L-" + call.call_id[-3:]

    async def call_connected(self, call):
        self.seen.append(("connected", call.call_id))

    async def call_finished(self, call):
        self.seen.append(("finished", call.call_id))


async def play_tiny(start_replica, redis, tenant, **overrides):
    """Plays 12 calls against a fresh replica and checks what the event stream says of them:
    every call routed, offered and ended once, answers and completions as the simulator
    counted them, side effects on every call, the summary, agents logged out. Returns the
    result and the events."""
    replica = await start_replica()
    config = tiny_config(f"127.0.0.1:{replica.port}", **overrides)
    out = io.StringIO()
    log_lines = io.StringIO()
    recording = Recording()
    result = await Simulation(config, side_effects=[recording, CallLog(log_lines)], out=out).run()

    events = await read_events(redis, tenant)
    kinds = Counter(event_types(events))
    by_call: dict[str, list[str]] = defaultdict(list)
    for event, kind in zip(events, event_types(events), strict=True):
        if event.call_id:
            by_call[event.call_id].append(kind)
    sim_calls = {c.call_id for c in result.calls}
    assert len(sim_calls) == 12 and set(by_call) == sim_calls
    assert kinds["CALL_RECEIVED"] == 12 and kinds["CALL_OFFERED"] >= 12
    assert kinds["CALL_ANSWERED"] > 0 and kinds["CALL_COMPLETED"] > 0
    assert result.counters["failovers"] >= 1
    for call_id, kinds_of_call in by_call.items():
        assert FINAL_EVENTS & set(kinds_of_call), f"{call_id} never ended: {kinds_of_call}"
        assert sum(1 for k in kinds_of_call if k in FINAL_EVENTS) == 1, f"{call_id}: {kinds_of_call}"
    assert all(c.final_state in ("completed", "abandoned", "timed_out", "redirected") for c in result.calls)
    assert result.final_states.get("error", 0) == 0 and "unfinished" not in result.final_states
    assert result.counters["completed"] == kinds["CALL_COMPLETED"]
    assert result.counters["answered"] == kinds["CALL_ANSWERED"]
    assert result.counters["abandoned"] == kinds["CALL_ABANDONED"]
    assert result.counters["errors"] == 0
    # Side effects saw every call, with the attributes they added carried by the router.
    received = [e for e in events if event_types([e]) == ["CALL_RECEIVED"]]
    assert all(e.attributes["lead"].startswith("L-") for e in received)
    assert sum(1 for kind, _ in recording.seen if kind == "finished") == 12
    assert sum(1 for kind, _ in recording.seen if kind == "connected") == result.counters["answered"]
    assert len(log_lines.getvalue().splitlines()) == 12
    # The live summary was printed, and the final one.
    summary = out.getvalue()
    assert "[final] calls 12 routed 12" in summary and "missed offers" in summary and "waiting" in summary
    # Agents were logged out at the end.
    assert kinds["AGENT_LOGGED_OUT"] == 4
    return result, events, summary


def missed_offers(events):
    return [e for e in events if event_types([e]) == ["OFFER_MISSED"]]


async def test_a_tiny_simulation_over_one_pbx_session_rings_out_by_its_own_timer(start_replica, redis, tenant):
    result, events, summary = await play_tiny(start_replica, redis, tenant)  # PBX contract v2
    c = result.counters
    # Every call of the run came on one session stream, in sequence, nothing missing or twice.
    assert result.pbx_id.startswith("sim-") and c["sessions"] == 1 and c["reconnects"] == 0
    assert c["watch_streams"] == 0
    seqs = result.sequences
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and c["stream_gaps"] == c["stream_repeats"] == 0
    assert c["stream_messages"] == len(seqs) >= 3 * 12  # at least offered, connected/queued, ended each
    assert c["unknown_events"] == 0 and c["lost_calls"] == 0
    # The router saw one PBX open one session, with the PBX's own ring timer.
    opened = [e for e in events if event_types([e]) == ["PBX_SESSION_OPENED"]]
    assert len(opened) == 1 and opened[0].reason == "opened"
    assert opened[0].attributes["pbx_id"] == result.pbx_id and opened[0].attributes["ring_timer"] == "pbx"
    # The agent who never answers was offered the first call; the PBX's own ring timer ran
    # out and it reported NO_ANSWER: the router's timer (the backstop, ring timeout + grace)
    # never had to fire.
    missed = missed_offers(events)
    assert any(e.reason == "no_answer" and e.agent_id == "sim-agent00" for e in missed)
    assert not any(e.reason == "timeout" for e in missed)
    assert c["pbx_ring_timeouts"] >= 1 and c["router_timeouts"] == 0
    assert c["pbx_ring_timeouts"] == sum(1 for e in missed if e.reason == "no_answer")
    assert f"pbx v2 {result.pbx_id} msgs {c['stream_messages']}" in summary and "reconnects 0" in summary


async def test_a_tiny_simulation_over_pbx_contract_v1_follows_each_call_by_watch_call(start_replica, redis, tenant):
    result, events, summary = await play_tiny(start_replica, redis, tenant, pbx_contract="v1")
    c = result.counters
    assert result.pbx_id == "" and result.sequences == [] and c["sessions"] == 0
    assert c["watch_streams"] >= 1 and c["stream_messages"] >= c["watch_streams"]
    # The ring ran out and the router moved the call on by its timer: a failover the PBX
    # learned of by WatchCall.
    missed = missed_offers(events)
    assert any(e.reason == "timeout" and e.agent_id == "sim-agent00" for e in missed)
    assert c["pbx_ring_timeouts"] == 0
    assert "pbx v1 watch streams" in summary
    # No call belongs to a PBX session.
    assert not any(event_types([e]) == ["PBX_SESSION_OPENED"] for e in events)


async def test_answered_calls_are_streamed_to_the_recorder_while_the_agent_talks(start_replica):
    import grpc
    import pytest

    recorder_pb2 = pytest.importorskip("callcenter.api.recorder.v1.recorder_pb2")
    recorder_pb2_grpc = pytest.importorskip("callcenter.api.recorder.v1.recorder_pb2_grpc")
    from callcenter.tools.simulator.recorder import SAMPLE_RATE, Recordings

    uploads: dict[str, tuple] = {}

    class FakeRecorder(recorder_pb2_grpc.RecorderServiceServicer):
        """Keeps what the PBX sends: the metadata, and the chunks' offsets and sizes."""

        async def UploadRecording(self, request_iterator, context):
            metadata, offsets, size = None, [], 0
            async for request in request_iterator:
                kind = request.WhichOneof("payload")
                if kind == "metadata":
                    metadata = request.metadata
                elif kind == "chunk":
                    offsets.append(request.chunk.offset)
                    size += len(request.chunk.data)
            uploads[metadata.call_id] = (metadata, offsets, size)
            return recorder_pb2.UploadRecordingResponse(
                recording=recorder_pb2.Recording(call_id=metadata.call_id, audio_bytes=size)
            )

    server = grpc.aio.server()
    recorder_pb2_grpc.add_RecorderServiceServicer_to_server(FakeRecorder(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        replica = await start_replica()
        recordings = Recordings(f"127.0.0.1:{port}")
        config = SimulationConfig(
            router=f"127.0.0.1:{replica.port}",
            pbx_contract="v2",
            speed=100.0,
            rate_per_min=300.0,
            duration_s=None,
            max_calls=5,
            summary_every_s=0,
            seed=3,
            agents=3,
            never_answer_agents=0,
            answer_probability=1.0,
            reject_probability=0.0,
            answer_delay=Spread(0.5, 0.2),
            talk=Spread(8.0, 0.3),
            patience=Spread(60.0, 0.1),
            wrap_up_s=2.0,
            clients=2,
        )
        out = io.StringIO()
        result = await Simulation(config, side_effects=[recordings], out=out).run()
    finally:
        await server.stop(0)
    answered = [c for c in result.calls if c.answered_at is not None]
    assert answered and recordings.stored == len(answered) and recordings.failed == 0
    assert f"recordings stored {len(answered)}" in out.getvalue()
    for call in answered:
        metadata, offsets, size = uploads[call.call_id]
        assert metadata.agent_id == call.agent_id and metadata.codec == recorder_pb2.AUDIO_CODEC_PCMU
        assert metadata.sample_rate_hz == SAMPLE_RATE and metadata.leg == recorder_pb2.LEG_MIXED
        assert size == round(call.planned_talk_s * SAMPLE_RATE) and offsets[0] == 0 and offsets == sorted(offsets)


async def test_some_calls_carry_a_crm_lead_that_moves_through_the_pipeline(start_replica, redis, tenant):
    import grpc
    import pytest

    stats_pb2 = pytest.importorskip("callcenter.api.stats.v1.stats_pb2")
    stats_pb2_grpc = pytest.importorskip("callcenter.api.stats.v1.stats_pb2_grpc")
    from callcenter.tools.simulator.leads import Leads

    calls: list[tuple[str, str, str, str]] = []  # (rpc, lead, stage, agent)

    class FakeStats(stats_pb2_grpc.StatsServiceServicer):
        async def CreateLead(self, request, context):
            calls.append(("create", request.lead_id, request.stage, request.agent_id))
            return stats_pb2.CreateLeadResponse(event_id="1-0")

        async def AssignLead(self, request, context):
            calls.append(("assign", request.lead_id, "", request.agent_id))
            return stats_pb2.AssignLeadResponse(event_id="1-0")

        async def ChangeLeadStage(self, request, context):
            calls.append(("stage", request.lead_id, request.stage, request.agent_id))
            return stats_pb2.ChangeLeadStageResponse(event_id="1-0")

    server = grpc.aio.server()
    stats_pb2_grpc.add_StatsServiceServicer_to_server(FakeStats(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        replica = await start_replica()
        leads = Leads(f"127.0.0.1:{port}", lead_fraction=1.0)
        config = SimulationConfig(
            router=f"127.0.0.1:{replica.port}",
            pbx_contract="v2",
            speed=100.0,
            rate_per_min=300.0,
            duration_s=None,
            max_calls=8,
            summary_every_s=0,
            seed=5,
            agents=3,
            never_answer_agents=0,
            answer_probability=1.0,
            reject_probability=0.0,
            answer_delay=Spread(0.5, 0.2),
            talk=Spread(5.0, 0.3),
            patience=Spread(60.0, 0.1),
            wrap_up_s=1.0,
            clients=2,
            returning_fraction=0.7,
        )
        out = io.StringIO()
        result = await Simulation(config, side_effects=[leads], out=out).run()
    finally:
        await server.stop(0)
    created = [lead for rpc, lead, _, _ in calls if rpc == "create"]
    assert created and len(created) == leads.created == len(set(created))
    # Every call carried its caller's lead into the router's event stream.
    received = [e for e in await read_events(redis, tenant) if event_types([e]) == ["CALL_RECEIVED"]]
    assert len(received) == 8 and all(e.attributes["lead_id"] in created for e in received)
    # After a conversation a new lead goes to in_work, taken over by the agent who answered.
    answered = {c.attributes["lead_id"]: c.agent_id for c in result.calls if c.final_state == "completed"}
    first_moves = {}
    for rpc, lead, stage, agent in calls:
        if rpc == "stage":
            first_moves.setdefault(lead, (stage, agent))
    assert first_moves and all(stage == "in_work" for stage, _ in first_moves.values())
    assert all(("assign", lead, "", agent) in calls for lead, (_, agent) in first_moves.items())
    assert set(first_moves) <= set(answered) and leads.moved == sum(1 for c in calls if c[0] == "stage")
    assert f"leads created {leads.created}" in out.getvalue()


def is_event(kind: str, agent_id: str = ""):
    """A check for next_event: an event of that type (of that agent)."""
    return lambda e: event_types([e]) == [kind] and (not agent_id or e.agent_id == agent_id)


async def test_an_agent_paused_for_misses_comes_back_even_when_no_miss_of_theirs_was_seen(start_replica, redis, tenant):
    import asyncio

    import grpc

    from callcenter.api.router.v1 import router_pb2 as rpb
    from callcenter.api.router.v1 import router_pb2_grpc

    replica = await start_replica()
    config = tiny_config(f"127.0.0.1:{replica.port}", max_calls=None, duration_s=None, rate_per_min=6.0)
    simulation = Simulation(config, out=io.StringIO())
    stop = asyncio.Event()
    run = asyncio.create_task(simulation.run(stop))
    try:
        async with asyncio.timeout(60), grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
            _, logged_in = await next_event(redis, tenant, is_event("AGENT_LOGGED_IN"))
            # paused for misses behind the PBX's back (as the router's own ring timer does)
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.PauseAgent(rpb.PauseAgentRequest(agent_id=logged_in.agent_id, reason="no_answer"))
            paused_at, _ = await next_event(redis, tenant, is_event("AGENT_PAUSED", logged_in.agent_id))
            await next_event(redis, tenant, is_event("AGENT_RESUMED", logged_in.agent_id), after=paused_at)
    finally:
        stop.set()
        await run
    assert simulation.counters.agents_resumed >= 1


# What makes the router pause an agent (max_no_answer 1: the first miss), and the reason of
# that miss in the event stream.
PAUSE_CAUSES = {
    "the router's ring timer": (dict(ring_timer="router", answer_probability=0.0, reject_probability=0.0), "timeout"),
    "the pbx's ring timer": (dict(answer_probability=0.0, reject_probability=0.0), "no_answer"),
    "a decline": (dict(answer_probability=0.0, reject_probability=1.0), "rejected"),
}


@pytest.mark.parametrize("overrides, reason", PAUSE_CAUSES.values(), ids=PAUSE_CAUSES.keys())
async def test_an_agent_the_router_paused_comes_back_whatever_miss_paused_them(
    start_replica, redis, tenant, overrides, reason
):
    import asyncio

    replica = await start_replica()
    config = tiny_config(
        f"127.0.0.1:{replica.port}",
        max_calls=None,
        duration_s=None,
        max_no_answer=1,
        never_answer_agents=0,
        **overrides,
    )
    simulation = Simulation(config, out=io.StringIO())
    stop = asyncio.Event()
    run = asyncio.create_task(simulation.run(stop))
    try:
        async with asyncio.timeout(60):  # a safety net: each wait ends on its event
            missed_at, missed = await next_event(
                redis, tenant, lambda e: is_event("OFFER_MISSED")(e) and e.agent_state == states_pb2.AGENT_STATE_PAUSED
            )
            paused_at, _ = await next_event(redis, tenant, is_event("AGENT_PAUSED", missed.agent_id), after=missed_at)
            _, resumed = await next_event(redis, tenant, is_event("AGENT_RESUMED", missed.agent_id), after=paused_at)
    finally:
        stop.set()
        await run
    assert missed.reason == reason
    # Back after the comeback time, scaled by the speed (60 simulated seconds, 0.6 s at speed 100).
    assert resumed.time.ToMilliseconds() > missed.time.ToMilliseconds()
    assert simulation.counters.agents_resumed >= 1
