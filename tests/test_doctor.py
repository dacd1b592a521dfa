"""`callcenter doctor` against real parts: the embedded Redis, router replicas and stats services
in this process, the command itself as a child process. A healthy system is all "ok" with exit
status 0; a dead letter (produced by a real stats consumer), an overdue timer and an expired PBX
lease (written by the router's own scripts at a time long past, while no replica fires timers),
a lost PBX session, a lagging consumer group and an unreachable Redis are each reported with
what to do, and exit status 1; bad options exit 2 naming the option."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import sys
import uuid

import pytest

from callcenter import cli
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.webhooks.v1 import webhooks_pb2
from callcenter.core import event_stream
from callcenter.core.clock import ManualClock
from callcenter.core.event_stream import stream_key
from callcenter.core.grpc_security import aio_channel
from callcenter.core.redis_connection import client_for
from callcenter.services.router.config import QueueDefaults
from callcenter.services.router.router import Router
from callcenter.services.router.store import RouterStore
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.webhooks.keys import WebhookKeys
from callcenter.tools import doctor
from tests.helpers import next_event, team
from tests.pbx_session_client import PbxClient
from tests.webhooks_fixtures import FAST, emit, eventually, subscribe

# Only a safety net: every wait below ends on an event (an entry read, a process exit).
SAFETY_S = 60.0


async def redis_now_ms(redis) -> int:
    secs, micros = await redis.time()
    return int(secs) * 1000 + int(micros) // 1000


def findings_of(report: doctor.Report, check: str) -> list[doctor.Finding]:
    return [f for f in report.findings if f.check == check]


async def run_doctor(redis_url: str, tenant: str, *args: str) -> tuple[int, str, str]:
    """`python -m callcenter.cli doctor` as a child process (awaited without blocking the loop
    that serves the replicas it checks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env |= {"CALLCENTER_REDIS_URL": redis_url, "CALLCENTER_TENANT": tenant, "CALLCENTER_LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callcenter.cli",
        "doctor",
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), SAFETY_S)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def a_router_of_the_past(redis, tenant: str, now_ms: int, seconds_ago: float) -> Router:
    """The router's own scripts, run at a time long past (a hand-set clock), with no replica
    firing timers: every deadline they set is overdue by Redis's clock."""
    store = RouterStore(redis, tenant, event_stream_maxlen=100_000, call_retention_s=3600)
    return Router(store, ManualClock(now_ms - round(seconds_ago * 1000)), QueueDefaults())


async def test_a_healthy_system_exits_0_with_only_ok_lines(redis, redis_url, tenant, start_replica, start_stats):
    replica = await start_replica()
    stats = await start_stats()
    async with aio_channel(f"127.0.0.1:{replica.port}") as channel:
        async with PbxClient(router_pb2_grpc.RouterServiceStub(channel), "pbx-1", lease_ms=30_000):
            status, out, err = await run_doctor(
                redis_url, tenant, "--router", f"127.0.0.1:{replica.port}", "--stats", f"127.0.0.1:{stats.port}"
            )
    assert status == 0, out + err
    lines = out.splitlines()
    findings = [line for line in lines[1:-1] if not line.startswith(" ")]
    assert findings and all(line.startswith("ok ") for line in findings), out
    checks = {re.match(r"ok +([a-z ]+):", line).group(1) for line in findings}
    assert checks == {"redis", "persistence", "memory", "event stream", "consumer group", "lag", "dead letters"} | {
        "webhook dead letters",
        "webhook queue",
        "timers",
        "pbx sessions",
        "router service",
        "stats service",
    }
    assert "append-only file on (appendfsync everysec)" in out
    assert "PBX pbx-1: open" in out
    assert f"router service: 127.0.0.1:{replica.port}: SERVING" in out
    assert f"stats service: 127.0.0.1:{stats.port}: SERVING" in out
    assert lines[-1].startswith("healthy, 0 warnings")


async def test_dead_letters_are_reported_with_their_reasons(redis, redis_url, tenant, start_stats):
    await start_stats(max_deliveries=1)
    dead_key = StatsKeys(tenant).dead_letters
    # Written as nothing of ours would: bytes that are not UTF-8, and a time that is no number.
    unreadable = await redis.xadd(stream_key(tenant), {"type": b"CALL_\xff\xfe", "time": "1", "call_id": "c1"})
    malformed = await redis.xadd(stream_key(tenant), {"type": "CALL_RECEIVED", "time": "not a number", "call_id": "c2"})
    tolerant = client_for(redis_url, tolerant=True)  # a dead letter keeps the bytes as they were
    try:
        seen: list[str] = []
        after = "0-0"
        while len(seen) < 2:  # the stats service dead-letters both as it consumes them
            reply = await asyncio.wait_for(tolerant.xread({dead_key: after}, block=1000), SAFETY_S)
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    after = entry_id
                    seen.append(fields["event_id"])
    finally:
        await tolerant.aclose()
    assert sorted(seen) == sorted([unreadable, malformed])

    status, out, err = await run_doctor(redis_url, tenant, "--json")
    assert status == 1, out + err
    report = json.loads(out)
    assert report["healthy"] is False
    (dead,) = [f for f in report["findings"] if f["check"] == "dead letters"]
    assert dead["level"] == "problem" and "2 events" in dead["what"] and dead_key in dead["todo"]
    by_event = {line.split()[1]: line for line in dead["details"]}
    assert by_event[unreadable].endswith(": not UTF-8")
    assert r"CALL_\udcff\udcfe" in by_event[unreadable]  # shown escaped, never as raw bytes
    assert "CALL_RECEIVED" in by_event[malformed] and "not UTF-8" not in by_event[malformed]
    assert [f["check"] for f in report["findings"] if f["level"] == "problem"] == ["dead letters"], out


