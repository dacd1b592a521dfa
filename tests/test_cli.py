"""`callcenter up` as a real child process: it serves the router with health checking on a
free port, routes a call through the bundled example's queue, stops cleanly on SIGTERM, and
refuses a bad configuration with exit code 2 and a message naming the problem."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import grpc
import pytest
import redis as sync_redis
from grpc_health.v1 import health_pb2, health_pb2_grpc

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.embedded_redis import socket_path_for

READY_LINE = "Ctrl+C stops it."
ROUTER_SERVICE = "callcenter.router.v1.RouterService"


def callcenter_command() -> list[str]:
    """The installed `callcenter` script of this interpreter's environment."""
    script = pathlib.Path(sys.executable).parent / "callcenter"
    return [str(script)] if script.exists() else [sys.executable, "-m", "callcenter.cli"]


def embedded_redis(data_dir: pathlib.Path) -> sync_redis.Redis:
    return sync_redis.Redis.from_url(f"unix://{socket_path_for(data_dir)}", socket_connect_timeout=0.5)


def embedded_redis_answers(data_dir: pathlib.Path) -> bool:
    if not socket_path_for(data_dir).exists():
        return False
    try:
        with embedded_redis(data_dir) as c:
            return bool(c.ping())
    except sync_redis.ConnectionError:
        return False


def shut_down_embedded_redis(data_dir: pathlib.Path) -> None:
    """Stops a redis-server a killed `callcenter` left behind (it runs in its own session)."""
    if embedded_redis_answers(data_dir):
        with embedded_redis(data_dir) as c:
            try:
                c.shutdown(nosave=True)
            except sync_redis.ConnectionError:
                pass  # the server closes the connection as it exits


class Callcenter:
    """One `callcenter` child process with its own data dir; stdout and stderr go to files."""

    def __init__(self, workdir: pathlib.Path, *args: str, **env: str) -> None:
        self.data_dir = workdir / "data"
        self.stdout_path = workdir / "stdout.txt"
        self.stderr_path = workdir / "stderr.txt"
        base = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
        self.env = {
            **base,
            "CALLCENTER_DATA_DIR": str(self.data_dir),
            "CALLCENTER_GATEWAY_PORT": "0",
            "CALLCENTER_RECORDER_PORT": "0",
            "CALLCENTER_LOG_FORMAT": "json",
            **env,
        }
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [*callcenter_command(), *args], cwd=workdir, env=self.env, stdout=out, stderr=err
            )

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    async def wait_ready(self, timeout: float = 10.0) -> int:
        """Waits for the line printed once everything serves; returns the router's port."""
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.stdout:
            if self.process.poll() is not None:
                raise AssertionError(f"callcenter exited with {self.process.returncode}: {self.stderr[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"callcenter was not up within {timeout} s: {self.stderr[-2000:]}")
            await asyncio.sleep(0.02)
        return int(re.search(r"router gRPC on 127\.0\.0\.1:(\d+)", self.stdout).group(1))

    async def wait_exit(self, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"callcenter still running {timeout} s later: {self.stderr[-2000:]}")
            await asyncio.sleep(0.02)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_callcenter(tmp_path):
    """Starts `callcenter` child processes; kills whatever is left of them after the test."""
    started: list[Callcenter] = []

    def start(*args: str, **env: str) -> Callcenter:
        workdir = tmp_path / f"run{len(started)}"
        workdir.mkdir()
        started.append(Callcenter(workdir, *args, **env))
        return started[-1]

    yield start
    for child in started:
        child.kill()
        shut_down_embedded_redis(child.data_dir)


async def test_up_serves_health_routes_a_call_of_the_example_queue_and_stops_on_sigterm(start_callcenter):
    up = start_callcenter("up", "--router-port", "0")
    port = await up.wait_ready()

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", ROUTER_SERVICE):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        router = router_pb2_grpc.RouterServiceStub(channel)
        await router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"), timeout=2)
        routed = (
            await router.RouteCall(
                pb.RouteCallRequest(call_id="cli-1", caller="+4917000001", dialed_number="+4930100100"), timeout=2
            )
        ).call
        assert (routed.queue, routed.state) == ("sales", states_pb2.CALL_STATE_RINGING)
        assert (routed.offer.agent_id, routed.offer.endpoint) == ("anna", "sip:1001@pbx.local")
        assert routed.offer.ring_timeout.ToMilliseconds() == 5_000
        answered = await router.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(
                call_id="cli-1", offer_id=routed.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
            ),
            timeout=2,
        )
        assert answered.call.state == states_pb2.CALL_STATE_CONNECTED
        ended = await router.HangupCall(pb.HangupCallRequest(call_id="cli-1"), timeout=2)
        assert ended.call.state == states_pb2.CALL_STATE_COMPLETED

    up.process.send_signal(signal.SIGTERM)
    assert await up.wait_exit(timeout=5) == 0, up.stderr[-2000:]
    assert not embedded_redis_answers(up.data_dir), "the embedded Redis must stop with the process that started it"
    assert b"cc:{default}:call:cli-1" in (up.data_dir / "appendonly.aof").read_bytes()


