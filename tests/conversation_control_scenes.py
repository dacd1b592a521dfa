"""A scripted conversations scene for the supervisors' tests (issue 21), against the real router
the gateway fixture starts:

queue chat   (first response and reply due within OVERDUE_MS, two chats each) anna, then boris
             and sam-agent (the supervisor sam's own agent) logged in; c1 by webchat about
             billing, held by anna without a reply, turns overdue, and the customer writes again
queue mail   (a day to answer, two e-mails each) dora: m1 email/billing TAKEN, m2
             email/delivery ANSWERED, m3 email/delivery NEW (dora is full)
queue support csilla, supervised by olga (another team)

Users: root (admin), sam (supervisor of chat and mail, agent sam-agent), olga (supervisor of
support), anna, boris and dora (agents)."""

from __future__ import annotations

import asyncio
import contextlib

import grpc

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from tests.gateway_fixtures import PASSWORD
from tests.helpers import next_event
from tests.pbx_session_client import ms

OVERDUE_MS = 200  # chat's first-response and reply deadline: short, waited for by its event
CHAT_AGENTS = ("anna", "boris", "sam-agent")


@contextlib.asynccontextmanager
async def stubs(gateway):
    """The router's RouterService and ConversationService clients."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel), conversations_pb2_grpc.ConversationServiceStub(channel)


async def post(conv, conversation_id: str, message_id: str, queue: str, channel: str, topic: str, text: str = "hi"):
    request = cpb.PostCustomerMessageRequest(
        conversation_id=conversation_id, message_id=message_id, queue=queue, channel=channel, topic=topic, text=text
    )
    return (await conv.PostCustomerMessage(request)).conversation


async def _agent(router, agent_id: str, queue: str) -> None:
    endpoint = f"sip:{agent_id}@pbx"
    await router.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint=endpoint, queues=[queue])))
    await router.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


async def users(gateway) -> None:
    await gateway.users.create("root", PASSWORD, "admin")
    await gateway.users.create("sam", PASSWORD, "supervisor", agent_id="sam-agent", teams=("chat", "mail"))
    await gateway.users.create("olga", PASSWORD, "supervisor", teams=("support",))
    for agent_id in ("anna", "boris", "dora"):
        await gateway.users.create(agent_id, PASSWORD, "agent", agent_id=agent_id)


async def scene(gateway, redis, tenant) -> cpb.Conversation:
    """The scene above, once c1 is overdue; returns c1 as the router has it then."""
    await users(gateway)
    async with stubs(gateway) as (router, conv):
        await router.UpsertQueue(
            pb.UpsertQueueRequest(
                queue=pb.Queue(name="chat", chat_capacity=2, first_response=ms(OVERDUE_MS), reply=ms(OVERDUE_MS))
            )
        )
        day = ms(86_400_000)
        await router.UpsertQueue(
            pb.UpsertQueueRequest(queue=pb.Queue(name="mail", chat_capacity=2, first_response=day, reply=day))
        )
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="support")))
        await _agent(router, "anna", "chat")
        await _agent(router, "dora", "mail")
        await _agent(router, "csilla", "support")

        position = (await redis.xinfo_stream(f"cc:{{{tenant}}}:events"))["last-generated-id"]
        c1 = await post(conv, "c1", "c1-m1", "chat", "webchat", "billing", "my invoice is wrong")
        assert c1.agent_id == "anna", c1  # the only one logged in to chat yet
        for agent_id in CHAT_AGENTS[1:]:
            await _agent(router, agent_id, "chat")
        await asyncio.wait_for(
            next_event(
                redis,
                tenant,
                lambda e: e.type == events_pb2.EVENT_TYPE_CONVERSATION_OVERDUE and e.conversation_id == "c1",
                after=position,
            ),
            10,
        )
        await post(conv, "c1", "c1-m2", "chat", "webchat", "billing", "hello?")
        await post(conv, "m1", "m1-m1", "mail", "email", "billing")
        await post(conv, "m2", "m2-m1", "mail", "email", "delivery")
        await conv.ReplyToConversation(
            cpb.ReplyToConversationRequest(conversation_id="m2", agent_id="dora", message_id="m2-a1", text="on its way")
        )
        await post(conv, "m3", "m3-m1", "mail", "email", "delivery")
        c1 = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="c1"))).conversation
        assert (c1.overdue, c1.agent_id, c1.state) == (True, "anna", cpb.CONVERSATION_STATE_UNANSWERED), c1
        return c1
