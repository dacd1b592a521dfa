"""Comments on calls and leads, and tasks: a supervisor comments and tags an agent, and the
agent finds a task in their notification list (S0.3); tasks are also created directly, with a
title, subject, assignee (an agent, or a team anyone of it may take), a due time, reminders and
recurrence (S1.10), until they are done.

Every task transition is one Lua script of task_scripts/ that also appends its event to the
event stream; the due times and reminders are members of one sorted set per tenant
(`gw:deadlines`), fired by `fire` in every gateway replica (task_timers.py) by the Redis clock,
so a task is never forgotten across restarts and never fires twice.
"""

from __future__ import annotations

import importlib.resources
import json
import secrets
from dataclasses import asdict, dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from callcenter.core.call_ids import call_id_problem
from callcenter.core.clock import Clock
from callcenter.core.config import key_prefix
from callcenter.core.errors import Aborted, AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from callcenter.core.event_stream import entry, stream_key

from .recurrence import Recurrence, next_due_ms
from .task_keys import TaskKeys, lua_preamble

SUBJECT_KINDS = ("call", "lead", "agent")  # what a comment is on
TASK_SUBJECT_KINDS = ("call", "lead", "client", "agent")  # what a task is about
MAX_TEXT = 2000
MAX_TITLE = 200
MAX_SUBJECT_ID = 128  # leads and agents; a call's id is any SIP Call-ID (callcenter/core/call_ids.py)
MAX_LISTED = 500
FIRE_BATCH = 50  # deadlines fired per script run (again at once while that many were due)
SCRIPTS = ("create", "fire", "done", "snooze", "reassign", "take", "handover_start", "handover_claim", "handover_end")
AUTOMATION_SCRIPTS = ("auto_task", "auto_follow_up", "auto_cancel", "auto_rules")  # automation.py
STATUSES = ("open", "done", "snoozed")


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

    def public(self) -> dict[str, Any]:
        return {**self.__dict__, "tagged_agent_ids": list(self.tagged_agent_ids)}


@dataclass(frozen=True)
class Task:
    id: str
    agent_id: str  # its agent: the assignee, or who took a team task ("" while nobody did)
    author: str  # who created it (created_by)
    subject_kind: str
    subject_id: str
    text: str
    created_ms: int
    status: str = "open"  # open | done | snoozed
    closed_ms: int | None = None  # when it was done
    closed_by: str = ""
    title: str = ""
    queue: str = ""  # its team, for a team task
    due_ms: int | None = None  # when it is due (moved by a snooze)
    scheduled_ms: int | None = None  # the due time as planned: what a recurrence goes by
    reminders: tuple[int, ...] = ()  # seconds before due
    recurrence: dict[str, Any] | None = None  # {"every": N, "unit": "days" | "weeks" | "months" | "years"}
    snoozed_until: int | None = None
    due_fired: bool = False  # the due time came (TASK_DUE): overdue while open
    reminded: tuple[int, ...] = ()  # the reminders that fired
    history: tuple[dict[str, Any], ...] = ()  # {at, by, what: created | taken | snoozed | reassigned | done, ...}
    next_task_id: str = ""  # a recurring task's next one, once done
    previous_task_id: str = ""
    version: int = 0

    @classmethod
    def from_json(cls, raw: str | bytes) -> Task:
        """A stored task (as the scripts or an older gateway wrote it: "closed" is done)."""
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        if data.get("status") == "closed":
            data["status"] = "done"
        for name in ("closed_ms", "due_ms", "scheduled_ms", "snoozed_until"):
            if not data.get(name):
                data[name] = None
        for name in ("reminders", "reminded", "history"):
            value = data.get(name)
            data[name] = tuple(value) if isinstance(value, list) else ()  # Lua's cjson writes [] as {}
        if not data.get("recurrence"):
            data["recurrence"] = None
        return cls(**data)

    def overdue(self, now_ms: int) -> bool:
        return self.status == "open" and self.due_ms is not None and self.due_ms <= now_ms

    def public(self, now_ms: int | None = None) -> dict[str, Any]:
        out = asdict(self)
        out.update(reminders=list(self.reminders), reminded=list(self.reminded), history=list(self.history))
        out["created_by"] = self.author
        out["overdue"] = self.due_fired and self.status == "open" if now_ms is None else self.overdue(now_ms)
        return out

    def stored(self) -> str:
        """The JSON the scripts read (absent times as 0)."""
        data = asdict(self)
        for name in ("closed_ms", "due_ms", "scheduled_ms", "snoozed_until"):
            data[name] = data[name] or 0
        return json.dumps(data)


