"""A lead's pipeline history and the lead funnel through the gateway (S1.9): who moved a lead
and when, readable by whoever sees the lead's owner; the funnel of an agent is their own, of a
supervisor their teams'. Real router, stats and gateway over HTTP."""

from __future__ import annotations

import pytest

from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def leads_moved_by_sam(gateway, quiet_stats):
    """sam (supervisor of sales) gives L1 to anna and moves it to in_work then payment; the
    admin gives L2 to csilla (support)."""
    await setup_team(gateway)
    sam, root = await gateway.login("sam"), await gateway.login("root")
    for client, lead, agent in ((sam, "L1", "anna"), (root, "L2", "csilla")):
        reply = await client.post("/api/v1/leads", json={"lead_id": lead, "agent_id": agent}, headers=csrf(client))
        assert reply.status == 201, await reply.text()
    for stage in ("in_work", "payment"):
        reply = await sam.post("/api/v1/leads/L1/stage", json={"stage": stage}, headers=csrf(sam))
        assert reply.status == 200, await reply.text()
    await quiet_stats.consumer.drain()
    return sam, root


async def test_a_leads_history_shows_each_move_with_who_made_it(backend_addrs, quiet_stats, gateway):
    sam, _ = await leads_moved_by_sam(gateway, quiet_stats)
    reply = await sam.get("/api/v1/leads/L1/history")
    assert reply.status == 200, await reply.text()
    history = (await reply.json())["history"]
    assert [(c.get("from_stage", ""), c["to_stage"], c["actor"]) for c in history] == [
        ("", "lead", "sam"),
        ("lead", "in_work", "sam"),
        ("in_work", "payment", "sam"),
    ]
    times = [c["time"] for c in history]
    assert times == sorted(times)


async def test_a_lead_of_another_team_has_no_history_for_a_supervisor_or_agent(backend_addrs, quiet_stats, gateway):
    sam, root = await leads_moved_by_sam(gateway, quiet_stats)
    assert (await sam.get("/api/v1/leads/L2/history")).status == 404
    assert (await root.get("/api/v1/leads/L2/history")).status == 200
    anna = await gateway.login("anna")
    assert (await anna.get("/api/v1/leads/L1/history")).status == 200
    assert (await anna.get("/api/v1/leads/L2/history")).status == 404
    assert (await root.get("/api/v1/leads/nope/history")).status == 404


async def test_the_funnel_of_a_supervisor_covers_their_teams_only(backend_addrs, quiet_stats, gateway):
    sam, root = await leads_moved_by_sam(gateway, quiet_stats)

    async def funnel(client, query: str = "") -> dict:
        reply = await client.get("/api/v1/stats/funnel" + query)
        assert reply.status == 200, await reply.text()
        return await reply.json()

    def entered(group: dict) -> dict[str, int]:
        return {stage["stage"]: int(stage.get("entered", 0)) for stage in group["stages"]}

    everyone = await funnel(root)
    assert entered(everyone["total"])["lead"] == 2
    mine = await funnel(sam)
    assert entered(mine["total"]) == {"lead": 1, "in_work": 1, "payment": 1, "fulfilled": 0, "refused": 0}
    by_agent = await funnel(sam, "?group_by=agent&agent_id=anna,boris")
    assert [(g["agent_id"], entered(g)["payment"]) for g in by_agent["groups"]] == [("anna", 1), ("boris", 0)]
    by_queue = await funnel(root, "?group_by=queue&queue=sales,support")
    assert [(g["queue"], entered(g)["lead"]) for g in by_queue["groups"]] == [("sales", 1), ("support", 1)]
    assert (await sam.get("/api/v1/stats/funnel?agent_id=csilla")).status == 404
    assert (await sam.get("/api/v1/stats/funnel?queue=support")).status == 404
    anna = await gateway.login("anna")
    assert entered((await funnel(anna))["total"])["payment"] == 1
    assert (await anna.get("/api/v1/stats/funnel?agent_id=boris")).status == 404


async def test_the_funnel_per_router_team_sums_each_teams_members(backend_addrs, quiet_stats, gateway):
    sam, root = await leads_moved_by_sam(gateway, quiet_stats)  # L1 anna (to payment), L2 csilla
    for team, members, supervisors in (("north", ["anna", "csilla"], ["sam"]), ("south", ["csilla"], [])):
        body = {"name": team.title(), "member_agent_ids": members, "supervisor_usernames": supervisors}
        assert (await root.put(f"/api/v1/teams/{team}", json=body, headers=csrf(root))).status == 200
    # each request reads the router teams of its user afresh: sam now supervises north

    def entered(group: dict) -> dict[str, int]:
        return {stage["stage"]: int(stage.get("entered", 0)) for stage in group["stages"]}

    reply = await root.get("/api/v1/stats/funnel?group_by=team")
    assert reply.status == 200, await reply.text()
    data = await reply.json()
    assert [(g["team_id"], entered(g)["lead"], entered(g)["payment"]) for g in data["groups"]] == [
        ("north", 2, 1),
        ("south", 1, 0),
    ]
    assert entered(data["total"])["lead"] == 2  # csilla counted once though in both teams
    [north] = (await (await sam.get("/api/v1/stats/funnel?group_by=team")).json())["groups"]
    assert north["team_id"] == "north"  # sam supervises north only
    assert (await root.get("/api/v1/stats/funnel?group_by=team&agent_id=anna")).status == 400
    anna = await gateway.login("anna")
    assert (await anna.get("/api/v1/stats/funnel?group_by=team")).status == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [("?group_by=week", "group_by"), ("?agent_id=" + ",".join(f"a{i}" for i in range(201)), "agent_id")],
)
async def test_a_bad_funnel_query_names_its_parameter(backend_addrs, quiet_stats, gateway, query, field):
    _, root = await leads_moved_by_sam(gateway, quiet_stats)
    reply = await root.get("/api/v1/stats/funnel" + query)
    assert reply.status == 400
    assert field in (await reply.text())
