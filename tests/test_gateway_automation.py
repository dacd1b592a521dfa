"""Automation rules (issue 19, S2.6): admins configure "when X, a task for Y" over HTTP; the
gateway's consumer group `automation` evaluates each event once per rule, so a redelivered
event makes no second task; a missed call not called back in time makes a task for the
client's personal manager (on a hand-driven clock), a callback in time makes none; a lead moved
to payment makes a task for its owner. Real router, stats, Redis and HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.clock import ManualClock
from callcenter.core.config import CommonConfig
from callcenter.core.event_stream import append
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.automation import Automation
from callcenter.services.gateway.automation_api import AUTOMATION, AUTOMATION_CONSUMER
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.config import AutomationSettings, GatewayConfig
from callcenter.services.gateway.users import UserStore
from callcenter.services.gateway.web import TASKS
from tests.gateway_fixtures import PASSWORD, logged_in
from tests.gateway_scenes import team_in_router
from tests.helpers import next_event, read_events


@dataclasses.dataclass
class Site:
    app: object
    client: TestClient
    clock: ManualClock
    router_port: int
    stats: object
    clients: list = dataclasses.field(default_factory=list)

    @property
    def consumer(self) -> Automation:
        return self.app[AUTOMATION_CONSUMER]

    async def login(self, username: str) -> TestClient:
        client = await logged_in(self.client.server, username)
        self.clients.append(client)
        return client

    async def rules(self, *rules: dict) -> None:
        root = await self.login("root")
        reply = await root.put(
            "/api/v1/automation/rules", json={"rules": list(rules)}, headers={"X-CSRF-Token": root.csrf}
        )
        assert reply.status == 200, await reply.text()

    async def evaluate(self) -> int:
        """The stats catch up, then the automation consumer evaluates everything written so far."""
        await self.stats.consumer.drain()
        return await self.consumer.drain()

    async def tasks_of(self, username: str) -> list[dict]:
        client = await self.login(username)
        reply = await client.get("/api/v1/tasks")
        assert reply.status == 200, await reply.text()
        return (await reply.json())["tasks"]


@pytest.fixture
async def site(redis, redis_url, tenant, start_replica, quiet_stats):
    """A router, a stats service applying the stream when told, and a gateway whose task timer
    and automation consumer run on a hand-driven clock, the consumer only when the test says."""
    router = await start_replica()
    config = GatewayConfig(
        common=CommonConfig(redis_url=redis_url, tenant=tenant),
        port=0,
        router_addr=f"127.0.0.1:{router.port}",
        stats_addr=f"127.0.0.1:{quiet_stats.port}",
        automation=AutomationSettings(consume=False, claim_idle_ms=0),
    )
    clock = ManualClock(int(time.time() * 1000))
    backends = Backends(config.router_addr, config.stats_addr, config.recorder_addr, config.rpc_timeout_s)
    app = create_app(config, redis, backends, task_clock=clock)
    client = TestClient(TestServer(app))
    await client.start_server()
    users = UserStore(redis, tenant)
    await users.create("root", PASSWORD, "admin")
    await users.create("sam", PASSWORD, "supervisor", teams=("sales",))
    for agent in ("anna", "boris"):
        await users.create(agent, PASSWORD, "agent", agent_id=agent)
    await team_in_router(router.port)
    await app[AUTOMATION_CONSUMER].ensure_group()  # as the replica's worker does at start
    s = Site(app=app, client=client, clock=clock, router_port=router.port, stats=quiet_stats)
    yield s
    for c in s.clients:
        await c.close()
    await client.close()


MISSED = {"id": "callback", "kind": "missed_call_not_called_back", "title": "Call {number} back", "within_minutes": 1}
PAYMENT = {
    "id": "pay",
    "kind": "lead_stage",
    "stage": "payment",
    "title": "Invoice lead {lead_id}",
    "due_in_minutes": 60,
}


async def missed_call(router_port: int, call_id: str, caller: str) -> None:
    """The call rings (the client's manager first) and the caller hangs up before anyone answers."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller=caller, queue="sales"))
        await stub.HangupCall(pb.HangupCallRequest(call_id=call_id))


async def answered_call(router_port: int, call_id: str, caller: str) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        call = (await stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller=caller, queue="sales"))).call
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(
                call_id=call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
            )
        )
        await stub.HangupCall(pb.HangupCallRequest(call_id=call_id))


async def client_of(router_port: int, number: str, manager: str) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.UpsertClient(
            pb.UpsertClientRequest(client=pb.Client(number=number, name="Client", manager_id=manager))
        )


