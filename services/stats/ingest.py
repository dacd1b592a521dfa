"""Counts the event stream exactly once.

Every stats replica of a tenant joins one consumer group on the router's stream. A replica
reads a batch (XREADGROUP ">"), applies each event with scripts/apply.lua — one atomic script
that stores the event's effects AND records its id as applied — then acknowledges the batch
(XACK). A replica that dies before acknowledging leaves its events pending; after
claim_idle_ms another replica takes them over (XAUTOCLAIM, carrying its cursor) and applies
them again, which the applied-id set turns into no-ops for those already counted. An event
that keeps failing goes to a dead-letter stream after max_deliveries attempts; an entry that
cannot even be read (bytes that are not UTF-8: the replica's consumer reads on a tolerant
client of its own, server.py) goes there at once. Either way it is skipped and counted, never
the end of the consumer.
"""

from __future__ import annotations

import importlib.resources
import os
import socket
import uuid

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from callcenter.core.background import Worker
from callcenter.core.event_stream import stream_key
from callcenter.core.redis_connection import undecodable
from callcenter.services.stats import metrics as stats_metrics
from callcenter.services.stats.config import StatsConfig
from callcenter.services.stats.keys import StatsKeys, lua_preamble

log = structlog.get_logger(__name__)

Entry = tuple[str, dict[str, str] | None]


