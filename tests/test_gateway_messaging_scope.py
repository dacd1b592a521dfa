"""A messaging user (a chat widget's backend) is held to the queues it serves, and follows one
conversation's customer-visible messages as server-sent events: on a real gateway, router and
Redis. Another queue's post is a 403 naming `queue`, another queue's conversation a 404 (never
its content); the stream delivers the agent's and a supervisor's replies but never a note,
resumes after Last-Event-ID without repeats, ends after the close, and is bounded per user."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.services.gateway.config import Quotas
from tests.gateway_fixtures import PASSWORD, csrf

BASE = "/api/v1/conversations"
pytestmark = pytest.mark.usefixtures("gateway_quotas")  # named, so the gateway fixture takes them


@pytest.fixture
def gateway_quotas():
    """Two conversation streams per user (the gateway fixture takes them)."""
    return Quotas(conversation_streams_per_user=2)


@pytest.fixture
async def desk(gateway):
    """Queues chat (agent ivan) and mail (agent mia); the widget's backend "chat-widget"
    serving chat and "mail-widget" serving mail; ivan's user, sue supervising chat, root."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        for queue in ("chat", "mail"):
            await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue)))
        for agent_id, queue in (("ivan", "chat"), ("mia", "mail")):
            agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue])
            await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
            await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
    users = gateway.users
    await users.create("root", PASSWORD, "admin")
    await users.create("sue", PASSWORD, "supervisor", teams=("chat",))
    await users.create("ivan", PASSWORD, "agent", agent_id="ivan")
    await users.create("chat-widget", PASSWORD, "messaging", teams=("chat",))
    await users.create("mail-widget", PASSWORD, "messaging", teams=("mail",))
    await users.create("web-widget", PASSWORD, "messaging", teams=("chat",), channels=("webchat",))
    gateway.widget = await gateway.login("chat-widget")
    gateway.mail = await gateway.login("mail-widget")
    return gateway


async def post(
    client, conversation_id: str, message_id: str, queue: str = "chat", text: str = "hello", channel: str = "webchat"
):
    body = {"conversation_id": conversation_id, "channel": channel, "queue": queue, "message_id": message_id}
    return await client.post(BASE + "/messages", json={**body, "text": text}, headers=csrf(client))


async def opened(client, conversation_id: str, queue: str = "chat") -> dict:
    reply = await post(client, conversation_id, f"{conversation_id}-m1", queue)
    assert reply.status == 200, await reply.text()
    return (await reply.json())["conversation"]


async def say(client, conversation_id: str, route: str, message_id: str, text: str) -> None:
    """An agent's reply (route reply) or a supervisor's (supervisor-reply, note)."""
    body = {"message_id": message_id, "text": text}
    reply = await client.post(f"{BASE}/{conversation_id}/{route}", json=body, headers=csrf(client))
    assert reply.status == 200, await reply.text()


async def next_sse(reply, timeout: float = 5.0) -> dict | None:
    """The next event of a server-sent-events response ({id, event, data}; comments skipped),
    None when the server ended the stream."""

    async def read() -> dict | None:
        event: dict = {}
        while True:
            line = (await reply.content.readline()).decode()
            if not line:
                return None
            line = line.rstrip("\n")
            if not line:
                if "data" in event:
                    return event
                event = {}
                continue
            name, _, value = line.partition(": ")
            if name in ("id", "event", "data"):
                event[name] = json.loads(value) if name == "data" else value

    return await asyncio.wait_for(read(), timeout)


def stream_of(client, conversation_id: str, **headers):
    return client.get(f"{BASE}/{conversation_id}/messages/stream", headers=headers)


# Scope -----------------------------------------------------------------------------------------


async def test_a_messaging_user_of_chat_cannot_post_to_mail_nor_read_a_mail_conversation(desk):
    assert (await opened(desk.widget, "c-1"))["queue"] == "chat"
    refused = await post(desk.widget, "c-2", "c-2-m1", queue="mail")
    assert refused.status == 403, await refused.text()
    assert (await refused.json())["field"] == "queue"

    await opened(desk.mail, "m-1", queue="mail")
    await say(await desk.login("root"), "m-1", "supervisor-reply", "s1", "your parcel left today")
    for reply in (
        await desk.widget.get(f"{BASE}/m-1/messages"),
        await desk.widget.get(f"{BASE}/m-1/messages/stream"),
        await post(desk.widget, "m-1", "m-1-m2", queue="chat", text="slipped in"),  # a later message of mail's
    ):
        assert reply.status == 404, await reply.text()
        assert "parcel" not in await reply.text()
    assert (await desk.widget.get(f"{BASE}/never-was/messages")).status == 404  # the same answer
    mails = await (await desk.mail.get(f"{BASE}/m-1/messages")).json()
    assert [m["message_id"] for m in mails["messages"]] == ["m-1-m1", "s1"]  # nothing slipped in


