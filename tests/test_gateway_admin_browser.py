"""End to end in real headless Chromium: an admin edits a queue's rule and the pause reasons
through the admin page's forms (a bad value shows its error beside its field, no dialog ever
opens), a wallboard link shows tiles that follow a waiting call live on a TV-sized screen without
scrolling, and the pages fit a phone."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.browser import base_url, browser_page, check_layout, log_in, screenshot
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


@pytest.fixture
async def team(backend_addrs, gateway):
    await setup_team(gateway)
    return gateway


def no_dialogs(page) -> list:
    """Every dialog the page opens (alert, confirm, prompt) is recorded and dismissed: none may."""
    opened: list = []

    async def dismiss(dialog) -> None:
        opened.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


async def _router(gateway):
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}")
    return channel, router_pb2_grpc.RouterServiceStub(channel)


async def test_an_admin_edits_a_queue_rule_and_the_pause_reasons_through_the_forms(team):
    gateway, base = team, base_url(team)
    async with browser_page() as page:
        dialogs = no_dialogs(page)
        await log_in(page, base, "root")
        await page.goto(base + "/admin#queues")
        await page.locator('#queues-table tr[data-queue="sales"] button[data-action="Edit"]').click()
        form = page.locator("#queue-form")
        await form.locator('[name="ring_timeout_s"]').fill("9")
        await form.locator('[name="strategy"]').select_option("round_robin")
        await form.locator('button[type="submit"]').click()
        await form.locator(".form-status", has_text="Rules saved.").wait_for()
        channel, stub = await _router(gateway)
        async with channel:
            queue = (await stub.GetQueue(pb.GetQueueRequest(name="sales"))).queue
            assert (queue.ring_timeout.seconds, queue.strategy) == (9, pb.STRATEGY_ROUND_ROBIN)
            # A bad value: the API's 400 names the field, whose input is marked with the message beside it.
            await form.locator('[name="wrap_up_s"]').fill("99999999")
            await form.locator('button[type="submit"]').click()
            await form.locator('[name="wrap_up_s"][aria-invalid="true"]').wait_for()
            error = form.locator('.field:has([name="wrap_up_s"]) .field-error')
            assert "at most" in await error.text_content()
            assert (await stub.GetQueue(pb.GetQueueRequest(name="sales"))).queue.wrap_up.seconds == 180
            await check_layout(page, "admin")

            await page.locator('[role=tab][data-tab="pause-reasons"]').click()
            reasons = page.locator("#reasons-form")
            await reasons.locator(".reason-row").first.wait_for()
            await page.locator("#add-reason").click()
            row = reasons.locator(".reason-row").last
            await row.locator('[data-part="code"]').fill("coffee")
            await row.locator('[data-part="label"]').fill("Coffee break")
            await reasons.locator('button[type="submit"]').click()
            await reasons.locator(".form-status", has_text="Pause reasons saved.").wait_for()
            listed = (await stub.ListPauseReasons(pb.ListPauseReasonsRequest())).reasons
            assert ("coffee", "Coffee break") in [(r.code, r.label) for r in listed]
            await row.locator('[data-part="code"]').fill("no spaces allowed")
            await reasons.locator('button[type="submit"]').click()
            await row.locator('[data-part="code"][aria-invalid="true"]').wait_for()
            assert await row.locator(".field-error").first.text_content()
            await screenshot(page, "admin-pause-reasons")
        assert dialogs == []


async def test_an_admin_moves_a_supervisor_to_another_team_through_the_users_form(team):
    gateway, base = team, base_url(team)
    root = await gateway.login("root")
    async with browser_page() as page:
        dialogs = no_dialogs(page)
        await log_in(page, base, "root")
        await page.goto(base + "/admin#users")
        form = page.locator('form[data-profile-for="sam"]')
        await form.locator('input[name="teams"][value="sales"]').uncheck()
        await form.locator('input[name="teams"][value="support"]').check()
        await form.locator('button[type="submit"]').click()
        await page.locator('#users-table tr[data-user="sam"] td', has_text="support").first.wait_for()
        users = (await (await root.get("/api/v1/users")).json())["users"]
        assert next(u for u in users if u["username"] == "sam")["teams"] == ["support"]
        # A supervisor without a team: the API's 400 names teams, shown beside the checkboxes.
        form = page.locator('form[data-profile-for="sam"]')
        await form.locator('input[name="teams"][value="support"]').uncheck()
        await form.locator('button[type="submit"]').click()
        await form.locator(".field-error", has_text="team").wait_for()
        assert dialogs == []


async def test_an_admin_sets_a_queues_alert_thresholds_and_resets_them(team):
    gateway, base = team, base_url(team)
    root = await gateway.login("root")
    async with browser_page() as page:
        dialogs = no_dialogs(page)
        await log_in(page, base, "root")
        await page.goto(base + "/admin#thresholds")
        form = page.locator('form[data-thresholds-for="sales"]')
        await form.locator('[name="longest_wait_max_s"]').fill("45")
        await form.locator('button[type="submit"]').click()
        await form.locator(".form-status", has_text="Saved.").wait_for()
        sales = next(
            q for q in (await (await root.get("/api/v1/thresholds")).json())["queues"] if q["queue"] == "sales"
        )
        assert (sales["longest_wait_max_s"], sales["custom"]) == (45, True)
        await form.locator('[name="abandoned_max_percent"]').fill("-5")
        await form.locator('button[type="submit"]').click()
        await form.locator('[name="abandoned_max_percent"][aria-invalid="true"]').wait_for()
        await page.locator('form[data-thresholds-for="sales"] button[data-action="Reset"]').click()
        await page.locator('form[data-thresholds-for="sales"] h3', has_text="defaults").wait_for()
        sales = next(
            q for q in (await (await root.get("/api/v1/thresholds")).json())["queues"] if q["queue"] == "sales"
        )
        assert sales["custom"] is False
        assert dialogs == []


async def test_a_wallboard_link_shows_tiles_that_follow_a_waiting_call_live(team):
    gateway, base = team, base_url(team)
    root = await gateway.login("root")
    created = await root.post(
        "/api/v1/wallboards", json={"name": "Sales floor", "queues": ["sales"]}, headers=csrf(root)
    )
    assert created.status == 201, await created.text()
    path = (await created.json())["path"]
    async with browser_page() as page:  # no session: the link alone
        dialogs = no_dialogs(page)
        await page.goto(base + path)
        waiting = page.locator('.wb-queue[data-queue="sales"] [data-tile="waiting"] b')
        await waiting.wait_for()
        assert await waiting.text_content() == "0"
        assert await page.locator("#wb-title").text_content() == "Sales floor"
        await page.locator('#live[data-state="live"]').wait_for(timeout=10_000)
        channel, stub = await _router(gateway)
        async with channel:
            for agent_id in ("anna", "boris"):
                await stub.PauseAgent(pb.PauseAgentRequest(agent_id=agent_id, reason="lunch"))
            await page.locator('.wb-queue[data-queue="sales"] [data-tile="available_agents"] b', has_text="0").wait_for(
                timeout=10_000
            )
            await stub.RouteCall(pb.RouteCallRequest(call_id="tv-1", caller="+491", queue="sales"))
            await page.locator('.wb-queue[data-queue="sales"] [data-tile="waiting"] b', has_text="1").wait_for(
                timeout=10_000
            )
        assert await page.locator(".wb-queue").count() == 1  # only the link's queue
        await check_layout(page, "wallboard")
        assert dialogs == []


async def test_a_wallboard_of_four_queues_fills_a_tv_screen_without_scrolling(team):
    gateway, base = team, base_url(team)
    root = await gateway.login("root")
    for name in ("billing", "returns"):
        reply = await root.put(f"/api/v1/queues/{name}", json={}, headers=csrf(root))
        assert reply.status == 200
    queues = ["sales", "support", "billing", "returns"]
    created = await root.post("/api/v1/wallboards", json={"name": "Floor", "queues": queues}, headers=csrf(root))
    path = (await created.json())["path"]
    async with browser_page() as page:
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.goto(base + path)
        await page.locator(".wb-queue").nth(3).wait_for()
        assert await page.locator(".wb-queue").count() == 4
        await page.locator('#live[data-state="live"]').wait_for(timeout=10_000)
        await screenshot(page, "wallboard-tv")
        overflow = await page.evaluate(
            "() => [document.documentElement.scrollHeight - innerHeight,"
            " document.documentElement.scrollWidth - innerWidth]"
        )
        assert overflow == [0, 0]
        # Every tile's number is drawn inside its tile (big type, nothing cut off by the screen).
        clipped = await page.evaluate(
            """() => [...document.querySelectorAll('.wb-tile b')].filter((b) => {
                const r = b.getBoundingClientRect(); return r.bottom > innerHeight || r.right > innerWidth; }).length"""
        )
        assert clipped == 0


async def test_a_supervisor_opens_the_wallboard_of_their_queues_with_their_session(team):
    base = base_url(team)
    async with browser_page() as page:
        await log_in(page, base, "sam")
        await page.goto(base + "/wallboard?queues=sales")
        await page.locator('.wb-queue[data-queue="sales"] [data-tile="waiting"] b').wait_for()
        await page.locator('#live[data-state="live"]').wait_for(timeout=10_000)
        assert await page.locator(".wb-queue").count() == 1


async def test_the_login_board_and_call_records_pages_fit_a_phone(team):
    base = base_url(team)
    async with browser_page() as page:
        await page.goto(base + "/login")
        await check_layout(page, "login")
        icon = await page.evaluate("() => document.querySelector('link[rel=icon]').href")
        assert icon.endswith("/static/favicon.svg")
        await log_in(page, base, "sam")
        await page.locator('tr[data-agent="anna"]').wait_for()
        await check_layout(page, "board")
        await page.goto(base + "/calls")
        await page.locator("#calls").wait_for()
        await check_layout(page, "calls")
    reply = await team.client.get("/favicon.ico")
    assert (reply.status, reply.content_type) == (200, "image/svg+xml")
