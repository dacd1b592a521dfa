"""The conversations tiles (issue 21) in real headless Chromium, over a real gateway,
router and a running stats service: a supervisor's board shows their queues' open, new,
unanswered and overdue conversations, the overdue count in red, linking to /conversations, and
follows a new chat going overdue by the live feed, without a reload; a wallboard shows the chat
tiles (overdue in red) on the queues with conversations only, and still fits a 1080p TV."""

from __future__ import annotations

import pytest

from tests.browser import base_url, browser_page, log_in, screenshot
from tests.conversation_control_scenes import post, scene, stubs
from tests.gateway_fixtures import csrf


@pytest.fixture
async def backend_addrs(start_stats):
    stats = await start_stats()
    return {"stats_addr": f"127.0.0.1:{stats.port}"}


def tile(page, key: str):
    return page.locator(f'#conversations a.tile[data-conversations="{key}"]')


async def test_the_dashboard_tile_shows_the_overdue_conversations_in_red_and_follows_them_live(
    backend_addrs, gateway, redis, tenant
):
    await scene(gateway, redis, tenant)  # chat: c1 overdue; mail: m1, m2 and m3 (new)
    base = base_url(gateway)
    async with browser_page() as page:
        await log_in(page, base, "sam")
        await page.locator('#live[data-state="live"]').wait_for(timeout=5000)
        overdue = tile(page, "overdue")
        await overdue.locator("b", has_text="1").wait_for(timeout=5000)
        assert "bad" in (await overdue.get_attribute("class")).split()
        color = await overdue.evaluate("node => getComputedStyle(node).color")
        assert color == await page.evaluate(
            "() => { const p = document.createElement('p'); p.className = 'bad'; document.body.append(p);"
            " const c = getComputedStyle(p).color; p.remove(); return c; }"
        )  # the stylesheet's red
        assert await overdue.get_attribute("href") == "/conversations"
        for key, count in (("open", "4"), ("new", "1"), ("unanswered", "1")):
            assert await tile(page, key).locator("b").text_content() == count, key
            assert "bad" not in (await tile(page, key).get_attribute("class")).split()
        # a new chat reaches boris or sam-agent, is unanswered past its 200 ms deadline: live
        async with stubs(gateway) as (_, conv):
            await post(conv, "c2", "c2-m1", "chat", "webchat", "delivery", "anyone there?")
        await tile(page, "open").locator("b", has_text="5").wait_for(timeout=5000)
        await overdue.locator("b", has_text="2").wait_for(timeout=5000)
        await screenshot(page, "dashboard-conversations")
        await overdue.click()
        await page.wait_for_url(base + "/conversations")


async def test_a_wallboard_shows_chat_tiles_only_on_queues_with_conversations_and_still_fits_a_tv(
    backend_addrs, gateway, redis, tenant
):
    await scene(gateway, redis, tenant)
    root = await gateway.login("root")
    body = {"name": "Chats", "queues": ["chat", "mail", "support"]}
    path = (await (await root.post("/api/v1/wallboards", json=body, headers=csrf(root))).json())["path"]
    async with browser_page() as page:
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.goto(base_url(gateway) + path)
        chat = page.locator('.wb-queue[data-queue="chat"]')
        overdue = chat.locator('[data-tile="conversations_overdue"]')
        await overdue.locator("b", has_text="1").wait_for(timeout=5000)
        assert await overdue.get_attribute("data-tone") == "bad"
        mail = page.locator('.wb-queue[data-queue="mail"]')
        assert await mail.locator('[data-tile="conversations_open_new"] b').text_content() == "3 / 1"
        assert await mail.locator('[data-tile="conversations_overdue"]').get_attribute("data-tone") is None
        support = page.locator('.wb-queue[data-queue="support"]')
        assert await support.locator(".wb-tile").count() == 6  # no conversations: a calls queue's panel
        await screenshot(page, "wallboard-chats")
        overflow = await page.evaluate(
            "() => [document.documentElement.scrollHeight - innerHeight,"
            " document.documentElement.scrollWidth - innerWidth]"
        )
        assert overflow == [0, 0]
        clipped = await page.evaluate(
            """() => [...document.querySelectorAll('.wb-tile b')].filter((b) => {
                const r = b.getBoundingClientRect(), t = b.parentElement.getBoundingClientRect();
                return r.bottom > t.bottom + 1 || r.bottom > innerHeight; }).length"""
        )
        assert clipped == 0
