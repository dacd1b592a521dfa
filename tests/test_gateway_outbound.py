"""Outbound work through the gateway (docs/outbound.md): an agent's click-to-call becomes a
preview they accept and the PBX dials; only the agent offered it may accept; a supervisor
runs a campaign; callbacks are scheduled and cancelled; the outbound figures answer; bad
input is a 400 naming the field. Real router (with its dialler), stats, Redis and HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import urllib.parse

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import PASSWORD, csrf
from tests.helpers import next_event
from tests.pbx_session_client import PbxClient

K = pb.PbxCallEventKind
pytestmark = pytest.mark.usefixtures("backend_addrs")  # set up before the gateway, which asks for it
ALL_DAY = {"days": [1, 2, 3, 4, 5, 6, 7], "start_minute": 0, "end_minute": 1440, "time_zone": "UTC"}


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


@pytest.fixture
async def router(gateway):
    """A RouterService client of the gateway's router."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)


@pytest.fixture
async def office(gateway, router):
    """The queue sales, dialled by the PBX session "dialer" (kept open), anna and boris logged
    in to it; users root (admin), sam (supervisor of sales), anna and boris (agents)."""
    ring = pb.Queue(name="sales", outbound_pbx="dialer")
    ring.ring_timeout.FromMilliseconds(120_000)  # nothing expires on a busy machine
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=ring))
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="support")))
    for agent_id in ("anna", "boris"):
        agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=["sales"])
        await router.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
        await router.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
        await gateway.users.create(agent_id, PASSWORD, "agent", agent_id=agent_id)
    await gateway.users.create("root", PASSWORD, "admin")
    await gateway.users.create("sam", PASSWORD, "supervisor", teams=("sales",))
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number="+4930111", name="Frau Kühn")))
    async with PbxClient(router, "dialer", lease_ms=10_000) as pbx:
        yield pbx


async def ok(reply, status: int = 200) -> dict:
    assert reply.status == status, await reply.text()
    return await reply.json()


async def refused(reply, status: int, field: str = "") -> dict:
    body = await reply.json()
    assert reply.status == status, body
    if field:
        assert body.get("field") == field, body
    return body


async def test_an_agents_click_to_call_is_a_preview_only_they_accept_and_then_it_is_dialled(
    gateway, router, office, quiet_stats
):
    anna, boris, sam = await gateway.login("anna"), await gateway.login("boris"), await gateway.login("sam")
    created = await ok(await anna.post("/api/v1/outbound/calls", json={"number": "+4930111"}, headers=csrf(anna)), 201)
    call = created["call"]
    assert (call["state"], call["offer"]["agent_id"], call["direction"], call["queue"]) == (
        "CALL_STATE_RINGING",
        "anna",
        "CALL_DIRECTION_OUTBOUND",
        "sales",
    )
    [offer] = (await ok(await anna.get("/api/v1/outbound/offers")))["offers"]
    assert (offer["call_id"], offer["number"], offer["client_name"], offer["offer_id"]) == (
        call["call_id"],
        "+4930111",
        "Frau Kühn",
        call["offer"]["offer_id"],
    )
    assert (await ok(await boris.get("/api/v1/outbound/offers")))["offers"] == []
    path = f"/api/v1/outbound/calls/{urllib.parse.quote(call['call_id'], safe='')}"
    await refused(await boris.post(path + "/accept", headers=csrf(boris)), 403)
    await refused(await boris.post(path + "/decline", headers=csrf(boris)), 403)
    # a stale offer id is refused, the agent's own accept dials the call
    await refused(await anna.post(path + "/accept", json={"offer_id": "x"}, headers=csrf(anna)), 409, "offer_id")
    accepted = await ok(await anna.post(path + "/accept", json={"offer_id": offer["offer_id"]}, headers=csrf(anna)))
    assert accepted["call"]["state"] == "CALL_STATE_DIALING"
    originate = await office.next_event(call["call_id"], K.PBX_CALL_EVENT_KIND_ORIGINATE)
    assert (originate.call.caller, originate.call.offer.endpoint) == ("+4930111", "sip:anna@pbx")
    assert (await ok(await anna.get("/api/v1/outbound/offers")))["offers"] == []
    await refused(await anna.post(path + "/accept", headers=csrf(anna)), 409, "call_id")  # dialled already
    # the outbound figures count it in sales and for anna
    await quiet_stats.consumer.drain()
    figures = await ok(await sam.get("/api/v1/stats/outbound"))
    [sales] = [q for q in figures["queues"] if q["id"] == "sales"]
    assert (int(sales["calls"]), int(sales["dialed"])) == (1, 1)
    assert figures["campaigns"] == [] and {a["id"] for a in figures["agents"]} <= {"anna", "boris"}
    own = await ok(await anna.get("/api/v1/stats/outbound?period=day"))
    assert own["queues"] == [] and [a["id"] for a in own["agents"]] == ["anna"]
    await refused(await anna.get("/api/v1/stats/outbound?queue=sales"), 404)


