"""Router replicas as real child processes (python -m callcenter.services.router) for crash and
concurrency tests."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import subprocess
import sys
import time

import grpc

from callcenter.api.router.v1 import router_pb2_grpc


class RouterProcess:
    def __init__(self, workdir: pathlib.Path, name: str, redis_url: str, tenant: str, **env: str) -> None:
        self.name = name
        self.port_file = workdir / f"{name}.port"
        self.log_path = workdir / f"{name}.log"
        self.env = {
            **os.environ,
            "CALLCENTER_REDIS_URL": redis_url,
            "CALLCENTER_TENANT": tenant,
            "CALLCENTER_ROUTER_PORT": "0",
            "CALLCENTER_ROUTER_PORT_FILE": str(self.port_file),
            "CALLCENTER_ROUTER_TIMER_POLL_MS": "10",
            "CALLCENTER_PBX_POSITION_INTERVAL_MS": "200",
            "CALLCENTER_LOG_FORMAT": "json",
            "CALLCENTER_LOG_LEVEL": "warning",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    async def start(self, timeout: float = 30.0) -> RouterProcess:
        self.port_file.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "callcenter.services.router"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not (self.port_file.exists() and self.port_file.read_text().strip()):
            if self.process.poll() is not None:
                raise RuntimeError(f"router {self.name} exited: {self.log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"router {self.name} did not start within {timeout} s")
            await asyncio.sleep(0.05)
        self.port = int(self.port_file.read_text())
        return self

    def channel(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(f"127.0.0.1:{self.port}")

    def stub(self, channel: grpc.aio.Channel) -> router_pb2_grpc.RouterServiceStub:
        return router_pb2_grpc.RouterServiceStub(channel)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-whatever, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then the exit code (the graceful-shutdown path)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"router {self.name} ignored SIGTERM for {timeout} s")
            await asyncio.sleep(0.05)
        return self.process.returncode
