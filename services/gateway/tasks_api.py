"""Comments on calls, leads and agents that tag agents, and the tasks they get (S0.3): the HTTP
side of domain/tasks.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import tasks
from callcenter.services.gateway.tasks import Comment
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


def _comment_dict(comment: Comment) -> dict:
    return {**comment.__dict__, "tagged_agent_ids": list(comment.tagged_agent_ids)}


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
    return json_reply({"comment": _comment_dict(created), "tasks": [t.public() for t in opened]}, 201)


@routes.get("/api/v1/comments/{kind}/{subject_id:" + ANY_SEGMENT + "}")
@accepts()
async def list_comments(request: web.Request) -> web.Response:
    """The comments on one subject; its id percent-encoded as one path segment."""
    kind, subject_id = request.match_info["kind"], last_segment(request, "subject_id")
    found = await tasks.comments(user_of(request), request.app[BACKENDS], request.app[TASKS], kind, subject_id)
    return json_reply({"comments": [_comment_dict(c) for c in found]})


@routes.get("/api/v1/tasks")
@accepts(query=("agent_id", "all"))
async def list_tasks(request: web.Request) -> web.Response:
    """An agent's notification list: their own open tasks (?all=1 with closed ones).
    Supervisors and admins may ask for an agent of theirs with ?agent_id=."""
    found = await tasks.agent_tasks(
        user_of(request),
        request.app[BACKENDS],
        request.app[TASKS],
        agent_id=request.query.get("agent_id", ""),
        include_closed=request.query.get("all") == "1",
    )
    return json_reply({"tasks": [t.public() for t in found]})


@routes.post("/api/v1/tasks/{task_id}/close")
@accepts()
async def close_task(request: web.Request) -> web.Response:
    closed = await tasks.close_task(
        user_of(request), request.app[BACKENDS], request.app[TASKS], request.match_info["task_id"]
    )
    return json_reply({"task": closed.public()})
