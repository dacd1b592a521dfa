"""End to end in real headless Chromium: a supervisor logs in and watches the board follow
a routed call live, without reloading the page."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.browser import base_url, browser_page, screenshot
from tests.gateway_fixtures import PASSWORD
from tests.gateway_scenes import calls_in_sales_and_support, setup_team
from tests.recorder_fixtures import metadata, tone, upload


async def player_duration(page) -> float:
    """The player's audio duration in seconds, once its metadata has loaded (an error fails)."""
    return await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.getElementById("player");
            const done = () => resolve(audio.duration);
            if (audio.readyState >= 1) done(); else audio.addEventListener("loadedmetadata", done);
            audio.addEventListener("error", () => reject(new Error("audio error " + audio.error.code)));
        })"""
    )


async def test_a_supervisor_watches_an_agent_state_change_live(gateway):
    await setup_team(gateway)
    base = base_url(gateway)
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


@pytest.fixture
async def full_backends(start_stats, start_recorder):
    stats = await start_stats()
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def test_a_supervisor_opens_call_records_and_plays_a_recording(full_backends, gateway):
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)
    async with grpc.aio.insecure_channel(full_backends["recorder_addr"]) as channel:
        stored = await upload(
            recorder_pb2_grpc.RecorderServiceStub(channel), tone(3.0), metadata("c1", agent_id="boris")
        )
    base = base_url(gateway)
    async with browser_page() as page:
        await page.goto(base + "/login")
        await page.fill("#username", "sam")
        await page.fill("#password", PASSWORD)
        await page.click("#login-button")
        await page.wait_for_url(base + "/")
        await page.goto(base + "/calls")
        play = page.locator('tr[data-call="c1"] button.play')
        for _ in range(50):  # stats links the recording to the call as it consumes the event
            if await play.count():
                break
            await page.click("#filters button[type=submit]")
            await page.wait_for_timeout(100)
        assert await page.locator('tr[data-call="c2"]').count() == 0  # support's call: not sam's
        await play.click()
        duration = await player_duration(page)
        assert abs(duration - 3.0) < 0.05
        # Seeking asks the gateway for a byte range; the element lands where it was asked to.
        position = await page.evaluate(
            """() => new Promise((resolve) => {
                const audio = document.getElementById("player");
                audio.addEventListener("seeked", () => resolve(audio.currentTime), { once: true });
                audio.currentTime = 2.0;
            })"""
        )
        assert abs(position - 2.0) < 0.1
        assert stored.id in await page.get_attribute("#player", "src")
        await screenshot(page, "call-records-playback")

        # The supervisor comments on the call and tags boris, in the page's form: boris gets a
        # task (S0.3).
        await page.locator('tr[data-call="c1"] button.comment').click()
        await page.locator("#comment-form textarea").fill("Offer the annual plan next time")
        await page.locator("#comment-form select").select_option("boris")
        await page.locator("#comment-form button[type=submit]").click()
        await page.locator("#comment-done:not([hidden])").wait_for()
        await gateway.users.create("boris", PASSWORD, "agent", agent_id="boris")
        boris = await gateway.login("boris")
        tasks = (await (await boris.get("/api/v1/tasks")).json())["tasks"]
        assert [(t["subject_id"], t["text"], t["author"]) for t in tasks] == [
            ("c1", "Offer the annual plan next time", "sam")
        ]


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def test_an_agent_is_offered_to_play_only_the_recordings_she_may_hear(backend_addrs, quiet_stats, gateway):
    """anna missed c1 (boris took it, and its recording is his) and took c4 herself: her call
    records show c1 without a Play button, c4 with one that plays; and the agent filter,
    which is not hers to use, is not shown."""
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)  # c1: anna missed, boris answered
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c4", caller="+494", queue="sales"))).call
        assert call.offer.agent_id == "anna"  # boris is in his wrap-up
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c4", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        await stub.HangupCall(pb.HangupCallRequest(call_id="c4"))
    async with grpc.aio.insecure_channel(backend_addrs["recorder_addr"]) as channel:
        recorder = recorder_pb2_grpc.RecorderServiceStub(channel)
        await upload(recorder, tone(1.0), metadata("c1", agent_id="boris"))
        annas = await upload(recorder, tone(2.0), metadata("c4", agent_id="anna"))
    await quiet_stats.consumer.drain()  # the calls and their recordings are in stats now

    base = base_url(gateway)
    async with browser_page() as page:
        await page.goto(base + "/login")
        await page.fill("#username", "anna")
        await page.fill("#password", PASSWORD)
        await page.click("#login-button")
        await page.wait_for_url(base + "/")
        await page.goto(base + "/calls")
        await page.locator('tr[data-call="c4"]').wait_for()
        assert await page.locator('tr[data-call="c1"]').count() == 1  # she sees the call she missed
        assert await page.locator('tr[data-call="c1"] button.play').count() == 0  # but not boris's recording
        assert not await page.locator("#filters label", has=page.locator('[name="agent_id"]')).is_visible()
        assert await page.locator("#filters label", has=page.locator('input[name="queue"]')).is_visible()
        await screenshot(page, "call-records-agent")
        await page.locator('tr[data-call="c4"] button.play').click()
        duration = await player_duration(page)
        assert abs(duration - 2.0) < 0.05
        assert annas.id in await page.get_attribute("#player", "src")