def _script_source() -> str:
    """The key model and constants (keys.py), then apply.lua."""
    folder = importlib.resources.files("callcenter.services.stats") / "scripts"
    return lua_preamble() + (folder / "apply.lua").read_text()


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class EventConsumer:
    """One member of the stats consumer group."""

    def __init__(self, redis: aioredis.Redis, tenant: str, config: StatsConfig, name: str = "") -> None:
        self.redis = redis
        self.config = config
        self.keys = StatsKeys(tenant)
        self.stream = stream_key(tenant)
        self.group = config.consumer_group
        self.name = name or config.consumer_name or default_consumer_name()
        self._apply = redis.register_script(_script_source())
        self._claim_cursor = "0-0"
        self._group_ready = False
        self.applied = 0  # events this consumer counted (duplicates excluded)
        self.duplicates = 0  # redeliveries it recognised
        self.unreadable = 0  # entries it could not read (sent to the dead-letter stream at once)

    async def ensure_group(self) -> None:
        """Creates the group at the stream's start (so history is counted), if missing."""
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def forget_idle_consumers(self, idle_ms: int) -> list[str]:
        """Removes from the group consumers with nothing pending that have been idle for
        idle_ms (replicas that stopped or died long ago); their names would pile up otherwise.
        A consumer with pending events is kept until another one has reclaimed them."""
        await self.ensure_group()
        gone = []
        for consumer in await self.redis.xinfo_consumers(self.stream, self.group):
            if consumer["name"] != self.name and consumer["pending"] == 0 and consumer["idle"] >= idle_ms:
                await self.redis.xgroup_delconsumer(self.stream, self.group, consumer["name"])
                gone.append(consumer["name"])
        return gone

    async def apply(self, entries: list[Entry]) -> list[str]:
        """Applies entries (no ack); returns the ids that are done (applied, duplicate, or
        given up on into the dead-letter stream). Ids left out stay pending for a retry.

        The script calls of a batch go in one pipeline (not a transaction): each call is
        still atomic and exactly-once on its own, and Redis runs them in stream order."""
        done: list[str] = []
        c = self.config
        present = [(entry_id, fields) for entry_id, fields in entries if fields is not None]
        # entries trimmed from the stream while pending have nothing left to count
        done += [entry_id for entry_id, fields in entries if fields is None]
        for entry_id, fields in [(i, f) for i, f in present if undecodable(f)]:
            self.unreadable += 1
            stats_metrics.UNREADABLE.inc()
            log.warning("stats.event_unreadable", event_id=entry_id, unreadable=self.unreadable)
            await self._dead_letter(entry_id, fields, "not UTF-8")
            done.append(entry_id)
        present = [(entry_id, fields) for entry_id, fields in present if not undecodable(fields)]
        if not present:
            return done
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id, fields in present:
                flat = [x for pair in fields.items() for x in pair]
                await self._apply(
                    keys=[self.keys.tenant_prefix],
                    args=[entry_id, c.dedupe_window_s * 1000, c.retention_days * 86_400, c.audit_days * 86_400, *flat],
                    client=pipe,
                )
            results = await pipe.execute(raise_on_error=False)
        for (entry_id, fields), result in zip(present, results, strict=True):
            if isinstance(result, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
                raise result
            if isinstance(result, Exception):
                if await self._give_up(entry_id, fields, str(result)):
                    done.append(entry_id)
                continue
            if result == "duplicate":
                self.duplicates += 1
                stats_metrics.DUPLICATES.inc()
            else:
                self.applied += 1
                stats_metrics.APPLIED.inc()
            done.append(entry_id)
        return done

    async def _give_up(self, entry_id: str, fields: dict[str, str], error: str) -> bool:
        pending = await self.redis.xpending_range(self.stream, self.group, min=entry_id, max=entry_id, count=1)
        deliveries = pending[0]["times_delivered"] if pending else self.config.max_deliveries
        log.warning(
            "stats.apply_failed", event_id=entry_id, type=fields.get("type"), deliveries=deliveries, error=error
        )
        if deliveries < self.config.max_deliveries:
            return False
        await self._dead_letter(entry_id, fields, error)
        return True

    async def _dead_letter(self, entry_id: str, fields: dict[str, str], error: str) -> None:
        await self.redis.xadd(
            self.keys.dead_letters, {"event_id": entry_id, "error": error, **fields}, maxlen=10_000, approximate=True
        )
        stats_metrics.DEAD_LETTERED.inc()

    async def ack(self, ids: list[str]) -> None:
        if ids:
            await self.redis.xack(self.stream, self.group, *ids)

    async def read_new(self, block_ms: int | None = None) -> list[Entry]:
        """Up to batch_size events never delivered to any consumer of the group."""
        await self.ensure_group()
        reply = await self.redis.xreadgroup(
            self.group, self.name, {self.stream: ">"}, count=self.config.batch_size, block=block_ms
        )
        return [(entry_id, fields) for _stream, entries in reply or () for entry_id, fields in entries]

    async def reclaim(self) -> list[Entry]:
        """Takes over events pending longer than claim_idle_ms (a dead consumer's, or this
        one's own failed ones), continuing the scan where the last call stopped."""
        await self.ensure_group()
        reply = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.name,
            min_idle_time=self.config.claim_idle_ms,
            start_id=self._claim_cursor,
            count=self.config.batch_size,
        )
        self._claim_cursor = reply[0]
        entries = [(entry_id, fields) for entry_id, fields in reply[1]]
        if entries:
            stats_metrics.RECLAIMED.inc(len(entries))
            log.info("stats.reclaimed", count=len(entries), consumer=self.name)
        return entries

    async def step(self, block_ms: int | None = None) -> int:
        """One round: reclaim stale events, then read new ones (blocking up to block_ms when
        nothing was reclaimed); apply and acknowledge them. Returns how many were handled."""
        handled = 0
        claimed = await self.reclaim()
        if claimed:
            done = await self.apply(claimed)
            await self.ack(done)
            handled += len(claimed)
        fresh = await self.read_new(None if claimed or block_ms is None else block_ms)
        if fresh:
            done = await self.apply(fresh)
            await self.ack(done)
            handled += len(fresh)
        return handled

    async def drain(self) -> int:
        """Handles everything there is now (tests, and catching up at start)."""
        total = 0
        while handled := await self.step(block_ms=None):
            total += handled
        return total

    def worker(self) -> Worker:
        """Consumes for as long as the replica lives."""

        async def consume() -> None:
            await self.step(block_ms=self.config.block_ms)

        return Worker("stats-consumer", consume, stop_timeout_s=0)
