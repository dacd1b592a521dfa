"""Who did it (docs/security.md, "Audit"): every change made on someone's behalf records its
actor in its event (router transitions, admin changes, leads, recordings, gateway users), stats
keeps those actions as the audit trail (ListActions), and admins list them through the gateway
(supervisors their teams'). Real router, stats, recorder and gateway; real Redis."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import duration_pb2, timestamp_pb2

from callcenter.api.recorder.v1 import recorder_pb2 as rec_pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.audit import ON_BEHALF_KEY
from callcenter.core.auth import hash_token, new_token
from callcenter.core.config import CommonConfig
from callcenter.core.event_stream import decode, entry, stream_key
from callcenter.core.grpc_security import GrpcClientCredentials, GrpcServerSecurity
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.users import UserStore
from tests.gateway_fixtures import PASSWORD, Gateway, csrf
from tests.gateway_scenes import setup_team
from tests.helpers import event_types, read_events
from tests.stats_fixtures import utc_ms

TOKENS = {"gw-1": new_token(), "kamailio-1": new_token(), "ops": new_token()}
ROLES = {"gw-1": "gateway", "kamailio-1": "pbx", "ops": "admin"}


def bearer(name: str, on_behalf: str = "") -> tuple[tuple[str, str], ...]:
    metadata = (("authorization", f"Bearer {TOKENS[name]}"),)
    return (*metadata, (ON_BEHALF_KEY, on_behalf)) if on_behalf else metadata


@pytest.fixture
def callers_file(tmp_path):
    path = tmp_path / "callers"
    path.write_text("".join(f"{name} {ROLES[name]} {hash_token(token)}\n" for name, token in TOKENS.items()))
    return path


@pytest.fixture
async def router_port(start_replica, callers_file):
    """A router replica that authenticates its callers (the callers file above)."""
    replica = await start_replica(grpc=GrpcServerSecurity(callers_file=callers_file))
    return replica.port


@pytest.fixture
async def secured_router(router_port):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)


async def sales_with(stub, *agents: str, ring_timeout_ms: int = 5000) -> None:
    ring = duration_pb2.Duration()
    ring.FromMilliseconds(ring_timeout_ms)
    await stub.UpsertQueue(
        pb.UpsertQueueRequest(queue=pb.Queue(name="sales", ring_timeout=ring)), metadata=bearer("ops")
    )
    for agent_id in agents:
        agent = pb.Agent(id=agent_id, name=agent_id.title(), endpoint=f"sip:{agent_id}@pbx", queues=["sales"])
        await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent), metadata=bearer("ops"))
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id), metadata=bearer("ops"))


def of_type(events, kind: str):
    return [e for e in events if event_types([e]) == [kind]]


# Router events ----------------------------------------------------------------------------------


async def test_a_supervisors_pause_through_the_gateway_names_them_relayed_by_the_gateway(
    redis, redis_url, tenant, router_port, tmp_path
):
    token_file = tmp_path / "gw-token"
    token_file.write_text(TOKENS["gw-1"])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        await sales_with(router_pb2_grpc.RouterServiceStub(channel), "anna")
    config = GatewayConfig(common=CommonConfig(redis_url=redis_url, tenant=tenant), port=0)
    backends = Backends(
        f"127.0.0.1:{router_port}", config.stats_addr, config.recorder_addr, config.rpc_timeout_s,
        credentials=GrpcClientCredentials(token_file=token_file),
    )  # fmt: skip
    client = TestClient(TestServer(create_app(config, redis, backends)))
    await client.start_server()
    gateway = Gateway(client=client, app=client.app, users=UserStore(redis, tenant))
    try:
        await gateway.users.create("sam", PASSWORD, "supervisor", teams=("sales",))
        sam = await gateway.login("sam")
        reply = await sam.post("/api/v1/agents/anna/pause", json={"reason": "coaching"}, headers=csrf(sam))
        assert reply.status == 200, await reply.text()
    finally:
        for c in gateway._clients:
            await c.close()
        await client.close()
    (paused,) = of_type(await read_events(redis, tenant), "AGENT_PAUSED")
    assert (paused.agent_id, paused.reason, paused.actor, paused.actor_via) == ("anna", "coaching", "sam", "gw-1")
    (logged_in,) = of_type(await read_events(redis, tenant), "AGENT_LOGGED_IN")
    assert (logged_in.actor, logged_in.actor_via) == ("ops", "")  # the credential acting itself


async def test_an_admins_changes_through_grpc_record_the_user_they_were_made_for(redis, tenant, secured_router):
    stub = secured_router
    await sales_with(stub)
    agent = pb.Agent(id="anna", name="Anna", endpoint="sip:anna@pbx", queues=["sales"])
    await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent), metadata=bearer("ops", on_behalf="alice"))
    agent.endpoint = "sip:attacker@evil.example"
    await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent), metadata=bearer("ops", on_behalf="alice"))
    await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent), metadata=bearer("ops"))  # no change: no event
    await stub.DeleteAgent(pb.DeleteAgentRequest(agent_id="anna"), metadata=bearer("ops"))
    events = await read_events(redis, tenant)
    created, moved = of_type(events, "AGENT_UPDATED")
    assert (created.agent_id, created.reason, created.actor, created.actor_via) == ("anna", "created", "alice", "ops")
    assert (moved.reason, moved.attributes["changed"], moved.actor) == ("updated", "endpoint", "alice")
    (queue,) = of_type(events, "QUEUE_UPDATED")
    assert (queue.queue, queue.reason, queue.actor, queue.actor_via) == ("sales", "created", "ops", "")
    (deleted,) = of_type(events, "AGENT_DELETED")
    assert (deleted.agent_id, deleted.actor) == ("anna", "ops")


async def test_a_timer_driven_transition_has_no_actor(redis, tenant, secured_router):
    """The PBX's RouteCall offers the call (its events name the PBX's credential); the ring
    timeout, fired by the router's timer loop, names nobody."""
    stub = secured_router
    await sales_with(stub, "anna", ring_timeout_ms=100)
    stream = stream_key(tenant)
    ((last, _),) = await redis.xrevrange(stream, count=1)
    await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"), metadata=bearer("kamailio-1"))
    missed = None
    while missed is None:  # woken by each new entry, until the timer's miss arrives
        reply = await redis.xread({stream: last}, block=5000)
        assert reply, "the ring timeout never fired"
        for entry_id, fields in reply[0][1]:
            last = entry_id
            if fields["type"] == "OFFER_MISSED":
                missed = decode(entry_id, fields)
    offered = of_type(await read_events(redis, tenant), "CALL_OFFERED")[0]
    assert (offered.actor, missed.reason, missed.actor, missed.actor_via) == ("kamailio-1", "timeout", "", "")


