"""The event stream's shape: where it lives in Redis and how an entry becomes an Event.

The router's Lua scripts write each event as a stream entry whose field names are the
`callcenter.events.v1.Event` field names (times and durations in milliseconds, states in
lower case, repeated fields (`queues`, `member_agent_ids`) comma-separated, `attributes` a
JSON object); `decode` turns an entry into the typed message every consumer works with. An
event written while an RPC is served records who asked for it (`actor`, `actor_via`; docs/security.md, "Audit").
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.events.v1 import events_pb2
from callcenter.core.audit import actor_fields, current_actor
from callcenter.core.config import key_prefix


def stream_key(tenant: str) -> str:
    """The Redis Stream holding a tenant's events."""
    return key_prefix(tenant) + "events"


def _enum_value(enum: Any, prefix: str, name: str) -> Any:
    """prefix + NAME's number in a proto enum; 0 (UNSPECIFIED) when empty or unknown."""
    full = prefix + name.upper()
    return enum.Value(full) if name and full in enum.keys() else 0


def agent_state_enum(name: str) -> Any:
    """ "on_call" -> AGENT_STATE_ON_CALL; unknown or empty -> UNSPECIFIED."""
    return _enum_value(states_pb2.AgentState, "AGENT_STATE_", name)


def call_state_enum(name: str) -> Any:
    """ "ringing" -> CALL_STATE_RINGING; unknown, empty or transient ("routing") -> UNSPECIFIED."""
    return _enum_value(states_pb2.CallState, "CALL_STATE_", name)


def timestamp_ms(ms: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromMilliseconds(ms)
    return ts


def duration_ms(ms: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(ms)
    return d


def decode(entry_id: str, fields: dict[str, str]) -> events_pb2.Event:
    """A stream entry (id and fields, as redis-py returns them decoded) as an Event."""
    event = events_pb2.Event(
        id=entry_id,
        type=_enum_value(events_pb2.EventType, "EVENT_TYPE_", fields.get("type", "")),
        call_id=fields.get("call_id", ""),
        agent_id=fields.get("agent_id", ""),
        queue=fields.get("queue", ""),
        offer_id=fields.get("offer_id", ""),
        caller=fields.get("caller", ""),
        reason=fields.get("reason", ""),
        agent_state=agent_state_enum(fields.get("agent_state", "")),
        call_state=call_state_enum(fields.get("call_state", "")),
        attempt=int(fields.get("attempt", "0") or 0),
        other_agent_id=fields.get("other_agent_id", ""),
        recording_id=fields.get("recording_id", ""),
        lead_id=fields.get("lead_id", ""),
        lead_stage=fields.get("lead_stage", ""),
        actor=fields.get("actor", ""),
        actor_via=fields.get("actor_via", ""),
        invoice_id=fields.get("invoice_id", ""),
        payment_id=fields.get("payment_id", ""),
        amount_minor=int(fields.get("amount_minor", "0") or 0),
        currency=fields.get("currency", ""),
        commission_minor=int(fields.get("commission_minor", "0") or 0),
        product=fields.get("product", ""),
        crm_source=fields.get("crm_source", ""),
        crm_event_id=fields.get("crm_event_id", ""),
        rule_id=fields.get("rule_id", ""),
        task_id=fields.get("task_id", ""),
        team_id=fields.get("team_id", ""),
        direction=fields.get("direction", ""),
        campaign_id=fields.get("campaign_id", ""),
        callback_id=fields.get("callback_id", ""),
        conversation_id=fields.get("conversation_id", ""),
        channel=fields.get("channel", ""),
        topic=fields.get("topic", ""),
    )
    event.queues.extend(q for q in fields.get("queues", "").split(",") if q)
    event.member_agent_ids.extend(a for a in fields.get("member_agent_ids", "").split(",") if a)
    if fields.get("attributes"):
        event.attributes.update({k: str(v) for k, v in json.loads(fields["attributes"]).items()})
    event.time.CopyFrom(timestamp_ms(int(fields["time"])))
    if "duration_ms" in fields:
        event.duration.CopyFrom(duration_ms(int(fields["duration_ms"])))
    if "wait_ms" in fields:
        event.wait.CopyFrom(duration_ms(int(fields["wait_ms"])))
    return event


async def append(
    redis: Any, tenant: str, event_type: str, time_ms: int, *, maxlen: int = 1_000_000, **fields: Any
) -> str:
    """Appends one event from Python (services other than the router, whose Lua scripts
    write their own): event_type is the lower-case name ("recording_stored"), fields use the
    entry field names above (empty values are left out; `attributes` may be a dict).
    Returns the entry id."""
    return str(
        await redis.xadd(stream_key(tenant), entry(event_type, time_ms, **fields), maxlen=maxlen, approximate=True)
    )


async def append_action(redis: Any, tenant: str, event_type: str, **fields: Any) -> str | None:
    """Appends the event of a change made on someone's behalf (the actor of the request being
    served: docs/security.md, "Audit"), stamped by the Redis clock. A change nobody asked for
    (no actor: the CLI, a config file) writes none. Returns the entry id, or None."""
    if current_actor.get() is None:
        return None
    seconds, micros = await redis.time()
    return await append(redis, tenant, event_type, int(seconds) * 1000 + int(micros) // 1000, **fields)


def entry(event_type: str, time_ms: int, **fields: Any) -> dict[str, str]:
    """The stream entry of one event (see append), for a caller that writes it itself, e.g.
    inside the Lua script of the transition it describes. It records the actor of the RPC
    being served (`actor`, `actor_via`: callcenter/core/audit.py), unless `fields` name one."""
    out: dict[str, str] = {"type": event_type, "time": str(time_ms)}
    for name, value in {**actor_fields(), **fields}.items():
        if value is None or value == "" or value == {}:
            continue
        out[name] = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
    return out
