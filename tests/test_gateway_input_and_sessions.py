"""The gateway at its edges: deleted users' sessions, malformed bodies and parameters,
calendar limits, cross-team comments, byte ranges (each found by a review and pinned here)."""

from __future__ import annotations

import json

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team, stored
from tests.sse import next_data


async def assert_json_error(reply, status: int, field: str | None = None) -> dict:
    text = await reply.text()
    assert reply.status == status, text
    body = json.loads(text)
    assert body["error"]
    if field is not None:
        assert body.get("field") == field or field in body["error"], body
    return body


# Sessions and users -------------------------------------------------------------------------------


async def test_a_deleted_users_session_does_not_come_back_with_a_new_user_of_that_name(gateway):
    await setup_team(gateway)
    anna = await gateway.login("anna")  # an agent
    root = await gateway.login("root")
    assert (await root.delete("/api/v1/users/anna", headers=csrf(root))).status == 200
    assert (await anna.get("/api/v1/me")).status == 401
    reply = await root.post(
        "/api/v1/users",
        json={"username": "anna", "password": "another long password", "role": "admin"},
        headers=csrf(root),
    )
    assert reply.status == 201
    # The old agent session must stay dead, not become an admin session.
    assert (await anna.get("/api/v1/me")).status == 401


async def test_creating_an_agent_user_with_a_null_agent_id_is_refused(gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.post(
        "/api/v1/users",
        json={"username": "nobody", "password": PASSWORD, "role": "agent", "agent_id": None},
        headers=csrf(root),
    )
    await assert_json_error(reply, 400, "agent_id")


async def test_an_open_event_stream_ends_when_its_user_is_deleted(gateway):
    await setup_team(gateway)
    anna = await gateway.login("anna")
    root = await gateway.login("root")
    async with anna.get("/api/v1/events") as events:
        await events.content.readline()  # subscribed
        assert (await root.delete("/api/v1/users/anna", headers=csrf(root))).status == 200
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.RouteCall(
                pb.RouteCallRequest(call_id="after-delete", caller="+491", queue="sales", personal_manager_id="anna")
            )
        delivered = await next_data(events)
        assert delivered is None, delivered


async def test_logging_in_again_from_the_login_page_with_a_live_cookie_works(gateway):
    await setup_team(gateway)
    browser = await gateway.login("sam")  # holds the session cookie
    reply = await browser.post("/api/v1/login", json={"username": "root", "password": PASSWORD})
    assert reply.status == 200, await reply.text()


# Bad input must be a JSON error naming the field, never a 500 -------------------------------------


async def test_a_deeply_nested_json_body_is_a_400(gateway):
    body = "[" * 200_000 + "]" * 200_000
    reply = await gateway.client.post("/api/v1/login", data=body, headers={"Content-Type": "application/json"})
    await assert_json_error(reply, 400, "body")


async def test_a_body_with_an_unknown_charset_is_a_400(gateway):
    reply = await gateway.client.post(
        "/api/v1/login",
        data=b'{"username":"a","password":"b"}',
        headers={"Content-Type": "application/json; charset=nope"},
    )
    assert reply.status in (400, 415), await reply.text()
    assert (await reply.json())["error"]


@pytest.mark.parametrize("value", ["inf", "nan", "1e300"])
async def test_a_non_finite_talk_time_filter_is_a_400_naming_the_parameter(gateway, value):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.get(f"/api/v1/calls?min_talk_s={value}")
    await assert_json_error(reply, 400, "min_talk_s")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/calls", "to=9999-12-31", "to"),
        ("/api/v1/recordings", "from=9999-12-31T23:59:59-14:00", "from"),
        ("/api/v1/calls", "from=0001-01-01T00:00:00%2B14:00", "from"),
        ("/api/v1/stats/agents", "period=hour&hour=9999-12-31T23:59:59-14:00", "hour"),
    ],
)
async def test_dates_at_the_ends_of_the_calendar_are_a_400(gateway, path, query, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.get(f"{path}?{query}")
    await assert_json_error(reply, 400, field)


async def test_a_very_long_time_zone_is_a_400_naming_tz(gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.get("/api/v1/stats/agents?tz=" + "x" * 5000)
    await assert_json_error(reply, 400, "tz")


async def test_a_huge_wrap_up_extension_is_a_400_naming_seconds(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    reply = await sam.post("/api/v1/agents/anna/wrap-up/extend", json={"seconds": 1e300}, headers=csrf(sam))
    await assert_json_error(reply, 400, "seconds")


# Role-based visibility ----------------------------------------------------------------------------


async def test_a_supervisor_cannot_read_comments_on_an_agent_of_another_team(gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.post(
        "/api/v1/comments",
        json={"subject_kind": "agent", "subject_id": "csilla", "text": "private HR note", "tag_agent_ids": []},
        headers=csrf(root),
    )
    assert reply.status == 201, await reply.text()
    sam = await gateway.login("sam")  # supervises sales; csilla serves support
    reply = await sam.get("/api/v1/comments/agent/csilla")
    assert reply.status == 404, await reply.text()


# Recordings: HTTP ranges --------------------------------------------------------------------------


@pytest.fixture
async def backend_addrs(start_recorder):
    recorder = await start_recorder()
    return {"recorder_addr": f"127.0.0.1:{recorder.port}"}


async def test_a_zero_length_suffix_range_is_unsatisfiable(backend_addrs, gateway):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    rec = await stored(gateway, "anna", "c1")
    root = await gateway.login("root")
    reply = await root.get(f"/api/v1/recordings/{rec.id}/audio", headers={"Range": "bytes=-0"})
    assert reply.status == 416, reply.status
    assert reply.headers.get("Content-Range") == f"bytes */{rec.size_bytes}"
