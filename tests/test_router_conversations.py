"""Conversations through the router (issue 21, first slice), on real gRPC and Redis: assignment
by chat capacity and the personal manager, the queue's conversation line, mixing with calls,
states and durable reply deadlines, idempotent message ids, bad input."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from tests.helpers import event_types, next_event, read_events
from tests.pbx_session_client import ms, team

S = cpb.ConversationState
E = events_pb2.EventType


@pytest.fixture
async def stubs(start_replica):
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel), conversations_pb2_grpc.ConversationServiceStub(channel)


async def post(conv, conversation_id, message_id=None, text="hello", **fields):
    fields.setdefault("channel", "webchat")
    fields.setdefault("queue", "chat")
    request = cpb.PostCustomerMessageRequest(
        conversation_id=conversation_id, message_id=message_id or f"{conversation_id}-m1", text=text, **fields
    )
    return (await conv.PostCustomerMessage(request)).conversation


async def reply(conv, conversation_id, agent_id, message_id, text="hi, how can I help?"):
    request = cpb.ReplyToConversationRequest(
        conversation_id=conversation_id, agent_id=agent_id, message_id=message_id, text=text
    )
    return (await conv.ReplyToConversation(request)).conversation


async def close(conv, conversation_id):
    return (await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id=conversation_id))).conversation


async def get(conv, conversation_id):
    return (await conv.GetConversation(cpb.GetConversationRequest(conversation_id=conversation_id))).conversation


async def test_an_agent_holds_up_to_their_chat_capacity_and_takes_the_next_when_one_closes(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",), chat_capacity=3)
    held = [await post(conv, f"c{i}") for i in range(1, 4)]
    assert [(c.state, c.agent_id) for c in held] == [(S.CONVERSATION_STATE_TAKEN, "anna")] * 3
    fourth = await post(conv, "c4")
    assert (fourth.state, fourth.agent_id) == (S.CONVERSATION_STATE_NEW, "")
    listed = (await conv.ListConversations(cpb.ListConversationsRequest(agent_id="anna"))).conversations
    assert sorted(c.conversation_id for c in listed) == ["c1", "c2", "c3"]
    new = (await conv.ListConversations(cpb.ListConversationsRequest(state=S.CONVERSATION_STATE_NEW))).conversations
    assert [c.conversation_id for c in new] == ["c4"]

    closed = await close(conv, "c2")
    assert closed.state == S.CONVERSATION_STATE_CLOSED and closed.HasField("closed_at")
    assert ((await get(conv, "c4")).state, (await get(conv, "c4")).agent_id) == (S.CONVERSATION_STATE_TAKEN, "anna")
    types = [t for t in event_types(await read_events(redis, tenant)) if t.startswith("CONVERSATION_")]
    assert types.count("CONVERSATION_ASSIGNED") == 4 and types[-1] == "CONVERSATION_ASSIGNED"
    assert types.count("CONVERSATION_CLOSED") == 1 and types.count("CONVERSATION_CREATED") == 4


async def test_capacity_is_per_channel_and_the_personal_manager_goes_first(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna", "boris"), chat_capacity=1)
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number="+4930777", manager_id="boris")))
    first = await post(conv, "c1", client_number="+4930777")
    assert first.agent_id == "boris"  # the manager, though anna has been idle longer
    second = await post(conv, "c2")
    assert second.agent_id == "anna"  # the one with fewer open conversations
    by_mail = await post(conv, "c3", channel="email")
    assert by_mail.state == S.CONVERSATION_STATE_TAKEN  # another channel: room again
    assert (await post(conv, "c4")).state == S.CONVERSATION_STATE_NEW


async def test_a_larger_chat_capacity_gives_the_waiting_conversations_out_at_once(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",), chat_capacity=1)
    assert (await post(conv, "c1")).agent_id == "anna"
    assert (await post(conv, "c2")).state == S.CONVERSATION_STATE_NEW
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="chat", chat_capacity=2)))
    assert ((await get(conv, "c2")).state, (await get(conv, "c2")).agent_id) == (S.CONVERSATION_STATE_TAKEN, "anna")


async def test_a_queue_without_mixing_offers_no_call_to_an_agent_holding_its_chat(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna", "boris"), mix_chats_and_calls=False, wrap_up=ms(0))
    chat = await post(conv, "c1")
    assert chat.agent_id == "anna"
    call = (await router.RouteCall(pb.RouteCallRequest(call_id="call-1", caller="+4930111", queue="chat"))).call
    assert (call.state, call.offer.agent_id) == (st.CALL_STATE_RINGING, "boris")
    # boris is reserved for the call: the next conversation waits rather than go to him
    anna_full = [await post(conv, f"c{i}") for i in (2, 3)]
    assert {c.agent_id for c in anna_full} == {"anna"}
    waiting = await post(conv, "c4")
    assert waiting.state == S.CONVERSATION_STATE_NEW
    # a second call finds nobody: anna holds chats, boris is ringing
    second = (await router.RouteCall(pb.RouteCallRequest(call_id="call-2", caller="+4930112", queue="chat"))).call
    assert second.state == st.CALL_STATE_WAITING
    for conversation_id in ("c1", "c2", "c3"):
        await close(conv, conversation_id)
    # anna took c4 when c1 closed; she holds one still, so no call
    assert (await get(conv, "c4")).agent_id == "anna"
    await close(conv, "c4")
    again = (await router.GetCall(pb.GetCallRequest(call_id="call-2"))).call
    assert (again.state, again.offer.agent_id) == (st.CALL_STATE_RINGING, "anna")


async def test_mixing_allowed_by_default_gives_a_chat_to_an_agent_on_a_call(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",))
    call = (await router.RouteCall(pb.RouteCallRequest(call_id="call-1", caller="+4930111", queue="chat"))).call
    assert call.offer.agent_id == "anna"
    assert (await post(conv, "c1")).agent_id == "anna"


async def test_states_and_a_reply_deadline_that_survives_a_restart_of_every_replica(start_replica, redis, tenant):
    first = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        await team(router, queue="chat", agents=("anna",), first_response=ms(60_000), reply=ms(1_500))
        taken = await post(conv, "c1", topic="billing")
        assert (taken.state, taken.overdue) == (S.CONVERSATION_STATE_TAKEN, False)
        assert taken.HasField("reply_due_at")
        answered = await reply(conv, "c1", "anna", "a1")
        assert (answered.state, answered.HasField("reply_due_at")) == (S.CONVERSATION_STATE_ANSWERED, False)
        unanswered = await post(conv, "c1", message_id="m2", text="still there?")
        assert unanswered.state == S.CONVERSATION_STATE_UNANSWERED and not unanswered.overdue
        due_ms = unanswered.reply_due_at.ToMilliseconds()
        position = (await redis.xinfo_stream(f"cc:{{{tenant}}}:events"))["last-generated-id"]
    await first.stop()
    second = await start_replica()  # every replica was stopped; the timer is in Redis
    _, overdue = await asyncio.wait_for(
        next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE, after=position), 10
    )
    assert (overdue.conversation_id, overdue.channel, overdue.topic, overdue.agent_id, overdue.reason) == (
        "c1",
        "webchat",
        "billing",
        "anna",
        "reply",
    )
    assert overdue.time.ToMilliseconds() >= due_ms
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        seen = await get(conv, "c1")
        assert (seen.state, seen.overdue) == (S.CONVERSATION_STATE_UNANSWERED, True)
        assert [(m.author, m.message_id) for m in seen.messages] == [
            (cpb.MESSAGE_AUTHOR_CUSTOMER, "c1-m1"),
            (cpb.MESSAGE_AUTHOR_AGENT, "a1"),
            (cpb.MESSAGE_AUTHOR_CUSTOMER, "m2"),
        ]
        cleared = await reply(conv, "c1", "anna", "a2")
        assert (cleared.state, cleared.overdue) == (S.CONVERSATION_STATE_ANSWERED, False)
        by_topic = await conv.ListConversations(cpb.ListConversationsRequest(topic="billing", channel="webchat"))
        assert [c.conversation_id for c in by_topic.conversations] == ["c1"]
        assert not (await conv.ListConversations(cpb.ListConversationsRequest(topic="other"))).conversations
    replied = [e for e in await read_events(redis, tenant) if e.type == E.EVENT_TYPE_CONVERSATION_REPLIED]
    assert [e.agent_id for e in replied] == ["anna", "anna"]


async def test_a_new_conversation_nobody_takes_turns_overdue_at_its_first_response_deadline(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=(), first_response=ms(300))
    waiting = await post(conv, "c1")
    assert waiting.state == S.CONVERSATION_STATE_NEW
    _, overdue = await asyncio.wait_for(
        next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE), 10
    )
    assert (overdue.reason, overdue.agent_id) == ("first_response", "")
    assert (await get(conv, "c1")).overdue
    # an agent logging in takes it from the queue's line; it stays overdue until they reply
    await router.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id="anna", endpoint="sip:anna@pbx", queues=["chat"])))
    await router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"))
    taken = await get(conv, "c1")
    assert (taken.state, taken.agent_id, taken.overdue) == (S.CONVERSATION_STATE_TAKEN, "anna", True)
    assert not (await reply(conv, "c1", "anna", "a1")).overdue


async def test_message_ids_are_idempotent(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",))
    once = await post(conv, "c1", message_id="m1")
    again = await post(conv, "c1", message_id="m1")
    assert once.message_count == again.message_count == 1
    await reply(conv, "c1", "anna", "a1")
    assert (await reply(conv, "c1", "anna", "a1")).message_count == 2
    assert (await post(conv, "c1", message_id="m1")).state == S.CONVERSATION_STATE_ANSWERED
    types = event_types(await read_events(redis, tenant))
    assert (types.count("CONVERSATION_MESSAGE"), types.count("CONVERSATION_REPLIED")) == (1, 1)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"conversation_id": ""}, "conversation_id"),
        ({"conversation_id": "a:b"}, "conversation_id"),
        ({"channel": ""}, "channel"),
        ({"topic": "no spaces"}, "topic"),
        ({"queue": ""}, "queue"),
        ({"message_id": ""}, "message_id"),
        ({"text": ""}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"client_number": "not a number"}, "client_number"),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_field(stubs, fields, field):
    _, conv = stubs
    request = {"conversation_id": "c1", "channel": "webchat", "queue": "chat", "message_id": "m1", "text": "hi"}
    request.update(fields)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await conv.PostCustomerMessage(cpb.PostCustomerMessageRequest(**request))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in raised.value.details()


async def test_unknown_conversations_and_queues_are_not_found_and_wrong_agents_refused(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna", "boris"))
    for call in (
        conv.GetConversation(cpb.GetConversationRequest(conversation_id="nope")),
        conv.CloseConversation(cpb.CloseConversationRequest(conversation_id="nope")),
        conv.ReplyToConversation(
            cpb.ReplyToConversationRequest(conversation_id="nope", agent_id="anna", message_id="a1", text="x")
        ),
        post(conv, "c9", queue="nowhere"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    taken = await post(conv, "c1")
    other = "boris" if taken.agent_id == "anna" else "anna"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await reply(conv, "c1", other, "a1")
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await close(conv, "c1")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await post(conv, "c1", message_id="m2")
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await conv.ListConversations(cpb.ListConversationsRequest(page_size=501))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_size" in raised.value.details()


async def test_a_later_message_needs_no_channel_or_queue_but_a_new_conversation_does(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",))
    for field in ("channel", "queue"):
        request = cpb.PostCustomerMessageRequest(
            conversation_id="c-new", channel="webchat", queue="chat", message_id="m1", text="hi"
        )
        request.ClearField(field)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await conv.PostCustomerMessage(request)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in refused.value.details()
    await conv.PostCustomerMessage(
        cpb.PostCustomerMessageRequest(
            conversation_id="c-new", channel="webchat", queue="chat", message_id="m1", text="hi"
        )
    )
    later = await conv.PostCustomerMessage(
        cpb.PostCustomerMessageRequest(conversation_id="c-new", message_id="m2", text="still there?")
    )
    assert (later.conversation.channel, later.conversation.queue, later.conversation.message_count) == (
        "webchat",
        "chat",
        2,
    )


async def test_a_later_message_naming_another_queue_or_channel_is_refused_and_stores_nothing(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",))
    await team(router, queue="mail", agents=("boris",))
    await conv.PostCustomerMessage(
        cpb.PostCustomerMessageRequest(
            conversation_id="c-1", channel="webchat", queue="chat", message_id="m1", text="hi"
        )
    )
    for field, value in (("queue", "mail"), ("channel", "email")):
        request = cpb.PostCustomerMessageRequest(conversation_id="c-1", message_id="m2", text="hijack")
        setattr(request, field, value)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await conv.PostCustomerMessage(request)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in refused.value.details()
    seen = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="c-1"))).conversation
    assert [m.text for m in seen.messages] == ["hi"] and seen.queue == "chat"


async def test_a_list_of_several_queues_is_page_size_in_all_newest_first_across_them(stubs):
    router, conv = stubs
    for queue in ("sales", "support", "other"):
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue)))
    for n in range(3):  # nobody logged in: all wait, interleaved in time
        for queue in ("sales", "support", "other"):
            await post(conv, f"{queue}-{n}", queue=queue)
    everyone = (await conv.ListConversations(cpb.ListConversationsRequest())).conversations
    newest_first = [c.conversation_id for c in everyone if c.queue != "other"]
    request = cpb.ListConversationsRequest(queues=["sales", "support"], page_size=4)
    first = await conv.ListConversations(request)
    assert [c.conversation_id for c in first.conversations] == newest_first[:4]
    assert first.next_page_token
    request.page_token = first.next_page_token
    second = await conv.ListConversations(request)
    assert [c.conversation_id for c in second.conversations] == newest_first[4:]
    assert second.next_page_token == ""


async def test_a_list_of_queues_also_holds_the_conversations_of_the_agents_named(stubs):
    router, conv = stubs
    await team(router, queue="other", agents=("otto",))
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
    await post(conv, "o-1", queue="other")  # otto's
    await post(conv, "s-1", queue="sales")  # waiting
    await close(conv, "o-1")
    await post(conv, "o-2", queue="other")  # otto's again
    listed = await conv.ListConversations(cpb.ListConversationsRequest(queues=["sales"], also_held_by=["otto"]))
    assert [c.conversation_id for c in listed.conversations] == ["o-2", "s-1"]
    alone = await conv.ListConversations(cpb.ListConversationsRequest(also_held_by=["otto"]))
    assert [c.conversation_id for c in alone.conversations] == ["o-2"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"queues": ["sales", "no spaces"]}, "queues[1]"),
        ({"queues": ["sales"] * 1001}, "queues"),
        ({"queues": ["sales"], "queue": "sales"}, "queues"),
        ({"also_held_by": ["anna", "a:b"]}, "also_held_by[1]"),
        ({"also_held_by": ["anna"], "agent_id": "anna"}, "also_held_by"),
    ],
)
async def test_a_bad_list_scope_is_invalid_argument_naming_the_field(stubs, fields, field):
    _, conv = stubs
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await conv.ListConversations(cpb.ListConversationsRequest(**fields))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(field), raised.value.details()
