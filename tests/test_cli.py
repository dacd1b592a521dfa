"""`callcenter up` as a real child process: it serves the router with health checking on a
free port, routes a call through the bundled example's queue, stops cleanly on SIGTERM, and
refuses a bad configuration with exit code 2 and a message naming the problem."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pathlib
import re
import signal
import socket
import sys

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


# Only a safety net: every wait below ends on an event (a line printed, a process exit).
SAFETY_S = 90.0


class Callcenter:
    """One `callcenter` child process with its own data dir. Its stdout and stderr are read
    as they come (and kept in files for a look after the test); waits end on a line seen or
    on the process's exit, never on a guessed time."""

    def __init__(self, workdir: pathlib.Path, *args: str, **env: str) -> None:
        self.data_dir = workdir / "data"
        self.stdout_path = workdir / "stdout.txt"
        self.stderr_path = workdir / "stderr.txt"
        self.args = args
        base = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
        self.env = {
            **base,
            "CALLCENTER_DATA_DIR": str(self.data_dir),
            "CALLCENTER_GATEWAY_PORT": "0",
            "CALLCENTER_RECORDER_PORT": "0",
            "CALLCENTER_WEBHOOKS_PORT": "0",
            "CALLCENTER_LOG_FORMAT": "json",
            **env,
        }
        self.workdir = workdir
        self._out: list[str] = []
        self._err: list[str] = []
        self._changed = asyncio.Event()
        self._readers: list[asyncio.Task] = []
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Callcenter:
        self.process = await asyncio.create_subprocess_exec(
            *callcenter_command(),
            *self.args,
            cwd=self.workdir,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._readers = [
            asyncio.create_task(self._read(self.process.stdout, self._out, self.stdout_path)),
            asyncio.create_task(self._read(self.process.stderr, self._err, self.stderr_path)),
        ]
        return self

    async def _read(self, stream: asyncio.StreamReader, lines: list[str], path: pathlib.Path) -> None:
        with open(path, "w") as copy:
            while line := await stream.readline():
                text = line.decode(errors="replace")
                lines.append(text)
                copy.write(text)
                copy.flush()
                self._changed.set()
        self._changed.set()

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_events(self) -> list[dict]:
        """The JSON log lines written so far."""
        events = []
        for line in self._err:
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    events.append(json.loads(line))
        return events

    def redis_pid(self) -> int | None:
        """The pid of the redis-server this process started (from its log), if it started one."""
        return next((e["pid"] for e in self.log_events() if e.get("event") == "embedded_redis.started"), None)

    async def wait_for(self, check, what: str):
        """Returns check()'s first true value, re-checked on every line the process prints."""
        async with asyncio.timeout(SAFETY_S):
            while not (found := check()):
                if all(reader.done() for reader in self._readers):
                    await self.process.wait()
                    raise AssertionError(
                        f"callcenter exited with {self.process.returncode} before {what}: {self.stderr[-2000:]}"
                    )
                self._changed.clear()
                await self._changed.wait()
            return found

    async def wait_log(self, event: str) -> dict:
        """The first JSON log line of that event, once written."""
        return await self.wait_for(lambda: next((e for e in self.log_events() if e.get("event") == event), None), event)

    async def wait_ready(self) -> int:
        """Waits for the line printed once everything serves; returns the router's port."""
        await self.wait_for(lambda: READY_LINE in self.stdout, f"printing {READY_LINE!r}")
        return self.port_of("router gRPC")

    def port_of(self, what: str) -> int:
        """A port from the start-up lines ("router gRPC", "stats gRPC", "recorder gRPC", "dashboard")."""
        return int(re.search(rf"{what}(?: on|:) (?:http://)?127\.0\.0\.1:(\d+)", self.stdout).group(1))

    async def wait_exit(self) -> int:
        """The exit code, once the process has exited and everything it printed is read."""
        async with asyncio.timeout(SAFETY_S):
            await asyncio.gather(*self._readers)
            return await self.process.wait()

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def redis_servers_of(data_dir: pathlib.Path) -> list[int]:
    """The pids of every live redis-server serving this data dir (by its unix socket), read
    from /proc: a server that exited is gone from there once its parent reaped it."""
    unix_socket = str(socket_path_for(data_dir)).encode()
    pids = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # exited meanwhile
        if b"redis-server" in cmdline and unix_socket in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


def alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
async def start_callcenter(tmp_path):
    """Starts `callcenter` child processes; kills whatever is left of them after the test."""
    started: list[Callcenter] = []

    async def start(*args: str, **env: str) -> Callcenter:
        workdir = tmp_path / f"run{len(started)}"
        workdir.mkdir()
        started.append(Callcenter(workdir, *args, **env))
        return await started[-1].start()

    yield start
    for child in started:
        await child.kill()
        shut_down_embedded_redis(child.data_dir)


async def test_up_serves_health_routes_a_call_of_the_example_queue_and_stops_on_sigterm(start_callcenter):
    up = await start_callcenter("up", "--router-port", "0")
    port = await up.wait_ready()

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", ROUTER_SERVICE):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=SAFETY_S)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        router = router_pb2_grpc.RouterServiceStub(channel)
        await router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"), timeout=SAFETY_S)
        routed = (
            await router.RouteCall(
                pb.RouteCallRequest(call_id="cli-1", caller="+4917000001", dialed_number="+4930100100"),
                timeout=SAFETY_S,
            )
        ).call
        assert (routed.queue, routed.state) == ("sales", states_pb2.CALL_STATE_RINGING)
        assert (routed.offer.agent_id, routed.offer.endpoint) == ("anna", "sip:1001@pbx.local")
        assert routed.offer.ring_timeout.ToMilliseconds() == 5_000
        answered = await router.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(
                call_id="cli-1", offer_id=routed.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
            ),
            timeout=SAFETY_S,
        )
        assert answered.call.state == states_pb2.CALL_STATE_CONNECTED
        ended = await router.HangupCall(pb.HangupCallRequest(call_id="cli-1"), timeout=SAFETY_S)
        assert ended.call.state == states_pb2.CALL_STATE_COMPLETED

    redis_pid = up.redis_pid()
    up.signal(signal.SIGTERM)
    assert await up.wait_exit() == 0, up.stderr[-2000:]
    assert redis_pid is not None and not alive(redis_pid), "the embedded Redis must stop with its process"
    assert not embedded_redis_answers(up.data_dir), "the embedded Redis must stop with the process that started it"
    assert b"cc:{default}:call:cli-1" in (up.data_dir / "appendonly.aof").read_bytes()


