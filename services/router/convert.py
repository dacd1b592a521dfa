"""Domain objects <-> router.v1 protobuf messages. The only place that knows both."""

from __future__ import annotations

from callcenter.event_stream import agent_state_enum, call_state_enum, duration_ms, timestamp_ms
from callcenter.router.v1 import router_pb2
from services.router.model import AgentProfile, AgentStatus, CallView, QueueConfig, QueueCounts

_STRATEGY_TO_PB = {
    "longest_idle": router_pb2.STRATEGY_LONGEST_IDLE,
    "round_robin": router_pb2.STRATEGY_ROUND_ROBIN,
    "fewest_calls": router_pb2.STRATEGY_FEWEST_CALLS,
}
_STRATEGY_FROM_PB = {v: k for k, v in _STRATEGY_TO_PB.items()}
OUTCOME_FROM_PB = {
    router_pb2.OFFER_OUTCOME_ANSWERED: "answered",
    router_pb2.OFFER_OUTCOME_NO_ANSWER: "no_answer",
    router_pb2.OFFER_OUTCOME_REJECTED: "rejected",
    router_pb2.OFFER_OUTCOME_BUSY: "busy",
}


def strategy_from_pb(value: int) -> str:
    """ "" for UNSPECIFIED (the router's default applies)."""
    return _STRATEGY_FROM_PB.get(value, "")


def queue_settings_from_pb(q: router_pb2.Queue) -> dict:
    """Keyword arguments of Router.upsert_queue from a Queue message."""
    return {
        "ring_timeout_ms": q.ring_timeout.ToMilliseconds(),
        "wrap_up_ms": q.wrap_up.ToMilliseconds() if q.HasField("wrap_up") else None,
        "strategy": strategy_from_pb(q.strategy),
        "max_wait_ms": q.max_wait.ToMilliseconds(),
        "retry_delay_ms": q.retry_delay.ToMilliseconds(),
        "allow_early_wrap_up_end": q.allow_early_wrap_up_end,
        "dialed_numbers": tuple(q.dialed_numbers),
    }


def queue_to_pb(q: QueueConfig, counts: QueueCounts | None = None) -> router_pb2.Queue:
    msg = router_pb2.Queue(
        name=q.name,
        ring_timeout=duration_ms(q.ring_timeout_ms),
        wrap_up=duration_ms(q.wrap_up_ms),
        strategy=_STRATEGY_TO_PB[q.strategy],
        max_wait=duration_ms(q.max_wait_ms),
        retry_delay=duration_ms(q.retry_delay_ms),
        allow_early_wrap_up_end=q.allow_early_wrap_up_end,
        dialed_numbers=list(q.dialed_numbers),
    )
    if counts is not None:
        msg.counts.waiting = counts.waiting
        msg.counts.available_agents = counts.available_agents
        if counts.oldest_waiting_since_ms is not None:
            msg.counts.oldest_waiting_since.CopyFrom(timestamp_ms(counts.oldest_waiting_since_ms))
    return msg


def profile_from_pb(a: router_pb2.Agent) -> AgentProfile:
    return AgentProfile(
        id=a.id, name=a.name, endpoint=a.endpoint, queues=tuple(a.queues), skills=dict(a.skills), tier=a.tier
    )


def status_to_pb(s: AgentStatus) -> router_pb2.AgentStatus:
    msg = router_pb2.AgentStatus(
        agent_id=s.agent_id,
        state=agent_state_enum(s.state),
        pause_reason=s.pause_reason,
        call_id=s.call_id,
        queues=list(s.queues),
        calls_answered=s.calls_answered,
    )
    if s.since_ms is not None:
        msg.state_since.CopyFrom(timestamp_ms(s.since_ms))
    if s.wrap_up_ends_ms is not None:
        msg.wrap_up_ends_at.CopyFrom(timestamp_ms(s.wrap_up_ends_ms))
    return msg


def agent_to_pb(profile: AgentProfile, status: AgentStatus) -> router_pb2.Agent:
    return router_pb2.Agent(
        id=profile.id,
        name=profile.name,
        endpoint=profile.endpoint,
        queues=list(profile.queues),
        skills=profile.skills,
        tier=profile.tier,
        status=status_to_pb(status),
    )


def call_to_pb(c: CallView) -> router_pb2.Call:
    msg = router_pb2.Call(
        call_id=c.call_id,
        caller=c.caller,
        queue=c.queue,
        state=call_state_enum(c.state),
        queue_position=c.queue_position,
        agent_id=c.agent_id,
        attributes=c.attributes,
        version=c.version,
        offers=c.offers,
        received_at=timestamp_ms(c.received_ms),
    )
    if c.offer is not None:
        msg.offer.CopyFrom(
            router_pb2.Offer(
                offer_id=c.offer.offer_id,
                agent_id=c.offer.agent_id,
                endpoint=c.offer.endpoint,
                ring_timeout=duration_ms(c.offer.ring_timeout_ms),
                expires_at=timestamp_ms(c.offer.expires_at_ms),
                attempt=c.offer.attempt,
            )
        )
    if c.answered_ms is not None:
        msg.answered_at.CopyFrom(timestamp_ms(c.answered_ms))
    if c.ended_ms is not None:
        msg.ended_at.CopyFrom(timestamp_ms(c.ended_ms))
    return msg