async def test_a_messaging_user_of_webchat_cannot_post_to_telegram_nor_read_a_telegram_chat_of_its_queue(desk):
    web = await desk.login("web-widget")
    assert (await post(web, "w-1", "w-1-m1")).status == 200
    refused = await post(web, "t-1", "t-1-m1", channel="telegram")
    assert refused.status == 403 and (await refused.json())["field"] == "channel"
    malformed = await post(web, "t-1", "t-1-m1", channel="no spaces")
    assert malformed.status == 400 and (await malformed.json())["field"] == "channel"
    assert (await post(desk.widget, "t-1", "t-1-m1", channel="telegram", text="secret")).status == 200  # every channel
    for reply in (
        await web.get(f"{BASE}/t-1/messages"),
        await web.get(f"{BASE}/t-1/messages/stream"),
        await post(web, "t-1", "t-1-m2", channel="webchat"),
    ):
        assert reply.status == 404 and "secret" not in await reply.text()
    root = await desk.login("root")
    body = {"username": "sup-2", "password": PASSWORD, "role": "supervisor", "teams": ["chat"]}
    refused = await root.post("/api/v1/users", json={**body, "channels": ["webchat"]}, headers=csrf(root))
    assert refused.status == 400 and (await refused.json())["field"] == "channels"  # a messaging user's only
    bad = {**body, "username": "w-3", "role": "messaging", "channels": ["no spaces"]}
    refused = await root.post("/api/v1/users", json=bad, headers=csrf(root))
    assert refused.status == 400 and (await refused.json())["field"] == "channels"
    listed = await (await root.get("/api/v1/users")).json()
    assert next(u for u in listed["users"] if u["username"] == "web-widget")["channels"] == ["webchat"]


async def test_a_messaging_user_without_queues_is_refused_at_creation_naming_teams(desk):
    root = await desk.login("root")
    body = {"username": "widget-2", "password": PASSWORD, "role": "messaging"}
    reply = await root.post("/api/v1/users", json=body, headers=csrf(root))
    assert reply.status == 400 and (await reply.json())["field"] == "teams"
    from callcenter.services.gateway.users import UserError

    with pytest.raises(UserError) as refused:  # the CLI's way (callcenter user create)
        await desk.users.create("widget-2", PASSWORD, "messaging")
    assert refused.value.field == "teams"


async def test_an_old_messaging_user_stored_without_teams_logs_in_and_serves_no_queue_until_given_one(desk):
    await opened(desk.widget, "c-1")
    await desk.users.create("old-widget", PASSWORD, "messaging", teams=("chat",))
    key = desk.users._key("old-widget")
    # as a record of a gateway before messaging users had queues and channels
    await desk.users.redis.hdel(key, "teams", "channels")
    old = await desk.login("old-widget")
    me = await (await old.get("/api/v1/me")).json()
    assert (me["user"]["role"], me["user"]["teams"], me["user"]["channels"]) == ("messaging", [], [])
    refused = await post(old, "c-9", "c-9-m1")
    assert refused.status == 403 and (await refused.json())["field"] == "queue"
    assert (await old.get(f"{BASE}/c-1/messages")).status == 404
    listed = await (await (await desk.login("root")).get("/api/v1/users")).json()
    assert next(u for u in listed["users"] if u["username"] == "old-widget")["teams"] == []

    root = await desk.login("root")
    given = await root.put(
        "/api/v1/users/old-widget", json={"role": "messaging", "teams": ["chat"]}, headers=csrf(root)
    )
    assert given.status == 200, await given.text()
    again = await desk.login("old-widget")  # the change ended its sessions
    assert [m["message_id"] for m in (await (await again.get(f"{BASE}/c-1/messages")).json())["messages"]] == ["c-1-m1"]


# The stream ------------------------------------------------------------------------------------


