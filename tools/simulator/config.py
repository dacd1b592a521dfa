"""What a simulation plays: the arrival rate, the agents' habits, the callers, the time scale.

Every duration is in *simulated* seconds, as it would pass in a real call centre; `speed`
divides them all (the router's queue timers included), so `speed = 30` plays half an hour
in one minute. Only `duration_s`, `drain_s` and `summary_every_s` are wall-clock seconds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from callcenter.core.grpc_security import GrpcClientCredentials
from callcenter.core.settings import nested, setting


@dataclass(frozen=True)
class Spread:
    """A lognormal spread of durations: half are below `median_s`; `sigma` widens the tail."""

    median_s: float
    sigma: float = 0.5

    def draw(self, rng: random.Random) -> float:
        if self.median_s <= 0:
            return 0.0
        return rng.lognormvariate(math.log(self.median_s), self.sigma) if self.sigma > 0 else self.median_s


@dataclass(frozen=True)
class SimulatorEnvironment:
    """The defaults of the simulator's options an environment may set (the options win)."""

    router: str = setting("CALLCENTER_ROUTER_ADDR", "127.0.0.1:50051", "default of `--router`: the router it calls")
    stats: str = setting(
        "CALLCENTER_STATS_ADDR", "", "default of `--stats`: where it creates CRM leads (empty: no leads)"
    )
    recorder: str = setting(
        "CALLCENTER_RECORDER_ADDR", "", "default of `--recorder`: where it streams audio (empty: no recordings)"
    )
    log_level: str = setting(
        "CALLCENTER_LOG_LEVEL",
        "warning",
        "log level of the simulator (its summaries go to stdout)",
        choices=("debug", "info", "warning", "error", "critical"),
    )
    # What it presents to the services (docs/security.md): it plays a PBX, and with --stats a
    # CRM too, so against protected services it needs a token of a role allowed both (admin).
    grpc: GrpcClientCredentials = nested(GrpcClientCredentials)


PBX_CONTRACTS = ("v1", "v2")
RING_TIMERS = ("pbx", "router")
CAMPAIGN_MODES = ("progressive", "preview")
MAX_CAMPAIGN_CONTACTS = 100_000  # the router's limit per campaign
# The simulation's own queues, as chat_queues names them (created "<prefix>-<name>").
SIM_QUEUES = ("sales", "support")

Weights = tuple[tuple[str, float], ...]


