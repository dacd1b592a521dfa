"""Wallboard links: an admin creates one for chosen queues (its token shown once, kept hashed),
lists and revokes it; the token opens those queues' tiles and their change stream without a
session, and nothing else. Real router, stats, Redis and HTTP."""

from __future__ import annotations

import asyncio
import hashlib

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2 as E
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team
from tests.helpers import read_events


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


@pytest.fixture
async def logged_in(backend_addrs, gateway):
    await setup_team(gateway)
    return {name: await gateway.login(name) for name in ("root", "sam", "anna")}


async def _create(client, name="Sales TV", queues=("sales",)):
    return await client.post("/api/v1/wallboards", json={"name": name, "queues": list(queues)}, headers=csrf(client))


async def test_an_admin_creates_lists_and_revokes_a_link_whose_token_is_kept_only_hashed(
    logged_in, gateway, redis, tenant
):
    root = logged_in["root"]
    reply = await _create(root)
    assert reply.status == 201, await reply.text()
    created = await reply.json()
    token = created["token"]
    assert created["path"] == f"/wallboard/{token}" and len(token) >= 40
    listed = (await (await root.get("/api/v1/wallboards")).json())["wallboards"]
    assert [(w["name"], w["queues"], w["created_by"]) for w in listed] == [("Sales TV", ["sales"], "root")]
    assert token not in str(listed)
    stored = {key: await redis.dump(key) for key in await redis.keys(f"cc:{{{tenant}}}:gw:wallboard*")}
    assert stored and all(token.encode() not in value for value in stored.values())
    assert any(hashlib.sha256(token.encode()).hexdigest() in key for key in stored)
    assert (await gateway.client.get(f"/api/v1/wallboard/{token}/board")).status == 200
    wallboard_id = listed[0]["id"]
    revoked = await root.delete(f"/api/v1/wallboards/{wallboard_id}", headers=csrf(root))
    assert revoked.status == 200
    assert (await gateway.client.get(f"/api/v1/wallboard/{token}/board")).status == 404
    assert (await gateway.client.get(f"/api/v1/wallboard/{token}/changes")).status == 404
    assert (await (await root.get("/api/v1/wallboards")).json())["wallboards"] == []
    again = await root.delete(f"/api/v1/wallboards/{wallboard_id}", headers=csrf(root))
    assert again.status == 404
    # Both changes are actions with the admin as actor; the token is in neither.
    actions = [
        e
        for e in await read_events(redis, tenant)
        if e.type in (E.EVENT_TYPE_WALLBOARD_CREATED, E.EVENT_TYPE_WALLBOARD_REVOKED)
    ]
    assert [(e.type, e.actor, e.attributes["wallboard_id"]) for e in actions] == [
        (E.EVENT_TYPE_WALLBOARD_CREATED, "root", wallboard_id),
        (E.EVENT_TYPE_WALLBOARD_REVOKED, "root", wallboard_id),
    ]
    assert actions[0].attributes["queues"] == "sales" and token not in str(actions)
    assert abs(listed[0]["created_ms"] - actions[0].time.ToMilliseconds()) < 5_000  # the Redis clock


async def test_only_admins_manage_links(logged_in, gateway):
    root = logged_in["root"]
    wallboard_id = (await (await _create(root)).json())["wallboard"]["id"]
    for name in ("sam", "anna"):
        client = logged_in[name]
        assert (await _create(client)).status == 403
        assert (await client.get("/api/v1/wallboards")).status == 403
        assert (await client.delete(f"/api/v1/wallboards/{wallboard_id}", headers=csrf(client))).status == 403
    assert (await gateway.client.get("/api/v1/wallboards")).status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "queues": ["sales"]}, "name"),
        ({"name": "x" * 65, "queues": ["sales"]}, "name"),
        ({"name": "TV", "queues": []}, "queues"),
        ({"name": "TV", "queues": "sales"}, "queues"),
        ({"name": "TV", "queues": ["nope"]}, "queues[0]"),
        ({"name": "TV", "queues": ["sales", "bad name"]}, "queues[1]"),
        ({"name": "TV", "queues": [f"q{i}" for i in range(17)]}, "queues"),
        ({"name": "TV", "queues": ["sales"], "agents": True}, "agents"),
    ],
)
async def test_a_bad_link_is_a_400_naming_the_field(logged_in, gateway, body, field):
    root = logged_in["root"]
    reply = await root.post("/api/v1/wallboards", json=body, headers=csrf(root))
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


