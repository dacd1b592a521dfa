"""Bad uploads get a clear gRPC status naming what is wrong, and leave no half-written
recording visible: nothing listed, no WAV file in the storage."""

from __future__ import annotations

import hashlib

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from tests.recorder_fixtures import (
    chunks,
    end,
    metadata,
    refusal,
    status,
    tone,
    upload,
)


def visible_files(service) -> list[str]:
    root = service.config.recordings_dir
    return [str(p) for p in root.rglob("*") if p.is_file() and ".staging" not in p.relative_to(root).parts]


def staged_files(service) -> list[str]:
    return [p.name for p in (service.config.recordings_dir / ".staging").iterdir()]


async def nothing_stored(stub, service) -> bool:
    listed = await stub.ListRecordings(pb.ListRecordingsRequest())
    return list(listed.recordings) == [] and visible_files(service) == []


def first(meta: pb.UploadMetadata) -> pb.UploadRecordingRequest:
    return pb.UploadRecordingRequest(metadata=meta)


AUDIO = tone(0.5)


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        (metadata(codec=pb.AUDIO_CODEC_UNSPECIFIED), "metadata.codec"),
        (metadata(codec=42), "metadata.codec"),  # a codec this recorder does not know
        (metadata(call_id=""), "metadata.call_id"),
        (metadata(leg=pb.LEG_UNSPECIFIED), "metadata.leg"),
        (metadata(codec=pb.AUDIO_CODEC_PCMU, sample_rate_hz=16000), "metadata.sample_rate_hz"),
        (metadata(sample_rate_hz=0), "metadata.sample_rate_hz"),
        (metadata(channels=3), "metadata.channels"),
        (metadata(resume_offset=-5), "metadata.resume_offset"),
    ],
)
async def test_bad_metadata_is_invalid_argument_naming_the_field(recorder_stub, recorder, meta, field):
    error = await refusal(recorder_stub, [first(meta)])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith(field), error.details()
    assert await nothing_stored(recorder_stub, recorder) and staged_files(recorder) == []


async def test_an_upload_without_metadata_is_refused(recorder_stub, recorder):
    for requests in ([*chunks(AUDIO)[:1]], []):
        error = await refusal(recorder_stub, requests, keep_open=bool(requests))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("metadata")
    assert await nothing_stored(recorder_stub, recorder)


async def test_metadata_in_the_middle_of_an_upload_is_refused_and_the_audio_kept(recorder_stub, recorder):
    error = await refusal(recorder_stub, [first(metadata("c1")), *chunks(AUDIO[:1600]), first(metadata("c1"))])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("metadata")
    assert await nothing_stored(recorder_stub, recorder)
    reply = await status(recorder_stub, "c1")
    assert (reply.state, reply.committed_offset) == (pb.UPLOAD_STATE_INTERRUPTED, 1600)


@pytest.mark.parametrize("wrong_offset", [2400, 800, 0])  # a gap, an overlap, a repeat of the start
async def test_chunks_out_of_order_are_refused_and_the_upload_kept_up_to_the_last_good_one(
    recorder_stub, recorder, wrong_offset
):
    good = chunks(AUDIO, size=1600)[:2]  # bytes 0..3200
    bad = pb.UploadRecordingRequest(chunk=pb.AudioChunk(offset=wrong_offset, data=b"\x00\x01" * 400))
    error = await refusal(recorder_stub, [first(metadata("c-order")), *good, bad])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("chunk.offset")
    assert f"expected 3200, got {wrong_offset}" in error.details()
    assert await nothing_stored(recorder_stub, recorder)
    reply = await status(recorder_stub, "c-order")
    assert (reply.state, reply.committed_offset) == (pb.UPLOAD_STATE_INTERRUPTED, 3200)
    # The PBX resumes from there and gets the whole recording.
    recording = await upload(recorder_stub, AUDIO, metadata("c-order", resume_offset=3200), start=3200)
    assert recording.audio_sha256 == hashlib.sha256(AUDIO).hexdigest()


