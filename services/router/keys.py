"""The router's Redis key model (docs/architecture.md describes it). All keys share the
tenant's prefix, whose {hash tag} puts them in one Redis Cluster slot."""

from __future__ import annotations

from callcenter.core.config import key_prefix


class RouterKeys:
    def __init__(self, tenant: str) -> None:
        self.prefix = key_prefix(tenant)
        self.events = self.prefix + "events"  # stream of every transition
        self.timers = self.prefix + "timers"  # zset: timer member -> deadline ms
        self.agents = self.prefix + "agents"  # set of agent ids
        self.queues = self.prefix + "queues"  # set of queue names
        self.dialed_numbers = self.prefix + "dids"  # hash: dialled number -> queue

    def agent(self, agent_id: str) -> str:
        return f"{self.prefix}agent:{agent_id}"  # hash: profile and state

    def call(self, call_id: str) -> str:
        return f"{self.prefix}call:{call_id}"  # hash: the call's state

    def queue(self, name: str) -> str:
        return f"{self.prefix}queue:{name}"  # hash: configuration

    def available(self, name: str) -> str:
        return f"{self.prefix}queue:{name}:avail"  # zset: free agents by strategy score

    def waiting(self, name: str) -> str:
        return f"{self.prefix}queue:{name}:waiting"  # zset: waiting calls (stage anyone) by priority, arrival

    def waiting_all(self, name: str) -> str:
        """zset: every call waiting in the queue, whatever its stage, by arrival (lib.lua)."""
        return f"{self.prefix}queue:{name}:waiting:all"

    def client(self, number: str) -> str:
        return f"{self.prefix}client:{number}"  # hash: caller-list entry (name, priority, manager)

    def agent_clients(self, agent_id: str) -> str:
        return f"{self.prefix}agent:{agent_id}:clients"  # set: numbers of the agent's clients

    def pbx(self, pbx_id: str) -> str:
        return f"{self.prefix}pbx:{pbx_id}"  # hash: a PBX session (lease, ring timer, last sequence)

    def pbx_events(self, pbx_id: str) -> str:
        return f"{self.prefix}pbx:{pbx_id}:events"  # stream: the session's messages, ids "0-<sequence>"

    def pbx_calls(self, pbx_id: str) -> str:
        return f"{self.prefix}pbx:{pbx_id}:calls"  # set: the session's open calls
