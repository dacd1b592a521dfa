"""The gateway's findings of issue 15, each reproduced on a real gateway (real router, stats,
recorder, Redis and HTTP) and shown closed: supervisors change only their teams' leads, logins
are throttled per user and per address (shared by replicas) with scrypt off the event loop,
login takes JSON only, every response (streamed ones too) carries the security headers and no
API reply is cached, and an agent sees only their own legs of a call."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import pathlib
import re
import signal
import sys
import threading

import aiohttp
import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.config import CommonConfig
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.config import GatewayConfig, LoginLimits
from callcenter.services.gateway.users import UserStore
from tests.gateway_fixtures import PASSWORD, Gateway, csrf
from tests.gateway_scenes import calls_in_sales_and_support, setup_team, stored

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


@pytest.fixture
async def start_gateway(redis, redis_url, tenant, start_replica):
    """Gateways with settings of the test's choosing (`login=LoginLimits(...)`, any
    GatewayConfig field), in front of one router replica, sharing the test's Redis and
    tenant as replicas of one deployment do."""
    router = await start_replica()
    started: list[Gateway] = []

    async def start(**overrides) -> Gateway:
        config = GatewayConfig(
            common=CommonConfig(redis_url=redis_url, tenant=tenant), port=0, router_addr=f"127.0.0.1:{router.port}"
        )
        config = dataclasses.replace(config, **overrides)
        backends = Backends(config.router_addr, config.stats_addr, config.recorder_addr, config.rpc_timeout_s)
        client = TestClient(TestServer(create_app(config, redis, backends)))
        await client.start_server()
        gw = Gateway(client=client, app=client.app, users=UserStore(redis, tenant))
        gw.router_port = router.port
        started.append(gw)
        return gw

    yield start
    for gw in started:
        for c in gw._clients:
            await c.close()
        await gw.client.close()


async def login(client: TestClient, username: str, password: str = PASSWORD, **headers: str):
    return await client.post("/api/v1/login", json={"username": username, "password": password}, headers=headers)


# Leads of other teams ---------------------------------------------------------------------------


async def test_a_supervisor_can_neither_change_nor_reassign_nor_recreate_another_teams_lead(
    backend_addrs, quiet_stats, gateway
):
    await setup_team(gateway)  # sam supervises sales (anna, boris); csilla serves support
    async with grpc.aio.insecure_channel(backend_addrs["stats_addr"]) as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        await stub.CreateLead(spb.CreateLeadRequest(lead_id="L-support", agent_id="csilla", stage="in_work"))
        await stub.CreateLead(spb.CreateLeadRequest(lead_id="L-sales", agent_id="anna", stage="lead"))
    await quiet_stats.consumer.drain()
    sam = await gateway.login("sam")
    h = csrf(sam)

    # Before the fix each of these answered 200/201: only the target agent (anna, his) was checked.
    reply = await sam.post("/api/v1/leads/L-support/stage", json={"stage": "refused", "agent_id": "anna"}, headers=h)
    assert reply.status == 404, await reply.text()  # as to read it: not his to know of
    reply = await sam.post("/api/v1/leads/L-support/stage", json={"stage": "refused"}, headers=h)
    assert reply.status == 404
    reply = await sam.post("/api/v1/leads/L-support/assign", json={"agent_id": "anna"}, headers=h)
    assert reply.status == 404
    reply = await sam.post("/api/v1/leads", json={"lead_id": "L-support", "agent_id": "anna"}, headers=h)
    assert reply.status == 409
    body = await reply.json()
    assert body["field"] == "lead_id" and "already exists" in body["error"] and "overwrite" in body["error"]
    await quiet_stats.consumer.drain()
    root = await gateway.login("root")
    lead = (await (await root.get("/api/v1/leads/L-support")).json())["lead"]
    assert (lead["agent_id"], lead["stage"]) == ("csilla", "in_work")  # untouched

    # His own team's lead he still changes and reassigns; a new id he creates; an existing one
    # of his team is not re-created either (that would reset its creation day).
    assert (await sam.post("/api/v1/leads/L-sales/stage", json={"stage": "in_work"}, headers=h)).status == 200
    assert (await sam.post("/api/v1/leads/L-sales/assign", json={"agent_id": "boris"}, headers=h)).status == 200
    reply = await sam.post("/api/v1/leads", json={"lead_id": "L-sales", "agent_id": "anna"}, headers=h)
    assert reply.status == 409
    assert (await sam.post("/api/v1/leads", json={"lead_id": "L-new", "agent_id": "anna"}, headers=h)).status == 201
    await quiet_stats.consumer.drain()
    lead = (await (await sam.get("/api/v1/leads/L-sales")).json())["lead"]
    assert (lead["agent_id"], lead["stage"]) == ("boris", "in_work")
    # Once it is his team's no more, it is out of his reach.
    assert (
        await root.post("/api/v1/leads/L-sales/assign", json={"agent_id": "csilla"}, headers=csrf(root))
    ).status == 200
    await quiet_stats.consumer.drain()
    assert (await sam.post("/api/v1/leads/L-sales/stage", json={"stage": "payment"}, headers=h)).status == 404
    # Naming another team's agent stays a 400 naming the field; the admin may do all of it.
    reply = await sam.post("/api/v1/leads/L-new/assign", json={"agent_id": "csilla"}, headers=h)
    assert (reply.status, (await reply.json())["field"]) == (400, "agent_id")
    assert (
        await root.post("/api/v1/leads/L-support/stage", json={"stage": "payment"}, headers=csrf(root))
    ).status == 200


# Login throttling ------------------------------------------------------------------------------


async def test_failed_logins_of_one_user_are_refused_with_429_and_retry_after_before_the_password_is_checked(
    start_gateway,
):
    gw = await start_gateway(login=LoginLimits(failures_per_user=3, window_s=600))
    await setup_team(gw)
    for _ in range(3):
        assert (await login(gw.client, "root", "wrong password")).status == 401
    # The fourth attempt is refused unchecked, the right password too: a guess is worth nothing.
    for password in ("wrong password", PASSWORD):
        reply = await login(gw.client, "ROOT", password)  # usernames are case-insensitive
        assert reply.status == 429, await reply.text()
        assert 590 <= int(reply.headers["Retry-After"]) <= 600
        assert "too many failed logins of this user" in (await reply.json())["error"]
    assert (await login(gw.client, "sam")).status == 200  # other users are not locked out
    # A success takes the failures back: two wrong ones, a right one, and three wrong ones again.
    for _ in range(2):
        assert (await login(gw.client, "sam", "wrong password")).status == 401
    assert (await login(gw.client, "sam")).status == 200
    assert [(await login(gw.client, "sam", "wrong password")).status for _ in range(4)] == [401, 401, 401, 429]


async def test_a_stolen_session_cannot_guess_the_old_password_faster_than_a_login_could(start_gateway):
    gw = await start_gateway(login=LoginLimits(failures_per_user=3, window_s=600))
    await setup_team(gw)
    sam = await gw.login("sam")

    async def change(old: str):
        return await sam.post(
            "/api/v1/users/sam/password",
            json={"password": "a new long password", "old_password": old},
            headers=csrf(sam),
        )

    assert [(await change("guess")).status for _ in range(3)] == [403, 403, 403]
    refused = await change(PASSWORD)  # the right one too, once the user is locked
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert (await login(gw.client, "sam")).status == 429  # the same count as logins


async def test_failed_logins_from_one_address_are_refused_whatever_the_username_and_replicas_share_the_count(
    start_gateway,
):
    limits = LoginLimits(failures_per_user=100, failures_per_address=4, trusted_proxies="127.0.0.1/32")
    first, second = await start_gateway(login=limits), await start_gateway(login=limits)
    await setup_team(first)
    attacker = {"X-Forwarded-For": "198.51.100.7"}  # the Ingress (127.0.0.1, trusted) says who
    for n in range(2):
        assert (await login(first.client, f"guess{n}", "x" * 8, **attacker)).status == 401
    for n in range(2, 4):
        assert (await login(second.client, f"guess{n}", "x" * 8, **attacker)).status == 401
    for gw in (first, second):  # the count is in Redis: both replicas refuse
        reply = await login(gw.client, "root", **attacker)
        assert reply.status == 429 and "from this address" in (await reply.json())["error"]
        assert int(reply.headers["Retry-After"]) > 0
    # Another client behind the same proxy is not affected; a forged hop in front of the
    # proxy's own entry changes nothing (the rightmost untrusted hop counts).
    assert (await login(first.client, "root", **{"X-Forwarded-For": "198.51.100.8"})).status == 200
    forged = {"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}
    assert (await login(first.client, "root", **forged)).status == 429
    # IPv6 clients count by their /64: a new address in the same prefix is the same client.
    for n in range(4):
        reply = await login(first.client, "nobody", "x" * 8, **{"X-Forwarded-For": f"2001:db8:1:2::{n + 1}"})
        assert reply.status == 401
    assert (await login(first.client, "root", **{"X-Forwarded-For": "2001:db8:1:2:ffff::9"})).status == 429
    assert (await login(first.client, "root", **{"X-Forwarded-For": "2001:db8:1:3::1"})).status == 200


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(start_gateway):
    gw = await start_gateway(login=LoginLimits(failures_per_user=100, failures_per_address=2))
    await setup_team(gw)
    for n in range(2):
        reply = await login(gw.client, "root", "wrong password", **{"X-Forwarded-For": f"203.0.113.{n}"})
        assert reply.status == 401
    reply = await login(gw.client, "root", **{"X-Forwarded-For": "203.0.113.99"})
    assert reply.status == 429  # the peer (127.0.0.1) is the client: a header cannot reset the count


async def test_password_checks_run_off_the_event_loop_a_few_at_once_and_a_flood_beyond_gets_503(start_gateway):
    gw = await start_gateway(login=LoginLimits(password_workers=1, password_queue=2, failures_per_user=1000))
    await setup_team(gw)
    replies = await asyncio.gather(*(login(gw.client, "root", "wrong password") for _ in range(12)))
    statuses = sorted(r.status for r in replies)
    assert set(statuses) == {401, 503}, statuses
    assert statuses.count(401) >= 3  # one running and two waiting were checked
    busy = next(r for r in replies if r.status == 503)
    assert busy.headers["Retry-After"] == "1" and "try again" in (await busy.json())["error"]
    # scrypt ran in the gateway's one password thread, not on the event loop.
    assert "passwords_0" in {t.name for t in threading.enumerate()}
    assert (await login(gw.client, "root")).status == 200  # and logins work once it is over


# Login CSRF: JSON only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps({"username": "root", "password": PASSWORD})),
        ("application/x-www-form-urlencoded", f"username=root&password={PASSWORD}"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nroot\r\n--x--',
        ),
        ("", json.dumps({"username": "root", "password": PASSWORD})),
    ],
)
async def test_login_takes_a_json_body_only_so_a_cross_site_form_cannot_log_anyone_in(gateway, content_type, body):
    await setup_team(gateway)
    headers = {"Content-Type": content_type} if content_type else {}
    data = body.encode()
    if not content_type:
        headers["Content-Type"] = ""  # aiohttp would add application/octet-stream: none at all
    reply = await gateway.client.post("/api/v1/login", data=data, headers=headers)
    assert reply.status == 415, await reply.text()
    error = await reply.json()
    assert error["field"] == "Content-Type" and "application/json" in error["error"]
    assert "Set-Cookie" not in reply.headers


async def test_every_json_route_refuses_a_body_that_is_not_json_with_415(gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    for path in ("/api/v1/agents/anna/pause", "/api/v1/users", "/api/v1/logout"):
        reply = await root.post(path, data=b'{"reason": "x"}', headers={**csrf(root), "Content-Type": "text/plain"})
        assert reply.status == 415, (path, await reply.text())
    reply = await root.post("/api/v1/agents/anna/pause", json={"reason": "lunch"}, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    reply = await root.post(
        "/api/v1/agents/anna/resume", headers={**csrf(root), "Content-Type": "application/json; charset=utf-8"}
    )
    assert reply.status == 200, await reply.text()  # no body: nothing to refuse


# Headers --------------------------------------------------------------------------------------


def assert_security_headers(reply, what: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value, (what, name, dict(reply.headers))
    assert "frame-ancestors 'none'" in reply.headers.get("Content-Security-Policy", ""), what
    server = reply.headers.get("Server", "")
    assert "aiohttp" not in server and "Python" not in server, (what, server)


async def test_streamed_audio_and_event_streams_carry_the_security_headers_and_api_replies_are_never_cached(
    backend_addrs, gateway
):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    recording = await stored(gateway, "anna", "c1")
    sam = await gateway.login("sam")
    audio = await sam.get(f"/api/v1/recordings/{recording.id}/audio")
    assert audio.status == 200 and (await audio.read())[:4] == b"RIFF"
    assert_security_headers(audio, "audio")
    assert audio.headers["Cache-Control"] == "no-store"  # was "private, max-age=3600": playable after logout
    part = await sam.get(f"/api/v1/recordings/{recording.id}/audio", headers={"Range": "bytes=0-9"})
    assert part.status == 206 and part.headers["Cache-Control"] == "no-store"
    assert_security_headers(part, "audio range")
    async with sam.get("/api/v1/events") as events:
        assert events.status == 200 and (await events.content.readline()).startswith(b"retry:")
        assert_security_headers(events, "event stream")
        assert events.headers["Cache-Control"] == "no-store"
    for path in ("/api/v1/me", "/api/v1/agents", f"/api/v1/recordings/{recording.id}", "/api/v1/nothing-here"):
        reply = await sam.get(path)
        assert reply.headers["Cache-Control"] == "no-store", path
        assert_security_headers(reply, path)
    for path in ("/login", "/static/style.css", "/healthz"):
        assert_security_headers(await gateway.client.get(path), path)
    reply = await login(gateway.client, "sam", "wrong password")
    assert reply.status == 401 and reply.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in reply.headers  # plain HTTP: no HSTS


async def test_hsts_is_sent_when_secure_cookies_are_on(start_gateway):
    gw = await start_gateway(secure_cookies=True)
    await setup_team(gw)
    for reply in (await gw.client.get("/healthz"), await gw.client.get("/login"), await login(gw.client, "root")):
        assert reply.headers["Strict-Transport-Security"].startswith("max-age=31536000"), reply.url
        assert_security_headers(reply, str(reply.url))
    assert "Secure" in (await login(gw.client, "root")).headers["Set-Cookie"]


# An agent sees only their own legs -------------------------------------------------------------


async def test_an_agent_offered_a_call_another_agent_took_sees_only_their_own_offer(
    backend_addrs, quiet_stats, gateway
):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)  # c1: anna did not answer, boris did and talked
    recording = await stored(gateway, "boris", "c1")
    await gateway.users.create("boris", PASSWORD, "agent", agent_id="boris")
    await quiet_stats.consumer.drain()
    anna, boris, sam = await gateway.login("anna"), await gateway.login("boris"), await gateway.login("sam")

    whole = (await (await sam.get("/api/v1/calls/c1")).json())["call"]
    assert whole["agent_id"] == "boris" and whole["recording_ids"] == [recording.id]
    assert [o["agent_id"] for o in whole["offers"]] == ["anna", "boris"]

    reply = await (await anna.get("/api/v1/calls/c1")).json()
    call, record = reply["call"], reply["record"]
    assert [o["agent_id"] for o in call["offers"]] == ["anna"]
    assert call["ring_ms"] == call["offers"][0]["ring_ms"]
    assert (call["agent_id"], call["recording_id"], call["recording_ids"]) == ("", "", [])
    assert (call["talk_ms"], call["wrap_up_ms"], call["answered_ms"], call["ended_ms"]) == (0, 0, None, None)
    assert (call["call_id"], call["caller"], call["queue"], call["outcome"]) == ("c1", "+491", "sales", "answered")
    raw = json.dumps(record)
    assert "boris" not in raw and recording.id not in raw and "talk_time" not in record
    listed = (await (await anna.get("/api/v1/calls")).json())["calls"]
    assert "boris" not in json.dumps(listed) and recording.id not in json.dumps(listed)
    assert {c["call_id"] for c in listed} == {"c1", "c3"}
    # A talk-time filter would tell her boris's talk time: it finds only calls she took.
    assert (await (await anna.get("/api/v1/calls?min_talk_s=0")).json())["calls"] == []
    assert (await (await anna.get("/api/v1/calls?call_id=c1")).json())["calls"][0]["agent_id"] == ""

    # Boris took it: his leg whole, with his recording, but not anna's offer.
    his = (await (await boris.get("/api/v1/calls/c1")).json())["call"]
    assert his["agent_id"] == "boris" and his["recording_ids"] == [recording.id]
    assert [o["agent_id"] for o in his["offers"]] == ["boris"]
    assert [c["call_id"] for c in (await (await boris.get("/api/v1/calls?min_talk_s=0")).json())["calls"]] == ["c1"]


# A login flood inside `callcenter up` ---------------------------------------------------------


@pytest.fixture
async def callcenter_up(tmp_path):
    """`callcenter up` as a child process (the whole stack, gateway and router on one event
    loop), every port picked free: yields (router port, gateway URL) once it printed that it
    serves; stopped with SIGTERM (its embedded Redis with it) after the test."""
    script = pathlib.Path(sys.executable).parent / "callcenter"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "callcenter.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env.update(CALLCENTER_DATA_DIR=str(tmp_path / "data"), CALLCENTER_LOG_LEVEL="warning")
    for service in ("ROUTER", "STATS", "RECORDER", "GATEWAY"):
        env[f"CALLCENTER_{service}_PORT"] = "0"
    up = await asyncio.create_subprocess_exec(
        *command, "up", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    printed = ""
    try:
        async with asyncio.timeout(90):  # a safety net: the wait ends on the line printed
            while "Ctrl+C stops it." not in printed:
                line = await up.stdout.readline()
                assert line, f"callcenter up exited: {printed}"
                printed += line.decode()
        router = int(re.search(r"router gRPC on 127\.0\.0\.1:(\d+)", printed).group(1))
        gateway = re.search(r"dashboard: (http://127\.0\.0\.1:\d+)", printed).group(1)
        yield router, gateway
    finally:
        if up.returncode is None:
            up.send_signal(signal.SIGTERM)
        async with asyncio.timeout(90):
            await up.communicate()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def flood(gateway: str, attempts: int, in_flight: int) -> None:
    """Failed logins of distinct usernames, `in_flight` at a time; prints "flooding" as it
    starts and the statuses (JSON) at the end. Run in a child process: the flood's client
    work must not slow the probe that times the router."""
    gate = asyncio.Semaphore(in_flight)
    async with aiohttp.ClientSession() as http:

        async def attempt(n: int) -> tuple[int, str]:
            async with gate:
                body = {"username": f"flood{n}", "password": "not the password"}
                async with http.post(f"{gateway}/api/v1/login", json=body) as reply:
                    await reply.read()
                    return reply.status, reply.headers.get("Retry-After", "")

        print("flooding", flush=True)
        print(json.dumps(await asyncio.gather(*(attempt(n) for n in range(attempts)))), flush=True)


@pytest.mark.timeout(180)
async def test_a_login_flood_is_throttled_and_the_router_in_the_same_process_keeps_answering(callcenter_up):
    router_port, gateway = callcenter_up
    attempts, in_flight = 300, 8  # the finding's 8 concurrent logins, 300 of them
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        loop = asyncio.get_running_loop()

        async def get_agent_ms() -> float:
            started = loop.time()
            await stub.GetAgent(pb.GetAgentRequest(agent_id="anna"), timeout=30)  # must answer
            await asyncio.sleep(0.002)
            return (loop.time() - started) * 1000 - 2

        await get_agent_ms()  # connected
        idle = [await get_agent_ms() for _ in range(300)]
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import asyncio, sys, tests.test_gateway_security as t;"
            " asyncio.run(t.flood(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))",
            gateway,
            str(attempts),
            str(in_flight),
            cwd=pathlib.Path(__file__).parent.parent,
            stdout=asyncio.subprocess.PIPE,
        )
        assert (await child.stdout.readline()).strip() == b"flooding"
        result = asyncio.create_task(child.stdout.readline())
        flooded = []
        while not result.done():
            flooded.append(await get_agent_ms())
        replies = json.loads(await result)
        assert await child.wait() == 0
    statuses = [status for status, _ in replies]
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    assert set(counts) <= {401, 429, 503}, counts
    assert counts.get(429, 0) > 0 and counts.get(401, 0) > 0, counts
    assert all(int(retry) >= 1 for status, retry in replies if status in (429, 503))
    print(
        f"\nlogin flood ({attempts} attempts, {in_flight} in flight, distinct usernames, in a child process):"
        f" {counts}; router GetAgent p50/p99/max ms: idle {percentile(idle, 0.5):.1f}/{percentile(idle, 0.99):.1f}/"
        f"{max(idle):.1f} (n={len(idle)}), during the flood {percentile(flooded, 0.5):.1f}/"
        f"{percentile(flooded, 0.99):.1f}/{max(flooded):.1f} (n={len(flooded)})"
    )
