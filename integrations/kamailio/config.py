"""The Kamailio integration's settings, each declared once (environment variable, default,
bounds, meaning). Kamailio's processes inherit its environment."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from callcenter.core.grpc_security import GrpcClientCredentials
from callcenter.core.settings import load, nested, setting

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class KamailioSettings:
    # kemi.py reads it before anything of callcenter can be imported.
    python_site: str = setting(
        "CALLCENTER_PYTHON_SITE", "", "the site-packages folder where callcenter is installed (a virtualenv's)"
    )
    router_addr: str = setting(
        "CALLCENTER_ROUTER_ADDR", "127.0.0.1:50051", "the router Kamailio asks (host:port)", pattern=r"[^\s]{1,255}"
    )
    pbx_id: str = setting(
        "CALLCENTER_KAMAILIO_PBX_ID",
        "",
        "this Kamailio's PBX id, stable across restarts",
        pattern=r"[A-Za-z0-9_.-]{1,64}",
        shown_default="the host name",
    )
    lease_ms: int = setting(
        "CALLCENTER_KAMAILIO_LEASE_MS",
        6_000,
        "the session's lease: without a heartbeat for this long the router ends this Kamailio's calls",
        minimum=1_000,
        maximum=300_000,
    )
    rpc_timeout_ms: int = setting(
        "CALLCENTER_KAMAILIO_RPC_TIMEOUT_MS",
        2_000,
        "deadline of each router call a SIP worker makes (a late answer is a 503 to the caller)",
        minimum=50,
        maximum=30_000,
    )
    ring_compensation_ms: int = setting(
        "CALLCENTER_KAMAILIO_RING_COMPENSATION_MS",
        0,
        "added to each ring timeout (tm's timers tick 16 times a second: a ring ends 0-62 ms off the tick)",
        minimum=0,
        maximum=1000,
    )
    max_wait_ms: int = setting(
        "CALLCENTER_KAMAILIO_MAX_HOLD_MS",
        4 * HOUR_MS,
        "longest a waiting call's transaction is held (the queues' own max wait ends it sooner)",
        minimum=1_000,
        maximum=24 * HOUR_MS,
    )

    # Its token (a `pbx` role) and the CA of the router's certificate (docs/security.md).
    grpc: GrpcClientCredentials = nested(GrpcClientCredentials)

    def effective_pbx_id(self) -> str:
        return self.pbx_id or socket.gethostname()[:64]


def settings() -> KamailioSettings:
    return load(KamailioSettings)
