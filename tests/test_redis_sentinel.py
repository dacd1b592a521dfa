"""Redis watched by Sentinels (redis+sentinel:// URLs): a real primary, replicas and three
Sentinels from the bundled redis-server (tests/sentinel_fixtures.py). The primary is killed
under call load: a replica is promoted, every service reconnects by itself, the router's
promises hold, and what was acknowledged with `wait_replicas` is still there; without it, a
write acknowledged before its replica had it is lost (docs/deploy.md, "Redis high
availability")."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import signal
import time
from collections import Counter

import grpc
import pytest
import redis.asyncio as aioredis
import redis.exceptions
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio.sentinel import Sentinel

from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.config import CommonConfig, ConfigError
from callcenter.core.event_stream import stream_key
from callcenter.core.redis_connection import (
    Durability,
    NotReplicated,
    client_for,
    dedicated_client,
    parse_sentinel_url,
    split_durability,
)
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.users import UserStore
from callcenter.services.router.config import PbxSettings, RouterConfig
from callcenter.services.router.model import AgentProfile
from callcenter.services.router.server import RouterReplica
from callcenter.services.stats.server import StatsService
from callcenter.tools.simulator import Simulation, SimulationConfig
from callcenter.tools.simulator.config import Spread
from tests.gateway_fixtures import PASSWORD
from tests.helpers import event_types, read_events
from tests.sentinel_fixtures import stream_invariants
from tests.simulator_scenes import tiny_config
from tests.stats_fixtures import stats_config


def test_a_sentinel_url_names_the_sentinels_the_service_the_database_and_the_credentials():
    url = parse_sentinel_url(
        "rediss+sentinel://app:s%40cret@s1.internal:26380,s2.internal,[::1]:26381/callcenter/2"
        "?sentinel_password=sentinels&ssl_cert_reqs=required&socket_timeout=2"
    )
    assert url.sentinels == (("s1.internal", 26380), ("s2.internal", 26379), ("::1", 26381))
    assert (url.service, url.db, url.username, url.password) == ("callcenter", 2, "app", "s@cret")
    assert url.sentinel_password == "sentinels" and url.sentinel_username is None and url.tls
    assert url.options == {"ssl_cert_reqs": "required", "socket_timeout": 2.0}
    plain = parse_sentinel_url("redis+sentinel://:pw@10.0.0.1/mymaster")
    assert plain.sentinels == (("10.0.0.1", 26379),) and plain.db == 0 and plain.password == "pw"
    assert plain.username is None and not plain.tls


def test_wait_replicas_is_read_from_any_url_and_a_bad_url_is_a_configuration_error():
    assert split_durability("redis://h:6379/0?wait_replicas=1") == ("redis://h:6379/0", Durability(1, 500))
    bare, durability = split_durability("redis+sentinel://s1,s2/m?wait_replicas=2&wait_timeout_ms=50&x=1")
    assert bare == "redis+sentinel://s1,s2/m?x=1" and durability == Durability(2, 50)
    assert split_durability("redis://h/0") == ("redis://h/0", Durability())
    for bad in (
        "redis+sentinel://s1:26379",  # no service
        "redis+sentinel://s1:port/m",
        "redis+sentinel://s1/m/zero",
        "redis+sentinel://:secret@s1/m?socket_timeout=soon",
        "redis+sentinel://s1:26379?sentinel_password=secret",
    ):
        with pytest.raises(ConfigError) as refused:
            parse_sentinel_url(bad)
        assert "secret" not in str(refused.value)
    with pytest.raises(ConfigError, match="whole numbers"):
        split_durability("redis://h/0?wait_replicas=one")
    with pytest.raises(ConfigError, match="not supported on a Redis Cluster"):
        client_for("redis+cluster://h:7000?wait_replicas=1")


async def test_with_wait_replicas_a_write_no_replica_acknowledged_fails_and_reads_still_answer(lone_redis):
    url = f"redis://127.0.0.1:{lone_redis.port}/0?wait_replicas=1&wait_timeout_ms=50"
    client = client_for(url)
    try:
        started = time.monotonic()
        with pytest.raises(NotReplicated, match="0 of 1 replicas within 50 ms"):
            await client.set("k", "v")  # done on the primary, its reply withheld
        assert time.monotonic() - started >= 0.05
        assert await client.get("k") == "v" and await client.exists("k") == 1  # reads wait for nothing
        async with client.pipeline(transaction=True) as tx:
            tx.hset("h", "f", "1").expire("h", 60)
            with pytest.raises(NotReplicated):
                await tx.execute()
        async with client.pipeline(transaction=False) as reads:
            assert await reads.get("k").hgetall("h").execute() == ["v", {"f": "1"}]
        # min-replicas-to-write on the server refuses writes itself: the same NotReplicated.
        await client.config_set("min-replicas-to-write", 1)
        with pytest.raises(NotReplicated, match="NOREPLICAS"):
            await client.set("k", "w")
        script = client.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
        with pytest.raises(NotReplicated, match="NOREPLICAS"):
            await script(keys=["k"], args=["x"])
        assert await client.get("k") == "v"
    finally:
        await client.aclose()


REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
NAMED = {"router-timers", "router-watch-hub", "router-pbx-sessions", "stats-consumer", "gateway-live"}


def router_config(url: str, tenant: str) -> RouterConfig:
    return RouterConfig(
        common=CommonConfig(redis_url=url, tenant=tenant),
        port=0,
        timer_poll_ms=10,
        shutdown_grace_s=0.5,
        pbx=PbxSettings(position_interval_ms=200),
    )


async def until(condition, what, timeout: float = 20.0):
    """Polls the coroutine function `condition` until it returns something true (returned);
    `what` (text, or a function making it) says what never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with contextlib.suppress(*REDIS_DOWN):
            if found := await condition():
                return found
        assert loop.time() < deadline, f"{what() if callable(what) else what} within {timeout} s"
        await asyncio.sleep(0.02)


