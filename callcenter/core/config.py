"""Settings every service shares, read from environment variables (callcenter/core/settings.py
declares how; the defaults are here). A service's own settings live in its `config.py` and hold
a `CommonConfig` as `common`.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from callcenter.core.settings import ConfigError, load, setting

__all__ = ["CommonConfig", "ConfigError", "TENANT_PATTERN", "key_prefix", "shutdown_grace", "event_stream_maxlen"]

TENANT_PATTERN = r"[A-Za-z0-9_.-]{1,64}"


@dataclass(frozen=True)
class CommonConfig:
    """What every service needs: where Redis is, where data lives, which tenant, how to log."""

    redis_url: str = setting(
        "CALLCENTER_REDIS_URL",
        "",
        "`redis://host:6379/0`, `rediss://…`, `unix:///path.sock`, `redis+cluster://node:6379` (Redis Cluster) or"
        " `redis+sentinel://s1:26379,s2:26379,s3:26379/mymaster[/db]` (the primary Sentinels name, again after a"
        " failover; `rediss+sentinel://` for TLS); `?wait_replicas=1` makes each write wait until a replica has it"
        " (docs/deploy.md, Redis high availability); empty: the embedded Redis",
    )
    data_dir: pathlib.Path = setting(
        "CALLCENTER_DATA_DIR",
        pathlib.Path("./data"),
        "embedded Redis data and socket; recordings unless set apart",
        shown_default="`./data`",
    )
    tenant: str = setting(
        "CALLCENTER_TENANT", "default", "site whose keys are used (they share one hash tag)", pattern=TENANT_PATTERN
    )
    log_format: str = setting(
        "CALLCENTER_LOG_FORMAT",
        "auto",
        "log format: `auto` is console when stderr is a terminal, JSON otherwise",
        choices=("auto", "json", "console"),
    )
    log_level: str = setting(
        "CALLCENTER_LOG_LEVEL",
        "info",
        "log level name",
        choices=("debug", "info", "warning", "error", "critical"),
    )
    # Requests beyond the pool wait for a free connection instead of failing: Redis runs
    # scripts one at a time anyway, so more connections add no throughput.
    redis_max_connections: int = setting(
        "CALLCENTER_REDIS_MAX_CONNECTIONS",
        64,
        "most connections of the Redis pool a process serves its RPCs from (its timers and stream readers have"
        " small pools of their own: docs/architecture.md, Redis connections)",
        minimum=4,
        maximum=10_000,
    )
    redis_wait_s: float = setting(
        "CALLCENTER_REDIS_WAIT_S",
        10.0,
        "how long a request waits for a free Redis connection before it fails",
        minimum=0.1,
        maximum=300,
    )

    otlp_endpoint: str = setting(
        "CALLCENTER_OTLP_ENDPOINT",
        "",
        "OpenTelemetry collector (OTLP/gRPC, e.g. `http://otel-collector:4317`) the spans go to; empty: trace ids"
        " are only logged",
        pattern=r"[^\s]{0,500}",
    )

    @classmethod
    def from_env(cls) -> CommonConfig:
        return load(cls)


def shutdown_grace(default: float = 5.0) -> float:
    """The field every service has: seconds for in-flight work on SIGTERM."""
    return setting(  # type: ignore[no-any-return]
        "CALLCENTER_SHUTDOWN_GRACE_S", default, "seconds for in-flight work on SIGTERM", minimum=0, maximum=3600
    )


def event_stream_maxlen(default: int = 1_000_000) -> int:
    """The field of every service that appends to the event stream (XADD MAXLEN ~)."""
    return setting(  # type: ignore[no-any-return]
        "CALLCENTER_EVENT_STREAM_MAXLEN",
        default,
        "approximate length cap of the event stream",
        minimum=1000,
        maximum=1_000_000_000,
    )


def key_prefix(tenant: str) -> str:
    """The prefix of every Redis key of a tenant. The {hash tag} keeps them in one cluster slot."""
    return f"cc:{{{tenant}}}:"
