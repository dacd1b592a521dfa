"""The same code on a real three-node Redis Cluster (the bundled redis-server in cluster
mode): every transition's keys share the tenant's hash tag, so scripts, transactions and
stream reads each stay on one node."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time

import pytest
import redis

from callcenter.core.embedded_redis import redis_server_binary
from callcenter.core.redis_connection import client_for
from callcenter.services.router.model import AgentProfile, Client
from callcenter.services.router.router import Router
from callcenter.services.router.store import RouterStore
from tests.helpers import event_types, read_events


def free_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    import random

    while True:
        port = random.randint(20000, 45000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    """Three masters sharing the 16384 slots, started from the bundled binary."""
    ports = [free_port() for _ in range(3)]
    processes = []
    for port in ports:
        folder = tmp_path_factory.mktemp(f"node{port}")
        processes.append(
            subprocess.Popen(
                [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", str(folder / "nodes.conf"), "--dir", str(folder), "--save", "",
                 "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    try:
        clients = [redis.Redis(host="127.0.0.1", port=p, decode_responses=True) for p in ports]
        for c in clients:
            for attempt in range(400):
                try:
                    c.ping()
                    break
                except redis.ConnectionError:
                    assert attempt < 399, "a cluster node did not start"
                    time.sleep(0.05)
        for p in ports[1:]:
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", p)
        bounds = [(0, 5460), (5461, 10922), (10923, 16383)]
        for c, (low, high) in zip(clients, bounds, strict=True):
            c.execute_command("CLUSTER", "ADDSLOTS", *range(low, high + 1))
        deadline = time.monotonic() + 20
        while not all("cluster_state:ok" in c.execute_command("CLUSTER", "INFO") for c in clients):
            assert time.monotonic() < deadline, "the cluster did not form"
            time.sleep(0.1)
        yield f"redis+cluster://127.0.0.1:{ports[0]}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


async def test_routing_rules_and_timers_run_unchanged_on_redis_cluster(cluster_url):
    client = client_for(cluster_url)
    try:
        from callcenter.core.clock import ManualClock

        clock = ManualClock()
        tenants = ["alpha", "bravo", "charlie"]  # different slots, so different nodes
        slots = {client.keyslot(f"cc:{{{t}}}:events") for t in tenants}
        assert len(slots) == 3
        for tenant in tenants:
            router = Router(RouterStore(client, tenant, event_stream_maxlen=10_000, call_retention_s=60), clock)
            await router.upsert_queue("sales", ring_timeout_ms=5_000, wrap_up_ms=10_000, vip_min_tier=2)
            for agent_id, tier in (("anna", 0), ("boris", 3)):
                await router.upsert_agent(
                    AgentProfile(id=agent_id, endpoint=f"sip:{agent_id}", queues=("sales",), tier=tier)
                )
                await router.login(agent_id)
                clock.advance(1)
            await router.upsert_client(Client(number="+49999", priority=2))
            vip = await router.route_call("v1", "+49999", "sales")
            assert vip.offer.agent_id == "boris"
            clock.advance(5)
            await router.fire_due_timers()  # boris did not answer within 5 s: offer expired
            assert (await router.get_call("v1")).state == "waiting"  # the VIP waits for a senior
            ordinary = await router.route_call("o1", "+49100", "sales")
            assert ordinary.offer.agent_id == "anna"
            await router.report_offer_outcome("o1", ordinary.offer.offer_id, "answered")
            await router.hangup("o1")
            clock.advance(10)
            await router.fire_due_timers()  # anna's wrap-up ends; boris gets the VIP again (retry)
            assert (await router.get_agent("anna"))[1].state == "available"
            assert (await router.get_call("v1")).offer.agent_id == "boris"
            types = event_types(await read_events(client, tenant))
            assert types.count("CALL_OFFERED") == 3 and "AGENT_WRAP_UP_ENDED" in types
            queue, counts = await router.get_queue("sales")
            assert counts.available_agents == 1 and queue.vip_min_tier == 2
    finally:
        await client.aclose()
    await asyncio.sleep(0)
