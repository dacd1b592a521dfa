"""WatchBoard (deprecated) on real gRPC and Redis: every stream of a stats process is fed by
one reader on one Redis connection of its own, bounded in number and in backlog; applying an
event writes nothing for it; and no entry of the stream, however malformed, stops the
consumer or the reader."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
import redis.asyncio as aioredis

from callcenter.api.events.v1 import events_pb2
from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core import errors
from callcenter.core.event_stream import stream_key
from callcenter.core.redis_connection import client_for
from callcenter.services.stats.board_watch import BoardWatchHub
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.server import StatsService
from tests.stats_fixtures import stats_config

WATCHERS = 1000  # far more than the pool of 4 connections the service is given


async def connection_names(redis) -> list[str]:
    return [c.get("name", "") for c in await redis.client_list()]


async def test_watchers_far_beyond_the_pool_share_one_connection_and_rpcs_still_answer(
    redis, redis_url, tenant, script
):
    small = client_for(redis_url, max_connections=4, wait_s=1.0)
    service = StatsService(stats_config(redis_url, tenant, max_watchers=WATCHERS), small)
    await service.start()
    try:
        before = len(await connection_names(redis))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = stats_pb2_grpc.StatsServiceStub(channel)
            calls = []
            for _ in range(0, WATCHERS, 250):  # opened in waves, as clients come
                wave = [stub.WatchBoard(pb.WatchBoardRequest()) for _ in range(min(250, WATCHERS - len(calls)))]
                await asyncio.gather(*(c.initial_metadata() for c in wave))  # every watch is live
                calls += wave
            assert service.board_watch.watchers == WATCHERS and not any(c.done() for c in calls)

            refused = stub.WatchBoard(pb.WatchBoardRequest())
            with pytest.raises(grpc.aio.AioRpcError) as over:
                await refused.read()
            assert over.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

            started = time.monotonic()
            await stub.GetBoard(pb.GetBoardRequest(), timeout=2)
            assert time.monotonic() - started < 1.0

            await script.login("anna", ["sales"])
            updates = await asyncio.gather(*(asyncio.wait_for(c.read(), 20) for c in calls))
            assert {(u.event.type, u.agent.agent_id) for u in updates} == {
                (events_pb2.EVENT_TYPE_AGENT_LOGGED_IN, "anna")
            }
            assert list(updates[0].agent.queues) == ["sales"]
            assert service.board_watch.published == 1  # the board was read once for all of them

            names = await connection_names(redis)
            assert names.count("stats-board-watch") == 1
            assert len(names) - before <= 1 + 4  # the hub's, at most the shared pool; none per watcher
            for c in calls:
                c.cancel()
    finally:
        await service.stop()
        await small.aclose()


async def test_applying_events_writes_nothing_for_the_board_watchers(script, make_consumer, redis, tenant):
    await script.login("anna", ["sales"])
    await script.receive("c1", "sales")
    assert await make_consumer().drain() == 2
    assert not await redis.exists(StatsKeys(tenant).changes)  # no entry per applied event


async def test_a_starting_stats_process_deletes_the_changes_stream_of_older_versions(start_stats, redis, tenant):
    await redis.xadd(StatsKeys(tenant).changes, {"id": "1-0"})
    await start_stats()
    assert not await redis.exists(StatsKeys(tenant).changes)


def hub_for(redis, tenant, clock, **overrides) -> BoardWatchHub:
    options = {"max_watchers": 2, "overdue_after_ms": 60_000, "block_ms": 20, "recheck_ms": 10, **overrides}
    return BoardWatchHub(redis, tenant, clock, **options)


async def publish(hub: BoardWatchHub, count: int) -> None:
    """Runs the hub's rounds until `count` events were published (as its worker would)."""

    async def rounds() -> None:
        while hub.published < count:
            await hub.step()

    await asyncio.wait_for(rounds(), 10)


async def test_a_watcher_that_stops_reading_is_ended_instead_of_buffering(
    script, make_consumer, redis, tenant, stats_clock
):
    hub = hub_for(redis, tenant, stats_clock, backlog=3)
    consumer = make_consumer()
    async with hub.watch() as slow:
        for n in range(5):
            await script.login(f"agent-{n}", ["sales"])
        await consumer.drain()
        await publish(hub, 5)
        with pytest.raises(errors.ResourceExhausted):
            async for _ in slow.updates():
                pass
    async with hub.watch(), hub.watch():
        with pytest.raises(errors.ResourceExhausted):  # max_watchers 2
            async with hub.watch():
                pass
    assert hub.refused == 1


async def test_entries_the_hub_cannot_decode_are_skipped_and_counted(script, make_consumer, redis, tenant, stats_clock):
    hub = hub_for(redis, tenant, stats_clock)
    consumer = make_consumer()
    async with hub.watch(frozenset({"sales"})) as watcher:
        events = stream_key(tenant)
        login = {"type": "AGENT_LOGGED_IN", "time": "1772438400000", "agent_state": "available", "queues": "sales"}
        await redis.xadd(events, {**login, "agent_id": "x", "attributes": "[1]"})  # applied, not an object
        await redis.xadd(events, {**login, "agent_id": "y", "attributes": "{broken"})
        await script.login("anna", ["sales"])
        assert await consumer.drain() == 3
        await publish(hub, 1)
        update = await anext(watcher.updates())
    assert update.event.agent_id == "anna" and update.agent.state == "available"
    assert hub.unreadable == 2


async def test_an_entry_that_is_not_utf8_is_dead_lettered_and_the_consumer_goes_on(
    start_stats, redis, redis_url, tenant, script
):
    service = await start_stats()
    raw = aioredis.Redis.from_url(redis_url)  # writes bytes as they are
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            watch = stats_pb2_grpc.StatsServiceStub(channel).WatchBoard(pb.WatchBoardRequest())
            await watch.initial_metadata()
            await raw.xadd(stream_key(tenant), {b"type": b"AGENT_LOGGED_IN", b"agent_id": b"\xff\xfe", b"time": b"1"})
            await script.login("anna", ["sales"])
            update = await asyncio.wait_for(watch.read(), 10)  # counted after the unreadable one
            assert update.event.agent_id == "anna"
            await script.logout("anna")
            assert (await asyncio.wait_for(watch.read(), 10)).event.type == events_pb2.EVENT_TYPE_AGENT_LOGGED_OUT
            watch.cancel()
        assert service.consumer.unreadable == 1
        (dead,) = await raw.xrange(StatsKeys(tenant).dead_letters)
        assert dead[1][b"agent_id"] == b"\xff\xfe" and dead[1][b"error"] == b"not UTF-8"  # kept byte for byte
        assert (await redis.xpending(stream_key(tenant), "stats"))["pending"] == 0  # acknowledged
    finally:
        await raw.aclose()
