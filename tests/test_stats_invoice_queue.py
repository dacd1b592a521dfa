"""The invoice queue (S2.7) on real Redis with a real router's outbound calls: unpaid
invoices nobody reached yet, oldest first, handed to the deal owner; a call about one records
its result on it; a reaching call or the payment takes it out."""

from __future__ import annotations

import pytest

from callcenter.core.errors import InvalidArgument
from callcenter.services.router.outbound import Outbound
from callcenter.services.stats.invoices import Invoice, Payment
from tests.helpers import team


async def invoice(stats, invoice_id, lead_id, issued_ms, amount=10_000):
    await stats.report_invoice(Invoice(invoice_id, lead_id, "", "", "sales", amount, "EUR", issued_ms))


@pytest.fixture(name="office")
async def office_fixture(router, stats, clock, make_consumer):
    """anna and boris in sales; leads 1-3 owned by boris with their clients' numbers; three
    unpaid invoices, the oldest first."""
    stats.clock = clock
    await team(router, "sales", ["anna", "boris"], wrap_up_ms=0, outbound_pbx="dialer")
    await router.open_pbx_session("dialer", 300_000, "router", 0, False)
    now = clock.now_ms()
    for n in (1, 2, 3):
        await stats.lead_created(f"lead-{n}", "boris", "payment", now - 10_000, client_number=f"+4930900{n}")
    await make_consumer().drain()
    for n, age_h in ((1, 30), (2, 20), (3, 10)):
        await invoice(stats, f"inv-{n}", f"lead-{n}", now - age_h * 3_600_000)
    return Outbound(router)


async def call_about(outbound, entry, n):
    """What the invoice queue's caller does: a preview to the deal owner about the invoice."""
    return await outbound.create_call(
        f"invoice-{entry.invoice_id}-{n}", entry.client_number, entry.queue, "progressive", "dialer",
        agent_id=entry.agent_id, deal_id=entry.lead_id, attributes={"invoice_id": entry.invoice_id},
    )  # fmt: skip


async def test_unpaid_invoices_wait_oldest_first_with_their_owner_and_client(office, stats):
    invoices, token, total = await stats.invoice_queue("", "", False, 0, "")
    assert [i.invoice_id for i in invoices] == ["inv-1", "inv-2", "inv-3"] and token == "" and total == 3
    first = invoices[0]
    assert (first.agent_id, first.client_number, first.amount_minor, first.call_attempts) == (
        "boris",
        "+49309001",
        10_000,
        0,
    )


async def test_a_call_about_an_invoice_records_its_result_and_a_reaching_call_takes_it_out(
    office, router, stats, make_consumer
):
    entry = (await stats.invoice_queue("", "", False, 1, ""))[0][0]
    call = await call_about(office, entry, 1)
    assert call.offer.agent_id == "boris"  # the deal owner first
    await make_consumer().drain()
    calling = (await stats.invoice_queue("", "", False, 1, ""))[0][0]
    assert calling.calling and calling.last_call_id == call.call_id
    await office.report_dial_outcome(call.call_id, call.offer.offer_id, "busy")
    await make_consumer().drain()
    invoices, _, _ = await stats.invoice_queue("", "", False, 0, "")
    tried = invoices[0]
    assert (tried.invoice_id, tried.call_attempts, tried.last_call_result, tried.calling) == ("inv-1", 1, "busy", False)
    uncalled, _, _ = await stats.invoice_queue("", "", True, 0, "")
    assert [i.invoice_id for i in uncalled] == ["inv-2", "inv-3"]

    again = await call_about(office, tried, 2)
    await office.report_dial_outcome(again.call_id, again.offer.offer_id, "answered")
    router.clock.advance(40)
    await router.hangup(again.call_id)
    await make_consumer().drain()
    invoices, _, total = await stats.invoice_queue("", "", False, 0, "")
    assert [i.invoice_id for i in invoices] == ["inv-2", "inv-3"] and total == 2


async def test_a_paid_invoice_leaves_the_queue(office, stats):
    await stats.report_payment(Payment("pay-1", "inv-2", 10_000, None))
    invoices, _, _ = await stats.invoice_queue("", "", False, 0, "")
    assert [i.invoice_id for i in invoices] == ["inv-1", "inv-3"]


async def test_the_queue_pages_and_filters_and_refuses_bad_input(office, stats):
    page, token, _ = await stats.invoice_queue("boris", "sales", False, 2, "")
    assert [i.invoice_id for i in page] == ["inv-1", "inv-2"] and token
    rest, token, _ = await stats.invoice_queue("boris", "sales", False, 2, token)
    assert [i.invoice_id for i in rest] == ["inv-3"] and token == ""
    assert (await stats.invoice_queue("anna", "", False, 0, ""))[0] == []
    for args, field in [
        (("", "", False, 501, ""), "page_size"),
        (("", "", False, 0, "garbage"), "page_token"),
        (("bad agent", "", False, 0, ""), "agent_id"),
    ]:
        with pytest.raises(InvalidArgument) as err:
            await stats.invoice_queue(*args)
        assert field in str(err.value)
