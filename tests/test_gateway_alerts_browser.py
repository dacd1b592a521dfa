"""The board's alerts end to end in real headless Chromium: a breach of a queue's limit shows
within a second of the event that caused it, and an agent left in wrap-up past the agents'
limit is flagged stuck by the page's own clock (no event comes for that)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.browser import base_url, browser_page, check_layout, screenshot
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team

SALES = {"service_level_min_percent": 0, "longest_wait_max_s": 600, "abandoned_max_percent": 0}
AGENTS = {"ringing_max_s": 30, "wrap_up_max_s": 300, "paused_max_s": 1800}


@pytest.fixture
async def full_backends(start_stats, start_recorder):
    stats = await start_stats()
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def open_board(page, gateway, username: str) -> None:
    """Logs in on the login page and waits for the board and its live feed."""
    base = base_url(gateway)
    await page.goto(base + "/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-button")
    await page.wait_for_url(base + "/")
    await page.locator('tr[data-agent="anna"] .state').wait_for()
    await page.locator('#live[data-state="live"]').wait_for(timeout=5000)


async def test_an_abandonment_over_the_queues_limit_shows_as_an_alert_within_a_second(full_backends, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.put("/api/v1/thresholds/queues/sales", json=SALES, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    async with browser_page() as page:
        await open_board(page, gateway, "sam")
        assert await page.locator("#alerts li").count() == 0
        assert await page.locator("#no-alerts").is_visible()
        loop = asyncio.get_running_loop()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))
            sent = loop.time()
            await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))  # abandoned while ringing: 100 %
        alert = await page.wait_for_selector('#alerts li[data-alert="abandonment"][data-queue="sales"]', timeout=1000)
        print(f"abandonment alert shown {(loop.time() - sent) * 1000:.0f} ms after the hang-up")
        assert "Abandonment 100 % in sales is above 0 %" in await alert.inner_text()
        assert "breached" in (
            await page.get_attribute('#queues tr[data-queue="sales"] [data-breach="abandonment"]', "class")
        )
        assert await page.locator("#no-alerts").is_hidden()
        await check_layout(page, "board-alerts")


async def test_an_agent_left_in_wrap_up_past_the_limit_is_flagged_stuck(full_backends, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.put("/api/v1/thresholds/agents", json={**AGENTS, "wrap_up_max_s": 1}, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    async with browser_page() as page:
        await open_board(page, gateway, "sam")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))).call
            await stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(
                    call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                )
            )
            await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))  # anna into wrap-up (3 minutes)
        anna = page.locator('tr[data-agent="anna"]')
        await page.locator('tr[data-agent="anna"] .state[data-state="wrap_up"]').wait_for(timeout=2000)
        # One second of wrap-up passes with no event; the page's clock flags her.
        await page.locator('tr[data-agent="anna"][data-stuck="true"]').wait_for(timeout=5000)
        assert await anna.locator(".stuck-flag").is_visible()
        assert await anna.locator(".state").inner_text() == "Wrap-up"
        stuck = page.locator('#alerts li[data-alert="agent_stuck"][data-agent="anna"]')
        assert "anna: Wrap-up for" in await stuck.inner_text()
        assert await page.locator('tr[data-agent="boris"][data-stuck="true"]').count() == 0
        # The board's buttons for her wrap-up are still there: ending it clears the flag.
        await anna.locator('button[data-action="End wrap-up"]').click()
        await page.locator('tr[data-agent="anna"] .state[data-state="available"]').wait_for(timeout=2000)
        await page.locator('tr[data-agent="anna"][data-stuck="false"]').wait_for(timeout=2000)
        assert await page.locator('#alerts li[data-alert="agent_stuck"]').count() == 0
        await screenshot(page, "board-stuck-cleared")