@dataclass(frozen=True)
class NewTask:
    """A task to create, checked by domain/tasks.py."""

    title: str
    text: str = ""
    subject_kind: str = ""
    subject_id: str = ""
    agent_id: str = ""
    queue: str = ""
    due_ms: int | None = None
    reminders: tuple[int, ...] = ()
    recurrence: Recurrence | None = None


def _script_source(name: str) -> str:
    folder = importlib.resources.files("callcenter.services.gateway") / "task_scripts"
    return lua_preamble() + (folder / "lib.lua").read_text() + (folder / f"{name}.lua").read_text()


class TaskStore:
    """Comments and tasks in Redis. `clock`: only tests pass one (a hand-driven clock whose
    time the scripts then use instead of the Redis server's: docs/architecture.md, "One
    clock"); production leaves it None and every time is read with TIME inside the script."""

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        zone: str = "UTC",
        clock: Clock | None = None,
        maxlen: int = 1_000_000,
    ) -> None:
        self.redis = redis
        self.tenant = tenant
        self.prefix = key_prefix(tenant) + "gw:"
        self.keys = TaskKeys(tenant)
        self.zone = ZoneInfo(zone)
        self.clock = clock
        self.maxlen = maxlen
        self._keys = [key_prefix(tenant), stream_key(tenant)]
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(_script_source(name)) for name in SCRIPTS + AUTOMATION_SCRIPTS
        }

    async def now_ms(self) -> int:
        """The time the scripts go by: the Redis server's clock (or a test's clock)."""
        if self.clock is not None:
            return self.clock.now_ms()
        seconds, micros = await self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    async def run(self, name: str, actor: str, *args: str | int) -> dict[str, Any]:
        """Runs one of task_scripts/ (SCRIPTS) as `actor`, its refusals raised as the kernel's errors."""
        now = "" if self.clock is None else str(self.clock.now_ms())  # '' = Redis TIME in the script
        raw = await self._scripts[name](keys=self._keys, args=[now, self.maxlen, actor, *args])
        reply: dict[str, Any] = json.loads(raw)
        error = reply.get("err")
        if error == "not_found":
            raise NotFound(reply["msg"])
        if error == "taken":
            raise AlreadyExists(reply["msg"])
        if error == "conflict":
            raise Aborted(reply["msg"])
        if error == "out_of_range":
            raise InvalidArgument("until_ms", reply["msg"])
        if error:
            raise FailedPrecondition(reply["msg"], state=error)
        return reply

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
        title = text.strip().splitlines()[0][:MAX_TITLE]
        history = ({"at": now_ms, "by": author, "what": "created", "from": f"comment {comment.id}"},)
        tasks = [
            Task(
                id=secrets.token_hex(8),
                agent_id=agent_id,
                author=author,
                subject_kind=subject_kind,
                subject_id=subject_id,
                text=text,
                created_ms=now_ms,
                title=title,
                history=history,
                version=1,
            )
            for agent_id in comment.tagged_agent_ids
        ]
        async with self.redis.pipeline(transaction=True) as tx:
            tx.rpush(self.keys.comments(subject_kind, subject_id), json.dumps(asdict(comment)))
            for task in tasks:
                tx.set(self.keys.task(task.id), task.stored())
                tx.zadd(self.keys.agent_tasks(task.agent_id), {task.id: now_ms})
                fields_ = {"agent_id": task.agent_id, "actor": author, "reason": "comment"}
                event = entry("TASK_CREATED", now_ms, **fields_, attributes={"task_id": task.id, "title": title})
                tx.xadd(self._keys[1], event, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
            await tx.execute()
        return comment, tasks

    async def comments(self, subject_kind: str, subject_id: str) -> list[Comment]:
        return await self.comments_on([(subject_kind, subject_id)], 0)

    async def comments_on(self, subjects: list[tuple[str, str]], each: int) -> list[Comment]:
        """The newest `each` comments (0: all) on every one of these subjects (kind, id), oldest
        first per subject, one round trip."""
        if not subjects:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for kind, subject_id in subjects:
                pipe.lrange(self.keys.comments(kind, subject_id), -each, -1)
            lists = await pipe.execute()
        found = []
        for raw in (r for rows in lists for r in rows):
            data = json.loads(raw)
            found.append(Comment(**{**data, "tagged_agent_ids": tuple(data["tagged_agent_ids"])}))
        return found

    async def about(self, subjects: list[tuple[str, str]], limit: int = MAX_LISTED) -> list[Task]:
        """The newest tasks about these subjects (kind, id), newest first."""
        return await self._newest([self.keys.subject_tasks(kind, subject_id) for kind, subject_id in subjects], limit)

    async def _newest(self, indexes: list[str], limit: int) -> list[Task]:
        """The newest `limit` tasks of these sorted sets (task id -> created ms), newest first:
        one round trip for the sets, one MGET for the tasks."""
        if not indexes:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in indexes:
                pipe.zrevrange(key, 0, limit - 1, withscores=True)
            lists = await pipe.execute()
        scored = sorted({i: s for found in lists for i, s in found}.items(), key=lambda p: -p[1])[:limit]
        return await self.get_many([i for i, _ in scored])

    async def create(self, new: NewTask, actor: str) -> Task:
        """Creates a task (checked by the caller): TASK_CREATED, its deadlines scheduled."""
        task = Task(
            id=secrets.token_hex(8),
            agent_id=new.agent_id,
            author=actor,
            subject_kind=new.subject_kind,
            subject_id=new.subject_id,
            text=new.text,
            created_ms=0,
            title=new.title,
            queue=new.queue,
            due_ms=new.due_ms,
            scheduled_ms=new.due_ms,
            reminders=tuple(sorted(set(new.reminders), reverse=True)),
            recurrence=new.recurrence.public() if new.recurrence else None,
        )
        reply = await self.run("create", actor, task.stored(), "")
        return Task.from_json(json.dumps(reply["ok"]))

    async def get(self, task_id: str) -> Task | None:
        raw = await self.redis.get(self.keys.task(task_id))
        return Task.from_json(raw) if raw else None

    async def get_many(self, task_ids: list[str]) -> list[Task]:
        """The tasks of these ids that exist, in one MGET."""
        raws = await self.redis.mget([self.keys.task(i) for i in task_ids]) if task_ids else []
        return [Task.from_json(raw) for raw in raws if raw]

    async def listed(self, agent_ids: list[str], queues: list[str], limit: int = MAX_LISTED) -> list[Task]:
        """The tasks of these agents and the untaken ones of these teams, newest first: one
        round trip for the lists, one MGET for the tasks."""
        indexes = [self.keys.agent_tasks(a) for a in agent_ids] + [self.keys.team_tasks(q) for q in queues]
        return await self._newest(indexes, limit)

    async def for_agent(self, agent_id: str, include_closed: bool = False) -> list[Task]:
        tasks = await self.listed([agent_id], [])
        return [t for t in tasks if include_closed or t.status != "done"]

    async def done(self, task_id: str, by: str) -> tuple[Task, Task | None]:
        """Marks a task done; a recurring one's next is created, due `every` after this one's
        planned due time. Returns both (the next None when it does not recur)."""
        for _ in range(5):  # a snooze meanwhile changes the version: read again
            task = await self.get(task_id)
            if task is None:
                raise NotFound(f"task {task_id} does not exist")
            if task.status == "done":
                return task, None
            next_id, next_due = "", 0
            planned = task.scheduled_ms or task.due_ms
            if task.recurrence and planned:
                rule = Recurrence(int(task.recurrence["every"]), str(task.recurrence["unit"]))
                next_id, next_due = secrets.token_hex(8), next_due_ms(planned, rule, self.zone)
            try:
                reply = await self.run("done", by, task_id, task.version, next_id, next_due)
            except Aborted:
                continue
            nxt = reply.get("next")
            return Task.from_json(json.dumps(reply["ok"])), Task.from_json(json.dumps(nxt)) if nxt else None
        raise Aborted("the task keeps changing; try again")

    async def close(self, task_id: str, by: str, now_ms: int = 0) -> Task:
        """Done (the older name of it)."""
        return (await self.done(task_id, by))[0]

    async def snooze(self, task_id: str, until_ms: int, by: str) -> Task:
        reply = await self.run("snooze", by, task_id, until_ms)
        return Task.from_json(json.dumps(reply["ok"]))

    async def reassign(self, task_id: str, agent_id: str, queue: str, by: str) -> Task:
        reply = await self.run("reassign", by, task_id, agent_id, queue)
        return Task.from_json(json.dumps(reply["ok"]))

    async def take(self, task_id: str, agent_id: str, by: str) -> Task:
        reply = await self.run("take", by, task_id, agent_id)
        return Task.from_json(json.dumps(reply["ok"]))

    async def fire(self, limit: int = FIRE_BATCH) -> dict[str, Any]:
        """Fires the due deadlines (at most `limit`): {now, next (-1: none), fired}."""
        return await self.run("fire", "", limit)
