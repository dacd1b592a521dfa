"""Conversations (issue 21): the HTTP side of domain/conversations.py. The widget's routes (role
messaging: a chat widget's backend or messaging gateway) post customers' messages and read
the replies a customer may see; the agents' routes list, read, reply to and close the
conversations their user may see."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import conversations
from callcenter.services.gateway.domain.conversations import CustomerMessage, Filters
from callcenter.services.gateway.query import flag_param, page_size
from callcenter.services.gateway.web import (
    BACKENDS,
    accepts,
    for_messaging,
    json_reply,
    read_json,
    text_field,
    user_of,
)

routes = web.RouteTableDef()
BASE = "/api/v1/conversations"
ONE = BASE + "/{conversation_id}"
MESSAGE_FIELDS = ("conversation_id", "channel", "topic", "queue", "client_number", "message_id", "text")


def _id(request: web.Request) -> str:
    return request.match_info["conversation_id"]


def _reply(c) -> web.Response:
    return json_reply({"conversation": conversations.conversation_json(c)})


@routes.post(BASE + "/messages")
@accepts(body=MESSAGE_FIELDS)
@for_messaging
async def post_customer_message(request: web.Request) -> web.Response:
    """A customer's message relayed by a widget or messaging gateway; the first of a
    conversation_id opens the conversation. Idempotent by message_id."""
    body = await read_json(request)
    m = CustomerMessage(**{name: text_field(body, name) for name in MESSAGE_FIELDS})  # the router checks each
    return _reply(await conversations.post_customer_message(user_of(request), request.app[BACKENDS], m))


@routes.get(ONE + "/messages")
@accepts(query=("after",))
@for_messaging
async def customer_messages(request: web.Request) -> web.Response:
    """The messages the customer may see (theirs, the agent's and a supervisor's replies;
    never a note), oldest first, after the message `after`."""
    c, messages = await conversations.customer_messages(
        user_of(request), request.app[BACKENDS], _id(request), request.query.get("after", "")
    )
    state = conversations.STATE_NAMES.get(c.state, "unknown")
    shown = [conversations.message_json(m, for_customer=True) for m in messages]
    return json_reply({"conversation_id": c.conversation_id, "state": state, "messages": shown})


@routes.get(BASE)
@accepts(query=("state", "channel", "topic", "queue", "overdue", "page_size", "page_token"))
async def list_conversations(request: web.Request) -> web.Response:
    """An agent's own open conversations; a supervisor's queues'; an admin's all."""
    q = request.query
    f = Filters(
        state=q.get("state", ""),
        channel=q.get("channel", ""),
        topic=q.get("topic", ""),
        queue=q.get("queue", ""),
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
    c = await conversations.get(user_of(request), request.app[BACKENDS], _id(request))
    return json_reply({"conversation": conversations.conversation_json(c, with_messages=True)})


@routes.post(ONE + "/reply")
@accepts(body=("message_id", "text"))
async def reply(request: web.Request) -> web.Response:
    """The agent's reply to the customer, as themselves. Idempotent by message_id."""
    body = await read_json(request)
    message_id, text = text_field(body, "message_id"), text_field(body, "text")
    c = await conversations.reply(user_of(request), request.app[BACKENDS], _id(request), message_id, text)
    return _reply(c)


@routes.post(ONE + "/close")
@accepts()
async def close(request: web.Request) -> web.Response:
    """Closes the conversation (an agent: only their own)."""
    await read_json(request)
    return _reply(await conversations.close(user_of(request), request.app[BACKENDS], _id(request)))
