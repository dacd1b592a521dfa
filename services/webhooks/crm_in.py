"""Events in from a CRM (docs/crm.md, "Events in"): each applied once by (source, event id).

An event is checked, then claimed (crm_claim.lua: its key holds the digest of its content), then
applied to the router or the stats service (crm_targets.py), then recorded with its
CRM_EVENT_APPLIED event in one step (crm_record.lua). A repeat with the same content answers
"duplicate" and changes nothing; one with other content is refused (ALREADY_EXISTS); one while
the first is being applied is refused as UNAVAILABLE (retry). An event the router or the stats
service refuses is forgotten (crm_release.lua): the CRM may send it again, corrected or later.
Events are applied in the request's order, one after the other; each has its own result.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog
from google.protobuf import json_format

from callcenter.api.crm.v1 import crm_pb2
from callcenter.core import event_stream
from callcenter.core.audit import current_actor
from callcenter.core.errors import AlreadyExists, DomainError, InvalidArgument, Unavailable
from callcenter.services.webhooks import metrics as webhook_metrics
from callcenter.services.webhooks.config import CrmInSettings
from callcenter.services.webhooks.crm_targets import CrmTargets
from callcenter.services.webhooks.keys import WebhookKeys
from callcenter.services.webhooks.scripts import Scripts

log = structlog.get_logger(__name__)

#: Most events of one request.
MAX_EVENTS = 100
SOURCE = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_EVENT_ID = 128
#: The oneof case -> the kind CRM_EVENT_APPLIED names.
KINDS = {"client_changed": "client", "lead_changed": "lead", "invoice_issued": "invoice", "payment_received": "payment"}


@dataclass(frozen=True)
class CrmResult:
    """What became of one event: accepted, duplicate, or refused (with the refusal)."""

    event_id: str
    outcome: str
    refusal: DomainError | None = None
    field: str = ""  # the field at fault, when refused


def _check(event: crm_pb2.CrmEvent) -> str:
    """The event's kind; InvalidArgument naming the field at fault."""
    if not SOURCE.fullmatch(event.source):
        raise InvalidArgument("source", "1-64 letters, digits, '.', '_' or '-' required")
    event_id = event.event_id
    if not 0 < len(event_id) <= MAX_EVENT_ID or not event_id.isprintable() or any(c.isspace() for c in event_id):
        raise InvalidArgument("event_id", f"1-{MAX_EVENT_ID} printable characters without spaces required")
    case = event.WhichOneof("change")
    if case is None:
        raise InvalidArgument("change", "one of " + ", ".join(KINDS) + " required")
    required = {
        "client_changed": ("number", event.client_changed.number),
        "lead_changed": ("lead_id", event.lead_changed.lead_id),
        "invoice_issued": ("invoice_id", event.invoice_issued.invoice_id),
        "payment_received": ("payment_id", event.payment_received.payment_id),
    }[case]
    if not required[1]:
        raise InvalidArgument(f"{case}.{required[0]}", "required")
    return case