async def test_an_overdue_timer_is_reported_while_no_router_fires_it(redis, redis_url, tenant):
    router = a_router_of_the_past(redis, tenant, await redis_now_ms(redis), seconds_ago=120)
    await team(router, "support", ["anna"], ring_timeout_ms=5000)
    await router.route_call("call-1", "+491701", queue="support")

    report = await doctor.examine(redis_url, tenant)
    assert report.exit_status == 1
    (timers,) = findings_of(report, "timers")
    assert timers.level == doctor.PROBLEM
    assert "overdue by more than 5 s" in timers.what and "offer" in timers.what
    assert any(d.startswith("offer|call-1#1: due 1 min 5") for d in timers.details), timers.details
    assert "callcenter router" in timers.todo
    text = doctor.render_text(report)
    assert "PROBLEM  timers:" in text and "what to do: no router replica fires timers" in text

    # The threshold is the operator's: two minutes late is acceptable under a longer one.
    relaxed = await doctor.examine(redis_url, tenant, thresholds=doctor.Thresholds(timer_overdue_s=3600))
    assert findings_of(relaxed, "timers")[0].level == doctor.OK


async def test_an_expired_pbx_lease_nobody_ended_is_reported(redis, redis_url, tenant):
    router = a_router_of_the_past(redis, tenant, await redis_now_ms(redis), seconds_ago=60)
    await router.open_pbx_session("pbx-1", 2000, "router", 0, False)

    report = await doctor.examine(redis_url, tenant)
    (pbx,) = findings_of(report, "pbx sessions")
    assert pbx.level == doctor.PROBLEM
    assert "PBX pbx-1: its lease lapsed 58 s ago but the session is still open" in pbx.what
    assert any("pbx|pbx-1" in d for d in findings_of(report, "timers")[0].details)
    assert report.exit_status == 1


