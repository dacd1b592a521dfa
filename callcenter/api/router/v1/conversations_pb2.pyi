import datetime

from callcenter.api.router.v1 import router_pb2 as _router_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConversationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONVERSATION_STATE_UNSPECIFIED: _ClassVar[ConversationState]
    CONVERSATION_STATE_NEW: _ClassVar[ConversationState]
    CONVERSATION_STATE_TAKEN: _ClassVar[ConversationState]
    CONVERSATION_STATE_UNANSWERED: _ClassVar[ConversationState]
    CONVERSATION_STATE_ANSWERED: _ClassVar[ConversationState]
    CONVERSATION_STATE_CLOSED: _ClassVar[ConversationState]

class MessageAuthor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_AUTHOR_UNSPECIFIED: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_CUSTOMER: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_AGENT: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_SUPERVISOR: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_NOTE: _ClassVar[MessageAuthor]
CONVERSATION_STATE_UNSPECIFIED: ConversationState
CONVERSATION_STATE_NEW: ConversationState
CONVERSATION_STATE_TAKEN: ConversationState
CONVERSATION_STATE_UNANSWERED: ConversationState
CONVERSATION_STATE_ANSWERED: ConversationState
CONVERSATION_STATE_CLOSED: ConversationState
MESSAGE_AUTHOR_UNSPECIFIED: MessageAuthor
MESSAGE_AUTHOR_CUSTOMER: MessageAuthor
MESSAGE_AUTHOR_AGENT: MessageAuthor
MESSAGE_AUTHOR_SUPERVISOR: MessageAuthor
MESSAGE_AUTHOR_NOTE: MessageAuthor

class ConversationMessage(_message.Message):
    __slots__ = ("message_id", "author", "agent_id", "text", "sent_at", "actor")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    author: MessageAuthor
    agent_id: str
    text: str
    sent_at: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, message_id: _Optional[str] = ..., author: _Optional[_Union[MessageAuthor, str]] = ..., agent_id: _Optional[str] = ..., text: _Optional[str] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class Conversation(_message.Message):
    __slots__ = ("conversation_id", "channel", "topic", "queue", "client_number", "state", "agent_id", "overdue", "reply_due_at", "created_at", "assigned_at", "closed_at", "message_count", "messages", "last_customer_message_at", "first_replied_at", "stage", "close_reason")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    REPLY_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    LAST_CUSTOMER_MESSAGE_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_REPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    channel: str
    topic: str
    queue: str
    client_number: str
    state: ConversationState
    agent_id: str
    overdue: bool
    reply_due_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    assigned_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    message_count: int
    messages: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    last_customer_message_at: _timestamp_pb2.Timestamp
    first_replied_at: _timestamp_pb2.Timestamp
    stage: _router_pb2.RoutingStage
    close_reason: str
    def __init__(self, conversation_id: _Optional[str] = ..., channel: _Optional[str] = ..., topic: _Optional[str] = ..., queue: _Optional[str] = ..., client_number: _Optional[str] = ..., state: _Optional[_Union[ConversationState, str]] = ..., agent_id: _Optional[str] = ..., overdue: _Optional[bool] = ..., reply_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message_count: _Optional[int] = ..., messages: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., last_customer_message_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_replied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stage: _Optional[_Union[_router_pb2.RoutingStage, str]] = ..., close_reason: _Optional[str] = ...) -> None: ...

class PostCustomerMessageRequest(_message.Message):
    __slots__ = ("conversation_id", "channel", "topic", "queue", "client_number", "message_id", "text")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    channel: str
    topic: str
    queue: str
    client_number: str
    message_id: str
    text: str
    def __init__(self, conversation_id: _Optional[str] = ..., channel: _Optional[str] = ..., topic: _Optional[str] = ..., queue: _Optional[str] = ..., client_number: _Optional[str] = ..., message_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class PostCustomerMessageResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ...) -> None: ...

class ReplyToConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "agent_id", "message_id", "text")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    agent_id: str
    message_id: str
    text: str
    def __init__(self, conversation_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., message_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class ReplyToConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ...) -> None: ...

class CloseConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "agent_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    agent_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class CloseConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ("agent_id", "queue", "state", "channel", "topic", "page_size", "page_token", "overdue_only", "client_number", "queues", "also_held_by")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    ALSO_HELD_BY_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    queue: str
    state: ConversationState
    channel: str
    topic: str
    page_size: int
    page_token: str
    overdue_only: bool
    client_number: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    also_held_by: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., state: _Optional[_Union[ConversationState, str]] = ..., channel: _Optional[str] = ..., topic: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., overdue_only: _Optional[bool] = ..., client_number: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., also_held_by: _Optional[_Iterable[str]] = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ("conversations", "next_page_token")
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[Conversation]
    next_page_token: str
    def __init__(self, conversations: _Optional[_Iterable[_Union[Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TransferConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "agent_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    agent_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class TransferConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ...) -> None: ...

class PostSupervisorMessageRequest(_message.Message):
    __slots__ = ("conversation_id", "message_id", "text", "note")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    text: str
    note: bool
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., text: _Optional[str] = ..., note: _Optional[bool] = ...) -> None: ...

class PostSupervisorMessageResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ...) -> None: ...
