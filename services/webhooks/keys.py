"""The webhooks service's Redis key model, declared once for Python and for scripts/*.lua.

Every key starts with the tenant's prefix plus "webhooks:", so it shares the tenant's {hash tag}
(one Redis Cluster slot) with the event stream. A subscription id is "sub_" and hex digits and a
delivery id is "<subscription id>.<event id>"; a subject is any call, lead or agent id or
"conversation:<id>" (':' and every other separator included), so it always comes last in a key. A CRM source is letters,
digits, '.', '_' and '-'; a CRM event id any printable characters but spaces, so it comes last.
"""

from __future__ import annotations

from callcenter.core.config import key_prefix
from callcenter.core.key_model import Key, KeySpace
from callcenter.core.key_model import lua_preamble as _lua_preamble

KEYS: tuple[Key, ...] = (
    Key("subs", "subs", "sorted set", "subscription id -> created ms"),
    Key("sub", "sub:{}", "hash", "a subscription: url, types, queue, description, secret(s), paused, queued"),
    Key("applied", "applied", "sorted set", "queued event id -> entry ms (each event queued once)"),
    Key("applied_floor", "applied_floor", "string", "entry ms below which queued ids were trimmed"),
    Key("unreadable", "unreadable", "stream", "event stream entries the dispatcher could not read"),
    Key("delivery", "delivery:{}", "hash", "a delivery: sub, event_id, type, subject, body, attempt, state"),
    Key("due", "due", "sorted set", "delivery id -> when it is to be sent (Redis ms): queue heads, retries, leases"),
    Key("held", "held:{}", "set", "a paused subscription's deliveries that came due"),
    Key("subjects", "subjects:{}", "set", "the subjects of a subscription with deliveries queued"),
    Key("log", "log:{}", "stream", "a subscription's delivery log: one entry per attempt (MAXLEN)"),
    Key("dead", "dead:{}", "sorted set", "a subscription's dead letters: delivery id -> sequence"),
    Key("dead_seq", "dead_seq", "string", "the sequence of dead letters (their order)"),
    Key("queue", "queue:{}:{}", "list", "the deliveries of a (subscription, subject), oldest first"),
    Key(
        "crm_event",
        "crm:{}:{}",
        "hash",
        "a CRM event in by (source, event id): digest of its content, state applying/done, lease, outcome (TTL)",
    ),
)


class WebhookKeys(KeySpace):
    """The webhooks keys of one tenant (`keys.due`, `keys.sub(sub_id)`, ...)."""

    def __init__(self, tenant: str) -> None:
        self.tenant_prefix = key_prefix(tenant)
        super().__init__(self.tenant_prefix + "webhooks:", KEYS)


def lua_preamble() -> str:
    """The key model in Lua: `K_DUE`, `k_sub(id)`, `k_queue(sub, subject)`, ..., built on KEYS[1]."""
    return "local P = KEYS[1]\nlocal W = P .. 'webhooks:'\n" + _lua_preamble(KEYS, "W", "services/webhooks/keys.py")
