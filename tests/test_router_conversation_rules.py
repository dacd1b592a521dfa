"""Conversations offered by the calls' routing rules (issue 21: "the same reservation and
rules"), on real gRPC and Redis: the personal manager first, then a VIP client's chat to an
agent of the queue's vip_min_tier, a queue's required skills (ranked by skill_order), each
relaxed by a durable timer after the chat's creation (CONVERSATION_RULE_RELAXED), and the line
handing an agent who gets room the first chat they qualify for, VIP clients' first."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from tests.helpers import next_event, read_events
from tests.pbx_session_client import ms

S = cpb.ConversationState
E = events_pb2.EventType
VIP, NORMAL = "+4930900", "+4930100"


@pytest.fixture
async def stubs(start_replica):
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel), conversations_pb2_grpc.ConversationServiceStub(channel)


async def agent(router, agent_id, queues=("chat",), *, skills=None, tier=0):
    """An agent of the queues, logged in (one after another: the first is the longest idle)."""
    profile = pb.Agent(
        id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=list(queues), skills=dict(skills or {}), tier=tier
    )
    await router.UpsertAgent(pb.UpsertAgentRequest(agent=profile))
    await router.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


async def queue(router, name="chat", **fields):
    fields.setdefault("chat_capacity", 1)
    await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=name, **fields)))


async def post(conv, conversation_id, queue="chat", client=""):
    request = cpb.PostCustomerMessageRequest(
        conversation_id=conversation_id,
        message_id=f"{conversation_id}-m1",
        text="hallo",
        channel="webchat",
        queue=queue,
        client_number=client,
    )
    return (await conv.PostCustomerMessage(request)).conversation


async def held(conv, conversation_id):
    c = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id=conversation_id))).conversation
    return c.agent_id


async def close(conv, conversation_id):
    await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id=conversation_id))


async def assigned(redis, tenant, conversation_id):
    """The reasons of the conversation's CONVERSATION_ASSIGNED events, with their agents."""
    return [
        (e.agent_id, e.reason)
        for e in await read_events(redis, tenant)
        if e.type == E.EVENT_TYPE_CONVERSATION_ASSIGNED and e.conversation_id == conversation_id
    ]


async def assigned_after_relaxing(redis, tenant, conversation_id):
    """Waits for the conversation's CONVERSATION_RULE_RELAXED and its assignment after it."""

    def relaxed(e):
        return e.type == E.EVENT_TYPE_CONVERSATION_RULE_RELAXED and e.conversation_id == conversation_id

    def assigned_(e):
        return e.type == E.EVENT_TYPE_CONVERSATION_ASSIGNED and e.conversation_id == conversation_id

    position, relax = await asyncio.wait_for(next_event(redis, tenant, relaxed), 10)
    _, assignment = await asyncio.wait_for(next_event(redis, tenant, assigned_, after=position), 10)
    return relax, assignment


async def test_a_chat_of_a_queue_requiring_german_goes_only_to_an_agent_who_speaks_it(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 2})
    await agent(router, "anna")  # idle the longest, but no German
    await agent(router, "boris", skills={"de": 1})  # German below the queue's level
    await agent(router, "carl", skills={"de": 3})
    chat = await post(conv, "c1")
    assert (chat.state, chat.agent_id) == (S.CONVERSATION_STATE_TAKEN, "carl")
    assert await assigned(redis, tenant, "c1") == [("carl", "skills")]


async def test_the_highest_skill_goes_first_when_the_queue_says_so(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1}, skill_order=pb.SKILL_ORDER_HIGHEST_FIRST, chat_capacity=3)
    await agent(router, "anna", skills={"de": 1})
    await agent(router, "boris", skills={"de": 4})
    await agent(router, "carl", skills={"de": 2})
    # boris first while he has room, though he holds more chats than the others
    assert [(await post(conv, f"c{i}")).agent_id for i in range(1, 5)] == ["boris"] * 3 + ["carl"]
    assert await assigned(redis, tenant, "c4") == [("carl", "skills")]


async def test_with_nobody_skilled_free_a_chat_waits_and_after_skill_relax_goes_to_anyone(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1}, skill_relax=ms(300))
    await agent(router, "anna")
    waiting = await post(conv, "c1")
    assert (waiting.state, waiting.agent_id) == (S.CONVERSATION_STATE_NEW, "")
    relax, assignment = await assigned_after_relaxing(redis, tenant, "c1")
    assert (relax.reason, relax.queue, relax.channel, relax.agent_id) == ("skills_relaxed", "chat", "webchat", "")
    assert relax.time.ToMilliseconds() - waiting.created_at.ToMilliseconds() >= 300
    assert (assignment.agent_id, assignment.reason) == ("anna", "strategy")
    assert await held(conv, "c1") == "anna"


