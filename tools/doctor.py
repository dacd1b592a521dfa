"""`callcenter doctor`: checks a running deployment and says what is wrong and what to do.

One function per check, each returning `Finding`s (ok, warning or problem; what was found; what
to do). The Redis checks read the deployment's own keys, every name derived from the key models
(services/router/keys.py, services/stats/keys.py, callcenter/core/event_stream.py); every age
and deadline is measured against the Redis server's clock (`TIME`), never this machine's, as
the router does. The services' gRPC health is checked when their addresses are given, with the
client credentials of the environment (TLS, token: docs/security.md). Read-only: the doctor
never writes a key. docs/operations.md lists each finding and its remedy.

Exit status: 0 when nothing is a problem (warnings allowed), 1 when something is, 2 for bad
usage (an option or a setting the doctor cannot use).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import redis.asyncio as aioredis
import redis.exceptions
from grpc_health.v1 import health_pb2, health_pb2_grpc

from callcenter.api.recorder.v1 import recorder_pb2
from callcenter.api.router.v1 import router_pb2
from callcenter.api.stats.v1 import stats_pb2
from callcenter.core import consumer_lag
from callcenter.core.config import CommonConfig
from callcenter.core.consumer_lag import entry_ms
from callcenter.core.embedded_redis import socket_path_for
from callcenter.core.event_stream import stream_key
from callcenter.core.grpc_security import GrpcClientCredentials, aio_channel
from callcenter.core.redis_connection import client_for, shown_url
from callcenter.core.settings import ConfigError, load
from callcenter.services.router.keys import RouterKeys
from callcenter.services.stats.config import StatsConfig
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.webhooks.keys import WebhookKeys

OK, WARNING, PROBLEM = "ok", "warning", "problem"
LEVELS = (OK, WARNING, PROBLEM)
DOCS = "docs/operations.md"
#: The oldest Redis with everything the services use (XAUTOCLAIM, exclusive XRANGE bounds).
MIN_REDIS = (6, 2)
#: How many undelivered events are counted one by one when Redis (before 7) does not say.
COUNT_LIMIT = 1000

#: The gRPC service each `--<name>` address must serve (its health is asked by full name).
SERVICES = {
    "router": router_pb2.DESCRIPTOR.services_by_name["RouterService"].full_name,
    "stats": stats_pb2.DESCRIPTOR.services_by_name["StatsService"].full_name,
    "recorder": recorder_pb2.DESCRIPTOR.services_by_name["RecorderService"].full_name,
}


@dataclass(frozen=True)
class Finding:
    """One thing a check found: how bad (`level`), about what (`check`), what it is, what to do."""

    level: str
    check: str
    what: str
    todo: str = ""
    details: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {self.level!r}")


def ok(check: str, what: str) -> Finding:
    return Finding(OK, check, what)


def warning(check: str, what: str, todo: str, details: tuple[str, ...] = ()) -> Finding:
    return Finding(WARNING, check, what, todo, details)


def problem(check: str, what: str, todo: str, details: tuple[str, ...] = ()) -> Finding:
    return Finding(PROBLEM, check, what, todo, details)


@dataclass(frozen=True)
class Thresholds:
    """Beyond these a finding is a problem (or, for idle consumers, a warning)."""

    lag_s: float = 10.0
    timer_overdue_s: float = 5.0
    consumer_idle_s: float = 60.0
    dead_letters_shown: int = 5
    webhook_overdue_s: float = 60.0


@dataclass
class Context:
    """What the Redis checks share: the client, the tenant's key models, the Redis clock."""

    #: A client with decoded replies (redis-py types them `bytes | str` whatever the client decodes).
    redis: Any
    tenant: str
    stats_group: str
    thresholds: Thresholds
    router: RouterKeys = dataclasses.field(init=False)
    stats: StatsKeys = dataclasses.field(init=False)
    webhooks: WebhookKeys = dataclasses.field(init=False)
    events: str = dataclasses.field(init=False)
    #: Keyword arguments sending a server command (TIME, INFO, CONFIG) to the node holding the
    #: tenant's keys on a Redis Cluster; empty otherwise.
    node: dict[str, Any] = dataclasses.field(init=False)
    #: The Redis server's clock (ms), read by check_redis before the other checks run.
    now_ms: int = 0

    def __post_init__(self) -> None:
        self.router = RouterKeys(self.tenant)
        self.stats = StatsKeys(self.tenant)
        self.webhooks = WebhookKeys(self.tenant)
        self.events = stream_key(self.tenant)
        get_node = getattr(self.redis, "get_node_from_key", None)
        self.node = {"target_nodes": get_node(self.events)} if callable(get_node) else {}

    def age_s(self, ms: int) -> float:
        """Seconds from `ms` to now by the Redis clock (negative: in the future)."""
        return (self.now_ms - ms) / 1000


