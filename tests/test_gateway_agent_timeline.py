"""The agent page's API over a real router and stats: an agent's state timeline of a day, seen
by whoever sees the agent (a supervisor their teams' agents, an agent only themselves), and
the call records search (?q=: a fragment of the caller's number or of the call id)."""

from __future__ import annotations

import pytest

from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import calls_in_sales_and_support, setup_team


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_a_timeline_shows_the_pauses_and_reasons_the_router_recorded(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    for action, body in (("pause", {"reason": "break"}), ("resume", {}), ("pause", {"reason": "lunch"})):
        reply = await sam.post(f"/api/v1/agents/anna/{action}", json=body, headers=csrf(sam))
        assert reply.status == 200, await reply.text()
    await quiet_stats.consumer.drain()
    reply = await sam.get("/api/v1/agents/anna/timeline", params={"tz": "Europe/Berlin"})
    assert reply.status == 200, await reply.text()
    timeline = await reply.json()
    states = [(s["state"], s.get("reason", "")) for s in timeline["segments"]]
    assert states[-4:] == [
        ("AGENT_STATE_AVAILABLE", ""),  # logged in by the scene
        ("AGENT_STATE_PAUSED", "break"),
        ("AGENT_STATE_AVAILABLE", ""),
        ("AGENT_STATE_PAUSED", "lunch"),
    ]
    assert timeline["segments"][-1]["ongoing"] is True


@pytest.mark.parametrize(
    ("username", "agent_id", "status"),
    [
        ("root", "csilla", 200),  # admins see everyone
        ("sam", "anna", 200),  # his team
        ("sam", "csilla", 404),  # support is not his team: not revealed
        ("sue", "anna", 404),  # a supervisor of another team
        ("sue", "csilla", 200),
        ("anna", "anna", 200),  # an agent: herself
        ("anna", "boris", 404),  # and nobody else
        ("sam", "nobody", 404),
    ],
)
async def test_a_timeline_is_seen_only_by_whoever_sees_the_agent(backend_addrs, gateway, username, agent_id, status):
    await setup_team(gateway)
    await gateway.users.create("sue", PASSWORD, "supervisor", teams=("support",))
    client = await gateway.login(username)
    reply = await client.get(f"/api/v1/agents/{agent_id}/timeline", params={"day": "2026-03-02", "tz": "UTC"})
    assert reply.status == status, await reply.text()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"day": "yesterday"}, "day"),
        ({"day": "2026-03-02", "tz": "Mars/Olympus"}, "tz"),
        ({"day": "2026-03-02", "period": "range"}, "period"),
    ],
)
async def test_a_bad_timeline_request_is_a_400_naming_the_field(backend_addrs, gateway, params, field):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    reply = await sam.get("/api/v1/agents/anna/timeline", params=params)
    assert reply.status == 400
    assert (await reply.json())["field"] == field


async def test_the_call_search_finds_a_fragment_of_the_number_or_the_id_within_the_users_calls(
    backend_addrs, quiet_stats, gateway
):
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)  # c1 +491, c2 +492 (support), c3 +493
    await quiet_stats.consumer.drain()
    root, sam = await gateway.login("root"), await gateway.login("sam")

    async def found(client, q: str) -> list[str]:
        reply = await client.get("/api/v1/calls", params={"q": q})
        assert reply.status == 200, await reply.text()
        return sorted(c["call_id"] for c in (await reply.json())["calls"])

    assert await found(root, "492") == ["c2"]
    assert await found(root, "+49 ") == ["c1", "c2", "c3"]
    assert await found(root, "c3") == ["c3"]
    assert await found(sam, "49") == ["c1", "c3"]  # c2 is support's: not his
    assert await found(sam, "492") == []
    for bad in ("1" * 65, "a b"):
        reply = await root.get("/api/v1/calls", params={"q": bad})
        assert reply.status == 400
        assert (await reply.json())["field"] == "q"
