"""The router's Redis key model, declared once (docs/architecture.md describes each key).

Every key starts with the tenant's prefix, whose {hash tag} puts them all in one Redis Cluster
slot. From the table below come both `RouterKeys` (the Python side: `keys.events`,
`keys.agent("anna")`) and the Lua preamble every transition script starts with (`K_EVENTS`,
`k_agent(id)`), so a key's name is written in exactly one place.
"""

from __future__ import annotations

from callcenter.core.call_states import CANCELLED_OFFER_REASONS
from callcenter.core.config import key_prefix
from callcenter.core.key_model import Key, KeySpace, lua_constants
from callcenter.core.key_model import lua_preamble as _lua_preamble

#: Offers the router ends on its own (the PBX is told to stop ringing): its ring timeout, and
#: every reason that is no fault of the agent.
ROUTER_ENDED_OFFERS = CANCELLED_OFFER_REASONS | {"timeout"}

KEYS: tuple[Key, ...] = (
    Key("events", "events", "stream", "every transition (the event stream)"),
    Key("timers", "timers", "sorted set", "every durable timer: member <kind>|<id>[|<token>], score = deadline ms"),
    Key("agents", "agents", "set", "ids of every agent"),
    Key("queues", "queues", "set", "names of every queue"),
    Key("dialed_numbers", "dids", "hash", "dialled number -> queue name"),
    Key("offer_seq", "offer_seq", "string", "counter incremented at every offer"),
    Key("pbxs", "pbxs", "set", "ids of every PBX that opened a session"),
    Key("positions_cursor", "positions:cursor", "hash", "queue -> where the last position sweep stopped"),
    Key("teams", "teams", "set", "ids of every team"),
    Key("pause_reasons", "pause_reasons", "string", "the site's configured pause reasons (JSON list)"),
    Key("queue", "queue:{}", "hash", "a queue's configuration"),
    Key("queue_stats", "queue:{}:stats", "hash", "a queue's smoothed figures (aht_ms)"),
    Key("online", "queue:{}:online", "set", "agents logged in to the queue"),
    Key("available", "queue:{}:avail", "sorted set", "free agents at stage anyone, by strategy score"),
    Key("available_skilled", "queue:{}:avail:skilled", "sorted set", "free agents at stage skilled"),
    Key("available_vip", "queue:{}:avail:vip", "sorted set", "free agents at stage VIP tier"),
    Key("waiting", "queue:{}:waiting", "sorted set", "waiting calls at stage anyone, by priority and arrival"),
    Key("waiting_skilled", "queue:{}:waiting:skilled", "sorted set", "waiting calls at stage skilled"),
    Key("waiting_vip", "queue:{}:waiting:vip", "sorted set", "waiting calls at stage VIP tier"),
    Key("waiting_all", "queue:{}:waiting:all", "sorted set", "every call waiting in the queue, by arrival"),
    Key("agent", "agent:{}", "hash", "an agent's profile and state"),
    Key("agent_clients", "agent:{}:clients", "set", "numbers of the agent's clients (personal manager)"),
    Key("agent_teams", "agent:{}:teams", "set", "ids of the teams the agent is a member of"),
    Key("supervisor_teams", "supervisor:{}:teams", "set", "ids of the teams a gateway user supervises"),
    Key("agent_waiting", "agent:{}:waiting", "sorted set", "calls waiting for this agent as their manager"),
    Key("call", "call:{}", "hash", "a call's state"),
    # Its own key, not call:<id>:tried: a call id may end in ':tried' itself.
    Key("tried", "tried:{}", "set", "agents already offered the call"),
    Key("offers", "offers:{}", "hash", "how each ended offer of the call ended"),
    Key("client", "client:{}", "hash", "a caller-list entry (name, priority, manager, time zone, attributes)"),
    # The attribute key is [a-z0-9_] (no ':'), so the value after it may hold anything.
    Key("attribute_clients", "attribute:{}:{}", "set", "numbers of the clients whose attribute <key> is <value>"),
    Key("segments", "segments", "sorted set", "ids of every client segment, by creation time"),
    Key("segment", "segment:{}", "hash", "a client segment: name, conditions (JSON), members counted"),
    Key("segment_clients", "segment:{}:clients", "sorted set", "a segment's members as last taken (score 1)"),
    Key("segment_scratch", "segment:{}:scratch:{}", "set", "a condition's clients (or all's) while members are taken"),
    Key("team", "team:{}", "hash", "a team: name, members and supervisors (comma-separated, sorted)"),
    Key("deal", "deal:{}", "hash", "a deal (stats lead) from the event stream: owner, stage, open (deal_owners.py)"),
    Key("pbx", "pbx:{}", "hash", "a PBX session (lease, ring timer, last sequence)"),
    Key("pbx_events", "pbx:{}:events", "stream", "the session's messages, ids 0-<sequence>"),
    Key("pbx_calls", "pbx:{}:calls", "set", "the session's open calls"),
    Key(
        "waiting_out",
        "queue:{}:waiting:out",
        "sorted set",
        "outbound calls waiting for an agent, by priority, age",
    ),
    Key(
        "outbound_agents",
        "queue:{}:outbound",
        "set",
        "agents holding an outbound call of the queue",
    ),
    Key("do_not_call", "do_not_call", "sorted set", "numbers never to be dialled, score = when added (ms)"),
    Key("callbacks", "callbacks", "sorted set", "scheduled and calling callbacks, by due time"),
    Key("callbacks_ended", "callbacks:ended", "sorted set", "the newest ended callbacks, by end time (at most 1,000)"),
    Key("callback", "callback:{}", "hash", "a callback: number, queue, due, agent, state, attempts, latest call"),
    Key(
        "agent_callbacks",
        "agent:{}:callbacks",
        "sorted set",
        "the agent's live callbacks, by due time",
    ),
    Key(
        "queue_callbacks",
        "queue:{}:callbacks",
        "sorted set",
        "the queue's live callbacks, by due time",
    ),
    Key(
        "number_callback",
        "number:{}:callback",
        "string",
        "the callback after a number's missed call",
    ),
    Key("campaigns", "campaigns", "sorted set", "ids of every campaign, by creation time"),
    Key("campaigns_running", "campaigns:running", "set", "ids of the running campaigns (the dialler's work)"),
    Key("campaigns_new_leads", "campaigns:new_leads", "set", "running campaigns fed by new leads (cadence)"),
    Key("campaign", "campaign:{}", "hash", "a campaign: settings, state, counters"),
    Key("campaign_contacts", "campaign:{}:contacts", "hash", "number -> state|attempts|outcome|deal|first attempt"),
    Key("campaign_due", "campaign:{}:due", "sorted set", "pending contacts by when their next attempt is due"),
    Key("conversations", "conversations", "sorted set", "ids of the open conversations, by creation time"),
    Key(
        "conversations_closed",
        "conversations:closed",
        "sorted set",
        "the newest closed conversations, by close time (at most 1,000)",
    ),
    Key(
        "conversation", "conversation:{}", "hash", "a conversation: channel, topic, queue, client, agent, state, times"
    ),
    Key("conversation_messages", "conversation:{}:messages", "list", "a conversation's messages (JSON), oldest first"),
    Key("conversation_message_ids", "conversation:{}:message_ids", "set", "message ids already taken (idempotency)"),
    Key(
        "conversations_waiting",
        "queue:{}:conversations:waiting",
        "sorted set",
        "the queue's conversation line: conversations no agent has room for, by creation time",
    ),
    Key("agent_conversations", "agent:{}:conversations", "sorted set", "the agent's open conversations, by assignment"),
)


class RouterKeys(KeySpace):
    """The keys of one tenant: `keys.events` for single keys, `keys.agent(agent_id)` for the rest."""

    def __init__(self, tenant: str) -> None:
        super().__init__(key_prefix(tenant), KEYS)


def lua_preamble() -> str:
    """The key model in Lua, prepended to lib.lua: `K_EVENTS` and `k_agent(id)`, from KEYS[1]."""
    return (
        "local P = KEYS[1]\n"
        + _lua_preamble(KEYS, "P", "services/router/keys.py")
        + lua_constants("services/router/keys.py", ROUTER_ENDED=ROUTER_ENDED_OFFERS)
    )