async def lead_to_payment(redis, tenant: str, lead_id: str, owner: str) -> None:
    now = int(time.time() * 1000)
    await append(redis, tenant, "lead_created", now, lead_id=lead_id, lead_stage="lead", agent_id=owner)
    await append(redis, tenant, "lead_stage_changed", now + 1, lead_id=lead_id, lead_stage="payment")


async def fired(redis, tenant: str) -> list:
    return [e for e in await read_events(redis, tenant) if e.rule_id]


async def test_an_automation_rule_creates_exactly_one_task_per_event_under_duplicate_delivery(site, redis, tenant):
    await site.rules(PAYMENT)
    await lead_to_payment(redis, tenant, "L1", "anna")
    await site.stats.consumer.drain()
    dying = site.consumer
    delivered = await dying.read_new()  # this member reads the events, then dies before XACK
    assert delivered
    other = Automation(redis, site.app[AUTOMATION], site.app[AUTOMATION_CONSUMER].backends, name="other")
    assert await other.drain() >= len(delivered)  # takes them over (XAUTOCLAIM) and evaluates them
    await dying.handle(delivered)  # the dead member's late work, and a plain redelivery, change nothing
    await other.handle(delivered)
    restarted = Automation(redis, site.app[AUTOMATION], site.app[AUTOMATION_CONSUMER].backends, name="restarted")
    await restarted.drain()

    tasks = await site.tasks_of("anna")
    assert [(t["title"], t["subject_kind"], t["subject_id"]) for t in tasks] == [("Invoice lead L1", "lead", "L1")]
    events = await fired(redis, tenant)
    assert [(e.rule_id, e.task_id, e.agent_id) for e in events] == [("pay", tasks[0]["id"], "anna")]
    assert other.fired == 1 and dying.fired == 0


async def test_a_lead_moved_to_payment_makes_a_task_for_its_owner(site, redis, tenant):
    await site.rules(PAYMENT, {**PAYMENT, "id": "other-stage", "stage": "fulfilled"})
    await lead_to_payment(redis, tenant, "L7", "boris")
    await site.evaluate()

    (task,) = await site.tasks_of("boris")
    assert task["title"] == "Invoice lead L7" and task["created_by"] == "automation"
    assert task["due_ms"] == task["created_ms"] + 60 * 60_000  # due_in_minutes
    assert await site.tasks_of("anna") == []


async def test_a_missed_call_not_called_back_in_n_minutes_makes_a_task_for_the_personal_manager(site, redis, tenant):
    await site.rules(MISSED)
    await client_of(site.router_port, "+4930111", "boris")
    await missed_call(site.router_port, "c1", "+4930111")
    await site.evaluate()
    site.clock.advance(59)
    await site.app[TASKS].fire()
    assert await site.tasks_of("boris") == []  # still within the minute

    site.clock.advance(2)
    assert (await site.app[TASKS].fire())["fired"] == 1
    (task,) = await site.tasks_of("boris")
    assert (task["title"], task["subject_kind"], task["subject_id"]) == ("Call +4930111 back", "client", "+4930111")
    assert [(e.rule_id, e.agent_id, e.attributes["kind"]) for e in await fired(redis, tenant)] == [
        ("callback", "boris", "missed_call_not_called_back")
    ]
    await site.consumer.handle([(i, f) for i, f in await redis.xrange(f"cc:{{{tenant}}}:events")])  # again
    site.clock.advance(120)
    await site.app[TASKS].fire()
    assert len(await site.tasks_of("boris")) == 1


async def test_a_missed_call_of_a_client_without_a_manager_makes_a_task_for_the_queues_team(site, redis, tenant):
    await site.rules(MISSED)
    await missed_call(site.router_port, "c1", "+4930222")
    await site.evaluate()
    site.clock.advance(61)
    await site.app[TASKS].fire()
    (task,) = await site.tasks_of("sam")
    assert (task["queue"], task["agent_id"], task["title"]) == ("sales", "", "Call +4930222 back")


async def test_a_callback_in_time_makes_no_task(site, redis, tenant):
    await site.rules(MISSED)
    await client_of(site.router_port, "+4930333", "boris")
    await missed_call(site.router_port, "c1", "+4930333")
    await site.evaluate()
    await answered_call(site.router_port, "c2", "+4930333")  # the client called again and was answered
    await site.evaluate()
    site.clock.advance(3600)
    assert (await site.app[TASKS].fire())["fired"] == 0
    assert await site.tasks_of("boris") == []
    assert await fired(redis, tenant) == []
    keys = site.app[TASKS].keys
    assert await redis.scard(keys.automation_number("+4930333")) == 0


