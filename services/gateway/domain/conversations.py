"""Conversations (issue 21): chats and messages the router routes like calls, as the gateway's
users may see them and act on them (S0.5).

admin       every conversation
supervisor  conversations of the queues they supervise (user.teams) or held by an agent of a
            router team they supervise (user.team_agents), as their calls' live events
agent       only the conversations they hold (agent_id is theirs); any other is NotFound
messaging   a chat widget's backend or messaging gateway: posts customers' messages to the
            queues it serves (user.teams; another queue is PermissionDenied naming `queue`)
            and channels (user.channels, empty: every one; another, naming `channel`)
            and reads the messages a customer may see (customer, agent and supervisor
            replies: never a note) of those queues' conversations; nothing else. A messaging
            user stored before it had queues (teams empty) serves none until an admin gives
            it some: every post is refused, every conversation NotFound

A conversation a user may not see is refused as NotFound (its existence is not revealed). The
supervisors' routes (board, transfer, take, note) build on these same pieces."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from callcenter.api.router.v1 import conversations_pb2 as pb
from callcenter.api.router.v1 import router_pb2
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound, PermissionDenied

from ..backends import Backends, unless_unknown
from ..users import User
from . import access

# Who may use the agents' and supervisors' side (the messaging role never may).
STAFF = ("admin", "supervisor", "agent")
MESSAGING = "messaging"
# The newest customer-visible messages a widget reads at once.
MAX_WIDGET_MESSAGES = 200

STATES = {
    "new": pb.CONVERSATION_STATE_NEW,
    "taken": pb.CONVERSATION_STATE_TAKEN,
    "unanswered": pb.CONVERSATION_STATE_UNANSWERED,
    "answered": pb.CONVERSATION_STATE_ANSWERED,
    "closed": pb.CONVERSATION_STATE_CLOSED,
}
STATE_NAMES = {v: k for k, v in STATES.items()}
# Whose turn a conversation is by the queue's routing rules (Conversation.stage), by short
# name; a conversation stored before stages were kept has none (null).
STAGE_NAMES = {
    router_pb2.ROUTING_STAGE_PERSONAL_MANAGER: "manager",
    router_pb2.ROUTING_STAGE_VIP: "vip",
    router_pb2.ROUTING_STAGE_SKILLED: "skilled",
    router_pb2.ROUTING_STAGE_ANYONE: "anyone",
}
AUTHOR_NAMES = {
    pb.MESSAGE_AUTHOR_CUSTOMER: "customer",
    pb.MESSAGE_AUTHOR_AGENT: "agent",
    pb.MESSAGE_AUTHOR_SUPERVISOR: "supervisor",
    pb.MESSAGE_AUTHOR_NOTE: "note",
}
# What a customer sees of a conversation: never a supervisor's note to the agent.
CUSTOMER_VISIBLE = frozenset({pb.MESSAGE_AUTHOR_CUSTOMER, pb.MESSAGE_AUTHOR_AGENT, pb.MESSAGE_AUTHOR_SUPERVISOR})


def _time(ts: Timestamp) -> str | None:
    """A Timestamp as RFC 3339 UTC with milliseconds, None when unset."""
    if not ts.seconds and not ts.nanos:
        return None
    return str(ts.ToDatetime().isoformat(timespec="milliseconds")) + "Z"


def message_json(m: pb.ConversationMessage, *, for_customer: bool = False) -> dict[str, Any]:
    """One message; for a customer (the widget) without who wrote it inside the platform."""
    out: dict[str, Any] = {"message_id": m.message_id, "author": AUTHOR_NAMES.get(m.author, "unknown"), "text": m.text}
    out["sent_at"] = _time(m.sent_at)
    if not for_customer:
        out["agent_id"] = m.agent_id
        out["actor"] = m.actor
    return out


def closed_json(c: pb.Conversation) -> dict[str, Any] | None:
    """What a customer is told of their conversation's end; None while it is open."""
    if c.state != pb.CONVERSATION_STATE_CLOSED:
        return None
    return {
        "conversation_id": c.conversation_id,
        "state": "closed",
        "closed_at": _time(c.closed_at),
        "close_reason": c.close_reason,
    }


