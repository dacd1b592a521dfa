"""Events in from a CRM (docs/crm.md, "Events in"): the webhooks service's CrmService applies
each (source, event id) once to a real router and a real stats service (gRPC on loopback, the
test's Redis), and records it with a CRM_EVENT_APPLIED event."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from prometheus_client import REGISTRY

from callcenter.api.crm.v1 import crm_pb2 as pb
from callcenter.api.crm.v1 import crm_pb2_grpc
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc
from callcenter.core.auth import hash_token, new_token
from callcenter.core.event_stream import decode, stream_key
from callcenter.core.grpc_security import GrpcClientCredentials, GrpcServerSecurity
from callcenter.services.webhooks.config import CrmInSettings
from callcenter.services.webhooks.crm_in import digest
from tests.webhooks_fixtures import eventually

ACCEPTED, DUPLICATE, REFUSED = (
    pb.CRM_EVENT_OUTCOME_ACCEPTED,
    pb.CRM_EVENT_OUTCOME_DUPLICATE,
    pb.CRM_EVENT_OUTCOME_REFUSED,
)


@pytest.fixture(name="crm")
async def crm_fixture(start_replica, start_stats, start_webhooks):
    """A CrmService client of a webhooks service applying to a real router and stats service;
    also the router's and the stats service's clients (crm.router, crm.stats)."""
    router = await start_replica()
    stats = await start_stats()
    webhooks = await start_webhooks(
        crm=CrmInSettings(router_addr=f"127.0.0.1:{router.port}", stats_addr=f"127.0.0.1:{stats.port}")
    )
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port in (webhooks.port, router.port, stats.port)]
    stub = crm_pb2_grpc.CrmServiceStub(channels[0])
    stub.router = router_pb2_grpc.RouterServiceStub(channels[1])
    stub.stats = stats_pb2_grpc.StatsServiceStub(channels[2])
    yield stub
    for channel in channels:
        await channel.close()


def invoice(event_id: str, invoice_id: str, amount: int, agent: str = "anna") -> pb.CrmEvent:
    change = pb.InvoiceIssued(invoice_id=invoice_id, agent_id=agent, amount_minor=amount, currency="EUR")
    return pb.CrmEvent(source="amocrm", event_id=event_id, invoice_issued=change)


def payment(event_id: str, payment_id: str, invoice_id: str, amount: int) -> pb.CrmEvent:
    change = pb.PaymentReceived(payment_id=payment_id, invoice_id=invoice_id, amount_minor=amount)
    return pb.CrmEvent(source="amocrm", event_id=event_id, payment_received=change)


async def submit(stub, *events: pb.CrmEvent) -> list[pb.CrmEventResult]:
    reply = await stub.SubmitCrmEvents(pb.SubmitCrmEventsRequest(events=list(events)), timeout=10)
    return list(reply.results)


async def events_of(redis, tenant: str, event_type: int) -> list[events_pb2.Event]:
    entries = await redis.xrange(stream_key(tenant))
    return [e for e in (decode(i, f) for i, f in entries) if e.type == event_type]


async def test_a_crm_payment_pays_the_invoice_once_under_duplicate_delivery(crm, redis, tenant):
    await crm.stats.SetCommissionRules(
        stats_pb2.SetCommissionRulesRequest(rules=[stats_pb2.CommissionRule(percent_bp=500, fixed_minor=100)])
    )

    def counted(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value("callcenter_webhooks_crm_events_total", {"kind": "payment", "outcome": outcome})
            or 0.0
        )

    before = counted("accepted"), counted("duplicate")
    pay = payment("ev-2", "PAY-1", "INV-1", 2_000)
    results = await submit(crm, invoice("ev-1", "INV-1", 2_000), pay, pay)
    assert [r.outcome for r in results] == [ACCEPTED, ACCEPTED, DUPLICATE]
    assert [r.event_id for r in results] == ["ev-1", "ev-2", "ev-2"]
    # delivered again later, alone: still a duplicate, nothing changes
    (again,) = await submit(crm, pay)
    assert (again.outcome, again.code, again.field) == (DUPLICATE, "", "")
    assert (counted("accepted") - before[0], counted("duplicate") - before[1]) == (1, 2)

    paid = await events_of(redis, tenant, events_pb2.EVENT_TYPE_INVOICE_PAID)
    assert [(e.invoice_id, e.agent_id, e.commission_minor) for e in paid] == [("INV-1", "anna", 200)]
    applied = await events_of(redis, tenant, events_pb2.EVENT_TYPE_CRM_EVENT_APPLIED)
    assert [(e.crm_source, e.crm_event_id, e.attributes["kind"]) for e in applied] == [
        ("amocrm", "ev-1", "invoice"),
        ("amocrm", "ev-2", "payment"),
    ]
    assert (applied[1].payment_id, applied[1].invoice_id, applied[1].amount_minor) == ("PAY-1", "INV-1", 2_000)

    async def commission() -> int:
        reply = await crm.stats.GetPayroll(stats_pb2.GetPayrollRequest(agent_ids=["anna"]))
        return sum(row.commission_minor for row in reply.rows)

    assert await eventually(commission) == 200


async def test_a_crm_client_change_sets_the_personal_manager_in_the_router(crm, redis, tenant):
    for agent in ("anna", "boris"):
        profile = router_pb2.Agent(id=agent, endpoint=f"sip:{agent}@pbx")
        await crm.router.UpsertAgent(router_pb2.UpsertAgentRequest(agent=profile))
    change = pb.ClientChanged(number="+491701", name="Acme", priority=2, personal_manager_agent_id="anna")
    (result,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="c-1", client_changed=change))
    assert result.outcome == ACCEPTED
    reply = await crm.router.GetClient(router_pb2.GetClientRequest(number="+491701"))
    assert (reply.client.manager_id, reply.client.name, reply.client.priority) == ("anna", "Acme", 2)
    moved = pb.ClientChanged(number="+491701", name="Acme", personal_manager_agent_id="boris")
    (result,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="c-2", client_changed=moved))
    assert result.outcome == ACCEPTED
    reply = await crm.router.GetClient(router_pb2.GetClientRequest(number="+491701"))
    assert (reply.client.manager_id, reply.client.priority) == ("boris", 0)
    unknown = pb.ClientChanged(number="+491701", personal_manager_agent_id="nobody")
    (result,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="c-3", client_changed=unknown))
    assert (result.outcome, result.code) == (REFUSED, "NOT_FOUND")
    reply = await crm.router.GetClient(router_pb2.GetClientRequest(number="+491701"))
    assert reply.client.manager_id == "boris"
    (applied, _) = await events_of(redis, tenant, events_pb2.EVENT_TYPE_CRM_EVENT_APPLIED)
    assert (applied.crm_event_id, applied.caller, applied.agent_id) == ("c-1", "+491701", "anna")


async def test_a_crm_client_change_carries_the_time_zone_and_the_attributes_segments_select_by(crm):
    change = pb.ClientChanged(number="+491702", time_zone="Europe/Berlin", attributes={"tax_scheme": "usn"})
    (result,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="t-1", client_changed=change))
    assert result.outcome == ACCEPTED
    reply = await crm.router.GetClient(router_pb2.GetClientRequest(number="+491702"))
    assert (reply.client.time_zone, dict(reply.client.attributes)) == ("Europe/Berlin", {"tax_scheme": "usn"})
    bad = pb.ClientChanged(number="+491702", attributes={"Tax Scheme": "usn"})
    (result,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="t-2", client_changed=bad))
    assert (result.outcome, result.code, result.field) == (REFUSED, "INVALID_ARGUMENT", "client_changed.attributes")


async def test_a_crm_lead_change_creates_assigns_and_moves_the_stats_lead(crm):
    lead = pb.LeadChanged(lead_id="L-1", client_number="+491702", owner_agent_id="anna")
    (created,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="l-1", lead_changed=lead))
    assert created.outcome == ACCEPTED

    async def lead_now() -> stats_pb2.Lead | None:
        try:
            return (await crm.stats.GetLead(stats_pb2.GetLeadRequest(lead_id="L-1"))).lead
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            return None

    first = await eventually(lead_now)
    assert (first.agent_id, first.stage, first.client_number) == ("anna", "lead", "+491702")
    moved = pb.LeadChanged(lead_id="L-1", owner_agent_id="boris", stage="in_work")
    (result,) = await submit(crm, pb.CrmEvent(source="amocrm", event_id="l-2", lead_changed=moved))
    assert result.outcome == ACCEPTED

    async def moved_now() -> stats_pb2.Lead | None:
        now = await lead_now()
        return now if now is not None and (now.agent_id, now.stage) == ("boris", "in_work") else None

    assert await eventually(moved_now)


async def test_a_repeat_with_other_content_is_refused(crm, redis, tenant):
    (first,) = await submit(crm, invoice("ev-1", "INV-1", 2_000))
    assert first.outcome == ACCEPTED
    results = await submit(crm, invoice("ev-1", "INV-1", 3_000), invoice("ev-1", "INV-1", 2_000))
    assert [(r.outcome, r.code, r.field) for r in results] == [
        (REFUSED, "ALREADY_EXISTS", "event_id"),
        (DUPLICATE, "", ""),
    ]
    # the same event id from another CRM is another event
    other = invoice("ev-1", "INV-2", 3_000)
    other.source = "bitrix"
    (result,) = await submit(crm, other)
    assert result.outcome == ACCEPTED
    applied = await events_of(redis, tenant, events_pb2.EVENT_TYPE_CRM_EVENT_APPLIED)
    assert [(e.crm_source, e.invoice_id, e.amount_minor) for e in applied] == [
        ("amocrm", "INV-1", 2_000),
        ("bitrix", "INV-2", 3_000),
    ]


async def test_a_bad_event_is_refused_naming_its_field_and_the_others_are_applied(crm):
    bad_source = invoice("ev-1", "INV-1", 2_000)
    bad_source.source = "amo crm"
    no_change = pb.CrmEvent(source="amocrm", event_id="ev-2")
    bad_stage = pb.CrmEvent(source="amocrm", event_id="ev-3", lead_changed=pb.LeadChanged(lead_id="L", stage="won"))
    bad_amount = invoice("ev-4", "INV-4", 0)
    no_number = pb.CrmEvent(source="amocrm", event_id="ev-5", client_changed=pb.ClientChanged(name="x"))
    results = await submit(
        crm,
        bad_source,
        no_change,
        bad_stage,
        bad_amount,
        pb.CrmEvent(source="amocrm", event_id="has space", client_changed=pb.ClientChanged(number="+1")),
        no_number,
        invoice("ev-6", "INV-6", 500),
    )
    assert [(r.outcome, r.code, r.field) for r in results] == [
        (REFUSED, "INVALID_ARGUMENT", "source"),
        (REFUSED, "INVALID_ARGUMENT", "change"),
        (REFUSED, "INVALID_ARGUMENT", "lead_changed.stage"),
        (REFUSED, "INVALID_ARGUMENT", "invoice_issued.amount_minor"),
        (REFUSED, "INVALID_ARGUMENT", "event_id"),
        (REFUSED, "INVALID_ARGUMENT", "client_changed.number"),
        (ACCEPTED, "", ""),
    ]
    assert all(r.reason for r in results[:-1])


async def test_a_refused_event_is_not_remembered_and_applies_once_it_can(crm):
    pay = payment("ev-2", "PAY-1", "INV-1", 2_000)
    (early,) = await submit(crm, pay)
    assert (early.outcome, early.code) == (REFUSED, "NOT_FOUND")
    results = await submit(crm, invoice("ev-1", "INV-1", 2_000), pay)
    assert [r.outcome for r in results] == [ACCEPTED, ACCEPTED]


@pytest.mark.parametrize("count", [0, 101])
async def test_a_request_of_no_or_over_100_events_is_refused_naming_events(crm, count):
    events = [invoice(f"ev-{i}", f"INV-{i}", 100) for i in range(count)]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await submit(crm, *events)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith("events:")


async def test_concurrent_deliveries_of_one_event_apply_it_once(crm, redis, tenant):
    await submit(crm, invoice("ev-1", "INV-1", 2_000))
    pay = payment("ev-2", "PAY-1", "INV-1", 2_000)
    outcomes = await asyncio.gather(*(submit(crm, pay) for _ in range(5)))
    kinds = sorted(pb.CrmEventOutcome.Name(r.outcome) for (r,) in outcomes)
    assert kinds.count("CRM_EVENT_OUTCOME_ACCEPTED") == 1
    assert set(kinds) <= {"CRM_EVENT_OUTCOME_ACCEPTED", "CRM_EVENT_OUTCOME_DUPLICATE", "CRM_EVENT_OUTCOME_REFUSED"}
    assert len(await events_of(redis, tenant, events_pb2.EVENT_TYPE_INVOICE_PAID)) == 1


async def test_with_credentials_the_crm_submits_and_the_webhooks_service_applies_with_its_own_token(
    start_replica, start_stats, start_webhooks, redis, tenant, tmp_path
):
    tokens = {"amocrm": new_token(), "webhooks": new_token(), "kamailio": new_token()}
    roles = {"amocrm": "crm", "webhooks": "crm", "kamailio": "pbx"}
    callers = tmp_path / "callers"
    callers.write_text("".join(f"{name} {roles[name]} {hash_token(t)}\n" for name, t in tokens.items()))
    token_file = tmp_path / "webhooks.token"
    token_file.write_text(tokens["webhooks"])
    security = GrpcServerSecurity(callers_file=callers)
    router, stats = await start_replica(grpc=security), await start_stats(grpc=security)
    webhooks = await start_webhooks(
        grpc=security,
        client=GrpcClientCredentials(token_file=token_file),
        crm=CrmInSettings(router_addr=f"127.0.0.1:{router.port}", stats_addr=f"127.0.0.1:{stats.port}"),
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{webhooks.port}") as channel:
        stub = crm_pb2_grpc.CrmServiceStub(channel)
        request = pb.SubmitCrmEventsRequest(events=[invoice("ev-1", "INV-1", 2_000)])
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SubmitCrmEvents(request, metadata=(("authorization", f"Bearer {tokens['kamailio']}"),))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        reply = await stub.SubmitCrmEvents(request, metadata=(("authorization", f"Bearer {tokens['amocrm']}"),))
    assert [r.outcome for r in reply.results] == [ACCEPTED]
    events = [decode(i, f) for i, f in await redis.xrange(stream_key(tenant))]
    (reported,) = [e for e in events if e.type == events_pb2.EVENT_TYPE_INVOICE_REPORTED]
    assert (reported.actor, reported.actor_via) == ("amocrm", "webhooks")
    (applied,) = [e for e in events if e.type == events_pb2.EVENT_TYPE_CRM_EVENT_APPLIED]
    assert (applied.actor, applied.actor_via, applied.crm_event_id) == ("amocrm", "", "ev-1")


async def test_an_event_whose_applier_died_is_applied_by_a_repeat_once_its_lease_is_over(
    start_replica, start_stats, start_webhooks, redis, tenant
):
    router, stats = await start_replica(), await start_stats()
    settings = CrmInSettings(
        router_addr=f"127.0.0.1:{router.port}", stats_addr=f"127.0.0.1:{stats.port}", rpc_timeout_s=1, lease_ms=3_000
    )
    webhooks = await start_webhooks(crm=settings)
    event = invoice("ev-1", "INV-1", 2_000)
    # a replica claimed it and died before applying it
    claim = await webhooks.crm_in.scripts.crm_claim(
        keys=[webhooks.crm_in.keys.tenant_prefix], args=["amocrm", "ev-1", digest(event), "dead", 3_000, 3_600]
    )
    assert claim == ["apply"]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{webhooks.port}") as channel:
        stub = crm_pb2_grpc.CrmServiceStub(channel)
        (meanwhile,) = await submit(stub, event)
        assert (meanwhile.outcome, meanwhile.code, meanwhile.field) == (REFUSED, "UNAVAILABLE", "event_id")

        async def retried() -> pb.CrmEventResult | None:
            (result,) = await submit(stub, event)
            return result if result.outcome != REFUSED else None

        result = await eventually(retried, timeout_s=10, every_s=0.2)
        assert result.outcome == ACCEPTED
        (again,) = await submit(stub, event)
        assert again.outcome == DUPLICATE
    applied = await events_of(redis, tenant, events_pb2.EVENT_TYPE_CRM_EVENT_APPLIED)
    assert [e.crm_event_id for e in applied] == ["ev-1"]
