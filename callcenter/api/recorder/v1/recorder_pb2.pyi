import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AudioCodec(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIO_CODEC_UNSPECIFIED: _ClassVar[AudioCodec]
    AUDIO_CODEC_PCM_S16LE: _ClassVar[AudioCodec]
    AUDIO_CODEC_PCMU: _ClassVar[AudioCodec]
    AUDIO_CODEC_PCMA: _ClassVar[AudioCodec]

class Leg(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEG_UNSPECIFIED: _ClassVar[Leg]
    LEG_MIXED: _ClassVar[Leg]
    LEG_CALLER: _ClassVar[Leg]
    LEG_AGENT: _ClassVar[Leg]

class UploadState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPLOAD_STATE_UNSPECIFIED: _ClassVar[UploadState]
    UPLOAD_STATE_RECEIVING: _ClassVar[UploadState]
    UPLOAD_STATE_INTERRUPTED: _ClassVar[UploadState]
    UPLOAD_STATE_STORED: _ClassVar[UploadState]
AUDIO_CODEC_UNSPECIFIED: AudioCodec
AUDIO_CODEC_PCM_S16LE: AudioCodec
AUDIO_CODEC_PCMU: AudioCodec
AUDIO_CODEC_PCMA: AudioCodec
LEG_UNSPECIFIED: Leg
LEG_MIXED: Leg
LEG_CALLER: Leg
LEG_AGENT: Leg
UPLOAD_STATE_UNSPECIFIED: UploadState
UPLOAD_STATE_RECEIVING: UploadState
UPLOAD_STATE_INTERRUPTED: UploadState
UPLOAD_STATE_STORED: UploadState

class Recording(_message.Message):
    __slots__ = ("id", "call_id", "leg", "agent_id", "lead_id", "source_codec", "sample_rate_hz", "channels", "start_time", "duration", "size_bytes", "sha256", "content_type", "partial", "legal_hold", "stored_time", "audio_bytes", "audio_sha256")
    ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    LEG_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CODEC_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_HZ_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    LEGAL_HOLD_FIELD_NUMBER: _ClassVar[int]
    STORED_TIME_FIELD_NUMBER: _ClassVar[int]
    AUDIO_BYTES_FIELD_NUMBER: _ClassVar[int]
    AUDIO_SHA256_FIELD_NUMBER: _ClassVar[int]
    id: str
    call_id: str
    leg: Leg
    agent_id: str
    lead_id: str
    source_codec: AudioCodec
    sample_rate_hz: int
    channels: int
    start_time: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    size_bytes: int
    sha256: str
    content_type: str
    partial: bool
    legal_hold: bool
    stored_time: _timestamp_pb2.Timestamp
    audio_bytes: int
    audio_sha256: str
    def __init__(self, id: _Optional[str] = ..., call_id: _Optional[str] = ..., leg: _Optional[_Union[Leg, str]] = ..., agent_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., source_codec: _Optional[_Union[AudioCodec, str]] = ..., sample_rate_hz: _Optional[int] = ..., channels: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., content_type: _Optional[str] = ..., partial: _Optional[bool] = ..., legal_hold: _Optional[bool] = ..., stored_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., audio_bytes: _Optional[int] = ..., audio_sha256: _Optional[str] = ...) -> None: ...

class UploadMetadata(_message.Message):
    __slots__ = ("call_id", "codec", "sample_rate_hz", "channels", "start_time", "leg", "agent_id", "lead_id", "resume_offset")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_HZ_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    LEG_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_OFFSET_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    codec: AudioCodec
    sample_rate_hz: int
    channels: int
    start_time: _timestamp_pb2.Timestamp
    leg: Leg
    agent_id: str
    lead_id: str
    resume_offset: int
    def __init__(self, call_id: _Optional[str] = ..., codec: _Optional[_Union[AudioCodec, str]] = ..., sample_rate_hz: _Optional[int] = ..., channels: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., leg: _Optional[_Union[Leg, str]] = ..., agent_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., resume_offset: _Optional[int] = ...) -> None: ...

class AudioChunk(_message.Message):
    __slots__ = ("offset", "data")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    offset: int
    data: bytes
    def __init__(self, offset: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadEnd(_message.Message):
    __slots__ = ("total_bytes", "audio_sha256")
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    AUDIO_SHA256_FIELD_NUMBER: _ClassVar[int]
    total_bytes: int
    audio_sha256: str
    def __init__(self, total_bytes: _Optional[int] = ..., audio_sha256: _Optional[str] = ...) -> None: ...

class UploadRecordingRequest(_message.Message):
    __slots__ = ("metadata", "chunk", "end")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    metadata: UploadMetadata
    chunk: AudioChunk
    end: UploadEnd
    def __init__(self, metadata: _Optional[_Union[UploadMetadata, _Mapping]] = ..., chunk: _Optional[_Union[AudioChunk, _Mapping]] = ..., end: _Optional[_Union[UploadEnd, _Mapping]] = ...) -> None: ...

class UploadRecordingResponse(_message.Message):
    __slots__ = ("recording",)
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    recording: Recording
    def __init__(self, recording: _Optional[_Union[Recording, _Mapping]] = ...) -> None: ...

class GetUploadStatusRequest(_message.Message):
    __slots__ = ("call_id", "leg")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    LEG_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    leg: Leg
    def __init__(self, call_id: _Optional[str] = ..., leg: _Optional[_Union[Leg, str]] = ...) -> None: ...

class GetUploadStatusResponse(_message.Message):
    __slots__ = ("state", "committed_offset", "recording_id")
    STATE_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    state: UploadState
    committed_offset: int
    recording_id: str
    def __init__(self, state: _Optional[_Union[UploadState, str]] = ..., committed_offset: _Optional[int] = ..., recording_id: _Optional[str] = ...) -> None: ...

class GetRecordingRequest(_message.Message):
    __slots__ = ("recording_id",)
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    recording_id: str
    def __init__(self, recording_id: _Optional[str] = ...) -> None: ...

class GetRecordingResponse(_message.Message):
    __slots__ = ("recording",)
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    recording: Recording
    def __init__(self, recording: _Optional[_Union[Recording, _Mapping]] = ...) -> None: ...

class DownloadRecordingRequest(_message.Message):
    __slots__ = ("recording_id", "offset", "length")
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    recording_id: str
    offset: int
    length: int
    def __init__(self, recording_id: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class DownloadRecordingResponse(_message.Message):
    __slots__ = ("offset", "data", "total_size", "content_type")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    offset: int
    data: bytes
    total_size: int
    content_type: str
    def __init__(self, offset: _Optional[int] = ..., data: _Optional[bytes] = ..., total_size: _Optional[int] = ..., content_type: _Optional[str] = ...) -> None: ...

class ListRecordingsRequest(_message.Message):
    __slots__ = ("call_id", "agent_id", "lead_id", "start_time_from", "start_time_to", "page_size", "page_token")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FROM_FIELD_NUMBER: _ClassVar[int]
    START_TIME_TO_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    agent_id: str
    lead_id: str
    start_time_from: _timestamp_pb2.Timestamp
    start_time_to: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, call_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., start_time_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRecordingsResponse(_message.Message):
    __slots__ = ("recordings", "next_page_token")
    RECORDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    recordings: _containers.RepeatedCompositeFieldContainer[Recording]
    next_page_token: str
    def __init__(self, recordings: _Optional[_Iterable[_Union[Recording, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetLegalHoldRequest(_message.Message):
    __slots__ = ("recording_id", "hold")
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_FIELD_NUMBER: _ClassVar[int]
    recording_id: str
    hold: bool
    def __init__(self, recording_id: _Optional[str] = ..., hold: _Optional[bool] = ...) -> None: ...

class SetLegalHoldResponse(_message.Message):
    __slots__ = ("recording",)
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    recording: Recording
    def __init__(self, recording: _Optional[_Union[Recording, _Mapping]] = ...) -> None: ...

class DeleteRecordingRequest(_message.Message):
    __slots__ = ("recording_id",)
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    recording_id: str
    def __init__(self, recording_id: _Optional[str] = ...) -> None: ...

class DeleteRecordingResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
