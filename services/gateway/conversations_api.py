"""Conversations (issue 21): the HTTP side of domain/conversations.py. The widget's routes (role
messaging: a chat widget's backend or messaging gateway) post customers' messages and read
the replies a customer may see; the agents' routes list, read, reply to and close the
conversations their user may see."""

from __future__ import annotations

import json

import grpc
import structlog
from aiohttp import web

from callcenter.core import ids
from callcenter.core.errors import DomainError
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.board_api import LIVE
from callcenter.services.gateway.domain import conversations
from callcenter.services.gateway.domain.conversations import CustomerMessage, Filters
from callcenter.services.gateway.live import StreamLimit, stream
from callcenter.services.gateway.query import flag_param, page_size
from callcenter.services.gateway.users import User
from callcenter.services.gateway.web import (
    BACKENDS,
    CONFIG,
    TOKEN,
    ApiError,
    accepts,
    for_messaging,
    json_reply,
    read_json,
    text_field,
    user_of,
)

log = structlog.get_logger("gateway")

routes = web.RouteTableDef()
BASE = "/api/v1/conversations"
ONE = BASE + "/{conversation_id}"
MESSAGE_FIELDS = ("conversation_id", "channel", "topic", "queue", "client_number", "message_id", "text")


def conversation_id_of(request: web.Request) -> str:
    """The conversation a route under ONE names (percent-decoded by aiohttp)."""
    return request.match_info["conversation_id"]


def conversation_reply(c) -> web.Response:
    """{"conversation": …}: how a route changing a conversation answers (without its messages)."""
    return json_reply({"conversation": conversations.conversation_json(c)})


@routes.post(BASE + "/messages")
@accepts(body=MESSAGE_FIELDS)
@for_messaging
async def post_customer_message(request: web.Request) -> web.Response:
    """A customer's message relayed by a widget or messaging gateway; the first of a
    conversation_id opens the conversation. Idempotent by message_id."""
    body = await read_json(request)
    m = CustomerMessage(**{name: text_field(body, name) for name in MESSAGE_FIELDS})  # the router checks each
    return conversation_reply(await conversations.post_customer_message(user_of(request), request.app[BACKENDS], m))


@routes.get(ONE + "/messages")
@accepts(query=("after",))
@for_messaging
async def customer_messages(request: web.Request) -> web.Response:
    """The messages the customer may see (theirs, the agent's and a supervisor's replies;
    never a note), oldest first, after the message `after`."""
    c, messages = await conversations.customer_messages(
        user_of(request), request.app[BACKENDS], conversation_id_of(request), request.query.get("after", "")
    )
    state = conversations.STATE_NAMES.get(c.state, "unknown")
    shown = [conversations.message_json(m, for_customer=True) for m in messages]
    return json_reply({"conversation_id": c.conversation_id, "state": state, "messages": shown})


# The events after which a conversation may hold a new customer-visible message or be closed
# (never a note: CONVERSATION_NOTE wakes nobody).
WAKING = frozenset({"conversation_message", "conversation_replied", "conversation_closed"})


class MessageFeed:
    """One conversation's customer-visible messages as server-sent events (live.Feed): each
    new one a `message` event whose id is its message_id (so Last-Event-ID resumes after it),
    then, once the conversation is closed, one `closed` event and the end. Woken by the
    conversation's events on the gateway's one live reader, it asks the router for the
    conversation again and writes what is new after the last message written."""

    kind = "conversation_streams_per_user"

    def __init__(self, user: User, backends: Backends, conversation_id: str, after: str) -> None:
        self.user, self.backends, self.conversation_id = user, backends, conversation_id
        self.last = after
        self.finished = False

    async def opening(self) -> bytes | None:
        """What is new at connection (a conversation the user may not see: NotFound, 404
        before anything is sent); None for a closed conversation with nothing new (204)."""
        c, new = await conversations.customer_messages(self.user, self.backends, self.conversation_id, self.last)
        if conversations.closed_json(c) is not None and not new:
            return None
        return self._events(c, new)

    async def render(self, seen: list[dict]) -> bytes:
        if not any(item.get("conversation_id") == self.conversation_id and item["type"] in WAKING for item in seen):
            return b""
        return await self._new()

    async def idle(self) -> bytes:
        """At each keepalive, what a wake lost to a full queue (live.QUEUE_SIZE) would have
        brought: one router read per stream per keepalive."""
        return await self._new()

    async def _new(self) -> bytes:
        try:
            c, new = await conversations.customer_messages(self.user, self.backends, self.conversation_id, self.last)
        except (grpc.aio.AioRpcError, DomainError) as exc:  # the router is away: the client reconnects, resuming
            log.warning("conversation_stream.ended", conversation_id=self.conversation_id, error=str(exc)[:200])
            self.finished = True
            return b""
        return self._events(c, new)

    def _events(self, c, new: list) -> bytes:
        out = []
        for m in new:
            data = json.dumps(conversations.message_json(m, for_customer=True), separators=(",", ":"))
            out.append(f"id: {m.message_id}\ndata: {data}\n\n")
        if new:
            self.last = new[-1].message_id
        closed = conversations.closed_json(c)
        if closed is not None:
            out.append(f"event: closed\ndata: {json.dumps(closed, separators=(',', ':'))}\n\n")
            self.finished = True
        return "".join(out).encode()


