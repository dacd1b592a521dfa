"""Comments on calls, leads and agents that tag agents, and the tasks they open (S0.3): who may
comment on what (subjects they see, agents of their teams tagged), and whose tasks a user
may list and close. The comments and tasks themselves are kept by ../tasks.py."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TypeVar

import grpc

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..tasks import SUBJECT_KINDS, Comment, Task, TaskStore, subject_problem
from ..users import User
from . import access
from .agents import visibility, visible_agents
from .calls import sees_record

T = TypeVar("T")


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _visible_ids(user: User, backends: Backends) -> set[str]:
    return {a.id for a in await visible_agents(user, backends)}


async def _unless_unknown(reply: Awaitable[T]) -> T | None:
    """The RPC's reply; None when the backend knows no such object (NOT_FOUND)."""
    try:
        return await reply
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return None


async def _sees_subject(user: User, backends: Backends, kind: str, subject_id: str) -> bool:
    """An agent of the user's teams, a call of their queues, a lead of their agents; a call or
    lead stats does not know is as unseen as a hidden one."""
    if kind == "agent":
        return subject_id in await _visible_ids(user, backends)
    if kind == "call":
        call: spb.GetCallRecordResponse | None = await _unless_unknown(
            backends.stats.GetCallRecord(spb.GetCallRecordRequest(call_id=subject_id), timeout=backends.timeout_s)
        )
        return call is not None and sees_record(user, call.record)
    if kind == "lead":
        lead: spb.GetLeadResponse | None = await _unless_unknown(
            backends.stats.GetLead(spb.GetLeadRequest(lead_id=subject_id), timeout=backends.timeout_s)
        )
        return lead is not None and await visibility(user, backends).sees_agent(lead.lead.agent_id)
    raise InvalidArgument("subject_kind", "must be call, lead or agent")


async def _check_subject(user: User, backends: Backends, kind: str, subject_id: str) -> None:
    """A comment's subject must be one the user may see (NotFound otherwise)."""
    if not access.sees_all(user) and not await _sees_subject(user, backends, kind, subject_id):
        raise NotFound(f"{kind} {subject_id} does not exist")


def _check_subject_id(kind: str, subject_id: str) -> None:
    problem = subject_problem(kind, subject_id)
    if problem:
        raise InvalidArgument("subject_id", problem)


async def comment(
    user: User,
    backends: Backends,
    store: TaskStore,
    kind: str,
    subject_id: str,
    text: str,
    tagged: list[str],
) -> tuple[Comment, list[Task]]:
    """A supervisor comments on a call, lead or agent; each tagged agent gets a task."""
    access.require_role(user, "admin", "supervisor")
    visible = await _visible_ids(user, backends)
    for agent_id in tagged:
        if agent_id not in visible:
            raise InvalidArgument("tag_agent_ids", f"agent {agent_id} does not exist")
    if kind in SUBJECT_KINDS:
        _check_subject_id(kind, subject_id)
    if kind and subject_id:
        await _check_subject(user, backends, kind, subject_id)
    return await store.comment(kind, subject_id, user.username, text, tuple(tagged), _now_ms())


async def comments(user: User, backends: Backends, store: TaskStore, kind: str, subject_id: str) -> list[Comment]:
    """The comments on one subject."""
    access.require_role(user, "admin", "supervisor")
    if kind not in SUBJECT_KINDS:
        raise InvalidArgument("kind", f"must be one of {', '.join(SUBJECT_KINDS)}")
    _check_subject_id(kind, subject_id)
    await _check_subject(user, backends, kind, subject_id)
    return await store.comments(kind, subject_id)


async def agent_tasks(
    user: User, backends: Backends, store: TaskStore, agent_id: str, include_closed: bool
) -> list[Task]:
    """An agent's notification list: their own open tasks (with closed ones on request);
    supervisors and admins name an agent they see."""
    if user.role == "agent":
        if agent_id and agent_id != user.agent_id:
            raise NotFound(f"agent {agent_id} does not exist")
        agent_id = user.agent_id
    elif not agent_id:
        raise InvalidArgument("agent_id", "is required")
    elif agent_id not in await _visible_ids(user, backends):
        raise NotFound(f"agent {agent_id} does not exist")
    return await store.for_agent(agent_id, include_closed=include_closed)


async def close_task(user: User, backends: Backends, store: TaskStore, task_id: str) -> Task:
    task = await store.get(task_id)
    if task is None:
        raise NotFound("task does not exist")
    if user.role == "agent" and task.agent_id != user.agent_id:
        raise NotFound("task does not exist")
    if user.role == "supervisor" and task.agent_id not in await _visible_ids(user, backends):
        raise NotFound("task does not exist")
    return await store.close(task.id, user.username, _now_ms())
