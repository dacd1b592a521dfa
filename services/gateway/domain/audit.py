"""The audit trail as a user may read it (docs/security.md, "Audit"): the changes made on
someone's behalf in a period, asked of stats (ListActions). Admins read every action;
supervisors those on their teams' agents and queues, by the live feed's rule
(access.event_view: another team's agent is never named); agents none. Agents are named as the
router has them."""

from __future__ import annotations

from typing import Any

from google.protobuf import timestamp_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.api.stats.v1 import stats_pb2 as spb

from ..backends import Backends
from ..users import User
from . import access, paging

MAX_STATS_PAGE = 500  # the most actions stats gives in one page


def _state(value: int) -> str:
    """An agent state as the API names it ("on_call"), "" when unset."""
    return "" if not value else states_pb2.AgentState.Name(value).removeprefix("AGENT_STATE_").lower()


def action_view(event: events_pb2.Event) -> dict[str, Any]:
    """An action as the API shows it: who did what to whom, when (recorded_ms: when the stream
    got it, what the period goes by; time_ms: when it happened, earlier for an imported lead)."""
    return {
        "event_id": event.id,
        "recorded_ms": int(event.id.split("-", 1)[0]),
        "time_ms": event.time.ToMilliseconds(),
        "type": events_pb2.EventType.Name(event.type).removeprefix("EVENT_TYPE_").lower(),
        "actor": event.actor,
        "actor_via": event.actor_via,
        "agent_id": event.agent_id,
        "other_agent_id": event.other_agent_id,
        "queue": event.queue,
        "call_id": event.call_id,
        "caller": event.caller,
        "lead_id": event.lead_id,
        "lead_stage": event.lead_stage,
        "team_id": event.team_id,
        "recording_id": event.recording_id,
        "reason": event.reason,
        "agent_state": _state(event.agent_state),
        "attributes": dict(event.attributes),
    }


async def list_actions(
    user: User,
    backends: Backends,
    start: timestamp_pb2.Timestamp,
    end: timestamp_pb2.Timestamp,
    actor: str,
    page_size: int,
    page_token: str,
) -> tuple[list[dict[str, Any]], str]:
    """A page of the actions recorded in [start, end) (of one actor, or everyone's) that the user
    may read, newest first, and the next page's token."""
    access.require_role(user, "admin", "supervisor")
    agents: rpb.ListAgentsResponse = await backends.router.ListAgents(
        rpb.ListAgentsRequest(), timeout=backends.timeout_s
    )
    names = {a.id: a.name for a in agents.agents}
    queues = {a.id: set(a.queues) | set(a.status.queues) for a in agents.agents}

    async def fetch(token: str, size: int) -> tuple[list[events_pb2.Event], str]:
        reply: spb.ListActionsResponse = await backends.stats.ListActions(
            spb.ListActionsRequest(
                range=spb.TimeRange(start=start, end=end), actor=actor, page_size=size, page_token=token
            ),
            timeout=backends.timeout_s,
        )
        return list(reply.actions), reply.next_page_token

    async def sees(event: events_pb2.Event) -> bool:
        return access.event_view(user, action_view(event), queues) is not None

    if access.sees_all(user):
        found, token = await fetch(page_token, page_size)
    else:
        found, token = await paging.visible_page(fetch, sees, page_size, page_token, MAX_STATS_PAGE)
    views = []
    for event in found:
        view = access.event_view(user, action_view(event), queues)
        if view is None:
            continue
        for field in ("agent_id", "other_agent_id"):
            view[field.replace("_id", "_name")] = names.get(view[field], "")
        views.append(view)
    return views, token
