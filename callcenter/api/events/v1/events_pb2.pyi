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

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_LOGGED_IN: _ClassVar[EventType]
    EVENT_TYPE_AGENT_LOGGED_OUT: _ClassVar[EventType]
    EVENT_TYPE_AGENT_PAUSED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_RESUMED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_WRAP_UP_ENDED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_DELETED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_PAUSE_REQUESTED: _ClassVar[EventType]
    EVENT_TYPE_QUEUE_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_CALL_RECEIVED: _ClassVar[EventType]
    EVENT_TYPE_CALL_QUEUED: _ClassVar[EventType]
    EVENT_TYPE_CALL_OFFERED: _ClassVar[EventType]
    EVENT_TYPE_CALL_ANSWERED: _ClassVar[EventType]
    EVENT_TYPE_OFFER_MISSED: _ClassVar[EventType]
    EVENT_TYPE_CALL_COMPLETED: _ClassVar[EventType]
    EVENT_TYPE_CALL_ABANDONED: _ClassVar[EventType]
    EVENT_TYPE_CALL_TIMED_OUT: _ClassVar[EventType]
    EVENT_TYPE_CALL_OVERFLOWED: _ClassVar[EventType]
    EVENT_TYPE_CALL_RULE_RELAXED: _ClassVar[EventType]
    EVENT_TYPE_CLIENT_REASSIGNED: _ClassVar[EventType]
    EVENT_TYPE_PBX_SESSION_OPENED: _ClassVar[EventType]
    EVENT_TYPE_PBX_SESSION_LOST: _ClassVar[EventType]
    EVENT_TYPE_RECORDING_STORED: _ClassVar[EventType]
    EVENT_TYPE_RECORDING_DELETED: _ClassVar[EventType]
    EVENT_TYPE_RECORDING_LEGAL_HOLD_CHANGED: _ClassVar[EventType]
    EVENT_TYPE_LEAD_CREATED: _ClassVar[EventType]
    EVENT_TYPE_LEAD_ASSIGNED: _ClassVar[EventType]
    EVENT_TYPE_LEAD_STAGE_CHANGED: _ClassVar[EventType]
    EVENT_TYPE_USER_CREATED: _ClassVar[EventType]
    EVENT_TYPE_USER_DELETED: _ClassVar[EventType]
    EVENT_TYPE_USER_PASSWORD_SET: _ClassVar[EventType]
    EVENT_TYPE_USER_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_AGENT_PAUSE_CANCELLED: _ClassVar[EventType]
    EVENT_TYPE_PAUSE_REASONS_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_THRESHOLDS_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_WALLBOARD_CREATED: _ClassVar[EventType]
    EVENT_TYPE_WALLBOARD_REVOKED: _ClassVar[EventType]
    EVENT_TYPE_TASK_CREATED: _ClassVar[EventType]
    EVENT_TYPE_TASK_DUE: _ClassVar[EventType]
    EVENT_TYPE_TASK_REMINDER: _ClassVar[EventType]
    EVENT_TYPE_TASK_DONE: _ClassVar[EventType]
    EVENT_TYPE_TASK_SNOOZED: _ClassVar[EventType]
    EVENT_TYPE_TASK_REASSIGNED: _ClassVar[EventType]
    EVENT_TYPE_TASK_TAKEN: _ClassVar[EventType]
    EVENT_TYPE_INVOICE_REPORTED: _ClassVar[EventType]
    EVENT_TYPE_PAYMENT_REPORTED: _ClassVar[EventType]
    EVENT_TYPE_INVOICE_PAID: _ClassVar[EventType]
    EVENT_TYPE_COMMISSION_RULES_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_PAY_RULES_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_TEAM_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_TEAM_DELETED: _ClassVar[EventType]
    EVENT_TYPE_CRM_EVENT_APPLIED: _ClassVar[EventType]
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_AGENT_LOGGED_IN: EventType
EVENT_TYPE_AGENT_LOGGED_OUT: EventType
EVENT_TYPE_AGENT_PAUSED: EventType
EVENT_TYPE_AGENT_RESUMED: EventType
EVENT_TYPE_AGENT_WRAP_UP_ENDED: EventType
EVENT_TYPE_AGENT_UPDATED: EventType
EVENT_TYPE_AGENT_DELETED: EventType
EVENT_TYPE_AGENT_PAUSE_REQUESTED: EventType
EVENT_TYPE_QUEUE_UPDATED: EventType
EVENT_TYPE_CALL_RECEIVED: EventType
EVENT_TYPE_CALL_QUEUED: EventType
EVENT_TYPE_CALL_OFFERED: EventType
EVENT_TYPE_CALL_ANSWERED: EventType
EVENT_TYPE_OFFER_MISSED: EventType
EVENT_TYPE_CALL_COMPLETED: EventType
EVENT_TYPE_CALL_ABANDONED: EventType
EVENT_TYPE_CALL_TIMED_OUT: EventType
EVENT_TYPE_CALL_OVERFLOWED: EventType
EVENT_TYPE_CALL_RULE_RELAXED: EventType
EVENT_TYPE_CLIENT_REASSIGNED: EventType
EVENT_TYPE_PBX_SESSION_OPENED: EventType
EVENT_TYPE_PBX_SESSION_LOST: EventType
EVENT_TYPE_RECORDING_STORED: EventType
EVENT_TYPE_RECORDING_DELETED: EventType
EVENT_TYPE_RECORDING_LEGAL_HOLD_CHANGED: EventType
EVENT_TYPE_LEAD_CREATED: EventType
EVENT_TYPE_LEAD_ASSIGNED: EventType
EVENT_TYPE_LEAD_STAGE_CHANGED: EventType
EVENT_TYPE_USER_CREATED: EventType
EVENT_TYPE_USER_DELETED: EventType
EVENT_TYPE_USER_PASSWORD_SET: EventType
EVENT_TYPE_USER_UPDATED: EventType
EVENT_TYPE_AGENT_PAUSE_CANCELLED: EventType
EVENT_TYPE_PAUSE_REASONS_UPDATED: EventType
EVENT_TYPE_THRESHOLDS_UPDATED: EventType
EVENT_TYPE_WALLBOARD_CREATED: EventType
EVENT_TYPE_WALLBOARD_REVOKED: EventType
EVENT_TYPE_TASK_CREATED: EventType
EVENT_TYPE_TASK_DUE: EventType
EVENT_TYPE_TASK_REMINDER: EventType
EVENT_TYPE_TASK_DONE: EventType
EVENT_TYPE_TASK_SNOOZED: EventType
EVENT_TYPE_TASK_REASSIGNED: EventType
EVENT_TYPE_TASK_TAKEN: EventType
EVENT_TYPE_INVOICE_REPORTED: EventType
EVENT_TYPE_PAYMENT_REPORTED: EventType
EVENT_TYPE_INVOICE_PAID: EventType
EVENT_TYPE_COMMISSION_RULES_UPDATED: EventType
EVENT_TYPE_PAY_RULES_UPDATED: EventType
EVENT_TYPE_TEAM_UPDATED: EventType
EVENT_TYPE_TEAM_DELETED: EventType
EVENT_TYPE_CRM_EVENT_APPLIED: EventType

