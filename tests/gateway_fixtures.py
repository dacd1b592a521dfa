"""Fixtures for gateway tests: a real router replica, the gateway app on a real loopback
HTTP port, and users of every role logged in with real sessions."""

from __future__ import annotations

import collections
import dataclasses

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.core.config import CommonConfig
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.users import UserStore

PASSWORD = "correct horse battery"


class RpcCounter(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Counts the gateway's gRPC calls by method name ("ListAgents"), on their way out."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()

    def _count(self, details) -> None:
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        self.calls[method.rsplit("/", 1)[-1]] += 1

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        self._count(client_call_details)
        return await continuation(client_call_details, request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):
        self._count(client_call_details)
        return await continuation(client_call_details, request)


async def logged_in(server, username: str, password: str = PASSWORD) -> TestClient:
    """A new client (own cookie jar) of the server, logged in as the user, its CSRF token in
    `client.csrf`; the caller closes it."""
    client = TestClient(server)
    await client.start_server()
    reply = await client.post("/api/v1/login", json={"username": username, "password": password})
    assert reply.status == 200, await reply.text()
    client.csrf = (await reply.json())["csrf_token"]
    return client


@dataclasses.dataclass
class Gateway:
    client: TestClient  # anonymous
    app: object
    users: UserStore

    async def login(self, username: str, password: str = PASSWORD) -> TestClient:
        """A new client (own cookie jar) logged in as the user; returns it."""
        client = await logged_in(self.client.server, username, password)
        self._clients.append(client)
        return client

    _clients: list = dataclasses.field(default_factory=list)


@pytest.fixture
async def gateway(redis, redis_url, tenant, start_replica, request):
    """The gateway in front of a fresh router replica (and stats/recorder when the test
    module provides a `backend_addrs` or `full_backends` fixture, named before `gateway` in
    the test's arguments so that it is already set up; its quotas from a `gateway_quotas`
    fixture likewise)."""
    router = await start_replica()
    addrs = {"router_addr": f"127.0.0.1:{router.port}"}
    for name in ("backend_addrs", "full_backends"):
        if name in request.fixturenames:
            addrs.update(request.getfixturevalue(name))
    if "gateway_quotas" in request.fixturenames:  # a test module's Quotas for its gateway
        addrs["quotas"] = request.getfixturevalue("gateway_quotas")
    config = GatewayConfig(common=CommonConfig(redis_url=redis_url, tenant=tenant), port=0, **addrs)
    rpcs = RpcCounter()
    backends = Backends(
        config.router_addr,
        config.stats_addr,
        config.recorder_addr,
        config.rpc_timeout_s,
        interceptors=[rpcs],
        webhooks_addr=config.webhooks_addr,
    )
    app = create_app(config, redis, backends)
    client = TestClient(TestServer(app))
    await client.start_server()
    gw = Gateway(client=client, app=app, users=UserStore(redis, tenant))
    gw.router_port = router.port
    gw.rpcs = rpcs.calls  # every RPC the gateway made, by method name
    yield gw
    for c in gw._clients:
        await c.close()
    await client.close()


def csrf(client) -> dict:
    return {"X-CSRF-Token": client.csrf}


@pytest.fixture
async def quiet_stats(redis, redis_url, tenant):
    """A real stats gRPC service that applies the event stream only when told: `await
    quiet_stats.consumer.drain()` applies everything written so far, so a test knows when
    the figures are current without polling for them."""
    from callcenter.services.stats.server import StatsService
    from tests.stats_fixtures import stats_config

    service = StatsService(stats_config(redis_url, tenant), redis)
    await service.consumer.ensure_group()
    service.port = await service.grpc.start("127.0.0.1", 0)
    yield service
    await service.stop()
