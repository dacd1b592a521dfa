"""Turns the event stream into deliveries, each event once per matching subscription.

Every webhooks replica of a tenant joins one consumer group on the event stream (as the stats
do: services/stats/ingest.py). A replica reads a batch, queues each event with
scripts/enqueue.lua — one atomic script that matches the subscriptions' filters, appends a
delivery to each matching (subscription, subject) queue AND records the event id as queued —
then acknowledges the batch. A replica that dies before acknowledging leaves its events
pending; another takes them over (XAUTOCLAIM, carrying its cursor) and queues them again, which
the queued-id set turns into no-ops. An entry that cannot be read is kept in a dead-letter
stream at once, one that keeps failing after max_event_failures deliveries; either way it is
skipped and counted, never the end of the dispatcher.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from google.protobuf import json_format

from callcenter.api.events.v1 import events_pb2
from callcenter.core.event_stream import decode
from callcenter.core.redis_connection import undecodable
from callcenter.core.stream_group import Entry, GroupMember
from callcenter.services.webhooks import metrics as webhook_metrics
from callcenter.services.webhooks.config import WebhooksConfig
from callcenter.services.webhooks.keys import WebhookKeys
from callcenter.services.webhooks.scripts import Scripts

log = structlog.get_logger(__name__)

SITE_SUBJECT = "site"


def subject_of(event: events_pb2.Event) -> str:
    """What deliveries are ordered by: the call, else the lead, else the conversation
    ("conversation:<id>": a messaging gateway gets a conversation's replies in order, whichever
    agent or supervisor wrote them), else the agent, else the site."""
    if not (event.call_id or event.lead_id) and event.conversation_id:
        return f"conversation:{event.conversation_id}"
    return event.call_id or event.lead_id or event.agent_id or SITE_SUBJECT


def type_name(event: events_pb2.Event) -> str:
    """ "CALL_ANSWERED" for EVENT_TYPE_CALL_ANSWERED."""
    return str(events_pb2.EventType.Name(event.type)).removeprefix("EVENT_TYPE_")


def event_json(event: events_pb2.Event) -> str:
    """The event as JSON: the proto field names, enums by name, times as RFC 3339 (docs/crm.md)."""
    as_dict = json_format.MessageToDict(event, preserving_proto_field_name=True)
    text: str = json.dumps(as_dict, separators=(",", ":"), sort_keys=True)
    return text


class Dispatcher(GroupMember):
    """One member of the webhooks consumer group (the group starts at the stream's end: a new
    site's webhooks start with new events)."""

    start_id = "$"
    worker_name = "webhooks-dispatcher"

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        config: WebhooksConfig,
        name: str = "",
        on_queued: Callable[[], None] | None = None,
    ) -> None:
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
        self.keys = WebhookKeys(tenant)
        self.scripts = Scripts(redis)
        self.on_queued = on_queued
        self.queued = 0  # events this replica queued (redeliveries excluded)
        self.duplicates = 0
        self.skipped = 0  # entries it could not read or queue

    def reclaimed(self, count: int) -> None:
        webhook_metrics.EVENTS_RECLAIMED.inc(count)
        log.info("webhooks.reclaimed", count=count, consumer=self.name)

    def _prepared(self, entry_id: str, fields: dict[str, str]) -> list[str]:
        """The enqueue script's arguments for an entry (ValueError and friends when unreadable)."""
        event = decode(entry_id, fields)
        queues = [q for q in dict.fromkeys([event.queue, *event.queues]) if q]
        c, limits = self.config, self.config.limits
        return [
            entry_id,
            str(c.dedupe_window_s * 1000),
            type_name(event),
            ",".join(queues),
            subject_of(event),
            event_json(event),
            str(limits.max_queued_per_subject),
            str(limits.max_queued_per_subscription),
            str(limits.max_dead_letters),
        ]

    async def dispatch(self, entries: list[Entry]) -> list[str]:
        """Queues the entries' deliveries (no ack); returns the ids that are done (queued,
        duplicate, or given up on). Ids left out stay pending for a retry."""
        done = [entry_id for entry_id, fields in entries if fields is None]  # trimmed while pending
        ready: list[tuple[str, dict[str, str], list[str]]] = []
        for entry_id, fields in entries:
            if fields is None:
                continue
            try:
                if undecodable(fields):
                    raise ValueError("not UTF-8")
                ready.append((entry_id, fields, self._prepared(entry_id, fields)))
            except (ValueError, KeyError, TypeError, OverflowError, json_format.Error) as exc:
                await self._skip(entry_id, fields, f"unreadable: {exc}")
                done.append(entry_id)
        if not ready:
            return done
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, _, args in ready:
                await self.scripts.enqueue(keys=[self.keys.tenant_prefix], args=args, client=pipe)
            results = await pipe.execute(raise_on_error=False)
        any_queued = False
        for (entry_id, fields, args), result in zip(ready, results, strict=True):
            if isinstance(result, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
                raise result
            if isinstance(result, Exception):
                if await self._give_up(entry_id, fields, str(result)):
                    done.append(entry_id)
                continue
            status, queued, overflowed = result[0], int(result[1]), int(result[2])
            if status == "duplicate":
                self.duplicates += 1
                webhook_metrics.EVENTS_DUPLICATE.inc()
            else:
                self.queued += 1
                webhook_metrics.EVENTS_QUEUED.inc()
                any_queued = any_queued or queued > 0
                if overflowed:
                    webhook_metrics.DELIVERIES.labels("overflowed").inc(overflowed)
                    log.warning("webhooks.queue_full", event_id=entry_id, subject=args[4], overflowed=overflowed)
            done.append(entry_id)
        if any_queued and self.on_queued is not None:
            self.on_queued()
        return done

    async def _give_up(self, entry_id: str, fields: dict[str, str], error: str) -> bool:
        deliveries = await self.deliveries(entry_id, unknown=self.config.max_event_failures)
        log.warning("webhooks.enqueue_failed", event_id=entry_id, deliveries=deliveries, error=error[:300])
        if deliveries < self.config.max_event_failures:
            return False
        await self._skip(entry_id, fields, error)
        return True

    async def _skip(self, entry_id: str, fields: dict[str, str], error: str) -> None:
        self.skipped += 1
        webhook_metrics.UNREADABLE.inc()
        webhook_metrics.EVENTS_DEAD_LETTERED.inc()
        log.warning("webhooks.event_skipped", event_id=entry_id, error=error[:300], skipped=self.skipped)
        kept: dict[Any, Any] = {k: v for k, v in fields.items() if not undecodable({k: v})}
        await self.redis.xadd(
            self.keys.unreadable,
            {"event_id": entry_id, "error": error[:500], **kept},
            maxlen=10_000,
            approximate=True,
        )

    handle = dispatch
