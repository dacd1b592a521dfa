"""Queues, agents and teams declared in a TOML file, created or updated when the router starts.
A queue's keys are its settings (callcenter/core/queue_settings.py), durations in seconds:

[[queues]]
name = "sales"
ring_timeout_s = 5          # default 5
wrap_up_s = 180             # default 180; 0 turns wrap-up off
strategy = "longest_idle"   # longest_idle | round_robin | fewest_calls
max_wait_s = 300            # default 0 = no limit
retry_delay_s = 2
allow_early_wrap_up_end = false
dialed_numbers = ["+4930123456"]
vip_min_tier = 2            # VIP calls go first to agents of tier >= 2 (0 = off)
vip_overflow_s = 30         # ... and to everyone after 30 s
sticky = true               # remember who answered a caller as their personal manager
manager_wait_s = 5          # a busy personal manager is waited for this long (0 = not at all)
required_skills = { de = 2 }
skill_order = "highest_first"   # or "lowest_first"; omit to let the strategy alone decide
skill_relax_s = 60          # the skill requirement is lifted after 60 s (0 = never)
max_no_answer = 3           # misses in a row before the agent is paused (0 = off)
max_queue_length = 20       # 0 = no limit
overflow_queue = "support"  # where calls go when full or over max wait ...
fallback = "voicemail:sales"  # ... or where the PBX sends them when no queue takes them
max_call_lifetime_s = 14400 # a call whose hang-up never comes ends after 4 h (the default)

[[agents]]
id = "anna"
name = "Anna Schmidt"
endpoint = "sip:1001@pbx"
queues = ["sales"]
skills = { de = 5, en = 3 }
tier = 2

[[teams]]                   # a team (S2.3): tasks and figures for the whole group; its
team_id = "north"           # supervisors (gateway users) see and steer its agents
name = "North"
member_agent_ids = ["anna"]
supervisor_usernames = ["sam"]

[[pause_reasons]]           # the site's pause reasons, in the order people see them; without
code = "lunch"              # any, the router keeps the list it has (the defaults at first:
label = "Lunch"             # model.DEFAULT_PAUSE_REASONS). "no_answer" is the router's own.
"""

from __future__ import annotations

import pathlib
import tomllib

from callcenter.core import agent_settings, queue_settings
from callcenter.core.config import ConfigError
from callcenter.services.router.model import AgentProfile, PauseReason, RouterError, Team
from callcenter.services.router.router import Router


def _str(entry: dict, key: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _tables(document: dict, key: str) -> list[dict]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be an array of tables ([[{key}]])")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ConfigError(f"{key}[{i}] must be a table")
    return value


def _overflow_targets_first(path: pathlib.Path, queues: list[dict]) -> tuple[list[int], dict[int, str]]:
    """The queues' indexes in dependency order: every queue after the queue of the file it
    overflows into (c, a -> b, b -> c loads as c, b, a), so the order in the file is free.
    Also returns the targets not in the file, by index (they must exist already). Queues
    that overflow into each other in a loop are refused, naming the loop."""
    names: dict[str, int] = {}
    for i, q in enumerate(queues):
        name = q.get("name")
        if isinstance(name, str) and name:
            if name in names:
                raise ConfigError(f"{path}: queues[{i}]: queue {name} is declared twice (queues[{names[name]}])")
            names[name] = i
    target_of: dict[int, int] = {}
    outside: dict[int, str] = {}
    for i, q in enumerate(queues):
        target = q.get("overflow_queue")
        if isinstance(target, str) and target and target != q.get("name"):  # itself: the router says no
            if target in names:
                target_of[i] = names[target]
            else:
                outside[i] = target
    order: list[int] = []
    placed: set[int] = set()
    for first in range(len(queues)):
        chain: list[int] = []  # from `first` along its overflow targets, until a placed one
        i: int | None = first
        while i is not None and i not in placed:
            if i in chain:
                loop = chain[chain.index(i) :] + [i]
                described = " -> ".join(f"{queues[j]['name']} (queues[{j}])" for j in loop)
                raise ConfigError(f"{path}: queues overflow into each other in a loop: {described}")
            chain.append(i)
            i = target_of.get(i)
        for j in reversed(chain):  # the target first
            order.append(j)
            placed.add(j)
    return order, outside


def read_config_file(path: pathlib.Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


async def apply_config_file(router: Router, path: pathlib.Path) -> tuple[int, int]:
    """Creates or updates every queue, then every agent, then every team of the file; returns
    the numbers of queues and agents."""
    document = read_config_file(path)
    try:
        queues, agents = _tables(document, "queues"), _tables(document, "agents")
        pause_reasons, teams = _tables(document, "pause_reasons"), _tables(document, "teams")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if pause_reasons:
        try:
            listed = []
            for i, entry in enumerate(pause_reasons):
                unknown = sorted(set(entry) - {"code", "label"})
                if unknown:
                    raise ConfigError(f"{path}: pause_reasons[{i}]: unknown key {unknown[0]}")
                listed.append(PauseReason(code=_str(entry, "code"), label=_str(entry, "label")))
            await router.set_pause_reasons(listed)
        except (ValueError, TypeError, RouterError) as exc:
            raise ConfigError(f"{path}: pause_reasons: {exc}") from exc
    order, outside = _overflow_targets_first(path, queues)
    for i, target in sorted(outside.items()):  # checked before anything is written
        if await router.store.get_queue(target) is None:
            raise ConfigError(
                f"{path}: queues[{i}]: queue.overflow_queue: queue {target} is neither in this file"
                " nor an existing queue"
            )
    for i in order:
        entry = queues[i]
        where = f"{path}: queues[{i}]"
        try:
            await router.upsert_queue(_str(entry, "name"), **queue_settings.from_toml(entry))
        except (ValueError, TypeError, RouterError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    for i, entry in enumerate(agents):
        where = f"{path}: agents[{i}]"
        try:
            await router.upsert_agent(AgentProfile(**agent_settings.validate(entry, "agent")))
        except (ValueError, TypeError, RouterError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    for i, entry in enumerate(teams):  # after the agents: members must exist
        try:
            await router.upsert_team(_team(entry))
        except (ValueError, TypeError, RouterError) as exc:
            raise ConfigError(f"{path}: teams[{i}]: {exc}") from exc
    return len(queues), len(agents)


TEAM_KEYS = ("team_id", "name", "member_agent_ids", "supervisor_usernames")


def _team(entry: dict) -> Team:
    unknown = sorted(set(entry) - set(TEAM_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]}")
    lists = {}
    for key in ("member_agent_ids", "supervisor_usernames"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of strings")
        lists[key] = tuple(value)
    return Team(team_id=_str(entry, "team_id"), name=_str(entry, "name"), **lists)
