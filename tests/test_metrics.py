"""Each service's /metrics after a scripted call: the counters moved by the right amounts, the
gauges read what Redis holds, and the probes on the same port answer (docs/operations.md)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import re
import signal
import sys

import aiohttp
import grpc
import pytest
import redis as sync_redis
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from callcenter.api.common.v1 import states_pb2
from callcenter.api.events.v1 import events_pb2
from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core import consumer_lag, event_stream
from callcenter.core.config import CommonConfig
from callcenter.core.embedded_redis import socket_path_for
from callcenter.core.event_stream import duration_ms, stream_key
from callcenter.core.ops_server import OpsSettings
from callcenter.services.gateway.config import GatewayConfig, LoginLimits
from callcenter.services.gateway.server import GatewayServer
from callcenter.services.gateway.users import UserStore
from tests.gateway_fixtures import PASSWORD
from tests.helpers import next_event
from tests.metrics_scrape import free_tcp_port, moved, moved_in_total, scrape, value
from tests.pbx_session_client import ms, team
from tests.recorder_fixtures import metadata as recording_metadata
from tests.recorder_fixtures import tone, upload

# Only a safety net: every wait below ends on an event (an update read, a line printed).
SAFETY_S = 60.0

ROUTER = "callcenter.router.v1.RouterService"


@pytest.fixture
async def router_with_ops(start_replica):
    port = free_tcp_port()
    replica = await start_replica(ops=OpsSettings(port=port))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield replica, port, router_pb2_grpc.RouterServiceStub(channel)


async def test_a_call_moves_the_router_counters_by_one_each(router_with_ops, tenant):
    replica, port, stub = router_with_ops
    queue = f"sales-{tenant}"
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, wrap_up=duration_ms(0))))
    for agent in ("anna", "boris"):
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id=f"{agent}-{tenant}", endpoint=f"sip:{agent}@pbx", queues=[queue]))
        )
    await stub.LoginAgent(pb.LoginAgentRequest(agent_id=f"anna-{tenant}"))
    await stub.LoginAgent(pb.LoginAgentRequest(agent_id=f"boris-{tenant}"))
    await stub.PauseAgent(pb.PauseAgentRequest(agent_id=f"boris-{tenant}", reason="lunch"))
    before = await scrape(port)

    call = (await stub.RouteCall(pb.RouteCallRequest(call_id=f"c-{tenant}", caller="+4930111", queue=queue))).call
    during = await scrape(port)
    assert value(during, "callcenter_router_agents", queue=queue, state="reserved") == 1
    assert value(during, "callcenter_router_agents", queue=queue, state="paused") == 1
    assert value(during, "callcenter_router_agents", queue=queue, state="available") == 0
    outcome = pb.ReportOfferOutcomeRequest(
        call_id=call.call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
    )
    await stub.ReportOfferOutcome(outcome)
    await stub.HangupCall(pb.HangupCallRequest(call_id=call.call_id))
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.GetCall(pb.GetCallRequest(call_id="no-such-call"))
    after = await scrape(port)

    handled = "grpc_server_handled_total"
    assert moved(before, after, handled, grpc_service=ROUTER, grpc_method="RouteCall", grpc_code="OK") == 1
    assert moved(before, after, handled, grpc_service=ROUTER, grpc_method="HangupCall", grpc_code="OK") == 1
    assert moved(before, after, handled, grpc_service=ROUTER, grpc_method="GetCall", grpc_code="NOT_FOUND") == 1
    latency = "grpc_server_handling_seconds_count"
    assert moved(before, after, latency, grpc_service=ROUTER, grpc_method="RouteCall") == 1
    assert moved(before, after, "callcenter_router_offers_total") == 1
    assert moved(before, after, "callcenter_router_answers_total") == 1
    assert moved(before, after, "callcenter_router_events_total", type="CALL_COMPLETED") == 1
    assert value(after, "callcenter_router_agents", queue=queue, state="available") == 1  # no wrap-up
    assert value(after, "callcenter_router_calls_waiting", queue=queue) == 0


async def test_a_missed_offer_counts_its_reason_and_the_timer_its_lateness(router_with_ops, tenant):
    replica, port, stub = router_with_ops
    queue = f"ring-{tenant}"
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, ring_timeout=duration_ms(50))))
    await stub.UpsertAgent(
        pb.UpsertAgentRequest(agent=pb.Agent(id=f"carl-{tenant}", endpoint="sip:carl@pbx", queues=[queue]))
    )
    await stub.LoginAgent(pb.LoginAgentRequest(agent_id=f"carl-{tenant}"))
    before = await scrape(port)
    call = (await stub.RouteCall(pb.RouteCallRequest(call_id=f"r-{tenant}", caller="+4930222", queue=queue))).call
    async for update in stub.WatchCall(pb.WatchCallRequest(call_id=call.call_id), timeout=30):
        if update.call.offers >= 1 and update.call.state != states_pb2.CALL_STATE_RINGING:
            break  # the ring timeout fired (the agent is paused after a miss or the call waits)
    after = await scrape(port)
    assert moved(before, after, "callcenter_router_misses_total", reason="timeout") == 1
    assert moved(before, after, "callcenter_router_timer_lateness_seconds_count", kind="offer") >= 1
    assert value(after, "callcenter_router_calls_waiting", queue=queue) == 1


async def test_the_probes_answer_on_the_ops_port_and_readiness_ends_with_the_service(start_replica):
    port = free_tcp_port()
    replica = await start_replica(ops=OpsSettings(port=port))
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/readyz"):
            async with session.get(f"http://127.0.0.1:{port}{path}") as reply:
                assert reply.status == 200, path
        replica.grpc.serving = False  # what stop() sets first, while RPCs drain
        async with session.get(f"http://127.0.0.1:{port}/readyz") as reply:
            assert reply.status == 503


# Conversations (issue 21) ----------------------------------------------------------------------


async def _post(conv, conversation_id: str, queue: str) -> cpb.Conversation:
    request = cpb.PostCustomerMessageRequest(
        conversation_id=conversation_id,
        message_id=f"{conversation_id}-m1",
        text="hello",
        channel="webchat",
        queue=queue,
    )
    return (await conv.PostCustomerMessage(request)).conversation


async def _overdue(redis, tenant: str, conversation_id: str, after: str = "0-0") -> str:
    """Waits for the conversation's CONVERSATION_OVERDUE event (its deadline timer fired); its id."""
    entry_id, _ = await asyncio.wait_for(
        next_event(
            redis,
            tenant,
            lambda e: e.type == events_pb2.EVENT_TYPE_CONVERSATION_OVERDUE and e.conversation_id == conversation_id,
            after,
        ),
        SAFETY_S,
    )
    return entry_id