@dataclass(frozen=True)
class Report:
    tenant: str
    redis: str
    findings: tuple[Finding, ...]

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level)

    @property
    def healthy(self) -> bool:
        return self.count(PROBLEM) == 0

    @property
    def exit_status(self) -> int:
        return 0 if self.healthy else 1


# Small helpers -------------------------------------------------------------------------------


def shown(text: object, limit: int = 160) -> str:
    """Text from Redis made safe to print: bytes that were not UTF-8 and control characters
    escaped, long values cut."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def seconds(value: float) -> str:
    """A duration for people: 0.4 s, 12 s, 3 min 5 s, 2 h 4 min, 3 d 2 h."""
    value = max(0.0, value)
    if value < 10:
        return f"{value:.1f} s"
    whole = round(value)
    for unit, size, smaller, small_size in (("d", 86_400, "h", 3600), ("h", 3600, "min", 60), ("min", 60, "s", 1)):
        if whole >= size:
            rest = (whole % size) // small_size
            return f"{whole // size} {unit}" + (f" {rest} {smaller}" if rest else "")
    return f"{whole} s"


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else f"{n} {word}s"


# The checks ----------------------------------------------------------------------------------


async def check_redis(ctx: Context) -> list[Finding]:
    """Redis answers; its clock becomes the doctor's; its version is one the services need."""
    started = time.monotonic()
    await ctx.redis.ping()
    elapsed_ms = (time.monotonic() - started) * 1000
    secs, micros = await ctx.redis.time(**ctx.node)
    ctx.now_ms = int(secs) * 1000 + int(micros) // 1000
    try:
        version = str((await ctx.redis.info("server", **ctx.node)).get("redis_version", ""))
    except redis.exceptions.ResponseError:
        version = ""  # INFO refused (a restricted user): nothing to compare
    numbers = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if numbers and numbers < MIN_REDIS:
        return [
            problem(
                "redis",
                f"Redis {version} is too old: the services need {'.'.join(map(str, MIN_REDIS))} or newer",
                "upgrade Redis (the stats consumer needs XAUTOCLAIM, Redis 6.2)",
            )
        ]
    return [ok("redis", f"answers in {elapsed_ms:.0f} ms (Redis {version or 'version unknown'})")]


async def _config(ctx: Context, *names: str) -> dict[str, str] | None:
    """CONFIG GET of these parameters; None when refused (managed Redis often refuses CONFIG)."""
    values: dict[str, str] = {}
    try:
        for name in names:
            values.update(await ctx.redis.config_get(name, **ctx.node))
    except redis.exceptions.ResponseError:
        return None
    return values


