"""Interrupted uploads: what is stored as partial, what is cleaned, what a resume keeps
(each found by a review and pinned here)."""

from __future__ import annotations

import os
import time
import uuid

import grpc

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from tests.recorder_fixtures import (
    chunks,
    metadata,
    refusal,
    status,
    tone,
)


async def test_an_interrupted_upload_without_audio_is_not_stored(start_recorder, clock):
    service = await start_recorder(idle_finalize_s=60)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        error = await refusal(stub, [pb.UploadRecordingRequest(metadata=metadata("c-empty"))], keep_open=False)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        reply = await status(stub, "c-empty")
        assert (reply.state, reply.committed_offset) == (pb.UPLOAD_STATE_INTERRUPTED, 0)
        clock.advance(61)
        stored = await service.recorder.finalize_idle_uploads()
        assert [r.size_bytes for r in stored] == []


async def test_orphan_raw_audio_without_session_is_cleaned(recorder):
    staging = recorder.recorder.staging
    orphan = staging.raw_path(uuid.uuid4().hex)
    orphan.write_bytes(b"\x00\x01" * 100)
    an_hour_ago = time.time() - 3600
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    removed = await recorder.recorder.clean_staging()
    assert orphan.name in removed and not orphan.exists()


async def test_agent_given_on_resume_survives_into_partial_recording(start_recorder, clock):
    service = await start_recorder(commit_bytes=800, idle_finalize_s=60)
    audio = tone(1.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        first = [pb.UploadRecordingRequest(metadata=metadata("c-agent", agent_id="")), *chunks(audio[:1600], 800)]
        await refusal(stub, first, keep_open=False)
        committed = (await status(stub, "c-agent")).committed_offset
        assert committed == 1600
        resumed = [
            pb.UploadRecordingRequest(metadata=metadata("c-agent", agent_id="anna", resume_offset=committed)),
            *chunks(audio[:3200], 800, start=committed),
        ]
        await refusal(stub, resumed, keep_open=False)
        assert (await status(stub, "c-agent")).committed_offset == 3200
        clock.advance(61)
        [stored] = await service.recorder.finalize_idle_uploads()
        assert stored.agent_id == "anna"


async def test_refused_resume_leaves_no_empty_raw_file(start_recorder):
    service = await start_recorder()
    audio = tone(0.5)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        first = [pb.UploadRecordingRequest(metadata=metadata("c-lost")), *chunks(audio[:1600], 800)]
        await refusal(stub, first, keep_open=False)
        reply = await status(stub, "c-lost")
        assert reply.committed_offset == 1600
        staging = service.recorder.staging
        staging.raw_path(reply.recording_id).unlink()  # the staged audio is on another machine
        resumed = [pb.UploadRecordingRequest(metadata=metadata("c-lost", resume_offset=1600))]
        error = await refusal(stub, resumed)
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert not staging.raw_path(reply.recording_id).exists()


async def test_sessions_without_staged_audio_do_not_block_the_partial_sweep(start_recorder, clock):
    service = await start_recorder(idle_finalize_s=60)
    audio = tone(0.1)
    staging = service.recorder.staging
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        for i in range(100):
            cut = [pb.UploadRecordingRequest(metadata=metadata(f"gone-{i}")), *chunks(audio[:800], 800)]
            await refusal(stub, cut, keep_open=False)
            staging.raw_path((await status(stub, f"gone-{i}")).recording_id).unlink()
        clock.advance(1)
        cut = [pb.UploadRecordingRequest(metadata=metadata("here")), *chunks(audio[:800], 800)]
        await refusal(stub, cut, keep_open=False)
        clock.advance(61)
        stored = await service.recorder.finalize_idle_uploads()
        assert [r.call_id for r in stored] == ["here"]
