"""Agents and queues as the router knows them, and supervisor actions on agents (S0.1,
S1.6, S2.5, S3.1): everything here is one router RPC, filtered by the user's role."""

from __future__ import annotations

from aiohttp import web
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.services.gateway import access
from callcenter.services.gateway.web import (
    BACKENDS,
    ApiError,
    json_reply,
    message_dict,
    read_json,
    text_field,
    text_list,
    user_of,
)

routes = web.RouteTableDef()


def _timeout(request: web.Request) -> float:
    return request.app[BACKENDS].timeout_s


async def _agent(request: web.Request, agent_id: str) -> pb.Agent:
    """The agent, if this user may see them (404 otherwise, whether they exist or not)."""
    backends = request.app[BACKENDS]
    reply = await backends.router.GetAgent(pb.GetAgentRequest(agent_id=agent_id), timeout=backends.timeout_s)
    if not access.sees_agent(user_of(request), reply.agent.id, reply.agent.queues):
        raise access.Hidden(f"agent {agent_id} does not exist")
    return reply.agent


async def visible_agents(request: web.Request) -> list[pb.Agent]:
    backends = request.app[BACKENDS]
    reply = await backends.router.ListAgents(pb.ListAgentsRequest(), timeout=backends.timeout_s)
    user = user_of(request)
    return [a for a in reply.agents if access.sees_agent(user, a.id, a.queues)]


@routes.get("/api/v1/agents")
async def list_agents(request: web.Request) -> web.Response:
    return json_reply({"agents": [message_dict(a) for a in await visible_agents(request)]})


@routes.get("/api/v1/agents/{agent_id}")
async def get_agent(request: web.Request) -> web.Response:
    return json_reply({"agent": message_dict(await _agent(request, request.match_info["agent_id"]))})


@routes.get("/api/v1/queues")
async def list_queues(request: web.Request) -> web.Response:
    backends = request.app[BACKENDS]
    reply = await backends.router.ListQueues(pb.ListQueuesRequest(), timeout=backends.timeout_s)
    user = user_of(request)
    if user.role == "agent":
        own = await _agent(request, user.agent_id) if user.agent_id else None
        names = set(own.queues) if own else set()
        queues = [q for q in reply.queues if q.name in names]
    else:
        queues = [q for q in reply.queues if access.sees_queue(user, q.name)]
    return json_reply({"queues": [message_dict(q) for q in queues]})


async def _act(request: web.Request, action: str) -> tuple[str, dict, pb.Agent]:
    agent_id = request.match_info["agent_id"]
    body = await read_json(request)
    agent = await _agent(request, agent_id)
    access.may_act_on_agent(user_of(request), agent_id, agent.queues, action)
    return agent_id, body, agent


@routes.post("/api/v1/agents/{agent_id}/pause")
async def pause_agent(request: web.Request) -> web.Response:
    agent_id, body, _ = await _act(request, "pause")
    reason = text_field(body, "reason", limit=64)
    if not reason:
        raise ApiError(400, "reason: is required", "reason")
    b = request.app[BACKENDS]
    reply = await b.router.PauseAgent(pb.PauseAgentRequest(agent_id=agent_id, reason=reason), timeout=b.timeout_s)
    return json_reply({"status": message_dict(reply.status)})


@routes.post("/api/v1/agents/{agent_id}/resume")
async def resume_agent(request: web.Request) -> web.Response:
    agent_id, _, _ = await _act(request, "resume")
    b = request.app[BACKENDS]
    reply = await b.router.ResumeAgent(pb.ResumeAgentRequest(agent_id=agent_id), timeout=b.timeout_s)
    return json_reply({"status": message_dict(reply.status)})


@routes.post("/api/v1/agents/{agent_id}/logout")
async def logout_agent(request: web.Request) -> web.Response:
    agent_id, _, _ = await _act(request, "logout")
    b = request.app[BACKENDS]
    reply = await b.router.LogoutAgent(pb.LogoutAgentRequest(agent_id=agent_id), timeout=b.timeout_s)
    return json_reply({"status": message_dict(reply.status)})


@routes.post("/api/v1/agents/{agent_id}/wrap-up/end")
async def end_wrap_up(request: web.Request) -> web.Response:
    agent_id, _, _ = await _act(request, "end_wrap_up")
    b = request.app[BACKENDS]
    force = user_of(request).role != "agent"  # supervisors may end any wrap-up
    reply = await b.router.EndWrapUp(pb.EndWrapUpRequest(agent_id=agent_id, force=force), timeout=b.timeout_s)
    return json_reply({"status": message_dict(reply.status)})


@routes.post("/api/v1/agents/{agent_id}/wrap-up/extend")
async def extend_wrap_up(request: web.Request) -> web.Response:
    agent_id, body, _ = await _act(request, "extend_wrap_up")
    seconds = body.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 1 <= seconds <= 3600:
        raise ApiError(400, "seconds: a number from 1 to 3600 is required", "seconds")
    extra = duration_pb2.Duration()
    extra.FromMilliseconds(round(seconds * 1000))
    b = request.app[BACKENDS]
    reply = await b.router.ExtendWrapUp(pb.ExtendWrapUpRequest(agent_id=agent_id, extra=extra), timeout=b.timeout_s)
    return json_reply({"status": message_dict(reply.status)})


@routes.get("/api/v1/agents/{agent_id}/clients")
async def list_clients(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    await _agent(request, agent_id)
    b = request.app[BACKENDS]
    reply = await b.router.ListClients(pb.ListClientsRequest(manager_id=agent_id), timeout=b.timeout_s)
    return json_reply({"clients": [message_dict(c) for c in reply.clients]})


@routes.post("/api/v1/agents/{agent_id}/clients/reassign")
async def reassign_clients(request: web.Request) -> web.Response:
    """Moves all (or the listed) clients of an agent to another agent (S1.6, S2.5)."""
    agent_id, body, _ = await _act(request, "reassign_clients")
    to_agent_id = text_field(body, "to_agent_id", limit=64)
    numbers = text_list(body, "numbers")
    if to_agent_id:
        await _agent(request, to_agent_id)  # the new manager must be visible to this user too
    b = request.app[BACKENDS]
    reply = await b.router.ReassignClients(
        pb.ReassignClientsRequest(from_agent_id=agent_id, to_agent_id=to_agent_id, numbers=numbers),
        timeout=b.timeout_s,
    )
    return json_reply({"clients_moved": reply.clients_moved})
