"""The conversations page end to end in real headless Chromium, against a real router, stats
service and gateway (issue 21; S3.1, S3.4): the supervisor sees an overdue chat in red on the
board, opens it from the list (overdue ones first; "overdue only" leaves just it; a chat waiting
in the line says whom its routing stage waits for) and takes it;
the conversation then shows the supervisor's own agent as its holder, as the router has it.
Today's figures show beside, with a CSV download of the group chosen. The page fits a phone."""

from __future__ import annotations

import pytest

from callcenter.api.router.v1 import conversations_pb2 as cpb
from tests.browser import base_url, browser_page, check_layout, log_in, screenshot
from tests.conversation_control_scenes import scene, stubs


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_the_supervisor_opens_an_overdue_chat_from_the_board_and_takes_it(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()  # the board is current when the page first asks
    async with browser_page() as page:
        await log_in(page, base_url(gateway), "sam")
        await page.goto(base_url(gateway) + "/conversations")
        overdue = page.locator('#conv-queues tr[data-queue="chat"] td.overdue')
        await overdue.wait_for()
        assert (await overdue.text_content()) == "1"
        assert await page.locator('#conv-queues tr[data-queue="mail"] td.overdue').count() == 0
        red = await overdue.evaluate("cell => getComputedStyle(cell).color")
        assert red == "rgb(197, 48, 48)"  # var(--bad)
        assert await page.locator('#conv-agents tr[data-agent="anna"] td.overdue').count() == 1
        await page.locator('#live[data-state="live"]').wait_for()
        mail = page.locator('#conv-figures tr[data-key="mail"] td').first
        await mail.wait_for()
        assert await mail.text_content() == "3"  # today's conversations created in mail
        # the figures shown as a download: by the group chosen, the same rows
        await page.locator('#figures-form select[name="group_by"]').select_option("channel")
        await page.locator('#conv-figures tr[data-key="email"]').wait_for()
        href = await page.locator("#figures-csv").get_attribute("href")
        assert href.startswith("/api/v1/export/conversations.csv?group_by=channel&tz="), href
        download = await page.request.get(base_url(gateway) + href)
        assert download.status == 200 and download.headers["content-type"].startswith("text/csv")
        lines = (await download.text()).lstrip("\ufeff").splitlines()
        assert [line.split(",")[0] for line in lines] == ["Channel", "email", "webchat"]

        row = page.locator('#conversations tr.overdue[data-conversation="c1"]')
        await row.wait_for()
        first = page.locator("#conversations tbody tr").first
        assert await first.get_attribute("data-conversation") == "c1"  # overdue ones first
        overdue_only = page.locator('#conv-filters input[name="overdue_only"]')
        await overdue_only.check()
        await page.locator('#conversations tr[data-conversation="m1"]').wait_for(state="detached")
        assert await page.locator("#conversations tbody tr").count() == 1
        await overdue_only.uncheck()
        await page.locator('#conversations tr[data-conversation="m1"]').wait_for()
        waiting = page.locator('#conversations tr[data-conversation="m3"] td.state')  # dora is full: in the line
        assert await waiting.text_content() == "New · waiting for: any agent"
        assert await waiting.get_attribute("data-stage") == "anyone"
        taken = page.locator('#conversations tr[data-conversation="m1"] td.state')
        assert await taken.text_content() == "Taken"
        await row.locator('button[data-action="open"]').click()
        opened = page.locator('#conversation[data-conversation="c1"]')
        await opened.wait_for()
        assert await page.locator("#holder").get_attribute("data-agent") == "anna"
        assert await page.locator("#messages li").count() == 2
        await check_layout(page, "conversations-page")

        await opened.locator('button[data-action="take"]').click()
        await page.locator('#holder[data-agent="sam-agent"]').wait_for()
        assert await page.locator("#conversation-error").is_hidden()
        await page.locator('#conversations tr[data-conversation="c1"] td', has_text="sam-agent").wait_for()
        await screenshot(page, "conversations-page-taken")

        await opened.locator('button[data-action="close"]').click()
        await page.locator("#conv-state", has_text="Closed · by a supervisor").wait_for()
        assert await opened.locator('button[data-action="take"]').is_disabled()
    async with stubs(gateway) as (_, conv):
        c1 = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="c1"))).conversation
    assert (c1.agent_id, c1.state, c1.close_reason) == ("sam-agent", cpb.CONVERSATION_STATE_CLOSED, "supervisor")
