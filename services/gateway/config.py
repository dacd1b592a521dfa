"""The gateway's settings, from environment variables; every default is here."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

from callcenter.core.config import CommonConfig, env_float, env_int, env_str


@dataclass(frozen=True)
class GatewayConfig:
    common: CommonConfig = field(default_factory=CommonConfig)
    # Where the HTTP server listens; port 0 picks a free port (written to port_file).
    host: str = "127.0.0.1"
    port: int = 8080
    port_file: pathlib.Path | None = None
    # The gRPC services the gateway asks (host:port).
    router_addr: str = "127.0.0.1:50051"
    stats_addr: str = "127.0.0.1:50052"
    recorder_addr: str = "127.0.0.1:50053"
    # Deadline of every gRPC call the gateway makes, in seconds.
    rpc_timeout_s: float = 5.0
    # A login session ends after this long without a request.
    session_ttl_s: int = 8 * 3600
    # Mark the session cookie Secure (serve over HTTPS, e.g. behind the Ingress).
    secure_cookies: bool = False
    # Seconds to let running requests finish on SIGTERM.
    shutdown_grace_s: float = 5.0

    @classmethod
    def from_env(cls) -> GatewayConfig:
        port_file = env_str("CALLCENTER_GATEWAY_PORT_FILE", "")
        return cls(
            common=CommonConfig.from_env(),
            host=env_str("CALLCENTER_GATEWAY_HOST", cls.host),
            port=env_int("CALLCENTER_GATEWAY_PORT", cls.port, minimum=0),
            port_file=pathlib.Path(port_file) if port_file else None,
            router_addr=env_str("CALLCENTER_ROUTER_ADDR", cls.router_addr),
            stats_addr=env_str("CALLCENTER_STATS_ADDR", cls.stats_addr),
            recorder_addr=env_str("CALLCENTER_RECORDER_ADDR", cls.recorder_addr),
            rpc_timeout_s=env_float("CALLCENTER_GATEWAY_RPC_TIMEOUT_S", cls.rpc_timeout_s, minimum=0.1),
            session_ttl_s=env_int("CALLCENTER_GATEWAY_SESSION_TTL_S", cls.session_ttl_s, minimum=60),
            secure_cookies=env_str("CALLCENTER_GATEWAY_SECURE_COOKIES", "0").lower() in ("1", "true", "yes"),
            shutdown_grace_s=env_float("CALLCENTER_SHUTDOWN_GRACE_S", cls.shutdown_grace_s, minimum=0),
        )
