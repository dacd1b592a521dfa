"""The board's alert thresholds: limits per queue (service level, longest wait, abandonment)
and for all agents (how long ringing, in wrap-up or paused before they count as stuck).

Admins set them; supervisors read those of their queues; agents neither. They live in the
gateway's Redis (`cc:{tenant}:gw:thresholds:*`), so every replica applies the same ones; a
queue nobody set has the defaults (config.ThresholdDefaults). Each change is an action on
the event stream (THRESHOLDS_UPDATED, with its actor: docs/security.md, "Audit"). The same
store keeps when each alert was first seen (`gw:alert:*`, alerts.py), one clock for every
replica and browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import redis.asyncio as aioredis

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.config import key_prefix
from callcenter.core.errors import InvalidArgument, NotFound
from callcenter.core.event_stream import append_action
from callcenter.core.queue_settings import NAME_RE

from ..backends import Backends
from ..config import ThresholdDefaults
from ..users import User
from . import access

Limits = dict[str, float | int]

# Each limit: its bounds and whether it is a whole number (seconds) or any number (percent).
QUEUE_LIMITS: dict[str, tuple[int, int, bool]] = {
    "service_level_min_percent": (0, 100, False),
    "longest_wait_max_s": (1, 86_400, True),
    "abandoned_max_percent": (0, 100, False),
}
AGENT_LIMITS: dict[str, tuple[int, int, bool]] = {
    "ringing_max_s": (1, 3_600, True),
    "wrap_up_max_s": (1, 86_400, True),
    "paused_max_s": (1, 86_400, True),
}
ALERT_KINDS = ("service_level", "longest_wait", "abandonment")  # a queue's alerts (alerts.py)
SIGHTING_TTL_MS = 15 * 60 * 1000  # a first sighting not seen again for this long is forgotten


def check_limits(body: Mapping[str, Any], spec: Mapping[str, tuple[int, int, bool]]) -> Limits:
    """Every limit of spec from a request body, each within its bounds; InvalidArgument naming
    the first one missing or wrong."""
    limits: Limits = {}
    for name, (low, high, whole) in spec.items():
        value = body.get(name)
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgument(name, f"is required: {kind} from {low} to {high}")
        if not low <= value <= high:  # also an enormous integer, infinity or NaN
            raise InvalidArgument(name, f"must be from {low} to {high}, not {str(value)[:24]}")
        if whole and value != int(value):
            raise InvalidArgument(name, f"must be {kind} (seconds), not {value}")
        limits[name] = _plain(value)
    return limits


def _defaults(defaults: ThresholdDefaults, spec: Iterable[str]) -> Limits:
    return {name: _plain(getattr(defaults, name)) for name in spec}


def _plain(value: float | int) -> float | int:
    """80.0 as 80: limits read as people typed them."""
    return int(value) if value == int(value) else value


class ThresholdStore:
    """The thresholds in Redis, and the first sightings of alerts."""

    def __init__(self, redis: aioredis.Redis, tenant: str, defaults: ThresholdDefaults) -> None:
        self.redis = redis
        self.prefix = key_prefix(tenant) + "gw:"
        self.queues_key = self.prefix + "thresholds:queues"  # hash: queue -> its limits (JSON)
        self.agents_key = self.prefix + "thresholds:agents"  # the agents' limits (JSON)
        self.defaults = defaults
        self.tenant = tenant

    def sighting_key(self, kind: str, subject: str) -> str:
        """Where the first sighting of an alert of this kind on this queue or agent is kept."""
        return f"{self.prefix}alert:{kind}:{subject}"

    async def load(self, queues: list[str]) -> tuple[Limits, dict[str, tuple[Limits, bool]]]:
        """The agents' limits, and each queue's (with whether an admin set them), in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.agents_key)
            if queues:
                pipe.hmget(self.queues_key, queues)
            found = await pipe.execute()
        agents = {**_defaults(self.defaults, AGENT_LIMITS), **(json.loads(found[0]) if found[0] else {})}
        stored = found[1] if queues else []
        by_queue: dict[str, tuple[Limits, bool]] = {}
        for name, raw in zip(queues, stored, strict=True):
            custom = json.loads(raw) if raw else {}
            by_queue[name] = ({**_defaults(self.defaults, QUEUE_LIMITS), **custom}, bool(raw))
        return agents, by_queue

    async def set_queue(self, queue: str, limits: Limits | None) -> None:
        """The queue's limits (None: back to the defaults); its alerts' sightings start again."""
        async with self.redis.pipeline(transaction=True) as pipe:
            if limits is None:
                pipe.hdel(self.queues_key, queue)
            else:
                pipe.hset(self.queues_key, queue, json.dumps(limits, sort_keys=True))
            pipe.delete(*(self.sighting_key(kind, queue) for kind in ALERT_KINDS))
            await pipe.execute()
        await self._audit(queue, "reset" if limits is None else "set", limits or {})

    async def set_agents(self, limits: Limits) -> None:
        await self.redis.set(self.agents_key, json.dumps(limits, sort_keys=True))
        await self._audit("", "set", limits)

    async def _audit(self, queue: str, reason: str, limits: Limits) -> None:
        """The change as an action on the event stream (who: the request's user), stamped by
        the Redis clock; a change nobody asked for writes none (like users.py)."""
        attributes = {name: f"{value:g}" for name, value in limits.items()}
        await append_action(
            self.redis, self.tenant, "thresholds_updated", queue=queue, reason=reason, attributes=attributes
        )

    async def first_seen(self, breaches: Mapping[str, int], cleared: Iterable[str]) -> dict[str, int]:
        """Records each breach's first sighting (its key -> the time to record if it is new:
        SET NX, so the first replica to see it wins), forgets the cleared ones, and returns
        when each breach was first seen, in one round trip."""
        keys = list(breaches)
        gone = list(cleared)
        if not keys and not gone:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, breaches[key], nx=True, px=SIGHTING_TTL_MS)
                pipe.pexpire(key, SIGHTING_TTL_MS)
                pipe.get(key)
            if gone:
                pipe.delete(*gone)
            found = await pipe.execute()
        return {key: int(found[3 * i + 2] or breaches[key]) for i, key in enumerate(keys)}