BAD_CONFIGS = {
    "agent of a missing queue": (
        '[[queues]]\nname = "sales"\n[[agents]]\nid = "anna"\nendpoint = "sip:1"\nqueues = ["nope"]\n',
        {},
        ["agents[0]", "queue nope does not exist"],
    ),
    "toml syntax": ('[[queues]]\nname = "sales\n', {}, ["bad.toml", "line 2"]),
    "bad environment variable": ("", {"CALLCENTER_TENANT": "two words"}, ["CALLCENTER_TENANT", "'two words'"]),
}


@pytest.mark.parametrize("toml, env, named", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
async def test_up_with_a_bad_configuration_exits_2_naming_the_problem(start_callcenter, tmp_path, toml, env, named):
    config = tmp_path / "bad.toml"
    config.write_text(toml or '[[queues]]\nname = "sales"\n')
    up = start_callcenter("up", "--router-port", "0", "--config", str(config), **env)
    assert await up.wait_exit(timeout=5) == 2, up.stderr[-2000:]
    message = up.stderr.strip().splitlines()[-1]
    assert message.startswith("callcenter: configuration error: ")
    for part in named:
        assert part in message
    assert "Traceback" not in up.stderr
    assert not embedded_redis_answers(up.data_dir)


async def test_a_port_variable_that_is_not_a_number_exits_2_naming_it(start_callcenter):
    up = start_callcenter("up", CALLCENTER_ROUTER_PORT="fifty")
    assert await up.wait_exit(timeout=5) == 2
    assert "CALLCENTER_ROUTER_PORT" in up.stderr.strip().splitlines()[-1]


async def test_a_fractional_shutdown_grace_that_gateway_and_recorder_accept_starts_up(start_callcenter):
    up = start_callcenter("up", "--router-port", "0", CALLCENTER_SHUTDOWN_GRACE_S="0.5")
    await up.wait_ready()
    up.process.send_signal(signal.SIGTERM)
    assert await up.wait_exit() == 0


async def test_sigterm_while_starting_up_leaves_no_embedded_redis_running(start_callcenter, tmp_path):
    # A big file keeps the process busy applying it for a while after Redis has started.
    config = tmp_path / "big.toml"
    config.write_text(
        '[[queues]]\nname = "sales"\n'
        + "".join(f'[[agents]]\nid = "a{i}"\nendpoint = "sip:{i}"\nqueues = ["sales"]\n' for i in range(1500))
    )
    up = start_callcenter("up", "--router-port", "0", "--config", str(config))
    deadline = time.monotonic() + 5
    while not embedded_redis_answers(up.data_dir):
        assert time.monotonic() < deadline and up.process.poll() is None, up.stderr[-2000:]
        await asyncio.sleep(0.01)
    assert READY_LINE not in up.stdout, "the process must still be starting when the signal arrives"
    up.process.send_signal(signal.SIGTERM)
    await up.wait_exit(timeout=30)  # generous: a busy machine applies the file slowly
    await asyncio.sleep(0.2)
    assert not embedded_redis_answers(up.data_dir), "a stopped callcenter must not leave its Redis running"


async def test_sigterm_stops_callcenter_redis_and_its_server(start_callcenter):
    redis_only = start_callcenter("redis")
    deadline = time.monotonic() + 10
    while not embedded_redis_answers(redis_only.data_dir):
        assert time.monotonic() < deadline and redis_only.process.poll() is None, redis_only.stderr[-2000:]
        await asyncio.sleep(0.02)
    redis_only.process.send_signal(signal.SIGTERM)
    assert await redis_only.wait_exit(timeout=10) == 0
    await asyncio.sleep(0.2)
    assert not embedded_redis_answers(redis_only.data_dir), "callcenter redis left its redis-server running"
