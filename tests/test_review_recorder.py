"""Review findings in services/recorder: each test shows a confirmed bug (xfail, strict)."""

from __future__ import annotations

import os
import time
import uuid

import grpc
import pytest

from callcenter.recorder.v1 import recorder_pb2 as pb
from callcenter.recorder.v1 import recorder_pb2_grpc
from tests.recorder_fixtures import (  # noqa: F401
    chunks,
    metadata,
    recorder_fixture,
    recorder_stub_fixture,
    refusal,
    start_recorder_fixture,
    status,
    tone,
)


@pytest.mark.xfail(
    strict=True,
    reason="services/recorder/recorder.py:442-466 — finalize_idle_uploads stores an interrupted upload "
    "with 0 committed bytes as a 44-byte 'partial' recording (and a RECORDING_STORED event); docs: an "
    "upload with no audio at all keeps nothing",
)
async def test_review_an_interrupted_upload_without_audio_is_not_stored(start_recorder, clock):
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


@pytest.mark.xfail(
    strict=True,
    reason="services/recorder/recorder.py:472-486 — clean_staging only removes raw audio whose recording "
    "exists; raw audio with neither a session nor a recording (e.g. _begin failing between open_raw "
    "and the first commit, recorder.py:271-272) can never be resumed yet stays in staging forever",
)
async def test_review_orphan_raw_audio_without_session_is_cleaned(recorder):
    staging = recorder.recorder.staging
    orphan = staging.raw_path(uuid.uuid4().hex)
    orphan.write_bytes(b"\x00\x01" * 100)
    an_hour_ago = time.time() - 3600
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    removed = await recorder.recorder.clean_staging()
    assert orphan.name in removed and not orphan.exists()


@pytest.mark.xfail(
    strict=True,
    reason="services/recorder/recorder.py:284 — a resume's agent_id/lead_id filling an empty field is "
    "merged (_resumed_metadata) but not written to the session (commit without metadata), so if the "
    "resumed stream is cut too the partial recording loses the agent",
)
async def test_review_agent_given_on_resume_survives_into_partial_recording(start_recorder, clock):
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


@pytest.mark.xfail(
    strict=True,
    reason="services/recorder/storage.py:130 — open_raw opens with O_CREAT even when resuming at "
    "keep_bytes > 0: a resume on a recorder without the staged audio is refused (FAILED_PRECONDITION) "
    "but leaves an empty .raw behind, which clean_staging never removes and which makes every later "
    "sweep log staging_short instead of staging_missing",
)
async def test_review_refused_resume_leaves_no_empty_raw_file(start_recorder):
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


@pytest.mark.xfail(
    strict=True,
    reason="services/recorder/recorder.py:446,456-458 with catalog.py:244-246 — the sweep reads only the "
    "100 oldest idle sessions and skips (but keeps, forever: the session hash has no TTL) those whose "
    "staged audio is not here; 100 such sessions block every younger interrupted upload from ever "
    "being stored as partial",
)
async def test_review_sessions_without_staged_audio_do_not_block_the_partial_sweep(start_recorder, clock):
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
