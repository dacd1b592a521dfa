"""An agent's tasks on the board in real headless Chromium: a reminder firing (the gateway's task
timer, by the Redis clock) shows in the agent's list without a reload within a second, and
Done takes the task off the list."""

from __future__ import annotations

import time

import pytest

from tests.browser import base_url, browser_page, check_layout, log_in
from tests.gateway_fixtures import csrf
from tests.gateway_scenes import setup_team
from tests.helpers import event_types, read_events


@pytest.fixture
async def full_backends(start_stats, start_recorder):
    stats = await start_stats()
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def test_a_reminder_shows_in_the_agents_list_within_a_second_and_done_removes_it(
    full_backends, gateway, redis, tenant
):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    seconds, _ = await redis.time()
    due_ms = (int(seconds) + 63) * 1000  # the reminder, a minute before due, comes in about 3 s
    reply = await sam.post(
        "/api/v1/tasks",
        json={
            "title": "Call Mrs Berg back",
            "subject_kind": "client",
            "subject_id": "+4930123",
            "agent_id": "anna",
            "due_ms": due_ms,
            "reminders": [60],
        },
        headers=csrf(sam),
    )
    assert reply.status == 201, await reply.text()
    task_id = (await reply.json())["task"]["id"]
    async with browser_page() as page:
        await log_in(page, base_url(gateway), "anna")
        item = page.locator(f'#tasks li[data-task="{task_id}"]')
        await item.wait_for()
        assert "Call Mrs Berg back" in await item.inner_text() and "Client +4930123" in await item.inner_text()
        assert "due in" in await item.inner_text()
        await page.locator('#live[data-state="live"]').wait_for(timeout=5000)
        await page.locator(f'#tasks li[data-task="{task_id}"][data-reminded="1"]').wait_for(timeout=10_000)
        seen_ms = time.time() * 1000
        [fired] = [e for e in await read_events(redis, tenant) if event_types([e]) == ["TASK_REMINDER"]]
        late_ms = seen_ms - fired.time.ToMilliseconds()
        print(f"reminder shown {late_ms:.0f} ms after it fired")
        assert late_ms < 1000
        await check_layout(page, "board-tasks")
        await item.get_by_role("button", name="Done").click()
        await item.wait_for(state="detached", timeout=5000)
    assert event_types(await read_events(redis, tenant))[-1] == "TASK_DONE"
