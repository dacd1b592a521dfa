"""Comments on calls, leads and agents that tag agents, and the tasks they open (S0.3), and
tasks with due times, reminders and recurrence (S1.10): who may comment on what (subjects they
see, agents of their teams tagged), who may create, list, take, snooze, reassign and finish
which tasks, and what a new task may hold. The comments and tasks themselves are kept by
../tasks.py (its scripts fire the due times and write the events)."""

from __future__ import annotations

from typing import Any, TypeVar

from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

from ..backends import Backends, unless_unknown
from ..recurrence import MAX_EVERY, UNITS, Recurrence
from ..tasks import (
    MAX_LISTED,
    MAX_SUBJECT_ID,
    MAX_TEXT,
    MAX_TITLE,
    STATUSES,
    SUBJECT_KINDS,
    TASK_SUBJECT_KINDS,
    Comment,
    NewTask,
    Task,
    TaskStore,
    subject_problem,
)
from ..users import User
from . import access
from .agents import agent_queues, visibility, visible_agents, visible_queues
from .calls import sees_record
from .clients import sees_client
from .leads import sees_lead
from .teams import TASK_PREFIX, check_team_id, team_id_of_task, team_members

T = TypeVar("T")


async def _visible_ids(user: User, backends: Backends) -> set[str]:
    return {a.id for a in await visible_agents(user, backends)}


async def _sees_subject(user: User, backends: Backends, kind: str, subject_id: str) -> bool:
    """An agent of the user's teams, a call of their queues, a lead of their agents; a call or
    lead stats does not know is as unseen as a hidden one."""
    if kind == "agent":
        return subject_id in await _visible_ids(user, backends)
    if kind == "call":
        call: spb.GetCallRecordResponse | None = await unless_unknown(
            backends.stats.GetCallRecord(spb.GetCallRecordRequest(call_id=subject_id), timeout=backends.timeout_s)
        )
        return call is not None and (
            sees_record(user, call.record)
            or await sees_client(user, backends, visibility(user, backends), call.record.caller)
        )
    if kind == "lead":
        lead: spb.GetLeadResponse | None = await unless_unknown(
            backends.stats.GetLead(spb.GetLeadRequest(lead_id=subject_id), timeout=backends.timeout_s)
        )
        return lead is not None and await sees_lead(user, backends, visibility(user, backends), lead.lead)
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
    return await store.comment(kind, subject_id, user.username, text, tuple(tagged), await store.now_ms())


async def comments(user: User, backends: Backends, store: TaskStore, kind: str, subject_id: str) -> list[Comment]:
    """The comments on one subject."""
    access.require_role(user, "admin", "supervisor")
    if kind not in SUBJECT_KINDS:
        raise InvalidArgument("kind", f"must be one of {', '.join(SUBJECT_KINDS)}")
    _check_subject_id(kind, subject_id)
    await _check_subject(user, backends, kind, subject_id)
    return await store.comments(kind, subject_id)


CREATE_FIELDS = ("title", "text", "subject_kind", "subject_id", "agent_id", "team", "due_ms", "reminders", "recurrence")
MAX_REMINDERS = 5
MAX_REMINDER_S = 366 * 86_400  # a reminder at most a year (and a day) before the due time
MAX_AHEAD_MS = 20 * 366 * 86_400_000  # a due time or snooze at most 20 years ahead
MAX_PAST_MS = 86_400_000  # a due time at most a day ago (an overdue task entered late)
MAX_SNOOZE_MINUTES = 366 * 24 * 60


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _digits(text: str) -> int | None:
    """A whole number of at most 16 ASCII digits from a query, or None."""
    return int(text) if 0 < len(text) <= 16 and text.isascii() and text.isdigit() else None


def _reminders(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    offsets = [_whole(v) for v in value] if isinstance(value, list) else None
    if offsets is None or any(v is None or not 1 <= v <= MAX_REMINDER_S for v in offsets):
        raise InvalidArgument("reminders", f"must be a list of seconds before the due time, 1 to {MAX_REMINDER_S}")
    if len(offsets) > MAX_REMINDERS:
        raise InvalidArgument("reminders", f"at most {MAX_REMINDERS}")
    return tuple(sorted({v for v in offsets if v is not None}, reverse=True))


def _recurrence(value: object) -> Recurrence | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"every", "unit"}:
        raise InvalidArgument("recurrence", 'must be {"every": N, "unit": "days" | "weeks" | "months" | "years"}')
    every, unit = _whole(value.get("every")), value.get("unit")
    if every is None or not 1 <= every <= MAX_EVERY:
        raise InvalidArgument("recurrence", f"every must be a whole number from 1 to {MAX_EVERY}")
    if unit not in UNITS:
        raise InvalidArgument("recurrence", f"unit must be one of {', '.join(UNITS)}")
    return Recurrence(every, str(unit))