def conversation_json(c: pb.Conversation, *, with_messages: bool = False) -> dict[str, Any]:
    """A conversation as the API answers it (state, stage and authors by short name: "taken",
    "vip", "note"); its messages (oldest first, notes included: for agents and supervisors) when
    `with_messages`."""
    out: dict[str, Any] = {
        "conversation_id": c.conversation_id,
        "channel": c.channel,
        "topic": c.topic,
        "queue": c.queue,
        "client_number": c.client_number,
        "state": STATE_NAMES.get(c.state, "unknown"),
        "stage": STAGE_NAMES.get(c.stage),
        "agent_id": c.agent_id,
        "overdue": c.overdue,
        "reply_due_at": _time(c.reply_due_at),
        "created_at": _time(c.created_at),
        "assigned_at": _time(c.assigned_at),
        "closed_at": _time(c.closed_at),
        "close_reason": c.close_reason,
        "last_customer_message_at": _time(c.last_customer_message_at),
        "first_replied_at": _time(c.first_replied_at),
        "message_count": c.message_count,
    }
    if with_messages:
        out["messages"] = [message_json(m) for m in c.messages]
    return out


def sees(user: User, c: pb.Conversation) -> bool:
    """Whether the user may see this conversation (the module's rule)."""
    if user.role == "admin":
        return True
    if user.role == MESSAGING:
        return c.queue in user.teams and (not user.channels or c.channel in user.channels)
    if user.role == "supervisor":
        return c.queue in user.teams or (bool(c.agent_id) and c.agent_id in user.team_agents)
    return user.role == "agent" and bool(user.agent_id) and c.agent_id == user.agent_id


def check_visible(user: User, c: pb.Conversation) -> pb.Conversation:
    """The conversation, or NotFound when the user may not see it (never its content)."""
    if not sees(user, c):
        raise NotFound(f"conversation {c.conversation_id} does not exist")
    return c


async def fetch(backends: Backends, conversation_id: str) -> pb.Conversation:
    """The conversation with its newest messages (NOT_FOUND from the router when none)."""
    reply: pb.GetConversationResponse = await backends.conversations.GetConversation(
        pb.GetConversationRequest(conversation_id=conversation_id), timeout=backends.timeout_s
    )
    return reply.conversation


async def get(user: User, backends: Backends, conversation_id: str) -> pb.Conversation:
    """One conversation the user may see, with its messages (notes included)."""
    access.require_role(user, *STAFF)
    return check_visible(user, await fetch(backends, conversation_id))


# ---- the widget's side (role messaging) -------------------------------------------------


@dataclass(frozen=True)
class CustomerMessage:
    conversation_id: str
    channel: str
    topic: str
    queue: str
    client_number: str
    message_id: str
    text: str


async def post_customer_message(user: User, backends: Backends, m: CustomerMessage) -> pb.Conversation:
    """A customer's message relayed by a widget or messaging gateway (idempotent by
    message_id: the same id twice is stored once). A messaging user posts only to a queue it
    serves, and only to a conversation of one (another's: NotFound, as to read it)."""
    access.require_role(user, MESSAGING, "admin")  # the router checks every field, naming it
    if user.role == MESSAGING:
        await _check_serves(user, backends, m)
    reply: pb.PostCustomerMessageResponse = await backends.conversations.PostCustomerMessage(
        pb.PostCustomerMessageRequest(
            conversation_id=m.conversation_id,
            channel=m.channel,
            topic=m.topic,
            queue=m.queue,
            client_number=m.client_number,
            message_id=m.message_id,
            text=m.text,
        ),
        timeout=backends.timeout_s,
    )
    return reply.conversation


