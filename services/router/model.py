"""The router's domain objects and errors. Nothing here knows of gRPC, HTTP or Redis."""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.core import errors, queue_settings
from callcenter.core.call_states import FINAL_CALL_STATES

# Routing stages, in the order a call goes through them (see scripts/lib.lua).
STAGES = ("manager", "vip", "skilled", "anyone")
MAX_PRIORITY = 9
OFFER_OUTCOMES = ("answered", "no_answer", "rejected", "busy")
# How the PBX's dialling of an outbound call ended (ReportDialOutcome).
DIAL_OUTCOMES = ("answered", "no_answer", "busy", "failed", "agent_no_answer")
OUTBOUND_MODES = ("preview", "progressive")
CALLBACK_STATES = ("scheduled", "calling", "done", "cancelled", "failed")
#: How far ahead a callback may be scheduled ("remind after a year", S1.10), and its note.
MAX_CALLBACK_AHEAD_MS = 10 * 366 * 86_400_000
MAX_CALLBACK_NOTE = 500
MAX_CALLBACKS_LISTED = 1000
# Who ends an unanswered ring (PbxHello.ring_timer).
RING_TIMERS = ("router", "pbx")
# A PBX session's lease without a heartbeat.
MIN_LEASE_MS, MAX_LEASE_MS = 1_000, 300_000


@dataclass(frozen=True)
class PauseReason:
    """A reason an agent may be paused for: its code (PauseAgent, events) and its label."""

    code: str
    label: str
    automatic: bool = False


# The pause reasons the router sets by itself (always valid, never part of the configured list).
AUTOMATIC_PAUSE_REASONS = (PauseReason("no_answer", "Missed calls in a row", automatic=True),)
# The site's pause reasons until a list is configured (the router's config file
# [[pause_reasons]], or SetPauseReasons).
DEFAULT_PAUSE_REASONS = (
    PauseReason("lunch", "Lunch"),
    PauseReason("break", "Break"),
    PauseReason("training", "Training"),
    PauseReason("meeting", "Meeting"),
    PauseReason("coaching", "Coaching"),
    PauseReason("technical", "Technical problem"),
    PauseReason("supervisor", "Paused by a supervisor"),
)
MAX_PAUSE_REASONS = 50


# Names of agents and queues (no ',' '|' '#': they separate fields in Redis) are declared once,
# for every service, in callcenter/core/ids.py.
MAX_ATTRIBUTES = 32
MAX_ATTRIBUTE_LENGTH = 256
MAX_TEXT = 256


# The router's refusals are the kernel's (callcenter.core.errors), under the router's names.
RouterError = errors.DomainError
InvalidArgument = errors.InvalidArgument
NotFound = errors.NotFound
OutOfRange = errors.OutOfRange


class IllegalState(errors.FailedPrecondition):
    """The transition is not allowed from the current state (named in `state`)."""


class StaleOffer(IllegalState):
    """A report about an offer that is no longer the call's current one."""


class NotAllowed(IllegalState):
    """The queue's configuration forbids the transition."""


class LeaseLapsed(IllegalState):
    """A PBX session's lease lapsed before its heartbeat came; its calls have ended."""


# A queue's settings are declared once, in the kernel.
QueueConfig = queue_settings.QueueConfig


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    available_agents: int
    oldest_waiting_since_ms: int | None


@dataclass(frozen=True)
class AgentProfile:
    id: str
    name: str = ""
    endpoint: str = ""
    queues: tuple[str, ...] = ()
    skills: dict[str, int] = field(default_factory=dict)
    tier: int = 0


@dataclass(frozen=True)
class AgentStatus:
    agent_id: str
    state: str
    since_ms: int | None
    pause_reason: str = ""
    call_id: str = ""
    wrap_up_ends_ms: int | None = None
    queues: tuple[str, ...] = ()
    calls_answered: int = 0
    pending_pause_reason: str = ""  # a pause asked for after the current call
    pending_pause_by: str = ""


@dataclass(frozen=True)
class Offer:
    offer_id: str
    agent_id: str
    endpoint: str
    ring_timeout_ms: int
    expires_at_ms: int
    attempt: int


@dataclass(frozen=True)
class CallView:
    call_id: str
    caller: str
    queue: str
    state: str
    version: int
    offers: int
    received_ms: int
    offer: Offer | None = None
    queue_position: int = 0
    agent_id: str = ""
    answered_ms: int | None = None
    ended_ms: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    priority: int = 0
    personal_manager_id: str = ""
    stage: str = ""
    estimated_wait_ms: int | None = None
    redirect_to: str = ""
    pbx_id: str = ""
    end_reason: str = ""
    direction: str = "inbound"  # or "outbound"
    outbound_mode: str = ""  # an outbound call's: preview | progressive
    campaign_id: str = ""
    callback_id: str = ""
    deal_id: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL_CALL_STATES


#: The most calls ListQueueCalls returns in each of its lists.
MAX_QUEUE_CALLS = 500

#: Bounds of a team (S2.3): members, supervisors, and how many teams there may be.
MAX_TEAM_MEMBERS = 500
MAX_TEAM_SUPERVISORS = 50
MAX_TEAMS = 1000


@dataclass(frozen=True)
class QueueCalls:
    """A queue's live calls (ListQueueCalls): waiting by position, ringing or connected by age."""

    waiting: list[CallView]
    active: list[CallView]
    waiting_total: int
    active_total: int


@dataclass(frozen=True)
class Client:
    """An entry of the caller list: a client the CRM knows, their priority and manager, their
    time zone (campaigns' calling hours) and attributes (what segments select them by)."""

    number: str
    name: str = ""
    priority: int = 0
    manager_id: str = ""
    time_zone: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Callback:
    """A callback (S1.10): call this number back at due_ms, agent_id first."""

    callback_id: str
    number: str
    queue: str
    due_ms: int
    agent_id: str = ""
    deal_id: str = ""
    note: str = ""
    state: str = "scheduled"
    origin: str = ""
    attempts: int = 0
    call_id: str = ""
    ended_reason: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class Team:
    """A team (S2.3): agents grouped so tasks and figures go to the whole group, and the
    gateway users who supervise it."""

    team_id: str
    name: str = ""
    member_agent_ids: tuple[str, ...] = ()
    supervisor_usernames: tuple[str, ...] = ()


@dataclass(frozen=True)
class PbxSession:
    """A PBX's session as opened: its lease and the newest sequence of its stream."""

    pbx_id: str
    sequence: int
    lease_ms: int
    lease_until_ms: int
    ring_timer: str
    open_calls: int


@dataclass(frozen=True)
class PbxMessage:
    """One message of a PBX's stream: a change of one of its calls."""

    sequence: int
    kind: str
    call: CallView
    offer_id: str
    reason: str
    time_ms: int


@dataclass(frozen=True)
class TimerRound:
    """What one run of the timer script did, by the Redis clock."""

    fired: int
    late_ms: int
    now_ms: int
    next_ms: int | None
