"""The recorder's domain types and errors; nothing here knows of gRPC or Redis."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from callcenter.core import errors, ids
from callcenter.core.call_ids import call_id_problem
from callcenter.services.recorder import codecs

# The recorder's refusals are the kernel's (callcenter.core.errors), under the recorder's names.
RecorderError = errors.DomainError
InvalidArgument = errors.InvalidArgument
NotFound = errors.NotFound
AlreadyExists = errors.AlreadyExists  # the call leg already has a stored recording
Busy = errors.Aborted  # another upload of the same call leg is running now
FailedPrecondition = errors.FailedPrecondition
OutOfRange = errors.OutOfRange  # a resume past the committed offset, a download past the end
TooLarge = errors.ResourceExhausted  # an upload over the size limit; nothing of it is kept


class AudioCodec(enum.StrEnum):
    PCM_S16LE = "pcm_s16le"
    PCMU = "pcmu"
    PCMA = "pcma"

    @property
    def is_g711(self) -> bool:
        return self is not AudioCodec.PCM_S16LE

    def source_frame_bytes(self, channels: int) -> int:
        """Bytes of one frame (a sample of every channel) as the PBX sends it."""
        return channels * (1 if self.is_g711 else 2)

    def to_pcm(self, data: bytes) -> bytes:
        """Audio in this codec as 16-bit little-endian PCM, the stored form."""
        if self is AudioCodec.PCMU:
            return codecs.decode_ulaw(data)
        if self is AudioCodec.PCMA:
            return codecs.decode_alaw(data)
        return data


class Leg(enum.StrEnum):
    MIXED = "mixed"
    CALLER = "caller"
    AGENT = "agent"


class UploadState(enum.StrEnum):
    RECEIVING = "receiving"
    INTERRUPTED = "interrupted"
    STORED = "stored"


MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 48000
G711_SAMPLE_RATE_HZ = 8000


def check_call_id(call_id: str, field: str = "call_id") -> str:
    """The call id, if it is one (any SIP Call-ID, callcenter/core/call_ids.py); InvalidArgument
    naming the field otherwise. Call ids name Redis keys (always last, after a fixed prefix)
    and events, never files: audio is stored under the recording id."""
    problem = call_id_problem(call_id)
    if problem:
        raise InvalidArgument(field, problem)
    return call_id


def check_optional_ids(agent_id: str, lead_id: str, prefix: str = "") -> None:
    """An agent id and a lead id, each either empty (none) or one by the rule every service
    applies (callcenter/core/ids.py: the router's agent names, the CRM's lead ids);
    InvalidArgument naming the field otherwise. They name Redis keys and events, so a line
    break, a separator or a path is refused before anything is stored."""
    if agent_id:
        ids.check_name(agent_id, f"{prefix}agent_id")
    if lead_id:
        ids.check_lead_id(lead_id, f"{prefix}lead_id")


@dataclass(frozen=True)
class UploadMetadata:
    """What the PBX says about an upload in its first message."""

    call_id: str
    codec: AudioCodec
    sample_rate_hz: int
    channels: int
    start_ms: int
    leg: Leg
    agent_id: str = ""
    lead_id: str = ""
    resume_offset: int = 0

    def validate(self) -> None:
        check_call_id(self.call_id, "metadata.call_id")
        if self.channels not in (1, 2):
            raise InvalidArgument("metadata.channels", f"must be 1 or 2, got {self.channels}")
        if self.codec.is_g711 and self.sample_rate_hz != G711_SAMPLE_RATE_HZ:
            raise InvalidArgument(
                "metadata.sample_rate_hz", f"G.711 audio is {G711_SAMPLE_RATE_HZ} Hz, got {self.sample_rate_hz}"
            )
        if not MIN_SAMPLE_RATE_HZ <= self.sample_rate_hz <= MAX_SAMPLE_RATE_HZ:
            raise InvalidArgument(
                "metadata.sample_rate_hz",
                f"must be {MIN_SAMPLE_RATE_HZ} to {MAX_SAMPLE_RATE_HZ}, got {self.sample_rate_hz}",
            )
        if self.resume_offset < 0:
            raise InvalidArgument("metadata.resume_offset", "must not be negative")
        check_optional_ids(self.agent_id, self.lead_id, "metadata.")


@dataclass(frozen=True)
class Chunk:
    """Audio bytes at an offset of the upload's stream."""

    offset: int
    data: bytes


@dataclass(frozen=True)
class End:
    """The PBX says the recording is complete: this many bytes in all (and their checksum)."""

    total_bytes: int
    audio_sha256: str = ""


@dataclass(frozen=True)
class Recording:
    """A stored recording: the catalog entry of one WAV file."""

    id: str
    call_id: str
    leg: Leg
    agent_id: str
    lead_id: str
    codec: AudioCodec
    sample_rate_hz: int
    channels: int
    start_ms: int
    duration_ms: int
    size_bytes: int
    sha256: str
    content_type: str
    partial: bool
    legal_hold: bool
    stored_ms: int
    audio_bytes: int
    audio_sha256: str


@dataclass(frozen=True)
class UploadStatus:
    state: UploadState
    committed_offset: int
    recording_id: str
