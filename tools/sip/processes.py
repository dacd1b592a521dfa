"""Real Kamailio and sipp processes: a Kamailio running the integration's kamailio.cfg on a
loopback port chosen at run time, sipp agents' phones and callers (the scenarios in sipp/), and
their message traces read back with their timestamps."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sysconfig
import threading
import time
import urllib.request
from datetime import datetime

from prometheus_client.parser import text_string_to_metric_families

SCENARIOS = pathlib.Path(__file__).parent / "sipp"


def _integration_dir() -> pathlib.Path:
    """Where the Kamailio integration (kemi.py, kamailio.cfg) is installed; found, not imported
    (it imports KSR, which only Kamailio provides)."""
    spec = importlib.util.find_spec("callcenter.integrations.kamailio")
    assert spec is not None and spec.submodule_search_locations, "callcenter.integrations.kamailio is not installed"
    return pathlib.Path(next(iter(spec.submodule_search_locations)))


def sip_tools_missing() -> str:
    """Why the SIP tests cannot run here ('' when they can)."""
    missing = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]
    if not missing and not pathlib.Path("/usr/lib/x86_64-linux-gnu/kamailio/modules/app_python3.so").exists():
        missing.append("kamailio-python3-modules")
    return ", ".join(missing)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kamailio:
    """One Kamailio process with the integration; its log lines are kept and can be waited for."""

    def __init__(
        self,
        workdir: pathlib.Path,
        router_port: int,
        pbx_id: str,
        lease_ms: int = 3000,
        children: int = 4,
        env: dict[str, str] | None = None,
    ) -> None:
        """`env`: further settings (e.g. the credentials it presents to the router)."""
        self.workdir = workdir
        self.children = children
        self.port = free_udp_port()
        self.metrics_port = free_tcp_port()  # its Prometheus page (xhttp_prom)
        self.pbx_id = pbx_id
        self.env = {
            **os.environ,
            "CALLCENTER_PYTHON_SITE": sysconfig.get_paths()["purelib"],
            "CALLCENTER_ROUTER_ADDR": f"127.0.0.1:{router_port}",
            "CALLCENTER_KAMAILIO_PBX_ID": pbx_id,
            "CALLCENTER_KAMAILIO_LEASE_MS": str(lease_ms),
            "CALLCENTER_LOG_FORMAT": "json",
            "PYTHONDONTWRITEBYTECODE": "1",
            **(env or {}),
        }
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self, ready: str = "kamailio.session_opened") -> Kamailio:
        """Starts it and waits for the log line `ready` (by default: its PBX session is open)."""
        ctl = self.workdir / f"ctl-{self.port}.sock"
        self.process = subprocess.Popen(
            [
                "kamailio",
                "-f",
                str(_integration_dir() / "kamailio.cfg"),
                "-DD",
                "-E",
                "-w",
                str(self.workdir),
                "-A",
                f"CC_LISTEN=udp:127.0.0.1:{self.port}",
                "-A",
                f'CC_KEMI="{_integration_dir() / "kemi.py"}"',
                "-A",
                f"CC_CHILDREN={self.children}",
                "-A",
                f'CC_CTL="unix:{ctl}"',
                "-A",
                f"CC_METRICS_LISTEN=tcp:127.0.0.1:{self.metrics_port}",
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its workers in a group of their own: killed together
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(ready, timeout=30)
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 10, after: int = 0) -> str:
        """The first log line from index `after` holding `text` (waits for it)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.process is not None and self.process.poll() is not None):
                    raise AssertionError(f"kamailio never logged {text!r}:\n" + "\n".join(self.lines[-40:]))
                self._changed.wait(left)

    def metrics(self) -> str:
        """Its /metrics page (the Prometheus text format)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback URL
            return response.read().decode()

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of its /metrics page: (name, its labels sorted) -> value."""
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(self.metrics())
            for sample in family.samples
        }

    def kill(self) -> None:
        if self.process is not None:
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        if self.process is not None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            self._signal(signal.SIGKILL)  # any worker left behind
            if self._reader is not None:  # its output ends once every process is gone
                self._reader.join(timeout=10)
            if self.process.stdout is not None and (self._reader is None or not self._reader.is_alive()):
                self.process.stdout.close()
        (self.workdir / f"kamailio-{self.port}.log").write_text("\n".join(self.lines) + "\n")


@dataclasses.dataclass
class Message:
    """One SIP message in a sipp trace: when, sent or received, and its first line and headers."""

    at: datetime
    sent: bool
    first_line: str
    headers: dict[str, str]

    @property
    def method(self) -> str:
        return self.first_line.split(" ", 1)[0]


_ENTRY = re.compile(r"^-+ (\d{4}-\d\d-\d\d\t?[ ]?\d\d:\d\d:\d\d\.\d+)", re.M)


def read_trace(path: pathlib.Path) -> list[Message]:
    """sipp's -trace_msg file: each entry starts with a dashed line and its time."""
    if not path.exists():
        return []
    text = path.read_text(errors="replace")
    starts = list(_ENTRY.finditer(text))
    out = []
    for i, m in enumerate(starts):
        body = text[m.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        lines = [line for line in body.splitlines() if line.strip()]
        if not lines:
            continue
        sent = "sent" in lines[0].lower()
        sip = lines[1:]
        if not sip:
            continue
        headers = {}
        for line in sip[1:]:
            name, sep, value = line.partition(":")
            if sep and name and " " not in name.strip():
                headers.setdefault(name.strip().lower(), value.strip())
        stamp = re.sub(r"\s+", " ", m.group(1))
        out.append(Message(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f"), sent, sip[0].strip(), headers))
    return out


_DEFAULT = re.compile(r'<assignstr assign_to="(\w+)" value="([^"]*)"/>')


def scenario_defaults(scenario: pathlib.Path, args: tuple[str, ...]) -> list[str]:
    """`-set name value` for each variable the scenario's <Global> block gives a default and the
    arguments do not set: sipp 3.6 leaves those variables empty (its Global actions never run),
    so the defaults written in the scenario are passed on its command line."""
    text = scenario.read_text()
    start, end = text.find("<Global"), text.find("</Global>")
    given = {args[i + 1] for i in range(len(args) - 1) if args[i] == "-set"}
    out: list[str] = []
    for name, value in _DEFAULT.findall(text[start:end] if start >= 0 else ""):
        if name not in given:
            out += ["-set", name, value]
    return out


class Sipp:
    """One sipp process (an agent's phone as UAS, or callers as UAC), with its message trace."""

    def __init__(self, workdir: pathlib.Path, name: str, scenario: str, *args: str, port: int | None = None) -> None:
        self.workdir = workdir
        self.name = name
        self.port = port or free_udp_port()
        self.trace = workdir / f"{name}_messages.log"
        self.command = [
            "sipp",
            "-sf",
            str(SCENARIOS / scenario),
            "-i",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-trace_msg",
            "-message_file",
            str(self.trace),
            "-trace_err",
            "-error_file",
            str(workdir / f"{name}_errors.log"),
            "-nostdin",
            "-nr",
            *scenario_defaults(SCENARIOS / scenario, args),
            *args,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"sip:{self.name}@127.0.0.1:{self.port}"

    def start(self) -> Sipp:
        with open(self.workdir / f"{self.name}_stderr.log", "ab") as stderr:
            self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=self.workdir)
        return self

    def wait(self, timeout: float = 30) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def messages(self) -> list[Message]:
        return read_trace(self.trace)
