"""End to end in real headless Chromium: a supervisor logs in and watches the board follow
a routed call live, without reloading the page."""

from __future__ import annotations

import grpc

from callcenter.router.v1 import router_pb2 as pb
from callcenter.router.v1 import router_pb2_grpc
from tests.browser import browser_page, screenshot
from tests.gateway_fixtures import PASSWORD
from tests.test_gateway_auth import setup_team


async def test_a_supervisor_watches_an_agent_state_change_live(gateway):
    await setup_team(gateway)
    base = str(gateway.client.make_url("/")).rstrip("/")
    async with browser_page() as page:
        await page.goto(base + "/")
        await page.wait_for_url("**/login")
        await page.fill("#username", "sam")
        await page.fill("#password", PASSWORD)
        await page.click("#login-button")
        await page.wait_for_url(base + "/")
        anna_state = page.locator('tr[data-agent="anna"] .state')
        await anna_state.wait_for()
        assert await anna_state.get_attribute("data-state") == "available"
        assert await page.locator('tr[data-agent="csilla"]').count() == 0  # not sam's team
        await page.locator('#live[data-state="live"]').wait_for(timeout=5000)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))).call
            await page.locator('tr[data-agent="anna"] .state[data-state="reserved"]').wait_for(timeout=2000)
            await stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(
                    call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                )
            )
            await page.locator('tr[data-agent="anna"] .state[data-state="on_call"]').wait_for(timeout=2000)
        # A supervisor action from the page: pause boris.
        await page.locator('tr[data-agent="boris"] button[data-action="Pause"]').click()
        await page.locator('tr[data-agent="boris"] .state[data-state="paused"]').wait_for(timeout=2000)
        await screenshot(page, "dashboard-live")
