"""Fixtures that start real parts: one embedded Redis server per test session, a fresh
tenant (key prefix) per test so tests never see each other's keys."""

from __future__ import annotations

import uuid

import pytest

from callcenter.core.clock import ManualClock
from callcenter.core.embedded_redis import EmbeddedRedis
from callcenter.core.redis_connection import client_for
from callcenter.services.router.config import QueueDefaults
from callcenter.services.router.router import Router
from callcenter.services.router.store import RouterStore

# Fixtures of one area live beside its tests; registered here so every module may use them.
pytest_plugins = [
    "tests.gateway_fixtures",
    "tests.recorder_fixtures",
    "tests.stats_fixtures",
    "tests.webhooks_fixtures",
    "tests.kamailio_fixtures",
    "tests.sentinel_fixtures",
]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    return redis_server.url


@pytest.fixture
async def redis(redis_url):
    client = client_for(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def tenant() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def router(redis, tenant, clock) -> Router:
    store = RouterStore(redis, tenant, event_stream_maxlen=100_000, call_retention_s=3600)
    return Router(store, clock, QueueDefaults())


@pytest.fixture
async def start_replica(redis, redis_url, tenant):
    """Starts in-process router replicas (real gRPC on a loopback port, system clock) and
    stops them at the end of the test. Keyword arguments override RouterConfig fields."""
    import dataclasses

    from callcenter.core.config import CommonConfig
    from callcenter.services.router.config import PbxSettings, RouterConfig
    from callcenter.services.router.server import RouterReplica

    started: list[RouterReplica] = []

    async def start(**overrides) -> RouterReplica:
        config = RouterConfig(
            common=CommonConfig(redis_url=redis_url, tenant=tenant),
            port=0,
            timer_poll_ms=10,
            shutdown_grace_s=0.5,
            pbx=PbxSettings(position_interval_ms=200),  # positions move within a test's patience
        )
        replica = RouterReplica(dataclasses.replace(config, **overrides), redis)
        await replica.start()
        started.append(replica)
        return replica

    yield start
    for replica in started:
        await replica.stop()


@pytest.fixture
async def router_stub(start_replica):
    """A RouterService client connected to one fresh replica."""
    import grpc

    from callcenter.api.router.v1 import router_pb2_grpc

    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield router_pb2_grpc.RouterServiceStub(channel)
