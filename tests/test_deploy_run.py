"""The dev overlay's containers, run for real: each service starts as its manifest's command
with the container's environment (only the listen address, port, Redis and folders are
pointed at this test), answers the exact probe the kubelet will send, and on SIGTERM
drains and exits within the pod's termination grace period."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import aiohttp
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.deploy_model import deployed, require_service
from tests.kustomize_renderer import render_overlay


class Container:
    """One service process started the way its container starts."""

    def __init__(self, objects, service: str, workdir, redis_url: str, tenant: str, **overrides: str) -> None:
        require_service(service)
        self.here = deployed(objects, service)
        self.service = service
        upper = service.upper()
        self.port_file = workdir / f"{service}.port"
        self.log = workdir / f"{service}.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")},
            **self.here.env,
            # Pointed at this test: loopback, a free port, the test's Redis, temporary folders.
            f"CALLCENTER_{upper}_HOST": "127.0.0.1",
            f"CALLCENTER_{upper}_PORT": "0",
            f"CALLCENTER_{upper}_PORT_FILE": str(self.port_file),
            "CALLCENTER_REDIS_URL": redis_url,
            "CALLCENTER_TENANT": tenant,
            "CALLCENTER_DATA_DIR": str(workdir / f"{service}-data"),
            **overrides,
        }
        self.process: subprocess.Popen | None = None
        self.port = 0

    async def start(self) -> Container:
        command = self.here.container["command"]
        assert command[0] == "callcenter"
        with open(self.log, "ab") as log:  # the console script is `callcenter.cli:main`
            self.process = subprocess.Popen(
                [sys.executable, "-m", "callcenter.cli", *command[1:]], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 30
        while not (self.port_file.exists() and self.port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop_now()
                raise AssertionError(f"{self.service} did not start: {self.log.read_text()[-3000:]}")
            await asyncio.sleep(0.05)
        self.port = int(self.port_file.read_text())
        return self

    def probe(self, name: str) -> dict:
        return self.here.container[name]

    async def terminate(self) -> float:
        """SIGTERM as the kubelet sends it after the preStop hook; seconds until the exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        while self.process.poll() is None and time.monotonic() - started < 60:
            await asyncio.sleep(0.05)
        assert self.process.returncode == 0, self.log.read_text()[-3000:]
        return time.monotonic() - started

    def stop_now(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
async def containers(tmp_path, redis_url, tenant):
    objects = render_overlay("dev")
    started: list[Container] = []

    async def start(service: str, **overrides: str) -> Container:
        if service == "router":  # the queue file, as the ConfigMap holds it
            queues = next(o for o in objects if o["metadata"]["name"].startswith("callcenter-queues-"))
            (tmp_path / "queues.toml").write_text(queues["data"]["queues.toml"])
            overrides.setdefault("CALLCENTER_ROUTER_CONFIG", str(tmp_path / "queues.toml"))
        if service == "recorder":
            overrides.setdefault("CALLCENTER_RECORDER_STORAGE_DIR", str(tmp_path / "recordings"))
        container = Container(objects, service, tmp_path, redis_url, tenant, **overrides)
        started.append(container)
        return await container.start()

    yield start
    for container in started:
        container.stop_now()


def time_to_drain(container: Container) -> float:
    """What the pod leaves the process after the preStop pause before SIGKILL."""
    pre_stop = container.here.container["lifecycle"]["preStop"]["exec"]["command"]
    return container.here.pod["terminationGracePeriodSeconds"] - int(pre_stop[1])


async def grpc_probe(container: Container, probe_name: str) -> int:
    probe = container.probe(probe_name)["grpc"]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{container.port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=probe.get("service", "")), timeout=5
        )
    return reply.status


@pytest.mark.parametrize("service", ["router", "stats", "recorder"])
async def test_grpc_service_answers_its_probes_and_drains_on_sigterm(containers, service):
    container = await containers(service)
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert await grpc_probe(container, probe_name) == health_pb2.HealthCheckResponse.SERVING, probe_name
    assert await container.terminate() < time_to_drain(container)


async def test_gateway_answers_its_http_probes_and_drains_on_sigterm(containers):
    router = await containers("router")
    gateway = await containers("gateway", CALLCENTER_ROUTER_ADDR=f"127.0.0.1:{router.port}")
    async with aiohttp.ClientSession() as session:
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            path = gateway.probe(probe_name)["httpGet"]["path"]
            async with session.get(f"http://127.0.0.1:{gateway.port}{path}") as reply:
                assert reply.status == 200, (probe_name, await reply.text())
    # Readiness follows the router: a stopped router makes the gateway unready, not dead.
    await router.terminate()
    async with aiohttp.ClientSession() as session:
        readiness = gateway.probe("readinessProbe")["httpGet"]["path"]
        async with session.get(f"http://127.0.0.1:{gateway.port}{readiness}") as reply:
            assert reply.status == 503
        liveness = gateway.probe("livenessProbe")["httpGet"]["path"]
        async with session.get(f"http://127.0.0.1:{gateway.port}{liveness}") as reply:
            assert reply.status == 200
    assert await gateway.terminate() < time_to_drain(gateway)
