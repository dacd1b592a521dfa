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


# Where a user would send each of rights, due, team, min_misses, min_wait_s and agent_ids:
# every such route refuses the name with a 400 naming it.
UNKNOWN_BODY_FIELDS = [
    ("/api/v1/users", {"username": "eve", "password": PASSWORD, "role": "agent", "rights": "all"}, "rights"),
    ("/api/v1/users/anna/password", {"password": PASSWORD + "!", "rights": "admin"}, "rights"),
    ("/api/v1/users", {"username": "eve", "password": PASSWORD, "role": "supervisor", "team": "sales"}, "team"),
    ("/api/v1/comments", {"subject_kind": "agent", "subject_id": "anna", "text": "x", "due": "today"}, "due"),
    ("/api/v1/tasks/{task}/close", {"due": "tomorrow"}, "due"),
    (
        "/api/v1/comments",
        {"subject_kind": "agent", "subject_id": "anna", "text": "x", "agent_ids": ["anna"]},
        "agent_ids",
    ),
    ("/api/v1/agents/anna/clients/reassign", {"to_agent_id": "boris", "agent_ids": ["anna"]}, "agent_ids"),
    ("/api/v1/agents/anna/logout", {"team": "sales"}, "team"),
    ("/api/v1/logout", {"due": "now"}, "due"),
]
UNKNOWN_QUERY_PARAMETERS = [
    ("/api/v1/calls?min_misses=3", "min_misses"),
    ("/api/v1/stats/agents?min_misses=3", "min_misses"),
    ("/api/v1/board?min_misses=3", "min_misses"),
    ("/api/v1/calls?min_wait_s=5", "min_wait_s"),
    ("/api/v1/stats/queues?min_wait_s=5", "min_wait_s"),
    ("/api/v1/queues?min_wait_s=5", "min_wait_s"),
    ("/api/v1/stats/agents?agent_ids=anna", "agent_ids"),
    ("/api/v1/calls?agent_ids=anna", "agent_ids"),
    ("/api/v1/recordings?agent_ids=anna", "agent_ids"),
    ("/api/v1/leads?agent_ids=anna", "agent_ids"),
    ("/api/v1/tasks?agent_ids=anna", "agent_ids"),
    ("/api/v1/agents?team=sales", "team"),
    ("/api/v1/queues?team=sales", "team"),
    ("/api/v1/stats/queues?team=sales", "team"),
    ("/api/v1/users?rights=admin", "rights"),
    ("/api/v1/tasks?due=today", "due"),
]


async def test_each_unknown_name_is_refused_on_every_route_a_user_would_send_it(backend_addrs, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.post(
        "/api/v1/comments",
        json={"subject_kind": "agent", "subject_id": "anna", "text": "call back", "tag_agent_ids": ["anna"]},
        headers=csrf(root),
    )
    [task] = (await reply.json())["tasks"]
    for path, body, field in UNKNOWN_BODY_FIELDS:
        await refused(await root.post(path.format(task=task["id"]), json=body, headers=csrf(root)), field)
    for path, field in UNKNOWN_QUERY_PARAMETERS:
        await refused(await root.get(path), field)
    # Nothing happened: no user, no comment, the task still open, the session alive, anna in.
    assert await gateway.users.get("eve") is None
    comments = (await (await root.get("/api/v1/comments/agent/anna")).json())["comments"]
    assert [c["text"] for c in comments] == ["call back"]
    tasks = (await (await root.get("/api/v1/tasks?agent_id=anna")).json())["tasks"]
    assert [(t["id"], t["status"]) for t in tasks] == [(task["id"], "open")]
    agents = (await (await root.get("/api/v1/agents")).json())["agents"]
    assert {a["id"]: a["status"]["state"] for a in agents}["anna"] == "AGENT_STATE_AVAILABLE"
    anna = await gateway.login("anna")  # her password is still the one she had
    assert (await anna.get("/api/v1/me")).status == 200


async def test_a_page_size_that_is_no_ascii_number_is_a_400_not_a_500(backend_addrs, gateway):
    """Superscript two and Arabic three are digits to str.isdigit(); int() takes only one."""
    await setup_team(gateway)
    root = await gateway.login("root")
    for route in ("/api/v1/calls", "/api/v1/recordings"):
        for value in ("²", "٣", "１２", "0x10", "1" * 30, "-1"):
            await refused(await root.get(route, params={"page_size": value}), "page_size")


async def test_a_new_users_agent_id_and_teams_are_names_the_router_could_have(backend_addrs, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    for body, field in [
        ({"role": "agent", "agent_id": "x" * 65}, "agent_id"),
        ({"role": "agent", "agent_id": "anna\n"}, "agent_id"),
        ({"role": "supervisor", "teams": ["x" * 5000]}, "teams"),
        ({"role": "supervisor", "teams": [f"q{n}" for n in range(51)]}, "teams"),
        ({"role": "supervisor", "teams": ["sales", ""]}, "teams"),
    ]:
        reply = await root.post(
            "/api/v1/users", json={"username": "eve", "password": PASSWORD, **body}, headers=csrf(root)
        )
        await refused(reply, field)
    assert await gateway.users.get("eve") is None
