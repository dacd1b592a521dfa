"""The dev overlay's containers, run for real: each service starts as its manifest's command
with the container's environment (only the listen addresses, ports, Redis and folders are
pointed at this test) and its Secret volumes as the kubelet writes them (from the Secrets the
commands of `callcenter credentials init` make), answers the exact probe the kubelet will
send, and on SIGTERM drains and exits within the pod's termination grace period."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from callcenter.tools.credentials import DEFAULT_SERVICES, init, kubectl_commands
from tests.deploy_model import deployed, require_service
from tests.kustomize_renderer import render_overlay

NAMESPACE = "callcenter-dev"


def secrets_made_by_credentials_init(folder) -> dict[str, dict[str, os.PathLike]]:
    """`callcenter credentials init` for the dev namespace, and the Secrets (name -> key -> file)
    its printed `kubectl create secret generic` commands make."""
    init(folder, namespace=NAMESPACE)
    secrets = {}
    for command in kubectl_commands(folder, DEFAULT_SERVICES, NAMESPACE):
        name = re.search(r"create secret generic (\S+)", command).group(1)
        data = {}
        for source in re.findall(r"--from-file=(\S+)", command):
            key, sep, path = source.partition("=")
            data.update({key: folder / path} if sep else {p.name: p for p in (folder / source).iterdir()})
        secrets[name] = data
    return secrets


def mount_secrets(here, secrets, folder) -> dict[str, str]:
    """Writes the container's projected Secret volumes into folder as the kubelet does, and
    repoints the environment's paths inside them there."""
    volumes = {v["name"]: v for v in here.pod.get("volumes", [])}
    env = {}
    for mount in here.container.get("volumeMounts", []):
        projected = volumes.get(mount["name"], {}).get("projected")
        if projected is None:
            continue
        local = folder / mount["name"]
        local.mkdir(parents=True)
        for source in projected["sources"]:
            for item in source["secret"]["items"]:
                shutil.copyfile(secrets[source["secret"]["name"]][item["key"]], local / item["path"])
                os.chmod(local / item["path"], projected.get("defaultMode", 0o644))
        for name, value in here.env.items():
            if value.startswith(mount["mountPath"] + "/"):
                env[name] = str(local / value[len(mount["mountPath"]) + 1 :])
    return env


def free_port() -> int:
    """A TCP port free on loopback now (the ops server takes no port file)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        self.ops_port = 0
        if "CALLCENTER_OPS_PORT" in self.here.env:  # the ops port (/metrics, /healthz, /readyz)
            self.ops_port = free_port()
            self.env |= {"CALLCENTER_OPS_HOST": "127.0.0.1", "CALLCENTER_OPS_PORT": str(self.ops_port)}
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

    def local_port(self, port) -> int:
        """Where this process listens for what the manifest calls `port` (a name or number)."""
        number = self.here.port_number(port)
        return self.ops_port if number == self.here.port_number("ops") else self.port

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
    secrets = secrets_made_by_credentials_init(tmp_path / "credentials")

    async def start(service: str, **overrides: str) -> Container:
        here = deployed(objects, service)
        overrides = {**mount_secrets(here, secrets, tmp_path / f"{service}-volumes"), **overrides}
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


async def kubelet_probe(container: Container, probe_name: str) -> bool:
    """The probe as the kubelet sends it: an HTTP GET (success: 200-399), a TCP connection, or a
    plaintext gRPC health check."""
    probe = container.probe(probe_name)
    if "httpGet" in probe:
        port = container.local_port(probe["httpGet"]["port"])
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}{probe['httpGet']['path']}") as reply:
                return 200 <= reply.status < 400
    if "tcpSocket" in probe:
        _, writer = await asyncio.open_connection("127.0.0.1", container.port)
        writer.close()
        await writer.wait_closed()
        return True
    async with grpc.aio.insecure_channel(f"127.0.0.1:{container.port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=probe["grpc"].get("service", "")), timeout=5
        )
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def health_over_tls(container: Container, ca_file: str, service: str) -> int:
    """The served service's health, asked over TLS as the gateway asks it."""
    with open(ca_file, "rb") as ca:
        tls = grpc.ssl_channel_credentials(root_certificates=ca.read())
    async with grpc.aio.secure_channel(f"127.0.0.1:{container.port}", tls) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5
        )
    return reply.status


@pytest.mark.parametrize("service", ["router", "stats", "recorder"])
async def test_grpc_service_answers_its_probes_and_drains_on_sigterm(containers, service):
    import importlib

    container = await containers(service)
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert await kubelet_probe(container, probe_name), probe_name
    served = importlib.import_module(f"callcenter.services.{service}.server").SERVICE_NAME
    # The CA beside the certificate, as the service's Secret holds it.
    ca_file = str(pathlib.Path(container.env["CALLCENTER_GRPC_TLS_CERT_FILE"]).with_name("ca.crt"))
    assert await health_over_tls(container, ca_file, served) == health_pb2.HealthCheckResponse.SERVING
    # What Prometheus scrapes (deploy/components/monitoring: port `ops`, path /metrics).
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{container.ops_port}/metrics") as reply:
            assert reply.status == 200
            assert "# TYPE callcenter_redis_up gauge" in await reply.text()
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
