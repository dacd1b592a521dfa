"""The stats service's Redis key model. Every key starts with the tenant's prefix plus
"stats:", so it shares the tenant's {hash tag} (one Redis Cluster slot) with the event
stream; scripts/apply.lua writes them, the readers here only read."""

from __future__ import annotations

from callcenter.core.config import key_prefix

QUARTER_MS = 15 * 60 * 1000
HOUR_MS = 60 * 60 * 1000


class StatsKeys:
    def __init__(self, tenant: str) -> None:
        self.tenant_prefix = key_prefix(tenant)
        self.prefix = self.tenant_prefix + "stats:"
        self.applied = self.prefix + "applied"  # zset: applied event id -> entry ms
        self.changes = self.prefix + "changes"  # stream: one entry per applied event (live board)
        self.dead_letters = self.prefix + "dead"  # stream: events that could not be applied
        self.agents = self.prefix + "agents"  # set of agent ids seen
        self.queues = self.prefix + "queues"  # set of queue names seen
        self.calls = self.prefix + "calls"  # zset: call id -> received ms
        self.leads = self.prefix + "leads"  # zset: lead id -> created ms

    def agent(self, agent_id: str) -> str:
        return f"{self.prefix}agent:{agent_id}"  # hash: state now (last writer wins by event order)

    def timeline(self, agent_id: str) -> str:
        return f"{self.prefix}agent:{agent_id}:timeline"  # zset: "order|state|reason" by time

    def bucket(self, kind: str, name: str, span: str, start_ms: int) -> str:
        """Sums of one agent or queue (kind) over a quarter hour ("q") or hour ("h")."""
        return f"{self.prefix}{kind}:{name}:{span}:{start_ms}"

    def live(self, queue: str, state: str) -> str:
        return f"{self.prefix}live:{queue}:{state}"  # zset: call id -> received ms

    # A call id is any SIP Call-ID (callcenter/core/call_ids.py): ":" and every other separator
    # included. So each kind of key of a call has a prefix of its own and ends with the id:
    # "call:<id>:offers" would be the record of the call "<id>:offers".

    def call(self, call_id: str) -> str:
        return f"{self.prefix}call:{call_id}"  # hash: the call record

    def offers(self, call_id: str) -> str:
        return f"{self.prefix}offers:{call_id}"  # hash: "<attempt>:agent|outcome|ring_ms"

    def recordings(self, call_id: str) -> str:
        return f"{self.prefix}recordings:{call_id}"  # set of recording ids

    def legacy_offers(self, call_id: str) -> str:
        """Where records stored before the keys above kept their offers (read, never written,
        until they expire with the retention; may be the record of the call "<id>:offers")."""
        return f"{self.prefix}call:{call_id}:offers"

    def legacy_recordings(self, call_id: str) -> str:
        """As legacy_offers, for recordings (may be the record hash of "<id>:recordings")."""
        return f"{self.prefix}call:{call_id}:recordings"

    def calls_by(self, what: str, value: str) -> str:
        return f"{self.prefix}calls:{what}:{value}"  # zset: call id -> received ms

    def lead(self, lead_id: str) -> str:
        return f"{self.prefix}lead:{lead_id}"  # hash: stage, agent, created, refused_at/by

    def lead_attempts(self, lead_id: str) -> str:
        return f"{self.prefix}lead:{lead_id}:attempts"  # zset: call id -> received ms

    def lead_talk(self, lead_id: str) -> str:
        return f"{self.prefix}lead:{lead_id}:talk"  # hash: answered call id -> talk ms