async def test_an_outbound_call_to_the_number_in_time_makes_no_task(site, redis, tenant):
    await site.rules(MISSED)
    await missed_call(site.router_port, "c1", "+4930444")
    await site.evaluate()
    later = int(time.time() * 1000) + 1000
    await append(
        redis, tenant, "call_answered", later, call_id="o1", attributes={"direction": "outbound", "callee": "+4930444"}
    )
    await site.evaluate()
    site.clock.advance(3600)
    assert (await site.app[TASKS].fire())["fired"] == 0


async def test_the_routers_own_call_back_to_the_number_makes_no_task_and_its_no_answer_is_no_missed_call(
    site, redis, tenant
):
    await site.rules(MISSED)
    await missed_call(site.router_port, "c1", "+4930555")
    await site.evaluate()
    later = int(time.time() * 1000) + 1000
    outbound = {"call_id": "o1", "caller": "+4930555", "queue": "sales", "direction": "outbound"}
    await append(redis, tenant, "call_dialing", later, **outbound)
    await append(redis, tenant, "call_timed_out", later + 1, **outbound)  # never a missed call
    await site.evaluate()
    site.clock.advance(3600)
    assert (await site.app[TASKS].fire())["fired"] == 0
    assert await fired(redis, tenant) == []


async def test_the_rules_round_trip_and_their_change_is_an_event_with_its_actor(site, redis, tenant):
    await site.rules(MISSED, PAYMENT)
    root = await site.login("root")
    reply = await root.get("/api/v1/automation/rules")
    rules = (await reply.json())["rules"]
    assert [r["id"] for r in rules] == ["callback", "pay"]
    assert rules[0] == {**MISSED, "queue": "", "due_in_minutes": 0, "enabled": True}
    (event,) = [e for e in await read_events(redis, tenant) if e.type == 131]
    assert event.actor == "root" and event.attributes["rules"] == "2"


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([{**MISSED, "colour": "red"}], "rules[0].colour"),
        ([{**MISSED, "stage": "payment"}], "rules[0].stage"),  # a field of another kind
        ([{**MISSED, "within_minutes": 0}], "rules[0].within_minutes"),
        ([{**MISSED, "within_minutes": 10_081}], "rules[0].within_minutes"),
        ([{**MISSED, "kind": "sometimes"}], "rules[0].kind"),
        ([MISSED, {**PAYMENT, "id": "callback"}], "rules[1].id"),
        ([{**PAYMENT, "title": "Lead {owner}"}], "rules[0].title"),
        ([{**PAYMENT, "title": ""}], "rules[0].title"),
        ([{**PAYMENT, "id": "a b"}], "rules[0].id"),
        ([{**PAYMENT, "due_in_minutes": -1}], "rules[0].due_in_minutes"),
        ([{**PAYMENT, "enabled": "yes"}], "rules[0].enabled"),
        ([{"id": "r", "kind": "improper_refusal", "title": "Refused {lead_id}"}], "rules[0].team"),
        ([{**PAYMENT, "stage": "closed"}], "rules[0].stage"),  # no stage of the pipeline
        ([{"id": "r", "kind": "improper_refusal", "title": "Refused", "team": "team:"}], "rules[0].team"),
        ([{"id": "r", "kind": "improper_refusal", "title": "Refused", "team": "team:a b"}], "rules[0].team"),
        ([{**PAYMENT, "id": f"r{i}"} for i in range(101)], "rules"),
        ("callback", "rules"),
    ],
)
async def test_bad_rules_are_refused_naming_the_field(site, rules, field):
    root = await site.login("root")
    reply = await root.put("/api/v1/automation/rules", json={"rules": rules}, headers={"X-CSRF-Token": root.csrf})
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


async def test_only_admins_see_or_change_the_rules(site):
    for username in ("sam", "anna"):
        client = await site.login(username)
        assert (await client.get("/api/v1/automation/rules")).status == 403
        reply = await client.put("/api/v1/automation/rules", json={"rules": []}, headers={"X-CSRF-Token": client.csrf})
        assert reply.status == 403
    root = await site.login("root")
    reply = await root.put(
        "/api/v1/automation/rules", json={"rules": [], "more": 1}, headers={"X-CSRF-Token": root.csrf}
    )
    assert reply.status == 400 and (await reply.json())["field"] == "more"


