import datetime

from callcenter.api.common.v1 import states_pb2 as _states_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_DIRECTION_UNSPECIFIED: _ClassVar[CallDirection]
    CALL_DIRECTION_INBOUND: _ClassVar[CallDirection]
    CALL_DIRECTION_OUTBOUND: _ClassVar[CallDirection]

class OutboundMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTBOUND_MODE_UNSPECIFIED: _ClassVar[OutboundMode]
    OUTBOUND_MODE_PREVIEW: _ClassVar[OutboundMode]
    OUTBOUND_MODE_PROGRESSIVE: _ClassVar[OutboundMode]

class DialOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIAL_OUTCOME_UNSPECIFIED: _ClassVar[DialOutcome]
    DIAL_OUTCOME_ANSWERED: _ClassVar[DialOutcome]
    DIAL_OUTCOME_NO_ANSWER: _ClassVar[DialOutcome]
    DIAL_OUTCOME_BUSY: _ClassVar[DialOutcome]
    DIAL_OUTCOME_FAILED: _ClassVar[DialOutcome]
    DIAL_OUTCOME_AGENT_NO_ANSWER: _ClassVar[DialOutcome]

class CallbackState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALLBACK_STATE_UNSPECIFIED: _ClassVar[CallbackState]
    CALLBACK_STATE_SCHEDULED: _ClassVar[CallbackState]
    CALLBACK_STATE_CALLING: _ClassVar[CallbackState]
    CALLBACK_STATE_DONE: _ClassVar[CallbackState]
    CALLBACK_STATE_CANCELLED: _ClassVar[CallbackState]
    CALLBACK_STATE_FAILED: _ClassVar[CallbackState]

class SkillOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SKILL_ORDER_UNSPECIFIED: _ClassVar[SkillOrder]
    SKILL_ORDER_HIGHEST_FIRST: _ClassVar[SkillOrder]
    SKILL_ORDER_LOWEST_FIRST: _ClassVar[SkillOrder]

class RoutingStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_STAGE_UNSPECIFIED: _ClassVar[RoutingStage]
    ROUTING_STAGE_PERSONAL_MANAGER: _ClassVar[RoutingStage]
    ROUTING_STAGE_VIP: _ClassVar[RoutingStage]
    ROUTING_STAGE_SKILLED: _ClassVar[RoutingStage]
    ROUTING_STAGE_ANYONE: _ClassVar[RoutingStage]

class Strategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STRATEGY_UNSPECIFIED: _ClassVar[Strategy]
    STRATEGY_LONGEST_IDLE: _ClassVar[Strategy]
    STRATEGY_ROUND_ROBIN: _ClassVar[Strategy]
    STRATEGY_FEWEST_CALLS: _ClassVar[Strategy]