def _assignee(body: dict[str, Any]) -> tuple[str, str]:
    agent_id, team = body.get("agent_id") or "", body.get("team") or ""
    for name, value in (("agent_id", agent_id), ("team", team)):
        if not isinstance(value, str) or len(value) > MAX_SUBJECT_ID:
            raise InvalidArgument(name, f"must be a string of at most {MAX_SUBJECT_ID} characters")
    if bool(agent_id) == bool(team):
        raise InvalidArgument("agent_id", "give an agent_id or a team (exactly one)")
    router_team = team_id_of_task(team)
    if router_team is not None:
        check_team_id(router_team, "team")
    return agent_id, team


async def _check_assignee(user: User, backends: Backends, agent_id: str, team: str) -> None:
    """Supervisors give tasks to agents and teams they supervise, admins to any; agents only
    to themselves (403); an agent or team the user does not see is as unknown (404)."""
    if user.role == "agent":
        if team or agent_id != user.agent_id:
            raise PermissionDenied("an agent gives tasks to themselves only", "agent_id" if agent_id else "team")
        return
    if agent_id:
        queues = (await agent_queues(backends)).get(agent_id)
        if queues is None or not access.sees_agent(user, agent_id, queues):
            raise NotFound(f"agent {agent_id} does not exist")
    elif (router_team := team_id_of_task(team)) is not None:
        await team_members(user, backends, router_team)  # NotFound unless the user has it and it exists
    elif team not in {q.name for q in await visible_queues(user, backends)}:
        raise NotFound(f"team {team} does not exist")


async def create_task(user: User, backends: Backends, store: TaskStore, body: dict[str, Any]) -> Task:
    """A task from a request body (every field checked, each problem named)."""
    access.require_role(user, "admin", "supervisor", "agent")
    title, text = body.get("title"), body.get("text", "")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise InvalidArgument("title", f"is required (at most {MAX_TITLE} characters)")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise InvalidArgument("text", f"must be a string of at most {MAX_TEXT} characters")
    kind, subject_id = body.get("subject_kind") or "", body.get("subject_id") or ""
    if kind or subject_id:
        if kind not in TASK_SUBJECT_KINDS:
            raise InvalidArgument("subject_kind", f"must be one of {', '.join(TASK_SUBJECT_KINDS)}")
        if not isinstance(subject_id, str):
            raise InvalidArgument("subject_id", "must be a string")
        _check_subject_id(kind, subject_id)
    if user.role == "agent" and not body.get("agent_id") and not body.get("team"):
        body = {**body, "agent_id": user.agent_id}
    agent_id, team = _assignee(body)
    due_ms = body.get("due_ms")
    if due_ms is not None:
        due_ms = _whole(due_ms)
        now = await store.now_ms()
        if due_ms is None or not now - MAX_PAST_MS <= due_ms <= now + MAX_AHEAD_MS:
            raise InvalidArgument("due_ms", "must be a time in ms, at most a day ago and 20 years ahead")
    reminders, recurrence = _reminders(body.get("reminders")), _recurrence(body.get("recurrence"))
    if (reminders or recurrence) and due_ms is None:
        raise InvalidArgument("reminders" if reminders else "recurrence", "needs a due_ms")
    await _check_assignee(user, backends, agent_id, team)
    if kind in SUBJECT_KINDS:  # a client (a caller's number) is any number the user names
        await _check_subject(user, backends, kind, subject_id)
    new = NewTask(title.strip(), text, kind, subject_id, agent_id, team, due_ms, reminders, recurrence)
    return await store.create(new, user.username)


async def sees_task(user: User, backends: Backends, task: Task, queues: dict[str, list[str]] | None = None) -> bool:
    if access.sees_all(user):
        return True
    if user.role == "agent":
        if task.agent_id:
            return task.agent_id == user.agent_id
        if task_team := team_id_of_task(task.queue):
            return task_team in user.router_teams
        queues = queues if queues is not None else await agent_queues(backends)
        return task.queue in queues.get(user.agent_id, [])
    if task.queue and access.has_task_team(user, task.queue):
        return True
    queues = queues if queues is not None else await agent_queues(backends)
    return bool(task.agent_id) and access.sees_agent(user, task.agent_id, queues.get(task.agent_id, []))


async def _in_team_of(user: User, backends: Backends, task: Task) -> bool:
    """The agent is of the team task's team, whoever took it: so of two members racing to
    take it, the one second is told it was taken (409), not that it does not exist."""
    if not task.queue:
        return False
    if task_team := team_id_of_task(task.queue):
        return task_team in user.router_teams
    return task.queue in (await agent_queues(backends)).get(user.agent_id, [])


async def _router_team_ids(user: User, backends: Backends) -> set[str]:
    """The router teams whose tasks the user may list: every one for admins."""
    if not access.sees_all(user):
        return set(user.router_teams)
    reply: rpb.ListTeamsResponse = await backends.router.ListTeams(rpb.ListTeamsRequest(), timeout=backends.timeout_s)
    return {t.team_id for t in reply.teams}


async def _visible_task(user: User, backends: Backends, store: TaskStore, task_id: str) -> Task:
    task = await store.get(task_id) if len(task_id) <= 64 else None
    if task is None or not await sees_task(user, backends, task):
        raise NotFound("task does not exist")
    return task