async def check_persistence(ctx: Context) -> list[Finding]:
    """Whether what the services acknowledged survives a Redis restart: the append-only file
    (with its fsync policy) or at least snapshots, and that the last write of either worked."""
    try:
        info = await ctx.redis.info("persistence", **ctx.node)
    except redis.exceptions.ResponseError as exc:
        return [
            warning(
                "persistence",
                f"unknown: Redis refused INFO ({shown(exc)})",
                "check the persistence settings with the Redis provider: the append-only file, fsync every second",
            )
        ]
    findings = []
    failed = [
        what
        for what, field in (("append-only file", "aof_last_write_status"), ("snapshot", "rdb_last_bgsave_status"))
        if str(info.get(field, "ok")) != "ok"
    ]
    if failed:
        findings.append(
            problem(
                "persistence",
                f"Redis failed to write its {' and '.join(failed)}",
                "look at the Redis log: a full or read-only disk? Until fixed, a restart loses writes",
            )
        )
    config = await _config(ctx, "appendfsync", "save")
    if info.get("aof_enabled") in (1, "1"):
        fsync = config.get("appendfsync") if config is not None else None
        if fsync == "no":
            findings.append(
                warning(
                    "persistence",
                    "append-only file on, but appendfsync no: the kernel decides when writes reach the disk",
                    "CONFIG SET appendfsync everysec (at most a second of writes lost in a crash)",
                )
            )
        else:
            policy = f"appendfsync {fsync}" if fsync else "appendfsync unknown: CONFIG refused"
            findings.append(ok("persistence", f"append-only file on ({policy})"))
    elif config is None:
        findings.append(
            warning(
                "persistence",
                "append-only file off; snapshots unknown (Redis refused CONFIG: a managed Redis?)",
                "make sure the provider keeps the data (append-only file or replication): Redis holds every state"
                " and timer",
            )
        )
    elif config.get("save"):
        changed = info.get("rdb_changes_since_last_save", "?")
        findings.append(
            warning(
                "persistence",
                f"snapshots only (save {config['save']!r}; {changed} changes since the last one): a crash loses"
                " every write since the last snapshot",
                "CONFIG SET appendonly yes (and appendfsync everysec), then CONFIG REWRITE",
            )
        )
    else:
        findings.append(
            problem(
                "persistence",
                "none: no append-only file and no snapshots; a Redis restart loses every call, agent state and timer",
                "CONFIG SET appendonly yes, then CONFIG REWRITE (or the provider's persistence setting)",
            )
        )
    return findings


async def check_memory(ctx: Context) -> list[Finding]:
    """A memory limit with an eviction policy would let Redis drop timers and calls."""
    try:
        info = await ctx.redis.info("memory", **ctx.node)
    except redis.exceptions.ResponseError as exc:
        return [warning("memory", f"unknown: Redis refused INFO ({shown(exc)})", "make sure Redis never evicts keys")]
    limit = int(info.get("maxmemory", 0) or 0)
    policy = str(info.get("maxmemory_policy", "noeviction"))
    used = int(info.get("used_memory", 0) or 0)
    if limit and policy != "noeviction":
        return [
            problem(
                "memory",
                f"maxmemory-policy {policy} with a limit of {limit} bytes: Redis may evict timers, calls and agents",
                "CONFIG SET maxmemory-policy noeviction (and a limit with room to spare)",
            )
        ]
    if limit and used > 0.9 * limit:
        return [
            warning(
                "memory",
                f"{used * 100 // limit} % of maxmemory used: writes will be refused when it is full",
                "raise maxmemory, or lower the retentions (docs/configuration.md)",
            )
        ]
    shown_limit = f"{used * 100 // limit} % of maxmemory used" if limit else "no memory limit"
    return [ok("memory", f"{shown_limit}, {policy}")]


async def _stream_exists(ctx: Context) -> bool:
    kind = await ctx.redis.type(ctx.events)
    return bool(kind == "stream")


async def check_event_stream(ctx: Context) -> list[Finding]:
    """The event stream exists and is a stream; how long it is and when it last moved."""
    kind = await ctx.redis.type(ctx.events)
    if kind == "none":
        return [
            warning(
                "event stream",
                f"{ctx.events} does not exist: nothing has happened for tenant {ctx.tenant!r} yet",
                "check CALLCENTER_TENANT (it must be the services' one), then start a router and a stats replica",
            )
        ]
    if kind != "stream":
        return [
            problem(
                "event stream",
                f"{ctx.events} is a {kind}, not a stream",
                "something else wrote this key: find it (no service of ours does) and restore the stream",
            )
        ]
    info = await ctx.redis.xinfo_stream(ctx.events)
    last = str(info.get("last-generated-id", "0-0"))
    newest = f", the newest {seconds(ctx.age_s(entry_ms(last)))} ago" if info.get("length") else ""
    return [ok("event stream", f"{ctx.events}: {_plural(int(info['length']), 'event')}{newest}")]


#: Which service reads each consumer group of the event stream, and the command that runs it.
GROUP_READERS = {
    "stats": ("stats", "callcenter stats"),
    "webhooks": ("webhooks", "callcenter webhooks"),
    "router-deals": ("router", "callcenter router"),
    "automation": ("gateway", "callcenter gateway"),
}


def _reader(group: str) -> tuple[str, str]:
    """The service reading a group and how to start it (the stats group may be renamed)."""
    return GROUP_READERS.get(group, ("stats", "callcenter stats") if group.startswith("stats") else ("", ""))


