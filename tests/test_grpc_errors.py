"""Domain refusals map to gRPC statuses in one place, streaming RPCs included; a crash is
logged as a failure, never as OK."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Iterator

import grpc
import pytest
import structlog
from structlog.testing import capture_logs

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import errors
from callcenter.core.grpc_server import MAX_DETAILS, bounded_details, status_for


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


def _access_lines(logs: list[dict]) -> list[dict]:
    return [line for line in logs if line.get("event") in ("rpc.failed", "rpc.done")]


@contextlib.contextmanager
def json_logs() -> Iterator[list[dict]]:
    """The JSON lines the services write in production (the context merged in, as
    callcenter.core.logs configures structlog), parsed; the configuration is restored after."""
    out = io.StringIO()
    lines: list[dict] = []
    saved = structlog.get_config()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    try:
        yield lines
    finally:
        structlog.configure(**saved)
        lines.extend(json.loads(text) for text in out.getvalue().splitlines())


async def test_every_kind_of_rpc_that_crashes_is_logged_with_the_status_the_client_got(
    start_replica, start_recorder, monkeypatch
):
    """Unary, server-streaming, client-streaming and bidirectional handlers alike: a bug is
    logged as UNKNOWN (what grpc answers), never as OK."""
    from callcenter.api.recorder.v1 import recorder_pb2, recorder_pb2_grpc
    from callcenter.api.router.v1 import router_pb2_grpc
    from callcenter.services.router import grpc_api as router_grpc_api

    replica = await start_replica()
    recorder = await start_recorder()

    async def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    async def crashing_watch(*args, **kwargs):
        raise RuntimeError("a bug")
        yield  # an async generator, as watch_call

    monkeypatch.setattr(replica.router, "open_pbx_session", crash)
    monkeypatch.setattr(router_grpc_api, "watch_call", crashing_watch)
    monkeypatch.setattr(recorder.recorder, "receive", crash)
    hello = pb.PbxSessionRequest(hello=pb.PbxHello(pbx_id="pbx-1"))
    meta = recorder_pb2.UploadMetadata(
        call_id="c1", codec=recorder_pb2.AUDIO_CODEC_PCM_S16LE, sample_rate_hz=8000, leg=recorder_pb2.LEG_MIXED
    )
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as router_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{recorder.port}") as recorder_channel,
    ):
        router_stub = router_pb2_grpc.RouterServiceStub(router_channel)
        recorder_stub = recorder_pb2_grpc.RecorderServiceStub(recorder_channel)
        calls = {
            "WatchCall": lambda: _drain(router_stub.WatchCall(pb.WatchCallRequest(call_id="c1"), timeout=10)),
            "PbxSession": lambda: _drain(router_stub.PbxSession(iter([hello]), timeout=10)),
            "UploadRecording": lambda: recorder_stub.UploadRecording(
                iter([recorder_pb2.UploadRecordingRequest(metadata=meta)]), timeout=10
            ),
        }
        for rpc, call in calls.items():
            with json_logs() as logs, pytest.raises(grpc.aio.AioRpcError) as failed:
                await call()
            assert failed.value.code() == grpc.StatusCode.UNKNOWN, (rpc, failed.value)
            assert [(line["rpc"], line["code"]) for line in _access_lines(logs)] == [(rpc, "UNKNOWN")], logs
            assert [line["event"] for line in logs if line["level"] == "error"] == ["rpc.crashed"], logs


async def _drain(stream) -> None:
    async for _ in stream:
        pass


async def test_a_refused_rpc_is_logged_with_the_code_it_was_refused_with(router_stub):
    cases = [
        ("GetAgent", pb.GetAgentRequest(agent_id="nobody"), "NOT_FOUND"),
        ("ReportOfferOutcome", pb.ReportOfferOutcomeRequest(call_id="c1", outcome=99), "INVALID_ARGUMENT"),
        ("ListQueues", pb.ListQueuesRequest(), "OK"),
    ]
    for rpc, request, code in cases:
        with json_logs() as logs:
            try:
                await getattr(router_stub, rpc)(request, timeout=10)
            except grpc.aio.AioRpcError as refused:
                assert refused.code().name == code
        assert [(line["rpc"], line["code"]) for line in _access_lines(logs)] == [(rpc, code)], logs


async def test_a_refusal_echoing_a_huge_id_reaches_the_caller_cut_short(router_stub):
    """The status message travels in a header; one echoing a 70,000-character id used to be
    dropped by the client (RESOURCE_EXHAUSTED "Stream removed") instead of refusing."""
    huge = "x" * 70_000
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id=huge, name="A")), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith("agent.id:"), refused.value.details()
    assert len(refused.value.details()) <= MAX_DETAILS
    call = router_stub.PbxSession(iter([pb.PbxSessionRequest(hello=pb.PbxHello(pbx_id=huge))]), timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _drain(call)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith("hello.pbx_id:")
    assert len(refused.value.details()) <= MAX_DETAILS  # the echoed id shortened, or the message cut


def test_a_short_status_message_is_kept_whole_and_a_long_one_cut_and_marked():
    assert bounded_details("agent: required") == "agent: required"
    cut = bounded_details("y" * 5_000)
    assert len(cut) <= MAX_DETAILS and cut.endswith("… (5000 characters)")


async def test_an_rpc_its_caller_gave_up_on_is_logged_as_cancelled_or_past_its_deadline(start_replica, monkeypatch):
    from callcenter.api.router.v1 import router_pb2_grpc

    replica = await start_replica()
    entered, left = asyncio.Event(), asyncio.Event()

    async def never_answers(*args, **kwargs):
        entered.set()
        try:
            await asyncio.Event().wait()
        finally:
            left.set()

    monkeypatch.setattr(replica.router, "list_queues", never_answers)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        with json_logs() as logs:
            with pytest.raises(grpc.aio.AioRpcError) as late:
                await stub.ListQueues(pb.ListQueuesRequest(), timeout=0.3)
            await left.wait()
        assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert [(line["rpc"], line["code"]) for line in _access_lines(logs)] == [("ListQueues", "DEADLINE_EXCEEDED")]
        entered.clear()
        left.clear()
        with json_logs() as logs:
            call = stub.ListQueues(pb.ListQueuesRequest(), timeout=30)
            await entered.wait()
            call.cancel()
            await left.wait()
        assert [(line["rpc"], line["code"]) for line in _access_lines(logs)] == [("ListQueues", "CANCELLED")]
