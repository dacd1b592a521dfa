"""What one client can hold of the gateway, and of stats through it: event streams per user
and in all (429 / 503 with Retry-After, naming the limit), connections in all, how long a
request's headers may take (half a request line is closed, not held for ever), and a period
of figures of at most 400 days (400 / INVALID_ARGUMENT naming the field, memory bounded by
the answer). Real GatewayServer on a loopback port (real sockets), real router, real stats."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import tracemalloc

import aiohttp
import grpc
import pytest

from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.core import event_stream, time_bounds
from callcenter.core.config import CommonConfig
from callcenter.services.gateway.board_api import LIVE
from callcenter.services.gateway.config import GatewayConfig, Quotas
from callcenter.services.gateway.live import Coalesced
from callcenter.services.gateway.server import GatewayServer
from callcenter.services.gateway.users import UserStore
from callcenter.services.stats.model import Range
from tests.gateway_fixtures import PASSWORD

DAY_MS = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01 UTC


@dataclasses.dataclass
class Served:
    server: GatewayServer
    session: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def guard(self):
        return self.server.guard

    async def token(self, username: str) -> str:
        async with self.session.post(
            f"{self.url}/api/v1/login", json={"username": username, "password": PASSWORD}
        ) as r:
            assert r.status == 200, await r.text()
            return (await r.json())["token"]

    async def open_stream(self, token: str) -> aiohttp.ClientResponse:
        """GET /api/v1/events; once 200, read up to the first line (subscribed)."""
        reply = await self.session.get(f"{self.url}/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        if reply.status == 200:
            assert (await reply.content.readline()).startswith(b"retry:")
        return reply

    async def raw(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.server.port)


@pytest.fixture
async def serve(redis, redis_url, tenant, start_replica):
    """Starts a real GatewayServer (the one `callcenter gateway` runs) with the given quotas,
    in front of a fresh router; users root and sam (supervisor) exist."""
    router = await start_replica()
    users = UserStore(redis, tenant)
    await users.create("root", PASSWORD, "admin")
    await users.create("sam", PASSWORD, "supervisor", teams=("sales",))
    started: list[Served] = []

    async def start(**quotas) -> Served:
        config = GatewayConfig(
            common=CommonConfig(redis_url=redis_url, tenant=tenant),
            port=0,
            router_addr=f"127.0.0.1:{router.port}",
            shutdown_grace_s=0.2,
            quotas=Quotas(**quotas),
        )
        server = GatewayServer(config, redis)
        await server.start()
        served = Served(server, aiohttp.ClientSession())
        started.append(served)
        return served

    yield start
    for served in started:
        await served.session.close()
        await served.server.stop()


async def until(condition, timeout: float = 10.0) -> None:
    """Waits for a condition the server reaches by itself (a connection it has noticed closed)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 30.0) -> bytes:
    """What the server sent before it closed the connection (b"" for nothing)."""
    received = b""
    async with asyncio.timeout(timeout):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionResetError:  # aborted: a reset rather than an orderly close
            pass
    return received


# Event streams ---------------------------------------------------------------------------------


async def test_event_streams_are_limited_per_user_429_and_in_all_503_with_retry_after_naming_the_limit(serve):
    gw = await serve(streams_per_user=2, streams=3)
    root, sam = await gw.token("root"), await gw.token("sam")
    first, second = await gw.open_stream(root), await gw.open_stream(root)
    assert first.status == second.status == 200
    third = await gw.open_stream(root)
    assert third.status == 429 and third.headers["Retry-After"] == "5"
    body = await third.json()
    assert "CALLCENTER_GATEWAY_MAX_STREAMS_PER_USER" in body["error"] and "2 event streams" in body["error"]
    assert third.headers["Content-Type"].startswith("application/json")

    sams = await gw.open_stream(sam)  # another user: their own quota, and the third in all
    assert sams.status == 200
    full = await gw.open_stream(sam)
    assert full.status == 503 and full.headers["Retry-After"] == "10"
    assert "CALLCENTER_GATEWAY_MAX_STREAMS" in (await full.json())["error"]

    # A tab closed frees its place at once (not at the stream's next keepalive, 15 s later).
    hub = gw.server.app[LIVE]
    first.close()
    await until(lambda: len(hub.subscribers) == 2)
    again = await gw.open_stream(root)
    assert again.status == 200
    for reply in (second, sams, again, third, full):
        reply.close()
    await until(lambda: not hub.subscribers and not hub.streams_of)