async def check_consumer_groups(ctx: Context) -> list[Finding]:
    """The stats consumer group exists and some consumer of each group reads."""
    if not await _stream_exists(ctx):
        return []
    groups = await ctx.redis.xinfo_groups(ctx.events)
    findings = []
    if ctx.stats_group not in {g["name"] for g in groups}:
        findings.append(
            problem(
                "consumer group",
                f"the event stream has no consumer group {ctx.stats_group!r}: no stats replica ever read it",
                "start `callcenter stats` against this Redis with this CALLCENTER_TENANT (and the same"
                " CALLCENTER_STATS_GROUP); it counts the whole stream from its start",
            )
        )
    for group in groups:
        name = str(group["name"])
        consumers = await ctx.redis.xinfo_consumers(ctx.events, name)
        service, command = _reader(name)
        start = f"start a {service} replica (`{command}`)" if service else "start the service that reads this group"
        if not consumers:
            findings.append(
                warning("consumer group", f"group {name!r} has no consumer: nothing reads the events", start)
            )
            continue
        idle_s = min(int(c["idle"]) for c in consumers) / 1000
        what = f"group {name!r}: {_plural(len(consumers), 'consumer')}, the latest read {seconds(idle_s)} ago"
        if idle_s > ctx.thresholds.consumer_idle_s:
            findings.append(
                warning(
                    "consumer group",
                    what + f": is any {service or 'reading'} replica running?",
                    start + " (a running replica reads at least every few seconds); a wedged one: restart it",
                )
            )
        else:
            findings.append(ok("consumer group", what))
    return findings


async def check_lag(ctx: Context) -> list[Finding]:
    """How far behind the event stream each consumer group is: the age, by the Redis clock, of
    its oldest event not yet acknowledged (pending: delivered, not applied; or not delivered).
    Computed by callcenter/core/consumer_lag.py, as the stats service's lag gauge is."""
    if not await _stream_exists(ctx):
        return []
    findings = []
    for lag in await consumer_lag.group_lags(ctx.redis, ctx.events, count_limit=COUNT_LIMIT):
        name = lag.group
        details = []
        p = lag.oldest_pending
        if p is not None:
            details.append(
                f"oldest pending {p.entry_id}: consumer {shown(p.consumer)}, delivered"
                f" {p.times_delivered}×, idle {seconds(p.idle_ms / 1000)}"
            )
        if lag.trimmed_unread_up_to is not None:
            findings.append(
                problem(
                    "lag",
                    f"group {name!r}: events were trimmed from the stream (up to {lag.trimmed_unread_up_to}) before"
                    " it read them",
                    "the stats lack those events: the consumers were down longer than the stream keeps events;"
                    " raise CALLCENTER_EVENT_STREAM_MAXLEN and keep a stats replica running",
                )
            )
        shown_undelivered = f"more than {COUNT_LIMIT}" if lag.more_than_limit else str(lag.undelivered)
        counts = f"{lag.pending} pending, {shown_undelivered} not yet delivered"
        if lag.oldest_unacknowledged is None:
            findings.append(ok("lag", f"group {name!r}: caught up (nothing pending)"))
            continue
        lag_s = ctx.age_s(entry_ms(lag.oldest_unacknowledged))
        if lag_s > ctx.thresholds.lag_s:
            findings.append(
                problem(
                    "lag",
                    f"group {name!r} is {seconds(lag_s)} behind the event stream ({counts})",
                    "the board and KPIs are that late: is a stats replica running (see consumer group)? Running"
                    " but slow: its log (stats.apply_failed), Redis latency, or one more replica",
                    tuple(details),
                )
            )
        else:
            findings.append(ok("lag", f"group {name!r}: {seconds(max(0.0, lag_s))} behind ({counts})"))
    return findings


async def check_dead_letters(ctx: Context) -> list[Finding]:
    """Events the stats consumer gave up on, each with its reason (the dead-letter stream)."""
    key = ctx.stats.dead_letters
    count = int(await ctx.redis.xlen(key))
    if not count:
        return [ok("dead letters", "none")]
    details = []
    for entry_id, fields in await ctx.redis.xrevrange(key, count=ctx.thresholds.dead_letters_shown):
        details.append(
            f"event {shown(fields.get('event_id', '?'))} (type {shown(fields.get('type', '?'), 60)}),"
            f" dead-lettered {seconds(ctx.age_s(entry_ms(entry_id)))} ago: {shown(fields.get('error', '?'))}"
        )
    if count > len(details):
        details.append(f"… and {count - len(details)} older")
    return [
        problem(
            "dead letters",
            f"{_plural(count, 'event')} the stats could not apply (in {key}); the board and KPIs lack them",
            f"each line says why: fix what wrote the event (another version, a hand-written entry). Read them with"
            f" XRANGE {key} - + ; once dealt with, DEL {key} ({DOCS}, dead letters)",
            tuple(details),
        )
    ]


