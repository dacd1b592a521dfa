"""Commissions and the payroll through the gateway (S2.1, S1.4): admins set the commission rules,
the CRM reports invoices and payments to the stats service, supervisors read the payroll of
their teams' agents (JSON and the CSV a payroll system takes), agents none. Real router, stats
and gateway over HTTP and gRPC."""

from __future__ import annotations

import csv
import io

import grpc
import pytest

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def paid_invoices(quiet_stats, *sales: tuple[str, str, int]) -> None:
    """The CRM reports each (invoice id, agent, amount) and its full payment, now."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        for invoice_id, agent, amount in sales:
            await stub.ReportInvoice(
                spb.ReportInvoiceRequest(invoice_id=invoice_id, agent_id=agent, amount_minor=amount, currency="EUR")
            )
            await stub.ReportPayment(
                spb.ReportPaymentRequest(payment_id=f"pay-{invoice_id}", invoice_id=invoice_id, amount_minor=amount)
            )
    await quiet_stats.consumer.drain()


async def test_a_supervisor_reads_the_commission_of_their_teams_agents_only(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    root, sam = await gateway.login("root"), await gateway.login("sam")
    rule = {"rules": [{"percent_bp": 500, "fixed_minor": 10_000}]}  # 5 % + 100.00 per paid invoice
    reply = await root.put("/api/v1/commission-rules", json=rule, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    await paid_invoices(quiet_stats, ("INV-1", "anna", 200_000), ("INV-2", "csilla", 100_000))

    reply = await sam.get("/api/v1/payroll")
    assert reply.status == 200, await reply.text()
    rows = (await reply.json())["rows"]
    assert [(r["agent_id"], r["name"], int(r["commission_minor"])) for r in rows if int(r.get("paid_invoices", 0))] == [
        ("anna", "anna", 20_000)  # 5 % of 2,000.00 + 100.00 = 200.00; csilla is of support
    ]
    everyone = await (await root.get("/api/v1/payroll")).json()
    commission = {r["agent_id"]: int(r.get("commission_minor", 0)) for r in everyone["rows"]}
    assert commission["anna"] == 20_000 and commission["csilla"] == 15_000
    assert [(t["currency"], int(t["commission_minor"])) for t in everyone["totals"] if t["currency"] == "EUR"] == [
        ("EUR", 35_000)
    ]

    export = await sam.get("/api/v1/export/payroll.csv")
    assert export.status == 200 and export.content_type == "text/csv"
    table = list(csv.DictReader(io.StringIO(await export.text())))
    assert [(r["Agent ID"], r["Commission (minor)"], r["Total (minor)"]) for r in table if r["Currency"]] == [
        ("anna", "20000", "20000")
    ]


async def test_only_admins_change_the_rules_and_agents_read_no_payroll(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    root, sam, anna = await gateway.login("root"), await gateway.login("sam"), await gateway.login("anna")
    rule = {"rules": [{"percent_bp": 100}]}
    assert (await sam.put("/api/v1/commission-rules", json=rule, headers=csrf(sam))).status == 403
    assert (await sam.get("/api/v1/commission-rules")).status == 403
    assert (await anna.get("/api/v1/payroll")).status == 403
    assert (await anna.get("/api/v1/export/payroll.csv")).status == 403
    assert (await sam.get("/api/v1/payroll?agent_id=csilla")).status == 404
    pay = {"rules": [{"currency": "EUR", "bonus_per_answered_call_minor": 50}]}
    reply = await root.put("/api/v1/pay-rules", json=pay, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    assert [r["currency"] for r in (await (await root.get("/api/v1/pay-rules")).json())["rules"]] == ["EUR"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rules": [{"percent": 5}]}, "rules[0].percent"),
        ({"rules": [{"percent_bp": "5"}]}, "rules[0].percent_bp"),
        ({"rules": [{"fixed_minor": -1}]}, "rules[0].fixed_minor"),
        ({"rules": "all"}, "rules"),
        ({"rules": [], "extra": 1}, "extra"),
    ],
)
async def test_bad_commission_rules_are_refused_naming_the_field(backend_addrs, quiet_stats, gateway, body, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.put("/api/v1/commission-rules", json=body, headers=csrf(root))
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field
    # nothing was replaced
    assert (await (await root.get("/api/v1/commission-rules")).json())["rules"] == []
