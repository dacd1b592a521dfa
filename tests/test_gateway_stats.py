"""Figures, call records and leads through the gateway, from a real stats service consuming
the events of a real router, filtered by role."""

from __future__ import annotations

import asyncio

import pytest

from tests.gateway_fixtures import csrf
from tests.gateway_scenes import calls_in_sales_and_support, setup_team


@pytest.fixture
async def backend_addrs(start_stats):
    stats = await start_stats()
    return {"stats_addr": f"127.0.0.1:{stats.port}"}


async def eventually(check, timeout: float = 5.0):
    """Polls an async check until it returns a truthy value (stats consumes asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_board_figures_of_the_day_come_from_stats(backend_addrs, gateway):
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)
    sam = await gateway.login("sam")

    async def board_with_figures():
        board = await (await sam.get("/api/v1/board?tz=Europe/Berlin")).json()
        agents = {a["id"]: a for a in board["agents"]}
        return (
            board if agents["boris"].get("answered_today") == 1 and board["queues"][0].get("abandoned_today") else None
        )

    board = await eventually(board_with_figures)
    agents = {a["id"]: a for a in board["agents"]}
    assert (agents["anna"]["missed_today"], agents["anna"]["answered_today"]) == (1, 0)
    assert (agents["boris"]["missed_today"], agents["boris"]["answered_today"]) == (0, 1)
    assert set(agents) == {"anna", "boris"}
    [sales] = board["queues"]
    assert (sales["name"], sales["answered_today"], sales["abandoned_today"]) == ("sales", 1, 1)
    assert board["stats_unavailable"] is False


async def test_call_records_are_filtered_by_role_and_filters(backend_addrs, gateway):
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)
    sam = await gateway.login("sam")

    async def all_sales_calls():
        calls = (await (await sam.get("/api/v1/calls")).json())["calls"]
        return calls if len(calls) == 2 else None

    calls = await eventually(all_sales_calls)
    assert sorted(c["call_id"] for c in calls) == ["c1", "c3"]  # c2 is support's
    c1 = next(c for c in calls if c["call_id"] == "c1")
    assert c1["outcome"] == "answered" and c1["agent_id"] == "boris"
    assert [(o["agent_id"], o["outcome"]) for o in c1["offers"]] == [("anna", "no_answer"), ("boris", "answered")]
    missed = (await (await sam.get("/api/v1/calls?agent_id=anna&outcome=missed")).json())["calls"]
    assert sorted(c["call_id"] for c in missed) == ["c1", "c3"]  # c3 rang anna until the caller hung up
    abandoned = (await (await sam.get("/api/v1/calls?outcome=abandoned")).json())["calls"]
    assert [c["call_id"] for c in abandoned] == ["c3"]
    assert (await sam.get("/api/v1/calls/c2")).status == 404
    assert (await sam.get("/api/v1/calls?queue=support")).status == 404
    assert (await sam.get("/api/v1/calls?outcome=weird")).status == 400

    anna = await gateway.login("anna")
    mine = (await (await anna.get("/api/v1/calls")).json())["calls"]
    assert sorted(c["call_id"] for c in mine) == ["c1", "c3"]  # offered to her, though she missed them
    assert (await anna.get("/api/v1/calls/c2")).status == 404
    assert (await anna.get("/api/v1/calls?agent_id=boris")).status == 404
    assert (await anna.get("/api/v1/stats/queues")).status == 403


async def test_agent_and_queue_kpis_over_a_period(backend_addrs, gateway):
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)
    sam = await gateway.login("sam")

    async def boris_answered():
        body = await (await sam.get("/api/v1/stats/agents?agent_id=boris&tz=Asia/Kolkata")).json()
        return body if body["agents"] and body["agents"][0].get("answered") == "1" else None

    body = await eventually(boris_answered)
    assert body["agents"][0]["agent_id"] == "boris"
    queues = await (await sam.get("/api/v1/stats/queues?service_level_s=20")).json()
    assert [q["queue"] for q in queues["queues"]] == ["sales"]
    assert (await sam.get("/api/v1/stats/agents?agent_id=csilla")).status == 404
    assert (await sam.get("/api/v1/stats/agents?period=range")).status == 400
    assert (await sam.get("/api/v1/stats/agents?tz=Mars/Olympus")).status == 400


async def test_leads_reported_by_the_crm_and_seen_by_role(backend_addrs, gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    h = csrf(sam)
    assert (
        await sam.post("/api/v1/leads", json={"lead_id": "L1", "agent_id": "anna", "stage": "lead"}, headers=h)
    ).status == 201
    assert (await sam.post("/api/v1/leads", json={"lead_id": "L2", "agent_id": "csilla"}, headers=h)).status == 400
    reply = await sam.post("/api/v1/leads/L1/stage", json={"stage": "refused", "agent_id": "anna"}, headers=h)
    assert reply.status == 200

    async def flagged():
        leads = (await (await sam.get("/api/v1/leads?filter=improper_refusal")).json())["leads"]
        return leads or None

    leads = await eventually(flagged)
    assert [(lead["lead_id"], lead["improper_refusal"]) for lead in leads] == [("L1", True)]
    anna = await gateway.login("anna")
    assert (await anna.get("/api/v1/leads/L1")).status == 200
    assert (await anna.post("/api/v1/leads", json={"lead_id": "L3"}, headers=csrf(anna))).status == 403
    boris = await gateway.users.create("boris", "correct horse battery", "agent", agent_id="boris")
    assert boris.agent_id == "boris"
    boris_client = await gateway.login("boris")
    assert (await boris_client.get("/api/v1/leads/L1")).status == 404