async def check_webhook_dead_letters(ctx: Context) -> list[Finding]:
    """Webhook deliveries given up on, per subscription, the newest with their reasons."""
    keys = ctx.webhooks
    subs = [str(sub) for sub in await ctx.redis.zrange(keys.subs, 0, COUNT_LIMIT - 1)]
    if not subs:
        return [ok("webhook dead letters", "no subscription")]
    async with ctx.redis.pipeline(transaction=False) as pipe:
        for sub in subs:
            pipe.zcard(keys.dead(sub))
        counts = [int(n) for n in await pipe.execute()]
    total = sum(counts)
    if not total:
        return [ok("webhook dead letters", f"none ({_plural(len(subs), 'subscription')})")]
    details = []
    for sub, count in zip(subs, counts, strict=True):
        if not count:
            continue
        newest = await ctx.redis.zrevrange(keys.dead(sub), 0, ctx.thresholds.dead_letters_shown - 1)
        for delivery_id in newest:
            event_id, kind, reason, dead_ms = await ctx.redis.hmget(
                keys.delivery(str(delivery_id)), "event_id", "type", "reason", "dead_ms"
            )
            age = f", {seconds(ctx.age_s(int(dead_ms)))} ago" if dead_ms else ""
            details.append(
                f"subscription {shown(sub, 40)}: event {shown(event_id or '?', 60)} ({shown(kind or '?', 40)})"
                f"{age}: {shown(reason or '?')}"
            )
        if count > len(newest):
            details.append(f"subscription {shown(sub, 40)}: … and {count - len(newest)} older")
    return [
        problem(
            "webhook dead letters",
            f"{_plural(total, 'delivery')} a CRM never acknowledged, given up on"
            f" ({sum(1 for n in counts if n)} of {_plural(len(subs), 'subscription')})",
            "each line says why: fix the receiver (its URL, its answer), then replay them"
            " (ReplayDeadLetters, docs/crm.md); ListDeadLetters lists them all",
            tuple(details),
        )
    ]


async def check_webhook_queue(ctx: Context) -> list[Finding]:
    """Webhook deliveries due long ago by the Redis clock: no webhooks dispatcher sends them."""
    key = ctx.webhooks.due
    total = int(await ctx.redis.zcard(key))
    limit_ms = ctx.now_ms - round(ctx.thresholds.webhook_overdue_s * 1000)
    overdue = int(await ctx.redis.zcount(key, "-inf", f"({limit_ms}"))
    if not overdue:
        return [ok("webhook queue", f"{_plural(total, 'delivery')} due, none overdue")]
    oldest = await ctx.redis.zrange(key, 0, 0, withscores=True)
    return [
        warning(
            "webhook queue",
            f"{overdue} of {_plural(total, 'delivery')} overdue by more than {ctx.thresholds.webhook_overdue_s:g} s,"
            f" the oldest by {seconds(ctx.age_s(int(oldest[0][1])))}",
            "no webhooks replica sends them: start `callcenter webhooks` against this Redis and CALLCENTER_TENANT;"
            " running ones: their log (webhooks.attempt_failed, worker.redis_unavailable)",
            tuple(f"{shown(member)}" for member, _ in oldest),
        )
    ]


