"""The conversations' board now (issue 21; S3.1-S3.3, S3.5, S3.6), read from the keys
scripts/apply.lua keeps current from the CONVERSATION_* events: each open conversation's
queue, channel, topic, agent, state and overdue flag (conversation:<id>), the indexes of the
open ones (all, by queue, by agent), and the agents' state and queues the call board reads.

Operators online per queue are the agents logged in to it; an agent is on the board when
logged in or holding an open conversation that matches the filters."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis

from callcenter.core import ids
from callcenter.services.stats.board import BoardReader
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import AgentNow, InvalidArgument

MAX_QUEUES = 200  # queues one board request may name
MAX_AGENTS = 500  # operators one board or figures request may name
#: The states of an open conversation, as apply.lua stores them.
OPEN_STATES = ("new", "taken", "unanswered", "answered")


@dataclass
class ConversationCounts:
    new: int = 0
    taken: int = 0
    unanswered: int = 0
    answered: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return self.new + self.taken + self.unanswered + self.answered

    def add(self, state: str, overdue: bool) -> None:
        setattr(self, state, getattr(self, state) + 1)
        self.overdue += overdue


@dataclass(frozen=True)
class OpenConversation:
    conversation_id: str
    queue: str
    channel: str
    topic: str
    agent_id: str
    state: str
    overdue: bool


@dataclass(frozen=True)
class BoardFilter:
    """Every filter given must match; empty means any."""

    channel: str = ""
    topic: str = ""
    queues: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()

    def matches(self, c: OpenConversation) -> bool:
        return (
            (not self.channel or c.channel == self.channel)
            and (not self.topic or c.topic == self.topic)
            and (not self.queues or c.queue in self.queues)
            and (not self.agent_ids or c.agent_id in self.agent_ids)
        )


def names(values, field: str, most: int) -> tuple[str, ...]:
    """Agent ids or queue names, each once, in order; at most `most`, each a valid name."""
    unique = tuple(dict.fromkeys(values))
    if len(unique) > most:
        raise InvalidArgument(field, f"at most {most} names, got {len(unique)}")
    return tuple(ids.check_name(v, field) for v in unique)


def optional_name(value: str, field: str) -> str:
    return ids.check_name(value, field) if value else ""


def board_filter(channel: str, topic: str, queues, agent_ids) -> BoardFilter:
    return BoardFilter(
        channel=optional_name(channel, "channel"),
        topic=optional_name(topic, "topic"),
        queues=names(queues, "queues", MAX_QUEUES),
        agent_ids=names(agent_ids, "agent_ids", MAX_AGENTS),
    )


@dataclass
class BoardQueue:
    queue: str
    operators_online: int = 0
    conversations: ConversationCounts = field(default_factory=ConversationCounts)


@dataclass
class BoardAgent:
    agent: AgentNow
    conversations: ConversationCounts = field(default_factory=ConversationCounts)

    @property
    def online(self) -> bool:
        return self.agent.state != "logged_out"

    @property
    def queues(self) -> tuple[str, ...]:
        """The queues the agent is logged in to (none once logged out)."""
        return self.agent.queues if self.online else ()


@dataclass
class ConversationBoard:
    now_ms: int
    total: ConversationCounts
    operators_online: int
    queues: list[BoardQueue]
    agents: list[BoardAgent]


class ConversationBoardReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys, agents: BoardReader) -> None:
        self.redis = redis
        self.keys = keys
        self.agent_reader = agents

    async def open_conversations(self, f: BoardFilter, oldest: int = 0) -> list[OpenConversation]:
        """The open conversations matching f, read through the narrowest index; `oldest` > 0
        and no queue or agent filter: only that many, the oldest (the likeliest overdue)."""
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            if f.queues:
                for q in f.queues:
                    pipe.smembers(k.open_conversations_by("queue", q))
            elif f.agent_ids:
                for a in f.agent_ids:
                    pipe.smembers(k.open_conversations_by("agent", a))
            else:
                pipe.zrange(k.open_conversations, 0, oldest - 1 if oldest > 0 else -1)
            found = sorted({i for reply in await pipe.execute() for i in reply})
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id in found:
                pipe.hmget(k.conversation(conversation_id), "queue", "channel", "topic", "agent", "state", "overdue")
            hashes = await pipe.execute()
        out = []
        for conversation_id, (queue, channel, topic, agent, state, overdue) in zip(found, hashes, strict=True):
            if state not in OPEN_STATES:  # expired with the retention, or closed meanwhile
                continue
            c = OpenConversation(
                conversation_id, queue or "", channel or "", topic or "", agent or "", state, overdue == "1"
            )
            if f.matches(c):
                out.append(c)
        return out

    async def by_queue(self, oldest: int = 0) -> dict[str, ConversationCounts]:
        """Every queue's open conversations by state and overdue (the board's counts, without
        its agents: services/stats/metrics.py's gauges); every queue the stats know, so a queue
        whose conversations all closed reads 0. `oldest`: as open_conversations."""
        conversations = await self.open_conversations(BoardFilter(), oldest)
        queues = {q: ConversationCounts() for q in sorted(await self.redis.smembers(self.keys.queues))}
        for c in conversations:
            queues.setdefault(c.queue, ConversationCounts()).add(c.state, c.overdue)
        return queues

    async def board(self, f: BoardFilter, now_ms: int) -> ConversationBoard:
        conversations = await self.open_conversations(f)
        k = self.keys
        holders = {c.agent_id for c in conversations if c.agent_id}
        if f.agent_ids:
            candidates = list(f.agent_ids)
        else:
            candidates = sorted(set(await self.redis.smembers(k.agents)) | holders)
        agents = [
            BoardAgent(a)
            for a in await self.agent_reader.agents(candidates)
            if a.agent_id in holders
            or (a.state != "logged_out" and (not f.queues or any(q in f.queues for q in a.queues)))
        ]
        by_agent = {a.agent.agent_id: a for a in agents}
        if f.queues:
            queue_names = list(f.queues)
        else:
            queue_names = sorted(set(await self.redis.smembers(k.queues)) | {c.queue for c in conversations})
        queues = {q: BoardQueue(q) for q in queue_names}
        total = ConversationCounts()
        for c in conversations:
            total.add(c.state, c.overdue)
            if c.queue in queues:
                queues[c.queue].conversations.add(c.state, c.overdue)
            if c.agent_id in by_agent:
                by_agent[c.agent_id].conversations.add(c.state, c.overdue)
        online = [a for a in agents if a.online]
        for a in online:
            for q in a.agent.queues:
                if q in queues:
                    queues[q].operators_online += 1
        return ConversationBoard(now_ms, total, len(online), list(queues.values()), agents)
