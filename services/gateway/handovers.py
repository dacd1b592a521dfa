"""Handovers (S1.6): while an agent is on holiday or sick, a deputy takes their clients, open
leads and tasks, and at the handover's end (or when a supervisor ends it) what is still the
deputy's goes back. A handover is a record in Redis written by task_scripts/handover_*.lua
(each appending its event); what it moves is moved by domain/handover.py through the router,
stats and the task store, each move its own event.

One handover at a time per absent agent. Its end is a deadline by the Redis clock, fired by
whichever gateway replica claims it (handover_claim.lua leases it, so a replica dying mid-way
leaves it to another; handing back twice is harmless)."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .tasks import TaskStore

CLAIM_LEASE_MS = 60_000  # a claimed handback not ended by then is claimed again
MAX_MOVED = 10_000  # the most clients, leads or tasks one handover records


@dataclass(frozen=True)
class Handover:
    id: str
    from_agent_id: str
    to_agent_id: str
    until_ms: int = 0  # 0: until ended by hand
    clients: tuple[str, ...] = ()  # the numbers moved
    leads: tuple[str, ...] = ()  # the lead ids moved
    tasks: tuple[str, ...] = ()  # the task ids moved
    started_ms: int = 0
    started_by: str = ""
    state: str = "active"  # active | ended
    ended_ms: int = 0
    ended_by: str = ""
    returned: dict[str, int] = field(default_factory=dict)  # counts handed back: clients, leads, tasks

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Handover:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        for name in ("clients", "leads", "tasks"):
            value = data.get(name)
            data[name] = tuple(value) if isinstance(value, list) else ()  # Lua's cjson writes [] as {}
        if not isinstance(data.get("returned"), dict):
            data["returned"] = {}
        return cls(**data)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(clients=list(self.clients), leads=list(self.leads), tasks=list(self.tasks))
        return out


class HandoverStore:
    """The handover records, through the task store's scripts (one clock, one event stream)."""

    def __init__(self, tasks: TaskStore) -> None:
        self.tasks = tasks
        self.redis = tasks.redis
        self.keys = tasks.keys

    async def start(
        self,
        from_agent_id: str,
        to_agent_id: str,
        until_ms: int,
        clients: list[str],
        leads: list[str],
        tasks: list[str],
        actor: str,
    ) -> Handover:
        """Records a handover in force (FailedPrecondition 'exists' when the agent has one)."""
        record = {
            "id": secrets.token_hex(8),
            "from_agent_id": from_agent_id,
            "to_agent_id": to_agent_id,
            "until_ms": until_ms,
            "clients": clients[:MAX_MOVED],
            "leads": leads[:MAX_MOVED],
            "tasks": tasks[:MAX_MOVED],
        }
        reply = await self.tasks.run("handover_start", actor, json.dumps(record))
        return Handover.from_json(reply["ok"])

    async def in_force(self, agent_id: str) -> Handover | None:
        """The absent agent's handover in force, or None."""
        handover_id = await self.redis.get(self.keys.agent_handover(agent_id))
        return await self.get(handover_id) if handover_id else None

    async def get(self, handover_id: str | bytes) -> Handover | None:
        if isinstance(handover_id, bytes):
            handover_id = handover_id.decode()
        raw = await self.redis.get(self.keys.handover(handover_id))
        return Handover.from_json(json.loads(raw)) if raw else None

    async def claim_due(self) -> tuple[Handover | None, dict[str, Any]]:
        """A handover whose end came, leased to this replica (None when none is due) and the
        script's answer (its now and next end, for the timer's sleep)."""
        reply = await self.tasks.run("handover_claim", "", CLAIM_LEASE_MS)
        return (Handover.from_json(reply["ok"]) if "ok" in reply else None), reply

    async def end(self, handover_id: str, returned: dict[str, int], actor: str) -> Handover:
        """Ends it (FailedPrecondition 'ended' when it has ended)."""
        reply = await self.tasks.run("handover_end", actor, handover_id, json.dumps(returned))
        return Handover.from_json(reply["ok"])