async def check_timers(ctx: Context) -> list[Finding]:
    """Timers past their deadline by more than the threshold (Redis clock): no router fires them."""
    key = ctx.router.timers
    total = int(await ctx.redis.zcard(key))
    limit_ms = ctx.now_ms - round(ctx.thresholds.timer_overdue_s * 1000)
    overdue = int(await ctx.redis.zcount(key, "-inf", f"({limit_ms}"))
    if not overdue:
        first = await ctx.redis.zrange(key, 0, 0, withscores=True)
        nxt = ""
        if first:
            due_s = -ctx.age_s(int(first[0][1]))
            nxt = f", the next due in {seconds(due_s)}" if due_s > 0 else ", the next due now"
        return [ok("timers", f"{_plural(total, 'timer')}, none overdue{nxt}")]
    sample = await ctx.redis.zrangebyscore(key, "-inf", f"({limit_ms}", start=0, num=COUNT_LIMIT)
    kinds = Counter(str(member).partition("|")[0] for member in sample)
    by_kind = ", ".join(f"{n} {shown(kind, 20)}" for kind, n in kinds.most_common())
    oldest = await ctx.redis.zrangebyscore(key, "-inf", f"({limit_ms}", start=0, num=5, withscores=True)
    details = tuple(f"{shown(member)}: due {seconds(ctx.age_s(int(score)))} ago" for member, score in oldest)
    return [
        problem(
            "timers",
            f"{overdue} of {_plural(total, 'timer')} overdue by more than {ctx.thresholds.timer_overdue_s:g} s, the"
            f" oldest by {seconds(ctx.age_s(int(oldest[0][1])))} ({by_kind}{'…' if overdue > len(sample) else ''})",
            "no router replica fires timers: start `callcenter router` against this Redis and CALLCENTER_TENANT"
            " (any replica fires them at once); running ones: their log (worker.step_failed, worker.redis_unavailable)",
            details,
        )
    ]


async def check_pbx_sessions(ctx: Context) -> list[Finding]:
    """Each PBX's session: open with a live lease, lapsed but not ended, or lost."""
    ids = sorted(await ctx.redis.smembers(ctx.router.pbxs))
    if not ids:
        return [
            warning(
                "pbx sessions",
                "no PBX has ever opened a session",
                "a PBX of contract v2 opens one (docs/pbx-integration.md); a v1 PBX needs none: then ignore this",
            )
        ]
    grace_ms = round(ctx.thresholds.timer_overdue_s * 1000)
    findings: list[Finding] = []
    lost: list[tuple[str, dict[str, str]]] = []
    for pbx_id in ids:
        session = await ctx.redis.hgetall(ctx.router.pbx(pbx_id))
        if not session:
            continue  # lost long ago and forgotten (the session expires with the call retention)
        state = session.get("state", "")
        lease_until = int(session.get("lease_until") or 0)
        backlog = int(session.get("seq") or 0) - int(session.get("handled") or 0)
        if state == "open" and lease_until < ctx.now_ms - grace_ms:
            findings.append(
                problem(
                    "pbx sessions",
                    f"PBX {shown(pbx_id)}: its lease lapsed {seconds(ctx.age_s(lease_until))} ago but the session is"
                    " still open: no router ended it",
                    "no router replica fires timers (see timers): start one; it ends the PBX's calls (pbx_lost) at"
                    " once and the PBX opens a new session",
                )
            )
        elif state == "open":
            findings.append(
                ok(
                    "pbx sessions",
                    f"PBX {shown(pbx_id)}: open, lease {seconds(-ctx.age_s(lease_until))} left,"
                    f" {_plural(max(0, backlog), 'message')} not yet acknowledged",
                )
            )
        elif state == "lost":
            lost.append((pbx_id, session))
    still_open = sum(1 for f in findings if f.level == OK)
    if not findings and not lost:
        findings.append(
            warning(
                "pbx sessions",
                f"no PBX has an open session ({_plural(len(ids), 'PBX')} known, each lost long ago)",
                "a PBX of contract v2 opens one when it starts (docs/pbx-integration.md); v1 PBXs need none",
            )
        )
    for pbx_id, session in lost:
        since = int(session.get("lost_at") or session.get("lease_until") or ctx.now_ms)
        findings.append(
            Finding(
                WARNING if still_open else PROBLEM,
                "pbx sessions",
                f"PBX {shown(pbx_id)}: session lost {seconds(ctx.age_s(since))} ago (no heartbeat within its lease;"
                " its calls were ended)" + ("" if still_open else ": no PBX has an open session"),
                "if this PBX still runs, it cannot reach a router: its log, the network, its token (docs/security.md);"
                " if it was retired, ignore this (the session is forgotten after CALLCENTER_CALL_RETENTION_S)",
            )
        )
    return findings


