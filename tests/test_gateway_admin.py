"""Queue and agent administration through the gateway's JSON API: admins only, a bad value a
400 naming the field, the change stored by a real router and recorded with the admin as actor."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team
from tests.helpers import event_types, read_events


async def _router(gateway):
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}")
    return channel, router_pb2_grpc.RouterServiceStub(channel)


@pytest.fixture
async def logged_in(gateway):
    await setup_team(gateway)
    return {name: await gateway.login(name) for name in ("root", "sam", "anna")}


async def _put(client, path, body):
    return await client.put(path, json=body, headers=csrf(client))


async def test_an_admin_changes_a_queues_rules_and_the_router_stores_them_as_the_admins_change(
    gateway, logged_in, redis, tenant
):
    root = logged_in["root"]
    reply = await _put(
        root,
        "/api/v1/queues/sales",
        {"ring_timeout_s": 12, "wrap_up_s": 0, "max_wait_s": 90.5, "strategy": "round_robin",
         "required_skills": {"de": 2}, "overflow_queue": "support", "max_no_answer": 0, "sticky": True},
    )  # fmt: skip
    assert reply.status == 200, await reply.text()
    rules = (await reply.json())["rules"]
    assert (rules["ring_timeout_s"], rules["wrap_up_s"], rules["max_wait_s"]) == (12, 0, 90.5)
    assert (rules["strategy"], rules["overflow_queue"], rules["max_no_answer"]) == ("round_robin", "support", 0)
    assert rules["retry_delay_s"] == 2  # not given: the default
    channel, stub = await _router(gateway)
    async with channel:
        queue = (await stub.GetQueue(pb.GetQueueRequest(name="sales"))).queue
    assert queue.ring_timeout.seconds == 12 and queue.strategy == pb.STRATEGY_ROUND_ROBIN
    assert dict(queue.required_skills) == {"de": 2} and queue.sticky
    shown = await (await root.get("/api/v1/queues/sales")).json()
    assert shown["rules"] == rules and shown["queue"]["name"] == "sales"
    (updated,) = [e for e in await read_events(redis, tenant) if event_types([e]) == ["QUEUE_UPDATED"]][-1:]
    assert (updated.queue, updated.actor) == ("sales", "root")


async def test_a_queue_is_created_by_its_first_put(gateway, logged_in):
    root = logged_in["root"]
    reply = await _put(root, "/api/v1/queues/billing", {"ring_timeout_s": 7})
    assert reply.status == 200, await reply.text()
    listed = await (await root.get("/api/v1/queues")).json()
    assert "billing" in [q["name"] for q in listed["queues"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ring_timeout_s": -1}, "ring_timeout_s"),
        ({"ring_timeout_s": "5"}, "ring_timeout_s"),
        ({"wrap_up_s": 10**9}, "wrap_up_s"),
        ({"strategy": "random"}, "strategy"),
        ({"sticky": "yes"}, "sticky"),
        ({"required_skills": {"de": 500}}, "required_skills[de]"),
        ({"dialed_numbers": ["+49 30"]}, "dialed_numbers[0]"),
        ({"max_queue_length": 10**7}, "max_queue_length"),
        ({"fallback": "x" * 500}, "fallback"),
        ({"overflow_queue": "nowhere"}, "overflow_queue"),  # the router's rule, renamed
        ({"overflow_queue": "sales"}, "overflow_queue"),
        ({"ring_timeout": 5}, "ring_timeout"),  # unknown: the seconds field is ring_timeout_s
        ({"name": "other"}, "name"),  # the path names the queue
    ],
)
async def test_a_bad_queue_rule_is_a_400_naming_its_field(gateway, logged_in, body, field):
    reply = await _put(logged_in["root"], "/api/v1/queues/sales", body)
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


async def test_a_bad_queue_name_is_a_400_naming_queue(gateway, logged_in):
    reply = await _put(logged_in["root"], "/api/v1/queues/bad%20name", {})
    assert (reply.status, (await reply.json())["field"]) == (400, "queue")


async def test_only_admins_change_queues_and_agents(gateway, logged_in):
    for name in ("sam", "anna"):
        client = logged_in[name]
        assert (await _put(client, "/api/v1/queues/sales", {"ring_timeout_s": 1})).status == 403
        assert (await _put(client, "/api/v1/agents/anna", {"endpoint": "sip:evil@x"})).status == 403
        assert (await client.delete("/api/v1/agents/boris", headers=csrf(client))).status == 403
    channel, stub = await _router(gateway)
    async with channel:
        anna = (await stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent
    assert anna.endpoint == "sip:anna@pbx"


async def test_a_supervisor_reads_the_rules_of_their_own_queues_only(gateway, logged_in):
    sam = logged_in["sam"]
    assert (await sam.get("/api/v1/queues/sales")).status == 200
    assert (await sam.get("/api/v1/queues/support")).status == 404
    assert (await sam.get("/api/v1/queues/nope")).status == 404
    assert (await logged_in["anna"].get("/api/v1/queues/sales")).status == 403
    assert (await logged_in["root"].get("/api/v1/queues/nope")).status == 404


async def test_an_admin_changes_an_agents_profile_and_it_is_recorded_as_theirs(gateway, logged_in, redis, tenant):
    root = logged_in["root"]
    body = {"name": "Anna Kovács", "endpoint": "sip:anna@desk7", "queues": ["sales", "support"],
            "skills": {"de": 3, "hu": 5}, "tier": 2}  # fmt: skip
    reply = await _put(root, "/api/v1/agents/anna", body)
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["agent"]["endpoint"] == "sip:anna@desk7"
    channel, stub = await _router(gateway)
    async with channel:
        anna = (await stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent
    assert (anna.name, anna.endpoint, list(anna.queues), dict(anna.skills), anna.tier) == (
        "Anna Kovács", "sip:anna@desk7", ["sales", "support"], {"de": 3, "hu": 5}, 2
    )  # fmt: skip
    (updated,) = [e for e in await read_events(redis, tenant) if event_types([e]) == ["AGENT_UPDATED"]][-1:]
    assert (updated.agent_id, updated.actor) == ("anna", "root")
    created = await _put(root, "/api/v1/agents/dora", {"name": "Dora", "endpoint": "sip:dora@pbx"})
    assert created.status == 200
    assert (await (await root.get("/api/v1/agents/dora")).json())["agent"]["name"] == "Dora"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A"}, "endpoint"),  # required
        ({"endpoint": "sip:a@b", "tier": 101}, "tier"),
        ({"endpoint": "sip:a@b", "tier": True}, "tier"),
        ({"endpoint": "sip:a@b", "queues": ["nope"]}, "queues[0]"),  # the router's rule, renamed
        ({"endpoint": "sip:a@b", "queues": ["bad name"]}, "queues[0]"),
        ({"endpoint": "sip:a@b", "skills": {"de": -1}}, "skills[de]"),
        ({"endpoint": "x" * 300}, "endpoint"),
        ({"endpoint": "sip:a@b", "name": "tab\there"}, "name"),
        ({"endpoint": "sip:a@b", "id": "other"}, "id"),  # unknown: the path names the agent
    ],
)
async def test_a_bad_agent_field_is_a_400_naming_it(gateway, logged_in, body, field):
    reply = await _put(logged_in["root"], "/api/v1/agents/anna", body)
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


async def test_an_admin_deletes_a_logged_out_agent_and_it_is_recorded_as_theirs(gateway, logged_in, redis, tenant):
    root = logged_in["root"]
    busy = await root.delete("/api/v1/agents/boris", headers=csrf(root))
    assert busy.status == 409  # logged in
    assert (await root.post("/api/v1/agents/boris/logout", headers=csrf(root))).status == 200
    bad = await root.delete("/api/v1/agents/boris?release_clients=maybe", headers=csrf(root))
    assert (bad.status, (await bad.json())["field"]) == (400, "release_clients")
    reply = await root.delete("/api/v1/agents/boris?release_clients=true", headers=csrf(root))
    assert reply.status == 200, await reply.text()
    assert (await root.get("/api/v1/agents/boris")).status == 404
    (deleted,) = [e for e in await read_events(redis, tenant) if event_types([e]) == ["AGENT_DELETED"]]
    assert (deleted.agent_id, deleted.actor) == ("boris", "root")
    assert (await root.delete("/api/v1/agents/boris", headers=csrf(root))).status == 404
