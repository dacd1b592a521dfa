"""An upload cut off mid-stream loses nothing acknowledged: it resumes from the committed
offset into the full, correct file, or — never resumed — is stored marked partial."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from tests.helpers import read_events
from tests.recorder_fixtures import (
    chunks,
    download,
    end,
    metadata,
    parse_wav,
    refusal,
    status,
    tone,
    upload,
)


async def until(predicate, what: str, timeout_s: float = 5.0):
    """Polls an async predicate every 5 ms until it returns something true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


async def start_and_cut(stub, call_id: str, audio: bytes, send_bytes: int, meta=None) -> int:
    """Streams the metadata and the first send_bytes of audio, waits until the recorder has
    committed some of it, then cancels the call (the PBX's connection dies). Returns the
    committed offset once the recorder reports the upload interrupted."""
    gate = asyncio.Event()

    async def requests():
        yield pb.UploadRecordingRequest(metadata=meta or metadata(call_id))
        for request in chunks(audio[:send_bytes], size=800):
            yield request
        await gate.wait()  # the rest never comes

    call = stub.UploadRecording(requests())

    async def committed_some():
        try:
            reply = await status(stub, call_id)
        except grpc.aio.AioRpcError:
            return False
        return reply.state == pb.UPLOAD_STATE_RECEIVING and reply.committed_offset > 0

    await until(committed_some, "a first commit")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    gate.set()  # lets the client's request task end

    async def interrupted():
        reply = await status(stub, call_id)
        return reply if reply.state == pb.UPLOAD_STATE_INTERRUPTED else None

    reply = await until(interrupted, "the upload to be interrupted")
    return reply.committed_offset


async def test_an_upload_killed_mid_stream_resumes_into_the_full_file(start_recorder, redis, tenant):
    service = await start_recorder(commit_bytes=4000)
    audio = tone(4.0)  # 64000 bytes
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        committed = await start_and_cut(stub, "c-cut", audio, send_bytes=24_000)
        assert 0 < committed <= 24_000
        assert await read_events(redis, tenant) == []  # nothing stored yet

        recording = await upload(stub, audio, metadata("c-cut", resume_offset=committed), size=800, start=committed)

        stored = await download(stub, recording.id)
        assert parse_wav(stored).frames == audio and parse_wav(stored).seconds == 4.0
        assert recording.audio_sha256 == hashlib.sha256(audio).hexdigest() and not recording.partial
        assert hashlib.sha256(stored).hexdigest() == recording.sha256
        reply = await status(stub, "c-cut")
        assert (reply.state, reply.committed_offset, reply.recording_id) == (
            pb.UPLOAD_STATE_STORED,
            len(audio),
            recording.id,
        )
    assert len(await read_events(redis, tenant)) == 1


