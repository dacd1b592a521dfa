"""Handovers (S1.6): while boris is away, anna takes his clients, open leads and tasks, reads
the clients' whole history, and at the handover's end (by the Redis clock, fired by the
gateway's timer; or ended by hand) what is still hers of it goes back to boris. Real router,
stats and gateway over gRPC and HTTP."""

from __future__ import annotations

import asyncio
import urllib.parse

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team
from tests.helpers import event_types, next_event, read_events

CLIENT = "+4930222"


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


@pytest.fixture
async def boris_work(backend_addrs, quiet_stats, gateway):
    """Boris manages a client, owns an open lead (L-2) and a fulfilled one (L-3), and has a task."""
    await setup_team(gateway)
    await gateway.users.create("boris", PASSWORD, "agent", agent_id="boris")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=CLIENT, manager_id="boris")))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        stats = stats_pb2_grpc.StatsServiceStub(channel)
        await stats.CreateLead(spb.CreateLeadRequest(lead_id="L-2", agent_id="boris", client_number=CLIENT))
        await stats.CreateLead(spb.CreateLeadRequest(lead_id="L-3", agent_id="boris", stage="fulfilled"))
    await quiet_stats.consumer.drain()
    sam = await gateway.login("sam")
    task = {"title": "send the contract", "subject_kind": "client", "subject_id": CLIENT, "agent_id": "boris"}
    reply = await sam.post("/api/v1/tasks", json=task, headers=csrf(sam))
    assert reply.status == 201, await reply.text()
    return sam, (await reply.json())["task"]["id"]


async def owners(gateway, quiet_stats, task_id: str) -> tuple[str, str, str, str]:
    """Who has the client, L-2, L-3 and the task now (stats drained first)."""
    await quiet_stats.consumer.drain()
    root = await gateway.login("root")
    card = await (await root.get("/api/v1/clients/" + urllib.parse.quote(CLIENT, safe=""))).json()
    leads = {e["lead"]["lead_id"]: e["lead"].get("agent_id", "") for e in card["leads"]}
    l3 = (await (await root.get("/api/v1/leads/L-3")).json())["lead"]["agent_id"]
    [task] = [t for t in card["tasks"] if t["id"] == task_id]
    return card["client"]["manager_id"], leads["L-2"], l3, task["agent_id"]


async def test_a_handover_moves_clients_open_leads_and_tasks_and_its_end_brings_them_back(
    boris_work, gateway, quiet_stats, redis, tenant
):
    sam, task_id = boris_work
    seconds, micros = await redis.time()
    until = int(seconds) * 1000 + int(micros) // 1000 + 1500
    reply = await sam.post(
        "/api/v1/agents/boris/handover", json={"to_agent_id": "anna", "until_ms": until}, headers=csrf(sam)
    )
    assert reply.status == 201, await reply.text()
    started = (await reply.json())["handover"]
    assert (started["clients"], started["leads"], started["tasks"]) == ([CLIENT], ["L-2"], [task_id])
    assert await owners(gateway, quiet_stats, task_id) == ("anna", "anna", "boris", "anna")  # L-3 is closed

    anna = await gateway.login("anna")  # the deputy reads the client's history at once
    assert (await anna.get("/api/v1/clients/" + urllib.parse.quote(CLIENT, safe=""))).status == 200
    assert (await (await sam.get("/api/v1/agents/boris/handover")).json())["handover"]["to_agent_id"] == "anna"
    again = await sam.post("/api/v1/agents/boris/handover", json={"to_agent_id": "anna"}, headers=csrf(sam))
    assert again.status == 409

    _, ended = await asyncio.wait_for(
        next_event(redis, tenant, lambda e: e.type == events_pb2.EVENT_TYPE_HANDOVER_ENDED), 30
    )
    assert ended.time.ToMilliseconds() >= until  # by the Redis clock, not before
    assert (ended.agent_id, ended.other_agent_id, ended.actor) == ("boris", "anna", "sam")
    assert await owners(gateway, quiet_stats, task_id) == ("boris", "boris", "boris", "boris")
    assert (await sam.get("/api/v1/agents/boris/handover")).status == 404
    types = event_types(await read_events(redis, tenant))
    assert types.count("HANDOVER_STARTED") == 1 and types.count("HANDOVER_ENDED") == 1


