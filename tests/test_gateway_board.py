"""The live board and its server-sent events over real HTTP, with a real router."""

from __future__ import annotations

import asyncio

import grpc

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import PASSWORD
from tests.gateway_scenes import setup_team
from tests.sse import next_data


async def test_the_board_shows_online_agents_per_team_and_queue_counts(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    board = await (await sam.get("/api/v1/board")).json()
    assert board["online"] == {"total": 2, "by_queue": {"sales": 2}}
    assert sorted((a["id"], a["state"]) for a in board["agents"]) == [
        ("anna", "AGENT_STATE_AVAILABLE"),
        ("boris", "AGENT_STATE_AVAILABLE"),
    ]
    assert all(a["since_ms"] for a in board["agents"])
    assert [(q["name"], q["waiting"], q["available_agents"]) for q in board["queues"]] == [("sales", 0, 2)]
    root = await gateway.login("root")
    board = await (await root.get("/api/v1/board")).json()
    assert board["online"] == {"total": 3, "by_queue": {"sales": 2, "support": 1}}


async def test_a_routed_call_reaches_the_supervisors_event_stream_at_once(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    anna = await gateway.login("anna")
    async with sam.get("/api/v1/events") as sam_events, anna.get("/api/v1/events") as anna_events:
        assert sam_events.headers["Content-Type"] == "text/event-stream"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.PauseAgent(pb.PauseAgentRequest(agent_id="csilla", reason="lunch"))  # not sam's team
            loop = asyncio.get_running_loop()
            sent = loop.time()
            await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))
            received = await next_data(sam_events)
            assert received["type"] == "call_received" and received["call_id"] == "c1"
            assert loop.time() - sent < 1.0
            offered = await next_data(sam_events)
            assert offered["type"] == "call_offered" and offered["agent_id"] == "anna"
            # The agent's own stream shows only what concerns her.
            mine = await next_data(anna_events)
            assert mine["type"] == "call_offered" and mine["agent_id"] == "anna"
    board = await (await sam.get("/api/v1/board")).json()
    states = {a["id"]: (a["state"], a["call_id"]) for a in board["agents"]}
    assert states["anna"] == ("AGENT_STATE_RESERVED", "c1")


async def test_a_supervisor_hears_of_a_team_agent_pausing_who_logged_in_before_the_gateway_started(gateway, redis):
    """AGENT_PAUSED names no queue: a gateway started after the agents logged in learns who
    serves which queue from the router."""
    from aiohttp.test_utils import TestClient, TestServer

    from callcenter.services.gateway.app import create_app
    from callcenter.services.gateway.web import CONFIG

    await setup_team(gateway)  # the agents log in before the second gateway starts
    later = TestClient(TestServer(create_app(gateway.app[CONFIG], redis)))
    await later.start_server()
    try:
        reply = await later.post("/api/v1/login", json={"username": "sam", "password": PASSWORD})
        assert reply.status == 200
        async with later.get("/api/v1/events") as sam_events:
            await asyncio.sleep(0.2)  # the new gateway's reader is at the stream's end
            async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
                stub = router_pb2_grpc.RouterServiceStub(channel)
                await stub.PauseAgent(pb.PauseAgentRequest(agent_id="csilla", reason="lunch"))  # not sam's team
                await stub.PauseAgent(pb.PauseAgentRequest(agent_id="boris", reason="coaching"))
                paused = await next_data(sam_events)
                assert (paused["type"], paused["agent_id"]) == ("agent_paused", "boris")
    finally:
        await later.close()