async def test_conversation_transitions_and_deadlines_move_the_router_metrics(router_with_ops, redis, tenant):
    replica, port, stub = router_with_ops
    queue = f"chat-{tenant}"
    await team(stub, queue=queue, agents=(f"anna-{tenant}",), chat_capacity=1, first_response=ms(100))
    before = await scrape(port)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        conv = conversations_pb2_grpc.ConversationServiceStub(channel)
        taken = await _post(conv, f"c1-{tenant}", queue)
        waiting = await _post(conv, f"c2-{tenant}", queue)  # anna holds one already: the line
        assert (taken.agent_id, waiting.agent_id) == (f"anna-{tenant}", "")
        during = await scrape(port)
        await _overdue(redis, tenant, taken.conversation_id)
        await _overdue(redis, tenant, waiting.conversation_id)
        await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id=taken.conversation_id))
    after = await scrape(port)

    assert value(during, "callcenter_router_conversations_waiting", queue=queue) == 1
    assert value(after, "callcenter_router_conversations_waiting", queue=queue) == 0  # anna took c2 at the close
    events = "callcenter_router_events_total"
    assert moved(before, after, events, type="CONVERSATION_CREATED") == 2
    assert moved(before, after, events, type="CONVERSATION_OVERDUE") == 2
    assert moved(before, after, events, type="CONVERSATION_CLOSED") == 1
    assert moved(before, after, events, type="CONVERSATION_ASSIGNED") == 2
    assert moved(before, after, "callcenter_router_timer_lateness_seconds_count", kind="conversation") == 2
    handled = {"grpc_service": "callcenter.router.v1.ConversationService", "grpc_code": "OK"}
    assert moved(before, after, "grpc_server_handled_total", grpc_method="PostCustomerMessage", **handled) == 2
    assert not [key for key in after if any(tenant in v and "chat-" not in v for _, v in key[1])], (
        "a conversation or agent id became a label"
    )


# Stats ---------------------------------------------------------------------------------------