#: The checks that read Redis, in the order they are reported.
REDIS_CHECKS: tuple[tuple[str, Callable[[Context], Awaitable[list[Finding]]]], ...] = (
    ("persistence", check_persistence),
    ("memory", check_memory),
    ("event stream", check_event_stream),
    ("consumer group", check_consumer_groups),
    ("lag", check_lag),
    ("dead letters", check_dead_letters),
    ("webhook dead letters", check_webhook_dead_letters),
    ("webhook queue", check_webhook_queue),
    ("timers", check_timers),
    ("pbx sessions", check_pbx_sessions),
)


async def check_service(
    name: str, address: str, credentials: GrpcClientCredentials | None, timeout_s: float
) -> list[Finding]:
    """The service at `address` answers the standard gRPC health check for its full name."""
    service = SERVICES[name]
    check = f"{name} service"
    try:
        async with aio_channel(address, credentials) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        if code == grpc.StatusCode.NOT_FOUND:
            return [
                problem(
                    check,
                    f"{address} serves no {service}: another service's port?",
                    f"give --{name} the {name}'s address",
                )
            ]
        return [
            problem(
                check,
                f"{address}: {code.name if code else 'error'} ({shown(exc.details())})",
                "is it running, and is the address right? With TLS or tokens: CALLCENTER_GRPC_CA_FILE,"
                " CALLCENTER_GRPC_TOKEN_FILE (docs/security.md)",
            )
        ]
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        return [
            problem(
                check,
                f"{address}: {status}",
                "it is starting or draining (SIGTERM); if it stays so, its log says why",
            )
        ]
    return [ok(check, f"{address}: {status}")]


async def _guarded(
    name: str, check: Callable[[Context], Awaitable[list[Finding]]], ctx: Context, timeout_s: float
) -> list[Finding]:
    """A check's findings; a Redis that does not answer in time or refuses a command is a
    problem of that check, never the end of the doctor."""
    try:
        return await asyncio.wait_for(check(ctx), timeout_s)
    except TimeoutError:
        return [
            problem(
                name,
                f"Redis did not answer within {timeout_s:g} s",
                "Redis is overloaded or a long command blocks it: SLOWLOG GET, LATENCY DOCTOR",
            )
        ]
    except (redis.exceptions.ConnectionError, OSError) as exc:
        return [problem(name, f"lost the connection to Redis: {shown(exc)}", "see the redis finding")]
    except redis.exceptions.RedisError as exc:
        return [
            problem(
                name,
                f"Redis refused the check: {shown(exc)}",
                "the doctor's Redis user needs read access to the tenant's keys (XINFO, XRANGE, XPENDING, ZRANGE)",
            )
        ]


async def diagnose(
    redis_client: aioredis.Redis,
    tenant: str,
    *,
    stats_group: str = "stats",
    thresholds: Thresholds | None = None,
    timeout_s: float = 5.0,
) -> list[Finding]:
    """Every Redis check against a client; when Redis does not answer, only that."""
    ctx = Context(redis_client, tenant, stats_group, thresholds or Thresholds())
    try:
        findings = await asyncio.wait_for(check_redis(ctx), timeout_s)
    except (TimeoutError, redis.exceptions.RedisError, OSError) as exc:
        reason = f"no answer within {timeout_s:g} s" if isinstance(exc, TimeoutError) else shown(exc).rstrip(".")
        return [
            problem(
                "redis",
                f"unreachable: {reason}; nothing else could be checked",
                "check CALLCENTER_REDIS_URL (its password, TLS) and that Redis runs; empty, it is the embedded Redis"
                " of CALLCENTER_DATA_DIR, which only `callcenter up` or `callcenter redis` starts",
            )
        ]
    for name, check in REDIS_CHECKS:
        findings += await _guarded(name, check, ctx, timeout_s)
    return findings


async def examine(
    redis_url: str,
    tenant: str,
    *,
    stats_group: str = "stats",
    thresholds: Thresholds | None = None,
    services: Sequence[tuple[str, str]] = (),
    credentials: GrpcClientCredentials | None = None,
    timeout_s: float = 5.0,
) -> Report:
    """The whole report: Redis (at `redis_url`) and the services at the given (name, address)."""
    client = client_for(redis_url, 4, timeout_s, name="callcenter-doctor", tolerant=True)
    try:
        findings = await diagnose(client, tenant, stats_group=stats_group, thresholds=thresholds, timeout_s=timeout_s)
    finally:
        await client.aclose()
    for name, address in services:
        findings += await check_service(name, address, credentials, timeout_s)
    return Report(tenant, shown_url(redis_url), tuple(findings))