REFUSAL = {
    "id": "refusal",
    "kind": "improper_refusal",
    "team": "sales",
    "title": "Check refusal of {lead_id} by {agent_id}",
}


async def test_an_improper_refusal_makes_a_task_for_the_teams_supervisors_once_stats_has_applied_it(
    site, redis, tenant
):
    await site.rules(REFUSAL)
    now = int(time.time() * 1000)
    await append(redis, tenant, "lead_created", now, lead_id="L9", lead_stage="lead", agent_id="anna")
    await append(redis, tenant, "lead_stage_changed", now + 1, lead_id="L9", lead_stage="refused", agent_id="anna")
    entries = await site.consumer.read_new()
    refusal_id = entries[-1][0]
    assert refusal_id not in await site.consumer.handle(entries)  # stats has not applied it yet: stays pending
    await site.stats.consumer.drain()
    assert refusal_id in await site.consumer.handle(entries)

    (task,) = await site.tasks_of("sam")  # a task of the team sales: its supervisor sees it
    assert (task["queue"], task["title"]) == ("sales", "Check refusal of L9 by anna")


async def test_an_improper_refusal_may_go_to_a_router_team(site, redis, tenant):
    root = await site.login("root")
    rule = {**REFUSAL, "team": "team:north"}
    reply = await root.put("/api/v1/automation/rules", json={"rules": [rule]}, headers={"X-CSRF-Token": root.csrf})
    assert reply.status == 200, await reply.text()
    now = int(time.time() * 1000)
    await append(redis, tenant, "lead_created", now, lead_id="L11", lead_stage="lead", agent_id="anna")
    await append(redis, tenant, "lead_stage_changed", now + 1, lead_id="L11", lead_stage="refused", agent_id="anna")
    await site.stats.consumer.drain()
    await site.evaluate()
    [event] = await fired(redis, tenant)
    assert event.queue == "team:north"  # the router team's members and supervisors see it


async def test_a_proper_refusal_makes_no_task(site, redis, tenant):
    await site.rules(REFUSAL)
    now = int(time.time() * 1000)
    await append(redis, tenant, "lead_created", now, lead_id="L10", lead_stage="lead", agent_id="anna")
    for i in range(
        15
    ):  # the stats' minimum of call attempts before a refusal (CALLCENTER_STATS_MIN_CONTACTS_BEFORE_REFUSAL)
        await append(redis, tenant, "call_received", now + 1 + i, call_id=f"a{i}", lead_id="L10", queue="sales")
    await append(redis, tenant, "lead_stage_changed", now + 100, lead_id="L10", lead_stage="refused", agent_id="anna")
    await site.evaluate()
    assert await site.tasks_of("sam") == [] and await fired(redis, tenant) == []


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_every_gateway_replica_evaluates_the_rules_as_events_come(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    """The consumer as it runs in production: the replica's worker, no test driving it."""
    await gateway.users.create("root", PASSWORD, "admin")
    root = await gateway.login("root")
    reply = await root.put("/api/v1/automation/rules", json={"rules": [PAYMENT]}, headers={"X-CSRF-Token": root.csrf})
    assert reply.status == 200, await reply.text()
    now = int(time.time() * 1000)
    await append(redis, tenant, "lead_created", now, lead_id="L3", lead_stage="lead", agent_id="anna")
    await quiet_stats.consumer.drain()  # the stats know the owner
    moved = await append(redis, tenant, "lead_stage_changed", now + 1, lead_id="L3", lead_stage="payment")
    async with asyncio.timeout(10):
        _, event = await next_event(redis, tenant, lambda e: e.rule_id == "pay", after=moved)
    assert event.agent_id == "anna" and event.attributes["event_id"] == moved


async def test_a_number_missed_twice_before_its_callback_makes_one_task(site, redis, tenant):
    await site.rules(MISSED)
    await client_of(site.router_port, "+4930555", "boris")
    await missed_call(site.router_port, "c1", "+4930555")
    await missed_call(site.router_port, "c2", "+4930555")
    await site.evaluate()
    site.clock.advance(61)
    assert (await site.app[TASKS].fire())["fired"] == 1
    assert len(await site.tasks_of("boris")) == 1


async def test_a_follow_up_of_a_rule_disabled_meanwhile_makes_no_task(site, redis, tenant):
    await site.rules(MISSED)
    await missed_call(site.router_port, "c1", "+4930666")
    await site.evaluate()
    await site.rules({**MISSED, "enabled": False})
    site.clock.advance(61)
    await site.app[TASKS].fire()
    assert await site.tasks_of("sam") == [] and await fired(redis, tenant) == []
