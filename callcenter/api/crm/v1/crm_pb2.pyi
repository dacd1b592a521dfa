import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CrmEventOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CRM_EVENT_OUTCOME_UNSPECIFIED: _ClassVar[CrmEventOutcome]
    CRM_EVENT_OUTCOME_ACCEPTED: _ClassVar[CrmEventOutcome]
    CRM_EVENT_OUTCOME_DUPLICATE: _ClassVar[CrmEventOutcome]
    CRM_EVENT_OUTCOME_REFUSED: _ClassVar[CrmEventOutcome]
CRM_EVENT_OUTCOME_UNSPECIFIED: CrmEventOutcome
CRM_EVENT_OUTCOME_ACCEPTED: CrmEventOutcome
CRM_EVENT_OUTCOME_DUPLICATE: CrmEventOutcome
CRM_EVENT_OUTCOME_REFUSED: CrmEventOutcome

class ClientChanged(_message.Message):
    __slots__ = ("number", "name", "priority", "personal_manager_agent_id", "time_zone", "attributes")
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
    PERSONAL_MANAGER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    number: str
    name: str
    priority: int
    personal_manager_agent_id: str
    time_zone: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, number: _Optional[str] = ..., name: _Optional[str] = ..., priority: _Optional[int] = ..., personal_manager_agent_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class LeadChanged(_message.Message):
    __slots__ = ("lead_id", "client_number", "owner_agent_id", "stage")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OWNER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    client_number: str
    owner_agent_id: str
    stage: str
    def __init__(self, lead_id: _Optional[str] = ..., client_number: _Optional[str] = ..., owner_agent_id: _Optional[str] = ..., stage: _Optional[str] = ...) -> None: ...

class InvoiceIssued(_message.Message):
    __slots__ = ("invoice_id", "lead_id", "agent_id", "product", "queue", "amount_minor", "currency", "issued_at")
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    invoice_id: str
    lead_id: str
    agent_id: str
    product: str
    queue: str
    amount_minor: int
    currency: str
    issued_at: _timestamp_pb2.Timestamp
    def __init__(self, invoice_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., product: _Optional[str] = ..., queue: _Optional[str] = ..., amount_minor: _Optional[int] = ..., currency: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaymentReceived(_message.Message):
    __slots__ = ("payment_id", "invoice_id", "amount_minor", "paid_at")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    invoice_id: str
    amount_minor: int
    paid_at: _timestamp_pb2.Timestamp
    def __init__(self, payment_id: _Optional[str] = ..., invoice_id: _Optional[str] = ..., amount_minor: _Optional[int] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CrmEvent(_message.Message):
    __slots__ = ("source", "event_id", "client_changed", "lead_changed", "invoice_issued", "payment_received")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CHANGED_FIELD_NUMBER: _ClassVar[int]
    LEAD_CHANGED_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ISSUED_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    source: str
    event_id: str
    client_changed: ClientChanged
    lead_changed: LeadChanged
    invoice_issued: InvoiceIssued
    payment_received: PaymentReceived
    def __init__(self, source: _Optional[str] = ..., event_id: _Optional[str] = ..., client_changed: _Optional[_Union[ClientChanged, _Mapping]] = ..., lead_changed: _Optional[_Union[LeadChanged, _Mapping]] = ..., invoice_issued: _Optional[_Union[InvoiceIssued, _Mapping]] = ..., payment_received: _Optional[_Union[PaymentReceived, _Mapping]] = ...) -> None: ...

class SubmitCrmEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[CrmEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[CrmEvent, _Mapping]]] = ...) -> None: ...

class CrmEventResult(_message.Message):
    __slots__ = ("event_id", "outcome", "field", "reason", "code")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    outcome: CrmEventOutcome
    field: str
    reason: str
    code: str
    def __init__(self, event_id: _Optional[str] = ..., outcome: _Optional[_Union[CrmEventOutcome, str]] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class SubmitCrmEventsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CrmEventResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CrmEventResult, _Mapping]]] = ...) -> None: ...
