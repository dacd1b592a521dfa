"""Queues and agents declared in a TOML file, created or updated when the router starts.

[[queues]]
name = "sales"
ring_timeout_s = 5          # default 5
wrap_up_s = 180             # default 180; 0 turns wrap-up off
strategy = "longest_idle"   # longest_idle | round_robin | fewest_calls
max_wait_s = 300            # default 0 = no limit
retry_delay_s = 2
allow_early_wrap_up_end = false
dialed_numbers = ["+4930123456"]

[[agents]]
id = "anna"
name = "Anna Schmidt"
endpoint = "sip:1001@pbx"
queues = ["sales"]
skills = { de = 5, en = 3 }
tier = 2
"""

from __future__ import annotations

import pathlib
import tomllib

from callcenter.config import ConfigError
from services.router.model import AgentProfile, RouterError
from services.router.router import Router

_QUEUE_KEYS = {
    "name",
    "ring_timeout_s",
    "wrap_up_s",
    "strategy",
    "max_wait_s",
    "retry_delay_s",
    "allow_early_wrap_up_end",
    "dialed_numbers",
}
_AGENT_KEYS = {"id", "name", "endpoint", "queues", "skills", "tier"}


def _ms(entry: dict, key: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{key} must be a number of seconds")
    return round(value * 1000)


def read_config_file(path: pathlib.Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


async def apply_config_file(router: Router, path: pathlib.Path) -> tuple[int, int]:
    """Creates or updates every queue, then every agent, of the file; returns their numbers."""
    document = read_config_file(path)
    queues, agents = document.get("queues", []), document.get("agents", [])
    for i, entry in enumerate(queues):
        where = f"{path}: queues[{i}]"
        try:
            unknown = set(entry) - _QUEUE_KEYS
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            await router.upsert_queue(
                entry.get("name", ""),
                ring_timeout_ms=_ms(entry, "ring_timeout_s") or 0,
                wrap_up_ms=_ms(entry, "wrap_up_s"),
                strategy=entry.get("strategy", ""),
                max_wait_ms=_ms(entry, "max_wait_s") or 0,
                retry_delay_ms=_ms(entry, "retry_delay_s") or 0,
                allow_early_wrap_up_end=bool(entry.get("allow_early_wrap_up_end", False)),
                dialed_numbers=tuple(entry.get("dialed_numbers", ())),
            )
        except (ValueError, RouterError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    for i, entry in enumerate(agents):
        where = f"{path}: agents[{i}]"
        try:
            unknown = set(entry) - _AGENT_KEYS
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            await router.upsert_agent(
                AgentProfile(
                    id=entry.get("id", ""),
                    name=entry.get("name", ""),
                    endpoint=entry.get("endpoint", ""),
                    queues=tuple(entry.get("queues", ())),
                    skills=dict(entry.get("skills", {})),
                    tier=int(entry.get("tier", 0)),
                )
            )
        except (ValueError, TypeError, RouterError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    return len(queues), len(agents)
