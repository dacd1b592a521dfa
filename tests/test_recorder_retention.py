"""Retention: recordings older than the configured days are deleted by the sweep (driven by
the ManualClock), except those on legal hold; every deletion is a RECORDING_DELETED event."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from tests.helpers import event_types, read_events
from tests.recorder_fixtures import metadata, tone, upload

DAY_MS = 86_400_000


async def test_the_sweep_deletes_only_recordings_past_retention_and_not_on_hold(start_recorder, clock, redis, tenant):
    service = await start_recorder(retention_days=30)
    now = clock.now_ms()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        ids = {}
        for call_id, age_days in (("old", 40), ("held", 35), ("edge", 29.5), ("new", 0)):
            start = now - round(age_days * DAY_MS)
            recording = await upload(stub, tone(0.2), metadata(call_id, lead_id=f"L-{call_id}", start_ms=start))
            ids[call_id] = recording.id
        held = await stub.SetLegalHold(pb.SetLegalHoldRequest(recording_id=ids["held"], hold=True))
        assert held.recording.legal_hold
        files = {c: service.recorder.storage.path(i) for c, i in ids.items()}

        async def remaining() -> set[str]:
            reply = await stub.ListRecordings(pb.ListRecordingsRequest())
            return {r.call_id for r in reply.recordings}

        assert await service.recorder.delete_expired() == [ids["old"]]
        assert await remaining() == {"held", "edge", "new"}
        assert not files["old"].exists() and all(files[c].exists() for c in ("held", "edge", "new"))
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await stub.GetRecording(pb.GetRecordingRequest(recording_id=ids["old"]))
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND

        clock.advance(86_400)  # a day later "edge" is past 30 days too
        assert await service.recorder.delete_expired() == [ids["edge"]]
        assert await remaining() == {"held", "new"}

        await stub.SetLegalHold(pb.SetLegalHoldRequest(recording_id=ids["held"], hold=False))
        assert await service.recorder.delete_expired() == [ids["held"]]
        assert await remaining() == {"new"} and await service.recorder.delete_expired() == []

    events = [e for e in await read_events(redis, tenant) if event_types([e]) == ["RECORDING_DELETED"]]
    assert [(e.recording_id, e.call_id, e.lead_id, e.reason) for e in events] == [
        (ids["old"], "old", "L-old", "retention"),
        (ids["edge"], "edge", "L-edge", "retention"),
        (ids["held"], "held", "L-held", "retention"),
    ]


async def test_many_held_recordings_do_not_stop_the_sweep_reaching_the_others(start_recorder, clock):
    service = await start_recorder(retention_days=1)
    now = clock.now_ms()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        expired = []
        for i in range(12):
            recording = await upload(stub, tone(0.02), metadata(f"c{i:02d}", start_ms=now - 5 * DAY_MS + i))
            if i < 8:
                await stub.SetLegalHold(pb.SetLegalHoldRequest(recording_id=recording.id, hold=True))
            else:
                expired.append(recording.id)
        assert sorted(await service.recorder.delete_expired(batch=3)) == sorted(expired)
        assert len((await stub.ListRecordings(pb.ListRecordingsRequest())).recordings) == 8


async def test_a_recording_deleted_on_request_is_gone_unless_on_hold(start_recorder, redis, tenant):
    service = await start_recorder()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        recording = await upload(stub, tone(0.2), metadata("c-del"))
        await stub.SetLegalHold(pb.SetLegalHoldRequest(recording_id=recording.id, hold=True))
        with pytest.raises(grpc.aio.AioRpcError) as held:
            await stub.DeleteRecording(pb.DeleteRecordingRequest(recording_id=recording.id))
        assert held.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "legal hold" in held.value.details()

        await stub.SetLegalHold(pb.SetLegalHoldRequest(recording_id=recording.id, hold=False))
        await stub.DeleteRecording(pb.DeleteRecordingRequest(recording_id=recording.id))
        assert not service.recorder.storage.path(recording.id).exists()
        assert (await stub.ListRecordings(pb.ListRecordingsRequest(call_id="c-del"))).recordings == []
    deleted = (await read_events(redis, tenant))[-1]
    assert (event_types([deleted]), deleted.recording_id, deleted.reason) == (
        ["RECORDING_DELETED"],
        recording.id,
        "request",
    )
