"""One member of a consumer group on a tenant's event stream: the reading half every consumer
of the stream shares (stats' ingest, the webhooks' dispatcher). It reads batches never
delivered to the group (XREADGROUP ">"), takes over batches another member left pending for
longer than claim_idle_ms (XAUTOCLAIM, carrying its cursor), hands each batch to `handle` and
acknowledges the ids `handle` says are done (XACK); ids left out stay pending for a retry.
What a service does with an event, and how it gives up on one, is the subclass's."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions

from callcenter.core.background import Worker
from callcenter.core.event_stream import stream_key

Entry = tuple[str, dict[str, str] | None]


def default_consumer_name() -> str:
    """A name no other member of the group has: host, process and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class GroupMember:
    """A member of `group` on the tenant's stream. Subclasses implement `handle`, and may
    count takeovers in `reclaimed`. `start_id` is where a group created by this member starts:
    "0" reads the stream's history, "$" only what comes after."""

    start_id = "0"
    worker_name = "stream-consumer"

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        group: str,
        name: str,
        *,
        batch_size: int,
        claim_idle_ms: int,
        block_ms: int,
    ) -> None:
        self.redis = redis
        self.stream = stream_key(tenant)
        self.group = group
        self.name = name or default_consumer_name()
        self.batch_size, self.claim_idle_ms, self.block_ms = batch_size, claim_idle_ms, block_ms
        self._claim_cursor = "0-0"
        self._group_ready = False

    async def handle(self, entries: list[Entry]) -> list[str]:
        """Does the service's work on entries (no ack); returns the ids that are done."""
        raise NotImplementedError

    def reclaimed(self, count: int) -> None:
        """Told how many entries this member just took over from others (or its own failures)."""

    async def ensure_group(self) -> None:
        """Creates the group at start_id, if missing."""
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.stream, self.group, id=self.start_id, mkstream=True)
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

    async def deliveries(self, entry_id: str, unknown: int) -> int:
        """How many times the group has delivered entry_id (`unknown` when it is not pending)."""
        pending = await self.redis.xpending_range(self.stream, self.group, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else unknown

    async def ack(self, ids: list[str]) -> None:
        if ids:
            await self.redis.xack(self.stream, self.group, *ids)

    async def read_new(self, block_ms: int | None = None) -> list[Entry]:
        """Up to batch_size events never delivered to any consumer of the group."""
        await self.ensure_group()
        reply: Any = await self.redis.xreadgroup(
            self.group, self.name, {self.stream: ">"}, count=self.batch_size, block=block_ms
        )
        return [(entry_id, fields) for _stream, entries in reply or () for entry_id, fields in entries]

    async def reclaim(self) -> list[Entry]:
        """Takes over events pending longer than claim_idle_ms (a dead consumer's, or this
        one's own failed ones), continuing the scan where the last call stopped."""
        await self.ensure_group()
        reply: Any = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.name,
            min_idle_time=self.claim_idle_ms,
            start_id=self._claim_cursor,
            count=self.batch_size,
        )
        self._claim_cursor = reply[0]
        entries = [(entry_id, fields) for entry_id, fields in reply[1]]
        if entries:
            self.reclaimed(len(entries))
        return entries

    async def step(self, block_ms: int | None = None) -> int:
        """One round: reclaim stale events, then read new ones (blocking up to block_ms when
        nothing was reclaimed); handle and acknowledge them. Returns how many were handled."""
        handled = 0
        claimed = await self.reclaim()
        if claimed:
            await self.ack(await self.handle(claimed))
            handled += len(claimed)
        fresh = await self.read_new(None if claimed or block_ms is None else block_ms)
        if fresh:
            await self.ack(await self.handle(fresh))
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
            await self.step(block_ms=self.block_ms)

        return Worker(self.worker_name, consume, stop_timeout_s=0)
