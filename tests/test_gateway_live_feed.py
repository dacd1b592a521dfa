"""The gateway's live feed survives what it cannot read: an entry of the event stream that is
no event (a field missing, a garbled value) is skipped and counted with a warning naming its
id, and the dashboards keep getting every event after it. Real Redis stream, real router,
real HTTP server-sent events."""

from __future__ import annotations

import grpc
import pytest
from structlog.testing import capture_logs

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.event_stream import append, stream_key
from callcenter.services.gateway.board_api import LIVE
from callcenter.services.gateway.live import LiveHub
from tests.gateway_scenes import setup_team
from tests.sse import next_data


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"type": "agent_paused", "agent_id": "anna"}, id="no-time"),
        pytest.param({"type": "agent_paused", "agent_id": "anna", "time": "soon"}, id="time-not-a-number"),
        pytest.param({"type": "agent_paused", "time": "9" * 30}, id="time-beyond-the-calendar"),
        pytest.param({"type": "call_received", "time": "1", "attributes": "[1, 2]"}, id="attributes-not-an-object"),
        pytest.param({"type": "call_offered", "time": "1", "attempt": "first"}, id="attempt-not-a-number"),
        pytest.param({"type": "agent_paused", "time": "1", "agent_id": b"\xff\xfe"}, id="bytes-not-utf-8"),
    ],
)
async def test_an_unreadable_stream_entry_is_skipped_and_counted_and_later_events_still_arrive(
    gateway, redis, tenant, entry
):
    await setup_team(gateway)
    root = await gateway.login("root")
    hub = gateway.app[LIVE]
    async with root.get("/api/v1/events") as events:
        assert (await events.content.readline()).startswith(b"retry:")  # subscribed
        with capture_logs() as logs:
            bad_id = await redis.xadd(stream_key(tenant), entry)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
                stub = router_pb2_grpc.RouterServiceStub(channel)
                await stub.PauseAgent(pb.PauseAgentRequest(agent_id="anna", reason="lunch"))
            paused = await next_data(events, lambda e: e["type"] == "agent_paused" and e["agent_id"] == "anna")
    assert paused["id"] > bad_id  # the good event came after the bad entry, and still arrived
    assert hub.unreadable == 1
    [warning] = [line for line in logs if line["event"] == "live.event_unreadable"]
    assert warning["log_level"] == "warning" and warning["id"] == bad_id and warning["unreadable"] == 1
    # The feed goes on: one more event reaches the same stream.
    async with root.get("/api/v1/events") as events:
        await events.content.readline()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.ResumeAgent(pb.ResumeAgentRequest(agent_id="anna"))
        resumed = await next_data(events, lambda e: e["type"] == "agent_resumed")
    assert resumed["agent_id"] == "anna"


async def test_an_event_appended_between_two_reads_of_a_fresh_feed_is_not_missed(redis, tenant):
    """The feed starts at the stream's last entry when the gateway starts, not at whatever
    "$" means at each later read: an event appended while the reader is between two reads
    (before any event reached it) still reaches the subscribers."""
    hub = LiveHub(redis, tenant, block_ms=10)
    await hub.step()  # the first read: nothing new
    entry_id = await append(redis, tenant, "agent_paused", 1_700_000_000_000, agent_id="anna", reason="lunch")
    queue = hub.subscribe()
    await hub.step()
    item = queue.get_nowait()
    assert (item["id"], item["type"], item["agent_id"]) == (entry_id, "agent_paused", "anna")