def cluster_replication(port: int) -> str:
    """What the promoted primary says of its replicas, for a failure message."""
    try:
        info = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).info("replication")
    except redis.exceptions.RedisError as exc:
        return f"the promoted primary did not answer INFO: {exc}"
    return f"role {info.get('role')}, {info.get('connected_slaves')} replicas connected"


async def follow(redis: aioredis.Redis, tenant: str, seen: list[str]) -> None:
    """Notes every event id the old primary shows, until it dies: what it held at the end."""
    after = "0-0"
    with contextlib.suppress(*REDIS_DOWN):
        while True:
            for _, entries in await redis.xread({stream_key(tenant): after}, block=100, count=1000) or []:
                seen.extend(entry_id for entry_id, _ in entries)
                after = entries[-1][0]


def load(router: str) -> SimulationConfig:
    """About 10 calls a wall-clock second for 8 s: calls ring, talk, wait and wrap up while
    the primary dies and the replica takes over."""
    return tiny_config(
        router,
        speed=50.0,  # ring timeout 5 s -> 100 ms, talk ~20 s -> 0.4 s, wrap-up 5 s -> 0.1 s
        rate_per_min=12.0,
        max_calls=80,
        drain_s=10.0,
        summary_every_s=0,
        seed=16,
        agents=6,
        talk=Spread(20.0, 0.3),
        patience=Spread(60.0, 0.3),
        logout_at_end=False,  # the agents' states are checked after the run
    )