# Connections and slow headers ------------------------------------------------------------------


async def test_connections_that_send_half_a_request_line_are_closed_at_the_header_deadline(serve):
    gw = await serve(header_timeout_s=0.3, connections=1_000)
    loop = asyncio.get_running_loop()
    started = loop.time()
    half_open = [await gw.raw() for _ in range(200)]
    for _, writer in half_open:
        writer.write(b"GET /healthz HT")  # half a request line, and then nothing
    await asyncio.gather(*(w.drain() for _, w in half_open))
    received = await asyncio.gather(*(closed_by_server(r) for r, _ in half_open))
    assert received == [b""] * 200  # closed without an answer
    assert loop.time() - started >= 0.3
    await until(lambda: gw.guard.open == 0)
    assert gw.guard.timed_out == 200
    for _, writer in half_open:
        writer.close()
    # The server still answers whole requests.
    async with gw.session.get(f"{gw.url}/healthz") as reply:
        assert reply.status == 200


async def test_a_request_trickled_a_byte_at_a_time_is_closed_too_activity_is_no_excuse(serve):
    gw = await serve(header_timeout_s=0.3)
    reader, writer = await gw.raw()
    started = asyncio.get_running_loop().time()

    async def trickle():
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 10_000:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.02)  # the client's pace, not a wait for the server's timer

    sending = asyncio.create_task(trickle())
    assert await closed_by_server(reader) == b""
    assert asyncio.get_running_loop().time() - started >= 0.3
    sending.cancel()
    writer.close()
    assert gw.guard.timed_out == 1


async def test_whole_requests_kept_alive_are_served_and_the_next_half_request_is_closed(serve):
    gw = await serve(header_timeout_s=0.3)
    reader, writer = await gw.raw()
    for _ in range(3):  # three requests on one kept-alive connection
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
    writer.write(b"GET /heal")  # the first bytes of a fourth: its deadline starts
    assert await closed_by_server(reader) == b""  # no answer, closed
    assert gw.guard.timed_out == 1
    writer.close()


async def test_an_event_stream_outlives_the_header_deadline(serve, redis, tenant):
    """The deadline is for headers: a stream that got its answer lasts as long as it likes.
    Proven without waiting on a clock: a half-open connection opened after the stream is
    timed out first, and the stream still delivers an event afterwards. The login before runs
    under a long deadline (a password check on a busy machine can outlast a short one); the
    stream and the half-open connection share the short one."""
    gw = await serve(header_timeout_s=60)
    root = await gw.token("root")
    gw.guard.header_timeout_s = 0.5  # read at each request's first byte
    events = await gw.open_stream(root)
    assert events.status == 200
    reader, writer = await gw.raw()
    writer.write(b"GET /")
    assert await closed_by_server(reader) == b""
    assert gw.guard.timed_out == 1
    await event_stream.append(redis, tenant, "AGENT_PAUSED", T0, agent_id="anna", agent_state="paused", reason="x")
    async with asyncio.timeout(10):
        while not (line := await events.content.readline()).startswith(b"data: "):
            assert line, "the stream ended"
    assert json.loads(line[6:])["type"] == "agent_paused"
    events.close()
    writer.close()


async def test_one_connection_beyond_the_cap_is_answered_503_and_closed(serve):
    gw = await serve(connections=5, header_timeout_s=60)
    held = [await gw.raw() for _ in range(5)]
    await until(lambda: gw.guard.open == 5)
    reader, writer = await gw.raw()
    answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 503") and b"CALLCENTER_GATEWAY_MAX_CONNECTIONS" in answer
    assert b"Retry-After: 1" in answer and gw.guard.refused == 1
    writer.close()
    held[0][1].close()
    await until(lambda: gw.guard.open == 4)
    async with gw.session.get(f"{gw.url}/healthz") as reply:  # a place is free again
        assert reply.status == 200
    for _, w in held[1:]:
        w.close()


