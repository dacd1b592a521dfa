"""Scenes of the queue page's tests (tests/test_gateway_queue_*.py): named agents in two
queues on a real router, supervisors of one or both, calls routed to wait or ring."""

from __future__ import annotations

import contextlib

import grpc
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import PASSWORD

NAMES = {"anna": "Anna Schmidt", "boris": "Boris Petrov", "csilla": "Csilla Nagy", "sam-agent": "Sam Supervisor"}


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


@contextlib.asynccontextmanager
async def router_of(gateway):
    """A RouterService client of the gateway's router."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)


async def agent(stub, agent_id: str, *queues: str, login: bool = True, pause_reason: str = "") -> None:
    profile = pb.Agent(id=agent_id, name=NAMES[agent_id], endpoint=f"sip:{agent_id}@pbx", queues=list(queues))
    await stub.UpsertAgent(pb.UpsertAgentRequest(agent=profile))
    if login:
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id, pause_reason=pause_reason))


async def queues(stub, *names: str, **fields) -> None:
    """Queues whose offers never time out on a busy machine (ring timeout two minutes)."""
    fields.setdefault("ring_timeout", ms(120_000))
    for name in names:
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=name, **fields)))


async def supervisors(gateway) -> None:
    """sam supervises sales and support and is an agent too (sam-agent); sal supervises sales
    only, sue support only; root is an admin, anna an agent."""
    await gateway.users.create("sam", PASSWORD, "supervisor", teams=("sales", "support"), agent_id="sam-agent")
    await gateway.users.create("sal", PASSWORD, "supervisor", teams=("sales",))
    await gateway.users.create("sue", PASSWORD, "supervisor", teams=("support",))
    await gateway.users.create("root", PASSWORD, "admin")
    await gateway.users.create("anna", PASSWORD, "agent", agent_id="anna")


async def route(stub, call_id: str, caller: str, queue: str = "sales", pbx_id: str = "", priority: int = 0) -> pb.Call:
    request = pb.RouteCallRequest(call_id=call_id, caller=caller, queue=queue, pbx_id=pbx_id, priority=priority)
    return (await stub.RouteCall(request)).call