class Event(_message.Message):
    __slots__ = ("id", "time", "type", "call_id", "agent_id", "queue", "offer_id", "caller", "reason", "agent_state", "call_state", "duration", "wait", "attempt", "queues", "attributes", "other_agent_id", "recording_id", "lead_id", "lead_stage", "actor", "actor_via", "invoice_id", "payment_id", "amount_minor", "currency", "commission_minor", "product", "team_id", "member_agent_ids")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AGENT_STATE_FIELD_NUMBER: _ClassVar[int]
    CALL_STATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    OTHER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_STAGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_VIA_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_MINOR_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    time: _timestamp_pb2.Timestamp
    type: EventType
    call_id: str
    agent_id: str
    queue: str
    offer_id: str
    caller: str
    reason: str
    agent_state: _states_pb2.AgentState
    call_state: _states_pb2.CallState
    duration: _duration_pb2.Duration
    wait: _duration_pb2.Duration
    attempt: int
    queues: _containers.RepeatedScalarFieldContainer[str]
    attributes: _containers.ScalarMap[str, str]
    other_agent_id: str
    recording_id: str
    lead_id: str
    lead_stage: str
    actor: str
    actor_via: str
    invoice_id: str
    payment_id: str
    amount_minor: int
    currency: str
    commission_minor: int
    product: str
    team_id: str
    member_agent_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., type: _Optional[_Union[EventType, str]] = ..., call_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., offer_id: _Optional[str] = ..., caller: _Optional[str] = ..., reason: _Optional[str] = ..., agent_state: _Optional[_Union[_states_pb2.AgentState, str]] = ..., call_state: _Optional[_Union[_states_pb2.CallState, str]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., attempt: _Optional[int] = ..., queues: _Optional[_Iterable[str]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., other_agent_id: _Optional[str] = ..., recording_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., lead_stage: _Optional[str] = ..., actor: _Optional[str] = ..., actor_via: _Optional[str] = ..., invoice_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., amount_minor: _Optional[int] = ..., currency: _Optional[str] = ..., commission_minor: _Optional[int] = ..., product: _Optional[str] = ..., team_id: _Optional[str] = ..., member_agent_ids: _Optional[_Iterable[str]] = ...) -> None: ...
