import datetime

from callcenter.api.router.v1 import router_pb2 as _router_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CampaignState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_STATE_UNSPECIFIED: _ClassVar[CampaignState]
    CAMPAIGN_STATE_DRAFT: _ClassVar[CampaignState]
    CAMPAIGN_STATE_RUNNING: _ClassVar[CampaignState]
    CAMPAIGN_STATE_PAUSED: _ClassVar[CampaignState]
    CAMPAIGN_STATE_STOPPED: _ClassVar[CampaignState]
    CAMPAIGN_STATE_FINISHED: _ClassVar[CampaignState]

class CampaignSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_SOURCE_UNSPECIFIED: _ClassVar[CampaignSource]
    CAMPAIGN_SOURCE_CONTACTS: _ClassVar[CampaignSource]
    CAMPAIGN_SOURCE_NEW_LEADS: _ClassVar[CampaignSource]

class ContactState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTACT_STATE_UNSPECIFIED: _ClassVar[ContactState]
    CONTACT_STATE_PENDING: _ClassVar[ContactState]
    CONTACT_STATE_CALLING: _ClassVar[ContactState]
    CONTACT_STATE_REACHED: _ClassVar[ContactState]
    CONTACT_STATE_EXHAUSTED: _ClassVar[ContactState]
    CONTACT_STATE_SKIPPED: _ClassVar[ContactState]
CAMPAIGN_STATE_UNSPECIFIED: CampaignState
CAMPAIGN_STATE_DRAFT: CampaignState
CAMPAIGN_STATE_RUNNING: CampaignState
CAMPAIGN_STATE_PAUSED: CampaignState
CAMPAIGN_STATE_STOPPED: CampaignState
CAMPAIGN_STATE_FINISHED: CampaignState
CAMPAIGN_SOURCE_UNSPECIFIED: CampaignSource
CAMPAIGN_SOURCE_CONTACTS: CampaignSource
CAMPAIGN_SOURCE_NEW_LEADS: CampaignSource
CONTACT_STATE_UNSPECIFIED: ContactState
CONTACT_STATE_PENDING: ContactState
CONTACT_STATE_CALLING: ContactState
CONTACT_STATE_REACHED: ContactState
CONTACT_STATE_EXHAUSTED: ContactState
CONTACT_STATE_SKIPPED: ContactState

class CallingHours(_message.Message):
    __slots__ = ("days", "start_minute", "end_minute", "time_zone")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    START_MINUTE_FIELD_NUMBER: _ClassVar[int]
    END_MINUTE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedScalarFieldContainer[int]
    start_minute: int
    end_minute: int
    time_zone: str
    def __init__(self, days: _Optional[_Iterable[int]] = ..., start_minute: _Optional[int] = ..., end_minute: _Optional[int] = ..., time_zone: _Optional[str] = ...) -> None: ...

class RetryRules(_message.Message):
    __slots__ = ("no_answer", "busy", "failed", "max_attempts", "spread", "call_reached_again")
    NO_ANSWER_FIELD_NUMBER: _ClassVar[int]
    BUSY_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SPREAD_FIELD_NUMBER: _ClassVar[int]
    CALL_REACHED_AGAIN_FIELD_NUMBER: _ClassVar[int]
    no_answer: _duration_pb2.Duration
    busy: _duration_pb2.Duration
    failed: _duration_pb2.Duration
    max_attempts: int
    spread: _duration_pb2.Duration
    call_reached_again: bool
    def __init__(self, no_answer: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., busy: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., failed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_attempts: _Optional[int] = ..., spread: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., call_reached_again: _Optional[bool] = ...) -> None: ...

