"""What the sales reports share (S2.1): money as int64 minor units in a currency, the CRM's ids,
the actor a report names, and the scripts that record them (scripts/*.lua, with the key model
of keys.py before them)."""

from __future__ import annotations

import pathlib
import re

from callcenter.core.audit import current_actor, valid_actor_name
from callcenter.services.stats.keys import lua_preamble
from callcenter.services.stats.model import InvalidArgument

#: The largest amount of one invoice, payment, rule or bonus, in minor units (10^12: ten
#: billion of a two-decimal currency). Sums of them stay far inside int64.
MAX_AMOUNT = 10**12
CURRENCY = re.compile(r"\A[A-Z]{3}\Z")
#: A CRM id of an invoice or payment: 1-128 printable ASCII characters, no space, ',' or '|'.
CRM_ID = re.compile(r"\A[!-+\--{}~]{1,128}\Z")


def script_source(name: str) -> str:
    """The key model and constants (keys.py), then scripts/<name>."""
    return lua_preamble() + (pathlib.Path(__file__).parent / "scripts" / name).read_text()


def check_amount(value: int, field: str, minimum: int = 1) -> int:
    if not minimum <= value <= MAX_AMOUNT:
        raise InvalidArgument(field, f"{minimum} to {MAX_AMOUNT} minor units expected, got {value}")
    return value


def check_currency(value: str, field: str = "currency") -> str:
    if not CURRENCY.match(value):
        raise InvalidArgument(field, f"an ISO 4217 code of 3 upper-case letters expected, got {value[:16]!r}")
    return value


def check_crm_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(field, "required")
    if not CRM_ID.match(value):
        raise InvalidArgument(field, f"{value[:80]!r} must be 1-128 printable characters without spaces, ',' or '|'")
    return value


def actor_fields(actor: str, field: str = "actor") -> dict[str, str]:
    """The event fields of who a report names: `actor` relayed by the calling credential
    (actor_via), or, when the request names none, the caller itself (event_stream.entry's)."""
    if not actor:
        return {}
    if not valid_actor_name(actor):
        raise InvalidArgument(field, "not a user or credential name (1-128 printable characters, no spaces)")
    caller = current_actor.get()
    via = caller.name if caller is not None and caller.name != actor else ""
    return {"actor": actor, "actor_via": via}  # an empty via overrides the caller's own
