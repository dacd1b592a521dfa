"""The router's teams through the gateway (S2.3, S3.6): admins write them, a team's supervisors
see and steer its agents, a team task goes to the first member who takes it, and a team's
figures come with totals; over real HTTP in front of a real router and stats."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.browser import base_url, browser_page, check_layout, log_in
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import calls_in_sales_and_support, setup_team
from tests.sse import next_data


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def north(gateway):
    """The users of every role (setup_team), agents boris and csilla as users too, tina a
    supervisor of the queue billing only, and the router team north: anna and csilla,
    supervised by tina. Returns root (logged in)."""
    await setup_team(gateway)
    await gateway.users.create("tina", PASSWORD, "supervisor", teams=("billing",))
    for agent_id in ("boris", "csilla"):
        await gateway.users.create(agent_id, PASSWORD, "agent", agent_id=agent_id)
    root = await gateway.login("root")
    body = {"name": "North", "member_agent_ids": ["csilla", "anna"], "supervisor_usernames": ["tina"]}
    reply = await root.put("/api/v1/teams/north", json=body, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["team"] == {
        "team_id": "north",
        "name": "North",
        "member_agent_ids": ["anna", "csilla"],
        "supervisor_usernames": ["tina"],
    }
    return root


async def ids(client, path: str, key: str, field: str = "id") -> list[str]:
    reply = await client.get(path)
    assert reply.status == 200, await reply.text()
    return sorted(item[field] for item in (await reply.json())[key])


async def test_a_supervisor_of_a_router_team_sees_its_agents(backend_addrs, quiet_stats, gateway):
    root = await north(gateway)
    tina = await gateway.login("tina")
    assert await ids(tina, "/api/v1/agents", "agents") == ["anna", "csilla"]
    assert await ids(tina, "/api/v1/teams", "teams", "team_id") == ["north"]
    assert (await tina.get("/api/v1/teams/north")).status == 200
    assert (await tina.get("/api/v1/agents/boris")).status == 404  # no agent of hers
    # she steers them like the agents of her queues
    reply = await tina.post("/api/v1/agents/csilla/pause", json={"reason": "break"}, headers=csrf(tina))
    assert reply.status == 200, await reply.text()
    assert (await tina.post("/api/v1/agents/boris/pause", json={"reason": "break"}, headers=csrf(tina))).status == 404
    # sam (queue sales) sees no more than before; admins see every team
    sam = await gateway.login("sam")
    assert await ids(sam, "/api/v1/teams", "teams", "team_id") == []
    assert (await sam.get("/api/v1/teams/north")).status == 404
    assert await ids(root, "/api/v1/teams", "teams", "team_id") == ["north"]
    # a change applies at her next request
    assert (await root.delete("/api/v1/teams/north", headers=csrf(root))).status == 200
    assert await ids(tina, "/api/v1/agents", "agents") == []
    # with no agent left to see, no figures (not everybody's: stats knows the agents' logins)
    await quiet_stats.consumer.drain()
    assert (await (await tina.get("/api/v1/stats/agents")).json()).get("agents", []) == []


async def test_only_admins_write_teams_and_agents_read_none(backend_addrs, gateway):
    await north(gateway)
    tina, anna = await gateway.login("tina"), await gateway.login("anna")
    body = {"name": "Mine", "member_agent_ids": ["boris"]}
    assert (await tina.put("/api/v1/teams/north", json=body, headers=csrf(tina))).status == 403
    assert (await tina.delete("/api/v1/teams/north", headers=csrf(tina))).status == 403
    assert (await anna.get("/api/v1/teams")).status == 403


async def test_a_team_task_is_taken_by_one_member(backend_addrs, gateway):
    root = await north(gateway)
    anna, csilla, boris = [await gateway.login(u) for u in ("anna", "csilla", "boris")]
    tina = await gateway.login("tina")
    reply = await tina.post("/api/v1/tasks", json={"title": "Call back", "team": "team:north"}, headers=csrf(tina))
    assert reply.status == 201, await reply.text()
    task = (await reply.json())["task"]
    assert await ids(anna, "/api/v1/tasks", "tasks") == [task["id"]] == await ids(csilla, "/api/v1/tasks", "tasks")
    assert await ids(boris, "/api/v1/tasks", "tasks") == []  # no member
    assert await ids(root, "/api/v1/tasks?assignee=team:north", "tasks") == [task["id"]]
    # the queue teams still work beside it: sales' task is anna's and boris's, not csilla's
    sales = await root.post("/api/v1/tasks", json={"title": "Sales", "team": "sales"}, headers=csrf(root))
    assert sales.status == 201
    assert len(await ids(boris, "/api/v1/tasks", "tasks")) == 1

    take = f"/api/v1/tasks/{task['id']}/take"
    replies = await asyncio.gather(*(c.post(take, headers=csrf(c)) for c in (anna, csilla)))
    assert sorted(r.status for r in replies) == [200, 409]
    winner = (await next(r for r in replies if r.status == 200).json())["task"]["agent_id"]
    loser = csilla if winner == "anna" else anna
    assert task["id"] not in await ids(loser, "/api/v1/tasks", "tasks")
    again = await loser.post(take, headers=csrf(loser))  # a member late to take it hears it was taken
    assert again.status == 409, await again.text()
    assert (await boris.post(take, headers=csrf(boris))).status == 404


async def test_team_figures_have_totals(backend_addrs, quiet_stats, gateway):
    root = await north(gateway)
    # anna misses c1 (boris answers) and rings for c3 (abandoned), csilla answers c2
    await calls_in_sales_and_support(gateway)
    await quiet_stats.consumer.drain()
    reply = await root.get("/api/v1/stats/team?team_id=north")
    assert reply.status == 200, await reply.text()
    data = await reply.json()
    assert data["agent_ids"] == ["anna", "csilla"]
    agents = {a["agent_id"]: a for a in data["agents"]}
    assert set(agents) == {"anna", "csilla"}
    totals = data["totals"]
    for field in ("offered", "answered", "missed"):
        assert int(totals.get(field, 0)) == sum(int(a.get(field, 0)) for a in agents.values())
    assert (int(totals["offered"]), int(totals["answered"])) == (3, 1)
    assert totals["talk_time"] == agents["csilla"]["talk_time"]

    named = await (await root.get("/api/v1/stats/team?agent_id=anna,boris")).json()
    assert sorted(a["agent_id"] for a in named["agents"]) == ["anna", "boris"]
    assert int(named["totals"]["answered"]) == 1  # boris's c1
    # tina, their supervisor, reads north's figures; boris is none of her agents
    tina = await gateway.login("tina")
    assert (await tina.get("/api/v1/stats/team?team_id=north")).status == 200
    assert (await tina.get("/api/v1/stats/team?agent_id=anna,boris")).status == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/teams/north", {"name": 5}, "name"),
        ("/api/v1/teams/north", {"member_agent_ids": "anna"}, "member_agent_ids"),
        ("/api/v1/teams/north", {"member_agent_ids": ["anna", "bad,id"]}, "member_agent_ids[1]"),
        ("/api/v1/teams/north", {"member_agent_ids": ["anna", "anna"]}, "member_agent_ids"),
        ("/api/v1/teams/north", {"member_agent_ids": [f"a{i}" for i in range(501)]}, "member_agent_ids"),
        ("/api/v1/teams/north", {"supervisor_usernames": [f"s{i}" for i in range(51)]}, "supervisor_usernames"),
        ("/api/v1/teams/north", {"supervisor_usernames": ["no one"]}, "supervisor_usernames[0]"),
        ("/api/v1/teams/north", {"name": "x", "leader": "anna"}, "leader"),
        ("/api/v1/teams/bad%2Cid", {"name": "x"}, "team_id"),
    ],
)
async def test_a_bad_team_is_refused_naming_the_field(backend_addrs, gateway, path, body, field):
    root = await north(gateway)
    reply = await root.put(path, json=body, headers=csrf(root))
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "team_id"),
        ("?team_id=north&agent_id=anna", "team_id"),
        ("?agent_id=anna,,boris", "agent_id"),
        ("?agent_id=anna,anna", "agent_id"),
        ("?agent_id=" + ",".join(f"a{i}" for i in range(201)), "agent_id"),
        ("?team_id=no%20way", "team_id"),
        ("?team_id=north&colour=red", "colour"),
    ],
)
async def test_bad_team_figures_queries_are_refused_naming_the_field(backend_addrs, gateway, query, field):
    root = await north(gateway)
    reply = await root.get("/api/v1/stats/team" + query)
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


async def test_an_unknown_team_is_not_found(backend_addrs, gateway):
    root = await north(gateway)
    assert (await root.get("/api/v1/teams/nope")).status == 404
    assert (await root.delete("/api/v1/teams/nope", headers=csrf(root))).status == 404
    assert (await root.get("/api/v1/stats/team?team_id=nope")).status == 404
    reply = await root.post("/api/v1/tasks", json={"title": "x", "team": "team:nope"}, headers=csrf(root))
    assert reply.status == 404
    reply = await root.put("/api/v1/teams/south", json={"member_agent_ids": ["ghost"]}, headers=csrf(root))
    assert reply.status == 404 and "ghost" in (await reply.json())["error"]


async def test_a_supervisor_of_a_router_team_hears_its_agents_on_the_live_feed(backend_addrs, gateway):
    await north(gateway)
    tina = await gateway.login("tina")
    async with tina.get("/api/v1/events") as events:
        assert events.headers["Content-Type"] == "text/event-stream"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.PauseAgent(pb.PauseAgentRequest(agent_id="boris", reason="lunch"))  # no agent of hers
            await stub.PauseAgent(pb.PauseAgentRequest(agent_id="csilla", reason="lunch"))
            paused = await next_data(events)
            assert (paused["type"], paused["agent_id"]) == ("agent_paused", "csilla")


async def test_the_teams_page_shows_each_members_figures_and_the_total(backend_addrs, quiet_stats, gateway):
    await north(gateway)
    await calls_in_sales_and_support(gateway)  # anna rings for c1 and c3, csilla answers c2
    await quiet_stats.consumer.drain()
    async with browser_page() as page:
        await log_in(page, base_url(gateway), "tina")
        await page.get_by_role("link", name="Teams").click()
        await page.locator('body[data-loaded="north"]').wait_for()
        rows = page.locator("#team-figures tbody tr")
        assert await rows.evaluate_all("rs => rs.map(r => r.dataset.agent)") == ["anna", "csilla"]
        total = await page.locator("#team-figures tfoot tr.totals td").all_inner_texts()
        assert total[:3] == ["3", "1", "1"]  # offered, answered, missed (c1; c3 was abandoned) of both
        await check_layout(page, "teams")
