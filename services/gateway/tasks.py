"""Comments on calls and leads, and the tasks they create: a supervisor comments and tags an
agent, and the agent finds a task in their notification list (S0.3) until they close it."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

import redis.asyncio as aioredis

from callcenter.core.call_ids import call_id_problem
from callcenter.core.config import key_prefix
from callcenter.core.errors import InvalidArgument, NotFound

SUBJECT_KINDS = ("call", "lead", "agent")
MAX_TEXT = 2000
MAX_SUBJECT_ID = 128  # leads and agents; a call's id is any SIP Call-ID (callcenter/core/call_ids.py)


def subject_problem(subject_kind: str, subject_id: str) -> str | None:
    """Why subject_id is no id of a subject_kind, or None. The id ends the comments' key
    (after the kind), so any character is safe there."""
    if subject_kind == "call":
        return call_id_problem(subject_id)
    if not subject_id or len(subject_id) > MAX_SUBJECT_ID:
        return f"is required (at most {MAX_SUBJECT_ID} characters)"
    return None


@dataclass(frozen=True)
class Comment:
    id: str
    subject_kind: str
    subject_id: str
    author: str
    text: str
    tagged_agent_ids: tuple[str, ...]
    created_ms: int


@dataclass(frozen=True)
class Task:
    id: str
    agent_id: str
    author: str
    subject_kind: str
    subject_id: str
    text: str
    created_ms: int
    status: str = "open"  # open | closed
    closed_ms: int | None = None
    closed_by: str = ""

    def public(self) -> dict:
        return asdict(self)


class TaskStore:
    def __init__(self, redis: aioredis.Redis, tenant: str) -> None:
        self.redis = redis
        self.prefix = key_prefix(tenant) + "gw:"

    async def comment(
        self, subject_kind: str, subject_id: str, author: str, text: str, tagged: tuple[str, ...], now_ms: int
    ) -> tuple[Comment, list[Task]]:
        """Stores a comment and opens one task per tagged agent, in one transaction."""
        if subject_kind not in SUBJECT_KINDS:
            raise InvalidArgument("subject_kind", f"must be one of {', '.join(SUBJECT_KINDS)}")
        problem = subject_problem(subject_kind, subject_id)
        if problem:
            raise InvalidArgument("subject_id", problem)
        if not text.strip() or len(text) > MAX_TEXT:
            raise InvalidArgument("text", f"is required (at most {MAX_TEXT} characters)")
        comment = Comment(
            id=secrets.token_hex(8),
            subject_kind=subject_kind,
            subject_id=subject_id,
            author=author,
            text=text,
            tagged_agent_ids=tuple(dict.fromkeys(tagged)),
            created_ms=now_ms,
        )
        tasks = [
            Task(
                id=secrets.token_hex(8),
                agent_id=agent_id,
                author=author,
                subject_kind=subject_kind,
                subject_id=subject_id,
                text=text,
                created_ms=now_ms,
            )
            for agent_id in comment.tagged_agent_ids
        ]
        async with self.redis.pipeline(transaction=True) as tx:
            tx.rpush(f"{self.prefix}comments:{subject_kind}:{subject_id}", json.dumps(asdict(comment)))
            for task in tasks:
                tx.set(f"{self.prefix}task:{task.id}", json.dumps(asdict(task)))
                tx.zadd(f"{self.prefix}tasks:{task.agent_id}", {task.id: now_ms})
            await tx.execute()
        return comment, tasks

    async def comments(self, subject_kind: str, subject_id: str) -> list[Comment]:
        raw = await self.redis.lrange(f"{self.prefix}comments:{subject_kind}:{subject_id}", 0, -1)
        return [Comment(**{**json.loads(r), "tagged_agent_ids": tuple(json.loads(r)["tagged_agent_ids"])}) for r in raw]

    async def get(self, task_id: str) -> Task | None:
        raw = await self.redis.get(f"{self.prefix}task:{task_id}")
        return Task(**json.loads(raw)) if raw else None

    async def for_agent(self, agent_id: str, include_closed: bool = False) -> list[Task]:
        ids = await self.redis.zrevrange(f"{self.prefix}tasks:{agent_id}", 0, 499)
        raws = await self.redis.mget([f"{self.prefix}task:{i}" for i in ids]) if ids else []  # one round trip
        tasks = [Task(**json.loads(raw)) for raw in raws if raw]
        return [t for t in tasks if include_closed or t.status == "open"]

    async def close(self, task_id: str, by: str, now_ms: int) -> Task:
        task = await self.get(task_id)
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        if task.status == "closed":
            return task
        closed = Task(**{**asdict(task), "status": "closed", "closed_ms": now_ms, "closed_by": by})
        await self.redis.set(f"{self.prefix}task:{task_id}", json.dumps(asdict(closed)))
        return closed
