"""Out-of-range times in recorder requests are INVALID_ARGUMENT naming the field (never
UNKNOWN), and nothing of such an upload is stored."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import timestamp_pb2

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from tests.recorder_fixtures import metadata, refusal, tone, upload

YEAR_9999 = 253402300799


def ts(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize(
    "start",
    [ts(YEAR_9999), ts(YEAR_9999 + 1), ts(1_772_438_400, -1), ts(1_772_438_400, 10**9), ts(-62135596801), ts(5)],
)
async def test_an_upload_starting_outside_the_window_is_invalid_argument_and_nothing_is_kept(recorder_stub, start):
    meta = metadata("c-time")
    meta.start_time.CopyFrom(start)
    error = await refusal(recorder_stub, [pb.UploadRecordingRequest(metadata=meta)])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert error.details().startswith("metadata.start_time:"), error.details()
    assert list((await recorder_stub.ListRecordings(pb.ListRecordingsRequest())).recordings) == []


@pytest.mark.parametrize("field", ["start_time_from", "start_time_to"])
@pytest.mark.parametrize("bad", [ts(YEAR_9999), ts(10**15), ts(1_772_438_400, -5), ts(-1)])
async def test_a_listing_filter_outside_the_window_is_invalid_argument_naming_it(recorder_stub, field, bad):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await recorder_stub.ListRecordings(pb.ListRecordingsRequest(**{field: bad}), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith(field + ":"), refused.value.details()


async def test_an_upload_starting_inside_the_window_is_listed_by_its_start(recorder_stub):
    stored = await upload(recorder_stub, tone(0.2), metadata("c-2099", start_ms=4_102_444_799_000))
    listed = await recorder_stub.ListRecordings(pb.ListRecordingsRequest(start_time_from=ts(4_102_444_000)))
    assert [r.id for r in listed.recordings] == [stored.id]
