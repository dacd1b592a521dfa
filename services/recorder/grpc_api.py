"""The recorder's gRPC servicer: each handler reads the request, calls one domain method and
converts the answer. Domain errors become gRPC status codes in one place
(`callcenter.core.grpc_server.domain_errors`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.core import errors, time_bounds
from callcenter.core.event_stream import duration_ms, timestamp_ms
from callcenter.core.grpc_server import domain_errors
from callcenter.services.recorder.model import (
    AudioCodec,
    Chunk,
    End,
    InvalidArgument,
    Leg,
    Recording,
    UploadMetadata,
    UploadState,
)
from callcenter.services.recorder.recorder import Recorder

log = structlog.get_logger(__name__)

CODEC_FROM_PB = {
    pb.AUDIO_CODEC_PCM_S16LE: AudioCodec.PCM_S16LE,
    pb.AUDIO_CODEC_PCMU: AudioCodec.PCMU,
    pb.AUDIO_CODEC_PCMA: AudioCodec.PCMA,
}
CODEC_TO_PB = {v: k for k, v in CODEC_FROM_PB.items()}
LEG_FROM_PB = {pb.LEG_MIXED: Leg.MIXED, pb.LEG_CALLER: Leg.CALLER, pb.LEG_AGENT: Leg.AGENT}
LEG_TO_PB = {v: k for k, v in LEG_FROM_PB.items()}
STATE_TO_PB = {
    UploadState.RECEIVING: pb.UPLOAD_STATE_RECEIVING,
    UploadState.INTERRUPTED: pb.UPLOAD_STATE_INTERRUPTED,
    UploadState.STORED: pb.UPLOAD_STATE_STORED,
}


_domain_errors = domain_errors("the recorder's catalog", storage_errors=True)


def _leg(value: int, field: str) -> Leg:
    leg = LEG_FROM_PB.get(value)
    if leg is None:
        raise InvalidArgument(field, "must be MIXED, CALLER or AGENT")
    return leg


def _start_ms(m: pb.UploadMetadata, now_ms: int) -> int:
    """The recording's start: unset (or zero) means now."""
    start = time_bounds.optional_timestamp_ms(m.start_time, "metadata.start_time")
    return now_ms if start is None else start


def metadata_from_pb(m: pb.UploadMetadata, now_ms: int) -> UploadMetadata:
    codec = CODEC_FROM_PB.get(m.codec)
    if codec is None:
        raise InvalidArgument("metadata.codec", f"unknown codec {m.codec}: must be PCM_S16LE, PCMU or PCMA")
    return UploadMetadata(
        call_id=m.call_id,
        codec=codec,
        sample_rate_hz=m.sample_rate_hz,
        channels=m.channels or 1,
        start_ms=_start_ms(m, now_ms),
        leg=_leg(m.leg, "metadata.leg"),
        agent_id=m.agent_id,
        lead_id=m.lead_id,
        resume_offset=m.resume_offset,
    )


def recording_to_pb(r: Recording) -> pb.Recording:
    return pb.Recording(
        id=r.id,
        call_id=r.call_id,
        leg=LEG_TO_PB[r.leg],
        agent_id=r.agent_id,
        lead_id=r.lead_id,
        source_codec=CODEC_TO_PB[r.codec],
        sample_rate_hz=r.sample_rate_hz,
        channels=r.channels,
        start_time=timestamp_ms(r.start_ms),
        duration=duration_ms(r.duration_ms),
        size_bytes=r.size_bytes,
        sha256=r.sha256,
        content_type=r.content_type,
        partial=r.partial,
        legal_hold=r.legal_hold,
        stored_time=timestamp_ms(r.stored_ms),
        audio_bytes=r.audio_bytes,
        audio_sha256=r.audio_sha256,
    )


def _bound(request: pb.ListRecordingsRequest, field: str) -> int | None:
    """A start-time filter in ms; unset (or zero): no bound."""
    return time_bounds.optional_timestamp_ms(getattr(request, field), field)


async def _messages(requests: AsyncIterator[pb.UploadRecordingRequest]) -> AsyncIterator[Chunk | End]:
    async for request in requests:
        kind = request.WhichOneof("payload")
        if kind == "chunk":
            yield Chunk(request.chunk.offset, request.chunk.data)
        elif kind == "end":
            yield End(request.end.total_bytes, request.end.audio_sha256)
        elif kind == "metadata":
            raise InvalidArgument("metadata", "only the first message of an upload may carry metadata")
        else:
            raise InvalidArgument("payload", "a message of an upload must carry metadata, a chunk or the end")


class RecorderServicer(recorder_pb2_grpc.RecorderServiceServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    @_domain_errors
    async def UploadRecording(self, request_iterator, context):
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("payload") != "metadata":
            raise InvalidArgument("metadata", "the first message of an upload must carry the metadata")
        metadata = metadata_from_pb(first.metadata, self.recorder.clock.now_ms())
        # Each RPC runs in its own task, so these stay on this upload's log lines only.
        structlog.contextvars.bind_contextvars(rpc="UploadRecording", call_id=metadata.call_id, leg=metadata.leg)
        recording = await self.recorder.receive(metadata, _messages(request_iterator))
        return pb.UploadRecordingResponse(recording=recording_to_pb(recording))

    @_domain_errors
    async def GetUploadStatus(self, request, context):
        status = await self.recorder.upload_status(request.call_id, _leg(request.leg, "leg"))
        return pb.GetUploadStatusResponse(
            state=STATE_TO_PB[status.state], committed_offset=status.committed_offset, recording_id=status.recording_id
        )

    @_domain_errors
    async def GetRecording(self, request, context):
        return pb.GetRecordingResponse(recording=recording_to_pb(await self.recorder.get(request.recording_id)))

    @_domain_errors
    async def DownloadRecording(self, request, context):
        try:
            recording, chunks = await self.recorder.read(request.recording_id, request.offset, request.length)
            offset = request.offset
            async for data in chunks:
                yield pb.DownloadRecordingResponse(
                    offset=offset, data=data, total_size=recording.size_bytes, content_type=recording.content_type
                )
                offset += len(data)
        except FileNotFoundError:
            raise errors.DataLoss(f"recording {request.recording_id}'s file is missing") from None

    @_domain_errors
    async def ListRecordings(self, request, context):
        recordings, token = await self.recorder.list(
            call_id=request.call_id,
            agent_id=request.agent_id,
            lead_id=request.lead_id,
            from_ms=_bound(request, "start_time_from"),
            to_ms=_bound(request, "start_time_to"),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListRecordingsResponse(recordings=[recording_to_pb(r) for r in recordings], next_page_token=token)

    @_domain_errors
    async def SetLegalHold(self, request, context):
        recording = await self.recorder.set_legal_hold(request.recording_id, request.hold)
        return pb.SetLegalHoldResponse(recording=recording_to_pb(recording))

    @_domain_errors
    async def DeleteRecording(self, request, context):
        await self.recorder.delete(request.recording_id)
        return pb.DeleteRecordingResponse()
