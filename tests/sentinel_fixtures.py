"""A real Redis watched by Sentinels, for the failover tests: a primary, its replicas and three
Sentinels, each a process of the bundled redis-server binary on a free loopback port, with a
folder of its own under the test's temporary directory (its log is there too).

Sentinel timing is short (down after 500 ms, failover timeout 2 s) so that a failover takes
seconds; every wait polls what the processes report (the Sentinels' view of the master, the
replicas' link), with a deadline, never a fixed sleep."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import signal
import socket
import subprocess
import time
from collections import Counter

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from callcenter.core.embedded_redis import redis_server_binary
from tests.stream_invariants import stream_invariants as shared_invariants

SERVICE = "callcenter"  # the name the Sentinels monitor the primary by
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 2000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _deadline_poll(check, timeout: float, what: str, interval: float = 0.05):
    """Polls check() (a value when done, None before) until the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            found = None
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(interval)


class Node:
    """One redis-server process (a data node or a Sentinel) on its own port and folder."""

    def __init__(self, folder: pathlib.Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self, args: list[str]) -> Node:
        self.process = subprocess.Popen(
            [redis_server_binary(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=2)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, nothing flushed, as a crashed pod would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGCONT)  # a stopped process cannot take SIGTERM
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.folder / name
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


class SentinelRedis:
    """A primary, `replicas` replicas and three Sentinels (quorum 2)."""

    def __init__(self, root: pathlib.Path, replicas: int = 1) -> None:
        self.root = root
        self.primary = Node(root / "node0", free_port())
        self.replicas = [Node(root / f"node{i + 1}", free_port()) for i in range(replicas)]
        self.sentinels = [Node(root / f"sentinel{i}", free_port()) for i in range(3)]

    @property
    def nodes(self) -> list[Node]:
        return [self.primary, *self.replicas]

    def node_on(self, port: int) -> Node:
        return next(n for n in self.nodes if n.port == port)

    def url(self, scheme: str = "redis+sentinel", **query: object) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{scheme}://{hosts}/{SERVICE}" + (f"?{tail}" if tail else "")

    def start_data_node(self, node: Node, replica_of: int | None = None) -> None:
        args = ["--port", str(node.port), "--bind", "127.0.0.1", "--dir", str(node.folder), "--save", "",
                "--appendonly", "no", "--logfile", str(node.folder / "redis.log"),
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]  # fmt: skip
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        node.start(args)

    def start(self) -> SentinelRedis:
        self.start_data_node(self.primary)
        for replica in self.replicas:
            self.start_data_node(replica, replica_of=self.primary.port)
        for sentinel in self.sentinels:
            conf = sentinel.folder / "sentinel.conf"  # the Sentinel rewrites it: a file of its own
            conf.write_text(
                f"port {sentinel.port}\nbind 127.0.0.1\ndir {sentinel.folder}\n"
                f"logfile {sentinel.folder / 'sentinel.log'}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            sentinel.start([str(conf), "--sentinel"])
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until every replica is in sync and every Sentinel knows the replicas and the other
        two Sentinels (a failover needs two of three to agree)."""
        n = len(self.replicas)

        def primary_ready():
            info = self.primary.client().info("replication")
            return True if info["connected_slaves"] == n else None

        _deadline_poll(primary_ready, timeout, f"{n} replicas attached to the primary")
        for sentinel in self.sentinels:

            def knows_all(sentinel=sentinel):
                state = sentinel.client().execute_command("SENTINEL", "MASTER", SERVICE)
                state = dict(zip(state[::2], state[1::2], strict=True)) if isinstance(state, list) else state
                ok = int(state["num-slaves"]) == n and int(state["num-other-sentinels"]) == 2
                return True if ok and state["flags"] == "master" else None

            _deadline_poll(knows_all, timeout, f"Sentinel {sentinel.port} saw {n} replicas and 2 Sentinels")

    def master_ports(self) -> set[int]:
        """The primary's port as each Sentinel answers it now (an unreachable one says nothing).
        Plain sockets, closed at once (asked from a thread by wait_for_new_primary)."""
        ports: set[int] = set()
        for sentinel in self.sentinels:
            try:
                with redis.Redis(
                    host="127.0.0.1", port=sentinel.port, socket_timeout=5, retry=Retry(NoBackoff(), 0)
                ) as c:
                    ports.add(int(c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)[1]))
            except (redis.ConnectionError, redis.TimeoutError):
                pass
        return ports

    async def wait_for_new_primary(self, old_port: int, timeout: float = 30.0) -> int:
        """Polls the Sentinels until all three name one primary other than old_port."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ports = await asyncio.to_thread(self.master_ports)
            if len(ports) == 1 and old_port not in ports:
                return ports.pop()
            if loop.time() > deadline:
                logs = "\n".join(s.log_tail("sentinel.log") for s in self.sentinels)
                raise AssertionError(f"no replica promoted within {timeout} s (Sentinels say {ports}):\n{logs}")
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        for node in [*self.sentinels, *self.nodes]:
            node.stop()


@pytest.fixture
def sentinel_redis(tmp_path_factory):
    """Starts SentinelRedis sets (`sentinel_redis(replicas=2)`), stops them after the test."""
    started: list[SentinelRedis] = []

    def start(replicas: int = 1) -> SentinelRedis:
        root = tmp_path_factory.mktemp("sentinel")
        started.append(SentinelRedis(root, replicas))
        return started[-1].start()

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def lone_redis(tmp_path_factory):
    """A redis-server of the test's own, with no replica (its settings are the test's to change)."""
    node = Node(tmp_path_factory.mktemp("lone"), free_port())
    node.start(["--port", str(node.port), "--bind", "127.0.0.1", "--dir", str(node.folder), "--save", "",
                "--appendonly", "no"])  # fmt: skip
    _deadline_poll(lambda: node.client().ping() or None, 15, "the server answered")
    yield node
    node.stop()


def stream_invariants(events, kinds) -> list[str]:
    """The router's promises (tests/stream_invariants.py) after a failover, once every call
    ended: also no agent left reserved and no call answered twice."""
    problems, reserved = shared_invariants(events, kinds)
    problems += [f"{a} still reserved for {c}" for a, c in reserved.items()]
    answers = Counter(e.call_id for e, k in zip(events, kinds, strict=True) if k == "CALL_ANSWERED")
    problems += [f"{c} answered {n} times" for c, n in answers.items() if n > 1]
    return problems