async def _check_serves(user: User, backends: Backends, m: CustomerMessage) -> None:
    """The message's queue (and channel) is one the messaging user serves, and so is the
    conversation it goes to when that exists already (the router takes a later message's
    queue and channel from the conversation, whatever the request says)."""
    for name in ("queue", "channel"):  # a malformed name is a 400 naming it, as the router's, before any 403
        if getattr(m, name):
            ids.check_name(getattr(m, name), name)
    if m.queue and m.queue not in user.teams:
        if not user.teams:
            raise PermissionDenied("queue: this messaging user serves no queue yet (an admin gives it teams)", "queue")
        raise PermissionDenied(f"queue: this user serves only {', '.join(user.teams)}", "queue")
    if m.channel and user.channels and m.channel not in user.channels:
        raise PermissionDenied(f"channel: this user serves only {', '.join(user.channels)}", "channel")
    ids.check_name(m.conversation_id, "conversation_id")
    existing = await unless_unknown(fetch(backends, m.conversation_id))
    if existing is not None:  # else a new conversation, of the queue just checked (the router requires one)
        check_visible(user, existing)


async def customer_messages(
    user: User, backends: Backends, conversation_id: str, after: str = ""
) -> tuple[pb.Conversation, list[pb.ConversationMessage]]:
    """The messages a customer may see (never a note), oldest first, after the message
    `after` (all the newest when empty or no longer among them), at most
    MAX_WIDGET_MESSAGES."""
    access.require_role(user, MESSAGING, "admin")
    if after:
        ids.check_name(after, "after")
    c = check_visible(user, await fetch(backends, conversation_id))
    return c, customer_visible(c, after)


def customer_visible(c: pb.Conversation, after: str = "") -> list[pb.ConversationMessage]:
    """The conversation's customer-visible messages after the message `after` (all the
    newest when empty or no longer among them), at most MAX_WIDGET_MESSAGES."""
    visible = [m for m in c.messages if m.author in CUSTOMER_VISIBLE]
    seen = [m.message_id for m in visible]
    if after and after in seen:
        visible = visible[seen.index(after) + 1 :]
    return visible[-MAX_WIDGET_MESSAGES:]


# ---- the agents' side ---------------------------------------------------------------------


async def reply(user: User, backends: Backends, conversation_id: str, message_id: str, text: str) -> pb.Conversation:
    """The agent's reply, as themselves (the router refuses it unless they hold it)."""
    access.require_role(user, "agent")
    c = await get(user, backends, conversation_id)
    done: pb.ReplyToConversationResponse = await backends.conversations.ReplyToConversation(
        pb.ReplyToConversationRequest(
            conversation_id=c.conversation_id, agent_id=user.agent_id, message_id=message_id, text=text
        ),
        timeout=backends.timeout_s,
    )
    return done.conversation


async def close(user: User, backends: Backends, conversation_id: str) -> pb.Conversation:
    """Closes a conversation: an agent only their own (the router checks agent_id too);
    supervisors and admins any they see."""
    c = await get(user, backends, conversation_id)
    agent_id = user.agent_id if user.role == "agent" else ""
    done: pb.CloseConversationResponse = await backends.conversations.CloseConversation(
        pb.CloseConversationRequest(conversation_id=c.conversation_id, agent_id=agent_id), timeout=backends.timeout_s
    )
    return done.conversation


@dataclass(frozen=True)
class Filters:
    """A list's filters as the API takes them (checked by `check_filters`)."""

    state: str = ""
    channel: str = ""
    topic: str = ""
    queue: str = ""
    client_number: str = ""
    overdue: bool = False
    page_size: int = 100
    page_token: str = ""


def check_filters(f: Filters) -> Filters:
    if f.state and f.state not in STATES:
        raise InvalidArgument("state", f"must be one of {', '.join(STATES)}")
    for field in ("channel", "topic", "queue"):  # the router checks them too, but a supervisor's
        if getattr(f, field):  # queue filter is looked at here first
            ids.check_name(getattr(f, field), field)
    return f


