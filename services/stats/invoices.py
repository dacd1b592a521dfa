"""Invoices and payments reported by the CRM (S2.1), each recorded once by its id.

ReportInvoice and ReportPayment each run one script (scripts/report_invoice.lua,
scripts/report_payment.lua) that compares a repeat with what was recorded, stores the report
and appends its event atomically. The payment that brings an invoice's payments to its amount
fixes the invoice's commission by the rules in force then and appends INVOICE_PAID (once);
the ingest adds that event to the agent's sales buckets exactly once (scripts/apply.lua), and
the payroll sums them (payroll.py).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import redis.asyncio as aioredis

from callcenter.core import errors, event_stream, ids
from callcenter.core.audit import actor_fields as caller_fields
from callcenter.core.config import key_prefix
from callcenter.services.stats.model import InvalidArgument, NotFound
from callcenter.services.stats.sales import actor_fields, check_amount, check_crm_id, check_currency, script_source


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    lead_id: str
    agent_id: str
    product: str
    queue: str
    amount_minor: int
    currency: str
    issued_ms: int | None  # None: not given (now)
    actor: str = ""

    def check(self) -> None:
        check_crm_id(self.invoice_id, "invoice_id")
        if self.lead_id:
            ids.check_lead_id(self.lead_id, "lead_id")
        if self.agent_id:
            ids.check_name(self.agent_id, "agent_id")
        if not self.lead_id and not self.agent_id:
            raise InvalidArgument("agent_id", "required when no lead_id is given")
        if self.queue:
            ids.check_name(self.queue, "queue")
        if self.product:
            ids.check_name(self.product, "product")
        check_amount(self.amount_minor, "amount_minor")
        check_currency(self.currency)

    def content(self) -> str:
        """What a repeat must say again (the actor aside)."""
        return json.dumps([self.lead_id, self.agent_id, self.product, self.queue, self.amount_minor,
                           self.currency, self.issued_ms])  # fmt: skip


@dataclass(frozen=True)
class Payment:
    payment_id: str
    invoice_id: str
    amount_minor: int
    paid_ms: int | None  # None: not given (now)
    actor: str = ""

    def check(self) -> None:
        check_crm_id(self.payment_id, "payment_id")
        check_crm_id(self.invoice_id, "invoice_id")
        check_amount(self.amount_minor, "amount_minor")

    def content(self) -> str:
        return json.dumps([self.invoice_id, self.amount_minor, self.paid_ms])


@dataclass(frozen=True)
class PaymentOutcome:
    event_id: str  # "" for a repeat
    duplicate: bool
    invoice_paid: bool
    paid_minor: int
    commission_minor: int


class SalesReports:
    def __init__(self, redis: aioredis.Redis, tenant: str, maxlen: int = 1_000_000) -> None:
        self.redis = redis
        self.tenant = tenant
        self.maxlen = maxlen
        self._keys = [key_prefix(tenant), event_stream.stream_key(tenant)]
        self._invoice = redis.register_script(script_source("report_invoice.lua"))
        self._payment = redis.register_script(script_source("report_payment.lua"))

    async def invoice(self, inv: Invoice, now_ms: int) -> tuple[str, bool]:
        """(the INVOICE_REPORTED entry id, False), or ("", True) for a repeat."""
        inv.check()
        at_ms = inv.issued_ms if inv.issued_ms is not None else now_ms
        fields = event_stream.entry(
            "invoice_reported", at_ms, invoice_id=inv.invoice_id, lead_id=inv.lead_id, queue=inv.queue,
            product=inv.product, amount_minor=inv.amount_minor, currency=inv.currency,
            **actor_fields(inv.actor),
        )  # fmt: skip
        reply = await self._invoice(
            keys=self._keys,
            args=[inv.invoice_id, inv.content(), inv.lead_id, inv.agent_id, inv.amount_minor, inv.currency,
                  inv.queue, inv.product, at_ms, self.maxlen, *itertools.chain(*fields.items())],
        )  # fmt: skip
        outcome = reply[0]
        if outcome == "conflict":
            raise errors.FailedPrecondition(
                f"invoice_id {inv.invoice_id} was reported before with other content", state="conflict"
            )
        if outcome == "no_agent":
            raise errors.FailedPrecondition(
                f"agent_id: lead {inv.lead_id} has no owner stats knows of; name the agent", state="no_agent"
            )
        return str(reply[1]), outcome == "duplicate"

    async def payment(self, pay: Payment, now_ms: int) -> PaymentOutcome:
        pay.check()
        at_ms = pay.paid_ms if pay.paid_ms is not None else now_ms
        named = actor_fields(pay.actor)
        fields = event_stream.entry(
            "payment_reported", at_ms, payment_id=pay.payment_id, invoice_id=pay.invoice_id,
            amount_minor=pay.amount_minor, **named,
        )  # fmt: skip
        actor = {k: v for k, v in {**caller_fields(), **named}.items() if v}
        flat = list(itertools.chain(*fields.items()))
        reply = await self._payment(
            keys=self._keys,
            args=[pay.payment_id, pay.content(), pay.invoice_id, pay.amount_minor, at_ms, self.maxlen, len(flat),
                  *flat, *itertools.chain(*actor.items())],
        )  # fmt: skip
        outcome = reply[0]
        if outcome == "conflict":
            raise errors.FailedPrecondition(
                f"payment_id {pay.payment_id} was reported before with other content", state="conflict"
            )
        if outcome == "not_found":
            raise NotFound(f"invoice {pay.invoice_id} is not known (invoice_id)")
        return PaymentOutcome(
            event_id=str(reply[1]),
            duplicate=outcome == "duplicate",
            invoice_paid=reply[3] == "1",
            paid_minor=int(reply[2]),
            commission_minor=int(reply[4]),
        )
