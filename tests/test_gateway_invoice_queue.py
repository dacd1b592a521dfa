"""The invoice queue (S2.7) through the gateway: agents see and call their own unpaid
invoices, supervisors their team's; the call goes to the deal owner and its result lands on
the invoice. Real router, stats, a PBX session and the gateway over HTTP and gRPC."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team
from tests.pbx_session_client import PbxClient


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


@pytest.fixture
async def router(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)


async def unpaid_invoices(quiet_stats):
    """lead-1 (anna's, client +4930901) billed by inv-1; lead-2 (boris's) by inv-2; both in sales."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        for n, owner in ((1, "anna"), (2, "boris")):
            await stub.CreateLead(
                spb.CreateLeadRequest(lead_id=f"lead-{n}", agent_id=owner, stage="payment", client_number=f"+493090{n}")
            )
        await quiet_stats.consumer.drain()
        for n in (1, 2):
            await stub.ReportInvoice(
                spb.ReportInvoiceRequest(
                    invoice_id=f"inv-{n}", lead_id=f"lead-{n}", queue="sales", amount_minor=5_000, currency="EUR"
                )
            )


async def test_the_owner_calls_their_unpaid_invoice_and_its_result_lands_on_it(
    backend_addrs, quiet_stats, gateway, router
):
    await setup_team(gateway)
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", outbound_pbx="dialer")))
    await unpaid_invoices(quiet_stats)
    anna, sam = await gateway.login("anna"), await gateway.login("sam")
    mine = await (await anna.get("/api/v1/invoice-queue")).json()
    assert [(i["invoice_id"], i["client_number"]) for i in mine["invoices"]] == [("inv-1", "+4930901")]
    team = await (await sam.get("/api/v1/invoice-queue?queue=sales")).json()
    assert [i["invoice_id"] for i in team["invoices"]] == ["inv-1", "inv-2"]

    async with PbxClient(router, "dialer") as pbx:
        assert (await anna.post("/api/v1/invoice-queue/inv-2/call", json={}, headers=csrf(anna))).status == 404
        reply = await anna.post("/api/v1/invoice-queue/inv-1/call", json={}, headers=csrf(anna))
        assert reply.status == 200, await reply.text()
        call = (await reply.json())["call"]
        assert (call["state"], call["offer"]["agent_id"]) == ("CALL_STATE_DIALING", "anna")
        again = await (await anna.post("/api/v1/invoice-queue/inv-1/call", json={}, headers=csrf(anna))).json()
        assert again["call"]["call_id"] == call["call_id"]  # a second click is the same call
        await pbx.next_event(call["call_id"], pb.PBX_CALL_EVENT_KIND_ORIGINATE)
        ended = await router.ReportDialOutcome(
            pb.ReportDialOutcomeRequest(
                call_id=call["call_id"], offer_id=call["offer"]["offer_id"], outcome=pb.DIAL_OUTCOME_BUSY
            )
        )
        assert ended.call.state == st.CALL_STATE_NOT_CONNECTED
    await quiet_stats.consumer.drain()
    team = await (await sam.get("/api/v1/invoice-queue?queue=sales")).json()
    tried = team["invoices"][0]
    assert (tried["invoice_id"], tried["call_attempts"], tried["last_call_result"]) == ("inv-1", 1, "busy")
    fresh = await (await sam.get("/api/v1/invoice-queue?queue=sales&uncalled_only=true")).json()
    assert [i["invoice_id"] for i in fresh["invoices"]] == ["inv-2"]


async def test_the_invoice_queue_checks_roles_and_input(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    for path, field in [
        ("/api/v1/invoice-queue", "queue"),
        ("/api/v1/invoice-queue?queue=sales&uncalled_only=maybe", "uncalled_only"),
        ("/api/v1/invoice-queue?queue=sales&page_token=nonsense", "page_token"),
        ("/api/v1/invoice-queue?queue=sales&colour=red", "colour"),
    ]:
        reply = await sam.get(path)
        assert reply.status == 400 and field in await reply.text(), (path, await reply.text())
    assert (await sam.get("/api/v1/invoice-queue?queue=support")).status == 404  # not sam's team
    assert (await gateway.client.get("/api/v1/invoice-queue")).status == 401


async def test_an_agent_calls_an_unpaid_invoice_from_their_page(backend_addrs, quiet_stats, gateway, router):
    from tests.browser import base_url, browser_page, check_layout, log_in

    await setup_team(gateway)
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", outbound_pbx="dialer")))
    await unpaid_invoices(quiet_stats)
    base = base_url(gateway)
    async with PbxClient(router, "dialer") as pbx, browser_page() as page:
        await log_in(page, base, "anna")
        await page.goto(base + "/agents/anna")
        row = page.locator('#invoices tbody tr[data-invoice="inv-1"]')
        await row.wait_for()
        assert await page.locator("#invoices tbody tr[data-invoice]").count() == 1  # boris's is not hers
        assert "+4930901" in await row.text_content() and "50.00 EUR" in await row.text_content()
        await row.locator("button.call").click()
        await page.locator('#preview-status[data-state="invoice"]').wait_for()
        await pbx.next_event("invoice-inv-1-1", pb.PBX_CALL_EVENT_KIND_ORIGINATE)
        call = (await router.GetCall(pb.GetCallRequest(call_id="invoice-inv-1-1"))).call
        assert (call.state, call.offer.agent_id, call.caller) == (st.CALL_STATE_DIALING, "anna", "+4930901")
        await check_layout(page, "agent-invoices")
