"""Live call control (S3.4): a supervisor moves a waiting call to a named agent or another
queue, takes it themselves, ends a stuck call, or reassigns a ringing one. Each is one router
RPC (the router tells the call's PBX and records the user as the actor of its events).

Supervisors act on calls of their teams only (the call's queue, and the queue or agent it
goes to, must be theirs; anything else is NotFound: its existence is not revealed); admins on
every call; agents never (PermissionDenied)."""

from __future__ import annotations

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .agents import get_agent
from .errors import Conflict


async def _call(user: User, backends: Backends, call_id: str) -> pb.Call:
    """The live call the user may control (PermissionDenied for agents, NotFound when hidden)."""
    access.require_role(user, "supervisor", "admin")
    reply: pb.GetCallResponse = await backends.router.GetCall(
        pb.GetCallRequest(call_id=call_id), timeout=backends.timeout_s
    )
    if not access.sees_queue(user, reply.call.queue):
        raise NotFound(f"call {call_id} does not exist")
    return reply.call


async def _target_agent(user: User, backends: Backends, agent_id: str) -> None:
    if agent_id != user.agent_id or not agent_id:
        await get_agent(user, backends, agent_id)  # NotFound unless one of the user's teams'


async def move(user: User, backends: Backends, call_id: str, agent_id: str = "", queue: str = "") -> pb.Call:
    """A waiting call to the named agent (offered at once; they must be available), or to
    another queue (it keeps its arrival time and priority). Exactly one of the two."""
    if bool(agent_id) == bool(queue):
        raise InvalidArgument("agent_id" if not agent_id else "queue", "give either agent_id or queue")
    await _call(user, backends, call_id)
    if agent_id:
        await _target_agent(user, backends, agent_id)
        moved: pb.MoveCallToAgentResponse = await backends.router.MoveCallToAgent(
            pb.MoveCallToAgentRequest(call_id=call_id, agent_id=agent_id), timeout=backends.timeout_s
        )
        return moved.call
    if not access.sees_queue(user, queue):
        raise NotFound(f"queue {queue} does not exist")
    to_queue: pb.MoveCallToQueueResponse = await backends.router.MoveCallToQueue(
        pb.MoveCallToQueueRequest(call_id=call_id, queue=queue), timeout=backends.timeout_s
    )
    return to_queue.call


async def take(user: User, backends: Backends, call_id: str) -> pb.Call:
    """The supervisor takes a waiting call themselves: offered to their own agent."""
    access.require_role(user, "supervisor", "admin")
    if not user.agent_id:
        raise Conflict("agent_id", f"user {user.username} has no agent to take calls with")
    return await move(user, backends, call_id, agent_id=user.agent_id)


async def end(user: User, backends: Backends, call_id: str) -> pb.Call:
    """Ends a stuck call now (reason ended_by_supervisor)."""
    await _call(user, backends, call_id)
    reply: pb.EndCallResponse = await backends.router.EndCall(
        pb.EndCallRequest(call_id=call_id), timeout=backends.timeout_s
    )
    return reply.call


async def reassign(user: User, backends: Backends, call_id: str, agent_id: str = "") -> pb.Call:
    """A ringing call's offer is cancelled (no miss for its agent); it is offered to agent_id,
    or goes back to its queue when none is named."""
    await _call(user, backends, call_id)
    if agent_id:
        await _target_agent(user, backends, agent_id)
    reply: pb.ReassignCallResponse = await backends.router.ReassignCall(
        pb.ReassignCallRequest(call_id=call_id, agent_id=agent_id), timeout=backends.timeout_s
    )
    return reply.call