@routes.get(ONE + "/messages/stream")
@accepts(query=("after",))
@for_messaging
async def customer_message_stream(request: web.Request) -> web.StreamResponse:
    """The customer-visible messages of one conversation as server-sent events, as they are
    written, after the message Last-Event-ID (a reconnecting EventSource sends it) or `after`;
    ends with a `closed` event once the conversation is closed (204 when it was closed with
    nothing new). Beyond the user's conversation streams or the gateway's, 429 or 503."""
    header = request.headers.get("Last-Event-ID")
    after = header if header is not None else request.query.get("after", "")
    if after:
        ids.check_name(after, "Last-Event-ID" if header is not None else "after")
    user, token, hub = user_of(request), request[TOKEN], request.app[LIVE]

    async def still_valid() -> bool:
        return await hub.session_uid(token) == user.uid

    feed = MessageFeed(user, request.app[BACKENDS], conversation_id_of(request), after)
    try:
        return await stream(request, hub, user, still_valid, request.app[CONFIG].quotas, feed=feed)
    except StreamLimit as refused:
        raise ApiError(refused.status, str(refused), headers={"Retry-After": str(refused.retry_after_s)}) from None


@routes.get(BASE)
@accepts(query=("state", "channel", "topic", "queue", "client_number", "overdue", "page_size", "page_token"))
async def list_conversations(request: web.Request) -> web.Response:
    """An agent's own open conversations; a supervisor's queues'; an admin's all."""
    q = request.query
    f = Filters(
        state=q.get("state", ""),
        channel=q.get("channel", ""),
        topic=q.get("topic", ""),
        queue=q.get("queue", ""),
        client_number=q.get("client_number", ""),
        overdue=flag_param(q, "overdue"),
        page_size=page_size(q, 100),
        page_token=q.get("page_token", "")[:4096],
    )
    found, token = await conversations.list_for(user_of(request), request.app[BACKENDS], f)
    return json_reply({"conversations": [conversations.conversation_json(c) for c in found], "next_page_token": token})


@routes.get(ONE)
@accepts()
async def get_conversation(request: web.Request) -> web.Response:
    """One conversation with its newest messages (a supervisor's notes included)."""
    c = await conversations.get(user_of(request), request.app[BACKENDS], conversation_id_of(request))
    return json_reply({"conversation": conversations.conversation_json(c, with_messages=True)})


@routes.post(ONE + "/reply")
@accepts(body=("message_id", "text"))
async def reply(request: web.Request) -> web.Response:
    """The agent's reply to the customer, as themselves. Idempotent by message_id."""
    body = await read_json(request)
    message_id, text = text_field(body, "message_id"), text_field(body, "text")
    c = await conversations.reply(
        user_of(request), request.app[BACKENDS], conversation_id_of(request), message_id, text
    )
    return conversation_reply(c)


@routes.post(ONE + "/close")
@accepts()
async def close(request: web.Request) -> web.Response:
    """Closes the conversation (an agent: only their own)."""
    await read_json(request)
    return conversation_reply(
        await conversations.close(user_of(request), request.app[BACKENDS], conversation_id_of(request))
    )
