"""The idle close of conversations (a queue's idle_close): an answered chat the customer leaves
closes itself, reason idle and no actor, and its agent's room goes to the next chat at once;
the customer writing again cancels it, the next reply arms a fresh one; 0 never closes; bad
values are INVALID_ARGUMENT naming the field; the timer is durable across a restart of every
replica. Real Redis; the router's rules with a hand-driven clock, the restart over real gRPC."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.services.router.conversations import Conversations
from callcenter.services.router.model import InvalidArgument
from tests.helpers import next_event, read_events, team
from tests.pbx_session_client import ms

E = events_pb2.EventType
MINUTE = 60_000


@pytest.fixture
def chats(router) -> Conversations:
    return Conversations(router)


async def post(chats, conversation_id, message_id, client=""):
    return await chats.post_customer_message(conversation_id, "webchat", "", "chat", client, message_id, "hello")


async def closes(redis, tenant, conversation_id):
    return [
        e
        for e in await read_events(redis, tenant)
        if e.type == E.EVENT_TYPE_CONVERSATION_CLOSED and e.conversation_id == conversation_id
    ]


async def test_an_answered_chat_the_customer_leaves_closes_itself_and_its_agent_takes_the_waiting_one(
    router, clock, chats, redis, tenant
):
    await team(router, "chat", ["anna"], chat_capacity=1, idle_close_ms=30 * MINUTE)
    assert (await post(chats, "c1", "c1-m1")).agent_id == "anna"
    assert (await post(chats, "c2", "c2-m1")).state == "new"  # anna has no room
    await chats.reply("c1", "anna", "a1", "on it")
    clock.advance(30 * 60 - 1)
    await router.fire_due_timers()
    assert (await chats.get("c1")).state == "answered"
    clock.advance(1)
    await router.fire_due_timers()

    closed = await chats.get("c1")
    assert (closed.state, closed.close_reason) == ("closed", "idle")
    taken = await chats.get("c2")
    assert (taken.state, taken.agent_id) == ("taken", "anna")  # at once, in the same transition
    [event] = await closes(redis, tenant, "c1")
    assert (event.reason, event.actor, event.agent_id) == ("idle", "", "anna")
    assert (await chats.list(agent_id="anna")).conversations[0].conversation_id == "c2"


async def test_a_customer_message_before_the_deadline_keeps_it_open_and_the_next_reply_arms_a_fresh_one(
    router, clock, chats, redis, tenant
):
    await team(router, "chat", ["anna"], idle_close_ms=10 * MINUTE, reply_ms=0)
    await post(chats, "c1", "c1-m1")
    await chats.reply("c1", "anna", "a1", "on it")
    clock.advance(9 * 60)
    back = await post(chats, "c1", "c1-m2")  # the customer is back before the idle close
    assert back.state == "unanswered"
    clock.advance(5 * 60)  # past the first reply's idle deadline: nothing closes
    await router.fire_due_timers()
    assert (await chats.get("c1")).state == "unanswered"
    await chats.reply("c1", "anna", "a2", "on it")  # a fresh idle deadline from this reply
    clock.advance(10 * 60 - 1)
    await router.fire_due_timers()
    assert (await chats.get("c1")).state == "answered"
    clock.advance(1)
    await router.fire_due_timers()
    assert (await chats.get("c1")).close_reason == "idle"
    assert len(await closes(redis, tenant, "c1")) == 1


async def test_a_transferred_answered_chat_keeps_its_idle_deadline(router, clock, chats, redis, tenant):
    await team(router, "chat", ["anna", "boris"], idle_close_ms=10 * MINUTE)
    assert (await post(chats, "c1", "c1-m1")).agent_id == "anna"
    await chats.reply("c1", "anna", "a1", "on it")
    clock.advance(5 * 60)
    assert (await chats.transfer("c1", "boris")).state == "answered"
    clock.advance(5 * 60)  # the customer's silence counts from the reply, not the transfer
    await router.fire_due_timers()
    [event] = await closes(redis, tenant, "c1")
    assert (event.reason, event.agent_id) == ("idle", "boris")


async def test_an_answered_chat_back_in_the_line_after_a_logout_closes_itself_and_leaves_the_line(
    router, clock, chats, redis, tenant
):
    await team(router, "chat", ["anna"], idle_close_ms=10 * MINUTE)
    await post(chats, "c1", "c1-m1")
    await chats.reply("c1", "anna", "a1", "on it")
    await router.logout("anna")  # nobody else: c1 waits in the line, answered for whoever takes it
    assert ((await chats.get("c1")).state, (await chats.get("c1")).agent_id) == ("new", "")
    clock.advance(10 * 60)
    await router.fire_due_timers()
    assert (await chats.get("c1")).close_reason == "idle"
    assert (await chats.list(state="new")).conversations == []
    [event] = await closes(redis, tenant, "c1")
    assert (event.reason, event.agent_id) == ("idle", "")


async def test_an_idle_close_of_zero_never_closes_and_a_manual_close_names_who(router, clock, chats, redis, tenant):
    await team(router, "chat", ["anna"], idle_close_ms=0)
    await post(chats, "c1", "c1-m1")
    await chats.reply("c1", "anna", "a1", "on it")
    clock.advance(8 * 24 * 3600)
    await router.fire_due_timers()
    assert (await chats.get("c1")).state == "answered"
    assert (await chats.close("c1", "anna")).close_reason == "agent"
    await post(chats, "c2", "c2-m1")
    assert (await chats.close("c2")).close_reason == "supervisor"
    assert [e.reason for e in await closes(redis, tenant, "c1")] == ["agent"]


async def test_an_idle_close_after_a_manual_close_does_nothing(router, clock, chats, redis, tenant):
    await team(router, "chat", ["anna"], idle_close_ms=MINUTE)
    await post(chats, "c1", "c1-m1")
    await chats.reply("c1", "anna", "a1", "on it")
    await chats.close("c1", "anna")
    clock.advance(120)
    assert await router.fire_due_timers() == 0  # the close cleared the idle timer
    assert [e.reason for e in await closes(redis, tenant, "c1")] == ["agent"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [(-1, "must not be negative"), (7 * 24 * 3600 * 1000 + 1, "must be at most 7 days"), (1.5, "whole number")],
)
async def test_a_bad_idle_close_is_invalid_argument_naming_the_field(router, value, problem):
    with pytest.raises(InvalidArgument) as refused:
        await router.upsert_queue("chat", idle_close_ms=value)
    assert refused.value.field == "queue.idle_close" and problem in str(refused.value)


@pytest.mark.parametrize("duration", [duration_pb2.Duration(seconds=-1), duration_pb2.Duration(seconds=7 * 86_400 + 1)])
async def test_a_bad_idle_close_over_grpc_is_invalid_argument_naming_it(router_stub, duration):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="q", idle_close=duration)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("queue.idle_close:"), refused.value.details()


async def test_the_idle_close_fires_after_every_replica_restarted(start_replica, redis, tenant):
    first = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="chat", idle_close=ms(1_000))))
        anna = pb.Agent(id="anna", endpoint="sip:anna@pbx", queues=["chat"])
        await router.UpsertAgent(pb.UpsertAgentRequest(agent=anna))
        await router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"))
        request = cpb.PostCustomerMessageRequest(
            conversation_id="c1", channel="webchat", queue="chat", message_id="m1", text="hi"
        )
        await conv.PostCustomerMessage(request)
        answer = cpb.ReplyToConversationRequest(conversation_id="c1", agent_id="anna", message_id="a1", text="done")
        replied = (await conv.ReplyToConversation(answer)).conversation
        position = (await redis.xinfo_stream(f"cc:{{{tenant}}}:events"))["last-generated-id"]
    await first.stop()
    second = await start_replica()  # every replica was stopped; the timer is in Redis

    def closed(e):
        return e.type == E.EVENT_TYPE_CONVERSATION_CLOSED and e.conversation_id == "c1"

    _, event = await asyncio.wait_for(next_event(redis, tenant, closed, after=position), 10)
    assert (event.reason, event.agent_id) == ("idle", "anna")
    assert event.time.ToMilliseconds() >= replied.first_replied_at.ToMilliseconds() + 1_000
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        seen = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="c1"))).conversation
        assert (seen.state, seen.close_reason) == (cpb.CONVERSATION_STATE_CLOSED, "idle")
