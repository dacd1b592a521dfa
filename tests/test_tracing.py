"""Trace context across the services (docs/operations.md, "Tracing"): a `traceparent` a client
sends is continued by the service, whose log lines carry its trace id; the gateway passes the
trace of a request on to the router it calls."""

from __future__ import annotations

import grpc
import pytest
import structlog
from structlog.testing import capture_logs

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


def lines_of(logs: list[dict], event: str) -> list[dict]:
    return [line for line in logs if line.get("event") == event]


async def test_a_trace_id_a_pbx_sends_is_in_the_routers_log_lines(start_replica):
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetCall(pb.GetCallRequest(call_id="c-42"), metadata=(("traceparent", PARENT),))
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetCall(pb.GetCallRequest(call_id="c-43"))  # no trace sent: a new one
    first, second = lines_of(logs, "rpc.failed")
    assert first["trace_id"] == TRACE and first["call_id"] == "c-42"
    assert len(first["span_id"]) == 16 and first["span_id"] != "00f067aa0ba902b7"  # the router's own span
    assert len(second["trace_id"]) == 32 and second["trace_id"] != TRACE


async def test_a_malformed_traceparent_starts_a_new_trace_instead_of_failing(start_replica):
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            await stub.ListQueues(pb.ListQueuesRequest(), metadata=(("traceparent", "00-zz-yy-01"),))  # served
    (done,) = [line for line in lines_of(logs, "rpc.done") if line.get("rpc") == "ListQueues"]
    assert len(done["trace_id"]) == 32 and done["trace_id"] != "0" * 32


async def test_the_gateway_continues_a_requests_trace_into_the_router(gateway, redis, tenant):
    await gateway.users.create("root", "correct horse battery", "admin")
    admin = await gateway.login("root")
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        reply = await admin.get("/api/v1/agents", headers={"traceparent": PARENT})
        assert reply.status == 200
    (request,) = [line for line in lines_of(logs, "http.request") if line["path"] == "/api/v1/agents"]
    assert request["trace_id"] == TRACE
    router_lines = [line for line in logs if line.get("rpc") == "ListAgents"]
    assert router_lines and all(line["trace_id"] == TRACE for line in router_lines)
