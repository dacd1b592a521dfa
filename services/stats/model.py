"""The stats domain's values and errors; nothing here knows gRPC."""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.core import errors, lead_stages

# The stats service's refusals are the kernel's (callcenter.core.errors).
StatsError = errors.DomainError
InvalidArgument = errors.InvalidArgument
NotFound = errors.NotFound


LEAD_STAGES = lead_stages.LEAD_STAGES
OPEN_LEAD_STAGES = lead_stages.OPEN_LEAD_STAGES


@dataclass(frozen=True)
class Range:
    """[start_ms, end_ms) in milliseconds since the epoch."""

    start_ms: int
    end_ms: int


@dataclass
class AgentNow:
    agent_id: str
    state: str = "logged_out"
    since_ms: int = 0
    call_id: str = ""
    pause_reason: str = ""
    queues: tuple[str, ...] = ()


@dataclass
class QueueNow:
    queue: str
    agents: dict[str, int] = field(default_factory=dict)  # state -> count, plus "online"
    waiting: int = 0
    ringing: int = 0
    in_progress: int = 0
    oldest_waiting_ms: int | None = None
    overdue: int = 0


@dataclass(frozen=True)
class OverdueCall:
    call_id: str
    queue: str
    caller: str
    state: str  # waiting or ringing
    received_ms: int
    agent_id: str


@dataclass
class Board:
    now_ms: int
    overdue_after_ms: int
    agents: list[AgentNow]
    totals: dict[str, int]
    queues: list[QueueNow]
    overdue: list[OverdueCall]


@dataclass
class AgentFigures:
    agent_id: str
    offered: int = 0
    answered: int = 0
    missed: int = 0
    rejected: int = 0
    busy: int = 0
    caller_hung_up: int = 0
    handled: int = 0
    talk_ms: int = 0
    ring_ms: int = 0
    wrap_ms: int = 0
    successful_touches: int = 0
    state_ms: dict[str, int] = field(default_factory=dict)  # time in each state within the range
    pause_ms_by_reason: dict[str, int] = field(default_factory=dict)  # state_ms["paused"] by pause reason
    score: float = 0.0

    @property
    def average_talk_ms(self) -> int:
        return self.talk_ms // self.handled if self.handled else 0

    @property
    def logged_in_ms(self) -> int:
        return sum(ms for state, ms in self.state_ms.items() if state != "logged_out")

    @property
    def occupancy(self) -> float:
        busy = self.state_ms.get("on_call", 0) + self.state_ms.get("wrap_up", 0)
        total = busy + self.state_ms.get("available", 0) + self.state_ms.get("reserved", 0)
        return busy / total if total else 0.0


@dataclass
class QueueFigures:
    queue: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    overflowed: int = 0
    answered_within: int = 0
    answer_wait_ms: int = 0
    handled: int = 0
    talk_ms: int = 0
    wrap_ms: int = 0
    wrap_ups: int = 0
    service_level_percent: float = 0.0
    service_level_met: bool = False

    @property
    def average_speed_of_answer_ms(self) -> int:
        return self.answer_wait_ms // self.answered if self.answered else 0

    @property
    def average_handle_ms(self) -> int:
        return (self.talk_ms + self.wrap_ms) // self.handled if self.handled else 0

    @property
    def abandonment_rate_percent(self) -> float:
        return 100.0 * self.abandoned / self.offered if self.offered else 0.0


@dataclass
class OfferRecord:
    attempt: int
    agent_id: str
    outcome: str
    ring_ms: int


@dataclass
class CallRecord:
    call_id: str
    caller: str = ""
    queue: str = ""
    final_queue: str = ""
    received_ms: int | None = None
    answered_ms: int | None = None
    ended_ms: int | None = None
    outcome: str = "in_progress"
    agent_id: str = ""
    offers: list[OfferRecord] = field(default_factory=list)
    wait_ms: int = 0
    talk_ms: int = 0
    wrap_ms: int = 0
    recording_ids: list[str] = field(default_factory=list)
    lead_id: str = ""
    queues: list[str] = field(default_factory=list)  # every queue the call went through
    direction: str = "inbound"  # or "outbound"
    campaign_id: str = ""
    callback_id: str = ""
    not_connected_reason: str = ""

    @property
    def ring_ms(self) -> int:
        return sum(o.ring_ms for o in self.offers)


@dataclass(frozen=True)
class CallFilter:
    received: Range | None = None
    agent_id: str = ""
    queue: str = ""
    caller: str = ""
    outcome: str = ""  # "" = any
    missed_only: bool = False
    min_talk_ms: int | None = None
    max_talk_ms: int | None = None
    caller_contains: str = ""  # digits the caller number's digits contain
    call_id_contains: str = ""  # text the call id contains (with caller_contains: either)
    direction: str = ""  # "" = either, "inbound", "outbound"
    campaign_id: str = ""

    @property
    def searched(self) -> bool:
        return bool(self.caller_contains or self.call_id_contains)


@dataclass
class OutboundFigures:
    """One queue's, campaign's or agent's outbound figures (GetOutboundStats)."""

    id: str
    calls: int = 0
    declined: int = 0
    preview_timeouts: int = 0
    dialed: int = 0
    connected: int = 0
    not_connected: int = 0
    not_connected_by_reason: dict[str, int] = field(default_factory=dict)
    handled: int = 0
    conversations: int = 0
    talk_ms: int = 0
    wrap_ms: int = 0
    conversions: int = 0
    contacts_by_result: dict[str, int] = field(default_factory=dict)

    @property
    def contact_rate_percent(self) -> float:
        return 100.0 * self.connected / self.dialed if self.dialed else 0.0

    @property
    def conversion_rate_percent(self) -> float:
        return 100.0 * self.conversions / self.connected if self.connected else 0.0


@dataclass
class LeadFigures:
    lead_id: str
    stage: str = ""
    agent_id: str = ""
    created_ms: int = 0
    attempts_today: int = 0
    attempts_total: int = 0
    conversations: int = 0
    successful_touches: int = 0
    cadence: str = "pending"  # met, pending, broken
    cadence_attempts: int = 0
    improper_refusal: bool = False
    refused_by: str = ""
    refused_ms: int | None = None
    client_number: str = ""  # the client's phone number as CreateLead gave it
