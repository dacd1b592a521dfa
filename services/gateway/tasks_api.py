"""Comments on calls, leads and agents that tag agents, and the tasks they get (S0.3)."""

from __future__ import annotations

import time

import grpc
from aiohttp import web

from callcenter.services.gateway import access
from callcenter.services.gateway.agents_api import visible_agents
from callcenter.services.gateway.tasks import SUBJECT_KINDS, subject_problem
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    TASKS,
    ApiError,
    json_reply,
    last_segment,
    read_json,
    text_field,
    text_list,
    user_of,
)

routes = web.RouteTableDef()


def _now_ms() -> int:
    return int(time.time() * 1000)


async def check_subject(request: web.Request, kind: str, subject_id: str) -> None:
    """A comment's subject must be one the user may see (404 otherwise): an agent of their
    teams, a call of their queues, a lead of their agents."""
    from callcenter.api.stats.v1 import stats_pb2 as spb
    from callcenter.services.gateway import stats_api

    user = user_of(request)
    if access.sees_all(user):
        return
    if kind == "agent":
        visible = subject_id in {a.id for a in await visible_agents(request)}
    elif kind == "call":
        try:
            reply = await stats_api.stats(request).GetCallRecord(
                spb.GetCallRecordRequest(call_id=subject_id), timeout=stats_api.timeout(request)
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            visible = False
        else:
            visible = stats_api.sees_record(user, reply.record)
    elif kind == "lead":
        try:
            reply = await stats_api.stats(request).GetLead(
                spb.GetLeadRequest(lead_id=subject_id), timeout=stats_api.timeout(request)
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            visible = False
        else:
            visible = await stats_api.sees_lead(request, reply.lead)
    else:
        raise ApiError(400, "subject_kind: must be call, lead or agent", "subject_kind")
    if not visible:
        raise access.Hidden(f"{kind} {subject_id} does not exist")


@routes.post("/api/v1/comments")
async def comment(request: web.Request) -> web.Response:
    """A supervisor comments on a call, lead or agent; each tagged agent gets a task."""
    user = user_of(request)
    access.require_role(user, "admin", "supervisor")
    body = await read_json(request)
    tagged = text_list(body, "tag_agent_ids")
    visible = {a.id for a in await visible_agents(request)}
    for agent_id in tagged:
        if agent_id not in visible:
            raise ApiError(400, f"tag_agent_ids: agent {agent_id} does not exist", "tag_agent_ids")
    kind, subject_id = text_field(body, "subject_kind"), text_field(body, "subject_id")
    if kind in SUBJECT_KINDS:
        problem = subject_problem(kind, subject_id)
        if problem:
            raise ApiError(400, f"subject_id: {problem}", "subject_id")
    if kind and subject_id:
        await check_subject(request, kind, subject_id)
    created, tasks = await request.app[TASKS].comment(
        kind,
        subject_id,
        user.username,
        text_field(body, "text"),
        tuple(tagged),
        _now_ms(),
    )
    return json_reply(
        {
            "comment": {**created.__dict__, "tagged_agent_ids": list(created.tagged_agent_ids)},
            "tasks": [t.public() for t in tasks],
        },
        201,
    )


@routes.get("/api/v1/comments/{kind}/{subject_id:" + ANY_SEGMENT + "}")
async def list_comments(request: web.Request) -> web.Response:
    """The comments on one subject; its id percent-encoded as one path segment."""
    access.require_role(user_of(request), "admin", "supervisor")
    kind, subject_id = request.match_info["kind"], last_segment(request, "subject_id")
    if kind not in SUBJECT_KINDS:
        raise ApiError(400, f"kind: must be one of {', '.join(SUBJECT_KINDS)}", "kind")
    problem = subject_problem(kind, subject_id)
    if problem:
        raise ApiError(400, f"subject_id: {problem}", "subject_id")
    await check_subject(request, kind, subject_id)
    found = await request.app[TASKS].comments(kind, subject_id)
    return json_reply({"comments": [{**c.__dict__, "tagged_agent_ids": list(c.tagged_agent_ids)} for c in found]})


@routes.get("/api/v1/tasks")
async def list_tasks(request: web.Request) -> web.Response:
    """An agent's notification list: their own open tasks (?all=1 with closed ones).
    Supervisors and admins may ask for an agent of theirs with ?agent_id=."""
    user = user_of(request)
    agent_id = request.query.get("agent_id", "")
    if user.role == "agent":
        if agent_id and agent_id != user.agent_id:
            raise access.Hidden(f"agent {agent_id} does not exist")
        agent_id = user.agent_id
    elif not agent_id:
        raise ApiError(400, "agent_id: is required", "agent_id")
    elif agent_id not in {a.id for a in await visible_agents(request)}:
        raise access.Hidden(f"agent {agent_id} does not exist")
    tasks = await request.app[TASKS].for_agent(agent_id, include_closed=request.query.get("all") == "1")
    return json_reply({"tasks": [t.public() for t in tasks]})


@routes.post("/api/v1/tasks/{task_id}/close")
async def close_task(request: web.Request) -> web.Response:
    user = user_of(request)
    store = request.app[TASKS]
    task = await store.get(request.match_info["task_id"])
    if task is None:
        raise access.Hidden("task does not exist")
    if user.role == "agent" and task.agent_id != user.agent_id:
        raise access.Hidden("task does not exist")
    if user.role == "supervisor" and task.agent_id not in {a.id for a in await visible_agents(request)}:
        raise access.Hidden("task does not exist")
    closed = await store.close(task.id, user.username, _now_ms())
    return json_reply({"task": closed.public()})
