"""The bench's processes (echo server, router, load generators) and their CPU time."""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import Any

from callcenter.core.grpc_security import GrpcClientCredentials, aio_channel
from callcenter.core.settings import load

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc); 0 when unknown."""
    if not pid:
        return 0.0
    try:
        raw = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def machine_busy_s() -> float:
    """CPU seconds every core of the machine spent busy so far (all processes, everyone's)."""
    try:
        first = pathlib.Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in first[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


class CpuMeter:
    """CPU use of named processes over a window, and of the rest of the machine ("others":
    whatever else ran, e.g. other people's test suites on a shared machine)."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}
        self._t0 = 0.0

    def _sample(self) -> dict[str, float]:
        sample = {name: sum(process_cpu_s(p) for p in pids) for name, pids in self.pids.items()}
        sample["machine"] = machine_busy_s()
        return sample

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._start = self._sample()

    def stop(self) -> dict[str, float]:
        """Per name: share of one core used (100 = one whole core); 'others' is the rest of the machine."""
        wall = max(1e-6, time.monotonic() - self._t0)
        end = self._sample()
        used = {name: (end[name] - self._start[name]) / wall * 100 for name in end}
        ours = sum(v for k, v in used.items() if k != "machine")
        used["others"] = max(0.0, used.pop("machine") - ours)
        return {k: round(v, 1) for k, v in used.items()}


def service_channel(target: str, **options: Any) -> Any:
    """A channel to a service under test with the credentials of the environment (docs/security.md:
    `callcenter bench --secure` sets them for every process of the run; unset, a plain channel)."""
    return aio_channel(target, load(GrpcClientCredentials), **options)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "CALLCENTER_LOG_FORMAT": "json", "CALLCENTER_LOG_LEVEL": "warning", **extra}


def _port_in(port_file: pathlib.Path) -> int | None:
    """The port a server wrote once ready; None before (tiny file: read synchronously)."""
    text = port_file.read_text().strip() if port_file.exists() else ""
    return int(text) if text else None


def _tail(log_path: pathlib.Path) -> str:
    return log_path.read_text()[-2000:] if log_path.exists() else ""


async def _wait_for_port(proc: subprocess.Popen, port_file: pathlib.Path, log_path: pathlib.Path, what: str) -> int:
    deadline = time.monotonic() + 60
    while (port := _port_in(port_file)) is None:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {_tail(log_path)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within 60 s")
        await asyncio.sleep(0.02)
    return port


class ServerProcess:
    """A server under test, started as `python -m <module>`; reports its port in a file."""

    def __init__(self, workdir: pathlib.Path, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.port_file = workdir / f"{name}.port"
        self.log_path = workdir / f"{name}.log"
        self.args = args
        self.env = env
        self.process: subprocess.Popen | None = None
        self.port = 0

    @classmethod
    def echo(cls, workdir: pathlib.Path, redis_url: str) -> ServerProcess:
        port_file = workdir / "echo.port"
        args = ["-m", "callcenter.tools.bench.echo_server", "--port-file", str(port_file), "--redis-url", redis_url]
        return cls(workdir, "echo", args, _env())

    @classmethod
    def router(
        cls,
        workdir: pathlib.Path,
        redis_url: str,
        tenant: str,
        profile: pathlib.Path | None = None,
        name: str = "router",
        extra_env: dict[str, str] | None = None,
    ) -> ServerProcess:
        """The router as `python -m callcenter.services.router` (under cProfile, writing `profile` at exit,
        when given: a diagnostic run, slower); extra_env: more settings (e.g. the PBX ring grace)."""
        env = _env(
            CALLCENTER_REDIS_URL=redis_url,
            CALLCENTER_TENANT=tenant,
            CALLCENTER_ROUTER_HOST="127.0.0.1",
            CALLCENTER_ROUTER_PORT="0",
            CALLCENTER_ROUTER_PORT_FILE=str(workdir / f"{name}.port"),
            CALLCENTER_DATA_DIR=str(workdir / f"{name}-data"),
            **(extra_env or {}),
        )
        env.pop("CALLCENTER_ROUTER_CONFIG", None)
        args = ["-m", "callcenter.services.router"]
        if profile is not None:
            args = ["-m", "cProfile", "-o", str(profile.resolve()), *args]
        return cls(workdir, name, args, env)

    @classmethod
    def stats(cls, workdir: pathlib.Path, redis_url: str, tenant: str) -> ServerProcess:
        """The stats service as `python -m callcenter.services.stats`, reading the tenant's event stream."""
        env = _env(
            CALLCENTER_REDIS_URL=redis_url,
            CALLCENTER_TENANT=tenant,
            CALLCENTER_STATS_HOST="127.0.0.1",
            CALLCENTER_STATS_PORT="0",
            CALLCENTER_STATS_PORT_FILE=str(workdir / "stats.port"),
            CALLCENTER_DATA_DIR=str(workdir / "stats-data"),
        )
        return cls(workdir, "stats", ["-m", "callcenter.services.stats"], env)

    @classmethod
    def recorder(cls, workdir: pathlib.Path, redis_url: str, tenant: str) -> ServerProcess:
        """The recorder as `python -m callcenter.services.recorder`, storing under the bench's temp dir."""
        env = _env(
            CALLCENTER_REDIS_URL=redis_url,
            CALLCENTER_TENANT=tenant,
            CALLCENTER_RECORDER_HOST="127.0.0.1",
            CALLCENTER_RECORDER_PORT="0",
            CALLCENTER_RECORDER_PORT_FILE=str(workdir / "recorder.port"),
            CALLCENTER_DATA_DIR=str(workdir / "recorder-data"),
        )
        env.pop("CALLCENTER_RECORDER_STORAGE_DIR", None)
        return cls(workdir, "recorder", ["-m", "callcenter.services.recorder"], env)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _spawn(self) -> subprocess.Popen:
        self.port_file.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            return subprocess.Popen(
                [sys.executable, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=os.getcwd()
            )

    async def start(self) -> ServerProcess:
        """Starts the process (a fast fork/exec) and waits, without blocking, for its port."""
        self.process = self._spawn()
        self.port = await _wait_for_port(self.process, self.port_file, self.log_path, self.name)
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class LoadWorker:
    """One load-generator process (callcenter.tools.bench.loadgen), driven by JSON lines."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self) -> LoadWorker:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "callcenter.tools.bench.loadgen",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=_env(),
            limit=1 << 28,
        )
        ready = await self._read()
        if not ready.get("ready"):
            raise RuntimeError(f"load generator {self.index} did not start: {ready}")
        return self

    async def _read(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator {self.index} exited")
        return json.loads(line)

    async def run(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()
        result = await self._read()
        if "error" in result:
            raise RuntimeError(f"load generator {self.index}: {result['error']}")
        return result

    async def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.returncode is None and proc.stdin is not None:
            proc.stdin.write(b'{"op": "quit"}\n')
            try:
                await proc.stdin.drain()
                proc.stdin.close()
                await asyncio.wait_for(proc.wait(), timeout=10)
            except (TimeoutError, ConnectionError):
                proc.kill()
                await proc.wait()
