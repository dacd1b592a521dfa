"""CRM events in through the gateway (docs/crm.md, "Events in"): an admin posts the CRM's
changes to POST /api/v1/crm/events, which the webhooks service applies once each to the router
and the stats service. Real router, stats, webhooks and gateway over HTTP and gRPC."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.core.event_stream import decode, stream_key
from callcenter.services.webhooks.config import CrmInSettings
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team

INVOICE = {"invoice_id": "INV-1", "agent_id": "anna", "amount_minor": 2_000, "currency": "EUR"}
PAYMENT = {"payment_id": "PAY-1", "invoice_id": "INV-1", "amount_minor": 2_000, "paid_at": "2026-03-02T10:00:00Z"}


@pytest.fixture
async def full_backends(start_replica, start_stats, start_webhooks):
    router, stats = await start_replica(), await start_stats()
    webhooks = await start_webhooks(
        crm=CrmInSettings(router_addr=f"127.0.0.1:{router.port}", stats_addr=f"127.0.0.1:{stats.port}")
    )
    return {"stats_addr": f"127.0.0.1:{stats.port}", "webhooks_addr": f"127.0.0.1:{webhooks.port}"}


async def post(client, body, expect: int = 200):
    reply = await client.post("/api/v1/crm/events", json=body, headers=csrf(client))
    assert reply.status == expect, await reply.text()
    return await reply.json()


async def test_an_admin_posts_crm_events_and_a_repeat_is_a_duplicate(full_backends, gateway, redis, tenant):
    await setup_team(gateway)
    root = await gateway.login("root")
    client = {"number": "+491701", "name": "Acme", "personal_manager_agent_id": "anna"}
    body = {
        "events": [
            {"source": "amocrm", "event_id": "e1", "client": client},
            {"source": "amocrm", "event_id": "e2", "invoice": INVOICE},
            {"source": "amocrm", "event_id": "e3", "payment": PAYMENT},
        ]
    }
    first = await post(root, body)
    assert [r["outcome"] for r in first["results"]] == ["accepted"] * 3
    again = await post(root, body)
    assert [(r["event_id"], r["outcome"]) for r in again["results"]] == [
        ("e1", "duplicate"),
        ("e2", "duplicate"),
        ("e3", "duplicate"),
    ]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        found = await router_pb2_grpc.RouterServiceStub(channel).GetClient(
            router_pb2.GetClientRequest(number="+491701")
        )
    assert found.client.manager_id == "anna"
    events = [decode(i, f) for i, f in await redis.xrange(stream_key(tenant))]
    paid = [e for e in events if e.type == events_pb2.EVENT_TYPE_INVOICE_PAID]
    assert [e.invoice_id for e in paid] == ["INV-1"]
    applied = [e for e in events if e.type == events_pb2.EVENT_TYPE_CRM_EVENT_APPLIED]
    assert [(e.crm_event_id, e.actor) for e in applied] == [("e1", "root"), ("e2", "root"), ("e3", "root")]

    other = await post(
        root, {"events": [{"source": "amocrm", "event_id": "e2", "invoice": {**INVOICE, "amount_minor": 9}}]}
    )
    assert other["results"] == [
        {"event_id": "e2", "outcome": "refused", "field": "events[0].event_id", "reason": other["results"][0]["reason"],
         "code": "ALREADY_EXISTS"}
    ]  # fmt: skip


async def test_a_refused_event_names_its_json_field(full_backends, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    body = {
        "events": [
            {"source": "amocrm", "event_id": "e1", "invoice": {**INVOICE, "amount_minor": 0}},
            {"source": "amocrm", "event_id": "e2", "lead": {"lead_id": "L-1", "stage": "won"}},
            {"source": "amocrm", "event_id": "e3", "payment": {**PAYMENT, "invoice_id": "INV-404"}},
        ]
    }
    results = (await post(root, body))["results"]
    assert [(r["outcome"], r["field"], r["code"]) for r in results] == [
        ("refused", "events[0].invoice.amount_minor", "INVALID_ARGUMENT"),
        ("refused", "events[1].lead.stage", "INVALID_ARGUMENT"),
        ("refused", "", "NOT_FOUND"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": [], "extra": 1}, "extra"),
        ({"events": []}, "events"),
        ({"events": [{"source": "a", "event_id": "e"}] * 101}, "events"),
        (
            {"events": [{"source": "a", "event_id": "e", "colour": "red", "client": {"number": "+1"}}]},
            "events[0].colour",
        ),
        (
            {"events": [{"source": "a", "event_id": "e", "client": {"number": "+1", "vip": True}}]},
            "events[0].client.vip",
        ),
        ({"events": [{"source": "a", "event_id": "e"}]}, "events[0]"),
        ({"events": [{"source": "a", "event_id": "e", "client": {}, "lead": {}}]}, "events[0]"),
        ({"events": [{"source": 7, "event_id": "e", "client": {}}]}, "events[0].source"),
        (
            {"events": [{"source": "a", "event_id": "e", "invoice": {"amount_minor": "12"}}]},
            "events[0].invoice.amount_minor",
        ),
        (
            {"events": [{"source": "a", "event_id": "e", "payment": {"paid_at": "yesterday"}}]},
            "events[0].payment.paid_at",
        ),
        ({"events": [{"source": "a", "event_id": "e", "client": {"priority": 2**40}}]}, "events[0].client.priority"),
        ({"events": [{"source": "a", "event_id": "e", "client": {"name": "x" * 300}}]}, "events[0].client.name"),
        ({"events": ["e"]}, "events[0]"),
        ({"events": {"source": "a"}}, "events"),
    ],
)
async def test_a_malformed_body_is_a_400_naming_the_field(full_backends, gateway, body, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    refused = await post(root, body, 400)
    assert refused["field"] == field


async def test_only_admins_post_crm_events(full_backends, gateway):
    await setup_team(gateway)
    for user in ("sam", "anna"):
        client = await gateway.login(user)
        body = {"events": [{"source": "amocrm", "event_id": "e1", "invoice": INVOICE}]}
        await post(client, body, 403)
