"""The router's settings, from environment variables; every default is here."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

from callcenter.core.config import CommonConfig, env_float, env_int, env_str


@dataclass(frozen=True)
class QueueDefaults:
    """What a queue gets for a setting it leaves unset."""

    ring_timeout_ms: int = 5_000  # S1.2: no answer within 5 s -> next agent
    wrap_up_ms: int = 180_000  # S1.3: 3 minutes without calls after a call
    retry_delay_ms: int = 2_000  # every free agent tried: wait this long, then try them again
    strategy: str = "longest_idle"
    vip_overflow_ms: int = 30_000  # S1.7: a VIP waits this long for an experienced agent
    manager_wait_ms: int = 5_000  # S1.6: a returning caller waits this long for a busy manager
    max_no_answer: int = 3  # S1.4: misses in a row before an agent is paused
    max_call_lifetime_ms: int = 4 * 3_600_000  # a call whose hang-up never comes ends after this


@dataclass(frozen=True)
class PbxSettings:
    """PBX sessions (docs/pbx-integration.md)."""

    # With a PBX that runs the ring timer itself, the router's backstop expires an offer this
    # long after the ring timeout, so the PBX's own no-answer always comes first.
    ring_grace_ms: int = 2_000
    # A waiting call's new position goes on its PBX's stream at most this often.
    position_interval_ms: int = 5_000
    # Messages kept per PBX stream (how far back a reconnecting PBX may resume).
    stream_maxlen: int = 100_000
    # A session's lease when the hello asks for none.
    default_lease_ms: int = 10_000
    # Sessions one replica serves at once (each holds a Redis connection while it reads);
    # more are refused RESOURCE_EXHAUSTED, to open on another replica.
    max_sessions: int = 32


@dataclass(frozen=True)
class RouterConfig:
    common: CommonConfig = field(default_factory=CommonConfig)
    # Address the gRPC server binds; port 0 picks a free port (logged and written to port_file).
    host: str = "127.0.0.1"
    port: int = 50051
    # When set, the bound port is written to this file once the server is ready.
    port_file: pathlib.Path | None = None
    # Longest sleep of the timer loop between looks at the timer set; a timer set by another
    # replica fires at most this late (the loop sleeps exactly until the next known deadline).
    timer_poll_ms: int = 50
    # Approximate maximum number of entries in the event stream (XADD MAXLEN ~).
    event_stream_maxlen: int = 1_000_000
    # How long a finished call's keys stay in Redis (GetCall, idempotent retries).
    call_retention_s: int = 86_400
    # Seconds to let in-flight RPCs finish on SIGTERM.
    shutdown_grace_s: float = 5.0
    # Optional TOML file with queues and agents to create at start.
    config_file: pathlib.Path | None = None
    queue_defaults: QueueDefaults = field(default_factory=QueueDefaults)
    pbx: PbxSettings = field(default_factory=PbxSettings)

    @classmethod
    def from_env(cls) -> RouterConfig:
        port_file = env_str("CALLCENTER_ROUTER_PORT_FILE", "")
        config_file = env_str("CALLCENTER_ROUTER_CONFIG", "")
        return cls(
            common=CommonConfig.from_env(),
            host=env_str("CALLCENTER_ROUTER_HOST", cls.host),
            port=env_int("CALLCENTER_ROUTER_PORT", cls.port, minimum=0),
            port_file=pathlib.Path(port_file) if port_file else None,
            timer_poll_ms=env_int("CALLCENTER_ROUTER_TIMER_POLL_MS", cls.timer_poll_ms, minimum=1),
            event_stream_maxlen=env_int("CALLCENTER_EVENT_STREAM_MAXLEN", cls.event_stream_maxlen, minimum=1000),
            call_retention_s=env_int("CALLCENTER_CALL_RETENTION_S", cls.call_retention_s, minimum=1),
            shutdown_grace_s=env_float("CALLCENTER_SHUTDOWN_GRACE_S", cls.shutdown_grace_s, minimum=0),
            config_file=pathlib.Path(config_file) if config_file else None,
            queue_defaults=QueueDefaults(
                ring_timeout_ms=env_int("CALLCENTER_DEFAULT_RING_TIMEOUT_MS", QueueDefaults.ring_timeout_ms, minimum=1),
                wrap_up_ms=env_int("CALLCENTER_DEFAULT_WRAP_UP_MS", QueueDefaults.wrap_up_ms, minimum=0),
                retry_delay_ms=env_int("CALLCENTER_DEFAULT_RETRY_DELAY_MS", QueueDefaults.retry_delay_ms, minimum=1),
                vip_overflow_ms=env_int("CALLCENTER_DEFAULT_VIP_OVERFLOW_MS", QueueDefaults.vip_overflow_ms, minimum=1),
                manager_wait_ms=env_int("CALLCENTER_DEFAULT_MANAGER_WAIT_MS", QueueDefaults.manager_wait_ms, minimum=0),
                max_no_answer=env_int("CALLCENTER_DEFAULT_MAX_NO_ANSWER", QueueDefaults.max_no_answer, minimum=0),
                max_call_lifetime_ms=env_int(
                    "CALLCENTER_DEFAULT_MAX_CALL_LIFETIME_MS", QueueDefaults.max_call_lifetime_ms, minimum=1000
                ),
            ),
            pbx=PbxSettings(
                ring_grace_ms=env_int("CALLCENTER_PBX_RING_GRACE_MS", PbxSettings.ring_grace_ms, minimum=0),
                position_interval_ms=env_int(
                    "CALLCENTER_PBX_POSITION_INTERVAL_MS", PbxSettings.position_interval_ms, minimum=100
                ),
                stream_maxlen=env_int("CALLCENTER_PBX_STREAM_MAXLEN", PbxSettings.stream_maxlen, minimum=1000),
                default_lease_ms=env_int("CALLCENTER_PBX_DEFAULT_LEASE_MS", PbxSettings.default_lease_ms, minimum=1000),
                max_sessions=env_int("CALLCENTER_PBX_MAX_SESSIONS", PbxSettings.max_sessions, minimum=1),
            ),
        )