def parse_weights(text: str) -> Weights:
    """ "webchat=6,telegram=3,email=1" (a name alone weighs 1) as chat_channels / chat_topics hold it."""
    pairs: list[tuple[str, float]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, weight = item.partition("=")
        try:
            pairs.append((name.strip(), float(weight) if weight else 1.0))
        except ValueError:
            raise ValueError(f"weight of {name.strip()!r} must be a number, not {weight!r}") from None
    return tuple(pairs)


def format_weights(weights: Weights) -> str:
    """The text parse_weights reads back: "webchat=6,telegram=3,email=1"."""
    return ",".join(f"{name}={weight:g}" for name, weight in weights)


def pick(weights: Weights, rng: random.Random) -> str:
    """One name, drawn by its weight."""
    names = [name for name, _ in weights]
    return rng.choices(names, weights=[w for _, w in weights])[0]


@dataclass(frozen=True)
class SimulationConfig:
    # The router's gRPC address; several IPv4 host:port separated by commas are replicas of
    # one router (the PBX uses the first that answers and moves on when it goes away).
    router: str = "127.0.0.1:50051"
    # What the PBX presents to the router (None: nothing, as on a zero-config loopback).
    credentials: GrpcClientCredentials | None = None
    # Time compression: every simulated duration (and the queues' timers) is divided by this.
    speed: float = 1.0
    # New calls per simulated minute, arriving as a Poisson process.
    rate_per_min: float = 4.0
    # Wall-clock seconds during which calls arrive (None: until max_calls or stopped).
    duration_s: float | None = 60.0
    # Stop after this many calls (None: no limit).
    max_calls: int | None = None
    # Wall-clock seconds to let calls in progress finish once arrivals stop; the virtual
    # PBX then hangs up whatever is left, so every call ends in a final state.
    drain_s: float = 30.0
    # Wall-clock seconds between two lines of the live summary (0: none).
    summary_every_s: float = 5.0
    # Seed of the random generator (None: a different run every time).
    seed: int | None = None
    # Names of the queues and agents the simulation creates start with this.
    prefix: str = "sim"

    # The team.
    agents: int = 12
    # Agents who never pick up (headset off): their offers ring out and fail over; the
    # router pauses them after max_no_answer misses in a row, and they resume later.
    never_answer_agents: int = 1
    # Chance an ordinary agent picks up an offer; otherwise they let it ring out...
    answer_probability: float = 0.9
    # ... or, with this chance, decline it (REJECTED) after a moment.
    reject_probability: float = 0.03
    # How long an agent lets the phone ring before picking up.
    answer_delay: Spread = Spread(2.0, 0.5)
    # Talk time.
    talk: Spread = Spread(150.0, 0.6)
    # After-call work an agent actually needs; below the queue's wrap-up the agent ends
    # the wrap-up early (EndWrapUp), above it the router's timer ends it.
    after_call_work: Spread = Spread(20.0, 0.6)
    # How long an agent paused for missing calls takes to come back (ResumeAgent).
    comeback: Spread = Spread(60.0, 0.5)

    # The callers.
    # How long a caller waits for an agent before hanging up (abandoning).
    patience: Spread = Spread(120.0, 0.7)
    # Known clients on the caller list (UpsertClient) at the start.
    clients: int = 40
    # Share of the known clients who are VIPs (priority 1-3).
    vip_fraction: float = 0.15
    # Share of the known clients with a personal manager from the start.
    managed_fraction: float = 0.25
    # Share of calls from known clients (returning callers; the sales queue is sticky, so
    # whoever answered them before becomes their manager).
    returning_fraction: float = 0.4
    # Share of calls that go to the support queue (the others call sales).
    support_fraction: float = 0.3

    # The queues' timers, in simulated seconds (sent to the router scaled by speed).
    ring_timeout_s: float = 5.0
    wrap_up_s: float = 30.0
    retry_delay_s: float = 2.0
    manager_wait_s: float = 5.0
    vip_overflow_s: float = 30.0
    max_no_answer: int = 3
    # Log the simulation's agents out at the end.
    logout_at_end: bool = True

    # How the virtual PBX talks to the router (docs/pbx-integration.md). "v2": one PbxSession
    # stream for all its calls (heartbeats, resume after a break, the PBX runs the ring
    # timer); "v1": a WatchCall stream per call, ring-outs left to the router's timer. The
    # default is v2 here and on the command line (`callcenter simulate`, `callcenter up --demo`).
    pbx_contract: str = "v2"
    # v2: the PBX's id (empty: "<prefix>-<run tag>", new for every run).
    pbx_id: str = ""
    # v2: the session's lease, wall-clock seconds (1-300); a heartbeat goes every third of it.
    pbx_lease_s: float = 10.0
    # v2: who ends an unanswered ring: "pbx" (the PBX reports NO_ANSWER when the ring timeout
    # passes; the router's timer is only a backstop) or "router" (as in v1).
    ring_timer: str = "pbx"

    # Outbound work (v2 only, docs/outbound.md). On an ORIGINATE message the PBX rings the
    # agent's leg, then the customer's, and reports ReportDialOutcome after dial_delay: the
    # customer answers with customer_answer_probability, is busy with customer_busy_probability,
    # the call fails with dial_failed_probability, else nobody answers. The agent's own leg
    # goes unanswered (the call moves on to the next agent) with agent_leg_no_answer_probability.
    # A connected call talks for `talk` and hangs up like an inbound call.
    dial_delay: Spread = Spread(8.0, 0.4)
    customer_answer_probability: float = 0.5
    customer_busy_probability: float = 0.1
    dial_failed_probability: float = 0.05
    agent_leg_no_answer_probability: float = 0.0
    # How long an agent looks at a preview offer before accepting it (AcceptOutboundCall); the
    # agents look for previews every preview_poll_s (their desktop's refresh).
    preview_think: Spread = Spread(3.0, 0.5)
    preview_poll_s: float = 1.0
    # Above 0: a campaign of this many contacts (numbers +4969<prefix hash><n>) on the sales
    # queue, started with the run; the run then lasts until the campaign finishes (or the
    # duration passes, when one is set: then the campaign is paused and the calls drain).
    campaign_contacts: int = 0
    campaign_mode: str = "progressive"
    campaign_max_attempts: int = 2
    # Simulated seconds before a contact not reached (no answer, busy, failed) is tried again.
    campaign_retry_s: float = 60.0
    # The queues' dial timeout (the router ends a dial the PBX never reports, NOT_CONNECTED).
    dial_timeout_s: float = 90.0

    # Chats (ConversationService, docs/routing-rules.md#conversations; tools/simulator/chats.py).
    # New chats per simulated minute, a Poisson process beside the calls (0: no chats; the
    # demo plays some). A chat's customer writes chat_messages messages, each after the agent's
    # reply and a think time; the agent holding it replies after chat_reply_delay, and closes
    # it after replying to the last one.
    chats_per_min: float = 0.0
    # The simulation's queues chats go to (of SIM_QUEUES), one drawn per chat.
    chat_queues: tuple[str, ...] = ("support",)
    # The channels and topics of chats, with their weights.
    chat_channels: Weights = (("webchat", 6.0), ("telegram", 3.0), ("email", 1.0))
    chat_topics: Weights = (("billing", 4.0), ("delivery", 3.0), ("returns", 2.0), ("other", 1.0))
    # Customer messages per chat (rounded, at least 1).
    chat_messages: Spread = Spread(3.0, 0.5)
    # How long the agent holding a chat takes to reply to a customer's message (from the moment
    # they have it); the long tail misses the queue's first_response / reply deadlines, so some
    # chats turn overdue (CONVERSATION_OVERDUE).
    chat_reply_delay: Spread = Spread(20.0, 0.8)
    # How long the customer takes to write again after a reply.
    chat_think: Spread = Spread(30.0, 0.6)
    # Share of chats from known clients (client_number from the caller list: their personal
    # manager gets them first).
    chat_known_fraction: float = 0.3
    # How often a chat waiting in the queue's line (NEW) is looked at for its agent (GetConversation).
    chat_poll_s: float = 2.0
    # The queues' chat settings (sent to the router; the deadlines scaled by speed like the
    # other timers): open chats an agent holds per channel, the first reply's and later
    # replies' deadlines.
    chat_capacity: int = 2
    first_response_s: float = 60.0
    reply_s: float = 120.0

    def scaled(self, simulated_s: float) -> float:
        """Wall-clock seconds for a simulated duration."""
        return simulated_s / self.speed

    def scaled_ms(self, simulated_s: float) -> int:
        """Wall-clock milliseconds for a simulated duration, at least 1."""
        return max(1, round(simulated_s * 1000 / self.speed))

    def validate(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be above 0")
        if self.rate_per_min <= 0:
            raise ValueError("rate must be above 0")
        if self.agents < 1 or not 0 <= self.never_answer_agents <= self.agents:
            raise ValueError("need at least one agent, and never_answer_agents between 0 and agents")
        for name in (
            "answer_probability",
            "reject_probability",
            "vip_fraction",
            "managed_fraction",
            "returning_fraction",
            "support_fraction",
            "customer_answer_probability",
            "customer_busy_probability",
            "dial_failed_probability",
            "agent_leg_no_answer_probability",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.pbx_contract not in PBX_CONTRACTS:
            raise ValueError(f"pbx_contract must be one of {', '.join(PBX_CONTRACTS)}")
        if self.ring_timer not in RING_TIMERS:
            raise ValueError(f"ring_timer must be one of {', '.join(RING_TIMERS)}")
        if not 1 <= self.pbx_lease_s <= 300:
            raise ValueError("pbx_lease_s must be 1-300 seconds")
        dial_odds = self.customer_answer_probability + self.customer_busy_probability + self.dial_failed_probability
        if dial_odds > 1 + 1e-9:
            raise ValueError("the customer's answer, busy and failed probabilities must add up to at most 1")
        if not 0 <= self.campaign_contacts <= MAX_CAMPAIGN_CONTACTS:
            raise ValueError(f"campaign_contacts must be 0-{MAX_CAMPAIGN_CONTACTS}")
        if self.campaign_contacts and self.pbx_contract != "v2":
            raise ValueError("a campaign needs pbx_contract v2 (the PBX session dials it)")
        if self.campaign_mode not in CAMPAIGN_MODES:
            raise ValueError(f"campaign_mode must be one of {', '.join(CAMPAIGN_MODES)}")
        if not 1 <= self.campaign_max_attempts <= 100:
            raise ValueError("campaign_max_attempts must be 1-100")
        if self.campaign_retry_s < 0 or self.preview_poll_s <= 0 or self.dial_timeout_s <= 0:
            raise ValueError("campaign_retry_s must not be negative, preview_poll_s and dial_timeout_s above 0")
        if self.chats_per_min < 0:
            raise ValueError("chats_per_min must not be negative (0: no chats)")
        if not self.chat_queues or not set(self.chat_queues) <= set(SIM_QUEUES):
            raise ValueError(f"chat_queues must name some of {', '.join(SIM_QUEUES)}")
        for name in ("chat_channels", "chat_topics"):
            weights = getattr(self, name)
            if not weights or any(not label or w < 0 for label, w in weights) or sum(w for _, w in weights) <= 0:
                raise ValueError(f"{name} must give names with weights of at least 0, not all 0")
        if not 0 <= self.chat_known_fraction <= 1:
            raise ValueError("chat_known_fraction must be between 0 and 1")
        if not 1 <= self.chat_capacity <= 100:
            raise ValueError("chat_capacity must be 1-100")
        if self.chat_poll_s <= 0 or self.first_response_s <= 0 or self.reply_s <= 0:
            raise ValueError("chat_poll_s, first_response_s and reply_s must be above 0")
        if self.duration_s is None and self.max_calls is None:
            # Allowed: runs until stopped (callcenter up --demo).
            pass
