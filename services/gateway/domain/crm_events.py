"""CRM events in through the JSON API (docs/crm.md, "Events in"): admins post a CRM's changes,
which go to the webhooks service's CrmService (applied once each by source and event id). The
body is checked here field by field (unknown fields refused, types and sizes bounded) so a
refusal names the JSON field (`events[2].payment.amount_minor`). No HTTP here (crm_api.py)."""

from __future__ import annotations

from typing import Any

from google.protobuf import timestamp_pb2

from callcenter.api.crm.v1 import crm_pb2 as pb
from callcenter.core.errors import InvalidArgument, Unavailable

from ..backends import Backends
from ..users import User
from . import access

MAX_EVENTS = 100
MAX_TEXT = 256
EVENT_FIELDS = ("source", "event_id")
#: The JSON name of each change -> the CrmEvent field, its message and its fields (the proto's).
CHANGES: dict[str, tuple[str, Any]] = {
    "client": ("client_changed", pb.ClientChanged),
    "lead": ("lead_changed", pb.LeadChanged),
    "invoice": ("invoice_issued", pb.InvoiceIssued),
    "payment": ("payment_received", pb.PaymentReceived),
}
_JSON_NAME = {proto: name for name, (proto, _) in CHANGES.items()}
_TIMES = ("issued_at", "paid_at")
#: The whole-number fields and their bounds (the proto's int32 and int64; the services check the rest).
_NUMBERS = {"priority": 2**31 - 1, "amount_minor": 2**62}
OUTCOMES = {
    pb.CRM_EVENT_OUTCOME_ACCEPTED: "accepted",
    pb.CRM_EVENT_OUTCOME_DUPLICATE: "duplicate",
    pb.CRM_EVENT_OUTCOME_REFUSED: "refused",
}


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(field, "a string expected")
    if len(value) > MAX_TEXT:
        raise InvalidArgument(field, f"at most {MAX_TEXT} characters")
    return value


def _change(body: Any, field: str, message: Any) -> Any:
    if not isinstance(body, dict):
        raise InvalidArgument(field, "an object expected")
    names = [f.name for f in message.DESCRIPTOR.fields]
    out = message()
    for name, value in body.items():
        at = f"{field}.{name}"[:96]
        if name not in names:
            raise InvalidArgument(at, f"unknown field (it takes {', '.join(names)})")
        if name in _NUMBERS:
            if type(value) is not int:
                raise InvalidArgument(at, "a whole number expected")
            if not -_NUMBERS[name] <= value <= _NUMBERS[name]:
                raise InvalidArgument(at, f"at most {_NUMBERS[name]} either way")
            setattr(out, name, value)
        elif name in _TIMES:
            stamp = timestamp_pb2.Timestamp()
            try:
                stamp.FromJsonString(_text(value, at))
            except ValueError:
                raise InvalidArgument(at, "an RFC 3339 time expected, e.g. 2026-03-02T10:00:00Z") from None
            getattr(out, name).CopyFrom(stamp)
        else:
            setattr(out, name, _text(value, at))
    return out


def parse_events(body: dict[str, Any]) -> list[pb.CrmEvent]:
    """{"events": [{"source", "event_id", one of "client" | "lead" | "invoice" | "payment"}]}."""
    events = body.get("events")
    if not isinstance(events, list) or not events:
        raise InvalidArgument("events", f"a list of 1 to {MAX_EVENTS} events is required")
    if len(events) > MAX_EVENTS:
        raise InvalidArgument("events", f"at most {MAX_EVENTS} events per request ({len(events)} given)")
    out = []
    for i, item in enumerate(events):
        at = f"events[{i}]"
        if not isinstance(item, dict):
            raise InvalidArgument(at, "an object expected")
        event = pb.CrmEvent()
        changes = [name for name in item if name in CHANGES]
        for name, value in item.items():
            if name in EVENT_FIELDS:
                setattr(event, name, _text(value, f"{at}.{name}"))
            elif name not in CHANGES:
                label = f"{at}.{name}"[:96]
                raise InvalidArgument(label, f"unknown field (an event takes {', '.join([*EVENT_FIELDS, *CHANGES])})")
        if len(changes) != 1:
            raise InvalidArgument(at, f"exactly one of {', '.join(CHANGES)} required")
        proto, message = CHANGES[changes[0]]
        getattr(event, proto).CopyFrom(_change(item[changes[0]], f"{at}.{changes[0]}", message))
        out.append(event)
    return out


def _json_field(index: int, field: str) -> str:
    """The webhooks service's field of an event ("invoice_issued.amount_minor") as the body's."""
    head, dot, rest = field.partition(".")
    return f"events[{index}].{_JSON_NAME.get(head, head)}{dot}{rest}" if field else ""


async def submit_events(user: User, backends: Backends, body: dict[str, Any]) -> list[dict[str, str]]:
    """One result per event, in order (admins; each applied with the admin as actor)."""
    access.require_role(user, "admin")
    events = parse_events(body)
    if backends.crm is None:
        raise Unavailable("no webhooks service is configured (CALLCENTER_WEBHOOKS_ADDR)")
    reply: pb.SubmitCrmEventsResponse = await backends.crm.SubmitCrmEvents(
        # a lead change is up to 3 calls of the webhooks service: more time than one call
        pb.SubmitCrmEventsRequest(events=events),
        timeout=backends.timeout_s * 4,
    )
    results = []
    for i, r in enumerate(reply.results):
        result = {"event_id": r.event_id, "outcome": OUTCOMES.get(r.outcome, "refused")}
        if r.outcome == pb.CRM_EVENT_OUTCOME_REFUSED:
            result.update(field=_json_field(i, r.field), reason=r.reason, code=r.code)
        results.append(result)
    return results
