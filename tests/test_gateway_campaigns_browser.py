"""The campaigns page in real headless Chromium, over a real router (with its dialler) and
stats: a supervisor creates a campaign in the page's form, pastes its contacts, starts it and
sees it running with its progress; an agent has no campaigns."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.browser import base_url, browser_page, check_layout, log_in
from tests.gateway_scenes import setup_team
from tests.pbx_session_client import PbxClient


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_a_supervisor_creates_a_campaign_adds_contacts_and_starts_it(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)  # sam supervises sales: anna and boris
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        sales = pb.Queue(name="sales", outbound_pbx="dialer")
        sales.ring_timeout.FromMilliseconds(120_000)
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=sales))
        base = base_url(gateway)
        async with PbxClient(router, "dialer", lease_ms=10_000), browser_page() as page:
            opened: list[str] = []
            page.on("dialog", lambda dialog: opened.append(dialog.message))
            await log_in(page, base, "sam")
            assert await page.locator("header nav a", has_text="Campaigns").count() == 1
            await page.click("header nav a:has-text('Campaigns')")
            await page.locator("body[data-loaded]").wait_for()
            assert await page.locator("#campaigns tbody tr.empty").count() == 1
            form = page.locator("#campaign-form")
            await form.locator("input[name=name]").fill("Spring offer")
            await form.locator("input[name=campaign_id]").fill("spring")
            await form.locator("select[name=queue]").select_option("sales")
            await form.locator("select[name=mode]").select_option("preview")
            await form.locator("textarea[name=script]").fill("Good morning!\nThis is the spring offer.")
            for day in await form.locator("input[name=days]").all():
                await day.check()
            await form.locator("input[name=start]").fill("00:00")
            await form.locator("input[name=end]").fill("00:00")  # midnight to midnight
            await form.locator("input[name=time_zone]").fill("UTC")
            await form.locator("input[name=max_attempts]").fill("2")
            await form.locator("button[type=submit]").click()
            row = page.locator('#campaigns tbody tr[data-campaign="spring"]')
            await row.wait_for()
            assert await row.get_attribute("data-state") == "draft"
            # a bad value is refused in the page, the field it names marked
            await form.locator("input[name=name]").fill("Broken")
            await form.locator("input[name=time_zone]").fill("Mars/Olympus")
            await form.locator("button[type=submit]").click()
            await page.locator("#campaign-error:not([hidden])").wait_for()
            # contacts pasted one a line, then started
            contacts = page.locator("#contacts-form")
            await contacts.locator("select[name=campaign_id]").select_option("spring")
            await contacts.locator("textarea").fill("+4930111\n+4930222\n\n+4930333\n")
            await contacts.locator("button[type=submit]").click()
            await page.locator("#contacts-done:not([hidden])").wait_for()
            assert await page.text_content("#contacts-done") == "Added 3 new contacts."
            await page.locator('#campaigns tr[data-campaign="spring"] td.contacts', has_text="3").wait_for()
            await row.locator("button.start").click()
            await page.locator('#campaigns tbody tr[data-campaign="spring"][data-state="running"]').wait_for()
            assert await row.locator("button.pause").count() == 1
            got = await (await (await gateway.login("sam")).get("/api/v1/campaigns/spring")).json()
            assert got["campaign"]["state"] == "running" and got["campaign"]["progress"]["contacts"] == 3
            assert got["campaign"]["calling_hours"] == {
                "days": [1, 2, 3, 4, 5, 6, 7],
                "start_minute": 0,
                "end_minute": 1440,
                "time_zone": "UTC",
            }
            assert got["campaign"]["script"] == "Good morning!\nThis is the spring offer."
            await page.evaluate("window.scrollTo(0, 0)")
            await check_layout(page, "campaigns")
            await row.locator("button.pause").click()
            await page.locator('#campaigns tbody tr[data-campaign="spring"][data-state="paused"]').wait_for()
            await row.locator("button.stop").click()
            await page.locator('#campaigns tbody tr[data-campaign="spring"][data-state="stopped"]').wait_for()
            assert opened == []
        async with browser_page() as page:  # an agent: no link, and the page says no
            await log_in(page, base, "anna")
            assert await page.locator("header nav a", has_text="Campaigns").count() == 0
            await page.goto(base + "/campaigns")
            await page.locator("#campaigns-error:not([hidden])").wait_for()


async def test_a_supervisor_defines_a_segment_calls_it_and_keeps_a_number_off_the_list(
    backend_addrs, quiet_stats, gateway
):
    await setup_team(gateway)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", outbound_pbx="dialer")))
        for number, scheme in (("+4930701", "simplified"), ("+4930702", "simplified"), ("+4930703", "general")):
            await router.UpsertClient(
                pb.UpsertClientRequest(client=pb.Client(number=number, name=number, attributes={"tax_scheme": scheme}))
            )
        base = base_url(gateway)
        async with browser_page() as page:
            await log_in(page, base, "sam")
            await page.goto(base + "/campaigns")
            await page.locator("body[data-loaded]").wait_for()
            segment = page.locator("#segment-form")
            await segment.locator("input[name=name]").fill("Simplified tax")
            await segment.locator("input[name=segment_id]").fill("simple")
            await segment.locator("textarea").fill("tax_scheme = simplified")
            await segment.locator("button[type=submit]").click()
            await page.locator('#segments tr[data-segment="simple"] td.members', has_text="2").wait_for()
            # a number asked never to be called, kept off the list in the page
            dnc = page.locator("#dnc-form")
            await dnc.locator("input[name=number]").fill("+4930702")
            await dnc.locator("button[type=submit]").click()
            await page.locator('#do-not-call tr[data-number="+4930702"]').wait_for()
            form = page.locator("#campaign-form")
            await form.locator("input[name=name]").fill("Tax season")
            await form.locator("input[name=campaign_id]").fill("tax")
            await form.locator("select[name=queue]").select_option("sales")
            await form.locator("select[name=segment_id]").select_option("simple")
            await form.locator("button[type=submit]").click()
            row = page.locator('#campaigns tbody tr[data-campaign="tax"]')
            await row.wait_for()
            await row.locator("button.start").click()
            await page.locator('#campaigns tbody tr[data-campaign="tax"][data-state="running"]').wait_for()
            sam = await gateway.login("sam")
            got = (await (await sam.get("/api/v1/campaigns/tax")).json())["campaign"]
            assert got["segment_id"] == "simple" and got["progress"]["contacts"] == 2
            contacts = (await (await sam.get("/api/v1/campaigns/tax/contacts")).json())["contacts"]
            by_number = {c["number"]: c["state"] for c in contacts}
            assert set(by_number) == {"+4930701", "+4930702"} and by_number["+4930702"] == "skipped"
            await page.locator('#do-not-call tr[data-number="+4930702"] button.remove').click()
            await page.locator('#do-not-call tr[data-number="+4930702"]').wait_for(state="detached")
            await page.evaluate("window.scrollTo(0, 0)")
            await check_layout(page, "campaigns-segments")
