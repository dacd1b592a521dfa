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

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from callcenter.core.redis_connection import undecodable
from callcenter.core.stream_group import Entry, GroupMember
from callcenter.services.stats import metrics as stats_metrics
from callcenter.services.stats.config import StatsConfig
from callcenter.services.stats.keys import StatsKeys, lua_preamble

log = structlog.get_logger(__name__)


def _script_source() -> str:
    """The key model and constants (keys.py), then apply.lua."""
    folder = importlib.resources.files("callcenter.services.stats") / "scripts"
    return lua_preamble() + (folder / "apply.lua").read_text()


class EventConsumer(GroupMember):
    """One member of the stats consumer group (its history counted: the group starts at 0)."""

    worker_name = "stats-consumer"

    def __init__(self, redis: aioredis.Redis, tenant: str, config: StatsConfig, name: str = "") -> None:
        super().__init__(
            redis,
            tenant,
            config.consumer_group,
            name or config.consumer_name,
            batch_size=config.batch_size,
            claim_idle_ms=config.claim_idle_ms,
            block_ms=config.block_ms,
        )
        self.config = config
        self.keys = StatsKeys(tenant)
        self._apply = redis.register_script(_script_source())
        self.applied = 0  # events this consumer counted (duplicates excluded)
        self.duplicates = 0  # redeliveries it recognised
        self.unreadable = 0  # entries it could not read (sent to the dead-letter stream at once)

    def reclaimed(self, count: int) -> None:
        stats_metrics.RECLAIMED.inc(count)
        log.info("stats.reclaimed", count=count, consumer=self.name)

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
                stats_metrics.applied(fields.get("type"))
            done.append(entry_id)
        return done

    async def _give_up(self, entry_id: str, fields: dict[str, str], error: str) -> bool:
        deliveries = await self.deliveries(entry_id, unknown=self.config.max_deliveries)
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

    handle = apply
