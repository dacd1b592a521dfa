"""Actions on agents (S2.5, S3.1): pause, resume, log out, end or extend a wrap-up. Each is one
router RPC on an agent the user may see and act on (access.may_act_on_agent); the reply is the
agent's new status."""

from __future__ import annotations

from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.errors import InvalidArgument

from ..backends import Backends
from ..users import User
from . import access
from .agents import get_agent


async def target(user: User, backends: Backends, agent_id: str, action: str) -> pb.Agent:
    """The agent the user may take `action` on (NotFound when hidden, PermissionDenied for the role)."""
    agent = await get_agent(user, backends, agent_id)
    access.may_act_on_agent(user, agent_id, agent.queues, action)
    return agent


async def pause(
    user: User, backends: Backends, agent_id: str, reason: str, after_current_call: bool = False
) -> pb.AgentStatus:
    """Pauses the agent (a reason of the site's list: the router refuses others, naming
    `reason`); after_current_call: a busy agent when they leave the call and its wrap-up."""
    await target(user, backends, agent_id, "pause")
    if not reason:
        raise InvalidArgument("reason", "is required")
    reply: pb.PauseAgentResponse = await backends.router.PauseAgent(
        pb.PauseAgentRequest(agent_id=agent_id, reason=reason, after_current_call=after_current_call),
        timeout=backends.timeout_s,
    )
    return reply.status


async def pause_reasons(backends: Backends) -> list[pb.PauseReason]:
    """The site's pause reasons, for every user (the agent controls offer them)."""
    reply: pb.ListPauseReasonsResponse = await backends.router.ListPauseReasons(
        pb.ListPauseReasonsRequest(), timeout=backends.timeout_s
    )
    return list(reply.reasons)


async def set_pause_reasons(user: User, backends: Backends, reasons: list[tuple[str, str]]) -> list[pb.PauseReason]:
    """Replaces the site's pause reasons (code, label), in the order people see them: admins only."""
    access.require_role(user, "admin")
    reply: pb.SetPauseReasonsResponse = await backends.router.SetPauseReasons(
        pb.SetPauseReasonsRequest(reasons=[pb.PauseReason(code=code, label=label) for code, label in reasons]),
        timeout=backends.timeout_s,
    )
    return list(reply.reasons)


async def resume(user: User, backends: Backends, agent_id: str) -> pb.AgentStatus:
    await target(user, backends, agent_id, "resume")
    reply: pb.ResumeAgentResponse = await backends.router.ResumeAgent(
        pb.ResumeAgentRequest(agent_id=agent_id), timeout=backends.timeout_s
    )
    return reply.status


async def log_out(user: User, backends: Backends, agent_id: str) -> pb.AgentStatus:
    await target(user, backends, agent_id, "logout")
    reply: pb.LogoutAgentResponse = await backends.router.LogoutAgent(
        pb.LogoutAgentRequest(agent_id=agent_id), timeout=backends.timeout_s
    )
    return reply.status


async def end_wrap_up(user: User, backends: Backends, agent_id: str) -> pb.AgentStatus:
    """Ends the wrap-up now: an agent's own where the queue allows it, any for supervisors."""
    await target(user, backends, agent_id, "end_wrap_up")
    force = user.role != "agent"
    reply: pb.EndWrapUpResponse = await backends.router.EndWrapUp(
        pb.EndWrapUpRequest(agent_id=agent_id, force=force), timeout=backends.timeout_s
    )
    return reply.status


async def extend_wrap_up(user: User, backends: Backends, agent_id: str, seconds: float | None) -> pb.AgentStatus:
    """Makes the wrap-up `seconds` longer (None: the request gave no number)."""
    await target(user, backends, agent_id, "extend_wrap_up")
    if seconds is None or not 1 <= seconds <= 3600:
        raise InvalidArgument("seconds", "a number from 1 to 3600 is required")
    extra = duration_pb2.Duration()
    extra.FromMilliseconds(round(seconds * 1000))
    reply: pb.ExtendWrapUpResponse = await backends.router.ExtendWrapUp(
        pb.ExtendWrapUpRequest(agent_id=agent_id, extra=extra), timeout=backends.timeout_s
    )
    return reply.status