async def test_a_resume_may_restart_below_the_committed_offset(start_recorder):
    service = await start_recorder(commit_bytes=4000)
    audio = tone(2.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        committed = await start_and_cut(stub, "c-back", audio, send_bytes=16_000)
        back = committed // 2 // 2 * 2
        recording = await upload(stub, audio, metadata("c-back", resume_offset=back), start=back)
        assert parse_wav(await download(stub, recording.id)).frames == audio


async def test_a_resume_must_fit_the_interrupted_upload(start_recorder):
    service = await start_recorder(commit_bytes=4000)
    audio = tone(2.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        committed = await start_and_cut(stub, "c-fit", audio, send_bytes=16_000)
        for meta, code, words in (
            (metadata("c-fit", resume_offset=committed + 2), grpc.StatusCode.OUT_OF_RANGE, "committed offset"),
            (
                metadata("c-fit", resume_offset=committed, codec=pb.AUDIO_CODEC_PCMU),
                grpc.StatusCode.FAILED_PRECONDITION,
                "metadata.codec",
            ),
            (
                metadata("c-fit", resume_offset=committed, sample_rate_hz=16000),
                grpc.StatusCode.FAILED_PRECONDITION,
                "metadata.sample_rate_hz",
            ),
            (metadata("c-new", resume_offset=800), grpc.StatusCode.FAILED_PRECONDITION, "no interrupted upload"),
        ):
            error = await refusal(stub, [pb.UploadRecordingRequest(metadata=meta)])
            assert error.code() == code and words in error.details(), error.details()
        # Still resumable after the refusals.
        assert (await status(stub, "c-fit")).committed_offset == committed
        recording = await upload(stub, audio, metadata("c-fit", resume_offset=committed), start=committed)
        assert parse_wav(await download(stub, recording.id)).frames == audio


async def test_an_upload_never_resumed_is_stored_as_partial_after_the_idle_time(start_recorder, clock, redis, tenant):
    service = await start_recorder(commit_bytes=4000, idle_finalize_s=60)
    audio = tone(3.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        committed = await start_and_cut(stub, "c-part", audio, send_bytes=20_000, meta=metadata("c-part", lead_id="L"))

        clock.advance(59)
        assert await service.recorder.finalize_idle_uploads() == []
        assert (await status(stub, "c-part")).state == pb.UPLOAD_STATE_INTERRUPTED

        clock.advance(2)
        [stored] = await service.recorder.finalize_idle_uploads()
        recording = (await stub.GetRecording(pb.GetRecordingRequest(recording_id=stored.id))).recording
        assert recording.partial and recording.audio_bytes == committed
        assert recording.duration.ToMilliseconds() == committed // 2 * 1000 // 8000
        parsed = parse_wav(await download(stub, recording.id))
        assert parsed.frames == audio[:committed]
        assert (await status(stub, "c-part")).state == pb.UPLOAD_STATE_STORED

        [event] = await read_events(redis, tenant)
        assert (event.recording_id, event.reason, event.lead_id) == (recording.id, "partial", "L")

        too_late = await refusal(
            stub, [pb.UploadRecordingRequest(metadata=metadata("c-part", resume_offset=committed))]
        )
        assert too_late.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_the_sweep_loop_finalises_idle_uploads_by_itself(start_recorder, clock):
    service = await start_recorder(commit_bytes=4000, idle_finalize_s=60, sweep_interval_s=0.02)
    audio = tone(1.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        await start_and_cut(stub, "c-loop", audio, send_bytes=8000)
        clock.advance(61)

        async def stored():
            return (await status(stub, "c-loop")).state == pb.UPLOAD_STATE_STORED

        await until(stored, "the sweep to store the partial recording")


async def test_an_upload_in_progress_refuses_a_second_stream_for_the_same_leg(start_recorder):
    service = await start_recorder(commit_bytes=1000)
    audio = tone(1.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        gate = asyncio.Event()

        async def first():
            yield pb.UploadRecordingRequest(metadata=metadata("c-two"))
            for request in chunks(audio[:4000], size=800):
                yield request
            await gate.wait()
            for request in chunks(audio, size=800, start=4000):
                yield request
            yield end(audio)

        running = stub.UploadRecording(first())

        async def receiving():
            try:
                return (await status(stub, "c-two")).state == pb.UPLOAD_STATE_RECEIVING
            except grpc.aio.AioRpcError:
                return False

        await until(receiving, "the first upload")
        second = await refusal(stub, [pb.UploadRecordingRequest(metadata=metadata("c-two"))])
        assert second.code() == grpc.StatusCode.ABORTED and "in progress" in second.details()

        gate.set()
        recording = (await running).recording
        assert parse_wav(await download(stub, recording.id)).frames == audio


async def test_stopping_lets_a_running_upload_finish_and_refuses_new_ones(start_recorder):
    service = await start_recorder(commit_bytes=1000, shutdown_grace_s=10)
    audio = tone(1.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        gate = asyncio.Event()

        async def requests():
            yield pb.UploadRecordingRequest(metadata=metadata("c-drain"))
            for request in chunks(audio[:4000], size=800):
                yield request
            await gate.wait()
            for request in chunks(audio, size=800, start=4000):
                yield request
            yield end(audio)

        running = stub.UploadRecording(requests())

        async def receiving():
            try:
                return (await status(stub, "c-drain")).state == pb.UPLOAD_STATE_RECEIVING
            except grpc.aio.AioRpcError:
                return False

        await until(receiving, "the upload to start")
        stopping = asyncio.create_task(service.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()
        refused = await refusal(stub, [pb.UploadRecordingRequest(metadata=metadata("c-late"))])
        assert refused.code() == grpc.StatusCode.UNAVAILABLE

        gate.set()
        recording = (await running).recording
        await stopping
        assert recording.audio_bytes == len(audio) and not recording.partial
        assert service.recorder.storage.path(recording.id).stat().st_size == recording.size_bytes


async def test_an_upload_still_running_after_the_grace_period_is_kept_resumable(start_recorder, redis, tenant):
    service = await start_recorder(commit_bytes=1000, shutdown_grace_s=0.1)
    audio = tone(1.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        gate = asyncio.Event()

        async def requests():
            yield pb.UploadRecordingRequest(metadata=metadata("c-slow"))
            for request in chunks(audio[:4000], size=800):
                yield request
            await gate.wait()

        running = stub.UploadRecording(requests())

        async def committed():
            try:
                return (await status(stub, "c-slow")).committed_offset > 0
            except grpc.aio.AioRpcError:
                return False

        await until(committed, "the upload to commit")
        await service.stop()
        with pytest.raises(grpc.aio.AioRpcError):
            await running
        gate.set()

    replacement = await start_recorder(commit_bytes=1000)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replacement.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        reply = await status(stub, "c-slow")
        assert reply.state == pb.UPLOAD_STATE_INTERRUPTED and reply.committed_offset == 4000
        recording = await upload(stub, audio, metadata("c-slow", resume_offset=4000), start=4000)
        assert parse_wav(await download(stub, recording.id)).frames == audio


async def test_staged_files_a_crash_left_behind_are_cleaned_but_resumable_audio_is_kept(start_recorder):
    service = await start_recorder(commit_bytes=4000, idle_finalize_s=60)
    audio = tone(1.0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        stored = await upload(stub, audio, metadata("c-stored"))
        await start_and_cut(stub, "c-open", audio, send_bytes=8000)
    staging = service.recorder.staging
    interrupted_raw = next(staging.root.glob("*.raw"))
    leftovers = [staging.raw_path(stored.id), staging.wav_path(stored.id), staging.wav_path("ab" * 16)]
    for path in leftovers:
        path.write_bytes(b"left by a crash")
    assert await service.recorder.clean_staging() == []  # too recent to judge
    an_hour_ago = time.time() - 3600
    for path in [*leftovers, interrupted_raw]:
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert sorted(await service.recorder.clean_staging()) == sorted(p.name for p in leftovers)
    assert [p.name for p in staging.root.iterdir()] == [interrupted_raw.name]
