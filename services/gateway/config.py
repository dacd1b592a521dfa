"""The gateway's settings, each declared once (environment variable, default, bounds, meaning)."""

from __future__ import annotations

import ipaddress
import pathlib
from dataclasses import dataclass

from callcenter.core.config import CommonConfig, shutdown_grace
from callcenter.core.grpc_security import GrpcClientCredentials
from callcenter.core.ops_server import OpsSettings
from callcenter.core.settings import ConfigError, load, nested, setting

ADDRESS = r"[^\s]{1,255}"


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins are let through before the gateway answers 429 (per user and per
    client address, counted in Redis so every replica shares them), and how many password
    checks (scrypt, in threads) run at once: login_throttle.py and passwords.py."""

    failures_per_user: int = setting(
        "CALLCENTER_GATEWAY_LOGIN_FAILURES_PER_USER",
        10,
        "failed logins of one username in a window before its logins are refused (429) until the window ends",
        minimum=1,
        maximum=100_000,
    )
    failures_per_address: int = setting(
        "CALLCENTER_GATEWAY_LOGIN_FAILURES_PER_ADDRESS",
        100,
        "failed logins (and ones refused as busy, 503) from one client address (IPv6: its /64) in a window "
        "before its logins are refused (429)",
        minimum=1,
        maximum=1_000_000,
    )
    window_s: int = setting(
        "CALLCENTER_GATEWAY_LOGIN_WINDOW_S",
        900,
        "the window of those counts: it starts at the first failure and a refusal's Retry-After is what is left of it",
        minimum=1,
        maximum=86_400,
    )
    password_workers: int = setting(
        "CALLCENTER_GATEWAY_PASSWORD_WORKERS",
        1,
        "password hashes and checks (scrypt, ~16 MiB and ~80 ms each) run at once, in threads off the event loop",
        minimum=1,
        maximum=64,
    )
    password_queue: int = setting(
        "CALLCENTER_GATEWAY_PASSWORD_QUEUE",
        16,
        "logins waiting for a password worker; one more is refused at once (503, Retry-After: 1)",
        minimum=0,
        maximum=10_000,
    )
    trusted_proxies: str = setting(
        "CALLCENTER_GATEWAY_TRUSTED_PROXIES",
        "",
        "comma-separated addresses or networks of reverse proxies (the Ingress controller) whose "
        "X-Forwarded-For names the client; empty: the connection's peer is the client",
        pattern=r"[0-9A-Fa-f:.,/ ]{0,2000}",
    )

    def __post_init__(self) -> None:
        self.proxy_networks()  # a bad entry is refused at start-up, naming the variable

    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        try:
            return tuple(
                ipaddress.ip_network(item.strip(), strict=False)
                for item in self.trusted_proxies.split(",")
                if item.strip()
            )
        except ValueError as exc:
            raise ConfigError(f"CALLCENTER_GATEWAY_TRUSTED_PROXIES: {exc}") from None


@dataclass(frozen=True)
class Quotas:
    """What one gateway process holds open at most: server-sent-event streams per user and in
    all (live.py: beyond, 429 or 503 with Retry-After), connections in all, how long a
    connection may take to send a request's headers or sit idle between requests
    (connection_guard.py), and how long a stream stays quiet before its keepalive (live.py)."""

    streams_per_user: int = setting(
        "CALLCENTER_GATEWAY_MAX_STREAMS_PER_USER",
        5,
        "open event streams (GET /api/v1/events, one per dashboard tab) of one user; one more is refused (429)",
        minimum=1,
        maximum=1_000,
    )
    conversation_streams_per_user: int = setting(
        "CALLCENTER_GATEWAY_MAX_CONVERSATION_STREAMS_PER_USER",
        100,
        "open streams of one conversation's messages (GET /api/v1/conversations/{id}/messages/stream, one per"
        " chat a widget's backend follows) of one user; one more is refused (429). They count among the"
        " gateway's streams",
        minimum=1,
        maximum=100_000,
    )
    streams: int = setting(
        "CALLCENTER_GATEWAY_MAX_STREAMS",
        300,
        "open event streams of all users together; one more is refused (503). Each costs event-loop time per batch"
        " of events its user may see (docs/gateway.md, Quotas)",
        minimum=1,
        maximum=100_000,
    )
    connections: int = setting(
        "CALLCENTER_GATEWAY_MAX_CONNECTIONS",
        1_000,
        "open HTTP connections; one more is answered 503 and closed at once (streams count as connections)",
        minimum=2,
        maximum=1_000_000,
    )
    header_timeout_s: float = setting(
        "CALLCENTER_GATEWAY_HEADER_TIMEOUT_S",
        10.0,
        "a connection that has not sent a request's whole header this long after it opened, or after the first"
        " byte of its next request, is closed",
        minimum=0.05,
        maximum=300,
    )
    idle_timeout_s: float = setting(
        "CALLCENTER_GATEWAY_IDLE_TIMEOUT_S",
        75.0,
        "a kept-alive connection without a request this long after its last response is closed",
        minimum=0.05,
        maximum=3_600,
    )
    stream_keepalive_s: float = setting(
        "CALLCENTER_GATEWAY_STREAM_KEEPALIVE_S",
        15.0,
        "an event stream (the live feed, a wallboard's, a conversation's messages) quiet this long writes a"
        " `: keepalive` comment, so proxies keep it open; at each one its session (or wallboard link) is checked"
        " again, ending the stream of a user logged out, and a conversation's stream reads its messages again",
        minimum=0.05,
        maximum=300,
    )


@dataclass(frozen=True)
class ThresholdDefaults:
    """The board's alert limits before an admin sets any (domain/thresholds.py; admins change
    them per queue and for all agents in PUT /api/v1/thresholds/...)."""

    service_level_min_percent: float = setting(
        "CALLCENTER_GATEWAY_SERVICE_LEVEL_MIN_PERCENT",
        80.0,
        "a queue's service level today below this is an alert",
        minimum=0,
        maximum=100,
    )
    longest_wait_max_s: int = setting(
        "CALLCENTER_GATEWAY_LONGEST_WAIT_MAX_S",
        60,
        "a queue's longest waiting call past this is an alert",
        minimum=1,
        maximum=86_400,
    )
    abandoned_max_percent: float = setting(
        "CALLCENTER_GATEWAY_ABANDONED_MAX_PERCENT",
        10.0,
        "a queue's abandonment rate today above this is an alert",
        minimum=0,
        maximum=100,
    )
    ringing_max_s: int = setting(
        "CALLCENTER_GATEWAY_RINGING_MAX_S",
        30,
        "an agent ringing (reserved) longer than this is flagged stuck",
        minimum=1,
        maximum=3_600,
    )
    wrap_up_max_s: int = setting(
        "CALLCENTER_GATEWAY_WRAP_UP_MAX_S",
        300,
        "an agent in wrap-up longer than this is flagged stuck",
        minimum=1,
        maximum=86_400,
    )
    paused_max_s: int = setting(
        "CALLCENTER_GATEWAY_PAUSED_MAX_S",
        1_800,
        "an agent paused longer than this is flagged stuck",
        minimum=1,
        maximum=86_400,
    )


@dataclass(frozen=True)
class AutomationSettings:
    """The automation rules' consumer (automation.py): one member per replica of the consumer
    group `automation` on the event stream."""

    consume: bool = setting(
        "CALLCENTER_GATEWAY_AUTOMATION_CONSUME",
        True,
        "evaluate the automation rules on the event stream in this replica (off: only tests that drive it)",
    )
    batch_size: int = setting(
        "CALLCENTER_GATEWAY_AUTOMATION_BATCH", 100, "events read per round", minimum=1, maximum=10_000
    )
    block_ms: int = setting(
        "CALLCENTER_GATEWAY_AUTOMATION_BLOCK_MS",
        1000,
        "how long one read waits for new events",
        minimum=1,
        maximum=60_000,
    )
    claim_idle_ms: int = setting(
        "CALLCENTER_GATEWAY_AUTOMATION_CLAIM_IDLE_MS",
        30_000,
        "an event pending this long at another member (it died) is taken over and evaluated again",
        minimum=0,
        maximum=86_400_000,
    )
    done_retention_s: int = setting(
        "CALLCENTER_GATEWAY_AUTOMATION_DONE_RETENTION_S",
        7 * 86_400,
        "how long an (event, rule) pair is remembered as evaluated: a redelivery within it makes no second task",
        minimum=60,
        maximum=90 * 86_400,
    )
    max_deliveries: int = setting(
        "CALLCENTER_GATEWAY_AUTOMATION_MAX_DELIVERIES",
        5,
        "deliveries of an event whose evaluation keeps failing (a backend down, stats not caught up) before"
        " it is given up (logged)",
        minimum=1,
        maximum=1000,
    )


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
    webhooks_addr: str = setting(
        "CALLCENTER_WEBHOOKS_ADDR",
        "127.0.0.1:50054",
        "the webhooks service CRM events in (POST /api/v1/crm/events) go to",
        pattern=ADDRESS,
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
        "CALLCENTER_GATEWAY_SECURE_COOKIES",
        False,
        "mark the session cookie `Secure` and send Strict-Transport-Security (HTTPS, e.g. behind the Ingress)",
    )
    time_zone: str = setting(
        "CALLCENTER_GATEWAY_TIME_ZONE",
        "UTC",
        "the site's time zone (IANA name, e.g. Europe/Berlin): recurring tasks' months and years follow its calendar",
        pattern=r"[A-Za-z0-9_+\-/]{1,64}",
    )
    shutdown_grace_s: float = shutdown_grace()
    login: LoginLimits = nested(LoginLimits)
    quotas: Quotas = nested(Quotas)
    thresholds: ThresholdDefaults = nested(ThresholdDefaults)
    automation: AutomationSettings = nested(AutomationSettings)
    grpc: GrpcClientCredentials = nested(GrpcClientCredentials)
    ops: OpsSettings = nested(OpsSettings)

    @classmethod
    def from_env(cls) -> GatewayConfig:
        return load(cls)


@dataclass(frozen=True)
class NewUserEnvironment:
    """What `callcenter user create` takes from the environment."""

    password: str = setting(
        "CALLCENTER_NEW_USER_PASSWORD", "", "the new user's password instead of the prompt (or `--password-stdin`)"
    )