def digest(event: crm_pb2.CrmEvent) -> str:
    """The event's content as a stable digest (its JSON with sorted keys)."""
    as_dict = json_format.MessageToDict(event, preserving_proto_field_name=True)
    return hashlib.sha256(json.dumps(as_dict, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _applied_fields(case: str, event: crm_pb2.CrmEvent) -> dict[str, Any]:
    """The CRM_EVENT_APPLIED event's fields naming what changed (docs/crm.md)."""
    if case == "client_changed":
        c = event.client_changed
        return {"caller": c.number, "agent_id": c.personal_manager_agent_id}
    if case == "lead_changed":
        lead = event.lead_changed
        return {
            "lead_id": lead.lead_id,
            "agent_id": lead.owner_agent_id,
            "lead_stage": lead.stage or "lead",
            "caller": lead.client_number,
        }
    if case == "invoice_issued":
        i = event.invoice_issued
        return {
            "invoice_id": i.invoice_id,
            "lead_id": i.lead_id,
            "agent_id": i.agent_id,
            "amount_minor": i.amount_minor or None,
            "currency": i.currency,
            "product": i.product,
            "queue": i.queue,
        }
    p = event.payment_received
    return {"invoice_id": p.invoice_id, "payment_id": p.payment_id, "amount_minor": p.amount_minor or None}


class CrmIn:
    """Applies CRM events once each (one per webhooks process; every replica shares the keys)."""

    def __init__(
        self, redis: aioredis.Redis, tenant: str, settings: CrmInSettings, stream_maxlen: int, targets: CrmTargets
    ) -> None:
        self.redis = redis
        self.keys = WebhookKeys(tenant)
        self.stream = event_stream.stream_key(tenant)
        self.scripts = Scripts(redis)
        self.settings = settings
        self.stream_maxlen = stream_maxlen
        self.targets = targets

    async def submit(self, events: Sequence[crm_pb2.CrmEvent]) -> list[CrmResult]:
        """One result per event, in order; InvalidArgument only for a malformed request."""
        if not events:
            raise InvalidArgument("events", f"1 to {MAX_EVENTS} events required")
        if len(events) > MAX_EVENTS:
            raise InvalidArgument("events", f"at most {MAX_EVENTS} events per request ({len(events)} given)")
        results = []
        for event in events:
            result = await self._one(event)
            kind = KINDS.get(event.WhichOneof("change") or "", "none")
            webhook_metrics.CRM_EVENTS.labels(kind, result.outcome).inc()
            results.append(result)
        return results

    async def _one(self, event: crm_pb2.CrmEvent) -> CrmResult:
        bound = log.bind(crm_source=event.source[:MAX_EVENT_ID], crm_event_id=event.event_id[:MAX_EVENT_ID])
        try:
            case = _check(event)
        except InvalidArgument as exc:
            bound.info("crm.event_refused", field=exc.field, reason=exc.problem)
            return CrmResult(event.event_id[:MAX_EVENT_ID], "refused", exc, exc.field)  # echoed, bounded
        token = secrets.token_hex(8)
        claim = await self.scripts.crm_claim(
            keys=[self.keys.tenant_prefix],
            args=[event.source, event.event_id, digest(event), token, self.settings.lease_ms, self.settings.remember_s],
        )
        verdict = claim[0].decode() if isinstance(claim[0], bytes) else str(claim[0])
        if verdict == "duplicate":
            bound.info("crm.event_duplicate")
            return CrmResult(event.event_id, "duplicate")
        if verdict == "conflict":
            bound.info("crm.event_conflict")
            return CrmResult(
                event.event_id,
                "refused",
                AlreadyExists(f"event_id: {event.event_id} of {event.source} was applied with other content"),
                "event_id",
            )
        if verdict == "busy":
            return CrmResult(
                event.event_id,
                "refused",
                Unavailable(f"event_id: {event.event_id} is being applied now; retry"),
                "event_id",
            )
        try:
            await self._apply(case, event)
        except DomainError as exc:
            await self._release(event, token)
            bound.info("crm.event_refused", kind=KINDS[case], reason=str(exc), refusal=type(exc).__name__)
            return CrmResult(event.event_id, "refused", exc, exc.field if isinstance(exc, InvalidArgument) else "")
        except BaseException:
            await self._release(event, token)
            raise
        fields = event_stream.entry(
            "crm_event_applied",
            0,
            crm_source=event.source,
            crm_event_id=event.event_id,
            attributes={"kind": KINDS[case]},
            **_applied_fields(case, event),
        )
        fields.pop("time")  # the script's, by the Redis clock
        applied = await self.scripts.crm_record(
            keys=[self.keys.tenant_prefix, self.stream],
            args=[
                event.source,
                event.event_id,
                token,
                self.settings.remember_s,
                json.dumps(fields),
                self.stream_maxlen,
            ],
        )
        bound.info("crm.event_applied", kind=KINDS[case], entry_id=applied or None)
        return CrmResult(event.event_id, "accepted")

    async def _release(self, event: crm_pb2.CrmEvent, token: str) -> None:
        await self.scripts.crm_release(keys=[self.keys.tenant_prefix], args=[event.source, event.event_id, token])

    async def _apply(self, case: str, event: crm_pb2.CrmEvent) -> None:
        actor = current_actor.get()
        name = actor.name if actor is not None else ""
        if case == "client_changed":
            await self.targets.client(event.client_changed)
        elif case == "lead_changed":
            await self.targets.lead(event.lead_changed)
        elif case == "invoice_issued":
            await self.targets.invoice(event.invoice_issued, name)
        else:
            await self.targets.payment(event.payment_received, name)
