"""The invoice queue (S2.7): unpaid invoices no call has reached the customer about yet,
oldest first (the `invoice_queue` index: report_invoice.lua adds, report_payment.lua and a
reaching call in apply.lua take out). Read here, never written."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from callcenter.core import ids, time_bounds
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import InvalidArgument
from callcenter.services.stats.sales import check_crm_id

log = structlog.get_logger(__name__)

MAX_PAGE = 500
DEFAULT_PAGE = 50
SCAN = 5_000  # queue entries read per request at most (filters may leave a page short)
_BATCH = 200


@dataclass(frozen=True)
class QueuedInvoice:
    invoice_id: str
    lead_id: str
    agent_id: str
    queue: str
    product: str
    amount_minor: int
    currency: str
    issued_ms: int
    client_number: str
    call_attempts: int
    last_call_result: str
    last_called_ms: int | None
    calling: bool
    last_call_id: str


def _token(score: int, member: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([score, member]).encode()).decode()


def _untoken(token: str) -> tuple[int, str]:
    try:
        score, member = json.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(score, int) and 0 <= score < 2**62 and isinstance(member, str) and 0 < len(member) <= 128:
            return score, member
    except (ValueError, TypeError):
        pass
    raise InvalidArgument("page_token", "not a token this service issued")


class InvoiceQueueReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys, scan: int = SCAN) -> None:
        self.redis = redis
        self.keys = keys
        self.scan = scan

    async def list(
        self, agent_id: str, queue: str, uncalled_only: bool, page_size: int, page_token: str, invoice_id: str = ""
    ) -> tuple[list[QueuedInvoice], str, int]:
        """A page of the queue (oldest first), the next page's token ('' at the end), the total."""
        if invoice_id:
            check_crm_id(invoice_id, "invoice_id")
            score = await self.redis.zscore(self.keys.invoice_queue, invoice_id)
            item = (await self._entries([(invoice_id, score)]))[0] if score is not None else None
            total = await self.redis.zcard(self.keys.invoice_queue)
            keep = item is not None and (not agent_id or item.agent_id == agent_id)
            keep = (
                keep
                and (not queue or item.queue == queue)
                and not (uncalled_only and (item.call_attempts or item.calling))
            )
            return ([item] if keep and item else []), "", total
        if agent_id:
            ids.check_name(agent_id, "agent_id")
        if queue:
            ids.check_name(queue, "queue")
        if not 0 <= page_size <= MAX_PAGE:
            raise InvalidArgument("page_size", f"0-{MAX_PAGE}")
        size = page_size or DEFAULT_PAGE
        low, after = _untoken(page_token) if page_token else (0, "")
        total = await self.redis.zcard(self.keys.invoice_queue)
        out: list[QueuedInvoice] = []
        read, last, start = 0, (low, after), 0
        while True:
            entries = await self.redis.zrangebyscore(
                self.keys.invoice_queue, low, "+inf", start=start, num=_BATCH, withscores=True
            )
            start += len(entries)
            items = await self._entries(entries)
            for (member, value), item in zip(entries, items, strict=True):
                score = int(value)
                if score == low and after and member <= after:
                    continue  # of the token's score, sorted by id: listed on an earlier page
                if len(out) == size or read == self.scan:
                    return out, _token(*last), total  # more remain, from this one
                read, last = read + 1, (score, member)
                if item is None or (agent_id and item.agent_id != agent_id) or (queue and item.queue != queue):
                    continue
                if uncalled_only and (item.call_attempts or item.calling):
                    continue
                out.append(item)
            if len(entries) < _BATCH:
                return out, "", total

    async def _entries(self, entries: list[tuple[str, float]]) -> list[QueuedInvoice | None]:
        """The queue entries' invoices (None: expired or unreadable), in two round trips
        however many: every invoice's hash, then every lead's client."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for invoice_id, _ in entries:
                pipe.hgetall(self.keys.invoice(invoice_id))
            hashes = await pipe.execute()
        leads = [h["lead"] for h in hashes if h.get("content") and h.get("lead")]
        clients: dict[str, str | None] = {}
        if leads:
            async with self.redis.pipeline(transaction=False) as pipe:
                for lead in leads:
                    pipe.hget(self.keys.lead(lead), "client")
                clients = dict(zip(leads, await pipe.execute(), strict=True))
        return [
            _entry(invoice_id, int(score), h, clients.get(h.get("lead", "")))
            for (invoice_id, score), h in zip(entries, hashes, strict=True)
        ]


def _entry(invoice_id: str, score: int, h: dict[str, str], client: str | None) -> QueuedInvoice | None:
    if not h.get("content"):
        return None  # expired with its retention: nothing to call about
    try:
        return QueuedInvoice(
            invoice_id=invoice_id,
            lead_id=h.get("lead", ""),
            agent_id=h.get("agent", ""),
            queue=h.get("queue", ""),
            product=h.get("product", ""),
            amount_minor=int(h.get("amount", 0)),
            currency=h.get("currency", ""),
            issued_ms=time_bounds.stored_time_ms(h.get("issued")) or score,
            client_number=client or "",
            call_attempts=int(h.get("call_attempts", 0)),
            last_call_result=h.get("call_result", ""),
            last_called_ms=time_bounds.stored_time_ms(h.get("called_at")),
            calling=h.get("calling") == "1",
            last_call_id=h.get("call_id", ""),
        )
    except ValueError:
        log.warning("invoice_queue.unreadable", invoice_id=invoice_id)
        return None