async def test_a_supervisor_places_a_call_for_a_named_agent_who_declines_it(gateway, office):
    sam = await gateway.login("sam")
    body = {"number": "+4930222", "agent_id": "boris", "deal_id": "lead-9"}
    call = (await ok(await sam.post("/api/v1/outbound/calls", json=body, headers=csrf(sam)), 201))["call"]
    assert (call["offer"]["agent_id"], call["deal_id"]) == ("boris", "lead-9")
    boris = await gateway.login("boris")
    path = f"/api/v1/outbound/calls/{urllib.parse.quote(call['call_id'], safe='')}"
    declined = (await ok(await boris.post(path + "/decline", headers=csrf(boris))))["call"]
    assert declined["offer"]["agent_id"] == "anna"  # to the next agent
    # an agent calls for themselves only; a queue not theirs is unknown to them
    anna = await gateway.login("anna")
    mine = {"number": "+4930333", "agent_id": "boris"}
    await refused(await anna.post("/api/v1/outbound/calls", json=mine, headers=csrf(anna)), 403)
    other = {"number": "+4930333", "queue": "support"}
    await refused(await anna.post("/api/v1/outbound/calls", json=other, headers=csrf(anna)), 404)
    await refused(await sam.post("/api/v1/outbound/calls", json=other, headers=csrf(sam)), 404)


async def test_a_supervisor_runs_a_campaign_over_http_and_reads_its_progress(gateway, redis, tenant, office):
    sam, anna = await gateway.login("sam"), await gateway.login("anna")
    body = {
        "campaign_id": "spring",
        "name": "Spring offer",
        "queue": "sales",
        "mode": "preview",
        "script": "Good morning, this is the spring offer.",
        "calling_hours": ALL_DAY,
        "retry": {"no_answer_s": 3600, "busy_s": 600, "max_attempts": 2},
    }
    await refused(await anna.post("/api/v1/campaigns", json=body, headers=csrf(anna)), 403)
    created = (await ok(await sam.post("/api/v1/campaigns", json=body, headers=csrf(sam)), 201))["campaign"]
    assert (created["state"], created["mode"], created["retry"]["max_attempts"]) == ("draft", "preview", 2)
    assert created["calling_hours"] == ALL_DAY and created["retry"]["no_answer_s"] == 3600
    numbers = {"numbers": ["+4930111", "+4930444"]}
    added = await ok(await sam.post("/api/v1/campaigns/spring/contacts", json=numbers, headers=csrf(sam)))
    assert added == {"added": 2, "skipped": 0}
    started = (await ok(await sam.post("/api/v1/campaigns/spring/start", headers=csrf(sam))))["campaign"]
    assert started["state"] == "running"
    # the dialler offers a contact to an agent as a preview, with the campaign's script
    _, offered = await asyncio.wait_for(
        next_event(redis, tenant, lambda e: e.campaign_id == "spring" and e.offer_id and e.agent_id), 10
    )
    agent = await gateway.login(offered.agent_id)
    [offer] = (await ok(await agent.get("/api/v1/outbound/offers")))["offers"]
    assert (offer["campaign_id"], offer["campaign_name"], offer["script"]) == (
        "spring",
        "Spring offer",
        "Good morning, this is the spring offer.",
    )
    got = (await ok(await sam.get("/api/v1/campaigns/spring")))["campaign"]
    assert got["state"] == "running" and got["progress"]["contacts"] == 2
    assert [c["campaign_id"] for c in (await ok(await sam.get("/api/v1/campaigns")))["campaigns"]] == ["spring"]
    contacts = (await ok(await sam.get("/api/v1/campaigns/spring/contacts")))["contacts"]
    assert sorted(c["number"] for c in contacts) == ["+4930111", "+4930444"]
    paused = (await ok(await sam.post("/api/v1/campaigns/spring/pause", headers=csrf(sam))))["campaign"]
    assert paused["state"] == "paused"
    stopped = (await ok(await sam.post("/api/v1/campaigns/spring/stop", headers=csrf(sam))))["campaign"]
    assert stopped["state"] == "stopped"
    # admins see it too; a supervisor of other queues does not
    await gateway.users.create("tina", PASSWORD, "supervisor", teams=("billing",))
    tina = await gateway.login("tina")
    assert (await ok(await tina.get("/api/v1/campaigns")))["campaigns"] == []
    await refused(await tina.get("/api/v1/campaigns/spring"), 404)
    await refused(await tina.post("/api/v1/campaigns/spring/start", headers=csrf(tina)), 404)
    root = await gateway.login("root")
    assert (await ok(await root.get("/api/v1/campaigns/spring")))["campaign"]["state"] == "stopped"


