"""The stats service's Redis key model, declared once for Python and for scripts/apply.lua.

Every key starts with the tenant's prefix plus "stats:", so it shares the tenant's {hash tag}
(one Redis Cluster slot) with the event stream; apply.lua writes them, the readers here only
read. A call id is any SIP Call-ID (callcenter/core/call_ids.py), ':' and every other separator
included, so each kind of key of a call has a prefix of its own and ends with the id
("call:<id>:offers" would be the record of the call "<id>:offers").
"""

from __future__ import annotations

from callcenter.core.call_states import CANCELLED_OFFER_REASONS, FINAL_CALL_STATES, LIVE_CALL_STATES
from callcenter.core.config import key_prefix
from callcenter.core.key_model import Key, KeySpace, lua_constants
from callcenter.core.key_model import lua_preamble as _lua_preamble
from callcenter.core.lead_stages import CONVERTING_LEAD_STAGES
from callcenter.services.stats.audit import CALL_FLOW, MS_DIGITS, SEQ_DIGITS
from callcenter.services.stats.model import LEAD_STAGES

QUARTER_MS = 15 * 60 * 1000
HOUR_MS = 60 * 60 * 1000
#: The spans buckets are kept for: (name in the key, length in ms).
BUCKET_SPANS = (("q", QUARTER_MS), ("h", HOUR_MS))
#: Wait and talk histograms keep whole seconds up to a day; longer ones share the field above.
HISTOGRAM_MAX_S = 86_400
DAY_MS = 24 * HOUR_MS
#: The most state changes kept per agent and UTC day (agent_day); older ones are cut and counted.
MAX_DAY_STATES = 2_000
#: The most pipeline changes kept per lead (lead_history); older ones are cut and counted.
MAX_LEAD_HISTORY = 200
#: How long an invoice and a payment are remembered (idempotence by id, commission once).
INVOICE_TTL_S = 800 * 86_400
#: The bucket kind of the paid invoices' sums per agent ('sales', agent): paid:<CUR>,
#: amount:<CUR>, commission:<CUR> (services/stats/payroll.py).
SALES_BUCKET = "sales"
#: The bucket kind of the conversations' figures: one ('conversations', 'all') bucket per span,
#: fields '<figure>|<queue>|<channel>|<topic>|<agent>' (services/stats/conversation_stats.py).
CONVERSATION_BUCKET = "conversations"
#: How long lead_gate outlives the move it accepted (ingest applies it well within).
LEAD_GATE_TTL_S = 7 * 86_400

