"""Settings every service shares, read from environment variables (defaults in this one place).

A service's own settings live in its `config.py` and build on `CommonConfig`.
"""

from __future__ import annotations

import os
import pathlib
import re
from dataclasses import dataclass

TENANT_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class CommonConfig:
    """What every service needs: where Redis is, where data lives, which tenant, how to log."""

    # Redis URL (redis://host:6379/0, unix:///path/redis.sock). Empty: start the embedded one.
    redis_url: str = ""
    # Folder for the embedded Redis (append-only file, socket) and other local data.
    data_dir: pathlib.Path = pathlib.Path("./data")
    # Tenant (site) whose keys this process works on; its keys share one hash tag.
    tenant: str = "default"
    # Log format: "auto" (console on a terminal, JSON otherwise), "json" or "console".
    log_format: str = "auto"
    # Log level name.
    log_level: str = "info"
    # Most Redis connections one process opens. Requests beyond it wait (up to
    # redis_wait_s) for a free one instead of failing: Redis runs scripts one at a time
    # anyway, so more connections add no throughput.
    redis_max_connections: int = 64
    redis_wait_s: float = 10.0

    @classmethod
    def from_env(cls) -> CommonConfig:
        tenant = env_str("CALLCENTER_TENANT", cls.tenant)
        if not TENANT_PATTERN.match(tenant):
            raise ConfigError(f"CALLCENTER_TENANT must match {TENANT_PATTERN.pattern}, got {tenant!r}")
        log_format = env_str("CALLCENTER_LOG_FORMAT", cls.log_format)
        if log_format not in ("auto", "json", "console"):
            raise ConfigError(f"CALLCENTER_LOG_FORMAT must be auto, json or console, got {log_format!r}")
        return cls(
            redis_url=env_str("CALLCENTER_REDIS_URL", cls.redis_url),
            data_dir=pathlib.Path(env_str("CALLCENTER_DATA_DIR", str(cls.data_dir))),
            tenant=tenant,
            log_format=log_format,
            log_level=env_str("CALLCENTER_LOG_LEVEL", cls.log_level),
            redis_max_connections=env_int("CALLCENTER_REDIS_MAX_CONNECTIONS", cls.redis_max_connections, minimum=4),
            redis_wait_s=env_float("CALLCENTER_REDIS_WAIT_S", cls.redis_wait_s, minimum=0.1),
        )


def key_prefix(tenant: str) -> str:
    """The prefix of every Redis key of a tenant. The {hash tag} keeps them in one cluster slot."""
    return f"cc:{{{tenant}}}:"