async def test_a_token_reads_only_its_queues_counts_and_no_other_route(logged_in, gateway):
    token = (await (await _create(logged_in["root"])).json())["token"]
    anonymous = gateway.client
    reply = await anonymous.get(f"/api/v1/wallboard/{token}/board")
    assert reply.status == 200
    board = await reply.json()
    assert board["name"] == "Sales TV"
    assert [t["queue"] for t in board["tiles"]] == ["sales"]  # not support
    (tile,) = board["tiles"]
    assert set(tile) == {
        "queue", "waiting", "oldest_waiting_since_ms", "available_agents", "agents_on_call", "agents_logged_in",
        "answered_today", "abandoned_today", "service_level_percent", "conversations",
    }  # fmt: skip
    assert (tile["available_agents"], tile["agents_logged_in"]) == (2, 2)
    for text in ("anna", "boris", "sip:"):
        assert text not in await reply.text()  # counts only
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/board", "/api/v1/agents", "/api/v1/queues", "/api/v1/me", "/api/v1/events",
                 "/api/v1/wallboard?queues=sales", "/api/v1/queues/sales", "/api/v1/calls"):  # fmt: skip
        assert (await anonymous.get(path, headers=bearer)).status == 401, path
    refused = await anonymous.get("/api/v1/wallboard/" + "A" * 43 + "/board")
    assert refused.status == 404
    assert (await anonymous.get("/api/v1/wallboard/short/board")).status == 404
    assert (await anonymous.get(f"/api/v1/wallboard/{token}/board?agents=1")).status == 400
    assert (await anonymous.get(f"/wallboard/{token}")).status == 200  # the page itself


async def test_a_waiting_call_reaches_the_links_stream_and_its_tiles(logged_in, gateway):
    token = (await (await _create(logged_in["root"])).json())["token"]
    async with gateway.client.get(f"/api/v1/wallboard/{token}/changes") as stream:
        assert stream.status == 200
        assert (await stream.content.readline()).startswith(b"retry:")
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}")
        async with channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            for agent_id in ("anna", "boris"):
                await stub.PauseAgent(pb.PauseAgentRequest(agent_id=agent_id, reason="lunch"))
            await stub.RouteCall(pb.RouteCallRequest(call_id="w1", caller="+491", queue="sales"))

            async def changed() -> None:
                while (line := await stream.content.readline()) != b"data: {}\n":
                    assert b"anna" not in line and b"w1" not in line

            await asyncio.wait_for(changed(), 10)
            board = await (await gateway.client.get(f"/api/v1/wallboard/{token}/board")).json()  # live counts: fresh
            assert board["tiles"][0]["waiting"] == 1 and board["tiles"][0]["oldest_waiting_since_ms"]


async def test_a_supervisor_opens_the_wallboard_of_their_own_queues_with_their_session(logged_in, gateway):
    sam = logged_in["sam"]
    reply = await sam.get("/api/v1/wallboard?queues=sales")
    assert reply.status == 200
    assert [t["queue"] for t in (await reply.json())["tiles"]] == ["sales"]
    assert (await sam.get("/api/v1/wallboard?queues=sales,support")).status == 404
    assert (await sam.get("/api/v1/wallboard")).status == 400
    assert (await logged_in["anna"].get("/api/v1/wallboard?queues=sales")).status == 403
    root = await (await logged_in["root"].get("/api/v1/wallboard?queues=support,sales")).json()
    assert [t["queue"] for t in root["tiles"]] == ["support", "sales"]
    assert (await gateway.client.get("/wallboard", allow_redirects=False)).status == 302  # no session: log in