async def _applied(watch, entry_id: str) -> None:
    """Waits until the stats service has applied the event `entry_id` (WatchBoard publishes
    each event once it is applied)."""
    async with asyncio.timeout(SAFETY_S):
        async for update in watch:
            if update.event.id == entry_id:
                return


async def _newest_id(redis, tenant: str) -> str:
    (newest,) = await redis.xrevrange(stream_key(tenant), count=1)
    return newest[0]


async def test_the_stats_counters_move_by_the_events_a_call_applied(start_replica, start_stats, redis, tenant):
    ops = free_tcp_port()
    service = await start_stats(ops=OpsSettings(port=ops))
    replica = await start_replica()
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as router_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as stats_channel,
    ):
        stub = router_pb2_grpc.RouterServiceStub(router_channel)
        watch = stats_pb2_grpc.StatsServiceStub(stats_channel).WatchBoard(spb.WatchBoardRequest())
        await watch.initial_metadata()  # sent once the watch is live
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales", wrap_up=duration_ms(0))))
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(agent=pb.Agent(id="anna", endpoint="sip:anna@pbx", queues=["sales"]))
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id="anna"))
        mark = await _newest_id(redis, tenant)
        await _applied(watch, mark)
        before = await scrape(ops)
        assert value(before, "callcenter_stats_board_watchers") == 1

        call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+4930111", queue="sales"))).call
        answered = pb.ReportOfferOutcomeRequest(
            call_id=call.call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
        )
        await stub.ReportOfferOutcome(answered)
        await stub.HangupCall(pb.HangupCallRequest(call_id=call.call_id))
        last = await _newest_id(redis, tenant)
        await _applied(watch, last)
        after = await scrape(ops)
        watch.cancel()

    written = await redis.xrange(stream_key(tenant), min="(" + mark, max=last)
    assert len(written) >= 4  # received, offered, answered, completed (and the agent's states)
    applied = "callcenter_stats_events_applied_total"
    assert moved_in_total(before, after, applied) == len(written)
    assert moved(before, after, applied, type="CALL_COMPLETED") == 1  # by type, as the router wrote them
    assert moved(before, after, "callcenter_stats_events_duplicate_total") == 0
    assert moved(before, after, "callcenter_stats_dead_letters_total") == 0
    assert value(after, "callcenter_event_stream_length") == await redis.xlen(stream_key(tenant))
    assert value(after, "callcenter_redis_up") == 1
    assert value(after, "callcenter_redis_pool_max_connections", pool="stats-consumer") == 2


async def test_pending_events_show_as_lag_by_the_redis_clock_and_dead_letters_are_counted(
    start_stats, make_consumer, redis, redis_url, tenant, script
):
    # A consumer of the group read two events of 30 s and 20 s ago (their ids are their times,
    # by the Redis clock) and died without acknowledging them.
    stuck = make_consumer("stuck")
    await stuck.ensure_group()
    now = await consumer_lag.redis_now_ms(redis)
    for ago_ms in (30_000, 20_000):
        fields = event_stream.entry("AGENT_PAUSED", now - ago_ms, agent_id="anna", agent_state="paused")
        await redis.xadd(stream_key(tenant), fields, id=f"{now - ago_ms}-0")
    assert len(await stuck.read_new()) == 2
    ops = free_tcp_port()
    service = await start_stats(ops=OpsSettings(port=ops), max_deliveries=1)
    raw = aioredis.Redis.from_url(redis_url)  # writes bytes as they are
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            watch = stats_pb2_grpc.StatsServiceStub(channel).WatchBoard(spb.WatchBoardRequest())
            await watch.initial_metadata()
            before = await scrape(ops)
            # Written as nothing of ours would: bytes that are not UTF-8, a time that is no number.
            await raw.xadd(stream_key(tenant), {b"type": b"AGENT_LOGGED_IN", b"agent_id": b"\xff", b"time": b"1"})
            await redis.xadd(stream_key(tenant), {"type": "CALL_RECEIVED", "time": "not a number", "call_id": "c2"})
            await script.login("boris", ["sales"])
            await _applied(watch, await _newest_id(redis, tenant))  # after the two before it
            after = await scrape(ops)
            watch.cancel()
    finally:
        await raw.aclose()

    assert moved(before, after, "callcenter_stats_dead_letters_total") == 2
    assert moved(before, after, "callcenter_stream_entries_skipped_total", reader="stats_consumer") == 1
    assert moved_in_total(before, after, "callcenter_stats_events_applied_total") == 1
    assert value(after, "callcenter_stats_dead_letters") == 2
    assert value(after, "callcenter_event_stream_length") == 5
    assert value(after, "callcenter_stats_consumer_pending") == 2  # the stuck consumer's
    lag = value(after, "callcenter_stats_consumer_lag_seconds")
    assert 30 <= lag < 30 + SAFETY_S, lag

    await stuck.ack([f"{now - 30_000}-0", f"{now - 20_000}-0"])
    caught_up = await scrape(ops)
    assert value(caught_up, "callcenter_stats_consumer_pending") == 0
    assert value(caught_up, "callcenter_stats_consumer_lag_seconds") == 0


