"""Outbound calls for gateway users (docs/outbound.md): click-to-call, and the preview an agent
accepts or declines. Each is one router RPC; the user is the actor of its events.

An agent calls for themselves only: the preview is offered to their own agent, and only the
agent offered a preview may accept or decline it (another agent: PermissionDenied). A
supervisor calls from, and acts on the previews of, the queues of their teams (and offers a
call to an agent they see); an admin everywhere. A call the user may not see is NotFound."""

from __future__ import annotations

import dataclasses
import uuid

import grpc

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.api.router.v1 import campaigns_pb2 as cpb
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound, PermissionDenied

from ..backends import Backends, unless_unknown
from ..users import User
from . import access
from .agents import get_agent
from .errors import Conflict

ROLES = ("agent", "supervisor", "admin")


@dataclasses.dataclass(frozen=True)
class Offer:
    """An outbound preview offered to an agent, with what the agent should read first."""

    call: pb.Call
    client_name: str = ""
    campaign_name: str = ""
    script: str = ""
    note: str = ""  # the callback's note, for a callback's call


def new_call_id() -> str:
    """The id of a call the gateway creates (the router takes it as a PBX's Call-ID)."""
    return f"gw-out-{uuid.uuid4().hex}"


async def _own_agent(user: User, backends: Backends) -> pb.Agent:
    if not user.agent_id:
        raise Conflict("agent_id", f"user {user.username} has no agent to call with")
    reply: pb.GetAgentResponse = await backends.router.GetAgent(
        pb.GetAgentRequest(agent_id=user.agent_id), timeout=backends.timeout_s
    )
    return reply.agent


async def pick_agent_and_queue(user: User, backends: Backends, agent_id: str, queue: str) -> tuple[str, str]:
    """Who is offered an outbound call (or a callback) first, and through which queue: an
    agent their own agent in one of their queues (their first when none is named); a
    supervisor an agent they see (or none: the queue's rotation) in a queue of theirs."""
    access.require_role(user, *ROLES)
    if queue:
        ids.check_name(queue, "queue")
    if user.role == "agent":
        if agent_id and agent_id != user.agent_id:
            raise PermissionDenied("an agent calls for themselves only")
        own = await _own_agent(user, backends)
        if not queue:
            if not own.queues:
                raise Conflict("queue", f"agent {own.id} serves no queue")
            queue = own.queues[0]
        elif queue not in own.queues:
            raise NotFound(f"queue {queue} does not exist")
        return own.id, queue
    if agent_id:
        ids.check_name(agent_id, "agent_id")
        agent = await get_agent(user, backends, agent_id)
        if not queue:
            if not agent.queues:
                raise Conflict("queue", f"agent {agent_id} serves no queue")
            queue = agent.queues[0]
    elif not queue:
        raise InvalidArgument("queue", "is required when no agent_id is given")
    if not access.sees_queue(user, queue):
        raise NotFound(f"queue {queue} does not exist")
    return agent_id, queue


async def create_call(
    user: User, backends: Backends, number: str, queue: str = "", deal_id: str = "", agent_id: str = ""
) -> pb.Call:
    """Click-to-call: a preview call to `number`, offered to the user's own agent (an agent),
    or to `agent_id` (a supervisor or admin; none: the queue's rotation)."""
    if not number:
        raise InvalidArgument("number", "is required")
    if deal_id:
        ids.check_lead_id(deal_id, "deal_id")
    agent_id, queue = await pick_agent_and_queue(user, backends, agent_id, queue)
    reply: pb.CreateOutboundCallResponse = await backends.router.CreateOutboundCall(
        pb.CreateOutboundCallRequest(
            call_id=new_call_id(),
            number=number,
            queue=queue,
            mode=pb.OUTBOUND_MODE_PREVIEW,
            agent_id=agent_id,
            deal_id=deal_id,
        ),
        timeout=backends.timeout_s,
    )
    return reply.call


