"""Domain refusals map to gRPC statuses in one place, streaming RPCs included; a crash is
logged as a failure, never as OK."""

from __future__ import annotations

import grpc
import pytest
from structlog.testing import capture_logs

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import errors
from callcenter.core.grpc_server import status_for


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidArgument("f", "bad"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFound("x"), grpc.StatusCode.NOT_FOUND),
        (errors.FailedPrecondition("x", "s"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.OutOfRange("x"), grpc.StatusCode.OUT_OF_RANGE),
        (errors.Aborted("x"), grpc.StatusCode.ABORTED),
        (errors.ResourceExhausted("x"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.Unavailable("x"), grpc.StatusCode.UNAVAILABLE),
        (errors.DataLoss("x"), grpc.StatusCode.DATA_LOSS),
        (errors.Unauthenticated("x"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.PermissionDenied("x"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.AlreadyExists("x"), grpc.StatusCode.ALREADY_EXISTS),
    ],
)
def test_every_refusal_has_its_status(error, code):
    assert status_for(error) == code


def test_every_kind_of_refusal_is_listed_above():
    kinds = {cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    listed = {type(e) for e, _ in test_every_refusal_has_its_status.pytestmark[0].args[1]}
    assert kinds - {errors.DomainError} == listed


async def test_a_streaming_rpc_refuses_like_a_unary_one(router_stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in router_stub.WatchCall(pb.WatchCallRequest(call_id="nobody")):
            pass
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_an_rpc_that_crashes_is_logged_as_failed_not_ok(start_replica, monkeypatch):
    replica = await start_replica()

    async def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(replica.router, "list_queues", crash)
    from callcenter.api.router.v1 import router_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        with capture_logs() as logs, pytest.raises(grpc.aio.AioRpcError) as failed:
            await router_pb2_grpc.RouterServiceStub(channel).ListQueues(pb.ListQueuesRequest())
    assert failed.value.code() == grpc.StatusCode.UNKNOWN
    lines = [line for line in logs if line.get("event") in ("rpc.failed", "rpc.done")]
    assert [line["code"] for line in lines] == ["UNKNOWN"]


async def test_a_second_server_on_a_taken_port_fails_instead_of_sharing_it():
    from callcenter.core.grpc_server import GrpcServer, PortTaken

    first = GrpcServer([], lambda server: None)
    port = await first.start("127.0.0.1", 0)
    try:
        with pytest.raises(PortTaken):
            await GrpcServer([], lambda server: None).start("127.0.0.1", port)
    finally:
        await first.stop(0)