async def test_callbacks_are_scheduled_listed_by_who_may_see_them_and_cancelled(gateway, office):
    anna, boris, sam = await gateway.login("anna"), await gateway.login("boris"), await gateway.login("sam")
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(microsecond=0)
    body = {"number": "+4930111", "due_at": due.isoformat(), "note": "wants the spring offer"}
    callback = (await ok(await anna.post("/api/v1/callbacks", json=body, headers=csrf(anna)), 201))["callback"]
    assert (callback["agent_id"], callback["queue"], callback["state"], callback["created_by"]) == (
        "anna",
        "sales",
        "scheduled",
        "anna",
    )
    assert callback["due_ms"] == int(due.timestamp() * 1000)
    for_sales = {"number": "+4930555", "due_at": due.isoformat(), "queue": "sales"}
    other = (await ok(await sam.post("/api/v1/callbacks", json=for_sales, headers=csrf(sam)), 201))["callback"]
    assert other["agent_id"] == ""

    async def listed(client) -> list[str]:
        return [c["callback_id"] for c in (await ok(await client.get("/api/v1/callbacks")))["callbacks"]]

    assert await listed(anna) == [callback["callback_id"]]
    assert await listed(boris) == []
    assert sorted(await listed(sam)) == sorted([callback["callback_id"], other["callback_id"]])
    path = f"/api/v1/callbacks/{callback['callback_id']}"
    await refused(await boris.delete(path, headers=csrf(boris)), 404)
    cancelled = (await ok(await anna.delete(path, headers=csrf(anna))))["callback"]
    assert cancelled["state"] == "cancelled"
    assert await listed(anna) == []
    ended = (await ok(await anna.get("/api/v1/callbacks?include_ended=1")))["callbacks"]
    assert [c["state"] for c in ended] == ["cancelled"]


async def test_segments_and_the_do_not_call_list_are_kept_by_supervisors(gateway, office):
    sam, anna = await gateway.login("sam"), await gateway.login("anna")
    segment = {"segment_id": "loans", "name": "Loans", "conditions": [{"attribute": "interest", "values": ["loans"]}]}
    await refused(await anna.post("/api/v1/segments", json=segment, headers=csrf(anna)), 403)
    stored = (await ok(await sam.post("/api/v1/segments", json=segment, headers=csrf(sam)), 201))["segment"]
    assert stored["conditions"] == segment["conditions"] and stored["members"] == 0
    assert [s["segment_id"] for s in (await ok(await sam.get("/api/v1/segments")))["segments"]] == ["loans"]
    numbers = {"numbers": ["+4930999"]}
    assert await ok(await sam.post("/api/v1/do-not-call", json=numbers, headers=csrf(sam))) == {"added": 1}
    listed = await ok(await sam.get("/api/v1/do-not-call"))
    assert [e["number"] for e in listed["entries"]] == ["+4930999"] and listed["total"] == 1
    assert len((await ok(await sam.get("/api/v1/do-not-call?number=%2B4930999")))["entries"]) == 1
    # a number on the list is never called
    call = {"number": "+4930999"}
    await refused(await anna.post("/api/v1/outbound/calls", json=call, headers=csrf(anna)), 409)
    await refused(await anna.get("/api/v1/do-not-call"), 403)
    assert await ok(await sam.delete("/api/v1/do-not-call", json=numbers, headers=csrf(sam))) == {"removed": 1}
    assert (await ok(await sam.get("/api/v1/do-not-call")))["entries"] == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/outbound/calls", {"number": 5}, "number"),
        ("/api/v1/outbound/calls", {"number": ""}, "number"),
        ("/api/v1/outbound/calls", {"number": "+491", "dial": True}, "dial"),
        ("/api/v1/outbound/calls", {"number": "+491", "queue": "no such/queue"}, "queue"),
        ("/api/v1/outbound/calls", {"number": "not a number"}, "number"),  # the router's INVALID_ARGUMENT
        ("/api/v1/callbacks", {"number": "+491", "due_at": "tomorrow"}, "due_at"),
        ("/api/v1/callbacks", {"number": "+491"}, "due_at"),
        ("/api/v1/campaigns", {"queue": "sales", "mode": "robot"}, "mode"),
        ("/api/v1/campaigns", {"queue": "sales", "calling_hours": {"days": [8]}}, "calling_hours.days[0]"),
        ("/api/v1/campaigns", {"queue": "sales", "retry": {"tries": 3}}, "retry.tries"),
        ("/api/v1/campaigns", {"queue": "sales", "retry": {"busy_s": -1}}, "retry.busy_s"),
        ("/api/v1/campaigns/spring/contacts", {"numbers": "+491"}, "numbers"),
        ("/api/v1/segments", {"segment_id": "s", "conditions": []}, "conditions"),
        ("/api/v1/do-not-call", {"numbers": [1]}, "numbers"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(gateway, office, path, body, field):
    client = await gateway.login("anna" if path.startswith(("/api/v1/outbound", "/api/v1/callbacks")) else "sam")
    await refused(await client.post(path, json=body, headers=csrf(client)), 400, field)