async def test_the_stats_gauges_count_each_queues_open_and_overdue_conversations(
    start_replica, start_stats, redis, tenant
):
    ops = free_tcp_port()
    service = await start_stats(ops=OpsSettings(port=ops))
    replica = await start_replica()
    queue, other = f"chat-{tenant}", f"help-{tenant}"
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as router_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as stats_channel,
    ):
        stub = router_pb2_grpc.RouterServiceStub(router_channel)
        conv = conversations_pb2_grpc.ConversationServiceStub(router_channel)
        watch = stats_pb2_grpc.StatsServiceStub(stats_channel).WatchBoard(spb.WatchBoardRequest())
        await watch.initial_metadata()
        # chat: anna takes c1, c2 waits in the line and turns overdue; help: nobody, first
        # response far away.
        await team(stub, queue=queue, agents=(f"anna-{tenant}",), chat_capacity=1, first_response=ms(150))
        await team(stub, queue=other, agents=(), first_response=ms(3_600_000))
        mark = await _newest_id(redis, tenant)
        await _applied(watch, mark)
        before = await scrape(ops)
        await _post(conv, f"c1-{tenant}", queue)
        await _post(conv, f"c2-{tenant}", queue)
        await _post(conv, f"h1-{tenant}", other)
        late = await _overdue(redis, tenant, f"c2-{tenant}")
        await _overdue(redis, tenant, f"c1-{tenant}")
        await stub.LogoutAgent(pb.LogoutAgentRequest(agent_id=f"anna-{tenant}"))  # c1 back to the line
        await _applied(watch, await _newest_id(redis, tenant))
        overdue = await scrape(ops)
        closing = cpb.CloseConversationRequest(conversation_id=f"c2-{tenant}")
        await conv.CloseConversation(closing)
        await _applied(watch, await _newest_id(redis, tenant))
        after = await scrape(ops)
        watch.cancel()

    assert late
    opened = "callcenter_stats_conversations_open"
    assert {s: value(overdue, opened, queue=queue, state=s) for s in ("new", "taken", "unanswered", "answered")} == {
        "new": 2,
        "taken": 0,
        "unanswered": 0,
        "answered": 0,
    }
    assert value(overdue, "callcenter_stats_conversations_overdue", queue=queue) == 2
    assert value(overdue, opened, queue=other, state="new") == 1
    assert value(overdue, "callcenter_stats_conversations_overdue", queue=other) == 0
    assert value(after, opened, queue=queue, state="new") == 1  # c2 closed
    assert value(after, "callcenter_stats_conversations_overdue", queue=queue) == 1
    applied = "callcenter_stats_events_applied_total"
    assert moved(before, after, applied, type="CONVERSATION_CREATED") == 3
    assert moved(before, after, applied, type="CONVERSATION_OVERDUE") == 2
    assert moved(before, after, applied, type="CONVERSATION_CLOSED") == 1


def test_an_event_type_outside_the_contract_is_counted_as_other():
    from callcenter.services.stats import metrics as stats_metrics

    def sample(kind: str) -> float:
        return REGISTRY.get_sample_value("callcenter_stats_events_applied_total", {"type": kind}) or 0.0

    before = sample("other")
    stats_metrics.applied("SOMETHING_A_SCRI")
    stats_metrics.applied(None)
    assert sample("other") - before == 2
    assert REGISTRY.get_sample_value("callcenter_stats_events_applied_total", {"type": "SOMETHING_A_SCRI"}) is None


# Recorder ------------------------------------------------------------------------------------