async def _offered_call(user: User, backends: Backends, call_id: str, offer_id: str) -> pb.Call:
    """The outbound preview ringing for an agent, if the user may act on it."""
    access.require_role(user, *ROLES)
    reply: pb.GetCallResponse = await backends.router.GetCall(
        pb.GetCallRequest(call_id=call_id), timeout=backends.timeout_s
    )
    call = reply.call
    if user.role == "agent":
        seen = call.offer.agent_id == user.agent_id or call.agent_id == user.agent_id
        if call.direction != pb.CALL_DIRECTION_OUTBOUND:
            raise NotFound(f"call {call_id} does not exist")
        if not user.agent_id or not seen:
            raise PermissionDenied("only the agent offered the call may accept or decline it")
    elif not access.sees_queue(user, call.queue):
        raise NotFound(f"call {call_id} does not exist")
    if call.direction != pb.CALL_DIRECTION_OUTBOUND or call.state != st.CALL_STATE_RINGING:
        state = st.CallState.Name(call.state).removeprefix("CALL_STATE_").lower()
        raise Conflict("call_id", f"call {call_id} is no outbound preview waiting for its agent (state {state})")
    if offer_id and offer_id != call.offer.offer_id:
        raise Conflict("offer_id", "the call is offered anew: read the offer again")
    return call


async def accept(user: User, backends: Backends, call_id: str, offer_id: str = "") -> pb.Call:
    """The offered agent accepts the preview: the PBX dials (DIALING)."""
    call = await _offered_call(user, backends, call_id, offer_id)
    reply: pb.AcceptOutboundCallResponse = await backends.router.AcceptOutboundCall(
        pb.AcceptOutboundCallRequest(call_id=call_id, offer_id=call.offer.offer_id), timeout=backends.timeout_s
    )
    return reply.call


async def decline(user: User, backends: Backends, call_id: str, offer_id: str = "") -> pb.Call:
    """The offered agent passes: the call goes to the next agent (no miss)."""
    call = await _offered_call(user, backends, call_id, offer_id)
    reply: pb.DeclineOutboundCallResponse = await backends.router.DeclineOutboundCall(
        pb.DeclineOutboundCallRequest(call_id=call_id, offer_id=call.offer.offer_id), timeout=backends.timeout_s
    )
    return reply.call


async def current_offers(user: User, backends: Backends) -> list[Offer]:
    """The outbound preview offered to the user's own agent now (none or one), with the
    client's name, the campaign's script and the callback's note where there are any."""
    access.require_role(user, *ROLES)
    if not user.agent_id:
        return []
    agent = await unless_unknown(
        backends.router.GetAgent(pb.GetAgentRequest(agent_id=user.agent_id), timeout=backends.timeout_s)
    )
    call_id = agent.agent.status.call_id if agent is not None else ""
    if not call_id:
        return []
    ask = pb.GetCallRequest(call_id=call_id)
    found = await unless_unknown(backends.router.GetCall(ask, timeout=backends.timeout_s))
    call = found.call if found is not None else None
    if (
        call is None
        or call.direction != pb.CALL_DIRECTION_OUTBOUND
        or call.state != st.CALL_STATE_RINGING
        or call.offer.agent_id != user.agent_id
    ):
        return []
    return [await _with_details(backends, call)]


async def _with_details(backends: Backends, call: pb.Call) -> Offer:
    client = await unless_unknown(
        backends.router.GetClient(pb.GetClientRequest(number=call.caller), timeout=backends.timeout_s),
        grpc.StatusCode.INVALID_ARGUMENT,  # a number the router would take as no client's
    )
    campaign_name = script = note = ""
    if call.campaign_id:
        got = await unless_unknown(
            backends.campaigns.GetCampaign(
                cpb.GetCampaignRequest(campaign_id=call.campaign_id), timeout=backends.timeout_s
            )
        )
        if got is not None:
            campaign_name, script = got.campaign.name, got.campaign.script
    if call.callback_id:
        callback = await unless_unknown(
            backends.router.GetCallback(pb.GetCallbackRequest(callback_id=call.callback_id), timeout=backends.timeout_s)
        )
        note = callback.callback.note if callback is not None else ""
    name = client.client.name if client is not None else ""
    return Offer(call=call, client_name=name, campaign_name=campaign_name, script=script, note=note)
