"""Conversations in the router's domain (issue 21): chats and messages routed like calls.

Validates each request and runs its one transition (scripts/post_customer_message.lua,
reply_conversation.lua, close_conversation.lua, transfer_conversation.lua,
post_supervisor_message.lua; logout.lua hands an agent's back to the line; the assignment, capacity, mixing and
deadline rules are lib.lua's "Conversations" section); reads need no atomicity and are plain
commands. Knows nothing of gRPC.

A messaging caller limited to some queues or channels (its callers-file entry's `queues=` and
`channels=`, callcenter/core/auth.py) posts only into conversations of those, new or existing
(the script refuses before it writes anything: PermissionDenied naming the field), and reads
only theirs (another is NotFound, as one that never was: its existence is not revealed).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import structlog

from callcenter.core import ids
from callcenter.core.auth import MESSAGING, current_caller, messaging_scope
from callcenter.services.router.model import InvalidArgument, NotFound
from callcenter.services.router.router import Router, check_phone

log = structlog.get_logger(__name__)

MAX_TEXT = 4_000
MAX_MESSAGES_SHOWN = 200
MAX_PAGE = 500
DEFAULT_PAGE = 100
#: Index entries looked at per listing (filters are applied to them).
_SCAN = 5_000
#: The most names in a listing's queues and also_held_by (a supervisor's scope).
MAX_SCOPE = 1_000
STATES = ("new", "taken", "unanswered", "answered", "closed")
OPEN_STATES = STATES[:4]
#: Who writes a conversation's messages: the customer, the agent, a supervisor replying in the
#: agent's place, a supervisor's note to the agent (never sent to the customer).
AUTHORS = ("customer", "agent", "supervisor", "note")
#: What a messaging backend (the customer's side) reads of a conversation: never a note.
CUSTOMER_VISIBLE = ("customer", "agent", "supervisor")
#: Why a conversation closed: its agent closed it, a supervisor (CloseConversation without an
#: agent), or the queue's idle_close passed after the last reply with no customer message.
CLOSE_REASONS = ("agent", "supervisor", "idle")


@dataclass(frozen=True)
class Message:
    message_id: str
    author: str  # one of AUTHORS
    agent_id: str
    text: str
    sent_ms: int
    actor: str = ""


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    channel: str
    topic: str
    queue: str
    client_number: str
    state: str
    agent_id: str = ""
    overdue: bool = False
    due_ms: int | None = None
    created_ms: int = 0
    assigned_ms: int | None = None
    closed_ms: int | None = None
    message_count: int = 0
    last_customer_message_ms: int | None = None
    first_replied_ms: int | None = None
    #: The routing stage (lib.lua's CONV.restage): vip, skilled or anyone; "" if never staged.
    stage: str = ""
    messages: tuple[Message, ...] = field(default=())
    close_reason: str = ""  # closed only: agent, supervisor or idle (CLOSE_REASONS)


def _opt(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def conversation_from_hash(h: dict[str, Any], messages: tuple[Message, ...] = ()) -> Conversation:
    return Conversation(
        conversation_id=h["id"],
        channel=h.get("channel", ""),
        topic=h.get("topic", ""),
        queue=h.get("queue", ""),
        client_number=h.get("client", ""),
        state=h.get("state", ""),
        agent_id=h.get("agent", "") or "",
        overdue=str(h.get("overdue", "0")) == "1",
        due_ms=_opt(h.get("due")),
        created_ms=int(h.get("created") or 0),
        assigned_ms=_opt(h.get("assigned")),
        closed_ms=_opt(h.get("closed")),
        message_count=int(h.get("count") or 0),
        last_customer_message_ms=_opt(h.get("last_customer")),
        first_replied_ms=_opt(h.get("first_replied")),
        stage=h.get("stage", "") or "",
        messages=messages,
        close_reason=h.get("close_reason", "") or "",
    )


def _message(raw: str) -> Message:
    m = json.loads(raw)
    return Message(m["id"], m["author"], m.get("agent") or "", m["text"], int(m["at"]), m.get("actor") or "")


def _as_the_customer_sees(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """The messages as a messaging backend may relay them to the customer: no supervisor's
    note, and no actor (the staff's user names); the agent's id stays (who is answering)."""
    return tuple(dataclasses.replace(m, actor="") for m in messages if m.author in CUSTOMER_VISIBLE)


def _check_text(name: str, text: str) -> None:
    if not text:
        raise InvalidArgument(name, "is empty")
    if len(text) > MAX_TEXT:
        raise InvalidArgument(name, f"is longer than {MAX_TEXT} characters")
    if "\0" in text:
        raise InvalidArgument(name, "must not contain NUL")


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[Conversation]
    next_token: str  # "" on the last page


def _token_of(conversation_id: str, score: int) -> str:
    """A page token: '<index score>|<id>' of the last entry a page went to."""
    return f"{score}|{conversation_id}"


def _token(token: str) -> tuple[int, str]:
    score, _, conversation_id = token.partition("|")
    if not score.isdigit() or len(score) > 15 or len(token) > 200:
        raise InvalidArgument("page_token", "is not a token this list gave")
    ids.check_name(conversation_id, "page_token")
    return int(score), conversation_id


def _names(field_name: str, values: tuple[str, ...] | list[str]) -> frozenset[str]:
    """A repeated name filter, each entry checked (an error names it: `queues[1]`)."""
    if len(values) > MAX_SCOPE:
        raise InvalidArgument(field_name, f"holds more than {MAX_SCOPE} names")
    for i, value in enumerate(values):
        ids.check_name(value, f"{field_name}[{i}]")
    return frozenset(values)


class Conversations:
    """Conversations, on the router's store and clock."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.store = router.store

    async def post_customer_message(
        self,
        conversation_id: str,
        channel: str,
        topic: str,
        queue: str,
        client_number: str,
        message_id: str,
        text: str,
    ) -> Conversation:
        ids.check_name(conversation_id, "conversation_id")
        for name, value in (("channel", channel), ("topic", topic), ("queue", queue)):
            if value:  # needed (channel, queue) when the message creates the conversation: the script says
                ids.check_name(value, name)
        if client_number:
            check_phone("client_number", client_number)
        ids.check_name(message_id, "message_id")
        _check_text("text", text)
        scope = messaging_scope()
        reply = await self.store.run(
            "post_customer_message",
            self.router.now(),
            conversation_id,
            channel,
            topic,
            queue,
            client_number,
            message_id,
            text,
            ",".join(sorted(scope.queues)) if scope else "",
            ",".join(sorted(scope.channels)) if scope else "",
        )
        conv = conversation_from_hash(reply["conversation"])
        log.info("conversation.message", conversation_id=conversation_id, state=conv.state, agent_id=conv.agent_id)
        return conv

    async def reply(self, conversation_id: str, agent_id: str, message_id: str, text: str) -> Conversation:
        ids.check_name(conversation_id, "conversation_id")
        ids.check_name(agent_id, "agent_id")
        ids.check_name(message_id, "message_id")
        _check_text("text", text)
        reply = await self.store.run(
            "reply_conversation", self.router.now(), conversation_id, agent_id, message_id, text
        )
        log.info("conversation.replied", conversation_id=conversation_id, agent_id=agent_id)
        return conversation_from_hash(reply["conversation"])

    async def close(self, conversation_id: str, agent_id: str = "") -> Conversation:
        """agent_id given: only if that agent holds it (an agent closing their own)."""
        ids.check_name(conversation_id, "conversation_id")
        if agent_id:
            ids.check_name(agent_id, "agent_id")
        reply = await self.store.run("close_conversation", self.router.now(), conversation_id, agent_id)
        log.info("conversation.closed", conversation_id=conversation_id)
        return conversation_from_hash(reply["conversation"])

    async def transfer(self, conversation_id: str, agent_id: str) -> Conversation:
        """To agent_id (logged in to its queue, with room), or, agent_id empty, back to the line."""
        ids.check_name(conversation_id, "conversation_id")
        if agent_id:
            ids.check_name(agent_id, "agent_id")
        reply = await self.store.run("transfer_conversation", self.router.now(), conversation_id, agent_id)
        conv = conversation_from_hash(reply["conversation"])
        log.info("conversation.transferred", conversation_id=conversation_id, agent_id=conv.agent_id)
        return conv

    async def post_supervisor_message(
        self, conversation_id: str, message_id: str, text: str, note: bool
    ) -> Conversation:
        """A reply to the customer in the agent's place, or (note) a note to the agent."""
        ids.check_name(conversation_id, "conversation_id")
        ids.check_name(message_id, "message_id")
        _check_text("text", text)
        reply = await self.store.run(
            "post_supervisor_message", self.router.now(), conversation_id, message_id, text, "1" if note else "0"
        )
        log.info("conversation.supervisor_message", conversation_id=conversation_id, note=note)
        return conversation_from_hash(reply["conversation"])

    async def get(self, conversation_id: str) -> Conversation:
        ids.check_name(conversation_id, "conversation_id")
        keys = self.store.keys
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.conversation(conversation_id))
            pipe.lrange(keys.conversation_messages(conversation_id), -MAX_MESSAGES_SHOWN, -1)
            h, raw = await pipe.execute()
        scope = messaging_scope()
        if not h.get("id") or (scope and not scope.serves(h.get("queue", ""), h.get("channel", ""))):
            raise NotFound(f"conversation {conversation_id} does not exist")
        messages = tuple(_message(m) for m in raw)
        caller = current_caller.get()
        if caller is not None and caller.role == MESSAGING:
            messages = _as_the_customer_sees(messages)
        return conversation_from_hash(h, messages)

    async def list(
        self,
        agent_id: str = "",
        queue: str = "",
        state: str = "",
        channel: str = "",
        topic: str = "",
        page_size: int = 0,
        page_token: str = "",
        overdue_only: bool = False,
        client_number: str = "",
        queues: tuple[str, ...] | list[str] = (),
        also_held_by: tuple[str, ...] | list[str] = (),
    ) -> ConversationPage:
        """Newest first; every filter given must match. agent_id: the agent's open ones.
        queues and also_held_by together are one filter, a scope: the conversation's queue is
        among queues or its agent among also_held_by (a supervisor's queues and router
        teams' agents, in one page). A page looks at most _SCAN index entries: it may hold
        fewer than page_size (even none) with a next_token to go on from."""
        for name, value in (("agent_id", agent_id), ("queue", queue), ("channel", channel), ("topic", topic)):
            if value:
                ids.check_name(value, name)
        in_queues, held_by = _names("queues", queues), _names("also_held_by", also_held_by)
        if queue and in_queues:
            raise InvalidArgument("queues", "give either queue or queues, not both")
        if agent_id and held_by:
            raise InvalidArgument("also_held_by", "give either agent_id or also_held_by, not both")
        scoped = bool(in_queues or held_by)
        if state and state not in STATES:
            raise InvalidArgument("state", f"must be one of {', '.join(STATES)}")
        if client_number:
            check_phone("client_number", client_number)
        if not 0 <= page_size <= MAX_PAGE:
            raise InvalidArgument("page_size", f"must be 1-{MAX_PAGE} (0: {DEFAULT_PAGE})")
        after = _token(page_token) if page_token else None
        limit = page_size or DEFAULT_PAGE
        keys = self.store.keys
        redis = self.store.redis
        if agent_id:
            index = keys.agent_conversations(agent_id)
        elif state == "closed":
            index = keys.conversations_closed
        else:
            index = keys.conversations
        start = 0
        if after is not None:
            # Newest first, ties by id descending (ZREVRANGE): skip those before the token's.
            score, last = after
            async with redis.pipeline(transaction=False) as pipe:
                pipe.zcount(index, f"({score}", "+inf")
                pipe.zrangebyscore(index, score, score)
                newer, same = await pipe.execute()
            start = newer + sum(1 for member in same if member >= last)
        entries = await redis.zrevrange(index, start, start + _SCAN - 1, withscores=True)
        found: list[Conversation] = []
        last_score = 0
        for at in range(0, len(entries), 500):
            chunk = entries[at : at + 500]
            async with redis.pipeline(transaction=False) as pipe:
                for conversation_id, _ in chunk:
                    pipe.hgetall(keys.conversation(conversation_id))
                hashes = await pipe.execute()
            for (_, score), h in zip(chunk, hashes, strict=True):
                if not h.get("id"):
                    continue
                c = conversation_from_hash(h)
                if (
                    (queue and c.queue != queue)
                    or (scoped and c.queue not in in_queues and c.agent_id not in held_by)
                    or (state and c.state != state)
                    or (channel and c.channel != channel)
                    or (topic and c.topic != topic)
                    or (overdue_only and not c.overdue)
                    or (client_number and c.client_number != client_number)
                ):
                    continue
                if len(found) == limit:  # one more matches: this page ends at the previous one
                    return ConversationPage(found, _token_of(found[-1].conversation_id, last_score))
                found.append(c)
                last_score = int(score)
        if len(entries) == _SCAN:  # the index goes on past what this page looked at
            conversation_id, score = entries[-1]
            return ConversationPage(found, _token_of(conversation_id, int(score)))
        return ConversationPage(found, "")
