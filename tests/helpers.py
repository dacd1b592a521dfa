"""Small helpers shared by the tests."""

from __future__ import annotations

from callcenter.api.events.v1 import events_pb2
from callcenter.core.event_stream import decode, stream_key
from callcenter.services.router.model import AgentProfile
from callcenter.services.router.router import Router


async def read_events(redis, tenant: str) -> list[events_pb2.Event]:
    """Every event of a tenant's stream, decoded, oldest first."""
    return [decode(entry_id, fields) for entry_id, fields in await redis.xrange(stream_key(tenant))]


def event_types(events: list[events_pb2.Event]) -> list[str]:
    return [events_pb2.EventType.Name(e.type).removeprefix("EVENT_TYPE_") for e in events]


async def team(router: Router, queue: str, agent_ids: list[str], *, login: bool = True, **queue_settings):
    """A queue and its agents, logged in one after another (so the first has been idle longest)."""
    await router.upsert_queue(queue, **queue_settings)
    for agent_id in agent_ids:
        await router.upsert_agent(
            AgentProfile(id=agent_id, name=agent_id.title(), endpoint=f"sip:{agent_id}@pbx", queues=(queue,))
        )
        if login:
            await router.login(agent_id)
            if hasattr(router.clock, "advance"):
                router.clock.advance(1)


async def next_event(redis, tenant: str, check, after: str = "0-0") -> tuple[str, events_pb2.Event]:
    """The first event of the tenant's stream after entry `after` for which check(event)
    holds, and its entry id: read with blocking XREADs, so it returns as the event comes
    (the caller puts a safety-net timeout around it)."""
    key = stream_key(tenant)
    while True:
        for _, entries in await redis.xread({key: after}, block=1000, count=200) or []:
            for entry_id, fields in entries:
                after = entry_id
                event = decode(entry_id, fields)
                if check(event):
                    return entry_id, event


def multi_callable(channel, method, **serializers):
    """The channel's callable for an RPC of any kind (unary or streaming either way), from its
    method descriptor; asyncio and blocking channels alike. Without serializers: bytes."""
    kind = {
        (False, False): channel.unary_unary,
        (False, True): channel.unary_stream,
        (True, False): channel.stream_unary,
        (True, True): channel.stream_stream,
    }[(method.client_streaming, method.server_streaming)]
    return kind(f"/{method.containing_service.full_name}/{method.name}", **serializers)
