import datetime

from callcenter.api.common.v1 import states_pb2 as _states_pb2
from callcenter.api.events.v1 import events_pb2 as _events_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SeriesBucket(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERIES_BUCKET_UNSPECIFIED: _ClassVar[SeriesBucket]
    SERIES_BUCKET_QUARTER_HOUR: _ClassVar[SeriesBucket]
    SERIES_BUCKET_HALF_HOUR: _ClassVar[SeriesBucket]
    SERIES_BUCKET_HOUR: _ClassVar[SeriesBucket]
    SERIES_BUCKET_DAY: _ClassVar[SeriesBucket]
    SERIES_BUCKET_WEEK: _ClassVar[SeriesBucket]
    SERIES_BUCKET_MONTH: _ClassVar[SeriesBucket]

class CallOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_OUTCOME_UNSPECIFIED: _ClassVar[CallOutcome]
    CALL_OUTCOME_IN_PROGRESS: _ClassVar[CallOutcome]
    CALL_OUTCOME_COMPLETED: _ClassVar[CallOutcome]
    CALL_OUTCOME_ABANDONED: _ClassVar[CallOutcome]
    CALL_OUTCOME_TIMED_OUT: _ClassVar[CallOutcome]
    CALL_OUTCOME_REDIRECTED: _ClassVar[CallOutcome]
    CALL_OUTCOME_NOT_CONNECTED: _ClassVar[CallOutcome]

class CallRecordDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_RECORD_DIRECTION_UNSPECIFIED: _ClassVar[CallRecordDirection]
    CALL_RECORD_DIRECTION_INBOUND: _ClassVar[CallRecordDirection]
    CALL_RECORD_DIRECTION_OUTBOUND: _ClassVar[CallRecordDirection]

class CadenceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CADENCE_STATUS_UNSPECIFIED: _ClassVar[CadenceStatus]
    CADENCE_STATUS_MET: _ClassVar[CadenceStatus]
    CADENCE_STATUS_PENDING: _ClassVar[CadenceStatus]
    CADENCE_STATUS_BROKEN: _ClassVar[CadenceStatus]

class LeadFilter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEAD_FILTER_UNSPECIFIED: _ClassVar[LeadFilter]
    LEAD_FILTER_NOT_CALLED: _ClassVar[LeadFilter]
    LEAD_FILTER_IMPROPER_REFUSAL: _ClassVar[LeadFilter]
    LEAD_FILTER_CADENCE_BROKEN: _ClassVar[LeadFilter]

class LeadChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEAD_CHANGE_KIND_UNSPECIFIED: _ClassVar[LeadChangeKind]
    LEAD_CHANGE_KIND_CREATED: _ClassVar[LeadChangeKind]
    LEAD_CHANGE_KIND_ASSIGNED: _ClassVar[LeadChangeKind]
    LEAD_CHANGE_KIND_STAGE: _ClassVar[LeadChangeKind]

class LeadFunnelGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEAD_FUNNEL_GROUPING_UNSPECIFIED: _ClassVar[LeadFunnelGrouping]
    LEAD_FUNNEL_GROUPING_AGENT: _ClassVar[LeadFunnelGrouping]
    LEAD_FUNNEL_GROUPING_TEAM: _ClassVar[LeadFunnelGrouping]

class ConversationGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONVERSATION_GROUPING_UNSPECIFIED: _ClassVar[ConversationGrouping]
    CONVERSATION_GROUPING_CHANNEL: _ClassVar[ConversationGrouping]
    CONVERSATION_GROUPING_TOPIC: _ClassVar[ConversationGrouping]
    CONVERSATION_GROUPING_AGENT: _ClassVar[ConversationGrouping]
    CONVERSATION_GROUPING_QUEUE: _ClassVar[ConversationGrouping]
SERIES_BUCKET_UNSPECIFIED: SeriesBucket
SERIES_BUCKET_QUARTER_HOUR: SeriesBucket
SERIES_BUCKET_HALF_HOUR: SeriesBucket
SERIES_BUCKET_HOUR: SeriesBucket
SERIES_BUCKET_DAY: SeriesBucket
SERIES_BUCKET_WEEK: SeriesBucket
SERIES_BUCKET_MONTH: SeriesBucket
CALL_OUTCOME_UNSPECIFIED: CallOutcome
CALL_OUTCOME_IN_PROGRESS: CallOutcome
CALL_OUTCOME_COMPLETED: CallOutcome
CALL_OUTCOME_ABANDONED: CallOutcome
CALL_OUTCOME_TIMED_OUT: CallOutcome
CALL_OUTCOME_REDIRECTED: CallOutcome
CALL_OUTCOME_NOT_CONNECTED: CallOutcome
CALL_RECORD_DIRECTION_UNSPECIFIED: CallRecordDirection
CALL_RECORD_DIRECTION_INBOUND: CallRecordDirection
CALL_RECORD_DIRECTION_OUTBOUND: CallRecordDirection
CADENCE_STATUS_UNSPECIFIED: CadenceStatus
CADENCE_STATUS_MET: CadenceStatus
CADENCE_STATUS_PENDING: CadenceStatus
CADENCE_STATUS_BROKEN: CadenceStatus
LEAD_FILTER_UNSPECIFIED: LeadFilter
LEAD_FILTER_NOT_CALLED: LeadFilter
LEAD_FILTER_IMPROPER_REFUSAL: LeadFilter
LEAD_FILTER_CADENCE_BROKEN: LeadFilter
LEAD_CHANGE_KIND_UNSPECIFIED: LeadChangeKind
LEAD_CHANGE_KIND_CREATED: LeadChangeKind
LEAD_CHANGE_KIND_ASSIGNED: LeadChangeKind
LEAD_CHANGE_KIND_STAGE: LeadChangeKind
LEAD_FUNNEL_GROUPING_UNSPECIFIED: LeadFunnelGrouping
LEAD_FUNNEL_GROUPING_AGENT: LeadFunnelGrouping
LEAD_FUNNEL_GROUPING_TEAM: LeadFunnelGrouping
CONVERSATION_GROUPING_UNSPECIFIED: ConversationGrouping
CONVERSATION_GROUPING_CHANNEL: ConversationGrouping
CONVERSATION_GROUPING_TOPIC: ConversationGrouping
CONVERSATION_GROUPING_AGENT: ConversationGrouping
CONVERSATION_GROUPING_QUEUE: ConversationGrouping

class Period(_message.Message):
    __slots__ = ("time_zone", "day", "hour", "range")
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    HOUR_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    time_zone: str
    day: str
    hour: _timestamp_pb2.Timestamp
    range: TimeRange
    def __init__(self, time_zone: _Optional[str] = ..., day: _Optional[str] = ..., hour: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentCounts(_message.Message):
    __slots__ = ("online", "available", "paused", "reserved", "on_call", "wrap_up")
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    ON_CALL_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_FIELD_NUMBER: _ClassVar[int]
    online: int
    available: int
    paused: int
    reserved: int
    on_call: int
    wrap_up: int
    def __init__(self, online: _Optional[int] = ..., available: _Optional[int] = ..., paused: _Optional[int] = ..., reserved: _Optional[int] = ..., on_call: _Optional[int] = ..., wrap_up: _Optional[int] = ...) -> None: ...

class BoardAgent(_message.Message):
    __slots__ = ("agent_id", "state", "state_since", "time_in_state", "call_id", "pause_reason", "queues")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_SINCE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_STATE_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    state: _states_pb2.AgentState
    state_since: _timestamp_pb2.Timestamp
    time_in_state: _duration_pb2.Duration
    call_id: str
    pause_reason: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, agent_id: _Optional[str] = ..., state: _Optional[_Union[_states_pb2.AgentState, str]] = ..., state_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_in_state: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., call_id: _Optional[str] = ..., pause_reason: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ...) -> None: ...

class BoardQueue(_message.Message):
    __slots__ = ("queue", "agents", "waiting", "ringing", "in_progress", "longest_wait", "overdue")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    RINGING_FIELD_NUMBER: _ClassVar[int]
    IN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    LONGEST_WAIT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    agents: AgentCounts
    waiting: int
    ringing: int
    in_progress: int
    longest_wait: _duration_pb2.Duration
    overdue: int
    def __init__(self, queue: _Optional[str] = ..., agents: _Optional[_Union[AgentCounts, _Mapping]] = ..., waiting: _Optional[int] = ..., ringing: _Optional[int] = ..., in_progress: _Optional[int] = ..., longest_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., overdue: _Optional[int] = ...) -> None: ...

class OverdueCall(_message.Message):
    __slots__ = ("call_id", "queue", "caller", "state", "received_at", "waited", "agent_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    WAITED_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    queue: str
    caller: str
    state: _states_pb2.CallState
    received_at: _timestamp_pb2.Timestamp
    waited: _duration_pb2.Duration
    agent_id: str
    def __init__(self, call_id: _Optional[str] = ..., queue: _Optional[str] = ..., caller: _Optional[str] = ..., state: _Optional[_Union[_states_pb2.CallState, str]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., waited: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., agent_id: _Optional[str] = ...) -> None: ...

class GetBoardRequest(_message.Message):
    __slots__ = ("overdue_after",)
    OVERDUE_AFTER_FIELD_NUMBER: _ClassVar[int]
    overdue_after: _duration_pb2.Duration
    def __init__(self, overdue_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetBoardResponse(_message.Message):
    __slots__ = ("generated_at", "agents_total", "agents", "queues", "overdue", "overdue_after")
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_AFTER_FIELD_NUMBER: _ClassVar[int]
    generated_at: _timestamp_pb2.Timestamp
    agents_total: AgentCounts
    agents: _containers.RepeatedCompositeFieldContainer[BoardAgent]
    queues: _containers.RepeatedCompositeFieldContainer[BoardQueue]
    overdue: _containers.RepeatedCompositeFieldContainer[OverdueCall]
    overdue_after: _duration_pb2.Duration
    def __init__(self, generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agents_total: _Optional[_Union[AgentCounts, _Mapping]] = ..., agents: _Optional[_Iterable[_Union[BoardAgent, _Mapping]]] = ..., queues: _Optional[_Iterable[_Union[BoardQueue, _Mapping]]] = ..., overdue: _Optional[_Iterable[_Union[OverdueCall, _Mapping]]] = ..., overdue_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchBoardRequest(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queues: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchBoardResponse(_message.Message):
    __slots__ = ("event", "agent", "queue")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    event: _events_pb2.Event
    agent: BoardAgent
    queue: BoardQueue
    def __init__(self, event: _Optional[_Union[_events_pb2.Event, _Mapping]] = ..., agent: _Optional[_Union[BoardAgent, _Mapping]] = ..., queue: _Optional[_Union[BoardQueue, _Mapping]] = ...) -> None: ...

class AgentStats(_message.Message):
    __slots__ = ("agent_id", "offered", "answered", "missed", "rejected", "busy", "caller_hung_up", "handled", "talk_time", "average_talk_time", "wrap_up_time", "pause_time", "available_time", "logged_in_time", "occupancy", "successful_touches", "score", "ring_time", "pause_time_by_reason")
    class PauseTimeByReasonEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _duration_pb2.Duration
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_FIELD_NUMBER: _ClassVar[int]
    MISSED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    BUSY_FIELD_NUMBER: _ClassVar[int]
    CALLER_HUNG_UP_FIELD_NUMBER: _ClassVar[int]
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_TIME_FIELD_NUMBER: _ClassVar[int]
    PAUSE_TIME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_TIME_FIELD_NUMBER: _ClassVar[int]
    LOGGED_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    OCCUPANCY_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_TOUCHES_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    RING_TIME_FIELD_NUMBER: _ClassVar[int]
    PAUSE_TIME_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    offered: int
    answered: int
    missed: int
    rejected: int
    busy: int
    caller_hung_up: int
    handled: int
    talk_time: _duration_pb2.Duration
    average_talk_time: _duration_pb2.Duration
    wrap_up_time: _duration_pb2.Duration
    pause_time: _duration_pb2.Duration
    available_time: _duration_pb2.Duration
    logged_in_time: _duration_pb2.Duration
    occupancy: float
    successful_touches: int
    score: float
    ring_time: _duration_pb2.Duration
    pause_time_by_reason: _containers.MessageMap[str, _duration_pb2.Duration]
    def __init__(self, agent_id: _Optional[str] = ..., offered: _Optional[int] = ..., answered: _Optional[int] = ..., missed: _Optional[int] = ..., rejected: _Optional[int] = ..., busy: _Optional[int] = ..., caller_hung_up: _Optional[int] = ..., handled: _Optional[int] = ..., talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wrap_up_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., pause_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., available_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., logged_in_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., occupancy: _Optional[float] = ..., successful_touches: _Optional[int] = ..., score: _Optional[float] = ..., ring_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., pause_time_by_reason: _Optional[_Mapping[str, _duration_pb2.Duration]] = ...) -> None: ...

class GetAgentStatsRequest(_message.Message):
    __slots__ = ("period", "agent_ids")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    period: Period
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., agent_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetAgentStatsResponse(_message.Message):
    __slots__ = ("agents", "range", "successful_touch_threshold")
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_TOUCH_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[AgentStats]
    range: TimeRange
    successful_touch_threshold: _duration_pb2.Duration
    def __init__(self, agents: _Optional[_Iterable[_Union[AgentStats, _Mapping]]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ..., successful_touch_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class QueueStats(_message.Message):
    __slots__ = ("queue", "offered", "answered", "abandoned", "short_abandoned", "timed_out", "overflowed", "answered_within_threshold", "service_level_percent", "average_speed_of_answer", "average_handle_time", "abandonment_rate_percent", "handled", "talk_time", "wrap_up_time", "service_level_met")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    SHORT_ABANDONED_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    OVERFLOWED_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_WITHIN_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_SPEED_OF_ANSWER_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_HANDLE_TIME_FIELD_NUMBER: _ClassVar[int]
    ABANDONMENT_RATE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_TIME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_MET_FIELD_NUMBER: _ClassVar[int]
    queue: str
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    overflowed: int
    answered_within_threshold: int
    service_level_percent: float
    average_speed_of_answer: _duration_pb2.Duration
    average_handle_time: _duration_pb2.Duration
    abandonment_rate_percent: float
    handled: int
    talk_time: _duration_pb2.Duration
    wrap_up_time: _duration_pb2.Duration
    service_level_met: bool
    def __init__(self, queue: _Optional[str] = ..., offered: _Optional[int] = ..., answered: _Optional[int] = ..., abandoned: _Optional[int] = ..., short_abandoned: _Optional[int] = ..., timed_out: _Optional[int] = ..., overflowed: _Optional[int] = ..., answered_within_threshold: _Optional[int] = ..., service_level_percent: _Optional[float] = ..., average_speed_of_answer: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_handle_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., abandonment_rate_percent: _Optional[float] = ..., handled: _Optional[int] = ..., talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wrap_up_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., service_level_met: _Optional[bool] = ...) -> None: ...

class OutboundStats(_message.Message):
    __slots__ = ("id", "calls", "declined", "preview_timeouts", "dialed", "connected", "not_connected", "not_connected_by_reason", "handled", "conversations", "talk_time", "wrap_up_time", "contact_rate_percent", "conversions", "conversion_rate_percent", "contacts_by_result")
    class NotConnectedByReasonEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ContactsByResultEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    DECLINED_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_TIMEOUTS_FIELD_NUMBER: _ClassVar[int]
    DIALED_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    NOT_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    NOT_CONNECTED_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_TIME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_RATE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CONVERSIONS_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_RATE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_BY_RESULT_FIELD_NUMBER: _ClassVar[int]
    id: str
    calls: int
    declined: int
    preview_timeouts: int
    dialed: int
    connected: int
    not_connected: int
    not_connected_by_reason: _containers.ScalarMap[str, int]
    handled: int
    conversations: int
    talk_time: _duration_pb2.Duration
    wrap_up_time: _duration_pb2.Duration
    contact_rate_percent: float
    conversions: int
    conversion_rate_percent: float
    contacts_by_result: _containers.ScalarMap[str, int]
    def __init__(self, id: _Optional[str] = ..., calls: _Optional[int] = ..., declined: _Optional[int] = ..., preview_timeouts: _Optional[int] = ..., dialed: _Optional[int] = ..., connected: _Optional[int] = ..., not_connected: _Optional[int] = ..., not_connected_by_reason: _Optional[_Mapping[str, int]] = ..., handled: _Optional[int] = ..., conversations: _Optional[int] = ..., talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wrap_up_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., contact_rate_percent: _Optional[float] = ..., conversions: _Optional[int] = ..., conversion_rate_percent: _Optional[float] = ..., contacts_by_result: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetOutboundStatsRequest(_message.Message):
    __slots__ = ("period", "queues", "campaign_ids", "agent_ids", "conversation_threshold")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_IDS_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    period: Period
    queues: _containers.RepeatedScalarFieldContainer[str]
    campaign_ids: _containers.RepeatedScalarFieldContainer[str]
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    conversation_threshold: _duration_pb2.Duration
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., queues: _Optional[_Iterable[str]] = ..., campaign_ids: _Optional[_Iterable[str]] = ..., agent_ids: _Optional[_Iterable[str]] = ..., conversation_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetOutboundStatsResponse(_message.Message):
    __slots__ = ("queues", "campaigns", "agents", "range", "conversation_threshold")
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[OutboundStats]
    campaigns: _containers.RepeatedCompositeFieldContainer[OutboundStats]
    agents: _containers.RepeatedCompositeFieldContainer[OutboundStats]
    range: TimeRange
    conversation_threshold: _duration_pb2.Duration
    def __init__(self, queues: _Optional[_Iterable[_Union[OutboundStats, _Mapping]]] = ..., campaigns: _Optional[_Iterable[_Union[OutboundStats, _Mapping]]] = ..., agents: _Optional[_Iterable[_Union[OutboundStats, _Mapping]]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ..., conversation_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetQueueStatsRequest(_message.Message):
    __slots__ = ("period", "queues", "service_level_threshold")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    period: Period
    queues: _containers.RepeatedScalarFieldContainer[str]
    service_level_threshold: _duration_pb2.Duration
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., queues: _Optional[_Iterable[str]] = ..., service_level_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetQueueStatsResponse(_message.Message):
    __slots__ = ("queues", "range", "service_level_threshold", "service_level_target_percent", "short_abandon_threshold")
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_TARGET_PERCENT_FIELD_NUMBER: _ClassVar[int]
    SHORT_ABANDON_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[QueueStats]
    range: TimeRange
    service_level_threshold: _duration_pb2.Duration
    service_level_target_percent: float
    short_abandon_threshold: _duration_pb2.Duration
    def __init__(self, queues: _Optional[_Iterable[_Union[QueueStats, _Mapping]]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ..., service_level_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., service_level_target_percent: _Optional[float] = ..., short_abandon_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetQueueSeriesRequest(_message.Message):
    __slots__ = ("period", "bucket", "queues", "service_level_threshold")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    period: Period
    bucket: SeriesBucket
    queues: _containers.RepeatedScalarFieldContainer[str]
    service_level_threshold: _duration_pb2.Duration
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., bucket: _Optional[_Union[SeriesBucket, str]] = ..., queues: _Optional[_Iterable[str]] = ..., service_level_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class QueueSeriesPoint(_message.Message):
    __slots__ = ("range", "stats")
    RANGE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    range: TimeRange
    stats: QueueStats
    def __init__(self, range: _Optional[_Union[TimeRange, _Mapping]] = ..., stats: _Optional[_Union[QueueStats, _Mapping]] = ...) -> None: ...

class QueueSeries(_message.Message):
    __slots__ = ("queue", "points")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    queue: str
    points: _containers.RepeatedCompositeFieldContainer[QueueSeriesPoint]
    def __init__(self, queue: _Optional[str] = ..., points: _Optional[_Iterable[_Union[QueueSeriesPoint, _Mapping]]] = ...) -> None: ...

class GetQueueSeriesResponse(_message.Message):
    __slots__ = ("queues", "range", "service_level_threshold", "service_level_target_percent", "short_abandon_threshold")
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_TARGET_PERCENT_FIELD_NUMBER: _ClassVar[int]
    SHORT_ABANDON_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[QueueSeries]
    range: TimeRange
    service_level_threshold: _duration_pb2.Duration
    service_level_target_percent: float
    short_abandon_threshold: _duration_pb2.Duration
    def __init__(self, queues: _Optional[_Iterable[_Union[QueueSeries, _Mapping]]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ..., service_level_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., service_level_target_percent: _Optional[float] = ..., short_abandon_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class OfferRecord(_message.Message):
    __slots__ = ("attempt", "agent_id", "outcome", "ring_time")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RING_TIME_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    agent_id: str
    outcome: str
    ring_time: _duration_pb2.Duration
    def __init__(self, attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., outcome: _Optional[str] = ..., ring_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CallRecord(_message.Message):
    __slots__ = ("call_id", "caller", "queue", "received_at", "answered_at", "ended_at", "outcome", "agent_id", "offers", "wait", "ring_time", "talk_time", "wrap_up_time", "recording_ids", "lead_id", "final_queue", "direction", "campaign_id", "callback_id", "not_connected_reason")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    RING_TIME_FIELD_NUMBER: _ClassVar[int]
    TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    WRAP_UP_TIME_FIELD_NUMBER: _ClassVar[int]
    RECORDING_IDS_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    FINAL_QUEUE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_ID_FIELD_NUMBER: _ClassVar[int]
    NOT_CONNECTED_REASON_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    caller: str
    queue: str
    received_at: _timestamp_pb2.Timestamp
    answered_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    outcome: CallOutcome
    agent_id: str
    offers: _containers.RepeatedCompositeFieldContainer[OfferRecord]
    wait: _duration_pb2.Duration
    ring_time: _duration_pb2.Duration
    talk_time: _duration_pb2.Duration
    wrap_up_time: _duration_pb2.Duration
    recording_ids: _containers.RepeatedScalarFieldContainer[str]
    lead_id: str
    final_queue: str
    direction: CallRecordDirection
    campaign_id: str
    callback_id: str
    not_connected_reason: str
    def __init__(self, call_id: _Optional[str] = ..., caller: _Optional[str] = ..., queue: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., answered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[CallOutcome, str]] = ..., agent_id: _Optional[str] = ..., offers: _Optional[_Iterable[_Union[OfferRecord, _Mapping]]] = ..., wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., ring_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wrap_up_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., recording_ids: _Optional[_Iterable[str]] = ..., lead_id: _Optional[str] = ..., final_queue: _Optional[str] = ..., direction: _Optional[_Union[CallRecordDirection, str]] = ..., campaign_id: _Optional[str] = ..., callback_id: _Optional[str] = ..., not_connected_reason: _Optional[str] = ...) -> None: ...

class ListCallRecordsRequest(_message.Message):
    __slots__ = ("received", "agent_id", "queue", "caller", "outcome", "missed_only", "min_talk_time", "max_talk_time", "page_size", "page_token", "caller_contains", "call_id_contains", "direction", "campaign_id")
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MISSED_ONLY_FIELD_NUMBER: _ClassVar[int]
    MIN_TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_TALK_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CALLER_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    received: TimeRange
    agent_id: str
    queue: str
    caller: str
    outcome: CallOutcome
    missed_only: bool
    min_talk_time: _duration_pb2.Duration
    max_talk_time: _duration_pb2.Duration
    page_size: int
    page_token: str
    caller_contains: str
    call_id_contains: str
    direction: CallRecordDirection
    campaign_id: str
    def __init__(self, received: _Optional[_Union[TimeRange, _Mapping]] = ..., agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., caller: _Optional[str] = ..., outcome: _Optional[_Union[CallOutcome, str]] = ..., missed_only: _Optional[bool] = ..., min_talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_talk_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., caller_contains: _Optional[str] = ..., call_id_contains: _Optional[str] = ..., direction: _Optional[_Union[CallRecordDirection, str]] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class ListCallRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[CallRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[CallRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCallRecordRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class GetCallRecordResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: CallRecord
    def __init__(self, record: _Optional[_Union[CallRecord, _Mapping]] = ...) -> None: ...

class CreateLeadRequest(_message.Message):
    __slots__ = ("lead_id", "agent_id", "stage", "occurred_at", "client_number")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    agent_id: str
    stage: str
    occurred_at: _timestamp_pb2.Timestamp
    client_number: str
    def __init__(self, lead_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., stage: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., client_number: _Optional[str] = ...) -> None: ...

class CreateLeadResponse(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class AssignLeadRequest(_message.Message):
    __slots__ = ("lead_id", "agent_id", "occurred_at")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    agent_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, lead_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AssignLeadResponse(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class ChangeLeadStageRequest(_message.Message):
    __slots__ = ("lead_id", "stage", "agent_id", "occurred_at")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    stage: str
    agent_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, lead_id: _Optional[str] = ..., stage: _Optional[str] = ..., agent_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChangeLeadStageResponse(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class Lead(_message.Message):
    __slots__ = ("lead_id", "stage", "agent_id", "created_at", "attempts_today", "attempts_total", "conversations", "successful_touches", "cadence", "cadence_attempts", "improper_refusal", "refused_by", "refused_at", "client_number")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_TODAY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_TOUCHES_FIELD_NUMBER: _ClassVar[int]
    CADENCE_FIELD_NUMBER: _ClassVar[int]
    CADENCE_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    IMPROPER_REFUSAL_FIELD_NUMBER: _ClassVar[int]
    REFUSED_BY_FIELD_NUMBER: _ClassVar[int]
    REFUSED_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    stage: str
    agent_id: str
    created_at: _timestamp_pb2.Timestamp
    attempts_today: int
    attempts_total: int
    conversations: int
    successful_touches: int
    cadence: CadenceStatus
    cadence_attempts: int
    improper_refusal: bool
    refused_by: str
    refused_at: _timestamp_pb2.Timestamp
    client_number: str
    def __init__(self, lead_id: _Optional[str] = ..., stage: _Optional[str] = ..., agent_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts_today: _Optional[int] = ..., attempts_total: _Optional[int] = ..., conversations: _Optional[int] = ..., successful_touches: _Optional[int] = ..., cadence: _Optional[_Union[CadenceStatus, str]] = ..., cadence_attempts: _Optional[int] = ..., improper_refusal: _Optional[bool] = ..., refused_by: _Optional[str] = ..., refused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., client_number: _Optional[str] = ...) -> None: ...

class GetLeadRequest(_message.Message):
    __slots__ = ("lead_id", "period")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    period: Period
    def __init__(self, lead_id: _Optional[str] = ..., period: _Optional[_Union[Period, _Mapping]] = ...) -> None: ...

class GetLeadResponse(_message.Message):
    __slots__ = ("lead",)
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead: Lead
    def __init__(self, lead: _Optional[_Union[Lead, _Mapping]] = ...) -> None: ...

class ListLeadsRequest(_message.Message):
    __slots__ = ("filter", "period", "agent_id", "client_number")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    filter: LeadFilter
    period: Period
    agent_id: str
    client_number: str
    def __init__(self, filter: _Optional[_Union[LeadFilter, str]] = ..., period: _Optional[_Union[Period, _Mapping]] = ..., agent_id: _Optional[str] = ..., client_number: _Optional[str] = ...) -> None: ...

class ListLeadsResponse(_message.Message):
    __slots__ = ("leads",)
    LEADS_FIELD_NUMBER: _ClassVar[int]
    leads: _containers.RepeatedCompositeFieldContainer[Lead]
    def __init__(self, leads: _Optional[_Iterable[_Union[Lead, _Mapping]]] = ...) -> None: ...

class ListActionsRequest(_message.Message):
    __slots__ = ("range", "actor", "page_size", "page_token")
    RANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    range: TimeRange
    actor: str
    page_size: int
    page_token: str
    def __init__(self, range: _Optional[_Union[TimeRange, _Mapping]] = ..., actor: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListActionsResponse(_message.Message):
    __slots__ = ("actions", "next_page_token")
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    actions: _containers.RepeatedCompositeFieldContainer[_events_pb2.Event]
    next_page_token: str
    def __init__(self, actions: _Optional[_Iterable[_Union[_events_pb2.Event, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAgentTimelineRequest(_message.Message):
    __slots__ = ("agent_id", "day", "time_zone")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    day: str
    time_zone: str
    def __init__(self, agent_id: _Optional[str] = ..., day: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class AgentStateSegment(_message.Message):
    __slots__ = ("state", "reason", "start", "end", "duration", "call_id", "ongoing")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    ONGOING_FIELD_NUMBER: _ClassVar[int]
    state: _states_pb2.AgentState
    reason: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    call_id: str
    ongoing: bool
    def __init__(self, state: _Optional[_Union[_states_pb2.AgentState, str]] = ..., reason: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., call_id: _Optional[str] = ..., ongoing: _Optional[bool] = ...) -> None: ...

class GetAgentTimelineResponse(_message.Message):
    __slots__ = ("agent_id", "range", "segments", "trimmed")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    TRIMMED_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    range: TimeRange
    segments: _containers.RepeatedCompositeFieldContainer[AgentStateSegment]
    trimmed: int
    def __init__(self, agent_id: _Optional[str] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ..., segments: _Optional[_Iterable[_Union[AgentStateSegment, _Mapping]]] = ..., trimmed: _Optional[int] = ...) -> None: ...

class LeadStageChange(_message.Message):
    __slots__ = ("kind", "from_stage", "to_stage", "time", "agent_id", "actor", "actor_via", "event_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    FROM_STAGE_FIELD_NUMBER: _ClassVar[int]
    TO_STAGE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_VIA_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    kind: LeadChangeKind
    from_stage: str
    to_stage: str
    time: _timestamp_pb2.Timestamp
    agent_id: str
    actor: str
    actor_via: str
    event_id: str
    def __init__(self, kind: _Optional[_Union[LeadChangeKind, str]] = ..., from_stage: _Optional[str] = ..., to_stage: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ..., actor: _Optional[str] = ..., actor_via: _Optional[str] = ..., event_id: _Optional[str] = ...) -> None: ...

class GetLeadHistoryRequest(_message.Message):
    __slots__ = ("lead_id",)
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    def __init__(self, lead_id: _Optional[str] = ...) -> None: ...

class GetLeadHistoryResponse(_message.Message):
    __slots__ = ("lead_id", "history", "trimmed")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    TRIMMED_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    history: _containers.RepeatedCompositeFieldContainer[LeadStageChange]
    trimmed: int
    def __init__(self, lead_id: _Optional[str] = ..., history: _Optional[_Iterable[_Union[LeadStageChange, _Mapping]]] = ..., trimmed: _Optional[int] = ...) -> None: ...

class GetLeadFunnelRequest(_message.Message):
    __slots__ = ("period", "agent_ids", "queues", "group_by")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    period: Period
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    queues: _containers.RepeatedScalarFieldContainer[str]
    group_by: LeadFunnelGrouping
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., agent_ids: _Optional[_Iterable[str]] = ..., queues: _Optional[_Iterable[str]] = ..., group_by: _Optional[_Union[LeadFunnelGrouping, str]] = ...) -> None: ...

class LeadFunnelStage(_message.Message):
    __slots__ = ("stage", "entered", "next_stage", "conversion_percent")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ENTERED_FIELD_NUMBER: _ClassVar[int]
    NEXT_STAGE_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_PERCENT_FIELD_NUMBER: _ClassVar[int]
    stage: str
    entered: int
    next_stage: str
    conversion_percent: float
    def __init__(self, stage: _Optional[str] = ..., entered: _Optional[int] = ..., next_stage: _Optional[str] = ..., conversion_percent: _Optional[float] = ...) -> None: ...

class LeadFunnel(_message.Message):
    __slots__ = ("agent_id", "queue", "stages", "team_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    queue: str
    stages: _containers.RepeatedCompositeFieldContainer[LeadFunnelStage]
    team_id: str
    def __init__(self, agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., stages: _Optional[_Iterable[_Union[LeadFunnelStage, _Mapping]]] = ..., team_id: _Optional[str] = ...) -> None: ...

class GetLeadFunnelResponse(_message.Message):
    __slots__ = ("groups", "total", "range")
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[LeadFunnel]
    total: LeadFunnel
    range: TimeRange
    def __init__(self, groups: _Optional[_Iterable[_Union[LeadFunnel, _Mapping]]] = ..., total: _Optional[_Union[LeadFunnel, _Mapping]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ...) -> None: ...

class ReportInvoiceRequest(_message.Message):
    __slots__ = ("invoice_id", "lead_id", "agent_id", "product", "queue", "amount_minor", "currency", "issued_at", "actor")
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    invoice_id: str
    lead_id: str
    agent_id: str
    product: str
    queue: str
    amount_minor: int
    currency: str
    issued_at: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, invoice_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., product: _Optional[str] = ..., queue: _Optional[str] = ..., amount_minor: _Optional[int] = ..., currency: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class ReportInvoiceResponse(_message.Message):
    __slots__ = ("event_id", "duplicate")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    duplicate: bool
    def __init__(self, event_id: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class InvoiceQueueEntry(_message.Message):
    __slots__ = ("invoice_id", "lead_id", "agent_id", "queue", "product", "amount_minor", "currency", "issued_at", "client_number", "call_attempts", "last_call_result", "last_called_at", "calling", "last_call_id")
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALL_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_CALL_RESULT_FIELD_NUMBER: _ClassVar[int]
    LAST_CALLED_AT_FIELD_NUMBER: _ClassVar[int]
    CALLING_FIELD_NUMBER: _ClassVar[int]
    LAST_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    invoice_id: str
    lead_id: str
    agent_id: str
    queue: str
    product: str
    amount_minor: int
    currency: str
    issued_at: _timestamp_pb2.Timestamp
    client_number: str
    call_attempts: int
    last_call_result: str
    last_called_at: _timestamp_pb2.Timestamp
    calling: bool
    last_call_id: str
    def __init__(self, invoice_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., product: _Optional[str] = ..., amount_minor: _Optional[int] = ..., currency: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., client_number: _Optional[str] = ..., call_attempts: _Optional[int] = ..., last_call_result: _Optional[str] = ..., last_called_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., calling: _Optional[bool] = ..., last_call_id: _Optional[str] = ...) -> None: ...

class ListInvoiceQueueRequest(_message.Message):
    __slots__ = ("agent_id", "queue", "uncalled_only", "page_size", "page_token", "invoice_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    UNCALLED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    queue: str
    uncalled_only: bool
    page_size: int
    page_token: str
    invoice_id: str
    def __init__(self, agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., uncalled_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., invoice_id: _Optional[str] = ...) -> None: ...

class ListInvoiceQueueResponse(_message.Message):
    __slots__ = ("invoices", "next_page_token", "total")
    INVOICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    invoices: _containers.RepeatedCompositeFieldContainer[InvoiceQueueEntry]
    next_page_token: str
    total: int
    def __init__(self, invoices: _Optional[_Iterable[_Union[InvoiceQueueEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total: _Optional[int] = ...) -> None: ...

class ReportPaymentRequest(_message.Message):
    __slots__ = ("payment_id", "invoice_id", "amount_minor", "paid_at", "actor")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    invoice_id: str
    amount_minor: int
    paid_at: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, payment_id: _Optional[str] = ..., invoice_id: _Optional[str] = ..., amount_minor: _Optional[int] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class ReportPaymentResponse(_message.Message):
    __slots__ = ("event_id", "duplicate", "invoice_paid", "paid_minor", "commission_minor")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    INVOICE_PAID_FIELD_NUMBER: _ClassVar[int]
    PAID_MINOR_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_MINOR_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    duplicate: bool
    invoice_paid: bool
    paid_minor: int
    commission_minor: int
    def __init__(self, event_id: _Optional[str] = ..., duplicate: _Optional[bool] = ..., invoice_paid: _Optional[bool] = ..., paid_minor: _Optional[int] = ..., commission_minor: _Optional[int] = ...) -> None: ...

class CommissionRule(_message.Message):
    __slots__ = ("product", "queue", "percent_bp", "fixed_minor")
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_BP_FIELD_NUMBER: _ClassVar[int]
    FIXED_MINOR_FIELD_NUMBER: _ClassVar[int]
    product: str
    queue: str
    percent_bp: int
    fixed_minor: int
    def __init__(self, product: _Optional[str] = ..., queue: _Optional[str] = ..., percent_bp: _Optional[int] = ..., fixed_minor: _Optional[int] = ...) -> None: ...

class SetCommissionRulesRequest(_message.Message):
    __slots__ = ("rules", "actor")
    RULES_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[CommissionRule]
    actor: str
    def __init__(self, rules: _Optional[_Iterable[_Union[CommissionRule, _Mapping]]] = ..., actor: _Optional[str] = ...) -> None: ...

class SetCommissionRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[CommissionRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[CommissionRule, _Mapping]]] = ...) -> None: ...

class GetCommissionRulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCommissionRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[CommissionRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[CommissionRule, _Mapping]]] = ...) -> None: ...

class PayRule(_message.Message):
    __slots__ = ("team_id", "currency", "bonus_per_answered_call_minor", "penalty_per_missed_offer_minor", "bonus_per_fulfilled_deal_minor")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BONUS_PER_ANSWERED_CALL_MINOR_FIELD_NUMBER: _ClassVar[int]
    PENALTY_PER_MISSED_OFFER_MINOR_FIELD_NUMBER: _ClassVar[int]
    BONUS_PER_FULFILLED_DEAL_MINOR_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    currency: str
    bonus_per_answered_call_minor: int
    penalty_per_missed_offer_minor: int
    bonus_per_fulfilled_deal_minor: int
    def __init__(self, team_id: _Optional[str] = ..., currency: _Optional[str] = ..., bonus_per_answered_call_minor: _Optional[int] = ..., penalty_per_missed_offer_minor: _Optional[int] = ..., bonus_per_fulfilled_deal_minor: _Optional[int] = ...) -> None: ...

class SetPayRulesRequest(_message.Message):
    __slots__ = ("rules", "actor")
    RULES_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[PayRule]
    actor: str
    def __init__(self, rules: _Optional[_Iterable[_Union[PayRule, _Mapping]]] = ..., actor: _Optional[str] = ...) -> None: ...

class SetPayRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[PayRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[PayRule, _Mapping]]] = ...) -> None: ...

class GetPayRulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPayRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[PayRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[PayRule, _Mapping]]] = ...) -> None: ...

class GetPayrollRequest(_message.Message):
    __slots__ = ("period", "agent_ids")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    period: Period
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., agent_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PayrollRow(_message.Message):
    __slots__ = ("agent_id", "team_id", "currency", "paid_invoices", "paid_amount_minor", "commission_minor", "answered_calls", "missed_offers", "fulfilled_deals", "bonus_minor", "penalty_minor", "total_minor")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PAID_INVOICES_FIELD_NUMBER: _ClassVar[int]
    PAID_AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_MINOR_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_CALLS_FIELD_NUMBER: _ClassVar[int]
    MISSED_OFFERS_FIELD_NUMBER: _ClassVar[int]
    FULFILLED_DEALS_FIELD_NUMBER: _ClassVar[int]
    BONUS_MINOR_FIELD_NUMBER: _ClassVar[int]
    PENALTY_MINOR_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MINOR_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    team_id: str
    currency: str
    paid_invoices: int
    paid_amount_minor: int
    commission_minor: int
    answered_calls: int
    missed_offers: int
    fulfilled_deals: int
    bonus_minor: int
    penalty_minor: int
    total_minor: int
    def __init__(self, agent_id: _Optional[str] = ..., team_id: _Optional[str] = ..., currency: _Optional[str] = ..., paid_invoices: _Optional[int] = ..., paid_amount_minor: _Optional[int] = ..., commission_minor: _Optional[int] = ..., answered_calls: _Optional[int] = ..., missed_offers: _Optional[int] = ..., fulfilled_deals: _Optional[int] = ..., bonus_minor: _Optional[int] = ..., penalty_minor: _Optional[int] = ..., total_minor: _Optional[int] = ...) -> None: ...

class PayrollTotal(_message.Message):
    __slots__ = ("currency", "paid_invoices", "paid_amount_minor", "commission_minor", "bonus_minor", "penalty_minor", "total_minor")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PAID_INVOICES_FIELD_NUMBER: _ClassVar[int]
    PAID_AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_MINOR_FIELD_NUMBER: _ClassVar[int]
    BONUS_MINOR_FIELD_NUMBER: _ClassVar[int]
    PENALTY_MINOR_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MINOR_FIELD_NUMBER: _ClassVar[int]
    currency: str
    paid_invoices: int
    paid_amount_minor: int
    commission_minor: int
    bonus_minor: int
    penalty_minor: int
    total_minor: int
    def __init__(self, currency: _Optional[str] = ..., paid_invoices: _Optional[int] = ..., paid_amount_minor: _Optional[int] = ..., commission_minor: _Optional[int] = ..., bonus_minor: _Optional[int] = ..., penalty_minor: _Optional[int] = ..., total_minor: _Optional[int] = ...) -> None: ...

class GetPayrollResponse(_message.Message):
    __slots__ = ("rows", "totals", "range")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[PayrollRow]
    totals: _containers.RepeatedCompositeFieldContainer[PayrollTotal]
    range: TimeRange
    def __init__(self, rows: _Optional[_Iterable[_Union[PayrollRow, _Mapping]]] = ..., totals: _Optional[_Iterable[_Union[PayrollTotal, _Mapping]]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ...) -> None: ...

class ConversationCounts(_message.Message):
    __slots__ = ("new", "taken", "unanswered", "answered", "overdue", "open")
    NEW_FIELD_NUMBER: _ClassVar[int]
    TAKEN_FIELD_NUMBER: _ClassVar[int]
    UNANSWERED_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    new: int
    taken: int
    unanswered: int
    answered: int
    overdue: int
    open: int
    def __init__(self, new: _Optional[int] = ..., taken: _Optional[int] = ..., unanswered: _Optional[int] = ..., answered: _Optional[int] = ..., overdue: _Optional[int] = ..., open: _Optional[int] = ...) -> None: ...

class ConversationBoardAgent(_message.Message):
    __slots__ = ("agent_id", "online", "state", "queues", "conversations")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    online: bool
    state: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    conversations: ConversationCounts
    def __init__(self, agent_id: _Optional[str] = ..., online: _Optional[bool] = ..., state: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., conversations: _Optional[_Union[ConversationCounts, _Mapping]] = ...) -> None: ...

class ConversationBoardQueue(_message.Message):
    __slots__ = ("queue", "operators_online", "conversations")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    OPERATORS_ONLINE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    queue: str
    operators_online: int
    conversations: ConversationCounts
    def __init__(self, queue: _Optional[str] = ..., operators_online: _Optional[int] = ..., conversations: _Optional[_Union[ConversationCounts, _Mapping]] = ...) -> None: ...

class GetConversationBoardRequest(_message.Message):
    __slots__ = ("channel", "topic", "queues", "agent_ids")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    channel: str
    topic: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, channel: _Optional[str] = ..., topic: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., agent_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetConversationBoardResponse(_message.Message):
    __slots__ = ("generated_at", "total", "operators_online", "queues", "agents")
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OPERATORS_ONLINE_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    generated_at: _timestamp_pb2.Timestamp
    total: ConversationCounts
    operators_online: int
    queues: _containers.RepeatedCompositeFieldContainer[ConversationBoardQueue]
    agents: _containers.RepeatedCompositeFieldContainer[ConversationBoardAgent]
    def __init__(self, generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total: _Optional[_Union[ConversationCounts, _Mapping]] = ..., operators_online: _Optional[int] = ..., queues: _Optional[_Iterable[_Union[ConversationBoardQueue, _Mapping]]] = ..., agents: _Optional[_Iterable[_Union[ConversationBoardAgent, _Mapping]]] = ...) -> None: ...

class ConversationStats(_message.Message):
    __slots__ = ("key", "created", "closed", "first_replies", "average_first_response", "replies", "average_reply", "average_handle", "overdue", "overdue_percent", "handled", "total_first_response", "total_reply", "total_handle")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    FIRST_REPLIES_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FIRST_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_REPLY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_HANDLE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIRST_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_REPLY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_HANDLE_FIELD_NUMBER: _ClassVar[int]
    key: str
    created: int
    closed: int
    first_replies: int
    average_first_response: _duration_pb2.Duration
    replies: int
    average_reply: _duration_pb2.Duration
    average_handle: _duration_pb2.Duration
    overdue: int
    overdue_percent: float
    handled: int
    total_first_response: _duration_pb2.Duration
    total_reply: _duration_pb2.Duration
    total_handle: _duration_pb2.Duration
    def __init__(self, key: _Optional[str] = ..., created: _Optional[int] = ..., closed: _Optional[int] = ..., first_replies: _Optional[int] = ..., average_first_response: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., replies: _Optional[int] = ..., average_reply: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_handle: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., overdue: _Optional[int] = ..., overdue_percent: _Optional[float] = ..., handled: _Optional[int] = ..., total_first_response: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., total_reply: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., total_handle: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetConversationStatsRequest(_message.Message):
    __slots__ = ("period", "group_by", "channel", "topic", "agent_ids")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    period: Period
    group_by: ConversationGrouping
    channel: str
    topic: str
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., group_by: _Optional[_Union[ConversationGrouping, str]] = ..., channel: _Optional[str] = ..., topic: _Optional[str] = ..., agent_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetConversationStatsResponse(_message.Message):
    __slots__ = ("rows", "total", "range")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[ConversationStats]
    total: ConversationStats
    range: TimeRange
    def __init__(self, rows: _Optional[_Iterable[_Union[ConversationStats, _Mapping]]] = ..., total: _Optional[_Union[ConversationStats, _Mapping]] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ...) -> None: ...
