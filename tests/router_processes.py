"""Services as real child processes (python -m callcenter.services.<name>: router replicas,
stats, the recorder) for crash, restart and concurrency tests. Every wait ends on an event,
never on a guessed time: the port is read from a FIFO the service writes once it serves, the
exit from a pidfd that turns readable when the process ends; the timeouts are only safety nets
for a test that would otherwise hang."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import signal
import subprocess
import sys
from typing import Self

import grpc

from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2_grpc

SAFETY_S = 90.0  # a safety net only (pytest's own timeout is 120 s a test)


async def _readable(fd: int) -> None:
    """Returns once fd is readable (data, end of file, or an exited process's pidfd)."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def exited(process: subprocess.Popen[bytes]) -> int:
    """The exit code, once the process has ended (waited for as an event, on its pidfd)."""
    if process.poll() is None:
        fd = os.pidfd_open(process.pid)
        try:
            await _readable(fd)
        finally:
            os.close(fd)
    return process.wait()


async def read_fifo(fd: int) -> bytes:
    """Everything a writer puts into the FIFO open (non-blocking) on fd, once it closes it."""
    chunks = []
    while True:
        await _readable(fd)
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            continue
        if not data:
            return b"".join(chunks)
        chunks.append(data)


async def start_serving(
    name: str, args: list[str], env: dict[str, str], port_file: pathlib.Path, log_path: pathlib.Path
) -> tuple[subprocess.Popen[bytes], int]:
    """Starts `python <args>` (a service writing its bound port to port_file once it serves);
    returns the process and the port, once written. port_file is made a FIFO, so the port
    arrives as an event; the process's exit before it is one too (an error with its log)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(port_file)
    os.mkfifo(port_file)
    port_reader = os.open(port_file, os.O_RDONLY | os.O_NONBLOCK)  # before the service opens it
    try:
        with open(log_path, "ab") as log:
            process = subprocess.Popen([sys.executable, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        port = asyncio.ensure_future(read_fifo(port_reader))
        exit_code = asyncio.ensure_future(exited(process))
        try:
            async with asyncio.timeout(SAFETY_S):
                await asyncio.wait({port, exit_code}, return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            process.kill()
            raise RuntimeError(f"{name} did not serve within {SAFETY_S} s") from None
        finally:
            for task in (port, exit_code):
                task.cancel()
            await asyncio.gather(port, exit_code, return_exceptions=True)  # readers removed
        if not port.cancelled() and port.result().strip():
            return process, int(port.result())
        with open(log_path, errors="replace") as log:
            raise RuntimeError(f"{name} exited: {log.read()[-2000:]}")
    finally:
        os.close(port_reader)


class ServiceProcess:
    """One service (`service`: router, stats, recorder, ...) as a child process on the test's
    Redis and tenant, serving on a free port (CALLCENTER_<SERVICE>_PORT 0, written to
    CALLCENTER_<SERVICE>_PORT_FILE). `env` adds or overrides settings."""

    service = ""
    #: the service's own settings for tests (short timers), before the caller's env
    defaults: dict[str, str] = {}

    def __init__(self, workdir: pathlib.Path, name: str, redis_url: str, tenant: str, **env: str) -> None:
        self.name = name
        self.port_file = workdir / f"{name}.port"
        self.log_path = workdir / f"{name}.log"
        prefix = f"CALLCENTER_{self.service.upper()}"
        self.env = {
            **os.environ,
            "CALLCENTER_REDIS_URL": redis_url,
            "CALLCENTER_TENANT": tenant,
            f"{prefix}_PORT": "0",
            f"{prefix}_PORT_FILE": str(self.port_file),
            "CALLCENTER_LOG_FORMAT": "json",
            "CALLCENTER_LOG_LEVEL": "warning",
            **self.defaults,
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    async def start(self) -> Self:
        """Starts the process; returns once it serves (it has written its port)."""
        self.process, self.port = await start_serving(
            f"{self.service} {self.name}",
            ["-m", f"callcenter.services.{self.service}"],
            self.env,
            self.port_file,
            self.log_path,
        )
        return self

    def channel(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(f"127.0.0.1:{self.port}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-whatever, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def terminate(self) -> int:
        """SIGTERM, then the exit code once the process has ended (the graceful-shutdown path)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(SAFETY_S):
                return await exited(self.process)
        except TimeoutError:
            self.process.kill()
            raise RuntimeError(f"{self.service} {self.name} ignored SIGTERM for {SAFETY_S} s") from None


class RouterProcess(ServiceProcess):
    service = "router"
    defaults = {"CALLCENTER_ROUTER_TIMER_POLL_MS": "10", "CALLCENTER_PBX_POSITION_INTERVAL_MS": "200"}

    def stub(self, channel: grpc.aio.Channel) -> router_pb2_grpc.RouterServiceStub:
        return router_pb2_grpc.RouterServiceStub(channel)


class StatsProcess(ServiceProcess):
    """A stats replica: joins the tenant's consumer group (CALLCENTER_STATS_GROUP, "stats");
    what a killed replica read but had not acknowledged is reclaimed after 200 ms."""

    service = "stats"
    defaults = {"CALLCENTER_STATS_BLOCK_MS": "50", "CALLCENTER_STATS_CLAIM_IDLE_MS": "200"}

    def stub(self, channel: grpc.aio.Channel) -> stats_pb2_grpc.StatsServiceStub:
        return stats_pb2_grpc.StatsServiceStub(channel)