async def test_killing_the_primary_under_call_load_promotes_a_replica_and_every_service_carries_on(
    sentinel_redis, tenant
):
    cluster = sentinel_redis(replicas=2)
    url = cluster.url(wait_replicas=1)  # the documented setting: a write is on a replica before its reply
    clients: list[aioredis.Redis] = []

    def client() -> aioredis.Redis:  # one per service, as processes of their own have
        clients.append(client_for(url))
        return clients[-1]

    routers = [RouterReplica(router_config(url, tenant), client()) for _ in range(2)]
    # A batch read but not applied when Redis went away is taken up again after claim_idle_ms
    # (30 s by default: docs/deploy.md, "Redis high availability"); 1 s here.
    stats = StatsService(stats_config(url, tenant, claim_idle_ms=1000), client())
    old = cluster.primary
    direct = aioredis.Redis(host="127.0.0.1", port=old.port, decode_responses=True)  # the primary itself
    seen_on_old: list[str] = []
    gateway: TestClient | None = None
    try:
        for router in routers:
            await router.start()
        await stats.start()
        gateway_config = GatewayConfig(
            common=CommonConfig(redis_url=url, tenant=tenant), port=0, router_addr=f"127.0.0.1:{routers[0].port}"
        )
        gateway_redis = client()
        await UserStore(gateway_redis, tenant).create("admin", PASSWORD, "admin")
        gateway = TestClient(TestServer(create_app(gateway_config, gateway_redis)))
        await gateway.start_server()
        follower = asyncio.create_task(follow(direct, tenant, seen_on_old))

        out = io.StringIO()
        simulation = Simulation(load(",".join(f"127.0.0.1:{r.port}" for r in routers)), out=out)
        run = asyncio.create_task(simulation.run())
        await until(lambda: asyncio.sleep(0, simulation.counters.answered >= 10), "ten calls answered")
        in_progress = simulation.counters.calls - simulation.counters.completed - simulation.counters.abandoned
        killed_at = time.time()
        old.kill()  # SIGKILL, under load: calls ringing, talking, waiting, in wrap-up
        new_port = await cluster.wait_for_new_primary(old.port)
        promoted_s = time.time() - killed_at
        assert new_port in {r.port for r in cluster.replicas}
        new = aioredis.Redis(host="127.0.0.1", port=new_port, decode_responses=True)
        clients.append(new)
        # A promoted replica's script cache may be empty: empty it for sure; EVALSHA then
        # meets NOSCRIPT and redis-py loads the script again.
        route_call = routers[0].router.store._scripts["route_call"]
        cached_after_promotion = (await new.script_exists(route_call.sha))[0]
        await new.script_flush()
        # Every service's own connections find the new primary by themselves, while calls go on.
        names: set[str] = set()

        async def all_named():
            names.update(c["name"] for c in await new.client_list() if c.get("name"))
            return NAMED <= names

        # The other replica re-attaches to the promoted one first (Sentinel reconfigures it, then a
        # full sync); until then every write is refused by wait_replicas and each service waits a
        # backoff of up to 5 s. On a busy 2-core machine that took over 10 s once: the deadline is
        # generous, since what is proved is that every service comes back, not how fast.
        await until(
            all_named,
            lambda: f"{NAMED} connected to the new primary (seen: {names}; {cluster_replication(new_port)})",
            timeout=60.0,
        )

        result = await asyncio.wait_for(run, 90)
        follower.cancel()
        c = result.counters
        sentinel_log = "\n".join(s.log_tail("sentinel.log", 30) for s in cluster.sentinels)
        assert c["errors"] == 0 and c["lost_calls"] == 0 and c["fresh_sessions"] == 0, (promoted_s, c, sentinel_log)
        assert c["routed"] == c["calls"] == 80, c
        # The PBX's session resumed after the last message it handled: nothing lost, nothing twice.
        assert c["stream_gaps"] == c["stream_repeats"] == 0 and c["unknown_events"] == 0, c
        assert result.sequences == list(range(result.sequences[0], result.sequences[0] + len(result.sequences)))

        events = await read_events(new, tenant)
        kinds = event_types(events)
        assert stream_invariants(events, kinds) == []  # no double offer, every offer and call ended once
        counted = Counter(kinds)
        assert c["completed"] == counted["CALL_COMPLETED"] and c["answered"] == counted["CALL_ANSWERED"]
        assert c["abandoned"] == counted["CALL_ABANDONED"]
        assert {e.call_id for e in events if e.call_id} == {call.call_id for call in result.calls}

        # No stuck agent: every wrap-up ended by its timer or by the agent, nobody reserved or on a call.
        async def agents_free():
            agents = await routers[1].router.list_agents()
            return all(s.state in ("available", "paused") and not s.call_id for _, s in agents) and agents

        agents = await until(agents_free, "every agent free")
        assert len(agents) == 6
        # No lost timer: nothing in the timer set is overdue by the new primary's clock.
        now_ms = int((await new.time())[0]) * 1000
        assert await new.zrangebyscore(routers[0].router.store.keys.timers, "-inf", now_ms - 1000) == []
        assert (await new.script_exists(route_call.sha))[0]  # loaded again after NOSCRIPT

        # Stats read the whole stream on the new primary, each event applied once.
        key = stream_key(tenant)

        async def stats_caught_up():
            last = (await new.xinfo_stream(key))["last-generated-id"]
            group = next(g for g in await new.xinfo_groups(key) if g["name"] == "stats")
            return group["last-delivered-id"] == last and group["pending"] == 0

        await until(stats_caught_up, "stats caught up")
        period = spb.Period(time_zone="UTC", day=dt.datetime.now(dt.UTC).date().isoformat())
        async with grpc.aio.insecure_channel(f"127.0.0.1:{stats.port}") as channel:
            figures = await stats_pb2_grpc.StatsServiceStub(channel).GetAgentStats(
                spb.GetAgentStatsRequest(period=period)
            )
        assert sum(a.answered for a in figures.agents) == counted["CALL_ANSWERED"]

        ready = await until(lambda: ready_now(gateway), "the gateway ready again")
        assert ready.status == 200
        login = await gateway.post("/api/v1/login", json={"username": "admin", "password": PASSWORD})
        assert login.status == 200, await login.text()

        # What the old primary held when it died and the new one never got: writes whose
        # replies wait_replicas withheld (their RPCs were repeated), never acknowledged ones.
        lost = set(seen_on_old) - {e.id for e in events}
        resumed_ms = min(e.time.ToMilliseconds() for e in events if e.time.ToMilliseconds() > killed_at * 1000)
        print(
            f"\nfailover: promoted {promoted_s:.2f} s after the kill, first transition on the new primary "
            f"{resumed_ms / 1000 - killed_at:.2f} s after it; {in_progress} calls in progress at the kill; "
            f"events on the old primary but not the new: {len(lost)}; script cached on the promoted replica: "
            f"{bool(cached_after_promotion)}; PBX reconnects {c['reconnects']}, RPC retries {c['rpc_retries']}"
        )
    finally:
        if gateway is not None:
            await gateway.close()
        for router in routers:
            await router.stop()
        await stats.stop()
        for c in clients:
            await c.aclose()
        await direct.aclose()


