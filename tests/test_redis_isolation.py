"""Nothing a client opens can starve the work others need: blocking stream readers (PBX
sessions, the WatchCall hub, WatchBoard's hub, the stats consumer) and the router's timers run
on Redis connections of their own, never on the pool serving RPCs; and a stream entry they
cannot read is skipped and counted, never the end of the reader. Real router and stats
services on loopback, one small shared pool as `callcenter up` shares one."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import grpc
import redis.asyncio as aioredis
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.config import CommonConfig
from callcenter.core.event_stream import stream_key
from callcenter.core.redis_connection import client_for
from callcenter.services.router.config import PbxSettings, RouterConfig
from callcenter.services.router.server import RouterReplica
from callcenter.services.stats.server import StatsService
from tests.pbx_session_client import PbxClient
from tests.stats_fixtures import stats_config

K = rpb.PbxCallEventKind
POOL = 4  # the shared pool: every RPC of both services, nothing else
SESSIONS = 8  # PBX sessions, each blocked in an XREAD of its stream most of the time
WATCHERS = 300  # WatchBoard streams (75 times the pool)


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


def router_config(redis_url: str, tenant: str, **pbx) -> RouterConfig:
    return RouterConfig(
        common=CommonConfig(redis_url=redis_url, tenant=tenant),
        port=0,
        timer_poll_ms=10,
        shutdown_grace_s=0.5,
        pbx=PbxSettings(position_interval_ms=200, **pbx),
    )


async def test_rpcs_answer_and_ring_timeouts_fire_while_clients_hold_many_blocking_streams(redis, redis_url, tenant):
    shared = client_for(redis_url, max_connections=POOL, wait_s=1.0)  # a starved RPC fails after 1 s
    router = RouterReplica(router_config(redis_url, tenant, max_sessions=SESSIONS), shared)
    stats = StatsService(stats_config(redis_url, tenant, max_watchers=WATCHERS), shared)
    await router.start()
    await stats.start()
    pbxs: list[PbxClient] = []
    try:
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{router.port}") as router_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{stats.port}") as stats_channel,
        ):
            stub = router_pb2_grpc.RouterServiceStub(router_channel)
            board = stats_pb2_grpc.StatsServiceStub(stats_channel)
            watchers = []
            for _ in range(0, WATCHERS, 250):  # opened in waves, as clients come
                wave = [board.WatchBoard(spb.WatchBoardRequest()) for _ in range(min(250, WATCHERS - len(watchers)))]
                await asyncio.gather(*(w.initial_metadata() for w in wave))  # live
                watchers += wave
            assert stats.board_watch.watchers == WATCHERS and not any(w.done() for w in watchers)
            for n in range(SESSIONS):
                pbxs.append(await PbxClient(stub, f"pbx-{n}").__aenter__())
            await stub.UpsertQueue(rpb.UpsertQueueRequest(queue=rpb.Queue(name="sales", ring_timeout=ms(200))))
            await stub.UpsertAgent(rpb.UpsertAgentRequest(agent=rpb.Agent(id="anna", endpoint="x", queues=["sales"])))
            await stub.LoginAgent(rpb.LoginAgentRequest(agent_id="anna"))

            started = time.monotonic()
            routed = await stub.RouteCall(
                rpb.RouteCallRequest(call_id="c1", caller="+491", queue="sales", pbx_id="pbx-0"), timeout=2
            )
            answered_in = time.monotonic() - started
            assert routed.call.offer.agent_id == "anna" and answered_in < 1.0
            # Nobody answers: the router's timer expires the offer after the ring timeout.
            offered = await pbxs[0].next_event("c1", K.PBX_CALL_EVENT_KIND_OFFERED, timeout=5)
            cancelled = await pbxs[0].next_event("c1", K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED, timeout=5)
            assert cancelled.offer_id == offered.offer_id and cancelled.reason == "timeout"
            await board.GetBoard(spb.GetBoardRequest(), timeout=2)

            names = Counter(c.get("name", "") for c in await redis.client_list())
            assert names["router-timers"] <= 2 and names["router-watch-hub"] <= 1
            assert names["router-pbx-sessions"] <= SESSIONS
            assert names["stats-board-watch"] == 1 and names["stats-consumer"] <= 2
            for w in watchers:
                w.cancel()
    finally:
        for pbx in pbxs:
            await pbx.close()
        await stats.stop()
        await router.stop()
        await shared.aclose()


async def test_a_v1_watcher_is_still_woken_after_an_entry_that_is_not_utf8(start_replica, redis_url, tenant):
    replica = await start_replica()
    raw = aioredis.Redis.from_url(redis_url)  # writes bytes as they are
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.UpsertQueue(rpb.UpsertQueueRequest(queue=rpb.Queue(name="sales")))
            await stub.UpsertAgent(rpb.UpsertAgentRequest(agent=rpb.Agent(id="anna", endpoint="x", queues=["sales"])))
            await stub.RouteCall(rpb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))
            updates = stub.WatchCall(rpb.WatchCallRequest(call_id="c1"))
            first = await updates.read()  # the call now: waiting (nobody logged in)
            await raw.xadd(stream_key(tenant), {b"type": b"CALL_QUEUED", b"call_id": b"\xff\xfe"})
            started = time.monotonic()
            await stub.LoginAgent(rpb.LoginAgentRequest(agent_id="anna"))  # offers c1 to anna
            offered = await asyncio.wait_for(updates.read(), 10)
            woken_in = time.monotonic() - started
            updates.cancel()
        assert first.call.offer.agent_id == "" and offered.call.offer.agent_id == "anna"
        assert woken_in < 2.0  # by the hub, not by the 5 s safety recheck
        assert replica.hub.skipped == 1
    finally:
        await raw.aclose()