class CampaignProgress(_message.Message):
    __slots__ = ("contacts", "pending", "calling", "reached", "exhausted", "skipped", "attempts", "connected", "not_connected")
    class NotConnectedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    CALLING_FIELD_NUMBER: _ClassVar[int]
    REACHED_FIELD_NUMBER: _ClassVar[int]
    EXHAUSTED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    NOT_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    contacts: int
    pending: int
    calling: int
    reached: int
    exhausted: int
    skipped: int
    attempts: int
    connected: int
    not_connected: _containers.ScalarMap[str, int]
    def __init__(self, contacts: _Optional[int] = ..., pending: _Optional[int] = ..., calling: _Optional[int] = ..., reached: _Optional[int] = ..., exhausted: _Optional[int] = ..., skipped: _Optional[int] = ..., attempts: _Optional[int] = ..., connected: _Optional[int] = ..., not_connected: _Optional[_Mapping[str, int]] = ...) -> None: ...

class Campaign(_message.Message):
    __slots__ = ("campaign_id", "name", "queue", "segment_id", "source", "script", "mode", "calling_hours", "retry", "max_concurrent", "state", "progress", "created_at")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CALLING_HOURS_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    name: str
    queue: str
    segment_id: str
    source: CampaignSource
    script: str
    mode: _router_pb2.OutboundMode
    calling_hours: CallingHours
    retry: RetryRules
    max_concurrent: int
    state: CampaignState
    progress: CampaignProgress
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., name: _Optional[str] = ..., queue: _Optional[str] = ..., segment_id: _Optional[str] = ..., source: _Optional[_Union[CampaignSource, str]] = ..., script: _Optional[str] = ..., mode: _Optional[_Union[_router_pb2.OutboundMode, str]] = ..., calling_hours: _Optional[_Union[CallingHours, _Mapping]] = ..., retry: _Optional[_Union[RetryRules, _Mapping]] = ..., max_concurrent: _Optional[int] = ..., state: _Optional[_Union[CampaignState, str]] = ..., progress: _Optional[_Union[CampaignProgress, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CampaignContact(_message.Message):
    __slots__ = ("number", "deal_id", "state", "attempts", "last_outcome", "next_attempt_at")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    number: str
    deal_id: str
    state: ContactState
    attempts: int
    last_outcome: str
    next_attempt_at: _timestamp_pb2.Timestamp
    def __init__(self, number: _Optional[str] = ..., deal_id: _Optional[str] = ..., state: _Optional[_Union[ContactState, str]] = ..., attempts: _Optional[int] = ..., last_outcome: _Optional[str] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertCampaignRequest(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class UpsertCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns",)
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[Campaign]
    def __init__(self, campaigns: _Optional[_Iterable[_Union[Campaign, _Mapping]]] = ...) -> None: ...

class NewContact(_message.Message):
    __slots__ = ("number", "deal_id")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    number: str
    deal_id: str
    def __init__(self, number: _Optional[str] = ..., deal_id: _Optional[str] = ...) -> None: ...

class AddCampaignContactsRequest(_message.Message):
    __slots__ = ("campaign_id", "contacts")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    contacts: _containers.RepeatedCompositeFieldContainer[NewContact]
    def __init__(self, campaign_id: _Optional[str] = ..., contacts: _Optional[_Iterable[_Union[NewContact, _Mapping]]] = ...) -> None: ...

class AddCampaignContactsResponse(_message.Message):
    __slots__ = ("added", "skipped")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    added: int
    skipped: int
    def __init__(self, added: _Optional[int] = ..., skipped: _Optional[int] = ...) -> None: ...

class ListCampaignContactsRequest(_message.Message):
    __slots__ = ("campaign_id", "state", "page_size", "after_number")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    AFTER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    state: ContactState
    page_size: int
    after_number: str
    def __init__(self, campaign_id: _Optional[str] = ..., state: _Optional[_Union[ContactState, str]] = ..., page_size: _Optional[int] = ..., after_number: _Optional[str] = ...) -> None: ...

class ListCampaignContactsResponse(_message.Message):
    __slots__ = ("contacts",)
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    contacts: _containers.RepeatedCompositeFieldContainer[CampaignContact]
    def __init__(self, contacts: _Optional[_Iterable[_Union[CampaignContact, _Mapping]]] = ...) -> None: ...

class StartCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class StartCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class PauseCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class PauseCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class StopCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class StopCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...
