"""Sends the due deliveries: POSTs each, signed, and records the outcome (scripts/settle.lua).

Every replica runs a `Sender` against the one due set in Redis. Claiming is atomic
(scripts/claim.lua, by the Redis clock), so an attempt is sent by one replica; its lease (the
timeout plus a margin) makes a replica that dies while sending leave the delivery to be sent
again by another: at least once. Only the head of a (subscription, subject) queue is ever due,
so a subject's deliveries go one after another, in order, while other subjects go on.

An attempt is bounded: its timeout covers connecting and the answer, at most MAX_ANSWER_BYTES of
the answer are read, redirects are not followed, and the address is checked again at every
connection (urls.PublicOnlyResolver). 2xx is delivered; anything else is retried after an
exponential backoff with jitter, up to max_attempts, then the delivery is a dead letter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import redis.asyncio as aioredis
import structlog

from callcenter.core.background import Worker
from callcenter.services.webhooks import metrics as webhook_metrics
from callcenter.services.webhooks import signing, urls
from callcenter.services.webhooks.config import DeliverySettings, WebhooksConfig
from callcenter.services.webhooks.keys import WebhookKeys
from callcenter.services.webhooks.scripts import Scripts

log = structlog.get_logger(__name__)

MAX_ANSWER_BYTES = 4096
#: How much longer than the timeout a claimed attempt stays leased to its replica.
LEASE_MARGIN_MS = 10_000
USER_AGENT = "callcenter-webhooks/1"


@dataclass(frozen=True)
class Claimed:
    """One attempt to send, as claim.lua hands it out (secrets included: never log this)."""

    id: str
    sub: str
    attempt: int
    url: str
    secret: str
    old_secret: str
    event_id: str
    type: str
    subject: str
    body: str

    def payload(self) -> bytes:
        """The POST body: the delivery's envelope around the event (docs/crm.md)."""
        head = json.dumps({"attempt": self.attempt, "delivery_id": self.id, "subscription_id": self.sub})
        return (head[:-1] + ',"event":' + self.body + "}").encode()


def backoff_ms(settings: DeliverySettings, attempt: int, jitter: float) -> int:
    """The wait after failed attempt `attempt` (from 1): base·factor^(attempt-1), capped, of
    which a random part up to half (jitter in [0, 1)) is taken off."""
    full = min(float(settings.retry_cap_ms), settings.retry_base_ms * settings.retry_factor ** min(attempt - 1, 200))
    return max(0, int(full - full / 2 * jitter))


