from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class AgentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGENT_STATE_UNSPECIFIED: _ClassVar[AgentState]
    AGENT_STATE_LOGGED_OUT: _ClassVar[AgentState]
    AGENT_STATE_AVAILABLE: _ClassVar[AgentState]
    AGENT_STATE_PAUSED: _ClassVar[AgentState]
    AGENT_STATE_RESERVED: _ClassVar[AgentState]
    AGENT_STATE_ON_CALL: _ClassVar[AgentState]
    AGENT_STATE_WRAP_UP: _ClassVar[AgentState]

class CallState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_STATE_UNSPECIFIED: _ClassVar[CallState]
    CALL_STATE_WAITING: _ClassVar[CallState]
    CALL_STATE_RINGING: _ClassVar[CallState]
    CALL_STATE_CONNECTED: _ClassVar[CallState]
    CALL_STATE_COMPLETED: _ClassVar[CallState]
    CALL_STATE_ABANDONED: _ClassVar[CallState]
    CALL_STATE_TIMED_OUT: _ClassVar[CallState]
    CALL_STATE_REDIRECTED: _ClassVar[CallState]
    CALL_STATE_DIALING: _ClassVar[CallState]
    CALL_STATE_NOT_CONNECTED: _ClassVar[CallState]
AGENT_STATE_UNSPECIFIED: AgentState
AGENT_STATE_LOGGED_OUT: AgentState
AGENT_STATE_AVAILABLE: AgentState
AGENT_STATE_PAUSED: AgentState
AGENT_STATE_RESERVED: AgentState
AGENT_STATE_ON_CALL: AgentState
AGENT_STATE_WRAP_UP: AgentState
CALL_STATE_UNSPECIFIED: CallState
CALL_STATE_WAITING: CallState
CALL_STATE_RINGING: CallState
CALL_STATE_CONNECTED: CallState
CALL_STATE_COMPLETED: CallState
CALL_STATE_ABANDONED: CallState
CALL_STATE_TIMED_OUT: CallState
CALL_STATE_REDIRECTED: CallState
CALL_STATE_DIALING: CallState
CALL_STATE_NOT_CONNECTED: CallState