def scope(user: User, f: Filters) -> pb.ListConversationsRequest | None:
    """The one router list request that is what the user may see of a list: an admin's any,
    an agent's their own, a supervisor's their queues' (the queue filter when it is one of
    them) or, without a queue filter, held by an agent of a router team they supervise
    (`also_held_by`). None: nothing to see (a supervisor's queue filter they do not
    supervise, or a supervisor of nothing)."""
    access.require_role(user, *STAFF)
    if user.role == "admin":
        return _request(f, queue=f.queue)
    if user.role == "agent":
        return _request(f, agent_id=user.agent_id, queue=f.queue)
    if f.queue:
        return _request(f, queues=[f.queue]) if f.queue in user.teams else None
    if not user.teams and not user.team_agents:
        return None
    return _request(f, queues=sorted(user.teams), also_held_by=sorted(user.team_agents))


def _request(
    f: Filters,
    agent_id: str = "",
    queue: str = "",
    queues: list[str] | None = None,
    also_held_by: list[str] | None = None,
) -> pb.ListConversationsRequest:
    return pb.ListConversationsRequest(
        agent_id=agent_id,
        queue=queue,
        queues=queues or [],
        also_held_by=also_held_by or [],
        state=STATES.get(f.state, pb.CONVERSATION_STATE_UNSPECIFIED),
        channel=f.channel,
        topic=f.topic,
        page_size=f.page_size,
        page_token=f.page_token,
        overdue_only=f.overdue,
        client_number=f.client_number,
    )


async def list_for(user: User, backends: Backends, f: Filters) -> tuple[list[pb.Conversation], str]:
    """The conversations the user may see matching the filters, newest first, at most
    page_size of them in all, and the next page's token ("" on the last): one router
    request, its page token the router's own (a malformed one, or one of the gateway's
    per-queue tokens of before, is the router's INVALID_ARGUMENT naming page_token, a 400)."""
    check_filters(f)
    request = scope(user, f)
    if request is None:
        return [], ""
    reply: pb.ListConversationsResponse = await backends.conversations.ListConversations(
        request, timeout=backends.timeout_s
    )
    return [c for c in reply.conversations if sees(user, c)], reply.next_page_token


# ---- the customer card ------------------------------------------------------------------

MAX_CARD_CONVERSATIONS = 20  # the newest conversations a customer card shows
MAX_CARD_MESSAGES = 5  # the newest messages of each


async def of_client(user: User, backends: Backends, number: str, whole: bool) -> list[pb.Conversation]:
    """The client's conversations on their card, newest first, each with its newest messages
    (MAX_CARD_MESSAGES; notes included: the card is the staff's): all of them when the user
    sees the client (`whole`), else those the user may see (an agent their own)."""
    found: list[pb.Conversation] = []
    for state in (pb.CONVERSATION_STATE_UNSPECIFIED, pb.CONVERSATION_STATE_CLOSED):  # open ones, closed ones
        request = pb.ListConversationsRequest(client_number=number, state=state, page_size=MAX_CARD_CONVERSATIONS)
        for _ in range(4):  # a router page looks at a bounded stretch of its index: a few go far enough
            reply: pb.ListConversationsResponse = await backends.conversations.ListConversations(
                request, timeout=backends.timeout_s
            )
            found += [c for c in reply.conversations if whole or sees(user, c)]
            if not reply.next_page_token or len(found) >= 2 * MAX_CARD_CONVERSATIONS:
                break
            request.page_token = reply.next_page_token
    found.sort(key=lambda c: (c.created_at.seconds, c.created_at.nanos), reverse=True)
    shown = await asyncio.gather(*(fetch(backends, c.conversation_id) for c in found[:MAX_CARD_CONVERSATIONS]))
    for full in shown:
        del full.messages[:-MAX_CARD_MESSAGES]
    return list(shown)