KEYS: tuple[Key, ...] = (
    Key("applied", "applied", "sorted set", "applied event id -> entry ms (exactly once)"),
    Key("applied_floor", "applied_floor", "string", "entry ms below which applied ids were trimmed"),
    # Written by older versions (one entry per applied event, for WatchBoard); deleted at start.
    Key("changes", "changes", "stream", "no longer written; an older version's, deleted at start"),
    Key("dead_letters", "dead", "stream", "events that could not be applied"),
    Key("agents", "agents", "set", "agent ids seen"),
    Key("queues", "queues", "set", "queue names seen"),
    Key("campaigns", "campaigns", "set", "outbound campaign ids seen"),
    Key("calls", "calls", "sorted set", "call id -> received ms"),
    Key("leads", "leads", "sorted set", "lead id -> created ms"),
    Key("agent", "agent:{}", "hash", "an agent's state now (last writer wins by event order)"),
    Key("timeline", "agent:{}:timeline", "sorted set", "an agent's states of the day: order|state|reason"),
    Key("agent_day", "agent_day:{}:{}", "sorted set", "an agent's state changes of a UTC day: order|state|reason|call"),
    Key("agent_trimmed", "agent_trimmed:{}", "hash", "an agent's state changes cut from agent_day: day ms -> count"),
    Key("bucket", "{}:{}:{}:{}", "hash", "sums of one agent, queue or campaign (kind, name) over a span from a start"),
    Key("live", "live:{}:{}", "sorted set", "the queue's calls in a live state: call id -> received ms"),
    Key("call", "call:{}", "hash", "the call record"),
    Key("offers", "offers:{}", "hash", "the call's offers: <attempt>:agent|outcome|ring_ms"),
    Key("recordings", "recordings:{}", "set", "the call's recording ids"),
    # Where records stored before the keys above kept their offers and recordings: read, never
    # written, until they expire with the retention.
    Key("legacy_offers", "call:{}:offers", "hash", "old place of a call's offers (read only)"),
    Key("legacy_recordings", "call:{}:recordings", "set", "old place of a call's recordings (read only)"),
    Key("calls_by", "calls:{}:{}", "sorted set", "calls by agent, queue or caller: call id -> received ms"),
    Key("lead", "lead:{}", "hash", "a lead: stage, agent, created, refused_at/by"),
    Key("lead_attempts", "lead:{}:attempts", "sorted set", "the lead's call attempts: call id -> received ms"),
    Key("lead_talk", "lead:{}:talk", "hash", "the lead's answered calls: call id -> talk ms"),
    Key("lead_history", "lead:{}:history", "sorted set", "the lead's pipeline changes: <order>|<JSON>, by time"),
    Key("lead_gate", "lead:{}:gate", "hash", "the stage ChangeLeadStage last accepted (and its order)"),
    Key("invoice", "invoice:{}", "hash", "an invoice as reported (content) and paid: agent, amount, paid, commission"),
    Key(
        "invoice_queue",
        "invoice_queue",
        "sorted set",
        "the invoice queue (S2.7): unpaid invoices no call has reached yet -> issue ms",
    ),
    Key("payment", "payment:{}", "hash", "a payment as reported: its content (idempotence by payment id)"),
    Key("commission_rules", "commission_rules", "string", "the commission rules in force (JSON)"),
    Key("pay_rules", "pay_rules", "string", "the pay rules per team in force (JSON)"),
    Key(
        "team_members",
        "team_members:{}",
        "hash",
        "a router team as TEAM_UPDATED/TEAM_DELETED said: members, order, deleted",
    ),
    Key("teams", "teams", "set", "team ids seen"),
    Key("sales_agents", "sales_agents", "set", "agents credited with a paid invoice"),
    Key("audit", "audit", "sorted set", "the audit trail: <entry id>|<event JSON>, score 0, by entry id"),
    Key("audit_by", "audit_by:{}", "sorted set", "the same, of one actor"),
    Key(
        "conversation",
        "conversation:{}",
        "hash",
        "a conversation now (queue, channel, topic, agent, state, overdue, order) and the times"
        " its figures count from (created, assigned, waiting, first_replied); kept closed until expiry",
    ),
    Key("open_conversations", "open_conversations", "sorted set", "open conversation id -> created ms"),
    Key("open_conversations_by", "open_conversations:{}:{}", "set", "open conversation ids by 'queue' or 'agent'"),
)


class StatsKeys(KeySpace):
    """The stats keys of one tenant (`keys.applied`, `keys.call(call_id)`, ...)."""

    def __init__(self, tenant: str) -> None:
        self.tenant_prefix = key_prefix(tenant)
        super().__init__(self.tenant_prefix + "stats:", KEYS)


def lua_preamble() -> str:
    """The key model in Lua for apply.lua: `K_APPLIED`, `k_call(id)`, ..., built on S."""
    return (
        "local P = KEYS[1]\nlocal S = P .. 'stats:'\n"
        + _lua_preamble(KEYS, "S", "services/stats/keys.py")
        + lua_constants(
            "services/stats/keys.py and callcenter/core/call_states.py",
            LIVE=LIVE_CALL_STATES,
            FINAL=FINAL_CALL_STATES,
            CANCELLED=CANCELLED_OFFER_REASONS,
            BUCKET_SPANS=BUCKET_SPANS,
            HISTOGRAM_CAP_S=HISTOGRAM_MAX_S + 1,
            DAY_MS=DAY_MS,
            MAX_DAY_STATES=MAX_DAY_STATES,
            MAX_LEAD_HISTORY=MAX_LEAD_HISTORY,
            LEAD_STAGES=frozenset(LEAD_STAGES),
            CONVERTING_STAGES=frozenset(CONVERTING_LEAD_STAGES),
            GATE_TTL_S=LEAD_GATE_TTL_S,
            INVOICE_TTL_S=INVOICE_TTL_S,
            SALES_BUCKET=SALES_BUCKET,
            CONVERSATION_BUCKET=CONVERSATION_BUCKET,
            CALL_FLOW=CALL_FLOW,
            AUDIT_ID_FORMAT=f"%0{MS_DIGITS}.0f-%0{SEQ_DIGITS}.0f",
            AUDIT_MS_FORMAT=f"%0{MS_DIGITS}.0f",
        )
    )