class Sender:
    def __init__(self, redis: aioredis.Redis, tenant: str, config: WebhooksConfig) -> None:
        self.redis = redis
        self.config = config
        self.settings = config.delivery
        self.keys = WebhookKeys(tenant)
        self.scripts = Scripts(redis)
        self._session: aiohttp.ClientSession | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.sent = 0  # attempts this replica sent

    def wake(self) -> None:
        """Looks for due deliveries now (the dispatcher queued some)."""
        self._wake.set()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            resolver = None if self.settings.allow_private_urls else urls.PublicOnlyResolver()
            connector = aiohttp.TCPConnector(limit=self.settings.concurrency, resolver=resolver)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": USER_AGENT})
        return self._session

    async def claim(self, limit: int) -> tuple[list[Claimed], int, int]:
        """Up to `limit` due attempts, leased to this replica; also the Redis time and the next due time (-1: none)."""
        lease = int(self.settings.timeout_s * 1000) + LEASE_MARGIN_MS
        reply = json.loads(await self.scripts.claim(keys=[self.keys.tenant_prefix], args=[limit, lease]))
        items = [
            Claimed(**{k: item.get(k, "") for k in Claimed.__dataclass_fields__}) for item in reply.get("items", [])
        ]
        return items, int(reply["now"]), int(reply["next"])

    async def step(self) -> float:
        """Claims what is due (as many as there are free slots), starts sending it, then waits
        until the next due time (by the Redis clock), a wake-up or a finished send, at most poll_ms."""
        self._wake.clear()
        free = self.settings.concurrency - len(self._inflight)
        wait_s = self.settings.poll_ms / 1000
        if free > 0:
            items, now_ms, next_ms = await self.claim(free)
            for item in items:
                task = asyncio.create_task(self._attempt(item, now_ms // 1000), name=f"webhook-{item.id}")
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            if len(items) == free:
                wait_s = 0  # more may be due
            elif next_ms >= 0:
                wait_s = min(wait_s, max(0.0, (next_ms - now_ms) / 1000))
        if wait_s > 0:
            waiter = asyncio.ensure_future(self._wake.wait())
            waits: set[asyncio.Future[Any]] = {waiter, *self._inflight}
            try:
                await asyncio.wait(waits, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        return 0

    async def _attempt(self, item: Claimed, now_s: int) -> None:
        bound = log.bind(subscription_id=item.sub, event_id=item.event_id, subject=item.subject, delivery_id=item.id)
        started = time.monotonic()
        status, error = await self._post(item, now_s)
        elapsed = max(0.0, time.monotonic() - started)
        self.sent += 1
        webhook_metrics.ATTEMPTS.inc()
        webhook_metrics.ATTEMPT_SECONDS.observe(elapsed)
        ok = 200 <= status < 300 and not error
        wait = 0 if ok else backoff_ms(self.settings, item.attempt, random.random())
        limits = self.config.limits
        try:
            outcome = await self.scripts.settle(
                keys=[self.keys.tenant_prefix],
                args=[
                    item.id,
                    item.attempt,
                    "1" if ok else "0",
                    status,
                    error[:200],
                    int(elapsed * 1000),
                    self.settings.max_attempts,
                    wait,
                    limits.log_length,
                    limits.max_dead_letters,
                ],
            )
        except Exception as exc:  # noqa: BLE001 - the lease runs out and the attempt is sent again
            bound.warning("webhooks.settle_failed", attempt=item.attempt, error=str(exc))
            return
        webhook_metrics.DELIVERIES.labels(outcome).inc()
        if outcome == "delivered":
            bound.debug("webhooks.delivered", attempt=item.attempt, status=status, ms=round(elapsed * 1000, 1))
        else:
            bound.info(
                "webhooks.attempt_failed", attempt=item.attempt, outcome=outcome, status=status, error=error[:200]
            )

    async def _post(self, item: Claimed, now_s: int) -> tuple[int, str]:
        """The answer's status and, if it failed, why (status 0: no answer)."""
        host = urlsplit(item.url).hostname or ""
        if not self.settings.allow_private_urls and urls.literal_refused(host):
            return 0, f"address refused: {host} is not a public address"
        body = item.payload()
        headers = {
            "Content-Type": "application/json",
            "X-Callcenter-Event": "EVENT_TYPE_" + item.type,
            "X-Callcenter-Delivery": item.id,
            "X-Callcenter-Attempt": str(item.attempt),
            "X-Callcenter-Signature": signing.header(now_s, body, item.secret, item.old_secret),
        }
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s, connect=self.settings.timeout_s)
        try:
            async with self._open().post(
                item.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                answer = await response.content.read(MAX_ANSWER_BYTES)
                if 200 <= response.status < 300:
                    return response.status, ""
                snippet = answer[:100].decode("utf-8", "replace").strip()
                return response.status, f"HTTP {response.status}" + (f": {snippet}" if snippet else "")
        except TimeoutError:
            return 0, f"timed out after {self.settings.timeout_s:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return 0, f"{type(exc).__name__}: {exc}"[:200]

    def worker(self) -> Worker:
        return Worker("webhooks-sender", self.step, stop_timeout_s=self.settings.poll_ms / 1000 + 1)

    async def close(self, grace_s: float) -> None:
        """Lets the attempts under way finish for up to grace_s, cancels the rest (their leases
        run out and they are sent again), closes the HTTP session."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace_s)
        for task in list(self._inflight):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