def queue_entry(queue: str, limits: Limits, custom: bool) -> dict[str, Any]:
    return {"queue": queue, **limits, "custom": custom}


async def _queue_names(backends: Backends) -> list[str]:
    reply: pb.ListQueuesResponse = await backends.router.ListQueues(pb.ListQueuesRequest(), timeout=backends.timeout_s)
    return [q.name for q in reply.queues]


async def thresholds(user: User, backends: Backends, store: ThresholdStore) -> dict[str, Any]:
    """The agents' limits and one entry per queue the router knows that the user may see."""
    access.require_role(user, "admin", "supervisor")
    names = [name for name in await _queue_names(backends) if access.sees_queue(user, name)]
    agents, by_queue = await store.load(names)
    return {"agents": agents, "queues": [queue_entry(name, *by_queue[name]) for name in names]}


async def _known_queue(user: User, backends: Backends, queue: str) -> None:
    access.require_role(user, "admin")
    if not NAME_RE.fullmatch(queue) or queue not in await _queue_names(backends):
        raise NotFound(f"queue {queue[:64]} does not exist")


async def set_queue_thresholds(
    user: User, backends: Backends, store: ThresholdStore, queue: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """An admin sets a queue's three limits; the queue's entry after the change."""
    await _known_queue(user, backends, queue)
    limits = check_limits(body, QUEUE_LIMITS)
    await store.set_queue(queue, limits)
    return queue_entry(queue, limits, True)


async def reset_queue_thresholds(user: User, backends: Backends, store: ThresholdStore, queue: str) -> dict[str, Any]:
    """An admin puts a queue back on the defaults; the queue's entry after the change."""
    await _known_queue(user, backends, queue)
    await store.set_queue(queue, None)
    return queue_entry(queue, _defaults(store.defaults, QUEUE_LIMITS), False)


async def set_agent_thresholds(user: User, store: ThresholdStore, body: Mapping[str, Any]) -> Limits:
    """An admin sets how long agents may ring, wrap up or pause before they count as stuck."""
    access.require_role(user, "admin")
    limits = check_limits(body, AGENT_LIMITS)
    await store.set_agents(limits)
    return limits