async def test_ended_by_hand_what_the_deputy_passed_on_stays_where_it_is(boris_work, gateway, quiet_stats):
    sam, task_id = boris_work
    reply = await sam.post("/api/v1/agents/boris/handover", json={"to_agent_id": "anna"}, headers=csrf(sam))
    assert reply.status == 201, await reply.text()
    await quiet_stats.consumer.drain()  # stats knows L-2 is anna's (a running consumer: milliseconds)
    # meanwhile sam gave the task back to boris by hand: the handback leaves it alone
    moved = await sam.post(f"/api/v1/tasks/{task_id}/reassign", json={"agent_id": "boris"}, headers=csrf(sam))
    assert moved.status == 200, await moved.text()
    reply = await sam.post("/api/v1/agents/boris/handover/end", headers=csrf(sam))
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["handover"]["returned"] == {"clients": 1, "leads": 1, "tasks": 0}
    assert await owners(gateway, quiet_stats, task_id) == ("boris", "boris", "boris", "boris")
    assert (await sam.post("/api/v1/agents/boris/handover/end", headers=csrf(sam))).status == 404


async def test_handover_refusals_name_the_field(boris_work, gateway):
    sam, _ = boris_work
    anna = await gateway.login("anna")
    cases = [
        (sam, "boris", {"to_agent_id": "boris"}, 400, "to_agent_id"),
        (sam, "boris", {}, 400, "to_agent_id"),
        (sam, "boris", {"to_agent_id": "csilla"}, 400, "to_agent_id"),  # another team's agent
        (sam, "boris", {"to_agent_id": "nobody"}, 400, "to_agent_id"),
        (sam, "boris", {"to_agent_id": "anna", "until_ms": 5}, 400, "until_ms"),
        (sam, "boris", {"to_agent_id": "anna", "until_ms": "soon"}, 400, "until_ms"),
        (sam, "boris", {"to_agent_id": "anna", "until_ms": 10**16}, 400, "until_ms"),
        (sam, "boris", {"to_agent_id": "anna", "colour": 1}, 400, "colour"),
        (sam, "csilla", {"to_agent_id": "anna"}, 404, None),
        (anna, "boris", {"to_agent_id": "anna"}, 403, None),  # agents never hand over
        (anna, "anna", {"to_agent_id": "boris"}, 403, None),
    ]
    for client, agent, body, status, field in cases:
        reply = await client.post(f"/api/v1/agents/{agent}/handover", json=body, headers=csrf(client))
        assert reply.status == status, (agent, body, await reply.text())
        if field:
            assert (await reply.json())["field"] == field, body
    assert (await sam.get("/api/v1/agents/boris/handover")).status == 404


async def test_removing_an_agent_gives_their_clients_open_leads_and_tasks_to_who_takes_over(
    boris_work, gateway, quiet_stats
):
    sam, task_id = boris_work
    assert (await sam.post("/api/v1/agents/boris/logout", headers=csrf(sam))).status == 200
    root = await gateway.login("root")
    reply = await root.delete("/api/v1/agents/boris?clients_to_agent_id=anna", headers=csrf(root))
    assert reply.status == 200, await reply.text()
    assert await reply.json() == {"clients_moved": 1, "leads_moved": 1, "tasks_moved": 1}
    client, l2, l3, task = await owners(gateway, quiet_stats, task_id)
    assert (client, l2, task) == ("anna", "anna", "anna") and l3 == "boris"  # a closed deal stays his
