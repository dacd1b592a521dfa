"""Durations the router is sent are checked as the kernel's time_bounds checks every
Duration: nanos out of range or of the other sign than the seconds are INVALID_ARGUMENT
naming the field, never read as some other length of time."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb


def dur(seconds: int, nanos: int = 0) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize("extra", [dur(0, 2_000_000_000), dur(10, -1_000_000), dur(-1, 5_000_000), dur(2**62)])
async def test_a_malformed_wrap_up_extension_is_invalid_argument_naming_extra(router_stub, extra):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.ExtendWrapUp(pb.ExtendWrapUpRequest(agent_id="nobody", extra=extra), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith("extra:"), refused.value.details()


@pytest.mark.parametrize("ring_timeout", [dur(5, 2_000_000_000), dur(0, 1_000_000_000)])
async def test_a_queue_duration_with_nanos_out_of_range_is_refused_and_nothing_stored(router_stub, ring_timeout):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="q", ring_timeout=ring_timeout)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("queue.ring_timeout:"), refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await router_stub.GetQueue(pb.GetQueueRequest(name="q"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
