"""The gateway's settings, each declared once (environment variable, default, bounds, meaning)."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from callcenter.core.config import CommonConfig, shutdown_grace
from callcenter.core.settings import load, nested, setting

ADDRESS = r"[^\s]{1,255}"


@dataclass(frozen=True)
class GatewayConfig:
    common: CommonConfig = nested(CommonConfig)
    host: str = setting("CALLCENTER_GATEWAY_HOST", "127.0.0.1", "address the gateway's HTTP server binds")
    port: int = setting("CALLCENTER_GATEWAY_PORT", 8080, "gateway port; 0 picks a free one", minimum=0, maximum=65535)
    port_file: pathlib.Path | None = setting(
        "CALLCENTER_GATEWAY_PORT_FILE", None, "write the bound port to this file once serving"
    )
    router_addr: str = setting("CALLCENTER_ROUTER_ADDR", "127.0.0.1:50051", "the router it calls", pattern=ADDRESS)
    stats_addr: str = setting("CALLCENTER_STATS_ADDR", "127.0.0.1:50052", "the stats service it calls", pattern=ADDRESS)
    recorder_addr: str = setting(
        "CALLCENTER_RECORDER_ADDR", "127.0.0.1:50053", "the recorder it calls", pattern=ADDRESS
    )
    rpc_timeout_s: float = setting(
        "CALLCENTER_GATEWAY_RPC_TIMEOUT_S", 5.0, "deadline of every gRPC call it makes", minimum=0.1, maximum=300
    )
    session_ttl_s: int = setting(
        "CALLCENTER_GATEWAY_SESSION_TTL_S",
        8 * 3600,
        "a login session ends after this long without a request",
        minimum=60,
        maximum=30 * 86_400,
    )
    secure_cookies: bool = setting(
        "CALLCENTER_GATEWAY_SECURE_COOKIES", False, "mark the session cookie `Secure` (HTTPS, e.g. behind the Ingress)"
    )
    shutdown_grace_s: float = shutdown_grace()

    @classmethod
    def from_env(cls) -> GatewayConfig:
        return load(cls)


@dataclass(frozen=True)
class NewUserEnvironment:
    """What `callcenter user create` takes from the environment."""

    password: str = setting(
        "CALLCENTER_NEW_USER_PASSWORD", "", "the new user's password instead of the prompt (or `--password-stdin`)"
    )
