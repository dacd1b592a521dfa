"""A recording's catalogue entry and its event are written in one atomic step (store.lua,
delete.lua): RECORDING_STORED is in the stream exactly when the entry is, RECORDING_DELETED
exactly when it is gone, and a retried completion never writes the event twice. Real
recorder over gRPC and the session's Redis; a failure inside the step is forced by giving the
event stream's key the wrong type."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.core.event_stream import entry, stream_key
from callcenter.services.recorder.catalog import Catalog
from callcenter.services.recorder.model import AudioCodec, Leg, Recording
from tests.helpers import event_types, read_events
from tests.recorder_fixtures import metadata, status, tone, upload


async def listed(stub, call_id: str = "c1") -> list[str]:
    return [r.id for r in (await stub.ListRecordings(pb.ListRecordingsRequest(call_id=call_id))).recordings]


async def test_a_completion_that_fails_stores_neither_the_recording_nor_its_event(recorder_stub, redis, tenant):
    audio = tone(0.5)
    await redis.set(stream_key(tenant), "not a stream")  # the XADD of the step will fail
    with pytest.raises(grpc.aio.AioRpcError):
        await upload(recorder_stub, audio)
    assert await listed(recorder_stub) == []  # no catalogue entry without its event
    kept = await status(recorder_stub, "c1")
    assert kept.state == pb.UPLOAD_STATE_INTERRUPTED and kept.committed_offset == len(audio)

    await redis.delete(stream_key(tenant))
    stored = await upload(recorder_stub, audio, metadata(resume_offset=len(audio)), start=len(audio))
    assert await listed(recorder_stub) == [stored.id]
    events = await read_events(redis, tenant)
    assert event_types(events) == ["RECORDING_STORED"] and events[0].recording_id == stored.id


async def test_a_deletion_that_fails_keeps_the_recording_and_writes_no_event(recorder_stub, redis, tenant):
    stored = await upload(recorder_stub, tone(0.5))
    await redis.delete(stream_key(tenant))
    await redis.set(stream_key(tenant), "not a stream")
    with pytest.raises(grpc.aio.AioRpcError):
        await recorder_stub.DeleteRecording(pb.DeleteRecordingRequest(recording_id=stored.id))
    assert await listed(recorder_stub) == [stored.id]  # still there, file included
    await recorder_stub.GetRecording(pb.GetRecordingRequest(recording_id=stored.id))

    await redis.delete(stream_key(tenant))
    await recorder_stub.DeleteRecording(pb.DeleteRecordingRequest(recording_id=stored.id))
    assert await listed(recorder_stub) == []
    events = await read_events(redis, tenant)
    assert event_types(events) == ["RECORDING_DELETED"] and events[0].recording_id == stored.id


def recording(recording_id: str) -> Recording:
    return Recording(
        id=recording_id,
        call_id="c1",
        leg=Leg.MIXED,
        agent_id="anna",
        lead_id="",
        codec=AudioCodec.PCMU,
        sample_rate_hz=8000,
        channels=1,
        start_ms=1,
        duration_ms=1000,
        size_bytes=100,
        sha256="x",
        content_type="audio/wav",
        partial=False,
        legal_hold=False,
        stored_ms=1,
        audio_bytes=80,
        audio_sha256="y",
    )


async def test_a_retried_completion_answers_ok_and_writes_its_event_once(redis, tenant):
    catalog = Catalog(redis, tenant)
    await catalog.acquire_upload("c1", Leg.MIXED, "token", 60_000)
    event = entry("recording_stored", 1, call_id="c1", recording_id="r1")
    await catalog.store(recording("r1"), "token", event, 1000)
    # The same step again, as a client whose first reply was lost sends it: the lock it
    # held is gone with the upload, yet the recording is stored, so this is no failure.
    await catalog.store(recording("r1"), "token", event, 1000)
    assert await catalog.stored_id("c1", Leg.MIXED) == "r1"
    assert [(e["type"], e["recording_id"]) for _, e in await redis.xrange(stream_key(tenant))] == [
        ("recording_stored", "r1")
    ]
