"""The gateway refuses what a route does not take (unknown body fields, unknown or repeated
query parameters) with a 400 naming it, and times outside the services' window with a 400
naming the parameter, never a 502 with a backend's exception text."""

from __future__ import annotations

import json

import pytest

from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team


@pytest.fixture
async def backend_addrs(start_stats, start_recorder):
    stats, recorder = await start_stats(), await start_recorder()
    return {"stats_addr": f"127.0.0.1:{stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def refused(reply, field: str) -> dict:
    text = await reply.text()
    assert reply.status == 400, text
    body = json.loads(text)
    assert body["field"] == field and body["error"].startswith(field + ":"), body
    return body


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/users", {"username": "eve", "password": PASSWORD, "role": "agent", "rights": "all"}, "rights"),
        ("/api/v1/users", {"username": "eve", "password": PASSWORD, "role": "supervisor", "team": ["x"]}, "team"),
        ("/api/v1/comments", {"subject_kind": "agent", "subject_id": "anna", "text": "x", "due": "today"}, "due"),
        ("/api/v1/agents/anna/resume", {"force": True}, "force"),
        ("/api/v1/agents/anna/pause", {"reason": "lunch", "minutes": 30}, "minutes"),
        ("/api/v1/leads", {"lead_id": "L1", "occurred_at": "2026-01-01"}, "occurred_at"),
    ],
)
async def test_an_unknown_body_field_is_a_400_naming_it_and_nothing_happens(backend_addrs, gateway, path, body, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.post(path, json=body, headers=csrf(root))
    await refused(reply, field)
    assert await gateway.users.get("eve") is None
    agents = (await (await root.get("/api/v1/agents")).json())["agents"]
    assert {a["id"]: a["status"]["state"] for a in agents}["anna"] == "AGENT_STATE_AVAILABLE"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/calls?min_misses=3", "min_misses"),
        ("/api/v1/calls?min_wait_s=5", "min_wait_s"),
        ("/api/v1/stats/agents?agent_ids=anna", "agent_ids"),
        ("/api/v1/agents?team=sales", "team"),
        ("/api/v1/calls?queue=sales&queue=support", "queue"),
        ("/api/v1/board?tz=UTC&tz=Europe/Berlin", "tz"),
    ],
)
async def test_an_unknown_or_repeated_query_parameter_is_a_400_naming_it(backend_addrs, gateway, path, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    await refused(await root.get(path), field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/calls?from=2150-01-01", "from"),
        ("/api/v1/calls?to=1999-06-30T10:00:00Z", "to"),
        ("/api/v1/recordings?to=9999-01-01", "to"),
        ("/api/v1/recordings?from=1970-01-01T00:00:00Z", "from"),
        ("/api/v1/stats/agents?period=hour&hour=9999-12-30T10:00:00Z", "hour"),
        ("/api/v1/stats/queues?period=range&from=2026-01-01&to=9999-12-30", "to"),
        ("/api/v1/stats/agents?day=2101-01-01", "day"),
        ("/api/v1/leads?day=1999-12-31", "day"),
        ("/api/v1/leads/L1?period=hour&hour=9000-01-01T00:00:00Z", "hour"),
    ],
)
async def test_a_time_outside_the_services_window_is_a_400_naming_the_parameter(backend_addrs, gateway, query, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    await refused(await root.get(query), field)


async def test_the_first_and_last_days_of_the_window_are_served(backend_addrs, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    for query in (
        "/api/v1/calls?from=2000-01-01",
        "/api/v1/stats/agents?day=2099-12-31",
        "/api/v1/leads?day=2000-01-01",
    ):
        reply = await root.get(query)
        assert reply.status == 200, (query, await reply.text())
