"""The agent page's chats (issue 21) end to end in real headless Chromium, over a real gateway,
router and stats: a widget's message opens a chat that appears on the agent's page at once (the
live feed) and is highlighted once overdue; the agent opens one, sees a supervisor's note marked
as one, replies, and the widget reads the reply; Close ends it; the customer card shows it; an
admin creates a messaging user on the admin page."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from tests.browser import base_url, browser_page, check_layout, log_in
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team
from tests.pbx_session_client import ms

BASE = "/api/v1/conversations"


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_an_agent_opens_a_chat_on_their_page_replies_and_the_message_shows(backend_addrs, gateway):
    await setup_team(gateway)
    await gateway.users.create("csilla", PASSWORD, "agent", agent_id="csilla")
    await gateway.users.create("widget", PASSWORD, "messaging", teams=("support",))
    widget = await gateway.login("widget")

    async def customer(conversation_id: str, message_id: str, text: str, **fields) -> None:
        body = {"conversation_id": conversation_id, "channel": "webchat", "queue": "support", "message_id": message_id}
        reply = await widget.post(BASE + "/messages", json={**body, "text": text, **fields}, headers=csrf(widget))
        assert reply.status == 200, await reply.text()

    await customer("chat-1", "m1", "where is my parcel?", topic="delivery", client_number="+4930111")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = conversations_pb2_grpc.ConversationServiceStub(channel)
        await stub.PostSupervisorMessage(
            cpb.PostSupervisorMessageRequest(conversation_id="chat-1", message_id="n1", text="be kind", note=True)
        )
    base = base_url(gateway)
    async with browser_page() as page:
        await log_in(page, base, "csilla")
        await page.goto(base + "/agents/csilla")
        await page.locator("body[data-chats=ready]").wait_for()
        row = page.locator('#chats tbody tr[data-conversation="chat-1"]')
        await row.wait_for()
        assert "delivery" in await row.text_content() and "webchat" in await row.text_content()
        # a new chat appears by the live feed, without a reload, and is highlighted once overdue
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            queues = router_pb2_grpc.RouterServiceStub(channel)
            await queues.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="support", first_response=ms(200))))
        await customer("chat-2", "m1", "hello?")
        await page.locator('#chats tbody tr[data-conversation="chat-2"].overdue').wait_for()
        assert "overdue" in await page.text_content('#chats tbody tr[data-conversation="chat-2"]')
        assert not await page.locator('#chats tbody tr[data-conversation="chat-1"].overdue').count()

        await row.locator("button.open-chat").click()
        await page.locator('#chat[data-conversation="chat-1"]').wait_for()
        messages = page.locator("#chat-messages li")
        assert await messages.evaluate_all("ms => ms.map(m => m.dataset.author)") == ["customer", "note"]
        assert "Note from a supervisor" in await page.text_content('#chat-messages li[data-author="note"]')
        await page.fill("#chat-reply textarea", "It is on its way.")
        await page.click("#chat-reply button[type=submit]")
        await page.locator('#chat-messages li[data-author="agent"]').wait_for()
        assert "It is on its way." in await page.text_content('#chat-messages li[data-author="agent"]')
        await page.locator('#chats tbody tr[data-conversation="chat-1"][data-state="answered"]').wait_for()
        await check_layout(page, "agent-chats")

        shown = await (await widget.get(f"{BASE}/chat-1/messages", params={"after": "m1"})).json()
        assert [(m["author"], m["text"]) for m in shown["messages"]] == [("agent", "It is on its way.")]

        # the customer writes again: the open chat shows it by the live feed
        await customer("chat-1", "m2", "thanks!")
        await page.locator('#chat-messages li[data-message="m2"]').wait_for()

        await page.click("#chat-close")
        await page.locator("#chat").wait_for(state="hidden")
        await page.locator('#chats tbody tr[data-conversation="chat-1"]').wait_for(state="detached")
        assert await page.locator("#chat-error").is_hidden()
        # the customer card shows the chat with its newest messages
        await page.goto(base + "/clients/" + "%2B4930111")
        card_row = page.locator('#conversations tbody tr[data-conversation="chat-1"]')
        await card_row.wait_for()
        assert "It is on its way." in await card_row.text_content()
        await check_layout(page, "client-card-chats")
    closed = await (await widget.get(f"{BASE}/chat-1/messages")).json()
    assert closed["state"] == "closed"


async def test_an_admin_creates_a_messaging_user_on_the_admin_page(backend_addrs, gateway):
    from callcenter.services.gateway.users import ROLES

    await setup_team(gateway)
    base = base_url(gateway)
    async with browser_page() as page:
        await log_in(page, base, "root")
        await page.goto(base + "/admin")
        form = page.locator("#user-form")
        await form.locator('[name="role"] option').first.wait_for(state="attached")
        offered = await form.locator('[name="role"] option').evaluate_all("os => os.map(o => o.value)")
        assert sorted(offered) == sorted(ROLES)  # every role the gateway has, no other
        await form.locator('[name="username"]').fill("widget")
        await form.locator('[name="password"]').fill(PASSWORD)
        await form.locator('[name="role"]').select_option("messaging")
        await form.locator('input[name="teams"][value="support"]').check()  # the queue it serves
        await form.locator('[name="channels"]').fill("webchat, telegram")
        await form.locator("button[type=submit]").click()
        await form.locator(".form-status").filter(has_text="User created.").wait_for()
    user = await gateway.users.get("widget")
    assert (user.role, user.agent_id, user.teams, user.channels) == (
        "messaging",
        "",
        ("support",),
        ("webchat", "telegram"),
    )