async def test_without_skill_relax_a_skilled_chat_waits_for_a_skilled_agent(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1})
    await agent(router, "anna")
    assert (await post(conv, "c1")).agent_id == ""
    await agent(router, "boris", skills={"de": 1})  # a login gives out the line
    assert await held(conv, "c1") == "boris"
    assert await assigned(redis, tenant, "c1") == [("boris", "skills")]


async def test_a_vip_clients_chat_goes_to_a_tier_agent_first_and_to_anyone_after_vip_overflow(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, vip_min_tier=5, vip_overflow=ms(300))
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=VIP, priority=3)))
    await agent(router, "anna", tier=1)
    await agent(router, "boris", tier=5)
    assert (await post(conv, "v1", client=VIP)).agent_id == "boris"
    assert await assigned(redis, tenant, "v1") == [("boris", "vip_tier")]
    # boris is full: the next VIP chat waits for a tier-5 agent, then goes to anna
    second = await post(conv, "v2", client=VIP)
    assert second.agent_id == ""
    relax, assignment = await assigned_after_relaxing(redis, tenant, "v2")
    assert relax.reason == "vip_overflow"
    assert relax.time.ToMilliseconds() - second.created_at.ToMilliseconds() >= 300
    assert (assignment.agent_id, assignment.reason) == ("anna", "strategy")


async def test_a_normal_clients_chat_is_not_held_for_a_tier_agent(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, vip_min_tier=5, vip_overflow=ms(60_000))
    await agent(router, "anna", tier=1)
    assert (await post(conv, "n1", client=NORMAL)).agent_id == "anna"
    assert await assigned(redis, tenant, "n1") == [("anna", "strategy")]


async def test_an_agent_freed_takes_the_vip_chat_before_an_older_normal_one(stubs, redis, tenant):
    router, conv = stubs
    await queue(router)
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=VIP, priority=3)))
    await agent(router, "anna")
    assert (await post(conv, "c0")).agent_id == "anna"
    assert (await post(conv, "n1", client=NORMAL)).agent_id == ""
    assert (await post(conv, "v1", client=VIP)).agent_id == ""
    await close(conv, "c0")
    assert (await held(conv, "v1"), await held(conv, "n1")) == ("anna", "")
    await close(conv, "v1")
    assert await held(conv, "n1") == "anna"


async def test_an_unskilled_agent_freed_is_not_handed_a_skilled_stage_chat(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1})
    await queue(router, "general")
    await agent(router, "anna", queues=("chat", "general"))
    await agent(router, "boris", skills={"de": 1})
    assert (await post(conv, "g1", queue="general")).agent_id == "anna"
    assert (await post(conv, "c0")).agent_id == "boris"
    assert (await post(conv, "c1")).agent_id == ""  # boris is full, anna lacks German
    await close(conv, "g1")  # anna has room again
    assert await held(conv, "c1") == ""
    await close(conv, "c0")  # boris has
    assert await held(conv, "c1") == "boris"
    assert await assigned(redis, tenant, "c1") == [("boris", "skills")]


async def test_the_personal_manager_still_comes_first(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1}, vip_min_tier=5)
    await agent(router, "anna")  # neither German nor of the VIP tier
    await agent(router, "boris", skills={"de": 1}, tier=5)
    client = pb.Client(number=VIP, priority=3, manager_id="anna")
    await router.UpsertClient(pb.UpsertClientRequest(client=client))
    assert (await post(conv, "v1", client=VIP)).agent_id == "anna"
    assert await assigned(redis, tenant, "v1") == [("anna", "personal_manager")]
    # with the manager full, the chat follows the queue's stages
    assert (await post(conv, "v2", client=VIP)).agent_id == "boris"
    assert await assigned(redis, tenant, "v2") == [("boris", "vip_tier")]


