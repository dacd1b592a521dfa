"""Administration of queues and agents (admins; a queue's rules also for its supervisors to
read), and the admin page: the HTTP side of domain/admin.py. Users are administered in
auth_api.py, pause reasons in agents_api.py, wallboard links in wallboard_api.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import admin
from callcenter.services.gateway.pages import STATIC
from callcenter.services.gateway.web import (
    BACKENDS,
    TASKS,
    ApiError,
    accepts,
    json_reply,
    message_dict,
    read_json,
    user_of,
)

routes = web.RouteTableDef()


@routes.get("/admin")
async def admin_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "admin.html", headers={"Cache-Control": "no-store"})


@routes.get("/api/v1/queues/{queue}")
@accepts()
async def get_queue(request: web.Request) -> web.Response:
    """One queue: its live counts and every rule (durations in seconds, as PUT takes them)."""
    queue, rules = await admin.get_queue(user_of(request), request.app[BACKENDS], request.match_info["queue"])
    return json_reply({"queue": message_dict(queue), "rules": rules})


@routes.put("/api/v1/queues/{queue}")
@accepts(body=admin.QUEUE_FIELDS)
async def put_queue(request: web.Request) -> web.Response:
    """Creates a queue or replaces its rules; a rule left out takes its default."""
    body = await read_json(request)
    rules = await admin.put_queue(user_of(request), request.app[BACKENDS], request.match_info["queue"], body)
    return json_reply({"rules": rules})


@routes.put("/api/v1/agents/{agent_id}")
@accepts(body=admin.AGENT_FIELDS)
async def put_agent(request: web.Request) -> web.Response:
    """Creates an agent or replaces their profile (name, endpoint, queues, skills, tier)."""
    body = await read_json(request)
    agent = await admin.put_agent(user_of(request), request.app[BACKENDS], request.match_info["agent_id"], body)
    return json_reply({"agent": message_dict(agent)})


@routes.delete("/api/v1/agents/{agent_id}")
@accepts(query=("clients_to_agent_id", "release_clients"))
async def delete_agent(request: web.Request) -> web.Response:
    """Removes a logged-out agent; ?clients_to_agent_id= takes over their clients, open leads
    and tasks, or ?release_clients=true lets the clients go without a personal manager."""
    release = request.query.get("release_clients", "false")
    if release not in ("true", "false"):
        raise ApiError(400, "release_clients: must be true or false", "release_clients")
    moved = await admin.delete_agent(
        user_of(request),
        request.app[BACKENDS],
        request.app[TASKS],
        request.match_info["agent_id"],
        clients_to_agent_id=request.query.get("clients_to_agent_id", ""),
        release_clients=release == "true",
    )
    return json_reply({f"{kind}_moved": count for kind, count in moved.items()})