class RingTimer(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RING_TIMER_UNSPECIFIED: _ClassVar[RingTimer]
    RING_TIMER_ROUTER: _ClassVar[RingTimer]
    RING_TIMER_PBX: _ClassVar[RingTimer]

class PbxCallEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PBX_CALL_EVENT_KIND_UNSPECIFIED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_OFFERED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_OFFER_CANCELLED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_QUEUED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_POSITION_CHANGED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_CONNECTED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_ENDED: _ClassVar[PbxCallEventKind]
    PBX_CALL_EVENT_KIND_ORIGINATE: _ClassVar[PbxCallEventKind]

class OfferOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFER_OUTCOME_UNSPECIFIED: _ClassVar[OfferOutcome]
    OFFER_OUTCOME_ANSWERED: _ClassVar[OfferOutcome]
    OFFER_OUTCOME_NO_ANSWER: _ClassVar[OfferOutcome]
    OFFER_OUTCOME_REJECTED: _ClassVar[OfferOutcome]
    OFFER_OUTCOME_BUSY: _ClassVar[OfferOutcome]
CALL_DIRECTION_UNSPECIFIED: CallDirection
CALL_DIRECTION_INBOUND: CallDirection
CALL_DIRECTION_OUTBOUND: CallDirection
OUTBOUND_MODE_UNSPECIFIED: OutboundMode
OUTBOUND_MODE_PREVIEW: OutboundMode
OUTBOUND_MODE_PROGRESSIVE: OutboundMode
DIAL_OUTCOME_UNSPECIFIED: DialOutcome
DIAL_OUTCOME_ANSWERED: DialOutcome
DIAL_OUTCOME_NO_ANSWER: DialOutcome
DIAL_OUTCOME_BUSY: DialOutcome
DIAL_OUTCOME_FAILED: DialOutcome
DIAL_OUTCOME_AGENT_NO_ANSWER: DialOutcome
CALLBACK_STATE_UNSPECIFIED: CallbackState
CALLBACK_STATE_SCHEDULED: CallbackState
CALLBACK_STATE_CALLING: CallbackState
CALLBACK_STATE_DONE: CallbackState
CALLBACK_STATE_CANCELLED: CallbackState
CALLBACK_STATE_FAILED: CallbackState
SKILL_ORDER_UNSPECIFIED: SkillOrder
SKILL_ORDER_HIGHEST_FIRST: SkillOrder
SKILL_ORDER_LOWEST_FIRST: SkillOrder
ROUTING_STAGE_UNSPECIFIED: RoutingStage
ROUTING_STAGE_PERSONAL_MANAGER: RoutingStage
ROUTING_STAGE_VIP: RoutingStage
ROUTING_STAGE_SKILLED: RoutingStage
ROUTING_STAGE_ANYONE: RoutingStage
STRATEGY_UNSPECIFIED: Strategy
STRATEGY_LONGEST_IDLE: Strategy
STRATEGY_ROUND_ROBIN: Strategy
STRATEGY_FEWEST_CALLS: Strategy
RING_TIMER_UNSPECIFIED: RingTimer
RING_TIMER_ROUTER: RingTimer
RING_TIMER_PBX: RingTimer
PBX_CALL_EVENT_KIND_UNSPECIFIED: PbxCallEventKind
PBX_CALL_EVENT_KIND_OFFERED: PbxCallEventKind
PBX_CALL_EVENT_KIND_OFFER_CANCELLED: PbxCallEventKind
PBX_CALL_EVENT_KIND_QUEUED: PbxCallEventKind
PBX_CALL_EVENT_KIND_POSITION_CHANGED: PbxCallEventKind
PBX_CALL_EVENT_KIND_CONNECTED: PbxCallEventKind
PBX_CALL_EVENT_KIND_ENDED: PbxCallEventKind
PBX_CALL_EVENT_KIND_ORIGINATE: PbxCallEventKind
OFFER_OUTCOME_UNSPECIFIED: OfferOutcome
OFFER_OUTCOME_ANSWERED: OfferOutcome
OFFER_OUTCOME_NO_ANSWER: OfferOutcome
OFFER_OUTCOME_REJECTED: OfferOutcome
OFFER_OUTCOME_BUSY: OfferOutcome

class Queue(_message.Message):
    __slots__ = ("name", "ring_timeout", "wrap_up", "strategy", "max_wait", "retry_delay", "allow_early_wrap_up_end", "dialed_numbers", "counts", "vip_min_tier", "vip_overflow", "sticky", "manager_wait", "required_skills", "skill_order", "skill_relax", "max_no_answer", "max_queue_length", "overflow_queue", "fallback", "max_call_lifetime", "outbound_share", "preview_timeout", "dial_timeout", "outbound_pbx", "callback_after_missed", "chat_capacity", "mix_chats_and_calls", "first_response", "reply", "idle_close")
    class RequiredSkillsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    RING_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_FIELD_NUMBER: _ClassVar[int]
    RETRY_DELAY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_EARLY_WRAP_UP_END_FIELD_NUMBER: _ClassVar[int]
    DIALED_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    VIP_MIN_TIER_FIELD_NUMBER: _ClassVar[int]
    VIP_OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    STICKY_FIELD_NUMBER: _ClassVar[int]
    MANAGER_WAIT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    SKILL_ORDER_FIELD_NUMBER: _ClassVar[int]
    SKILL_RELAX_FIELD_NUMBER: _ClassVar[int]
    MAX_NO_ANSWER_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_QUEUE_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    MAX_CALL_LIFETIME_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_SHARE_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    DIAL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_PBX_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_AFTER_MISSED_FIELD_NUMBER: _ClassVar[int]
    CHAT_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    MIX_CHATS_AND_CALLS_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    IDLE_CLOSE_FIELD_NUMBER: _ClassVar[int]
    name: str
    ring_timeout: _duration_pb2.Duration
    wrap_up: _duration_pb2.Duration
    strategy: Strategy
    max_wait: _duration_pb2.Duration
    retry_delay: _duration_pb2.Duration
    allow_early_wrap_up_end: bool
    dialed_numbers: _containers.RepeatedScalarFieldContainer[str]
    counts: QueueCounts
    vip_min_tier: int
    vip_overflow: _duration_pb2.Duration
    sticky: bool
    manager_wait: _duration_pb2.Duration
    required_skills: _containers.ScalarMap[str, int]
    skill_order: SkillOrder
    skill_relax: _duration_pb2.Duration
    max_no_answer: int
    max_queue_length: int
    overflow_queue: str
    fallback: str
    max_call_lifetime: _duration_pb2.Duration
    outbound_share: int
    preview_timeout: _duration_pb2.Duration
    dial_timeout: _duration_pb2.Duration
    outbound_pbx: str
    callback_after_missed: _duration_pb2.Duration
    chat_capacity: int
    mix_chats_and_calls: bool
    first_response: _duration_pb2.Duration
    reply: _duration_pb2.Duration
    idle_close: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., ring_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wrap_up: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., strategy: _Optional[_Union[Strategy, str]] = ..., max_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., allow_early_wrap_up_end: _Optional[bool] = ..., dialed_numbers: _Optional[_Iterable[str]] = ..., counts: _Optional[_Union[QueueCounts, _Mapping]] = ..., vip_min_tier: _Optional[int] = ..., vip_overflow: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., sticky: _Optional[bool] = ..., manager_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., required_skills: _Optional[_Mapping[str, int]] = ..., skill_order: _Optional[_Union[SkillOrder, str]] = ..., skill_relax: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_no_answer: _Optional[int] = ..., max_queue_length: _Optional[int] = ..., overflow_queue: _Optional[str] = ..., fallback: _Optional[str] = ..., max_call_lifetime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., outbound_share: _Optional[int] = ..., preview_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., dial_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., outbound_pbx: _Optional[str] = ..., callback_after_missed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., chat_capacity: _Optional[int] = ..., mix_chats_and_calls: _Optional[bool] = ..., first_response: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., reply: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., idle_close: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class QueueCounts(_message.Message):
    __slots__ = ("waiting", "available_agents", "oldest_waiting_since")
    WAITING_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_AGENTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_WAITING_SINCE_FIELD_NUMBER: _ClassVar[int]
    waiting: int
    available_agents: int
    oldest_waiting_since: _timestamp_pb2.Timestamp
    def __init__(self, waiting: _Optional[int] = ..., available_agents: _Optional[int] = ..., oldest_waiting_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Agent(_message.Message):
    __slots__ = ("id", "name", "endpoint", "queues", "skills", "tier", "status")
    class SkillsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    endpoint: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    skills: _containers.ScalarMap[str, int]
    tier: int
    status: AgentStatus
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., endpoint: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., skills: _Optional[_Mapping[str, int]] = ..., tier: _Optional[int] = ..., status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class AgentStatus(_message.Message):
    __slots__ = ("agent_id", "state", "state_since", "pause_reason", "call_id", "wrap_up_ends_at", "queues", "calls_answered", "pending_pause_reason", "pending_pause_by")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_SINCE_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    CALLS_ANSWERED_FIELD_NUMBER: _ClassVar[int]
    PENDING_PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    PENDING_PAUSE_BY_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    state: _states_pb2.AgentState
    state_since: _timestamp_pb2.Timestamp
    pause_reason: str
    call_id: str
    wrap_up_ends_at: _timestamp_pb2.Timestamp
    queues: _containers.RepeatedScalarFieldContainer[str]
    calls_answered: int
    pending_pause_reason: str
    pending_pause_by: str
    def __init__(self, agent_id: _Optional[str] = ..., state: _Optional[_Union[_states_pb2.AgentState, str]] = ..., state_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pause_reason: _Optional[str] = ..., call_id: _Optional[str] = ..., wrap_up_ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queues: _Optional[_Iterable[str]] = ..., calls_answered: _Optional[int] = ..., pending_pause_reason: _Optional[str] = ..., pending_pause_by: _Optional[str] = ...) -> None: ...

class PauseReason(_message.Message):
    __slots__ = ("code", "label", "automatic")
    CODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    AUTOMATIC_FIELD_NUMBER: _ClassVar[int]
    code: str
    label: str
    automatic: bool
    def __init__(self, code: _Optional[str] = ..., label: _Optional[str] = ..., automatic: _Optional[bool] = ...) -> None: ...

class Offer(_message.Message):
    __slots__ = ("offer_id", "agent_id", "endpoint", "ring_timeout", "expires_at", "attempt")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    RING_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    agent_id: str
    endpoint: str
    ring_timeout: _duration_pb2.Duration
    expires_at: _timestamp_pb2.Timestamp
    attempt: int
    def __init__(self, offer_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., endpoint: _Optional[str] = ..., ring_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ...) -> None: ...

class Call(_message.Message):
    __slots__ = ("call_id", "caller", "queue", "state", "offer", "queue_position", "agent_id", "received_at", "answered_at", "ended_at", "attributes", "version", "offers", "priority", "personal_manager_id", "stage", "estimated_wait", "redirect_to", "pbx_id", "end_reason", "direction", "outbound_mode", "campaign_id", "callback_id", "deal_id")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OFFER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_TO_FIELD_NUMBER: _ClassVar[int]
    PBX_ID_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_MODE_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_ID_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    caller: str
    queue: str
    state: _states_pb2.CallState
    offer: Offer
    queue_position: int
    agent_id: str
    received_at: _timestamp_pb2.Timestamp
    answered_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    attributes: _containers.ScalarMap[str, str]
    version: int
    offers: int
    priority: int
    personal_manager_id: str
    stage: RoutingStage
    estimated_wait: _duration_pb2.Duration
    redirect_to: str
    pbx_id: str
    end_reason: str
    direction: CallDirection
    outbound_mode: OutboundMode
    campaign_id: str
    callback_id: str
    deal_id: str
    def __init__(self, call_id: _Optional[str] = ..., caller: _Optional[str] = ..., queue: _Optional[str] = ..., state: _Optional[_Union[_states_pb2.CallState, str]] = ..., offer: _Optional[_Union[Offer, _Mapping]] = ..., queue_position: _Optional[int] = ..., agent_id: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., answered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., version: _Optional[int] = ..., offers: _Optional[int] = ..., priority: _Optional[int] = ..., personal_manager_id: _Optional[str] = ..., stage: _Optional[_Union[RoutingStage, str]] = ..., estimated_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., redirect_to: _Optional[str] = ..., pbx_id: _Optional[str] = ..., end_reason: _Optional[str] = ..., direction: _Optional[_Union[CallDirection, str]] = ..., outbound_mode: _Optional[_Union[OutboundMode, str]] = ..., campaign_id: _Optional[str] = ..., callback_id: _Optional[str] = ..., deal_id: _Optional[str] = ...) -> None: ...

class Client(_message.Message):
    __slots__ = ("number", "name", "priority", "manager_id", "time_zone", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    number: str
    name: str
    priority: int
    manager_id: str
    time_zone: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, number: _Optional[str] = ..., name: _Optional[str] = ..., priority: _Optional[int] = ..., manager_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Team(_message.Message):
    __slots__ = ("team_id", "name", "member_agent_ids", "supervisor_usernames")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    SUPERVISOR_USERNAMES_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    name: str
    member_agent_ids: _containers.RepeatedScalarFieldContainer[str]
    supervisor_usernames: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, team_id: _Optional[str] = ..., name: _Optional[str] = ..., member_agent_ids: _Optional[_Iterable[str]] = ..., supervisor_usernames: _Optional[_Iterable[str]] = ...) -> None: ...

class UpsertQueueRequest(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class UpsertQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class GetQueueRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class ListQueuesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListQueuesResponse(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[Queue]
    def __init__(self, queues: _Optional[_Iterable[_Union[Queue, _Mapping]]] = ...) -> None: ...

class UpsertAgentRequest(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class UpsertAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class GetAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents",)
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    def __init__(self, agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ...) -> None: ...

class LoginAgentRequest(_message.Message):
    __slots__ = ("agent_id", "pause_reason")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    pause_reason: str
    def __init__(self, agent_id: _Optional[str] = ..., pause_reason: _Optional[str] = ...) -> None: ...

class LoginAgentResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: AgentStatus
    def __init__(self, status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class LogoutAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class LogoutAgentResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: AgentStatus
    def __init__(self, status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class PauseAgentRequest(_message.Message):
    __slots__ = ("agent_id", "reason", "after_current_call")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AFTER_CURRENT_CALL_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    reason: str
    after_current_call: bool
    def __init__(self, agent_id: _Optional[str] = ..., reason: _Optional[str] = ..., after_current_call: _Optional[bool] = ...) -> None: ...

class PauseAgentResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: AgentStatus
    def __init__(self, status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class ResumeAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class ResumeAgentResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: AgentStatus
    def __init__(self, status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class ListPauseReasonsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPauseReasonsResponse(_message.Message):
    __slots__ = ("reasons",)
    REASONS_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[PauseReason]
    def __init__(self, reasons: _Optional[_Iterable[_Union[PauseReason, _Mapping]]] = ...) -> None: ...

class SetPauseReasonsRequest(_message.Message):
    __slots__ = ("reasons",)
    REASONS_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[PauseReason]
    def __init__(self, reasons: _Optional[_Iterable[_Union[PauseReason, _Mapping]]] = ...) -> None: ...

class SetPauseReasonsResponse(_message.Message):
    __slots__ = ("reasons",)
    REASONS_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[PauseReason]
    def __init__(self, reasons: _Optional[_Iterable[_Union[PauseReason, _Mapping]]] = ...) -> None: ...

class EndWrapUpRequest(_message.Message):
    __slots__ = ("agent_id", "force")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    force: bool
    def __init__(self, agent_id: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class EndWrapUpResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: AgentStatus
    def __init__(self, status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class ExtendWrapUpRequest(_message.Message):
    __slots__ = ("agent_id", "extra")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    extra: _duration_pb2.Duration
    def __init__(self, agent_id: _Optional[str] = ..., extra: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ExtendWrapUpResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: AgentStatus
    def __init__(self, status: _Optional[_Union[AgentStatus, _Mapping]] = ...) -> None: ...

class RouteCallRequest(_message.Message):
    __slots__ = ("call_id", "caller", "queue", "dialed_number", "attributes", "priority", "personal_manager_id", "pbx_id", "deal_id")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    DIALED_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    PBX_ID_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    caller: str
    queue: str
    dialed_number: str
    attributes: _containers.ScalarMap[str, str]
    priority: int
    personal_manager_id: str
    pbx_id: str
    deal_id: str
    def __init__(self, call_id: _Optional[str] = ..., caller: _Optional[str] = ..., queue: _Optional[str] = ..., dialed_number: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., priority: _Optional[int] = ..., personal_manager_id: _Optional[str] = ..., pbx_id: _Optional[str] = ..., deal_id: _Optional[str] = ...) -> None: ...

class RouteCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class ReportOfferOutcomeRequest(_message.Message):
    __slots__ = ("call_id", "offer_id", "outcome")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    offer_id: str
    outcome: OfferOutcome
    def __init__(self, call_id: _Optional[str] = ..., offer_id: _Optional[str] = ..., outcome: _Optional[_Union[OfferOutcome, str]] = ...) -> None: ...

class ReportOfferOutcomeResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class HangupCallRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class HangupCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class GetCallRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class GetCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class WatchCallRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class WatchCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class MoveCallToAgentRequest(_message.Message):
    __slots__ = ("call_id", "agent_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    agent_id: str
    def __init__(self, call_id: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class MoveCallToAgentResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class MoveCallToQueueRequest(_message.Message):
    __slots__ = ("call_id", "queue")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    queue: str
    def __init__(self, call_id: _Optional[str] = ..., queue: _Optional[str] = ...) -> None: ...

class MoveCallToQueueResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class EndCallRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class EndCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class ReassignCallRequest(_message.Message):
    __slots__ = ("call_id", "agent_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    agent_id: str
    def __init__(self, call_id: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class ReassignCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class ListQueueCallsRequest(_message.Message):
    __slots__ = ("queue", "page_size")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    page_size: int
    def __init__(self, queue: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListQueueCallsResponse(_message.Message):
    __slots__ = ("waiting_calls", "active_calls", "waiting_total", "active_total")
    WAITING_CALLS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_CALLS_FIELD_NUMBER: _ClassVar[int]
    WAITING_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    waiting_calls: _containers.RepeatedCompositeFieldContainer[Call]
    active_calls: _containers.RepeatedCompositeFieldContainer[Call]
    waiting_total: int
    active_total: int
    def __init__(self, waiting_calls: _Optional[_Iterable[_Union[Call, _Mapping]]] = ..., active_calls: _Optional[_Iterable[_Union[Call, _Mapping]]] = ..., waiting_total: _Optional[int] = ..., active_total: _Optional[int] = ...) -> None: ...

class DeleteAgentRequest(_message.Message):
    __slots__ = ("agent_id", "clients_to_agent_id", "release_clients")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENTS_TO_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RELEASE_CLIENTS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    clients_to_agent_id: str
    release_clients: bool
    def __init__(self, agent_id: _Optional[str] = ..., clients_to_agent_id: _Optional[str] = ..., release_clients: _Optional[bool] = ...) -> None: ...

class DeleteAgentResponse(_message.Message):
    __slots__ = ("clients_moved",)
    CLIENTS_MOVED_FIELD_NUMBER: _ClassVar[int]
    clients_moved: int
    def __init__(self, clients_moved: _Optional[int] = ...) -> None: ...

class UpsertClientRequest(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: Client
    def __init__(self, client: _Optional[_Union[Client, _Mapping]] = ...) -> None: ...

class UpsertClientResponse(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: Client
    def __init__(self, client: _Optional[_Union[Client, _Mapping]] = ...) -> None: ...

class GetClientRequest(_message.Message):
    __slots__ = ("number",)
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: str
    def __init__(self, number: _Optional[str] = ...) -> None: ...

class GetClientResponse(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: Client
    def __init__(self, client: _Optional[_Union[Client, _Mapping]] = ...) -> None: ...

class ListClientsRequest(_message.Message):
    __slots__ = ("manager_id",)
    MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    manager_id: str
    def __init__(self, manager_id: _Optional[str] = ...) -> None: ...

class ListClientsResponse(_message.Message):
    __slots__ = ("clients",)
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    clients: _containers.RepeatedCompositeFieldContainer[Client]
    def __init__(self, clients: _Optional[_Iterable[_Union[Client, _Mapping]]] = ...) -> None: ...

class ReassignClientsRequest(_message.Message):
    __slots__ = ("from_agent_id", "to_agent_id", "numbers")
    FROM_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    from_agent_id: str
    to_agent_id: str
    numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, from_agent_id: _Optional[str] = ..., to_agent_id: _Optional[str] = ..., numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class ReassignClientsResponse(_message.Message):
    __slots__ = ("clients_moved",)
    CLIENTS_MOVED_FIELD_NUMBER: _ClassVar[int]
    clients_moved: int
    def __init__(self, clients_moved: _Optional[int] = ...) -> None: ...

class UpsertTeamRequest(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class UpsertTeamResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class GetTeamRequest(_message.Message):
    __slots__ = ("team_id",)
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    def __init__(self, team_id: _Optional[str] = ...) -> None: ...

class GetTeamResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class ListTeamsRequest(_message.Message):
    __slots__ = ("supervisor_username", "member_agent_id")
    SUPERVISOR_USERNAME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    supervisor_username: str
    member_agent_id: str
    def __init__(self, supervisor_username: _Optional[str] = ..., member_agent_id: _Optional[str] = ...) -> None: ...

class ListTeamsResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[Team]
    def __init__(self, teams: _Optional[_Iterable[_Union[Team, _Mapping]]] = ...) -> None: ...

class DeleteTeamRequest(_message.Message):
    __slots__ = ("team_id",)
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    def __init__(self, team_id: _Optional[str] = ...) -> None: ...

class DeleteTeamResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PbxSessionRequest(_message.Message):
    __slots__ = ("hello", "heartbeat")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    hello: PbxHello
    heartbeat: PbxHeartbeat
    def __init__(self, hello: _Optional[_Union[PbxHello, _Mapping]] = ..., heartbeat: _Optional[_Union[PbxHeartbeat, _Mapping]] = ...) -> None: ...

class PbxHello(_message.Message):
    __slots__ = ("pbx_id", "lease", "resume_after_sequence", "ring_timer", "end_open_calls")
    PBX_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    RESUME_AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RING_TIMER_FIELD_NUMBER: _ClassVar[int]
    END_OPEN_CALLS_FIELD_NUMBER: _ClassVar[int]
    pbx_id: str
    lease: _duration_pb2.Duration
    resume_after_sequence: int
    ring_timer: RingTimer
    end_open_calls: bool
    def __init__(self, pbx_id: _Optional[str] = ..., lease: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., resume_after_sequence: _Optional[int] = ..., ring_timer: _Optional[_Union[RingTimer, str]] = ..., end_open_calls: _Optional[bool] = ...) -> None: ...

class PbxHeartbeat(_message.Message):
    __slots__ = ("handled_sequence",)
    HANDLED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    handled_sequence: int
    def __init__(self, handled_sequence: _Optional[int] = ...) -> None: ...

class PbxSessionResponse(_message.Message):
    __slots__ = ("opened", "events")
    OPENED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    opened: PbxSessionOpened
    events: PbxCallEvents
    def __init__(self, opened: _Optional[_Union[PbxSessionOpened, _Mapping]] = ..., events: _Optional[_Union[PbxCallEvents, _Mapping]] = ...) -> None: ...

class PbxCallEvents(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[PbxCallEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[PbxCallEvent, _Mapping]]] = ...) -> None: ...

class PbxSessionOpened(_message.Message):
    __slots__ = ("pbx_id", "sequence", "lease", "lease_expires_at", "ring_timer", "ring_grace", "open_calls")
    PBX_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    RING_TIMER_FIELD_NUMBER: _ClassVar[int]
    RING_GRACE_FIELD_NUMBER: _ClassVar[int]
    OPEN_CALLS_FIELD_NUMBER: _ClassVar[int]
    pbx_id: str
    sequence: int
    lease: _duration_pb2.Duration
    lease_expires_at: _timestamp_pb2.Timestamp
    ring_timer: RingTimer
    ring_grace: _duration_pb2.Duration
    open_calls: int
    def __init__(self, pbx_id: _Optional[str] = ..., sequence: _Optional[int] = ..., lease: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ring_timer: _Optional[_Union[RingTimer, str]] = ..., ring_grace: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., open_calls: _Optional[int] = ...) -> None: ...

class PbxCallEvent(_message.Message):
    __slots__ = ("sequence", "kind", "call", "offer_id", "reason", "time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    kind: PbxCallEventKind
    call: Call
    offer_id: str
    reason: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., kind: _Optional[_Union[PbxCallEventKind, str]] = ..., call: _Optional[_Union[Call, _Mapping]] = ..., offer_id: _Optional[str] = ..., reason: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateOutboundCallRequest(_message.Message):
    __slots__ = ("call_id", "number", "queue", "mode", "pbx_id", "agent_id", "deal_id", "attributes", "priority")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    PBX_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    number: str
    queue: str
    mode: OutboundMode
    pbx_id: str
    agent_id: str
    deal_id: str
    attributes: _containers.ScalarMap[str, str]
    priority: int
    def __init__(self, call_id: _Optional[str] = ..., number: _Optional[str] = ..., queue: _Optional[str] = ..., mode: _Optional[_Union[OutboundMode, str]] = ..., pbx_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., deal_id: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., priority: _Optional[int] = ...) -> None: ...

class CreateOutboundCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AcceptOutboundCallRequest(_message.Message):
    __slots__ = ("call_id", "offer_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    offer_id: str
    def __init__(self, call_id: _Optional[str] = ..., offer_id: _Optional[str] = ...) -> None: ...

class AcceptOutboundCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class DeclineOutboundCallRequest(_message.Message):
    __slots__ = ("call_id", "offer_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    offer_id: str
    def __init__(self, call_id: _Optional[str] = ..., offer_id: _Optional[str] = ...) -> None: ...

class DeclineOutboundCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class ReportDialOutcomeRequest(_message.Message):
    __slots__ = ("call_id", "offer_id", "outcome")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    offer_id: str
    outcome: DialOutcome
    def __init__(self, call_id: _Optional[str] = ..., offer_id: _Optional[str] = ..., outcome: _Optional[_Union[DialOutcome, str]] = ...) -> None: ...

class ReportDialOutcomeResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class Callback(_message.Message):
    __slots__ = ("callback_id", "number", "queue", "due_at", "agent_id", "deal_id", "note", "state", "origin", "attempts", "call_id", "ended_reason", "created_by")
    CALLBACK_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    ENDED_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    callback_id: str
    number: str
    queue: str
    due_at: _timestamp_pb2.Timestamp
    agent_id: str
    deal_id: str
    note: str
    state: CallbackState
    origin: str
    attempts: int
    call_id: str
    ended_reason: str
    created_by: str
    def __init__(self, callback_id: _Optional[str] = ..., number: _Optional[str] = ..., queue: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ..., deal_id: _Optional[str] = ..., note: _Optional[str] = ..., state: _Optional[_Union[CallbackState, str]] = ..., origin: _Optional[str] = ..., attempts: _Optional[int] = ..., call_id: _Optional[str] = ..., ended_reason: _Optional[str] = ..., created_by: _Optional[str] = ...) -> None: ...

class ScheduleCallbackRequest(_message.Message):
    __slots__ = ("callback",)
    CALLBACK_FIELD_NUMBER: _ClassVar[int]
    callback: Callback
    def __init__(self, callback: _Optional[_Union[Callback, _Mapping]] = ...) -> None: ...

class ScheduleCallbackResponse(_message.Message):
    __slots__ = ("callback",)
    CALLBACK_FIELD_NUMBER: _ClassVar[int]
    callback: Callback
    def __init__(self, callback: _Optional[_Union[Callback, _Mapping]] = ...) -> None: ...

class CancelCallbackRequest(_message.Message):
    __slots__ = ("callback_id",)
    CALLBACK_ID_FIELD_NUMBER: _ClassVar[int]
    callback_id: str
    def __init__(self, callback_id: _Optional[str] = ...) -> None: ...

class CancelCallbackResponse(_message.Message):
    __slots__ = ("callback",)
    CALLBACK_FIELD_NUMBER: _ClassVar[int]
    callback: Callback
    def __init__(self, callback: _Optional[_Union[Callback, _Mapping]] = ...) -> None: ...

class GetCallbackRequest(_message.Message):
    __slots__ = ("callback_id",)
    CALLBACK_ID_FIELD_NUMBER: _ClassVar[int]
    callback_id: str
    def __init__(self, callback_id: _Optional[str] = ...) -> None: ...

class GetCallbackResponse(_message.Message):
    __slots__ = ("callback",)
    CALLBACK_FIELD_NUMBER: _ClassVar[int]
    callback: Callback
    def __init__(self, callback: _Optional[_Union[Callback, _Mapping]] = ...) -> None: ...

class ListCallbacksRequest(_message.Message):
    __slots__ = ("agent_id", "queue", "include_ended", "page_size")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ENDED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    queue: str
    include_ended: bool
    page_size: int
    def __init__(self, agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., include_ended: _Optional[bool] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListCallbacksResponse(_message.Message):
    __slots__ = ("callbacks",)
    CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    callbacks: _containers.RepeatedCompositeFieldContainer[Callback]
    def __init__(self, callbacks: _Optional[_Iterable[_Union[Callback, _Mapping]]] = ...) -> None: ...