async def test_a_transfer_back_to_the_line_follows_the_stages_and_to_a_named_agent_overrides_them(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1})
    await agent(router, "anna")
    await agent(router, "boris", skills={"de": 1})
    assert (await post(conv, "c1")).agent_id == "boris"
    await conv.TransferConversation(cpb.TransferConversationRequest(conversation_id="c1", agent_id=""))
    assert await held(conv, "c1") == ""  # anna has room but no German
    await conv.TransferConversation(cpb.TransferConversationRequest(conversation_id="c1", agent_id="anna"))
    assert await held(conv, "c1") == "anna"  # a supervisor's choice


async def test_the_relax_timer_is_durable_across_a_restart_of_every_replica(start_replica, redis, tenant):
    first = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        await queue(router, required_skills={"de": 1}, skill_relax=ms(500))
        await agent(router, "anna")
        assert (await post(conv, "c1")).agent_id == ""
    await first.stop()
    second = await start_replica()  # the timer is in Redis
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
        relax, assignment = await assigned_after_relaxing(redis, tenant, "c1")
        assert (relax.reason, assignment.agent_id) == ("skills_relaxed", "anna")
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        assert await held(conv, "c1") == "anna"


async def test_a_vip_chat_of_a_skilled_queue_relaxes_stage_by_stage(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, required_skills={"de": 1}, vip_min_tier=5, vip_overflow=ms(200), skill_relax=ms(400))
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=VIP, priority=3)))
    await agent(router, "anna", tier=9)  # of the tier, but no German: not even at the vip stage
    chat = await post(conv, "v1", client=VIP)
    assert chat.agent_id == ""
    relax, assignment = await assigned_after_relaxing(redis, tenant, "v1")  # the first relaxation
    assert (assignment.agent_id, assignment.reason) == ("anna", "strategy")
    relaxed = [
        (e.reason, e.attributes["to_stage"], e.time.ToMilliseconds() - chat.created_at.ToMilliseconds())
        for e in await read_events(redis, tenant)
        if e.type == E.EVENT_TYPE_CONVERSATION_RULE_RELAXED
    ]
    assert [r[:2] for r in relaxed] == [("vip_overflow", "skilled"), ("skills_relaxed", "anyone")]
    assert relaxed[0][2] >= 200 and relaxed[1][2] >= 400


async def test_an_agent_freed_below_the_vip_tier_passes_over_a_vip_chat_for_the_next_one(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, vip_min_tier=5)
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=VIP, priority=3)))
    await agent(router, "anna", tier=1)
    assert (await post(conv, "c0")).agent_id == "anna"
    assert (await post(conv, "v1", client=VIP)).agent_id == ""  # waits for a tier-5 agent
    assert (await post(conv, "n1", client=NORMAL)).agent_id == ""
    await close(conv, "c0")
    assert (await held(conv, "v1"), await held(conv, "n1")) == ("", "anna")
    await agent(router, "boris", tier=5)
    assert await held(conv, "v1") == "boris"
    assert await assigned(redis, tenant, "v1") == [("boris", "vip_tier")]


async def test_a_waiting_vip_chat_says_it_waits_for_vip_agents_and_after_vip_overflow_for_anyone(stubs, redis, tenant):
    router, conv = stubs
    await queue(router, vip_min_tier=5, vip_overflow=ms(200))
    await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=VIP, priority=3)))
    waiting = await post(conv, "v1", client=VIP)  # nobody logged in: it waits
    assert (waiting.state, waiting.stage) == (S.CONVERSATION_STATE_NEW, pb.ROUTING_STAGE_VIP)
    listed = (await conv.ListConversations(cpb.ListConversationsRequest(queues=["chat"]))).conversations
    assert [c.stage for c in listed] == [pb.ROUTING_STAGE_VIP]

    def relaxed(e):
        return e.type == E.EVENT_TYPE_CONVERSATION_RULE_RELAXED and e.conversation_id == "v1"

    await asyncio.wait_for(next_event(redis, tenant, relaxed), 10)
    now = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="v1"))).conversation
    assert (now.state, now.stage) == (S.CONVERSATION_STATE_NEW, pb.ROUTING_STAGE_ANYONE)


async def test_a_chat_of_a_skilled_queue_is_at_the_skilled_stage_and_a_normal_one_at_anyone(stubs):
    router, conv = stubs
    await queue(router, required_skills={"de": 1})
    await queue(router, name="plain")
    assert (await post(conv, "s1")).stage == pb.ROUTING_STAGE_SKILLED
    assert (await post(conv, "p1", queue="plain", client=NORMAL)).stage == pb.ROUTING_STAGE_ANYONE