async def list_tasks(user: User, backends: Backends, store: TaskStore, query: dict[str, str]) -> tuple[list[Task], int]:
    """The tasks a user may see (an agent: their own and their teams' untaken ones; a
    supervisor: their teams' and their agents'), filtered; with the time they were read at."""
    access.require_role(user, "admin", "supervisor", "agent")
    status = query.get("status", "all" if query.get("all") == "1" else "")
    if status and status not in (*STATUSES, "all"):
        raise InvalidArgument("status", f"must be one of {', '.join(STATUSES)}, all")
    due_before = _digits(query.get("due_before", ""))
    if "due_before" in query and due_before is None:
        raise InvalidArgument("due_before", "must be a time in ms")
    limit_text = query.get("limit", str(MAX_LISTED))
    limit = _digits(limit_text)
    if limit is None or not 1 <= limit <= MAX_LISTED:
        raise InvalidArgument("limit", f"must be from 1 to {MAX_LISTED}")
    assignee = query.get("assignee") or query.get("agent_id", "")
    queues = await agent_queues(backends)
    if user.role == "agent":
        if assignee and assignee != user.agent_id:
            raise NotFound(f"agent {assignee} does not exist")
        agents, teams = [user.agent_id], list(queues.get(user.agent_id, []))
        teams += [TASK_PREFIX + t for t in user.router_teams]
    elif assignee.startswith("team:"):
        # team:<name>: the tasks of the queue of that name, and of the router team of that id
        team = assignee.removeprefix("team:")
        router_ids = await _router_team_ids(user, backends)
        teams = [t for t in (team,) if access.sees_all(user) or team in user.teams]
        teams += [TASK_PREFIX + team] if team in router_ids else []
        if not teams:
            raise NotFound(f"team {team} does not exist")
        agents = []
    elif assignee:
        if assignee not in queues or not access.sees_agent(user, assignee, queues[assignee]):
            raise NotFound(f"agent {assignee} does not exist")
        agents, teams = [assignee], []
    else:
        agents = [a for a, qs in queues.items() if access.sees_agent(user, a, qs)]
        teams = sorted({q for qs in queues.values() for q in qs} if access.sees_all(user) else set(user.teams))
        teams += [TASK_PREFIX + t for t in sorted(await _router_team_ids(user, backends))]
    found = await store.listed(agents, teams)
    wanted = {"": ("open", "snoozed"), "all": STATUSES}.get(status, (status,))
    found = [t for t in found if t.status in wanted]
    if due_before is not None:
        found = [t for t in found if t.due_ms is not None and t.due_ms <= due_before]
    return found[:limit], await store.now_ms()


async def done_task(user: User, backends: Backends, store: TaskStore, task_id: str) -> tuple[Task, Task | None]:
    """Done; a recurring task's next one is created with it."""
    access.require_role(user, "admin", "supervisor", "agent")
    task = await _visible_task(user, backends, store, task_id)
    return await store.done(task.id, user.username)


async def close_task(user: User, backends: Backends, store: TaskStore, task_id: str) -> Task:
    return (await done_task(user, backends, store, task_id))[0]


async def snooze_task(user: User, backends: Backends, store: TaskStore, task_id: str, body: dict[str, Any]) -> Task:
    """Snoozed until `until_ms`, or for `minutes`: the due time moves there."""
    access.require_role(user, "admin", "supervisor", "agent")
    until, minutes = body.get("until_ms"), body.get("minutes")
    if (until is None) == (minutes is None):
        raise InvalidArgument("until_ms", "give until_ms or minutes (exactly one)")
    now = await store.now_ms()
    if minutes is not None:
        minutes = _whole(minutes)
        if minutes is None or not 1 <= minutes <= MAX_SNOOZE_MINUTES:
            raise InvalidArgument("minutes", f"must be a whole number from 1 to {MAX_SNOOZE_MINUTES}")
        until = now + minutes * 60_000
    until = _whole(until)
    if until is None or not now < until <= now + MAX_AHEAD_MS:
        raise InvalidArgument("until_ms", "must be a time in ms ahead of now, at most 20 years")
    task = await _visible_task(user, backends, store, task_id)
    return await store.snooze(task.id, until, user.username)


async def reassign_task(user: User, backends: Backends, store: TaskStore, task_id: str, body: dict[str, Any]) -> Task:
    """Supervisors and admins give a task to another agent or team they may give tasks to."""
    access.require_role(user, "admin", "supervisor")
    agent_id, team = _assignee(body)
    task = await _visible_task(user, backends, store, task_id)
    await _check_assignee(user, backends, agent_id, team)
    return await store.reassign(task.id, agent_id, team, user.username)


async def take_task(user: User, backends: Backends, store: TaskStore, task_id: str) -> Task:
    """An agent of the team takes a team task: theirs from now on (409 when another was first)."""
    access.require_role(user, "agent")
    task = await store.get(task_id) if len(task_id) <= 64 else None
    if task is None or not await _in_team_of(user, backends, task):
        task = await _visible_task(user, backends, store, task_id)  # 404, or a task of their own
    if not task.queue:
        raise FailedPrecondition("the task is no team task", state="not_team")
    return await store.take(task.id, user.agent_id, user.username)
