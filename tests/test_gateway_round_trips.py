"""A request costs a bounded number of round trips, however many items it lists: the agents'
queues (what the role rules go by) are asked of the router once per request, not once per
lead or recording, and an agent's tasks are read from Redis in one command, not one each.
Counted on the real wire: the gateway's gRPC calls by an interceptor on its channels, its
Redis commands by MONITOR on the real server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import grpc
import pytest

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.config import key_prefix
from callcenter.services.gateway.tasks import TaskStore
from tests.gateway_scenes import setup_team, stored


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


@contextlib.asynccontextmanager
async def redis_commands(redis):
    """Every command the Redis server runs meanwhile (MONITOR), as text, into the list given."""
    commands: list[str] = []
    marker = f"end-of-monitoring-{uuid.uuid4().hex}"
    async with redis.monitor() as monitor:

        async def collect() -> None:
            while marker not in (command := (await monitor.next_command())["command"]):
                commands.append(command)

        collecting = asyncio.create_task(collect())
        yield commands
        await redis.echo(marker)  # the last command monitored: everything before it is in
        await asyncio.wait_for(collecting, 10)


async def test_listing_fifty_leads_asks_the_router_for_the_agents_once(backend_addrs, quiet_stats, gateway):
    await setup_team(gateway)
    async with grpc.aio.insecure_channel(backend_addrs["stats_addr"]) as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        for n in range(50):
            agent = ("anna", "boris", "csilla")[n % 3]
            await stub.CreateLead(spb.CreateLeadRequest(lead_id=f"L{n}", agent_id=agent, stage="lead"))
    await quiet_stats.consumer.drain()
    sam = await gateway.login("sam")  # sales: anna and boris
    gateway.rpcs.clear()
    reply = await sam.get("/api/v1/leads")
    leads = (await reply.json())["leads"]
    assert len(leads) == 34 and {lead["agent_id"] for lead in leads} == {"anna", "boris"}
    assert (gateway.rpcs["ListAgents"], gateway.rpcs["GetAgent"], gateway.rpcs["ListLeads"]) == (1, 0, 1)


async def test_listing_thirty_recordings_asks_the_router_for_the_agents_once(backend_addrs, gateway):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    for n in range(30):
        await stored(gateway, ("anna", "boris", "csilla")[n % 3], f"c{n}")
    sam = await gateway.login("sam")
    gateway.rpcs.clear()
    recordings = (await (await sam.get("/api/v1/recordings")).json())["recordings"]
    assert len(recordings) == 20 and {r["agent_id"] for r in recordings} == {"anna", "boris"}
    assert (gateway.rpcs["ListAgents"], gateway.rpcs["GetAgent"], gateway.rpcs["ListRecordings"]) == (1, 0, 1)


async def test_an_agents_three_hundred_tasks_are_read_with_two_redis_commands(gateway, redis, tenant):
    await setup_team(gateway)
    store = TaskStore(redis, tenant)
    for n in range(300):
        await store.comment("agent", "anna", "sam", f"call back #{n}", ("anna",), now_ms=1_700_000_000_000 + n)
    anna = await gateway.login("anna")
    async with redis_commands(redis) as commands:
        reply = await anna.get("/api/v1/tasks")
    tasks = (await reply.json())["tasks"]
    assert len(tasks) == 300 and tasks[0]["text"] == "call back #299"  # newest first
    task_commands = [c for c in commands if key_prefix(tenant) + "gw:task" in c]
    assert [c.split()[0].upper() for c in task_commands] == ["ZREVRANGE", "MGET"], task_commands[:5]
