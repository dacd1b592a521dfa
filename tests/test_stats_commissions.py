"""Invoices and payments reported by the CRM, commissions, pay rules and the payroll (S2.1,
S1.4), over a real stats service (gRPC on loopback, its consumer applying the real stream)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.core.event_stream import stream_key, timestamp_ms
from callcenter.services.stats.keys import StatsKeys
from tests.helpers import next_event
from tests.stats_fixtures import utc_ms

DAY = pb.Period(time_zone="UTC", day="2026-03-02")
PAID = events_pb2.EVENT_TYPE_INVOICE_PAID


def at(text: str):
    return timestamp_ms(utc_ms(text))


async def applied(redis, tenant: str, entry_id: str) -> None:
    """Returns once the stats consumer has applied the entry (its id in the applied set)."""
    key = StatsKeys(tenant).applied
    async with asyncio.timeout(5):
        while await redis.zscore(key, entry_id) is None:
            await asyncio.sleep(0.01)


async def paid_event(redis, tenant: str, invoice_id: str, after: str = "0-0") -> tuple[str, events_pb2.Event]:
    async with asyncio.timeout(5):
        return await next_event(redis, tenant, lambda e: e.type == PAID and e.invoice_id == invoice_id, after)


async def invoice(stub, invoice_id: str, amount: int, agent: str = "anna", **fields) -> pb.ReportInvoiceResponse:
    return await stub.ReportInvoice(
        pb.ReportInvoiceRequest(
            invoice_id=invoice_id,
            agent_id=agent,
            amount_minor=amount,
            currency=fields.pop("currency", "EUR"),
            issued_at=at("2026-03-02 09:00"),
            **fields,
        )  # fmt: skip
    )


async def pay(stub, payment_id: str, invoice_id: str, amount: int, when: str = "2026-03-02 10:00"):
    return await stub.ReportPayment(
        pb.ReportPaymentRequest(payment_id=payment_id, invoice_id=invoice_id, amount_minor=amount, paid_at=at(when))
    )


async def payroll(stub, *agents: str) -> pb.GetPayrollResponse:
    return await stub.GetPayroll(pb.GetPayrollRequest(period=DAY, agent_ids=list(agents)))


async def rules(stub, *rules: pb.CommissionRule) -> None:
    await stub.SetCommissionRules(pb.SetCommissionRulesRequest(rules=list(rules), actor="boss"))


async def test_commission_for_5_percent_plus_100_on_a_paid_2000_invoice_is_200(stats_stub, redis, tenant):
    await rules(stats_stub, pb.CommissionRule(percent_bp=500, fixed_minor=100))
    assert (await invoice(stats_stub, "INV-1", 2_000)).event_id
    outcome = await pay(stats_stub, "PAY-1", "INV-1", 2_000)
    assert (outcome.invoice_paid, outcome.paid_minor, outcome.commission_minor) == (True, 2_000, 200)
    entry_id, event = await paid_event(redis, tenant, "INV-1")
    assert (event.agent_id, event.amount_minor, event.currency, event.commission_minor) == ("anna", 2_000, "EUR", 200)
    await applied(redis, tenant, entry_id)
    (row,) = (await payroll(stats_stub, "anna")).rows
    assert (row.paid_invoices, row.paid_amount_minor, row.commission_minor, row.total_minor) == (1, 2_000, 200, 200)


async def test_a_product_rule_wins_over_the_queue_rule(stats_stub, redis, tenant):
    await rules(
        stats_stub,
        pb.CommissionRule(queue="sales", percent_bp=1_000),
        pb.CommissionRule(product="gold", percent_bp=2_000),
        pb.CommissionRule(percent_bp=100),
    )
    await invoice(stats_stub, "INV-G", 10_000, queue="sales", product="gold")
    await invoice(stats_stub, "INV-Q", 10_000, queue="sales", product="silver")
    await invoice(stats_stub, "INV-D", 10_000, queue="service")
    commissions = [(await pay(stats_stub, f"P-{i}", i, 10_000)).commission_minor for i in ("INV-G", "INV-Q", "INV-D")]
    assert commissions == [2_000, 1_000, 100]  # product, then queue, then the default
    got = await stats_stub.GetCommissionRules(pb.GetCommissionRulesRequest())
    assert [(r.product, r.queue, r.percent_bp) for r in got.rules] == [
        ("", "sales", 1_000),
        ("gold", "", 2_000),
        ("", "", 100),
    ]


async def test_an_invoice_paid_in_two_payments_pays_commission_once(stats_stub, redis, tenant):
    await rules(stats_stub, pb.CommissionRule(percent_bp=500, fixed_minor=100))
    await invoice(stats_stub, "INV-2", 2_000)
    first = await pay(stats_stub, "PAY-2a", "INV-2", 1_500, "2026-03-02 10:00")
    assert (first.invoice_paid, first.paid_minor, first.commission_minor) == (False, 1_500, 0)
    second = await pay(stats_stub, "PAY-2b", "INV-2", 500, "2026-03-02 11:00")
    assert (second.invoice_paid, second.paid_minor, second.commission_minor) == (True, 2_000, 200)
    late = await pay(stats_stub, "PAY-2c", "INV-2", 300, "2026-03-02 12:00")  # an overpayment: paid already
    assert (late.invoice_paid, late.paid_minor, late.commission_minor) == (True, 2_300, 200)
    entry_id, event = await paid_event(redis, tenant, "INV-2")
    assert event.time.ToMilliseconds() == utc_ms("2026-03-02 11:00")  # paid by the second payment
    await applied(redis, tenant, late.event_id)
    stream = await redis.xrange(stream_key(tenant))
    assert [f["type"] for _, f in stream if f.get("invoice_id") == "INV-2"].count("invoice_paid") == 1
    (row,) = (await payroll(stats_stub, "anna")).rows
    assert (row.paid_invoices, row.paid_amount_minor, row.commission_minor) == (1, 2_000, 200)


async def test_a_redelivered_payment_event_pays_nothing_twice(stats_stub, redis, tenant, make_consumer):
    await rules(stats_stub, pb.CommissionRule(fixed_minor=700))
    await invoice(stats_stub, "INV-3", 5_000)
    done = await pay(stats_stub, "PAY-3", "INV-3", 5_000)
    again = await pay(stats_stub, "PAY-3", "INV-3", 5_000)  # the CRM reports it once more
    assert (again.duplicate, again.event_id, again.invoice_paid, again.commission_minor) == (True, "", True, 700)
    entry_id, _ = await paid_event(redis, tenant, "INV-3")
    await applied(redis, tenant, entry_id)
    # the payment's and the paid invoice's entries delivered again, to another consumer
    entries = [(i, f) for i, f in await redis.xrange(stream_key(tenant)) if i in (done.event_id, entry_id)]
    consumer = make_consumer("redelivery")
    assert len(await consumer.apply(entries)) == 2
    assert (consumer.applied, consumer.duplicates) == (0, 2)
    (row,) = (await payroll(stats_stub, "anna")).rows
    assert (row.paid_invoices, row.commission_minor) == (1, 700)


async def test_the_same_invoice_id_with_another_amount_is_refused(stats_stub):
    first = await invoice(stats_stub, "INV-4", 2_000)
    repeat = await invoice(stats_stub, "INV-4", 2_000)
    assert (first.duplicate, repeat.duplicate, repeat.event_id) == (False, True, "")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await invoice(stats_stub, "INV-4", 2_500)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "invoice_id" in refused.value.details()
    await pay(stats_stub, "PAY-4", "INV-4", 100)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await pay(stats_stub, "PAY-4", "INV-4", 200)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "payment_id" in refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await pay(stats_stub, "PAY-5", "INV-none", 200)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("field", "request_fields"),
    [
        ("amount_minor", {"amount_minor": 0}),
        ("amount_minor", {"amount_minor": 10**12 + 1}),
        ("currency", {"currency": "eur"}),
        ("invoice_id", {"invoice_id": "has space"}),
        ("issued_at", {"issued_at": timestamp_ms(utc_ms("2200-01-01 00:00"))}),
        ("agent_id", {"agent_id": ""}),
    ],
)
async def test_bad_invoices_are_refused_naming_the_field(stats_stub, field, request_fields):
    request = {"invoice_id": "INV-X", "agent_id": "anna", "amount_minor": 100, "currency": "EUR", **request_fields}
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stats_stub.ReportInvoice(pb.ReportInvoiceRequest(**request))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details()


async def test_an_invoice_of_a_lead_is_credited_to_its_owner(stats_stub, redis, tenant):
    created = await stats_stub.CreateLead(
        pb.CreateLeadRequest(lead_id="L-1", agent_id="boris", client_number="+4930111")
    )
    await applied(redis, tenant, created.event_id)
    await invoice(stats_stub, "INV-L", 1_000, agent="", lead_id="L-1")
    _, event = await next_event(redis, tenant, lambda e: e.type == events_pb2.EVENT_TYPE_INVOICE_REPORTED)
    assert (event.agent_id, event.lead_id, event.amount_minor) == ("boris", "L-1", 1_000)
    lead = (await stats_stub.GetLead(pb.GetLeadRequest(lead_id="L-1"))).lead
    assert lead.client_number == "+4930111"
    listed = await stats_stub.ListLeads(pb.ListLeadsRequest(client_number="+4930111"))
    assert [x.lead_id for x in listed.leads] == ["L-1"]
    assert not (await stats_stub.ListLeads(pb.ListLeadsRequest(client_number="+4930999"))).leads


async def test_payroll_totals_are_commission_plus_bonus_minus_penalty_by_the_teams_pay_rules(
    stats_stub, redis, tenant, script
):
    # the router's team (TEAM_UPDATED) and a day of anna's calls: 2 answered, 1 missed
    await script.at("2026-03-02 08:00").emit("TEAM_UPDATED", team_id="north", member_agent_ids="anna,boris")
    await script.login("anna", ["sales"])
    await script.answered_call("c1", "sales", "anna", ring_s=2, talk_s=60)
    await script.answered_call("c2", "sales", "anna", ring_s=2, talk_s=60)
    await script.receive("c3", "sales")
    await script.offer("c3", "anna")
    script.advance(5)
    await script.miss("c3")
    ((last, _),) = await redis.xrevrange(stream_key(tenant), count=1)
    await stats_stub.SetPayRules(
        pb.SetPayRulesRequest(
            rules=[
                pb.PayRule(
                    team_id="north", currency="EUR", bonus_per_answered_call_minor=50, penalty_per_missed_offer_minor=30
                ),
                pb.PayRule(team_id="", currency="EUR", bonus_per_answered_call_minor=1),
            ],
            actor="boss",
        )  # fmt: skip
    )
    await rules(stats_stub, pb.CommissionRule(percent_bp=500, fixed_minor=100))
    await invoice(stats_stub, "INV-5", 2_000)
    await invoice(stats_stub, "INV-6", 9_000, currency="USD")
    await pay(stats_stub, "P-5", "INV-5", 2_000)
    paid_usd = await pay(stats_stub, "P-6", "INV-6", 9_000)
    await applied(redis, tenant, last)
    entry_id, _ = await paid_event(redis, tenant, "INV-6", after=paid_usd.event_id.split("-")[0] + "-0")
    await applied(redis, tenant, entry_id)
    got = await payroll(stats_stub)  # every agent with activity
    rows = {(r.agent_id, r.currency): r for r in got.rows}
    assert set(rows) == {("anna", "EUR"), ("anna", "USD")}
    eur = rows["anna", "EUR"]
    assert (eur.team_id, eur.answered_calls, eur.missed_offers) == ("north", 2, 1)
    assert (eur.commission_minor, eur.bonus_minor, eur.penalty_minor, eur.total_minor) == (200, 100, 30, 270)
    usd = rows["anna", "USD"]
    assert (usd.commission_minor, usd.bonus_minor, usd.total_minor) == (550, 0, 550)
    totals = {t.currency: t for t in got.totals}
    assert (totals["EUR"].total_minor, totals["USD"].total_minor) == (270, 550)
    # boris, in the team but without activity, is listed only when asked for
    (boris,) = (await payroll(stats_stub, "boris")).rows
    assert (boris.team_id, boris.currency, boris.total_minor) == ("north", "EUR", 0)
    now = int(time.time() * 1000)  # the service's clock: the rules were set now
    actions = await stats_stub.ListActions(
        pb.ListActionsRequest(
            range=pb.TimeRange(start=timestamp_ms(now - 86_400_000), end=timestamp_ms(now + 86_400_000)), actor="boss"
        )
    )
    assert {a.type for a in actions.actions} >= {events_pb2.EVENT_TYPE_PAY_RULES_UPDATED}


async def test_bad_rules_are_refused_naming_the_field(stats_stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await rules(stats_stub, pb.CommissionRule(product="gold", percent_bp=10_001))
    assert (refused.value.code(), "rules[0].percent_bp" in refused.value.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT, True)  # fmt: skip
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stats_stub.SetPayRules(pb.SetPayRulesRequest(rules=[pb.PayRule(team_id="north", currency="E")]))
    assert "rules[0].currency" in refused.value.details()