async def test_an_upload_over_the_size_limit_is_refused_and_nothing_of_it_kept(start_recorder):
    service = await start_recorder(max_upload_bytes=10_000, commit_bytes=1000)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        audio = tone(1.0)  # 16000 bytes
        over = chunks(audio)[:7]  # the 7th chunk takes it to 11200 bytes
        error = await refusal(stub, [first(metadata("c-big")), *over])
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "10000" in error.details()
        assert await nothing_stored(stub, service) and staged_files(service) == []
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await status(stub, "c-big")
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        # Exactly at the limit is fine.
        assert (await upload(stub, audio[:10_000], metadata("c-fits"))).audio_bytes == 10_000


async def test_a_second_recording_of_the_same_call_and_leg_already_exists(recorder_stub, recorder):
    original = await upload(recorder_stub, AUDIO, metadata("c-dup"))
    error = await refusal(recorder_stub, [first(metadata("c-dup"))])
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS and "c-dup" in error.details()
    again = (await recorder_stub.GetRecording(pb.GetRecordingRequest(recording_id=original.id))).recording
    assert again == original and staged_files(recorder) == []
    # The other legs of the same call are separate recordings.
    other_leg = await upload(recorder_stub, AUDIO, metadata("c-dup", leg=pb.LEG_AGENT))
    assert other_leg.id != original.id


async def test_a_stream_closed_without_the_end_message_is_never_taken_for_a_whole_recording(recorder_stub, recorder):
    error = await refusal(recorder_stub, [first(metadata("c-short")), *chunks(AUDIO[:4800])], keep_open=False)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("end:")
    assert "resume from offset 4800" in error.details()
    assert await nothing_stored(recorder_stub, recorder)
    assert (await status(recorder_stub, "c-short")).state == pb.UPLOAD_STATE_INTERRUPTED


async def test_an_end_announcing_another_size_is_refused_and_the_upload_kept(recorder_stub, recorder):
    wrong_end = pb.UploadRecordingRequest(end=pb.UploadEnd(total_bytes=len(AUDIO) + 800))
    error = await refusal(recorder_stub, [first(metadata("c-size")), *chunks(AUDIO), wrong_end])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("end.total_bytes")
    assert await nothing_stored(recorder_stub, recorder)
    assert (await status(recorder_stub, "c-size")).committed_offset == len(AUDIO)


async def test_audio_that_does_not_match_the_pbx_checksum_is_not_stored(recorder_stub, recorder):
    corrupted = AUDIO[:100] + bytes([AUDIO[100] ^ 0xFF]) + AUDIO[101:]
    error = await refusal(recorder_stub, [first(metadata("c-sum")), *chunks(corrupted), end(AUDIO)])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("end.audio_sha256")
    assert await nothing_stored(recorder_stub, recorder)
    # Sent again from the start, it is stored.
    recording = await upload(recorder_stub, AUDIO, metadata("c-sum", resume_offset=0))
    assert recording.audio_sha256 == hashlib.sha256(AUDIO).hexdigest()


async def test_an_upload_without_audio_is_refused_and_forgotten(recorder_stub, recorder):
    error = await refusal(recorder_stub, [first(metadata("c-empty")), end(b"")])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "no audio" in error.details()
    assert await nothing_stored(recorder_stub, recorder) and staged_files(recorder) == []


async def test_pcm_ending_mid_sample_is_refused(recorder_stub, recorder):
    odd = AUDIO[:1001]
    error = await refusal(recorder_stub, [first(metadata("c-odd")), *chunks(odd), end(odd)])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("chunk.data")
    assert await nothing_stored(recorder_stub, recorder)


async def test_unknown_recordings_and_uploads_are_not_found(recorder_stub):
    for call in (
        recorder_stub.GetRecording(pb.GetRecordingRequest(recording_id="f" * 32)),
        recorder_stub.SetLegalHold(pb.SetLegalHoldRequest(recording_id="f" * 32, hold=True)),
        recorder_stub.DeleteRecording(pb.DeleteRecordingRequest(recording_id="nope")),
        recorder_stub.GetUploadStatus(pb.GetUploadStatusRequest(call_id="never", leg=pb.LEG_MIXED)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