# The audit trail in stats ---------------------------------------------------------------------


def ts(ms: int) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromMilliseconds(ms)
    return value


def actions_request(start_ms: int, end_ms: int, **fields) -> spb.ListActionsRequest:
    return spb.ListActionsRequest(range=spb.TimeRange(start=ts(start_ms), end=ts(end_ms)), **fields)


async def recorded(redis, tenant: str, when: str, event_type: str, **fields) -> None:
    """An event as the stream recorded it at `when` (UTC): the trail goes by the entry's id, the
    Redis server's clock when it was appended (a caller cannot backdate an action)."""
    ms = utc_ms(when)
    await redis.xadd(stream_key(tenant), entry(event_type, ms, **fields), id=f"{ms}-1")


async def test_the_trail_lists_actions_by_period_and_actor_newest_first_in_pages(redis, tenant, make_consumer, stats):
    """Actions are events with an actor; the call flow (even with one) is not listed."""
    await recorded(redis, tenant, "2026-03-02 09:00", "AGENT_PAUSED", agent_id="anna", actor="sam")
    await recorded(redis, tenant, "2026-03-02 09:01", "AGENT_RESUMED", agent_id="anna", actor="sam")
    await recorded(redis, tenant, "2026-03-02 09:02", "LEAD_ASSIGNED", lead_id="L1", agent_id="anna", actor="crm-1")
    await recorded(redis, tenant, "2026-03-02 09:03", "CALL_RECEIVED", call_id="c1", queue="q", actor="kamailio-1")
    await recorded(redis, tenant, "2026-03-02 09:04", "AGENT_PAUSED", agent_id="boris")  # nobody asked
    await recorded(redis, tenant, "2026-03-03 09:00", "AGENT_LOGGED_OUT", agent_id="anna", actor="sam", actor_via="gw")
    await make_consumer().drain()
    day = (utc_ms("2026-03-02 00:00"), utc_ms("2026-03-03 00:00"))

    page, token = await stats.actions(*day, "", 2, "")
    assert [(event_types([e])[0], e.actor) for e in page] == [("LEAD_ASSIGNED", "crm-1"), ("AGENT_RESUMED", "sam")]
    rest, last = await stats.actions(*day, "", 2, token)
    assert ([event_types([e])[0] for e in rest], last) == (["AGENT_PAUSED"], "")
    assert (rest[0].agent_id, rest[0].id, rest[0].time.ToMilliseconds()) == (
        "anna", f"{utc_ms('2026-03-02 09:00')}-1", utc_ms("2026-03-02 09:00"),
    )  # fmt: skip
    sams, _ = await stats.actions(day[0], utc_ms("2026-03-04 00:00"), "sam", 50, "")
    assert [(event_types([e])[0], e.actor_via) for e in sams] == [
        ("AGENT_LOGGED_OUT", "gw"), ("AGENT_RESUMED", ""), ("AGENT_PAUSED", ""),
    ]  # fmt: skip
    assert await stats.actions(day[0], day[1], "nobody", 50, "") == ([], "")


