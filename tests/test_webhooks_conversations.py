"""A messaging gateway learns of replies by webhook (issue 21): a subscription to
CONVERSATION_REPLIED receives each reply's text and message id, the agent's and a supervisor's,
in order per conversation, at a real HTTP receiver; real router, webhooks service and Redis."""

from __future__ import annotations

import grpc

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.webhooks.v1 import webhooks_pb2 as wpb
from tests.pbx_session_client import ms, team
from tests.webhooks_fixtures import subscribe


async def test_a_subscription_to_conversation_replied_receives_each_replys_text_and_message_id(
    start_replica, start_webhooks, stub_for, receiver
):
    webhooks = await start_webhooks()
    subscription = await subscribe(stub_for(webhooks), receiver, event_types=["CONVERSATION_REPLIED"])
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        await team(router, queue="chat", agents=("anna",))
        await conv.PostCustomerMessage(
            cpb.PostCustomerMessageRequest(
                conversation_id="c1", channel="webchat", queue="chat", message_id="m1", text="Where is my order?"
            )
        )
        await conv.ReplyToConversation(
            cpb.ReplyToConversationRequest(conversation_id="c1", agent_id="anna", message_id="a1", text="On its way.")
        )
        await conv.PostSupervisorMessage(
            cpb.PostSupervisorMessageRequest(conversation_id="c1", message_id="s1", text="Tomorrow by noon.")
        )
        await conv.PostSupervisorMessage(  # a note is no reply: never forwarded
            cpb.PostSupervisorMessageRequest(conversation_id="c1", message_id="n1", text="check stock", note=True)
        )

    delivered = await receiver.wait_for(lambda got: len([r for r in got if r.ok]) >= 2)
    events = [r.event for r in delivered if r.ok]
    assert [(e["type"], e["conversation_id"], e["reason"], e["attributes"]) for e in events] == [
        ("EVENT_TYPE_CONVERSATION_REPLIED", "c1", "agent", {"message_id": "a1", "text": "On its way."}),
        ("EVENT_TYPE_CONVERSATION_REPLIED", "c1", "supervisor", {"message_id": "s1", "text": "Tomorrow by noon."}),
    ]
    assert all(r.signed_by for r in delivered)
    log = await stub_for(webhooks).ListDeliveries(wpb.ListDeliveriesRequest(subscription_id=subscription.id))
    assert {d.subject for d in log.deliveries} == {"conversation:c1"}  # one conversation: in order


async def test_an_idle_close_reaches_a_conversation_closed_subscription_after_the_last_reply(
    start_replica, start_webhooks, stub_for, receiver
):
    webhooks = await start_webhooks()
    await subscribe(stub_for(webhooks), receiver, event_types=["CONVERSATION_REPLIED", "CONVERSATION_CLOSED"])
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        await team(router, queue="chat", agents=("anna",), idle_close=ms(300))
        await conv.PostCustomerMessage(
            cpb.PostCustomerMessageRequest(
                conversation_id="c1", channel="webchat", queue="chat", message_id="m1", text="Where is my order?"
            )
        )
        await conv.ReplyToConversation(
            cpb.ReplyToConversationRequest(conversation_id="c1", agent_id="anna", message_id="a1", text="On its way.")
        )  # the customer writes no more: the chat closes itself

        delivered = await receiver.wait_for(lambda got: len([r for r in got if r.ok]) >= 2)
    events = [r.event for r in delivered if r.ok]
    assert [(e["type"], e.get("reason"), e.get("actor", "")) for e in events] == [
        ("EVENT_TYPE_CONVERSATION_REPLIED", "agent", ""),
        ("EVENT_TYPE_CONVERSATION_CLOSED", "idle", ""),
    ]
