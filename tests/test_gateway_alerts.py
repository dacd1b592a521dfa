"""The board's thresholds and alerts over real HTTP, with a real router, real stats and the
test's Redis: who may read and set the limits, what is refused, and alerts whose first
sighting every read and every gateway replica agree on."""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.config import key_prefix
from callcenter.core.event_stream import stream_key
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.web import CONFIG
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team

SALES = {"service_level_min_percent": 80, "longest_wait_max_s": 60, "abandoned_max_percent": 10}
AGENTS = {"ringing_max_s": 30, "wrap_up_max_s": 300, "paused_max_s": 1800}


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


@contextlib.asynccontextmanager
async def router(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)


@contextlib.asynccontextmanager
async def second_gateway(gateway, redis, username: str):
    """Another gateway replica on the same Redis, router and stats; a client logged in to it."""
    config = gateway.app[CONFIG]
    backends = Backends(config.router_addr, config.stats_addr, config.recorder_addr, config.rpc_timeout_s)
    client = TestClient(TestServer(create_app(config, redis, backends)))
    await client.start_server()
    try:
        reply = await client.post("/api/v1/login", json={"username": username, "password": PASSWORD})
        assert reply.status == 200, await reply.text()
        yield client
    finally:
        await client.close()


async def board_until(client, done, what: str, deadline_s: float = 10.0) -> dict:
    """The board once done(board) holds: figures are shared for a moment (day_figures.py) and
    times pass their limits by themselves, so read again until then (or fail saying what)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while True:
        board = await (await client.get("/api/v1/board")).json()
        if done(board):
            return board
        assert loop.time() < end, f"the board never showed {what}: {board.get('alerts')}"
        await asyncio.sleep(0.05)


def alerts_of(board: dict, kind: str) -> list[dict]:
    return [a for a in board["alerts"] if a["kind"] == kind]


async def test_admins_set_and_reset_a_queues_thresholds_and_supervisors_read_only_theirs(gateway, redis, tenant):
    await setup_team(gateway)
    root, sam, anna = await gateway.login("root"), await gateway.login("sam"), await gateway.login("anna")
    found = await (await root.get("/api/v1/thresholds")).json()
    assert found == {
        "agents": AGENTS,
        "queues": [{"queue": q, **SALES, "custom": False} for q in ("sales", "support")],
    }
    limits = {"service_level_min_percent": 75.5, "longest_wait_max_s": 30, "abandoned_max_percent": 5}
    reply = await root.put("/api/v1/thresholds/queues/sales", json=limits, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    assert await reply.json() == {"queue": "sales", **limits, "custom": True}

    # The supervisor reads their own queue's limits, and changes none.
    assert await (await sam.get("/api/v1/thresholds")).json() == {
        "agents": AGENTS,
        "queues": [{"queue": "sales", **limits, "custom": True}],
    }
    refused = await sam.put("/api/v1/thresholds/queues/sales", json=SALES, headers=csrf(sam))
    assert refused.status == 403
    assert (await sam.delete("/api/v1/thresholds/queues/sales", headers=csrf(sam))).status == 403
    assert (await sam.put("/api/v1/thresholds/agents", json=AGENTS, headers=csrf(sam))).status == 403
    assert (await anna.get("/api/v1/thresholds")).status == 403

    reply = await root.delete("/api/v1/thresholds/queues/sales", headers=csrf(root))
    assert await reply.json() == {"queue": "sales", **SALES, "custom": False}
    assert (await (await root.get("/api/v1/thresholds")).json())["queues"][0]["custom"] is False

    # Each change is an action of its admin on the event stream (the audit trail).
    entries = await redis.xrange(stream_key(tenant))
    changes = [f for _, f in entries if f["type"] == "thresholds_updated"]
    assert [(f["actor"], f["queue"], f["reason"]) for f in changes] == [
        ("root", "sales", "set"),
        ("root", "sales", "reset"),
    ]


async def test_admins_set_the_agents_limits_for_everyone(gateway):
    await setup_team(gateway)
    root, sam = await gateway.login("root"), await gateway.login("sam")
    limits = {"ringing_max_s": 10, "wrap_up_max_s": 120, "paused_max_s": 600}
    reply = await root.put("/api/v1/thresholds/agents", json=limits, headers=csrf(root))
    assert reply.status == 200 and await reply.json() == limits
    assert (await (await sam.get("/api/v1/thresholds")).json())["agents"] == limits


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"longest_wait_max_s": 60, "abandoned_max_percent": 10}, "service_level_min_percent"),
        ({**SALES, "service_level_min_percent": 101}, "service_level_min_percent"),
        ({**SALES, "longest_wait_max_s": 0}, "longest_wait_max_s"),
        ({**SALES, "longest_wait_max_s": 1.5}, "longest_wait_max_s"),
        ({**SALES, "longest_wait_max_s": 10**40}, "longest_wait_max_s"),
        ({**SALES, "abandoned_max_percent": "5"}, "abandoned_max_percent"),
        ({**SALES, "abandoned_max_percent": True}, "abandoned_max_percent"),
        ({**SALES, "abandoned_max_percent": None}, "abandoned_max_percent"),
        ({**SALES, "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_queue_limit_is_refused_naming_its_field(gateway, body, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.put("/api/v1/thresholds/queues/sales", json=body, headers=csrf(root))
    assert reply.status == 400
    assert (await reply.json())["field"] == field
    assert (await (await root.get("/api/v1/thresholds")).json())["queues"][0]["custom"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ringing_max_s": 3601, "wrap_up_max_s": 1, "paused_max_s": 1}, "ringing_max_s"),
        ({"ringing_max_s": 1, "paused_max_s": 1}, "wrap_up_max_s"),
        ({"ringing_max_s": 1, "wrap_up_max_s": 1, "paused_max_s": -5}, "paused_max_s"),
        ({**AGENTS, "stuck": 1}, "stuck"),
    ],
)
async def test_a_bad_agent_limit_is_refused_naming_its_field(gateway, body, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.put("/api/v1/thresholds/agents", json=body, headers=csrf(root))
    assert reply.status == 400
    assert (await reply.json())["field"] == field


async def test_an_unknown_queue_has_no_thresholds_to_set(gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    for path in ("/api/v1/thresholds/queues/nosuch", "/api/v1/thresholds/queues/a%2Fb"):
        assert (await root.put(path, json=SALES, headers=csrf(root))).status == 404
        assert (await root.delete(path, headers=csrf(root))).status == 404


async def test_an_abandonment_alert_keeps_its_first_sighting_on_every_read_and_replica_until_it_clears(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    await setup_team(gateway)
    root, sam = await gateway.login("root"), await gateway.login("sam")
    limits = {**SALES, "abandoned_max_percent": 40, "service_level_min_percent": 0}
    await root.put("/api/v1/thresholds/queues/sales", json=limits, headers=csrf(root))
    async with router(gateway) as stub:
        await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))
        await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))  # 1 of 1 abandoned: 100 %
    await quiet_stats.consumer.drain()

    first = await board_until(sam, lambda b: alerts_of(b, "abandonment"), "the abandonment alert")
    alert = alerts_of(first, "abandonment")[0]
    assert alert["queue"] == "sales" and alert["value"] == 100 and alert["limit"] == 40
    assert alert["cause"] == "Abandonment 100 % in sales is above 40 %"
    assert first["queues"][0]["breaches"] == ["abandonment"]
    assert first["thresholds"]["queues"] == [{"queue": "sales", **limits, "custom": True}]
    again = await (await sam.get("/api/v1/board")).json()
    assert alerts_of(again, "abandonment")[0]["since_ms"] == alert["since_ms"]
    async with second_gateway(gateway, redis, "root") as other:
        elsewhere = await board_until(other, lambda b: alerts_of(b, "abandonment"), "the alert on the replica")
        assert alerts_of(elsewhere, "abandonment")[0]["since_ms"] == alert["since_ms"]

    async with router(gateway) as stub:  # two answered calls: 1 of 3 abandoned, 33 %
        for call_id in ("c2", "c3"):
            call = (await stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller="+49", queue="sales"))).call
            await stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(
                    call_id=call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                )
            )
            await stub.HangupCall(pb.HangupCallRequest(call_id=call_id))
    await quiet_stats.consumer.drain()
    cleared = await board_until(sam, lambda b: not alerts_of(b, "abandonment"), "the alert cleared")
    assert cleared["queues"][0]["breaches"] == []
    assert cleared["queues"][0]["abandonment_rate"] == pytest.approx(1 / 3)
    assert await redis.keys(f"{key_prefix(tenant)}gw:alert:*") == []  # the sighting is forgotten (this tenant's)


async def test_a_queue_shows_its_agents_by_activity_and_this_half_hours_service_level(
    backend_addrs, quiet_stats, gateway
):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    async with router(gateway) as stub:
        call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))).call
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))  # anna in wrap-up
        await stub.PauseAgent(pb.PauseAgentRequest(agent_id="boris", reason="lunch"))
    await quiet_stats.consumer.drain()
    board = await board_until(sam, lambda b: b["queues"][0].get("answered_today") == 1, "the answered call")
    sales = board["queues"][0]
    assert sales["agents"] == {"available": 0, "on_call": 0, "wrap_up": 1, "paused": 1, "ringing": 0}
    assert sales["service_level"] == 1.0 and sales["service_level_interval"] == 1.0
    assert sales["interval_start_ms"] % (15 * 60 * 1000) == 0
    assert sales["asa_ms"] is not None and sales["abandonment_rate"] == 0


async def test_a_long_wait_and_a_stuck_agent_are_dated_when_they_passed_their_limits(gateway):
    await setup_team(gateway)
    root, sam = await gateway.login("root"), await gateway.login("sam")
    await root.put("/api/v1/thresholds/queues/sales", json={**SALES, "longest_wait_max_s": 1}, headers=csrf(root))
    await root.put("/api/v1/thresholds/agents", json={**AGENTS, "paused_max_s": 1}, headers=csrf(root))
    async with router(gateway) as stub:
        for agent_id in ("anna", "boris"):
            await stub.PauseAgent(pb.PauseAgentRequest(agent_id=agent_id, reason="lunch"))
        await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))  # waits

    def both(board):
        return alerts_of(board, "longest_wait") and len(alerts_of(board, "agent_stuck")) == 2

    board = await board_until(sam, both, "the long wait and both agents stuck")
    sales = board["queues"][0]
    wait = alerts_of(board, "longest_wait")[0]
    assert wait["since_ms"] == sales["oldest_waiting_since_ms"] + 1000 and "longest_wait" in sales["breaches"]
    agents = {a["id"]: a for a in board["agents"]}
    for stuck in alerts_of(board, "agent_stuck"):
        assert stuck["since_ms"] == agents[stuck["agent_id"]]["since_ms"] + 1000
        assert agents[stuck["agent_id"]]["stuck"] is True
        assert stuck["cause"].startswith(f"{stuck['agent_name']}: Paused for ")
    assert [a["since_ms"] for a in board["alerts"]] == sorted((a["since_ms"] for a in board["alerts"]), reverse=True)
    anna = await gateway.login("anna")
    mine = await (await anna.get("/api/v1/board")).json()
    assert mine["alerts"] == [] and mine["thresholds"] is None  # the supervisors' business