async def ready_now(gateway: TestClient):
    reply = await gateway.get("/readyz")
    await reply.read()
    return reply if reply.status == 200 else None


async def test_a_write_acknowledged_before_its_replica_had_it_is_lost_and_wait_replicas_withholds_the_reply(
    sentinel_redis, tenant
):
    """Asynchronous replication loses the last writes: with the replica cut off, RouteCall
    without wait_replicas answers an offer, and the primary dies before the replica has it:
    after the failover the call is gone. With wait_replicas=1 the same RouteCall answers
    UNAVAILABLE instead (its write was never acknowledged), and keeps doing so while the
    promoted primary has no replica; once one is back, the repeated RouteCall is answered and
    its call is on that replica."""
    cluster = sentinel_redis(replicas=1)
    replica, old = cluster.replicas[0], cluster.primary
    fast_client, safe_client = client_for(cluster.url()), client_for(cluster.url(wait_replicas=1, wait_timeout_ms=200))
    fast = RouterReplica(router_config(cluster.url(), tenant), fast_client)
    safe = RouterReplica(router_config(cluster.url(wait_replicas=1), tenant), safe_client)
    direct = aioredis.Redis(host="127.0.0.1", port=old.port, decode_responses=True)
    try:
        await fast.start()
        await safe.start()
        await safe.router.upsert_queue("sales", ring_timeout_ms=60_000)
        for agent in ("anna", "boris"):
            await safe.router.upsert_agent(AgentProfile(id=agent, endpoint=f"sip:{agent}", queues=("sales",)))
            await safe.router.login(agent)
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{fast.port}") as fast_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{safe.port}") as safe_channel,
        ):
            fast_stub = router_pb2_grpc.RouterServiceStub(fast_channel)
            safe_stub = router_pb2_grpc.RouterServiceStub(safe_channel)

            def route(stub, call_id: str):
                return stub.RouteCall(rpb.RouteCallRequest(call_id=call_id, caller="+4930", queue="sales"), timeout=5)

            # Replication stops: the replica is frozen and the primary drops its link.
            replica.signal(signal.SIGSTOP)
            await direct.execute_command("CLIENT", "KILL", "TYPE", "replica")
            acknowledged = await route(fast_stub, "c-fast")
            assert acknowledged.call.offer.agent_id == "anna"
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as withheld:
                await route(safe_stub, "c-safe")
            assert withheld.value.code() == grpc.StatusCode.UNAVAILABLE
            waited_ms = (time.monotonic() - started) * 1000
            assert waited_ms >= 200  # WAIT's timeout, then the refusal
            old.kill()
            replica.signal(signal.SIGCONT)
            assert await cluster.wait_for_new_primary(old.port) == replica.port

            # The acknowledged offer is gone with the old primary: the trade-off, measured.
            # (The router's first command after the failover may still meet the dead primary's
            # connection and answer UNAVAILABLE; the next one asks the Sentinels again.)
            async def get_fast_call():
                try:
                    await fast_stub.GetCall(rpb.GetCallRequest(call_id="c-fast"), timeout=5)
                except grpc.aio.AioRpcError as error:
                    return None if error.code() == grpc.StatusCode.UNAVAILABLE else error
                return "found"

            gone = await until(get_fast_call, "GetCall answered by the promoted primary")
            assert gone != "found" and gone.code() == grpc.StatusCode.NOT_FOUND
            assert (await until(lambda: fast.router.get_agent("anna"), "anna read"))[1].state == "available"
            # One replica, now the primary, has no replica of its own: every write is refused.
            with pytest.raises(grpc.aio.AioRpcError) as alone:
                await route(safe_stub, "c-safe")
            assert alone.value.code() == grpc.StatusCode.UNAVAILABLE

            async def refused_for_want_of_replicas():
                try:
                    await safe_client.set("probe", "1")
                except NotReplicated:
                    return True
                raise AssertionError("a write without a replica was acknowledged")

            assert await until(refused_for_want_of_replicas, "the write refused by NotReplicated")

            # The old primary comes back (as a restarted pod would), as a replica of the new one.
            cluster.start_data_node(old, replica_of=replica.port)

            async def routed():
                with contextlib.suppress(grpc.aio.AioRpcError):
                    return await route(safe_stub, "c-safe")

            answered = await until(routed, "RouteCall answered once a replica is back")
            assert answered.call.call_id == "c-safe" and answered.call.offer.agent_id
            on_replica = aioredis.Redis(host="127.0.0.1", port=old.port, decode_responses=True)
            try:
                assert await on_replica.exists(f"{safe.router.store.keys.prefix}call:c-safe")
            finally:
                await on_replica.aclose()

            # A client made by Sentinel.master_for itself gets dedicated clients that ask the same Sentinels.
            sentinel = Sentinel([("127.0.0.1", s.port) for s in cluster.sentinels], socket_timeout=1)
            bare = sentinel.master_for("callcenter", decode_responses=True)
            sibling = dedicated_client(bare, 1, name="sibling")
            try:
                assert sibling is not None and await sibling.client_getname() == "sibling"
                assert (await sibling.connection_pool.get_master_address())[1] == replica.port
            finally:
                await sibling.aclose()
                await bare.aclose()
                await sentinel.aclose()
            print(f"\nwait_replicas=1 refused the write after {waited_ms:.0f} ms (wait_timeout_ms=200)")
    finally:
        replica.signal(signal.SIGCONT)
        for router in (fast, safe):
            await router.stop()
        for c in (fast_client, safe_client, direct):
            await c.aclose()