BAD_CONFIGS = {
    "agent of a missing queue": (
        '[[queues]]\nname = "sales"\n[[agents]]\nid = "anna"\nendpoint = "sip:1"\nqueues = ["nope"]\n',
        {},
        ["agents[0]", "queue nope does not exist"],
    ),
    "toml syntax": ('[[queues]]\nname = "sales\n', {}, ["bad.toml", "line 2"]),
    "overflow loop": (
        '[[queues]]\nname = "a"\noverflow_queue = "b"\n[[queues]]\nname = "b"\noverflow_queue = "a"\n',
        {},
        ["bad.toml", "in a loop: a (queues[0]) -> b (queues[1]) -> a (queues[0])"],
    ),
    "bad environment variable": ("", {"CALLCENTER_TENANT": "two words"}, ["CALLCENTER_TENANT", "'two words'"]),
}


@pytest.mark.parametrize("toml, env, named", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
async def test_up_with_a_bad_configuration_exits_2_naming_the_problem(start_callcenter, tmp_path, toml, env, named):
    config = tmp_path / "bad.toml"
    config.write_text(toml or '[[queues]]\nname = "sales"\n')
    up = await start_callcenter("up", "--router-port", "0", "--config", str(config), **env)
    assert await up.wait_exit() == 2, up.stderr[-2000:]
    message = up.stderr.strip().splitlines()[-1]
    assert message.startswith("callcenter: configuration error: ")
    for part in named:
        assert part in message
    assert "Traceback" not in up.stderr
    assert redis_servers_of(up.data_dir) == []


async def test_a_port_variable_that_is_not_a_number_exits_2_naming_it(start_callcenter):
    up = await start_callcenter("up", CALLCENTER_ROUTER_PORT="fifty")
    assert await up.wait_exit() == 2
    assert "CALLCENTER_ROUTER_PORT" in up.stderr.strip().splitlines()[-1]


async def test_a_fractional_shutdown_grace_that_gateway_and_recorder_accept_starts_up(start_callcenter):
    up = await start_callcenter("up", "--router-port", "0", CALLCENTER_SHUTDOWN_GRACE_S="0.5")
    await up.wait_ready()
    up.signal(signal.SIGTERM)
    assert await up.wait_exit() == 0


@contextlib.contextmanager
def redis_lock_held(data_dir: pathlib.Path):
    """Holds the data dir's start lock: a process starting the embedded Redis there waits
    for it before the redis-server exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "redis.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def assert_stopped_cleanly(child: Callcenter) -> None:
    """Exit code 0, and the redis-server it started (by pid) and any other serving its data dir gone."""
    code = await child.wait_exit()
    assert code == 0, f"exit code {code}: {child.stderr[-2000:]}"
    assert "Traceback" not in child.stderr, child.stderr[-2000:]
    pid = child.redis_pid()
    assert pid is None or not alive(pid), f"redis-server {pid} outlived the callcenter that started it"
    assert redis_servers_of(child.data_dir) == [], "a stopped callcenter must not leave a redis-server running"


# The line each command prints (stdout) or logs once it serves.
SERVING = {"redis": "embedded Redis: ", "stats": '"event": "stats.started"'}


@pytest.mark.parametrize("command", ["redis", "stats"])
async def test_sigterm_before_the_redis_server_exists_still_stops_it_once_started(start_callcenter, tmp_path, command):
    data_dir = tmp_path / "data"
    with redis_lock_held(data_dir):
        child = await start_callcenter(command, CALLCENTER_DATA_DIR=str(data_dir), CALLCENTER_STATS_PORT="0")
        await child.wait_log("embedded_redis.starting")
        child.signal(signal.SIGTERM)  # it waits for the lock: no redis-server yet
    await assert_stopped_cleanly(child)


@pytest.mark.parametrize("command", ["redis", "stats"])
async def test_sigterm_as_soon_as_the_redis_server_started_stops_it(start_callcenter, command):
    child = await start_callcenter(command, CALLCENTER_STATS_PORT="0")
    started = await child.wait_log("embedded_redis.started")
    child.signal(signal.SIGTERM)  # stats: still starting (its gRPC server is not up yet)
    await assert_stopped_cleanly(child)
    assert not alive(started["pid"])


@pytest.mark.parametrize("command", ["redis", "stats"])
async def test_a_second_sigterm_while_stopping_still_stops_the_redis_server(start_callcenter, command):
    child = await start_callcenter(command, CALLCENTER_STATS_PORT="0")
    await child.wait_for(lambda: SERVING[command] in child.stdout + child.stderr, "serving")
    child.signal(signal.SIGTERM)
    await child.wait_log("process.stopping")
    child.signal(signal.SIGTERM)  # Kubernetes, systemd or an impatient Ctrl+C: again, while it stops
    await assert_stopped_cleanly(child)


async def test_sigterm_while_starting_up_leaves_no_embedded_redis_running(start_callcenter, tmp_path):
    # The config file is a FIFO: the process is held reading it, after its Redis started and
    # before anything serves, until the test writes it (after the signal).
    fifo = tmp_path / "queues.toml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as f:
            f.write('[[queues]]\nname = "sales"\n')

    up = await start_callcenter("up", "--router-port", "0", "--stats-port", "0", "--config", str(fifo))
    redis_pid = (await up.wait_log("embedded_redis.started"))["pid"]
    up.signal(signal.SIGTERM)
    feeding = asyncio.create_task(asyncio.to_thread(feed))
    try:
        await assert_stopped_cleanly(up)
    finally:
        if not feeding.done():  # the process died before reading: let the writer go
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        with contextlib.suppress(OSError):
            await feeding
    assert not alive(redis_pid)


async def test_sigterm_stops_callcenter_redis_and_its_server(start_callcenter):
    redis_only = await start_callcenter("redis")
    await redis_only.wait_for(lambda: "embedded Redis: " in redis_only.stdout, "serving")
    assert embedded_redis_answers(redis_only.data_dir)
    redis_only.signal(signal.SIGTERM)
    await assert_stopped_cleanly(redis_only)
    assert not embedded_redis_answers(redis_only.data_dir), "callcenter redis left its redis-server running"


# The option of each listener of `callcenter up`, and how its start-up line names it.
LISTENERS = {
    "--router-port": "router gRPC",
    "--stats-port": "stats gRPC",
    "--recorder-port": "recorder gRPC",
    "--webhooks-port": "webhooks gRPC",
    "--gateway-port": "dashboard",
}


async def test_a_second_up_on_the_ports_of_a_running_one_exits_2_naming_the_taken_port(start_callcenter):
    first = await start_callcenter("up", *(arg for option in LISTENERS for arg in (option, "0")))
    await first.wait_ready()
    ports = {option: first.port_of(label) for option, label in LISTENERS.items()}
    # The same machine and data dir (a second `callcenter up` in the same folder), one for
    # each listener: that one on the first one's port, the others on free ports.
    seconds = {
        taken: await start_callcenter(
            "up",
            *(arg for option in LISTENERS for arg in (option, str(port) if option == taken else "0")),
            CALLCENTER_DATA_DIR=str(first.data_dir),
        )
        for taken, port in ports.items()
    }
    for taken, second in seconds.items():
        port = ports[taken]
        assert await second.wait_exit() == 2, second.stderr[-2000:]
        assert second.stderr.strip().splitlines()[-1] == (
            f"callcenter: could not bind 127.0.0.1:{port}: the port is taken (another service runs there?)"
        ), taken
        assert "Traceback" not in second.stderr and READY_LINE not in second.stdout
    # The first one never shared a port and still serves, on its own Redis.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{ports['--router-port']}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=SAFETY_S)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert redis_servers_of(first.data_dir) == [first.redis_pid()]
    first.signal(signal.SIGTERM)
    await assert_stopped_cleanly(first)


async def test_the_demo_scales_the_stats_thresholds_with_its_speed(start_callcenter):
    from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc

    up = await start_callcenter("up", "--router-port", "0", "--stats-port", "0", "--demo", "--demo-speed", "4")
    await up.wait_ready()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{up.port_of('stats gRPC')}") as channel:
        stats = stats_pb2_grpc.StatsServiceStub(channel)
        queues = await stats.GetQueueStats(stats_pb2.GetQueueStatsRequest(), timeout=SAFETY_S)
        agents = await stats.GetAgentStats(stats_pb2.GetAgentStatsRequest(), timeout=SAFETY_S)
        board = await stats.GetBoard(stats_pb2.GetBoardRequest(), timeout=SAFETY_S)
    # 20 s service level, 5 s short abandon, 30 s successful touch, 60 s overdue: simulated
    # seconds, 4 times faster (whole seconds, the stats' resolution).
    assert queues.service_level_threshold.ToSeconds() == 5
    assert queues.short_abandon_threshold.ToSeconds() == 1
    assert agents.successful_touch_threshold.ToSeconds() == 8
    assert board.overdue_after.ToSeconds() == 15
    up.signal(signal.SIGTERM)
    await assert_stopped_cleanly(up)


async def test_callcenter_redis_on_a_taken_port_exits_2_naming_it(start_callcenter):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        child = await start_callcenter("redis", "--port", str(port))
        assert await child.wait_exit() == 2, child.stderr[-2000:]
    assert child.stderr.strip().splitlines()[-1] == (
        f"callcenter: could not bind 127.0.0.1:{port}: the port is taken (another Redis there?)"
    )
    assert redis_servers_of(child.data_dir) == []


async def test_the_demo_plays_chats_onto_the_conversations_board(start_callcenter):
    from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc

    up = await start_callcenter("up", "--router-port", "0", "--stats-port", "0", "--demo")
    await up.wait_ready()
    # The demo's summary (every 5 s) counts chats started and still open on the support queue...
    opened = re.compile(r"\| chats (\d+) assigned \d+ replied \d+ closed \d+ \| open (\d+)")
    found = await up.wait_for(
        lambda: next((m for m in opened.finditer(up.stdout) if int(m.group(2)) >= 2), None), "chats on the summary"
    )
    assert int(found.group(1)) >= 2
    # ... and the stats service's conversations board shows them, per queue and operator.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{up.port_of('stats gRPC')}") as channel:
        stats = stats_pb2_grpc.StatsServiceStub(channel)
        board = await stats.GetConversationBoard(stats_pb2.GetConversationBoardRequest(), timeout=SAFETY_S)
    assert board.total.open >= 1 and board.operators_online >= 1
    assert "sim-support" in {q.queue for q in board.queues}
    up.signal(signal.SIGTERM)
    await assert_stopped_cleanly(up)
