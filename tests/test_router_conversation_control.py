"""Supervisor control of conversations (issue 21) through the router, on real gRPC and Redis:
transfers to an agent or back to the line, a supervisor's replies and notes, who wrote each
message, an agent's logout handing their chats back, closing as their agent, list paging and
the overdue filter, the messaging role, and a reply deadline that outlives every router
process."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.audit import ON_BEHALF_KEY
from callcenter.core.auth import hash_token, new_token
from callcenter.core.grpc_security import GrpcServerSecurity
from tests.helpers import next_event, read_events
from tests.pbx_session_client import ms, team
from tests.router_processes import RouterProcess

S = cpb.ConversationState
E = events_pb2.EventType
TOKENS = {"gw-1": new_token(), "ops": new_token(), "widget": new_token(), "crm": new_token()}
ROLES = {"gw-1": "gateway", "ops": "admin", "widget": "messaging", "crm": "crm"}


def bearer(name: str, on_behalf: str = "") -> tuple[tuple[str, str], ...]:
    metadata = (("authorization", f"Bearer {TOKENS[name]}"),)
    return (*metadata, (ON_BEHALF_KEY, on_behalf)) if on_behalf else metadata


@pytest.fixture
async def secured(start_replica, tmp_path):
    """A router that authenticates its callers: (router stub, conversation stub), unauthenticated."""
    callers = tmp_path / "callers"
    callers.write_text("".join(f"{name} {ROLES[name]} {hash_token(token)}\n" for name, token in TOKENS.items()))
    replica = await start_replica(grpc=GrpcServerSecurity(callers_file=callers))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel), conversations_pb2_grpc.ConversationServiceStub(channel)


@pytest.fixture
async def stubs(start_replica):
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel), conversations_pb2_grpc.ConversationServiceStub(channel)


async def post(conv, conversation_id, message_id=None, text="hello", metadata=None, **fields):
    fields.setdefault("channel", "webchat")
    fields.setdefault("queue", "chat")
    request = cpb.PostCustomerMessageRequest(
        conversation_id=conversation_id, message_id=message_id or f"{conversation_id}-m1", text=text, **fields
    )
    return (await conv.PostCustomerMessage(request, metadata=metadata)).conversation


async def reply(conv, conversation_id, agent_id, message_id, text="hi, how can I help?", **kwargs):
    request = cpb.ReplyToConversationRequest(
        conversation_id=conversation_id, agent_id=agent_id, message_id=message_id, text=text
    )
    return (await conv.ReplyToConversation(request, **kwargs)).conversation


async def close(conv, conversation_id, **kwargs):
    request = cpb.CloseConversationRequest(conversation_id=conversation_id)
    return (await conv.CloseConversation(request, **kwargs)).conversation


async def get(conv, conversation_id, **kwargs):
    request = cpb.GetConversationRequest(conversation_id=conversation_id)
    return (await conv.GetConversation(request, **kwargs)).conversation


async def transfer(conv, conversation_id, agent_id="", **kwargs):
    request = cpb.TransferConversationRequest(conversation_id=conversation_id, agent_id=agent_id)
    return (await conv.TransferConversation(request, **kwargs)).conversation


async def supervise(conv, conversation_id, message_id, text="a word", note=False, **kwargs):
    request = cpb.PostSupervisorMessageRequest(
        conversation_id=conversation_id, message_id=message_id, text=text, note=note
    )
    return (await conv.PostSupervisorMessage(request, **kwargs)).conversation


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


def of_type(events, event_type):
    return [e for e in events if e.type == event_type]


async def admin_team(router, queue="chat", agents=("anna", "boris"), **fields):
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, **fields)), metadata=bearer("ops"))
    for agent_id in agents:
        await agent_in(router, agent_id, queue)


async def plain_agent(router, agent_id, queue):
    """An agent of queue, logged in, on a router without authentication."""
    agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue])
    await router.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
    await router.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


async def agent_in(router, agent_id, *queues):
    agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=list(queues))
    await router.UpsertAgent(pb.UpsertAgentRequest(agent=agent), metadata=bearer("ops"))
    await router.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id), metadata=bearer("ops"))


async def test_a_supervisor_reassigns_an_overdue_chat_the_new_agent_holds_it_and_the_event_names_them(
    secured, redis, tenant
):
    router, conv = secured
    widget, sam = bearer("widget"), bearer("gw-1", on_behalf="sam")
    await admin_team(router, agents=(), chat_capacity=1, first_response=ms(200))
    await admin_team(router, queue="vip", agents=(), chat_capacity=1)
    await agent_in(router, "anna", "chat", "vip")
    taken = await post(conv, "c1", metadata=widget)
    assert taken.agent_id == "anna"
    await asyncio.wait_for(next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE), 10)
    waiting = await post(conv, "c2", queue="vip", metadata=widget)  # anna has no room on webchat
    assert waiting.state == S.CONVERSATION_STATE_NEW
    await agent_in(router, "boris", "chat")

    moved = await transfer(conv, "c1", "boris", metadata=sam)
    assert (moved.agent_id, moved.state, moved.overdue) == ("boris", S.CONVERSATION_STATE_TAKEN, True)
    event = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_TRANSFERRED)[-1]
    assert (event.conversation_id, event.agent_id, event.other_agent_id, event.reason) == (
        "c1",
        "boris",
        "anna",
        "supervisor",
    )
    assert (event.actor, event.actor_via) == ("sam", "gw-1")
    boris = (await conv.ListConversations(cpb.ListConversationsRequest(agent_id="boris"), metadata=sam)).conversations
    assert [c.conversation_id for c in boris] == ["c1"]
    # anna's freed room took the next conversation of her lines
    assert ((await get(conv, "c2", metadata=sam)).agent_id) == "anna"


async def test_transfer_to_an_agent_with_no_room_is_refused_and_changes_nothing(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna", "boris"), chat_capacity=1, mix_chats_and_calls=False)
    first = await post(conv, "c1")
    second = await post(conv, "c2")
    assert {first.agent_id, second.agent_id} == {"anna", "boris"}
    holder, other = first.agent_id, second.agent_id
    before = await read_events(redis, tenant)

    full = await refused(transfer(conv, "c1", other))
    assert full.code() == grpc.StatusCode.FAILED_PRECONDITION and "chat_capacity" in full.details()
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="other")))
    await plain_agent(router, "carl", "other")
    elsewhere = await refused(transfer(conv, "c1", "carl"))
    assert elsewhere.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not logged in to queue chat" in elsewhere.details()
    await plain_agent(router, "dora", "chat")
    await router.RouteCall(pb.RouteCallRequest(call_id="call-1", caller="+4930111", queue="chat"))  # dora rings
    mixing = await refused(transfer(conv, "c1", "dora"))
    assert mixing.code() == grpc.StatusCode.FAILED_PRECONDITION and "does not mix chats and calls" in mixing.details()
    unknown = await refused(transfer(conv, "c1", "nobody"))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND

    after = await get(conv, "c1")
    assert (after.agent_id, after.state) == (holder, S.CONVERSATION_STATE_TAKEN)
    conversation_events = [e for e in await read_events(redis, tenant) if e.conversation_id]
    assert len(conversation_events) == len([e for e in before if e.conversation_id])


async def test_back_to_the_line_goes_to_another_agent_with_room_else_waits_new_keeping_its_state(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna",), chat_capacity=1, reply=ms(60_000))
    await post(conv, "c1")
    await reply(conv, "c1", "anna", "a1")
    await post(conv, "c1", message_id="m2", text="and?")
    unanswered = await get(conv, "c1")
    due = unanswered.reply_due_at.ToMilliseconds()

    back = await transfer(conv, "c1")  # nobody else has room: it waits, and anna does not get it back
    assert (back.state, back.agent_id, back.reply_due_at.ToMilliseconds()) == (S.CONVERSATION_STATE_NEW, "", due)
    assert not (await conv.ListConversations(cpb.ListConversationsRequest(agent_id="anna"))).conversations
    event = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_TRANSFERRED)[-1]
    assert (event.agent_id, event.other_agent_id, event.reason) == ("", "anna", "supervisor")
    given = await transfer(conv, "c1", "anna")  # named, she may have it from the line again
    assert (given.agent_id, given.state) == ("anna", S.CONVERSATION_STATE_UNANSWERED)
    event = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_TRANSFERRED)[-1]
    assert (event.agent_id, event.other_agent_id) == ("anna", "")
    assert (await transfer(conv, "c1")).state == S.CONVERSATION_STATE_NEW
    assert (await transfer(conv, "c1")).state == S.CONVERSATION_STATE_NEW  # in the line already: unchanged
    assert len(of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_TRANSFERRED)) == 3

    await plain_agent(router, "boris", "chat")
    taken = await get(conv, "c1")  # the customer still waits for an answer
    assert (taken.agent_id, taken.state, taken.message_count) == ("boris", S.CONVERSATION_STATE_UNANSWERED, 3)
    assert taken.reply_due_at.ToMilliseconds() == due

    at_once = await transfer(conv, "c1")  # anna has room again: it goes to her at once
    assert (at_once.agent_id, at_once.state) == ("anna", S.CONVERSATION_STATE_UNANSWERED)
    event = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_TRANSFERRED)[-1]
    assert (event.agent_id, event.other_agent_id) == ("anna", "boris")


async def test_a_note_is_never_a_reply_the_conversation_stays_unanswered_and_overdue(secured, redis, tenant):
    router, conv = secured
    await admin_team(router, agents=("anna",), first_response=ms(60_000), reply=ms(200))
    await post(conv, "c1", metadata=bearer("widget"))
    await reply(conv, "c1", "anna", "a1", metadata=bearer("gw-1", on_behalf="anna"))
    await post(conv, "c1", message_id="m2", text="hello?", metadata=bearer("widget"))
    await asyncio.wait_for(next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE), 10)

    noted = await supervise(conv, "c1", "n1", text="offer the refund", note=True, metadata=bearer("gw-1", "sam"))
    assert (noted.state, noted.overdue, noted.message_count) == (S.CONVERSATION_STATE_UNANSWERED, True, 4)
    again = await supervise(conv, "c1", "n1", text="offer the refund", note=True, metadata=bearer("gw-1", "sam"))
    assert again.message_count == 4  # idempotent by message id
    events = await read_events(redis, tenant)
    [note] = of_type(events, E.EVENT_TYPE_CONVERSATION_NOTE)
    assert (note.conversation_id, note.agent_id, note.actor) == ("c1", "anna", "sam")
    assert dict(note.attributes) == {"message_id": "n1"}
    assert len(of_type(events, E.EVENT_TYPE_CONVERSATION_REPLIED)) == 1
    seen = await get(conv, "c1", metadata=bearer("gw-1", "sam"))  # the staff's view: notes and actors
    assert [(m.author, m.actor) for m in seen.messages] == [
        (cpb.MESSAGE_AUTHOR_CUSTOMER, "widget"),
        (cpb.MESSAGE_AUTHOR_AGENT, "anna"),
        (cpb.MESSAGE_AUTHOR_CUSTOMER, "widget"),
        (cpb.MESSAGE_AUTHOR_NOTE, "sam"),
    ]
    customers_side = await get(conv, "c1", metadata=bearer("widget"))
    assert [(m.author, m.actor) for m in customers_side.messages] == [
        (cpb.MESSAGE_AUTHOR_CUSTOMER, ""),
        (cpb.MESSAGE_AUTHOR_AGENT, ""),
        (cpb.MESSAGE_AUTHOR_CUSTOMER, ""),
    ]
    assert seen.last_customer_message_at.ToMilliseconds() == seen.messages[2].sent_at.ToMilliseconds()
    assert seen.first_replied_at.ToMilliseconds() == seen.messages[1].sent_at.ToMilliseconds()


async def test_a_supervisors_reply_answers_the_customer(secured, redis, tenant):
    router, conv = secured
    await admin_team(router, agents=("anna",), first_response=ms(200))
    first = await post(conv, "c1", metadata=bearer("widget"))
    assert not first.HasField("first_replied_at") and first.HasField("last_customer_message_at")
    await asyncio.wait_for(next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE), 10)

    answered = await supervise(conv, "c1", "s1", text="We are on it.", metadata=bearer("gw-1", "sam"))
    assert (answered.state, answered.overdue, answered.HasField("reply_due_at")) == (
        S.CONVERSATION_STATE_ANSWERED,
        False,
        False,
    )
    assert answered.HasField("first_replied_at")
    assert not [m for m in await redis.zrange(f"cc:{{{tenant}}}:timers", 0, -1) if m.startswith("conversation|c1|")]
    [replied] = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_REPLIED)
    assert (replied.agent_id, replied.reason, replied.actor, replied.actor_via) == ("anna", "supervisor", "sam", "gw-1")
    assert dict(replied.attributes) == {"message_id": "s1", "text": "We are on it."}
    [message] = [m for m in (await get(conv, "c1", metadata=bearer("ops"))).messages if m.message_id == "s1"]
    assert (message.author, message.actor, message.agent_id) == (cpb.MESSAGE_AUTHOR_SUPERVISOR, "sam", "")
    # the agent's own reply carries its text too, with reason agent
    await post(conv, "c1", message_id="m2", metadata=bearer("widget"))
    await reply(conv, "c1", "anna", "a1", text="Done.", metadata=bearer("gw-1", "anna"))
    agent_reply = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_REPLIED)[-1]
    assert (agent_reply.reason, dict(agent_reply.attributes)) == ("agent", {"message_id": "a1", "text": "Done."})
    await close(conv, "c1", metadata=bearer("ops"))
    closed = await refused(supervise(conv, "c1", "s3", metadata=bearer("ops")))
    assert closed.code() == grpc.StatusCode.FAILED_PRECONDITION and "closed" in closed.details()
    missing = await refused(supervise(conv, "nope", "s4", metadata=bearer("ops")))
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_an_agent_who_logs_out_hands_their_chats_back_to_the_line(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna", "boris"), chat_capacity=2)
    held = [await post(conv, f"c{i}") for i in range(1, 5)]
    annas = sorted(c.conversation_id for c in held if c.agent_id == "anna")
    assert len(annas) == 2
    await close(conv, next(c.conversation_id for c in held if c.agent_id == "boris"))  # boris has room for one

    await router.LogoutAgent(pb.LogoutAgentRequest(agent_id="anna"))
    after = {c: await get(conv, c) for c in annas}
    assert sorted((v.agent_id, v.state) for v in after.values()) == [
        ("", S.CONVERSATION_STATE_NEW),
        ("boris", S.CONVERSATION_STATE_TAKEN),
    ]
    handed = of_type(await read_events(redis, tenant), E.EVENT_TYPE_CONVERSATION_TRANSFERRED)
    assert sorted((e.conversation_id, e.agent_id, e.other_agent_id, e.reason) for e in handed) == sorted(
        (c, after[c].agent_id, "anna", "agent_logged_out") for c in annas
    )
    assert not (await conv.ListConversations(cpb.ListConversationsRequest(agent_id="anna"))).conversations
    await router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"))  # the one left in line comes back to her
    waiting = next(c for c, v in after.items() if not v.agent_id)
    assert (await get(conv, waiting)).agent_id == "anna"


async def test_only_the_agent_holding_a_conversation_closes_it_as_that_agent(stubs):
    router, conv = stubs
    await team(router, queue="chat", agents=("anna", "boris"))
    taken = await post(conv, "c1")
    other = "boris" if taken.agent_id == "anna" else "anna"
    wrong = await refused(conv.CloseConversation(cpb.CloseConversationRequest(conversation_id="c1", agent_id=other)))
    assert wrong.code() == grpc.StatusCode.FAILED_PRECONDITION and other in wrong.details()
    assert (await get(conv, "c1")).state == S.CONVERSATION_STATE_TAKEN
    closed = await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id="c1", agent_id=taken.agent_id))
    assert closed.conversation.state == S.CONVERSATION_STATE_CLOSED


async def test_paging_walks_every_conversation_exactly_once_and_overdue_only_filters(stubs, redis, tenant):
    router, conv = stubs
    await team(router, queue="chat", agents=())
    await team(router, queue="slow", agents=(), first_response=ms(200))
    for i in range(23):
        await post(conv, f"c{i:02d}")
    seen, token, pages = [], "", 0
    while True:
        page = await conv.ListConversations(cpb.ListConversationsRequest(page_size=5, page_token=token))
        seen += [c.conversation_id for c in page.conversations]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == [f"c{i:02d}" for i in range(23)] and len(seen) == 23 and pages == 5
    # newest first, ties (the same millisecond) by id: the order a page token goes on in
    scores = dict(await redis.zrange(f"cc:{{{tenant}}}:conversations", 0, -1, withscores=True))
    assert seen == sorted(seen, key=lambda c: (scores[c], c), reverse=True)
    assert not (await conv.ListConversations(cpb.ListConversationsRequest(overdue_only=True))).conversations
    await post(conv, "late", queue="slow")
    await asyncio.wait_for(next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE), 10)
    overdue = await conv.ListConversations(cpb.ListConversationsRequest(overdue_only=True, page_size=1))
    assert [c.conversation_id for c in overdue.conversations] == ["late"] and not overdue.next_page_token


async def test_the_messaging_role_posts_customer_messages_and_reads_conversations_only(secured):
    router, conv = secured
    await admin_team(router, agents=("anna",))
    widget = bearer("widget")
    assert (await post(conv, "c1", metadata=widget)).agent_id == "anna"
    assert [m.text for m in (await get(conv, "c1", metadata=widget)).messages] == ["hello"]
    for call in (
        conv.ListConversations(cpb.ListConversationsRequest(), metadata=widget),
        conv.ReplyToConversation(
            cpb.ReplyToConversationRequest(conversation_id="c1", agent_id="anna", message_id="a1", text="x"),
            metadata=widget,
        ),
        transfer(conv, "c1", metadata=widget),
        supervise(conv, "c1", "s1", metadata=widget),
        close(conv, "c1", metadata=widget),
        router.GetAgent(pb.GetAgentRequest(agent_id="anna"), metadata=widget),
    ):
        assert (await refused(call)).code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_customer_message_to_a_taken_chat_turns_it_unanswered_then_overdue_after_every_router_restarts(
    tmp_path, redis, redis_url, tenant
):
    first = await RouterProcess(tmp_path, "router-a", redis_url, tenant).start()
    try:
        async with first.channel() as channel:
            router, conv = first.stub(channel), conversations_pb2_grpc.ConversationServiceStub(channel)
            await team(router, queue="chat", agents=("anna",), first_response=ms(60_000), reply=ms(1_500))
            await post(conv, "c1")
            await reply(conv, "c1", "anna", "a1")
            unanswered = await post(conv, "c1", message_id="m2", text="hello again")
            assert (unanswered.state, unanswered.overdue) == (S.CONVERSATION_STATE_UNANSWERED, False)
            due_ms = unanswered.reply_due_at.ToMilliseconds()
            position = (await redis.xinfo_stream(f"cc:{{{tenant}}}:events"))["last-generated-id"]
    finally:
        first.kill()  # every router process is gone: the deadline lives in Redis only
    second = await RouterProcess(tmp_path, "router-b", redis_url, tenant).start()
    try:
        _, overdue = await asyncio.wait_for(
            next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE, after=position), 30
        )
        assert (overdue.conversation_id, overdue.agent_id, overdue.reason) == ("c1", "anna", "reply")
        assert overdue.time.ToMilliseconds() >= due_ms
        async with second.channel() as channel:
            seen = await get(conversations_pb2_grpc.ConversationServiceStub(channel), "c1")
            assert (seen.state, seen.overdue) == (S.CONVERSATION_STATE_UNANSWERED, True)
    finally:
        second.kill()


@pytest.mark.parametrize(
    ("rpc", "fields", "field"),
    [
        ("TransferConversation", {"conversation_id": ""}, "conversation_id"),
        ("TransferConversation", {"conversation_id": "c1", "agent_id": "no spaces"}, "agent_id"),
        ("PostSupervisorMessage", {"conversation_id": "a:b", "message_id": "m", "text": "x"}, "conversation_id"),
        ("PostSupervisorMessage", {"conversation_id": "c1", "message_id": "", "text": "x"}, "message_id"),
        ("PostSupervisorMessage", {"conversation_id": "c1", "message_id": "m", "text": ""}, "text"),
        ("PostSupervisorMessage", {"conversation_id": "c1", "message_id": "m", "text": "x" * 4001}, "text"),
        ("CloseConversation", {"conversation_id": "c1", "agent_id": "a b"}, "agent_id"),
        ("ListConversations", {"page_token": "not a token"}, "page_token"),
        ("ListConversations", {"page_token": "12|a b"}, "page_token"),
        ("ListConversations", {"page_token": "x" * 300}, "page_token"),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_field(stubs, rpc, fields, field):
    _, conv = stubs
    request = getattr(cpb, f"{rpc}Request")(**fields)
    error = await refused(getattr(conv, rpc)(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()