# Output ------------------------------------------------------------------------------------


_LABELS = {OK: "ok", WARNING: "warning", PROBLEM: "PROBLEM"}


def render_text(report: Report) -> str:
    """One line per finding (level, check, what), then its details and what to do."""
    lines = [f"callcenter doctor: tenant {report.tenant!r}, Redis {report.redis}"]
    for f in report.findings:
        lines.append(f"{_LABELS[f.level]:<8} {f.check}: {f.what}")
        lines += [f"{'':9}  {detail}" for detail in f.details]
        if f.todo and f.level != OK:
            lines.append(f"{'':9}what to do: {f.todo}")
    problems, warnings = report.count(PROBLEM), report.count(WARNING)
    verdict = "healthy" if not problems else f"{_plural(problems, 'problem')} found"
    lines.append(f"{verdict}, {_plural(warnings, 'warning')} ({DOCS} explains each finding)")
    return "\n".join(lines)


def render_json(report: Report) -> str:
    return json.dumps(
        {
            "tenant": report.tenant,
            "redis": report.redis,
            "healthy": report.healthy,
            "problems": report.count(PROBLEM),
            "warnings": report.count(WARNING),
            "findings": [dataclasses.asdict(f) for f in report.findings],
        },
        indent=2,
        ensure_ascii=False,
    )


# The command ---------------------------------------------------------------------------------


def _seconds_option(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, at least 0, got {text!r}")
    return value


def _timeout_option(text: str) -> float:
    value = _seconds_option(text)
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 300 seconds, got {text!r}")
    return value


def _count_option(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be 0 to 1000, got {text!r}")
    return value


def _address_option(text: str) -> str:
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"must be a gRPC address such as host:50051, got {text!r}")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `callcenter doctor` (Redis and tenant come from CALLCENTER_REDIS_URL and
    CALLCENTER_TENANT, as for the services)."""
    d = Thresholds()
    parser.add_argument("--json", action="store_true", help="print the findings as JSON (for machines)")
    parser.add_argument(
        "--lag-s",
        type=_seconds_option,
        default=d.lag_s,
        help=f"stats lag beyond this is a problem (default {d.lag_s:g})",
    )
    parser.add_argument(
        "--timer-overdue-s",
        type=_seconds_option,
        default=d.timer_overdue_s,
        help=f"a timer this late is a problem (default {d.timer_overdue_s:g})",
    )
    parser.add_argument(
        "--consumer-idle-s",
        type=_seconds_option,
        default=d.consumer_idle_s,
        help=f"warn when no consumer of a group read for this long (default {d.consumer_idle_s:g})",
    )
    parser.add_argument(
        "--dead-letters",
        type=_count_option,
        default=d.dead_letters_shown,
        help=f"how many of the newest dead letters to show (default {d.dead_letters_shown})",
    )
    parser.add_argument(
        "--timeout-s", type=_timeout_option, default=5.0, help="how long each check waits for an answer (default 5)"
    )
    for name in SERVICES:
        parser.add_argument(
            f"--{name}",
            type=_address_option,
            metavar="ADDRESS",
            help=f"also check the health of the {name} at this gRPC address (host:port)",
        )


def run_from_args(args: argparse.Namespace) -> int:
    """Runs the doctor; prints the report; 0 healthy, 1 a problem (ConfigError: the CLI's 2)."""
    common = load(CommonConfig)
    stats_group = load(StatsConfig).consumer_group
    services = [(name, getattr(args, name)) for name in SERVICES if getattr(args, name)]
    credentials = load(GrpcClientCredentials) if services else None
    thresholds = Thresholds(args.lag_s, args.timer_overdue_s, args.consumer_idle_s, args.dead_letters)
    url = common.redis_url or f"unix://{socket_path_for(common.data_dir)}"
    report = asyncio.run(
        examine(
            url,
            common.tenant,
            stats_group=stats_group,
            thresholds=thresholds,
            services=services,
            credentials=credentials,
            timeout_s=args.timeout_s,
        )
    )
    print(render_json(report) if args.json else render_text(report), flush=True)
    return report.exit_status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="callcenter doctor", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except ConfigError as exc:
        print(f"callcenter doctor: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
