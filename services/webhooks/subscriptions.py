"""The webhooks domain: subscriptions (create, list, delete, rotate, pause), the delivery log,
the dead letters and their replay. Each change is one Lua script (scripts/*.lua); nothing here
knows gRPC. Secrets are kept in Redis (they must sign every delivery) and returned only by
`create` and `rotate`, never listed nor logged."""

from __future__ import annotations

import re
import secrets as random_ids
from typing import Any

import redis.asyncio as aioredis
import structlog

from callcenter.api.events.v1 import events_pb2
from callcenter.core.errors import InvalidArgument, NotFound, ResourceExhausted
from callcenter.services.webhooks import urls
from callcenter.services.webhooks.config import WebhooksConfig
from callcenter.services.webhooks.keys import WebhookKeys
from callcenter.services.webhooks.model import Attempt, DeadLetter, Page, Subscription
from callcenter.services.webhooks.scripts import Scripts
from callcenter.services.webhooks.signing import new_secret

log = structlog.get_logger(__name__)

MAX_PAGE = 500
DEFAULT_PAGE = 100
MAX_EVENT_TYPES = 64
MAX_DESCRIPTION = 500
MAX_QUEUE_NAME = 200
MAX_REPLAY = 10_000
SUB_ID = re.compile(r"sub_[0-9a-f]{16}")
#: Every event type a filter may name: the short upper-case names ("CALL_ANSWERED").
EVENT_TYPES = frozenset(
    name.removeprefix("EVENT_TYPE_") for name in events_pb2.EventType.keys() if name != "EVENT_TYPE_UNSPECIFIED"
)


def event_type_names(given: list[str]) -> tuple[str, ...]:
    """The short names of a filter's types ("EVENT_TYPE_CALL_ANSWERED" or "CALL_ANSWERED", any case)."""
    if len(given) > MAX_EVENT_TYPES:
        raise InvalidArgument("event_types", f"names more than {MAX_EVENT_TYPES} types")
    out: list[str] = []
    for i, name in enumerate(given):
        short = name.strip().upper().removeprefix("EVENT_TYPE_")
        if short not in EVENT_TYPES:
            raise InvalidArgument(f"event_types[{i}]", f"{name[:80]!r} is not a callcenter.events.v1.EventType name")
        if short not in out:
            out.append(short)
    return tuple(out)


def page_size(size: int) -> int:
    if size < 0 or size > MAX_PAGE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_PAGE}")
    return size or DEFAULT_PAGE


