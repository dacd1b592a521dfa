"""The queue page and the board's "pause after this call" end to end in real headless
Chromium, against a real router (and a PBX session stream), stats and gateway: a supervisor
moves a waiting call to a named agent and the PBX is offered it for that agent; a refusal
shows in the call's row; ending a call is confirmed in the row; the page fits a phone."""

from __future__ import annotations

import pytest

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from tests.browser import base_url, browser_page, check_layout, log_in, screenshot
from tests.pbx_session_client import PbxClient
from tests.queue_page_scenes import agent, ms, queues, route, router_of, supervisors

K = pb.PbxCallEventKind


async def no_dialogs(page) -> list[str]:
    """The messages of every alert/confirm/prompt the page opens (none expected), dismissed."""
    seen: list[str] = []

    async def dismiss(dialog):
        seen.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


async def test_moving_a_waiting_call_to_a_named_agent_on_the_queue_page_offers_it_to_them_on_the_pbx_stream(gateway):
    async with router_of(gateway) as stub:
        await queues(stub, "sales", "support")
        await agent(stub, "anna", "sales", pause_reason="lunch")  # nobody free in sales: calls wait
        await agent(stub, "boris", "support", login=False)
        await agent(stub, "sam-agent", pause_reason="break")  # sam's own agent, paused
        await supervisors(gateway)
        async with PbxClient(stub, "pbx-1", lease_ms=10_000) as pbx:
            await route(stub, "c1", "+491", pbx_id="pbx-1")
            await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_QUEUED)
            async with browser_page() as page:
                dialogs = await no_dialogs(page)
                await log_in(page, base_url(gateway), "sam")
                await page.goto(base_url(gateway) + "/queues/sales")
                waiting = page.locator('#waiting tr[data-call="c1"]')
                await waiting.wait_for()
                await page.locator('#live[data-state="live"]').wait_for()
                assert "Paused" in await page.locator('#agents tr[data-agent="anna"]').text_content()

                # Taking it with sam's own (paused) agent is refused: the reason shows in the row.
                await waiting.locator('button[data-action="Take"]').click()
                refusal = page.locator('[data-error="c1"]')
                await refusal.wait_for()
                assert "paused" in await refusal.text_content()

                # boris logs in to support: the page offers him, and the move reaches the PBX.
                await stub.LoginAgent(pb.LoginAgentRequest(agent_id="boris"))
                to_agent = waiting.locator('select[data-target="agent"]')
                await to_agent.locator('option[value="boris"]').wait_for(state="attached")
                await to_agent.select_option("boris")
                await waiting.locator('button[data-action="Move to agent"]').click()
                offered = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED)
                assert (offered.call.offer.agent_id, offered.call.offer.endpoint) == ("boris", "sip:boris@pbx")

                ringing = page.locator('#active tr[data-call="c1"]')
                await ringing.wait_for()
                assert "Boris Petrov" in await ringing.text_content()
                assert await page.locator('#waiting tr[data-call="c1"]').count() == 0
                await screenshot(page, "queue-page-moved")

                # Ending it takes a confirmation inside the row.
                await ringing.locator('button[data-action="End call"]').click()
                await ringing.locator('button[data-action="Yes, end it"]').click()
                ended = await pbx.next_event("c1", K.PBX_CALL_EVENT_KIND_ENDED)
                assert ended.call.end_reason == "ended_by_supervisor"
                await ringing.wait_for(state="detached")
                assert dialogs == []


async def test_pause_after_this_call_on_the_board_pauses_the_agent_once_the_call_and_its_wrap_up_are_over(gateway):
    async with router_of(gateway) as stub:
        await queues(stub, "sales", wrap_up=ms(600_000))  # a wrap-up that only EndWrapUp ends in the test
        await agent(stub, "anna", "sales")
        await supervisors(gateway)
        call = await route(stub, "c1", "+491")
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        async with browser_page() as page:
            dialogs = await no_dialogs(page)
            await log_in(page, base_url(gateway), "sam")
            row = page.locator('tr[data-agent="anna"]')
            await row.locator('.state[data-state="on_call"]').wait_for()
            await page.locator('#live[data-state="live"]').wait_for()
            await row.locator('select[data-pause-reason="anna"]').select_option("training")
            await row.locator('button[data-action="Pause after this call"]').click()
            await row.locator('[data-pending-pause="training"]').wait_for()
            status = (await stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent.status
            assert (status.state, status.pending_pause_reason, status.pending_pause_by) == (
                st.AGENT_STATE_ON_CALL,
                "training",
                "sam",
            )

            await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))  # into wrap-up, still not paused
            await row.locator('.state[data-state="wrap_up"]').wait_for()
            await row.locator('[data-pending-pause="training"]').wait_for()

            await stub.EndWrapUp(pb.EndWrapUpRequest(agent_id="anna", force=True))
            paused = row.locator('.state[data-state="paused"]')
            await paused.wait_for()
            assert "training" in (await paused.text_content()).lower()
            await screenshot(page, "board-paused-after-call")
            assert dialogs == []


@pytest.fixture
async def backend_addrs(start_stats):
    stats = await start_stats()
    return {"stats_addr": f"127.0.0.1:{stats.port}"}


async def test_the_queue_page_fits_a_desktop_and_a_phone(backend_addrs, gateway):
    async with router_of(gateway) as stub:
        await queues(stub, "sales", "support")
        await agent(stub, "anna", "sales")
        await agent(stub, "boris", "sales")
        await agent(stub, "csilla", "support")
        await agent(stub, "sam-agent")
        await supervisors(gateway)
        await route(stub, "a84b4c76e66710@pc33.example.com", "+4930123456789")  # rings anna
        await route(stub, "c2", "+4930222")  # rings boris
        offer = (await stub.GetCall(pb.GetCallRequest(call_id="c2"))).call.offer
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c2", offer_id=offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        await route(stub, "c3", "+4930333")
        await route(stub, "c4-a-rather-long-sip-call-id-9f8e7d6c5b4a@pbx.example.com", "+4930444", priority=3)
        async with browser_page() as page:
            await log_in(page, base_url(gateway), "sam")
            await page.goto(base_url(gateway) + "/queues/sales")
            await page.locator("#waiting tr[data-call]").nth(1).wait_for()
            await page.locator("#active tr[data-call]").nth(1).wait_for()
            await page.locator('#today [data-figure="offered"]').wait_for()
            await check_layout(page, "queue")
            await page.goto(base_url(gateway) + "/queues")
            await page.locator('#queue-list a[href="/queues/sales"]').wait_for()
