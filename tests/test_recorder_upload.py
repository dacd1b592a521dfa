"""Recordings streamed in over real gRPC come back intact, in a WAV file a browser plays,
linked to their call, agent and lead."""

from __future__ import annotations

import asyncio
import hashlib
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from callcenter.api.events.v1 import events_pb2
from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.services.recorder import codecs
from tests.helpers import event_types, read_events
from tests.recorder_fixtures import (
    download,
    metadata,
    parse_wav,
    tone,
    upload,
)


def samples(pcm: bytes) -> list[int]:
    return [int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in range(0, len(pcm), 2)]


async def test_health_is_served(recorder):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{recorder.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "callcenter.recorder.v1.RecorderService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_pcm_tone_comes_back_byte_for_byte_in_a_valid_wav(recorder_stub):
    audio = tone(3.0)
    recording = await upload(recorder_stub, audio, metadata("c1", lead_id="L-7"))

    assert (recording.call_id, recording.agent_id, recording.lead_id) == ("c1", "anna", "L-7")
    assert recording.duration.ToMilliseconds() == 3000 and not recording.partial
    assert recording.audio_bytes == len(audio) and recording.audio_sha256 == hashlib.sha256(audio).hexdigest()
    stored = await download(recorder_stub, recording.id)
    assert len(stored) == recording.size_bytes and hashlib.sha256(stored).hexdigest() == recording.sha256
    assert recording.content_type == "audio/wav"
    parsed = parse_wav(stored)
    assert (parsed.channels, parsed.sample_width, parsed.rate, parsed.seconds) == (1, 2, 8000, 3.0)
    assert parsed.frames == audio


async def test_ulaw_and_alaw_are_stored_as_pcm_wav_with_every_sample_intact(recorder_stub):
    pcm = tone(2.0, hz=1000)
    for leg, codec, encode, decode in (
        (pb.LEG_CALLER, pb.AUDIO_CODEC_PCMU, codecs.encode_ulaw, codecs.decode_ulaw),
        (pb.LEG_AGENT, pb.AUDIO_CODEC_PCMA, codecs.encode_alaw, codecs.decode_alaw),
    ):
        sent = encode(pcm)
        recording = await upload(recorder_stub, sent, metadata("c-g711", codec=codec, leg=leg), size=160)
        parsed = parse_wav(await download(recorder_stub, recording.id))
        assert (parsed.channels, parsed.sample_width, parsed.rate, parsed.seconds) == (1, 2, 8000, 2.0)
        assert recording.duration.ToMilliseconds() == 2000 and recording.source_codec == codec
        # The stored samples are exactly the G.711 decoding of what was sent ...
        assert parsed.frames == decode(sent)
        # ... which re-encodes to the bytes sent, and is the tone within G.711's step size.
        assert encode(parsed.frames) == sent
        pairs = zip(samples(pcm), samples(parsed.frames), strict=True)
        assert all(abs(a - b) <= max(16, abs(a) // 16) for a, b in pairs)
        assert recording.audio_sha256 == hashlib.sha256(sent).hexdigest()


async def test_stereo_wideband_pcm_keeps_its_channels_and_rate(recorder_stub):
    audio = tone(1.5, rate=16000, channels=2)
    recording = await upload(recorder_stub, audio, metadata("c-st", sample_rate_hz=16000, channels=2), size=4000)
    parsed = parse_wav(await download(recorder_stub, recording.id))
    assert (parsed.channels, parsed.rate, parsed.seconds, parsed.frames == audio) == (2, 16000, 1.5, True)
    assert recording.duration.ToMilliseconds() == 1500


async def test_chunks_may_split_samples(recorder_stub):
    audio = tone(1.0)
    recording = await upload(recorder_stub, audio, metadata("c-odd"), size=333)
    assert parse_wav(await download(recorder_stub, recording.id)).frames == audio


async def test_a_stored_recording_is_an_event_on_the_stream(recorder_stub, redis, tenant):
    recording = await upload(recorder_stub, tone(1.25), metadata("c9", lead_id="L-1"))
    events = await read_events(redis, tenant)
    assert event_types(events) == ["RECORDING_STORED"]
    stored = events[0]
    assert (stored.call_id, stored.agent_id, stored.recording_id, stored.lead_id, stored.reason) == (
        "c9",
        "anna",
        recording.id,
        "L-1",
        "",
    )
    assert stored.duration.ToMilliseconds() == 1250 and stored.type == events_pb2.EVENT_TYPE_RECORDING_STORED


async def test_download_serves_byte_ranges_for_http_range_requests(recorder_stub, recorder):
    recording = await upload(recorder_stub, tone(2.0), metadata("c-range"))
    whole = await download(recorder_stub, recording.id)
    assert await download(recorder_stub, recording.id, offset=0, length=44) == whole[:44]
    assert await download(recorder_stub, recording.id, offset=1000, length=200_000) == whole[1000:]
    assert await download(recorder_stub, recording.id, offset=len(whole) - 1) == whole[-1:]
    middle = await download(recorder_stub, recording.id, offset=5, length=len(whole) - 10)
    assert middle == whole[5:-5]

    replies = [r async for r in recorder_stub.DownloadRecording(pb.DownloadRecordingRequest(recording_id=recording.id))]
    assert {r.total_size for r in replies} == {len(whole)} and {r.content_type for r in replies} == {"audio/wav"}
    assert max(len(r.data) for r in replies) <= recorder.config.download_chunk_bytes


async def test_download_past_the_end_or_of_an_unknown_recording_is_refused(recorder_stub):
    recording = await upload(recorder_stub, tone(0.5), metadata("c-end"))
    for request, code in (
        (pb.DownloadRecordingRequest(recording_id=recording.id, offset=recording.size_bytes), "OUT_OF_RANGE"),
        (pb.DownloadRecordingRequest(recording_id=recording.id, offset=-1), "INVALID_ARGUMENT"),
        (pb.DownloadRecordingRequest(recording_id="0" * 32), "NOT_FOUND"),
    ):
        try:
            [r async for r in recorder_stub.DownloadRecording(request)]
        except grpc.aio.AioRpcError as exc:
            assert exc.code().name == code, exc.details()
        else:
            raise AssertionError(f"{request} was served")


async def test_recordings_are_found_by_call_agent_lead_and_date(recorder_stub, clock):
    day = 86_400_000
    t0 = clock.now_ms()
    plan = [
        ("c1", pb.LEG_CALLER, "anna", "L-1", t0),
        ("c1", pb.LEG_AGENT, "anna", "L-1", t0),
        ("c2", pb.LEG_MIXED, "bob", "L-1", t0 + day),
        ("c3", pb.LEG_MIXED, "anna", "", t0 + 2 * day),
        ("c4", pb.LEG_MIXED, "bob", "L-2", t0 + 3 * day),
    ]
    ids = {}
    for call_id, leg, agent, lead, start in plan:
        recording = await upload(
            recorder_stub, tone(0.1), metadata(call_id, leg=leg, agent_id=agent, lead_id=lead, start_ms=start)
        )
        ids[(call_id, leg)] = recording.id

    async def calls(**filters) -> list[str]:
        reply = await recorder_stub.ListRecordings(pb.ListRecordingsRequest(**filters))
        return [(r.call_id, pb.Leg.Name(r.leg)) for r in reply.recordings]

    assert sorted(await calls(call_id="c1")) == [("c1", "LEG_AGENT"), ("c1", "LEG_CALLER")]
    assert [c for c, _ in await calls(agent_id="bob")] == ["c4", "c2"]  # newest first
    assert [c for c, _ in await calls(lead_id="L-1", agent_id="bob")] == ["c2"]
    assert sorted(c for c, _ in await calls(lead_id="L-1")) == ["c1", "c1", "c2"]
    window = dict(
        start_time_from=metadata(start_ms=t0 + day).start_time, start_time_to=metadata(start_ms=t0 + 3 * day).start_time
    )
    assert [c for c, _ in await calls(**window)] == ["c3", "c2"]
    assert [c for c, _ in await calls(agent_id="anna", **window)] == ["c3"]
    assert await calls(agent_id="nobody") == []


async def test_listing_pages_through_every_recording_once(recorder_stub, clock):
    t0 = clock.now_ms()
    expected = []
    for i in range(23):  # several recordings share a start time: the token orders ties by id
        call_id = f"page-{i:02d}"
        await upload(recorder_stub, tone(0.05), metadata(call_id, start_ms=t0 + (i // 3) * 1000))
        expected.append(call_id)
    seen, token, pages = [], "", 0
    while True:
        reply = await recorder_stub.ListRecordings(pb.ListRecordingsRequest(page_size=5, page_token=token))
        seen += [r.call_id for r in reply.recordings]
        pages += 1
        token = reply.next_page_token
        if not token:
            break
    assert pages == 5 and sorted(seen) == expected and len(seen) == 23
    starts = [
        r.start_time.ToMilliseconds()
        for r in (await recorder_stub.ListRecordings(pb.ListRecordingsRequest(page_size=100))).recordings
    ]
    assert starts == sorted(starts, reverse=True)


async def test_a_bad_page_token_or_size_is_invalid_argument(recorder_stub):
    for request, field in (
        (pb.ListRecordingsRequest(page_token="garbage!"), "page_token"),
        (pb.ListRecordingsRequest(page_size=5000), "page_size"),
    ):
        try:
            await recorder_stub.ListRecordings(request)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT and field in exc.details()
        else:
            raise AssertionError("accepted")


async def test_a_hundred_concurrent_uploads_are_all_stored_intact(start_recorder, redis, tenant):
    service = await start_recorder()
    audio = {f"bulk-{i:03d}": tone(2.0, hz=200 + 7 * i) for i in range(100)}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        started = time.perf_counter()
        recordings = await asyncio.gather(
            *(upload(stub, data, metadata(call_id), size=1600) for call_id, data in audio.items())
        )
        elapsed = time.perf_counter() - started
        total = sum(len(a) for a in audio.values())
        print(
            f"\n100 concurrent uploads of 2 s 8 kHz PCM ({total / 1e6:.1f} MB in 20-chunk streams): "
            f"{elapsed:.2f} s, {total / 1e6 / elapsed:.1f} MB/s"
        )
        for recording in recordings:
            sent = audio[recording.call_id]
            assert recording.audio_sha256 == hashlib.sha256(sent).hexdigest()
            stored = await download(stub, recording.id)
            assert hashlib.sha256(stored).hexdigest() == recording.sha256
            assert parse_wav(stored).frames == sent
    assert event_types(await read_events(redis, tenant)) == ["RECORDING_STORED"] * 100
    assert len({r.id for r in recordings}) == 100


async def test_a_recording_and_its_stored_event_are_written_in_one_step(redis, tenant):
    import pytest

    from callcenter.core.event_stream import entry, stream_key
    from callcenter.services.recorder.catalog import Catalog
    from callcenter.services.recorder.model import AlreadyExists, AudioCodec, Leg, Recording

    catalog = Catalog(redis, tenant)

    def recording(recording_id: str) -> Recording:
        return Recording(
            recording_id,
            "c1",
            Leg.MIXED,
            "anna",
            "",
            AudioCodec.PCMU,
            8000,
            1,
            1,
            1000,
            100,
            "x",
            "audio/wav",
            False,
            False,
            1,
            80,
            "y",
        )

    async def stored(recording_id: str) -> None:
        await catalog.acquire_upload("c1", Leg.MIXED, "token", 60_000)
        event = entry("recording_stored", 1, call_id="c1", recording_id=recording_id)
        await catalog.store(recording(recording_id), "token", event, 1000)

    await stored("r1")
    with pytest.raises(AlreadyExists):  # refused: the leg has its recording, and no event is written
        await stored("r2")
    events = await redis.xrange(stream_key(tenant))
    assert [(e["type"], e["recording_id"]) for _, e in events] == [("recording_stored", "r1")]