class Subscriptions:
    def __init__(self, redis: aioredis.Redis, tenant: str, config: WebhooksConfig) -> None:
        self.redis = redis
        self.config = config
        self.keys = WebhookKeys(tenant)
        self.scripts = Scripts(redis)

    def _sub_id(self, sub_id: str, field: str = "subscription_id") -> str:
        if not sub_id:
            raise InvalidArgument(field, "is required")
        if not SUB_ID.fullmatch(sub_id):
            raise NotFound(f"no subscription {sub_id[:80]!r}")
        return sub_id

    async def create(self, url: str, event_types: list[str], queue: str, description: str) -> tuple[Subscription, str]:
        """A new subscription and its secret (the one time it is shown)."""
        await urls.check(url, self.config.delivery.allow_private_urls)
        types = event_type_names(event_types)
        if len(queue) > MAX_QUEUE_NAME or "," in queue:
            raise InvalidArgument("queue", f"must be a queue name (at most {MAX_QUEUE_NAME} characters, no comma)")
        if len(description) > MAX_DESCRIPTION:
            raise InvalidArgument("description", f"is longer than {MAX_DESCRIPTION} characters")
        sub_id = "sub_" + random_ids.token_hex(8)
        secret = new_secret()
        stored_types = "," + ",".join(types) + "," if types else ""
        created = await self.scripts.create(
            keys=[self.keys.tenant_prefix],
            args=[sub_id, url, stored_types, queue, description, secret, self.config.limits.max_subscriptions],
        )
        if int(created) < 0:
            raise ResourceExhausted(f"the site has {self.config.limits.max_subscriptions} subscriptions already")
        log.info("webhooks.subscription_created", subscription_id=sub_id, types=list(types), queue=queue)
        return Subscription(sub_id, url, types, queue, description, False, int(created), 0, 0), secret

    async def get(self, sub_id: str) -> Subscription:
        found = await self._read([self._sub_id(sub_id)])
        if not found:
            raise NotFound(f"no subscription {sub_id}")
        return found[0]

    async def all(self) -> list[Subscription]:
        ids: Any = await self.redis.zrange(self.keys.subs, 0, -1)
        return await self._read(ids)

    async def _read(self, ids: list[str]) -> list[Subscription]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for sub_id in ids:
                pipe.hmget(
                    self.keys.sub(sub_id), "url", "types", "queue", "description", "paused", "created_ms", "queued"
                )
                pipe.zcard(self.keys.dead(sub_id))
            replies: list[Any] = await pipe.execute()
        out = []
        for sub_id, fields, dead in zip(ids, replies[::2], replies[1::2], strict=True):
            url, types, queue, description, paused, created, queued = fields
            if url is None:
                continue  # deleted meanwhile
            out.append(
                Subscription(
                    sub_id,
                    url,
                    tuple(t for t in (types or "").split(",") if t),
                    queue or "",
                    description or "",
                    paused == "1",
                    int(created or 0),
                    max(0, int(queued or 0)),
                    int(dead),
                )
            )
        return out

    async def delete(self, sub_id: str) -> None:
        if not await self.scripts.delete(keys=[self.keys.tenant_prefix], args=[self._sub_id(sub_id)]):
            raise NotFound(f"no subscription {sub_id}")
        log.info("webhooks.subscription_deleted", subscription_id=sub_id)

    async def rotate(self, sub_id: str) -> tuple[str, int]:
        """A new secret, and until when (Redis ms; 0: not at all) the previous one signs too."""
        secret = new_secret()
        until = int(
            await self.scripts.rotate(
                keys=[self.keys.tenant_prefix],
                args=[self._sub_id(sub_id), secret, self.config.delivery.secret_overlap_s * 1000],
            )
        )
        if until < 0:
            raise NotFound(f"no subscription {sub_id}")
        log.info("webhooks.secret_rotated", subscription_id=sub_id)
        return secret, until

    async def set_paused(self, sub_id: str, paused: bool) -> Subscription:
        done = await self.scripts.pause(keys=[self.keys.tenant_prefix], args=[self._sub_id(sub_id), int(paused)])
        if not done:
            raise NotFound(f"no subscription {sub_id}")
        log.info("webhooks.subscription_paused" if paused else "webhooks.subscription_resumed", subscription_id=sub_id)
        return await self.get(sub_id)

    async def attempts(self, sub_id: str, size: int, token: str) -> Page[Attempt]:
        """The delivery log, newest first; the token is the last entry id of the previous page."""
        await self.get(sub_id)
        size = page_size(size)
        if token and not re.fullmatch(r"\d{1,20}-\d{1,20}", token):
            raise InvalidArgument("page_token", "is not a token of a previous answer")
        entries: Any = await self.redis.xrevrange(self.keys.log(sub_id), f"({token}" if token else "+", "-", count=size)
        items = [_attempt(entry_id, fields) for entry_id, fields in entries]
        return Page(items, entries[-1][0] if len(entries) == size else "")

    async def dead_letters(self, sub_id: str, size: int, token: str) -> Page[DeadLetter]:
        """The dead letters, newest first; the token is the last one's sequence number."""
        await self.get(sub_id)
        size = page_size(size)
        if token and not token.isdigit():
            raise InvalidArgument("page_token", "is not a token of a previous answer")
        top = f"({token}" if token else "+inf"
        ranked: list[Any] = await self.redis.zrevrangebyscore(
            self.keys.dead(sub_id), top, "-inf", 0, size, withscores=True
        )
        async with self.redis.pipeline(transaction=False) as pipe:
            for delivery_id, _ in ranked:
                pipe.hmget(
                    self.keys.delivery(delivery_id), "event_id", "type", "subject", "attempt", "reason", "dead_ms"
                )
            found: list[Any] = await pipe.execute()
        items = [
            DeadLetter(delivery_id, f[0] or "", f[1] or "", f[2] or "", int(f[3] or 0), f[4] or "", int(f[5] or 0))
            for (delivery_id, _), f in zip(ranked, found, strict=True)
        ]
        return Page(items, str(int(ranked[-1][1])) if len(ranked) == size else "")

    async def replay(self, sub_id: str, delivery_id: str) -> int:
        limits = self.config.limits
        replayed = int(
            await self.scripts.replay(
                keys=[self.keys.tenant_prefix],
                args=[
                    self._sub_id(sub_id),
                    delivery_id,
                    MAX_REPLAY,
                    limits.max_queued_per_subject,
                    limits.max_queued_per_subscription,
                ],
            )
        )
        if replayed < 0:
            raise NotFound(f"no subscription {sub_id}")
        if delivery_id and replayed == 0:
            raise NotFound(f"no dead letter {delivery_id[:120]!r} of {sub_id} (or its queue is full)")
        log.info("webhooks.dead_letters_replayed", subscription_id=sub_id, replayed=replayed)
        return replayed


def _attempt(entry_id: str, f: dict[str, str]) -> Attempt:
    return Attempt(
        delivery_id=f.get("delivery_id", ""),
        event_id=f.get("event_id", ""),
        event_type=f.get("type", ""),
        subject=f.get("subject", ""),
        attempt=int(f.get("attempt", "0") or 0),
        outcome=f.get("outcome", ""),
        status_code=int(f.get("status", "0") or 0),
        error=f.get("error", ""),
        time_ms=int(entry_id.split("-", 1)[0]),
        duration_ms=int(f.get("duration_ms", "0") or 0),
    )
