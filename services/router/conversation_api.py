"""The router's ConversationService servicer: each handler reads the request, calls one method
of the conversations' domain (conversations.py) and converts the answer (convert.py)."""

from __future__ import annotations

from callcenter.api.router.v1 import conversations_pb2 as pb
from callcenter.api.router.v1 import conversations_pb2_grpc
from callcenter.core.grpc_server import domain_errors
from callcenter.services.router import convert
from callcenter.services.router.conversations import Conversations

_domain_errors = domain_errors("the router's store")


class ConversationServicer(conversations_pb2_grpc.ConversationServiceServicer):
    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations

    @_domain_errors
    async def PostCustomerMessage(self, request, context):
        c = await self.conversations.post_customer_message(
            request.conversation_id,
            request.channel,
            request.topic,
            request.queue,
            request.client_number,
            request.message_id,
            request.text,
        )
        return pb.PostCustomerMessageResponse(conversation=convert.conversation_to_pb(c))

    @_domain_errors
    async def ReplyToConversation(self, request, context):
        c = await self.conversations.reply(request.conversation_id, request.agent_id, request.message_id, request.text)
        return pb.ReplyToConversationResponse(conversation=convert.conversation_to_pb(c))

    @_domain_errors
    async def CloseConversation(self, request, context):
        c = await self.conversations.close(request.conversation_id, request.agent_id)
        return pb.CloseConversationResponse(conversation=convert.conversation_to_pb(c))

    @_domain_errors
    async def GetConversation(self, request, context):
        c = await self.conversations.get(request.conversation_id)
        return pb.GetConversationResponse(conversation=convert.conversation_to_pb(c))

    @_domain_errors
    async def ListConversations(self, request, context):
        page = await self.conversations.list(
            agent_id=request.agent_id,
            queue=request.queue,
            state=convert.conversation_state_from_pb(request.state),
            channel=request.channel,
            topic=request.topic,
            page_size=request.page_size,
            page_token=request.page_token,
            overdue_only=request.overdue_only,
            client_number=request.client_number,
            queues=list(request.queues),
            also_held_by=list(request.also_held_by),
        )
        return pb.ListConversationsResponse(
            conversations=[convert.conversation_to_pb(c) for c in page.conversations],
            next_page_token=page.next_token,
        )

    @_domain_errors
    async def TransferConversation(self, request, context):
        c = await self.conversations.transfer(request.conversation_id, request.agent_id)
        return pb.TransferConversationResponse(conversation=convert.conversation_to_pb(c))

    @_domain_errors
    async def PostSupervisorMessage(self, request, context):
        c = await self.conversations.post_supervisor_message(
            request.conversation_id, request.message_id, request.text, request.note
        )
        return pb.PostSupervisorMessageResponse(conversation=convert.conversation_to_pb(c))
