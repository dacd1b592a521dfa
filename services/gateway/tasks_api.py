"""Comments on calls, leads and agents that tag agents, and the tasks they get (S0.3): the HTTP
side of domain/tasks.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import tasks
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    TASKS,
    accepts,
    json_reply,
    last_segment,
    read_json,
    text_field,
    text_list,
    user_of,
)

routes = web.RouteTableDef()


@routes.post("/api/v1/comments")
@accepts(body=("subject_kind", "subject_id", "text", "tag_agent_ids"))
async def comment(request: web.Request) -> web.Response:
    """A supervisor comments on a call, lead or agent; each tagged agent gets a task."""
    body = await read_json(request)
    created, opened = await tasks.comment(
        user_of(request),
        request.app[BACKENDS],
        request.app[TASKS],
        kind=text_field(body, "subject_kind"),
        subject_id=text_field(body, "subject_id"),
        text=text_field(body, "text"),
        tagged=text_list(body, "tag_agent_ids"),
    )
    return json_reply({"comment": created.public(), "tasks": [t.public() for t in opened]}, 201)


@routes.get("/api/v1/comments/{kind}/{subject_id:" + ANY_SEGMENT + "}")
@accepts()
async def list_comments(request: web.Request) -> web.Response:
    """The comments on one subject; its id percent-encoded as one path segment."""
    kind, subject_id = request.match_info["kind"], last_segment(request, "subject_id")
    found = await tasks.comments(user_of(request), request.app[BACKENDS], request.app[TASKS], kind, subject_id)
    return json_reply({"comments": [c.public() for c in found]})


@routes.get("/api/v1/tasks")
@accepts(query=("agent_id", "all", "status", "due_before", "assignee", "limit"))
async def list_tasks(request: web.Request) -> web.Response:
    """The tasks the user may see, newest first (at most 500): ?status=open|done|snoozed|all
    (default open and snoozed; ?all=1 is all), ?due_before=<ms>, ?assignee=<agent id> or
    team:<queue> (?agent_id= as before)."""
    found, now_ms = await tasks.list_tasks(
        user_of(request), request.app[BACKENDS], request.app[TASKS], dict(request.query)
    )
    return json_reply({"tasks": [t.public(now_ms) for t in found]})


@routes.post("/api/v1/tasks")
@accepts(body=tasks.CREATE_FIELDS)
async def create_task(request: web.Request) -> web.Response:
    """A task: title, text, subject, assignee (agent_id or team), due_ms, reminders, recurrence."""
    created = await tasks.create_task(
        user_of(request), request.app[BACKENDS], request.app[TASKS], await read_json(request)
    )
    return json_reply({"task": created.public()}, 201)


@routes.post("/api/v1/tasks/{task_id}/done")
@accepts()
async def done_task(request: web.Request) -> web.Response:
    """Done; a recurring task's next one is created (`next`)."""
    done, nxt = await tasks.done_task(
        user_of(request), request.app[BACKENDS], request.app[TASKS], request.match_info["task_id"]
    )
    return json_reply({"task": done.public(), "next": nxt.public() if nxt else None})


@routes.post("/api/v1/tasks/{task_id}/close")
@accepts()
async def close_task(request: web.Request) -> web.Response:
    """The older name of /done."""
    return await done_task(request)


@routes.post("/api/v1/tasks/{task_id}/snooze")
@accepts(body=("until_ms", "minutes"))
async def snooze_task(request: web.Request) -> web.Response:
    """Snoozed until until_ms, or for minutes: its due time moves there."""
    snoozed = await tasks.snooze_task(
        user_of(request),
        request.app[BACKENDS],
        request.app[TASKS],
        request.match_info["task_id"],
        await read_json(request),
    )
    return json_reply({"task": snoozed.public()})


@routes.post("/api/v1/tasks/{task_id}/reassign")
@accepts(body=("agent_id", "team"))
async def reassign_task(request: web.Request) -> web.Response:
    """Given to another agent or team (supervisors and admins)."""
    moved = await tasks.reassign_task(
        user_of(request),
        request.app[BACKENDS],
        request.app[TASKS],
        request.match_info["task_id"],
        await read_json(request),
    )
    return json_reply({"task": moved.public()})


@routes.post("/api/v1/tasks/{task_id}/take")
@accepts()
async def take_task(request: web.Request) -> web.Response:
    """An agent of its team takes a team task; 409 when another agent took it first."""
    taken = await tasks.take_task(
        user_of(request), request.app[BACKENDS], request.app[TASKS], request.match_info["task_id"]
    )
    return json_reply({"task": taken.public()})