async def test_an_upload_moves_the_recorder_counters_by_its_result_and_bytes(start_recorder):
    ops = free_tcp_port()
    service = await start_recorder(ops=OpsSettings(port=ops))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        before = await scrape(ops)
        recording = await upload(stub, tone(0.5), recording_metadata("c1"))
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await upload(stub, tone(0.5), recording_metadata("c1"))
        assert again.value.code() == grpc.StatusCode.ALREADY_EXISTS
        await stub.DeleteRecording(rpb.DeleteRecordingRequest(recording_id=recording.id))
        after = await scrape(ops)

    uploads = "callcenter_recorder_uploads_total"
    assert moved(before, after, uploads, result="stored") == 1
    assert moved(before, after, uploads, result="duplicate") == 1
    assert moved(before, after, uploads, result="failed") == 0
    assert moved(before, after, "callcenter_recorder_stored_bytes_total") == recording.size_bytes > 0
    assert moved(before, after, "callcenter_recorder_deleted_total", reason="request") == 1
    assert moved(before, after, "callcenter_recorder_deleted_total", reason="retention") == 0
    assert value(after, "callcenter_recorder_uploads_in_progress") == 0
    handled = "grpc_server_handled_total"
    service_name = "callcenter.recorder.v1.RecorderService"
    code = {"grpc_service": service_name, "grpc_method": "UploadRecording"}
    assert moved(before, after, handled, **code, grpc_code="OK") == 1
    assert moved(before, after, handled, **code, grpc_code="ALREADY_EXISTS") == 1


# Gateway -------------------------------------------------------------------------------------


@pytest.fixture
async def gateway_with_ops(redis, redis_url, tenant, start_replica):
    """The real gateway server (public port and ops port) in front of a fresh router replica."""
    replica = await start_replica()
    config = GatewayConfig(
        common=CommonConfig(redis_url=redis_url, tenant=tenant),
        port=0,
        router_addr=f"127.0.0.1:{replica.port}",
        login=LoginLimits(failures_per_user=1),
        ops=OpsSettings(port=free_tcp_port()),
    )
    server = GatewayServer(config, redis)
    await server.start()
    await UserStore(redis, tenant).create("root", PASSWORD, "admin")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
        agent = pb.Agent(id=f"anna-{tenant}", endpoint="sip:anna@pbx", queues=["sales"])
        await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
    try:
        yield server
    finally:
        if not server.stopping:  # (a test may have stopped it)
            await server.stop()


async def test_gateway_requests_are_counted_by_route_pattern_and_status(gateway_with_ops, tenant):
    server = gateway_with_ops
    ops, base = server.ops.port, f"http://127.0.0.1:{server.port}"
    before = await scrape(ops)
    async with aiohttp.ClientSession() as anonymous:
        wrong = {"username": "mallory", "password": "guess"}
        async with anonymous.post(f"{base}/api/v1/login", json=wrong) as reply:
            assert reply.status == 401
        async with anonymous.post(f"{base}/api/v1/login", json=wrong) as reply:
            assert reply.status == 429  # one failure per user in the window
        async with anonymous.get(f"{base}/metrics", allow_redirects=False) as reply:
            assert reply.status != 200 and "callcenter_" not in await reply.text()  # only on the ops port
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as root:
        async with root.post(f"{base}/api/v1/login", json={"username": "root", "password": PASSWORD}) as reply:
            assert reply.status == 200
        for agent, status in ((f"anna-{tenant}", 200), (f"nobody-{tenant}", 404)):
            async with root.get(f"{base}/api/v1/agents/{agent}") as reply:
                assert reply.status == status
        async with root.get(f"{base}/api/v1/no/such/{tenant}") as reply:
            assert reply.status == 404
    after = await scrape(ops)

    requests = "callcenter_gateway_requests_total"
    login = {"route": "/api/v1/login", "method": "POST"}
    assert moved(before, after, requests, **login, status="401") == 1
    assert moved(before, after, requests, **login, status="429") == 1
    assert moved(before, after, requests, **login, status="200") == 1
    agent = {"route": "/api/v1/agents/{agent_id}", "method": "GET"}
    assert moved(before, after, requests, **agent, status="200") == 1
    assert moved(before, after, requests, **agent, status="404") == 1
    assert moved(before, after, requests, route="other", method="GET", status="404") == 1
    assert moved(before, after, "callcenter_gateway_request_seconds_count", route="/api/v1/login") == 3
    failures = "callcenter_gateway_login_failures_total"
    assert moved(before, after, failures, reason="wrong_password") == 1
    assert moved(before, after, failures, reason="throttled") == 1
    assert moved(before, after, failures, reason="busy") == 0
    assert not [key for key in after if any(tenant in v for _, v in key[1])], "a raw path became a label"
    assert value(after, "callcenter_redis_up") == 1