async def test_an_action_older_than_the_audit_retention_is_trimmed(redis, tenant, make_consumer, stats):
    await recorded(redis, tenant, "2026-03-02 09:00", "AGENT_PAUSED", agent_id="anna", actor="sam")
    await recorded(redis, tenant, "2026-03-04 09:00", "AGENT_RESUMED", agent_id="anna", actor="sam")
    await make_consumer(audit_days=1).drain()
    for actor in ("", "sam"):
        kept, _ = await stats.actions(utc_ms("2026-03-01 00:00"), utc_ms("2026-03-05 00:00"), actor, 50, "")
        assert event_types(kept) == ["AGENT_RESUMED"]


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({}, "range"),
        ({"range": spb.TimeRange(end=ts(utc_ms("2026-03-02 00:00")))}, "range.start"),
        ({"range": spb.TimeRange(start=ts(utc_ms("2026-03-02 00:00")))}, "range.end"),
        (
            {"range": spb.TimeRange(start=ts(utc_ms("2026-03-02 00:00")), end=ts(utc_ms("2026-03-02 00:00")))},
            "range.end",
        ),
        (
            {"range": spb.TimeRange(start=ts(utc_ms("2025-01-01 00:00")), end=ts(utc_ms("2026-02-06 00:00")))},
            "range.end",
        ),
        ({"page_size": 501}, "page_size"),
        ({"page_size": -1}, "page_size"),
        ({"page_token": "bm90IGEgdG9rZW4"}, "page_token"),
        ({"actor": "two words"}, "actor"),
    ],
)
async def test_list_actions_refuses_what_is_out_of_bounds_naming_the_field(stats_stub, request_fields, field):
    day = spb.TimeRange(start=ts(utc_ms("2026-03-01 00:00")), end=ts(utc_ms("2026-03-02 00:00")))
    request = spb.ListActionsRequest(**{"range": day, **request_fields}) if request_fields else spb.ListActionsRequest()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stats_stub.ListActions(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(f"{field}:"), refused.value.details()


async def test_a_400_day_period_is_taken(stats_stub):
    reply = await stats_stub.ListActions(actions_request(utc_ms("2025-01-01 00:00"), utc_ms("2026-02-05 00:00")))
    assert (list(reply.actions), reply.next_page_token) == ([], "")


# Leads and recordings ---------------------------------------------------------------------------


async def test_lead_reports_and_recording_changes_record_their_caller(
    redis, tenant, stats_stub, start_recorder, make_consumer, stats
):
    await stats_stub.CreateLead(
        spb.CreateLeadRequest(lead_id="L1", agent_id="anna"), metadata=((ON_BEHALF_KEY, "crm-x"),)
    )
    recorder = await start_recorder()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{recorder.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        upload = [
            rec_pb.UploadRecordingRequest(
                metadata=rec_pb.UploadMetadata(
                    call_id="c1", codec=rec_pb.AUDIO_CODEC_PCMU, sample_rate_hz=8000, leg=rec_pb.LEG_MIXED,
                    agent_id="anna",
                )
            ),
            rec_pb.UploadRecordingRequest(chunk=rec_pb.AudioChunk(offset=0, data=b"\xff" * 800)),
            rec_pb.UploadRecordingRequest(end=rec_pb.UploadEnd(total_bytes=800)),
        ]  # fmt: skip
        stored = (await stub.UploadRecording(iter(upload), metadata=((ON_BEHALF_KEY, "pbx-x"),))).recording
        hold = rec_pb.SetLegalHoldRequest(recording_id=stored.id, hold=True)
        await stub.SetLegalHold(hold, metadata=((ON_BEHALF_KEY, "lawyer"),))
        await stub.SetLegalHold(hold, metadata=((ON_BEHALF_KEY, "lawyer"),))  # already held: no change
        await stub.SetLegalHold(rec_pb.SetLegalHoldRequest(recording_id=stored.id), metadata=((ON_BEHALF_KEY, "ops2"),))
        await stub.DeleteRecording(
            rec_pb.DeleteRecordingRequest(recording_id=stored.id), metadata=((ON_BEHALF_KEY, "ops2"),)
        )
    events = await read_events(redis, tenant)
    assert [(event_types([e])[0], e.actor, e.reason) for e in events] == [
        ("LEAD_CREATED", "crm-x", ""),
        ("RECORDING_STORED", "pbx-x", ""),
        ("RECORDING_LEGAL_HOLD_CHANGED", "lawyer", "set"),
        ("RECORDING_LEGAL_HOLD_CHANGED", "ops2", "lifted"),
        ("RECORDING_DELETED", "ops2", "request"),
    ]
    await make_consumer().drain()
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    trail, _ = await stats.actions(now - 3_600_000, now + 60_000, "", 50, "")
    assert [event_types([e])[0] for e in trail] == [
        "RECORDING_DELETED",
        "RECORDING_LEGAL_HOLD_CHANGED",
        "RECORDING_LEGAL_HOLD_CHANGED",
        "LEAD_CREATED",
    ]  # fmt: skip  (the stored recording is the call flow)


# The gateway's listing ----------------------------------------------------------------------------


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def actions_of(client, **query) -> dict:
    reply = await client.get("/api/v1/actions", params={"from": today(), "to": today(), **query})
    assert reply.status == 200, await reply.text()
    return await reply.json()


async def test_a_lead_stage_change_through_the_gateway_is_listed_with_its_user(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        anna = pb.Agent(id="anna", name="Anna Berg", endpoint="sip:anna@pbx", queues=["sales"])
        await router_pb2_grpc.RouterServiceStub(channel).UpsertAgent(pb.UpsertAgentRequest(agent=anna))
    root = await gateway.login("root")
    lead = {"lead_id": "L1", "agent_id": "anna", "stage": "lead"}
    assert (await root.post("/api/v1/leads", json=lead, headers=csrf(root))).status == 201
    await quiet_stats.consumer.drain()
    reply = await root.post("/api/v1/leads/L1/stage", json={"stage": "in_work"}, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    user = {"username": "olga", "password": PASSWORD, "role": "supervisor", "teams": ["sales"]}
    assert (await root.post("/api/v1/users", json=user, headers=csrf(root))).status in (200, 201)
    await quiet_stats.consumer.drain()

    listed = await actions_of(root)
    assert [(a["type"], a["actor"], a["lead_id"]) for a in listed["actions"]] == [
        ("user_created", "root", ""), ("lead_stage_changed", "root", "L1"), ("lead_created", "root", "L1"),
    ]  # fmt: skip
    changed = listed["actions"][1]
    assert (changed["lead_stage"], changed["agent_id"], changed["agent_name"]) == ("in_work", "", "")
    created = listed["actions"][2]
    assert (created["agent_id"], created["agent_name"], created["actor_via"]) == ("anna", "Anna Berg", "")
    assert listed["actions"][0]["attributes"] == {"username": "olga", "role": "supervisor"}
    assert listed["next_page_token"] == ""
    first = await actions_of(root, actor="root", page_size="1")
    assert [a["type"] for a in first["actions"]] == ["user_created"] and first["next_page_token"]
    rest = await actions_of(root, actor="root", page_size="2", page_token=first["next_page_token"])
    assert [a["type"] for a in rest["actions"]] == ["lead_stage_changed", "lead_created"]
    assert (await actions_of(root, actor="sam"))["actions"] == []


async def test_supervisors_list_their_teams_actions_and_agents_none(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    for lead_id, agent_id in (("L1", "anna"), ("L2", "csilla")):  # sales, support
        lead = {"lead_id": lead_id, "agent_id": agent_id}
        assert (await root.post("/api/v1/leads", json=lead, headers=csrf(root))).status == 201
    await quiet_stats.consumer.drain()
    sam = await gateway.login("sam")  # supervises sales
    assert [a["lead_id"] for a in (await actions_of(sam))["actions"]] == ["L1"]
    assert [a["lead_id"] for a in (await actions_of(root))["actions"]] == ["L2", "L1"]
    anna = await gateway.login("anna")
    reply = await anna.get("/api/v1/actions", params={"from": today(), "to": today()})
    assert reply.status == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2026-03-02"}, "from"),
        ({"from": "2026-03-02"}, "to"),
        ({"from": "March", "to": "2026-03-02"}, "from"),
        ({"from": "2026-03-02T10:00:00Z", "to": "2026-03-02T09:00:00Z"}, "to"),
        ({"from": "2025-01-01", "to": "2026-02-05"}, "to"),  # 401 days with the whole last day
        ({"from": "1999-12-31", "to": "2000-01-02"}, "from"),
        ({"from": "2026-03-02", "to": "2026-03-02", "page_token": "bm9wZQ"}, "page_token"),
        ({"from": "2026-03-02", "to": "2026-03-02", "page_size": "501"}, "page_size"),
        ({"from": "2026-03-02", "to": "2026-03-02", "tz": "Mars/Olympus"}, "tz"),
        ({"from": "2026-03-02", "to": "2026-03-02", "agent_id": "anna"}, "agent_id"),
    ],
)
async def test_a_bad_period_or_page_is_a_400_naming_the_parameter(backend_addrs, gateway, query, field):
    await gateway.users.create("root", PASSWORD, "admin")
    root = await gateway.login("root")
    reply = await root.get("/api/v1/actions", params=query)
    assert (reply.status, (await reply.json()).get("field")) == (400, field), await reply.text()
