"""Scenes the routing-rule tests share: agents logged in one after another on the hand clock,
an agent put on a call, the events of one kind."""

from __future__ import annotations

from callcenter.services.router.model import AgentProfile
from tests.helpers import event_types, read_events


async def agent(router, agent_id: str, queues=("sales",), *, tier: int = 0, skills=None, login: bool = True):
    """Saves the agent's profile (UpsertAgent's profile and status returned), then logs them in."""
    saved = await router.upsert_agent(
        AgentProfile(
            id=agent_id,
            name=agent_id.title(),
            endpoint=f"sip:{agent_id}@pbx",
            queues=tuple(queues),
            tier=tier,
            skills=dict(skills or {}),
        )
    )
    if login:
        await router.login(agent_id)
        router.clock.advance(1)
    return saved


async def occupy(router, agent_id: str, call_id: str, queue: str = "sales"):
    """Puts an agent on a call (the call is routed to them while nobody else is free)."""
    call = await router.route_call(call_id, "+4900" + call_id, queue, personal_manager_id=agent_id)
    assert call.offer is not None and call.offer.agent_id == agent_id, call
    return await router.report_offer_outcome(call_id, call.offer.offer_id, "answered")


async def events_of(redis, tenant, kind: str):
    return [e for e in await read_events(redis, tenant) if event_types([e]) == [kind]]
