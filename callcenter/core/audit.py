"""Who a change is made for (docs/security.md, "Audit").

Every change made on someone's behalf records its actor in the event it writes. The actor of
an RPC is the authenticated caller (a credential's name: "kamailio-1", "crm", "ops"), or, when
a trusted caller relays a user's action (the gateway for a supervisor), that user, with the
relaying credential as `via`. The gRPC layer sets `current_actor` for each RPC; the stores read
it when they write an event, so no domain function passes it along.

A client states the user it acts for in the metadata key ON_BEHALF_KEY; only the roles in
RELAYING_ROLES may (another caller stating it is refused).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

#: gRPC metadata key with the user a relaying caller acts for.
ON_BEHALF_KEY = "x-callcenter-on-behalf-of"
#: Roles trusted to act on behalf of a user they authenticated themselves.
RELAYING_ROLES = frozenset({"gateway", "admin"})
#: Longest actor name kept (longer ones are refused by the gRPC layer).
MAX_ACTOR_LENGTH = 128


@dataclass(frozen=True)
class Actor:
    """Who made a change: `name` is the user or the credential, `via` the credential that
    relayed a user's action ("" when the credential acted itself)."""

    name: str
    via: str = ""

    def fields(self) -> dict[str, str]:
        """The event fields recording this actor."""
        return {"actor": self.name, **({"actor_via": self.via} if self.via else {})}


#: The actor of the RPC being served (None outside an RPC: a timer, a stream reader).
current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("current_actor", default=None)


def actor_fields() -> dict[str, str]:
    """The event fields of the current actor; empty outside an RPC."""
    actor = current_actor.get()
    return actor.fields() if actor is not None else {}


def valid_actor_name(name: str) -> bool:
    """A user name as metadata may carry it: printable, no spaces or separators, bounded."""
    return 0 < len(name) <= MAX_ACTOR_LENGTH and name.isprintable() and not any(c in name for c in " ,|")