async def test_a_lost_pbx_session_with_none_open_is_a_problem(redis, redis_url, tenant, start_replica):
    replica = await start_replica()
    async with aio_channel(f"127.0.0.1:{replica.port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        async with PbxClient(stub, "pbx-gone", lease_ms=1000, heartbeat_s=3600):  # never renews
            lost = next_event(redis, tenant, lambda e: e.type == events_pb2.EVENT_TYPE_PBX_SESSION_LOST)
            await asyncio.wait_for(lost, SAFETY_S)
    report = await doctor.examine(redis_url, tenant)
    (pbx,) = findings_of(report, "pbx sessions")
    assert pbx.level == doctor.PROBLEM
    assert "PBX pbx-gone: session lost" in pbx.what and "no PBX has an open session" in pbx.what
    assert "cannot reach a router" in pbx.todo
    assert findings_of(report, "timers")[0].level == doctor.OK  # the replica ended it on time


async def test_a_lagging_consumer_group_is_reported_with_its_oldest_pending_event(
    redis, redis_url, tenant, make_consumer
):
    consumer = make_consumer("stats-1")
    await consumer.ensure_group()
    now = await redis_now_ms(redis)
    # Events of 30 s and 20 s ago (their ids are their times): a consumer read them and never
    # acknowledged them (it died mid-batch); nobody read the one after.
    for ago_ms in (30_000, 20_000):
        fields = event_stream.entry("AGENT_PAUSED", now - ago_ms, agent_id="anna", agent_state="paused")
        await redis.xadd(stream_key(tenant), fields, id=f"{now - ago_ms}-0")
    assert len(await consumer.read_new()) == 2
    fields = event_stream.entry("AGENT_RESUMED", now - 20_000, agent_id="anna", agent_state="available")
    await redis.xadd(stream_key(tenant), fields, id=f"{now - 20_000}-1")

    report = await doctor.examine(redis_url, tenant)
    (lag,) = findings_of(report, "lag")
    assert lag.level == doctor.PROBLEM
    assert lag.what.startswith("group 'stats' is 30 s behind the event stream (2 pending, 1 not yet delivered)")
    (oldest,) = lag.details
    assert oldest.startswith(f"oldest pending {now - 30_000}-0: consumer stats-1, delivered 1×, idle ")
    assert report.exit_status == 1

    # Caught up, the same group is fine.
    await consumer.ack([entry_id for entry_id, _ in await consumer.read_new()])
    await consumer.ack([f"{now - 30_000}-0", f"{now - 20_000}-0"])
    caught_up = await doctor.examine(redis_url, tenant)
    assert findings_of(caught_up, "lag")[0].level == doctor.OK


async def test_an_unreachable_redis_is_the_one_problem_reported(tmp_path, tenant):
    report = await doctor.examine(f"unix://{tmp_path / 'nothing.sock'}", tenant, timeout_s=2)
    assert [(f.level, f.check) for f in report.findings] == [(doctor.PROBLEM, "redis")]
    assert "unreachable" in report.findings[0].what and "CALLCENTER_REDIS_URL" in report.findings[0].todo
    assert report.exit_status == 1


async def test_a_redis_that_refuses_config_gives_persistence_unknown_not_a_failure(redis, redis_server, tenant):
    user, password = f"doctor-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    await redis.acl_setuser(user, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all", "-config"])
    try:
        url = f"unix://{redis_server.socket_path}?username={user}&password={password}"
        report = await doctor.examine(url, tenant)
    finally:
        await redis.acl_deluser(user)
    (persistence,) = findings_of(report, "persistence")
    assert persistence.level == doctor.OK
    assert persistence.what == "append-only file on (appendfsync unknown: CONFIG refused)"
    assert password not in report.redis and "password=***" in report.redis


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--lag-s", "soon"], "--lag-s"),
        (["--timer-overdue-s", "-5"], "--timer-overdue-s"),
        (["--timeout-s", "0"], "--timeout-s"),
        (["--dead-letters", "many"], "--dead-letters"),
        (["--router", ""], "--router"),
        (["--no-such-option"], "--no-such-option"),
    ],
)
def test_bad_options_exit_2_naming_the_option(capsys, args, named):
    with pytest.raises(SystemExit) as exited:
        cli.main(["doctor", *args])
    assert exited.value.code == 2
    assert named in capsys.readouterr().err


def test_a_bad_setting_exits_2_naming_the_variable(capsys, monkeypatch):
    monkeypatch.setenv("CALLCENTER_TENANT", "not a tenant")
    assert cli.main(["doctor"]) == 2
    assert "CALLCENTER_TENANT" in capsys.readouterr().err


async def test_webhook_dead_letters_are_reported_with_the_receivers_answer(
    redis, tenant, start_webhooks, stub_for, receiver
):
    receiver.answer = lambda seen, path, payload: 503
    service = await start_webhooks(delivery=dataclasses.replace(FAST, max_attempts=1))
    stub = stub_for(service)
    sub = await subscribe(stub, receiver)
    event_id = await emit(redis, tenant, "lead_created", lead_id="L1")

    async def dead_lettered():
        reply = await stub.ListDeadLetters(webhooks_pb2.ListDeadLettersRequest(subscription_id=sub.id), timeout=5)
        return reply.dead_letters or None

    await eventually(dead_lettered)
    (finding,) = findings_of_list(await doctor.diagnose(redis, tenant), "webhook dead letters")
    assert finding.level == "problem" and "1 delivery" in finding.what, finding
    assert "ReplayDeadLetters" in finding.todo
    (line,) = finding.details
    assert sub.id in line and event_id in line and "HTTP 503" in line


async def test_webhook_deliveries_nobody_sends_are_an_overdue_queue(redis, tenant):
    now = await redis_now_ms(redis)
    keys = WebhookKeys(tenant)
    await redis.zadd(keys.due, {"s1.1-0": now - 120_000, "s1.2-0": now + 5_000})
    (finding,) = findings_of_list(await doctor.diagnose(redis, tenant), "webhook queue")
    assert finding.level == "warning" and "1 of 2 deliveries overdue" in finding.what, finding
    assert "callcenter webhooks" in finding.todo
    await redis.zrem(keys.due, "s1.1-0")
    (finding,) = findings_of_list(await doctor.diagnose(redis, tenant), "webhook queue")
    assert finding.level == "ok"


def findings_of_list(findings: list[doctor.Finding], check: str) -> list[doctor.Finding]:
    return [f for f in findings if f.check == check]


async def test_a_silent_automation_group_names_the_gateway_as_its_reader(redis, tenant):
    await emit(redis, tenant, "lead_created", lead_id="L1")
    await redis.xgroup_create(stream_key(tenant), "automation", id="$")
    findings = [
        f for f in findings_of_list(await doctor.diagnose(redis, tenant), "consumer group") if "automation" in f.what
    ]
    (finding,) = findings
    assert finding.level == "warning" and "callcenter gateway" in finding.todo, finding
