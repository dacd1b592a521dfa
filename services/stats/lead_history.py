"""A lead's pipeline history (S1.9): every creation, assignment and stage change, with its
actor and time, as apply.lua stores them (keys.lead_history, at most MAX_LEAD_HISTORY).

Entries are stored by the event's order (time, then entry id) with the stage they move to; the
stage each moves *from* is the one of the entry before it, found here on reading, so events
applied in any order give the same history."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from callcenter.services.stats.keys import MAX_LEAD_HISTORY, StatsKeys
from callcenter.services.stats.leads import check_lead_id
from callcenter.services.stats.model import NotFound

#: What an entry records: the lead created, (re)assigned, or moved to another stage.
CHANGE_KINDS = ("created", "assigned", "stage")


@dataclass
class LeadChange:
    kind: str  # one of CHANGE_KINDS
    from_stage: str  # "" before the first stage known
    to_stage: str  # the stage after the change (an assignment keeps it)
    time_ms: int  # the event's time
    event_id: str  # its stream entry id
    agent_id: str  # the agent the lead is (re)assigned to or who moved it
    actor: str  # who asked for it (the event's actor), "" if nobody named
    actor_via: str  # the credential that relayed the request, if any


@dataclass
class LeadHistory:
    lead_id: str
    changes: list[LeadChange] = field(default_factory=list)  # oldest first
    trimmed: int = 0  # older changes cut from the history (beyond MAX_LEAD_HISTORY)


def _parse(member: str) -> tuple[int, str, dict[str, str]]:
    """'<time>|<ms>-<seq>|<JSON>' -> time ms, entry id, the JSON's fields."""
    time_text, entry, body = member.split("|", 2)
    ms, seq = entry.split("-")
    return int(time_text), f"{int(ms)}-{int(seq)}", json.loads(body)


class LeadHistoryReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def get(self, lead_id: str) -> LeadHistory:
        check_lead_id(lead_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(self.keys.lead_history(lead_id), 0, MAX_LEAD_HISTORY - 1)  # bounded by the writer too
            pipe.hmget(self.keys.lead(lead_id), "history_trimmed", "history_base")
            members, (trimmed, base) = await pipe.execute()
        if not members and not trimmed:
            raise NotFound(f"lead {lead_id} has no history")
        history = LeadHistory(lead_id, trimmed=int(trimmed or 0))
        stage = base or ""
        for member in members:
            time_ms, event_id, f = _parse(member)
            kind = f.get("k", "")
            to_stage = stage if kind == "assigned" else f.get("s", "")
            history.changes.append(
                LeadChange(kind, stage, to_stage, time_ms, event_id, f.get("a", ""), f.get("by", ""), f.get("via", ""))
            )
            stage = to_stage
        return history
