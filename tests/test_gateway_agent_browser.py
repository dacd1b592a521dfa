"""End to end in real headless Chromium, over a real router and stats: a supervisor drills down
from the call records to an agent's day (the state timeline the router's events produced, with
their pause reasons, in order), searches the call records by a fragment of a caller's number,
sorts them, and comments on a call in the page's own form (no browser dialog)."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.browser import base_url, browser_page, check_layout, log_in
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import calls_in_sales_and_support, setup_team
from tests.pbx_session_client import PbxClient


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


def no_dialogs(page) -> list[str]:
    """Every dialog the page opens (alert, prompt, confirm), dismissed; the test fails on any."""
    opened: list[str] = []

    async def dismiss(dialog) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


async def test_an_agents_page_shows_the_timeline_the_events_produced(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)  # anna logged in: available
    sam = await gateway.login("sam")
    for action, body in (("pause", {"reason": "break"}), ("resume", {}), ("pause", {"reason": "lunch"})):
        reply = await sam.post(f"/api/v1/agents/anna/{action}", json=body, headers=csrf(sam))
        assert reply.status == 200, await reply.text()
    await quiet_stats.consumer.drain()
    base = base_url(gateway)
    async with browser_page() as page:
        dialogs = no_dialogs(page)
        await log_in(page, base, "sam")
        await page.goto(base + "/agents/anna")
        await page.locator("body[data-loaded]").wait_for()
        assert await page.text_content("#agent-name") == "anna"
        rows = page.locator("#segments tbody tr")
        states = await rows.evaluate_all("rs => rs.map(r => [r.dataset.state, r.cells[3].textContent])")
        assert states[-4:] == [["available", ""], ["paused", "Break"], ["available", ""], ["paused", "Lunch"]]
        assert await page.locator("#timeline-bar .segment").count() == len(states)
        assert await page.text_content("#segments tbody tr:last-child td:nth-child(2)") == "now"
        legend = await page.locator("#timeline-legend li").all_text_contents()
        assert any(item.startswith("Paused") for item in legend) and any(i.startswith("Available") for i in legend)
        pauses = await page.locator("#pauses tbody tr td:nth-child(3)").all_text_contents()
        assert pauses == ["Break", "Lunch"]
        # the reasons' time comes from the figures (the lunch goes on: its time grows)
        reasons = await page.locator("#pause-reasons tbody tr").evaluate_all("rs => rs.map(r => r.dataset.reason)")
        assert sorted(reasons) == ["break", "lunch"]
        await check_layout(page, "agent")
        # another team's agent is not there for sam
        await page.goto(base + "/agents/csilla")
        await page.locator("#agent-error:not([hidden])").wait_for()
        assert "does not exist" in await page.text_content("#agent-error")
    assert dialogs == []


async def test_the_call_records_search_sort_and_comment_form(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)  # c1 from +491 (anna missed, boris took), c3 from +493
    await quiet_stats.consumer.drain()
    base = base_url(gateway)
    async with browser_page() as page:
        dialogs = no_dialogs(page)
        await log_in(page, base, "sam")
        await page.goto(base + "/calls")
        await page.locator('tr[data-call="c3"]').wait_for()
        # the agent's name links to their page
        assert await page.get_attribute('tr[data-call="c1"] td:nth-child(5) a', "href") == "/agents/boris"

        # sorting: by caller, ascending then descending (aria-sort says which)
        caller_header = page.locator("#calls thead th", has_text="Caller")
        await caller_header.locator("button").click()
        assert await caller_header.get_attribute("aria-sort") == "ascending"
        callers = await page.locator("#calls tbody td.caller").all_text_contents()
        assert callers == sorted(callers) and len(callers) == 2
        await caller_header.locator("button").click()
        assert await caller_header.get_attribute("aria-sort") == "descending"
        assert await page.locator("#calls tbody td.caller").all_text_contents() == sorted(callers, reverse=True)

        # the search: a fragment of c1's number
        await page.fill('#filters input[name="q"]', "491")
        await page.click("#filters button[type=submit]")
        await page.wait_for_function(
            "() => [...document.querySelectorAll('#calls tbody tr')].map(r => r.dataset.call).join() === 'c1'"
        )
        await check_layout(page, "calls")

        # a comment on c1 tagging boris, in the page's form
        await page.locator('tr[data-call="c1"] button.comment').click()
        form = page.locator("#comment-form")
        await form.wait_for()
        await form.locator("textarea").fill("Offer the annual plan next time")
        await form.locator("select").select_option("boris")
        await form.locator("button[type=submit]").click()
        await page.locator("#comment-done:not([hidden])").wait_for()
        assert await page.locator("#comment-section").is_hidden()
        # an empty comment is refused in the form, no dialog
        await page.locator('tr[data-call="c1"] button.comment').click()
        await form.locator("button[type=submit]").click()
        assert await page.locator("#comment-error").is_visible() or await form.locator("textarea:invalid").count()
        await page.click("#comment-cancel")
        assert await page.locator("#comment-section").is_hidden()
    assert dialogs == []
    await gateway.users.create("boris", PASSWORD, "agent", agent_id="boris")
    boris = await gateway.login("boris")
    tasks = (await (await boris.get("/api/v1/tasks")).json())["tasks"]  # posted before the form said so
    assert [(t["subject_id"], t["text"], t["author"]) for t in tasks] == [
        ("c1", "Offer the annual plan next time", "sam")
    ]


async def test_a_supervisor_gives_an_agent_a_recurring_task_due_tomorrow_from_the_agents_page(
    backend_addrs, quiet_stats, gateway
):
    await setup_team(gateway)
    base = base_url(gateway)
    async with browser_page() as page:
        dialogs = no_dialogs(page)
        await log_in(page, base, "sam")
        await page.goto(base + "/agents/anna")
        form = page.locator("#task-form:not([hidden])")
        await form.wait_for()
        tomorrow = await page.evaluate(
            "() => { const d = new Date(Date.now() + 86400000); d.setSeconds(0, 0);"
            " const p = (n) => String(n).padStart(2, '0');"
            " const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;"
            " return [`${day}T${p(d.getHours())}:${p(d.getMinutes())}`,"
            " d.getTime()]; }"
        )
        await form.locator("input[name=title]").fill("Call Müller back about the offer")
        await form.locator("input[name=due]").fill(tomorrow[0])
        await form.locator("select[name=remind]").select_option("3600")
        await form.locator("input[name=every]").fill("2")
        await form.locator("select[name=unit]").select_option("weeks")
        await form.locator("button[type=submit]").click()
        row = page.locator("#tasks tbody tr[data-task]")
        await row.wait_for()
        assert "Call Müller back about the offer" in await row.text_content()
        # a due time in the past is refused, and the form marks the field it names
        await form.locator("input[name=title]").fill("Too late")
        await form.locator("input[name=due]").fill("2001-01-01T10:00")
        await form.locator("button[type=submit]").click()
        await page.locator("#task-error:not([hidden])").wait_for()
        assert await form.locator("input[name=due]").get_attribute("aria-invalid") == "true"
        await check_layout(page, "agent-task-form")
    async with browser_page() as page:  # an agent's own page has no task form
        await log_in(page, base, "anna")
        await page.goto(base + "/agents/anna")
        await page.locator("body[data-loaded]").wait_for()
        assert await page.locator("#task-form").is_hidden()
    assert dialogs == []
    anna = await gateway.login("anna")
    tasks = (await (await anna.get("/api/v1/tasks")).json())["tasks"]
    assert [(t["title"], t["due_ms"], t["agent_id"], t["author"]) for t in tasks] == [
        ("Call Müller back about the offer", tomorrow[1], "anna", "sam")
    ]
    assert tasks[0]["reminders"] == [3600] and tasks[0]["recurrence"] == {"every": 2, "unit": "weeks"}


async def test_an_agent_sees_an_outbound_preview_with_its_script_and_accepting_it_dials_it(
    backend_addrs, quiet_stats, gateway
):
    await setup_team(gateway)  # anna and boris in sales, logged in
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        sales = pb.Queue(name="sales", outbound_pbx="dialer")
        sales.ring_timeout.FromMilliseconds(120_000)  # nothing expires on a busy machine
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=sales))
        await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number="+4930111", name="Frau Kühn")))
        base = base_url(gateway)
        async with PbxClient(router, "dialer", lease_ms=10_000) as pbx, browser_page() as page:
            dialogs = no_dialogs(page)
            await log_in(page, base, "anna")
            await page.goto(base + "/agents/anna")
            await page.locator("body[data-outbound=ready]").wait_for()
            await page.locator("#live[data-state=live]").wait_for()
            assert await page.locator("#preview-card").is_hidden()
            # a supervisor's click-to-call for anna: the live feed brings the preview to her page
            sam = await gateway.login("sam")
            body = {"number": "+4930111", "agent_id": "anna"}
            reply = await sam.post("/api/v1/outbound/calls", json=body, headers=csrf(sam))
            assert reply.status == 201, await reply.text()
            call_id = (await reply.json())["call"]["call_id"]
            card = page.locator("#preview-card:not([hidden])")
            await card.wait_for()
            assert await page.text_content("#preview-number") == "+4930111"
            assert await page.text_content("#preview-client") == "Frau Kühn"
            await check_layout(page, "agent-preview")
            await page.click("#preview-accept")
            await page.locator("#preview-status[data-state=dialing]").wait_for()
            assert await page.locator("#preview-card").is_hidden()
            originate = await pbx.next_event(call_id, pb.PBX_CALL_EVENT_KIND_ORIGINATE)
            assert originate.call.offer.endpoint == "sip:anna@pbx"
            got = (await router.GetCall(pb.GetCallRequest(call_id=call_id))).call
            assert got.state == st.CALL_STATE_DIALING
            # a callback scheduled on the page is listed, and cancelled there
            form = page.locator("#callback-form")
            await form.locator("input[name=number]").fill("+4930222")
            tomorrow = await page.evaluate(
                "() => { const d = new Date(Date.now() + 86400000); const p = (n) => String(n).padStart(2, '0');"
                " return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T10:00`; }"
            )
            await form.locator("input[name=due]").fill(tomorrow)
            await form.locator("input[name=note]").fill("about the offer")
            await form.locator("button[type=submit]").click()
            row = page.locator("#callbacks tbody tr[data-state=scheduled]")
            await row.wait_for()
            assert "+4930222" in await row.text_content() and "about the offer" in await row.text_content()
            await page.evaluate("window.scrollTo(0, 0)")
            await check_layout(page, "agent-callbacks")
            await row.locator("button.cancel").click()
            await page.locator("#callbacks tbody tr.empty").wait_for()
            # the click-to-call field: a number on the do-not-call list is refused in the page
            root = await gateway.login("root")
            reply = await root.post("/api/v1/do-not-call", json={"numbers": ["+4930999"]}, headers=csrf(root))
            assert reply.status == 200, await reply.text()
            await page.fill("#call-form input[name=number]", "+4930999")
            await page.click("#call-form button[type=submit]")
            await page.locator("#call-error:not([hidden])").wait_for()
    assert dialogs == []