# A period of figures: at most 400 days ----------------------------------------------------------


def _range(start_ms: int, end_ms: int) -> pb.Period:
    period = pb.Period()
    period.range.start.FromMilliseconds(start_ms)
    period.range.end.FromMilliseconds(end_ms)
    return period


async def test_stats_refuses_a_period_beyond_400_days_naming_the_end_and_answers_400_days(stats_stub):
    limit = time_bounds.MAX_PERIOD_MS
    assert limit == 400 * DAY_MS
    for rpc, request in (
        ("GetAgentStats", pb.GetAgentStatsRequest(period=_range(T0, T0 + limit + 60_000), agent_ids=["anna"])),
        ("GetQueueStats", pb.GetQueueStatsRequest(period=_range(T0, T0 + limit + 60_000), queues=["sales"])),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await getattr(stats_stub, rpc)(request, timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details().startswith("period.range.end: a period spans at most 400 days")
    reply = await stats_stub.GetAgentStats(
        pb.GetAgentStatsRequest(period=_range(T0, T0 + limit), agent_ids=["anna"]), timeout=30
    )
    assert [a.agent_id for a in reply.agents] == ["anna"]
    # Within 400 days, many names still meet the per-request bucket bound (naming `period`).
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stats_stub.GetAgentStats(
            pb.GetAgentStatsRequest(period=_range(T0, T0 + 300 * DAY_MS), agent_ids=[f"a{i}" for i in range(20)]),
            timeout=10,
        )
    assert refused.value.details().startswith("period: ")


async def test_the_gateway_refuses_a_period_beyond_400_days_with_400_naming_to(serve):
    gw = await serve()
    token = await gw.token("root")
    auth = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/stats/agents", "/api/v1/stats/queues"):
        query = {"period": "range", "from": "2000-01-01", "to": "2099-12-30"}
        async with gw.session.get(f"{gw.url}{path}", params=query, headers=auth) as reply:
            assert reply.status == 400
            body = await reply.json()
            assert body["field"] == "to" and "at most 400 days" in body["error"], body
    # 400 days exactly (from and to are whole local days): passes the gateway's check.
    query = {"period": "range", "from": "2026-01-01", "to": "2027-02-04"}
    async with gw.session.get(f"{gw.url}/api/v1/stats/agents", params=query, headers=auth) as reply:
        body = await reply.json()
        assert body.get("field") != "to", body


async def test_figures_of_400_days_hold_one_batch_of_buckets_not_the_whole_period(stats):
    """400 days of hourly buckets are 9,600 reads per agent: summed batch by batch (100 here,
    5,000 in service), a request holds one batch and the answer, not a list of every bucket
    and reply of the period (which alone is megabytes per agent: 12.9 GB for a century)."""
    stats.figure_reader.batch = 100
    r = Range(T0, T0 + 400 * DAY_MS)
    tracemalloc.start()
    try:
        sums = await stats.figure_reader._sums("agent", ["anna"], r)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sums == [{}]
    assert peak < 1_000_000, f"peak {peak / 1e6:.2f} MB"


async def test_the_session_checks_of_streams_woken_together_are_one_lookup():
    """Streams woken by one read of the event stream each ask whether their session lives;
    they are answered by one lookup (one Redis pipeline), not three round trips each."""
    asked: list[list[str]] = []

    async def lookup_many(tokens: list[str]) -> dict[str, str]:
        asked.append(sorted(tokens))
        return {token: f"uid-{token}" for token in tokens if token != "gone"}

    check = Coalesced(lookup_many)
    tokens = [f"t{i}" for i in range(50)] + ["gone", "t0"]
    answers = await asyncio.gather(*(check(token) for token in tokens))
    assert answers == [f"uid-t{i}" for i in range(50)] + ["", "uid-t0"]
    assert asked == [sorted({*tokens})]  # one lookup, each token once
    assert await check("t1") == "uid-t1" and len(asked) == 2  # a later moment: a lookup of its own