async def test_the_stream_delivers_replies_never_a_note_resumes_after_last_event_id_and_ends_after_the_close(desk):
    assert (await opened(desk.widget, "c-1"))["agent_id"] == "ivan"
    ivan, sue = await desk.login("ivan"), await desk.login("sue")
    received: list[dict] = []
    async with stream_of(desk.widget, "c-1") as first:
        assert first.status == 200 and first.headers["Content-Type"] == "text/event-stream"
        received.append(await next_sse(first))
        assert (received[-1]["id"], received[-1]["data"]["author"]) == ("c-1-m1", "customer")
        await say(ivan, "c-1", "reply", "r1", "how can I help?")
        received.append(await next_sse(first))
        assert (received[-1]["id"], received[-1]["data"]["author"], received[-1]["data"]["text"]) == (
            "r1",
            "agent",
            "how can I help?",
        )
        await say(sue, "c-1", "note", "n1", "offer the discount")
        await say(sue, "c-1", "supervisor-reply", "s1", "a supervisor here")
        received.append(await next_sse(first))
        assert (received[-1]["id"], received[-1]["data"]["author"]) == ("s1", "supervisor")
    await say(ivan, "c-1", "reply", "r2", "written while the widget was away")

    async with stream_of(desk.widget, "c-1", **{"Last-Event-ID": "s1"}) as second:
        assert second.status == 200
        received.append(await next_sse(second))
        assert received[-1]["id"] == "r2"  # nothing again of before s1, nothing lost after it
        assert (await post(desk.widget, "c-1", "c-1-m2", text="thanks")).status == 200
        received.append(await next_sse(second))
        assert received[-1]["id"] == "c-1-m2"
        closed = await ivan.post(f"{BASE}/c-1/close", headers=csrf(ivan))
        assert closed.status == 200
        end = await next_sse(second)
        assert (end["event"], end["data"]["state"], end["data"]["conversation_id"]) == ("closed", "closed", "c-1")
        assert await next_sse(second) is None  # the server ended it

    assert [e["id"] for e in received] == ["c-1-m1", "r1", "s1", "r2", "c-1-m2"]
    assert all(set(e["data"]) == {"message_id", "author", "text", "sent_at"} for e in received)
    assert "n1" not in json.dumps(received) and "discount" not in json.dumps(received)
    async with stream_of(desk.widget, "c-1", **{"Last-Event-ID": "c-1-m2"}) as after_close:
        assert after_close.status == 204  # closed, nothing new: EventSource stops reconnecting


async def test_the_stream_ends_with_closed_reason_idle_when_the_customer_leaves_an_answered_chat(desk):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{desk.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        idle = pb.Queue(name="chat", idle_close=duration_pb2.Duration(nanos=500_000_000))
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=idle))
    await opened(desk.widget, "c-1")
    ivan = await desk.login("ivan")
    async with stream_of(desk.widget, "c-1") as reply:
        assert (await next_sse(reply))["id"] == "c-1-m1"
        await say(ivan, "c-1", "reply", "r1", "anything else?")
        assert (await next_sse(reply))["id"] == "r1"
        end = await next_sse(reply)  # nobody closes it: the queue's idle_close does
        assert (end["event"], end["data"]["state"], end["data"]["close_reason"]) == ("closed", "closed", "idle")
        assert await next_sse(reply) is None
    root = await desk.login("root")
    shown = (await (await root.get(f"{BASE}/c-1")).json())["conversation"]
    assert (shown["state"], shown["close_reason"], shown["agent_id"]) == ("closed", "idle", "ivan")


async def test_a_stream_from_after_gives_only_the_newer_messages(desk):
    await opened(desk.widget, "c-1")
    ivan = await desk.login("ivan")
    await say(ivan, "c-1", "reply", "r1", "hi")
    async with desk.widget.get(f"{BASE}/c-1/messages/stream", params={"after": "c-1-m1"}) as reply:
        assert (await next_sse(reply))["id"] == "r1"


async def test_bad_stream_parameters_are_a_400_naming_the_field(desk):
    await opened(desk.widget, "c-1")
    for params, headers, field in (
        ({"after": "a b"}, {}, "after"),
        ({}, {"Last-Event-ID": "a b"}, "Last-Event-ID"),
        ({"since": "x"}, {}, "since"),
        ([("after", "x"), ("after", "y")], {}, "after"),
    ):
        reply = await desk.widget.get(f"{BASE}/c-1/messages/stream", params=params, headers=headers)
        assert reply.status == 400, (params, headers, await reply.text())
        assert (await reply.json())["field"] == field
    csilla_like = await desk.login("ivan")  # people use the agents' routes, not the widget's
    assert (await csilla_like.get(f"{BASE}/c-1/messages/stream")).status == 403


async def test_conversation_streams_are_limited_per_user_429_naming_the_limit(desk):
    for conversation_id in ("c-1", "c-2", "c-3"):
        await opened(desk.widget, conversation_id)
    async with stream_of(desk.widget, "c-1") as one, stream_of(desk.widget, "c-2") as two:
        assert one.status == two.status == 200
        third = await stream_of(desk.widget, "c-3")
        assert third.status == 429 and third.headers["Retry-After"] == "5"
        assert "CALLCENTER_GATEWAY_MAX_CONVERSATION_STREAMS_PER_USER" in (await third.json())["error"]
        other = await stream_of(desk.mail, "c-3")  # another messaging user: its own quota (and not its queue)
        assert other.status == 404


async def test_a_stream_ends_when_its_session_does_before_writing_anything_more(desk):
    await opened(desk.widget, "c-1")
    async with stream_of(desk.widget, "c-1") as reply:
        assert (await next_sse(reply))["id"] == "c-1-m1"
        assert (await desk.widget.post("/api/v1/logout", headers=csrf(desk.widget))).status == 200
        other_session = await desk.login("chat-widget")
        assert (await post(other_session, "c-1", "c-1-m2", text="after the logout")).status == 200
        assert await next_sse(reply) is None  # ended at the wake, the new message unwritten