async def test_the_sse_clients_gauge_counts_the_open_event_streams(gateway_with_ops):
    server = gateway_with_ops
    ops, base = server.ops.port, f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"http://127.0.0.1:{ops}/readyz") as reply:
            assert reply.status == 200  # Redis answers and the router serves
        async with session.post(f"{base}/api/v1/login", json={"username": "root", "password": PASSWORD}) as reply:
            assert reply.status == 200
        before = await scrape(ops)
        async with session.get(f"{base}/api/v1/events") as stream:  # returns once the headers came
            assert stream.status == 200
            during = await scrape(ops)
    assert moved(before, during, "callcenter_gateway_sse_clients") == 1
    await server.stop()  # ends every stream and waits for their handlers
    open_now = REGISTRY.get_sample_value("callcenter_gateway_sse_clients")
    assert open_now == value(before, "callcenter_gateway_sse_clients")


# callcenter up -------------------------------------------------------------------------------


READY_LINE = "Ctrl+C stops it."


def _port_of(text: str, what: str) -> int:
    """A port from `callcenter up`'s start-up lines ("router gRPC", "dashboard", …)."""
    return int(re.search(rf"{what}(?: on|:) (?:http://)?127\.0\.0\.1:(\d+)", text).group(1))


@pytest.fixture
async def up_with_ops(tmp_path):
    """`callcenter up` as a child process with CALLCENTER_OPS_PORT set, once it printed that it
    is up (read line by line as printed); yields the process, its start-up text and the ops
    port. Killed after the test, its embedded Redis too."""
    ops = free_tcp_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env |= {
        "CALLCENTER_DATA_DIR": str(data_dir),
        "CALLCENTER_GATEWAY_PORT": "0",
        "CALLCENTER_RECORDER_PORT": "0",
        "CALLCENTER_OPS_PORT": str(ops),
        "CALLCENTER_LOG_FORMAT": "json",
    }
    script = pathlib.Path(sys.executable).parent / "callcenter"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "callcenter.cli"]
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command, "up", "--router-port", "0", "--stats-port", "0",
            cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    try:
        printed = ""
        async with asyncio.timeout(SAFETY_S):
            while READY_LINE not in printed:
                line = (await process.stdout.readline()).decode()
                assert line, f"callcenter up exited before it was up: {stderr_path.read_text()[-2000:]}"
                printed += line
        yield process, printed, ops
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        unix_socket = socket_path_for(data_dir)
        if unix_socket.exists():  # a killed `up` leaves its redis-server (in a session of its own)
            with contextlib.suppress(sync_redis.RedisError):
                sync_redis.Redis(unix_socket_path=str(unix_socket), socket_timeout=2).shutdown(nosave=True)


async def test_up_serves_one_metrics_page_for_all_its_services(up_with_ops):
    up, printed, ops = up_with_ops
    assert _port_of(printed, "metrics and probes") == ops
    async with grpc.aio.insecure_channel(f"127.0.0.1:{_port_of(printed, 'router gRPC')}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        await router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"), timeout=SAFETY_S)
    async with aiohttp.ClientSession() as session:
        gateway = f"http://127.0.0.1:{_port_of(printed, 'dashboard')}"
        async with session.get(f"{gateway}/healthz") as reply:
            assert reply.status == 200
        async with session.get(f"http://127.0.0.1:{ops}/readyz") as reply:
            assert reply.status == 200
    samples = await scrape(ops)
    names = {name for name, _ in samples}
    login = {"grpc_service": ROUTER, "grpc_method": "LoginAgent", "grpc_code": "OK"}
    assert value(samples, "grpc_server_handled_total", **login) == 1
    assert value(samples, "callcenter_router_agents", queue="sales", state="available") >= 1
    assert value(samples, "callcenter_event_stream_length") >= 1  # the stats part's refresher
    assert {"callcenter_stats_consumer_lag_seconds", "callcenter_stats_dead_letters"} <= names
    assert ("callcenter_recorder_uploads_total", (("result", "stored"),)) in samples
    assert value(samples, "callcenter_gateway_requests_total", route="/healthz", method="GET", status="200") == 1
    assert value(samples, "callcenter_redis_up") == 1
    up.send_signal(signal.SIGTERM)
    async with asyncio.timeout(SAFETY_S):
        assert await up.wait() == 0
