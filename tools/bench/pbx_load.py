"""The bench's "PBX at load" section: PBXs of contract v2 against several router replicas.

Per point (calls in flight, `--pbx-in-flight 100,400`): `--pbx-replicas` router processes (3)
on a tenant of their own, `--pbx-agents` agents (50) serving two queues, and `--pbx-clients`
PBX processes (callcenter.tools.bench.loadgen, op "pbx"), each holding one PbxSession stream (on
replica i mod R) and keeping its share of the calls in flight, every RPC to the next replica
in turn. Every PBX but the last runs the ring timer itself (RING_TIMER_PBX: it reports
NO_ANSWER ring timeout after it learned of the offer; it "loses" LOST_REPORT_P of those
reports, which the router's backstop expires at ring timeout + grace); the last leaves the
ring timer to the router (RING_TIMER_ROUTER: it never reports a no-answer). The PBXs share
the calls equally. Agents answer with ANSWER_P, talk TALK_S, wrap-up `--pbx-wrap-up-ms`;
callers give up after PATIENCE_S.

Everything measured comes from the processes' CPU (/proc), the PBXs' own counts of their
session streams, and the tenant's event stream (`cc:{tenant}:events`), whose entry ids are
the Redis clock: timer lateness is an OFFER_MISSED(timeout) entry's id minus the offer's
deadline (its CALL_OFFERED entry + ring timeout, + grace for a PBX running the timer), and an
AGENT_WRAP_UP_ENDED(timer) entry's id minus its CALL_COMPLETED entry + wrap-up.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import os
import pathlib
import time
import uuid
from typing import Any

from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.event_stream import stream_key
from callcenter.services.router.keys import ROUTER_ENDED_OFFERS
from callcenter.tools.bench.procs import CpuMeter, LoadWorker, ServerProcess, service_channel

ANSWER_P = 0.6  # an offered agent answers with this probability, else the phone rings out
ANSWER_DELAY = (0.2, 0.75)  # when an agent answers: this fraction of the ring timeout after the PBX learned of it
TALK_S = (0.5, 2.0)
PATIENCE_S = (3.0, 40.0)  # a caller not yet connected hangs up after this (abandoned)
LOST_REPORT_P = 0.1  # no-answer reports a ring-timer PBX never sends (the router's backstop expires them)
QUEUES = (("pbx-sales", 0.7), ("pbx-support", 0.3))
LEASE_MS = 6000
DRAIN_S = 1.0  # after the load: the calls go on this long without new ones, then the rest are hung up

# Offers the router ends by itself: the PBX is told to stop ringing.
ROUTER_ENDED = ROUTER_ENDED_OFFERS
CALL_TRANSITIONS = {
    "CALL_OFFERED",
    "OFFER_MISSED",
    "CALL_QUEUED",
    "CALL_ANSWERED",
    "CALL_COMPLETED",
    "CALL_ABANDONED",
    "CALL_TIMED_OUT",
    "CALL_OVERFLOWED",
    "CALL_RULE_RELAXED",
}
LEAVES_LINE = {"CALL_OFFERED", "CALL_ANSWERED", "CALL_COMPLETED", "CALL_ABANDONED", "CALL_TIMED_OUT", "CALL_OVERFLOWED"}

TARGETS = {
    "lateness_p99_ms": 20,  # offer expiry and wrap-up, at the largest point
    "cpu_ratio_to_bare_lifecycle": 2.0,
}


def _pct(values: list[float], q: float) -> float | None:
    import math

    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _entry_ms(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


def _shares(total: int, clients: int) -> list[int]:
    """Calls in flight per PBX process: an equal share each."""
    return [total // clients + (1 if i < total % clients else 0) for i in range(clients)]


async def pbx_section(bench, workdir: pathlib.Path, redis_url: str, redis) -> dict[str, Any]:
    """Every point of --pbx-in-flight, each on fresh routers and a tenant of its own."""
    from callcenter.tools.bench.runner import cpu_per_op

    a = bench.args
    # The bare lifecycle's router CPU per call, from this run's router section
    life = bench.results["sections"].get("router_lifecycle")
    bare = None
    if life:
        per_rpc = cpu_per_op(life["cpu_percent"], life["rpc_per_s"])  # microseconds per RPC
        if per_rpc.get("server") is not None:
            bare = round(per_rpc["server"] * 3 / 1000, 3)  # ms per lifecycle (3 RPCs)
    workers = [LoadWorker(100 + i) for i in range(a.pbx_clients)]
    await asyncio.gather(*(w.start() for w in workers))
    points = []
    try:
        for n in a.pbx_in_flight:
            bench.say(f"pbx: {n} calls in flight, {a.pbx_replicas} replicas, {a.pbx_seconds:g} s ...")
            point = await _point(bench, workers, workdir, redis_url, redis, n)
            point["bare_lifecycle_cpu_ms_per_call"] = bare
            per_call = point["router_cpu_ms_per_call"]
            point["cpu_ratio_to_bare_lifecycle"] = round(per_call / bare, 2) if bare and per_call else None
            point["targets"] = _targets(point)
            points.append(point)
            for line in point_lines(point):
                bench.say(line)
    finally:
        for worker in workers:
            with contextlib.suppress(Exception):
                await worker.stop()
    return {
        "settings": {
            "replicas": a.pbx_replicas,
            "pbx_processes": a.pbx_clients,
            "agents": a.pbx_agents,
            "queues": [list(q) for q in QUEUES],
            "ring_timeout_ms": a.pbx_ring_timeout_ms,
            "ring_grace_ms": a.pbx_ring_grace_ms,
            "wrap_up_ms": a.pbx_wrap_up_ms,
            "answer_p": ANSWER_P,
            "answer_delay_of_ring_timeout": list(ANSWER_DELAY),
            "talk_s": list(TALK_S),
            "patience_s": list(PATIENCE_S),
            "lost_report_p": LOST_REPORT_P,
            "router_timer_share": round(1 / a.pbx_clients, 3) if a.pbx_clients > 1 else 0.0,
            "seconds": a.pbx_seconds,
            "lease_ms": LEASE_MS,
        },
        "bare_lifecycle_cpu_ms_per_call": bare,
        "points": points,
    }


async def _setup(stub, a) -> None:
    ring, wrap = duration_pb2.Duration(), duration_pb2.Duration()
    ring.FromMilliseconds(a.pbx_ring_timeout_ms)
    wrap.FromMilliseconds(a.pbx_wrap_up_ms)
    for name, _ in QUEUES:
        # max_no_answer 0: with 40 % of rings unanswered, auto-pause would empty the team
        queue = pb.Queue(name=name, ring_timeout=ring, wrap_up=wrap, max_no_answer=0)
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=queue), timeout=30)
    gate = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        agent_id = f"pbx-agent{i:03d}"
        async with gate:
            agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@bench", queues=[q for q, _ in QUEUES])
            await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent), timeout=30)
            await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id), timeout=30)

    await asyncio.gather(*(one(i) for i in range(a.pbx_agents)))


async def _point(bench, workers, workdir, redis_url, redis, n: int) -> dict[str, Any]:
    a = bench.args
    tenant = f"{bench.tenant}p{n}"
    grace_env = {"CALLCENTER_PBX_RING_GRACE_MS": str(a.pbx_ring_grace_ms)}
    routers = [
        ServerProcess.router(workdir, redis_url, tenant, name=f"router-pbx{n}-{i}", extra_env=grace_env)
        for i in range(a.pbx_replicas)
    ]
    router_pids = {f"router{i}": [r.pid or 0] for i, r in enumerate(routers)}
    try:
        await asyncio.gather(*(r.start() for r in routers))
        router_pids = {f"router{i}": [r.pid or 0] for i, r in enumerate(routers)}
        async with service_channel(routers[0].address) as channel:
            await _setup(router_pb2_grpc.RouterServiceStub(channel), a)
        idle = CpuMeter(router_pids)
        idle.start()
        await asyncio.sleep(min(2.0, a.pbx_seconds / 3))
        idle_cpu = idle.stop()
        idle_cpu.pop("others", None)
        meter = CpuMeter(
            {
                **router_pids,
                "redis": [bench.redis_pid or 0],
                "clients": [w.pid or 0 for w in workers],
                "bench": [os.getpid()],
            }
        )
        shares = _shares(n, len(workers))
        tag = uuid.uuid4().hex[:4]
        start_at = time.time() + 0.3
        ramp_s = min(2.0, a.pbx_seconds / 10)
        commands = []
        for i, share in enumerate(shares):
            router_timer = len(workers) > 1 and i == len(workers) - 1
            commands.append(
                {
                    "op": "pbx",
                    "pbx_id": f"bench-pbx{i}-{tag}",
                    "session_target": routers[i % len(routers)].address,
                    "targets": [r.address for r in routers],
                    "in_flight": share,
                    "ring_timer": "router" if router_timer else "pbx",
                    "queues": [list(q) for q in QUEUES],
                    "ring_timeout_ms": a.pbx_ring_timeout_ms,
                    "answer_p": ANSWER_P,
                    "answer_delay": list(ANSWER_DELAY),
                    "talk_s": list(TALK_S),
                    "patience_s": list(PATIENCE_S),
                    "lost_report_p": LOST_REPORT_P,
                    "lease_ms": LEASE_MS,
                    "seed": n * 100 + i,
                    "start_at": start_at,
                    "seconds": a.pbx_seconds,
                    "ramp_s": ramp_s,
                    "drain_s": DRAIN_S,
                }
            )
        await _redis_watch_start(redis)
        runs = [asyncio.create_task(w.run(c)) for w, c in zip(workers, commands, strict=True)]
        # CPU from the end of the warm-up (the ramp and the first calls' lives) to the end
        warmup_s = min(a.pbx_seconds / 5, ramp_s + 3.0)
        await asyncio.sleep(max(0.0, start_at + warmup_s - time.time()))
        meter.start()
        cpu_from = time.time()
        await asyncio.sleep(max(0.0, start_at + a.pbx_seconds - time.time()))
        cpu = meter.stop()
        cpu_to = time.time()
        redis_side = await _redis_watch_stop(redis)
        results = await asyncio.gather(*runs)
    finally:
        for r in routers:
            r.stop()
    point = await _analyse(
        redis, tenant, results, a, n, cpu, idle_cpu, (start_at, start_at + a.pbx_seconds), (cpu_from, cpu_to)
    )
    point["redis"] = redis_side
    return point


SLOW_US = 2000  # scripts slower than this are listed (Redis SLOWLOG)


async def _redis_watch_start(redis) -> None:
    """Redis-side figures of the load window: script time per call (INFO commandstats) and
    the scripts that ran longer than SLOW_US (SLOWLOG), named by their SHA."""
    await redis.config_set("slowlog-log-slower-than", SLOW_US)
    await redis.config_set("slowlog-max-len", 4096)
    await redis.slowlog_reset()
    await redis.config_resetstat()


async def _redis_watch_stop(redis) -> dict[str, Any]:
    import hashlib

    try:  # the scripts' names by SHA, as the router loads them (else the SHAs are shown)
        from callcenter.services.router.store import TRANSITIONS, _script_source

        names = {hashlib.sha1(_script_source(name).encode()).hexdigest(): name for name in TRANSITIONS}
    except (ImportError, OSError):
        names = {}
    stats = await redis.info("commandstats")
    slow = await redis.slowlog_get(4096)
    await redis.config_set("slowlog-log-slower-than", 10000)
    by_script: dict[str, dict[str, Any]] = {}
    for entry in slow:
        command = entry["command"].decode(errors="replace") if isinstance(entry["command"], bytes) else entry["command"]
        words = command.split()
        name = words[0].upper() if words else "?"
        if name == "EVALSHA" and len(words) > 1:
            name = names.get(words[1], words[1][:8])
        item = by_script.setdefault(name, {"n": 0, "max_ms": 0.0, "total_ms": 0.0})
        item["n"] += 1
        item["max_ms"] = max(item["max_ms"], entry["duration"] / 1000)
        item["total_ms"] = round(item["total_ms"] + entry["duration"] / 1000, 1)
    evalsha = stats.get("cmdstat_evalsha", {})
    return {
        "evalsha_calls": evalsha.get("calls"),
        "evalsha_usec_per_call": evalsha.get("usec_per_call"),
        "evalsha_total_s": round(evalsha.get("usec", 0) / 1e6, 2),
        "xread_calls": stats.get("cmdstat_xread", {}).get("calls"),
        "xread_usec_per_call": stats.get("cmdstat_xread", {}).get("usec_per_call"),
        f"slower_than_{SLOW_US // 1000}ms": by_script,
    }


async def _read_stream(redis, key: str) -> list[tuple[str, dict[str, str]]]:
    entries: list[tuple[str, dict[str, str]]] = []
    start = "-"
    while True:
        batch = await redis.xrange(key, min=start, count=10_000)
        if not batch:
            return entries
        entries.extend(batch)
        start = f"({batch[-1][0]}"


def _position_changes(entries, received: dict[str, int]) -> dict[str, int]:
    """How often each call's queue position changed while it waited, replaying the queues'
    waiting lines from the event stream (a line is ordered by arrival, then call id, as the
    router's sorted sets are): every call entering or leaving a line moves those behind it."""
    lines: dict[str, list[tuple[int, str]]] = {}
    where: dict[str, tuple[str, tuple[int, str]]] = {}
    changes: dict[str, int] = {}
    for _entry_id, f in entries:
        kind, call_id = f.get("type", ""), f.get("call_id", "")
        if not call_id:
            continue
        if kind == "CALL_QUEUED" and call_id not in where:
            line = lines.setdefault(f.get("queue", ""), [])
            item = (received.get(call_id, int(f.get("time", 0))), call_id)
            at = bisect.bisect_left(line, item)
            line.insert(at, item)
            where[call_id] = (f.get("queue", ""), item)
            for _, behind in line[at + 1 :]:
                changes[behind] = changes.get(behind, 0) + 1
        elif kind in LEAVES_LINE and call_id in where:
            queue, item = where.pop(call_id)
            line = lines[queue]
            at = bisect.bisect_left(line, item)
            del line[at]
            for _, behind in line[at:]:
                changes[behind] = changes.get(behind, 0) + 1
    return changes


async def _analyse(redis, tenant, results, a, n, cpu, idle_cpu, window, cpu_window) -> dict[str, Any]:
    from callcenter.tools.bench.runner import summarize

    w0, w1 = window[0] * 1000, window[1] * 1000
    mode_of = {r["pbx_id"]: r["ring_timer"] for r in results}
    grace_of = {r["pbx_id"]: int(r["opened"].get("ring_grace_ms") or 0) for r in results}
    ring = a.pbx_ring_timeout_ms
    entries = await _read_stream(redis, stream_key(tenant))

    def pbx_of(call_id: str) -> str:
        return call_id.partition(".")[0]

    received: dict[str, int] = {}
    offered: dict[str, tuple[int, int]] = {}  # offer id -> (entry ms, time field)
    offer_end: dict[str, tuple[int, str]] = {}  # offer id -> (entry ms, how it ended) — the first end
    completed: dict[str, int] = {}
    transitions: dict[str, int] = {}
    expected = {"offered": 0, "offer_cancelled": 0, "queued": 0, "connected": 0, "ended": 0}
    lateness = {"router": [], "pbx": []}
    lateness_vs_time: list[float] = []  # against the offer's true deadline (its CALL_OFFERED time field)
    wrap_up: list[float] = []
    wrap_up_vs_time: list[float] = []
    completed_time: dict[str, int] = {}
    negatives: list[dict[str, Any]] = []
    skew: list[int] = []
    skew_in: list[float] = []
    skew_top: list[tuple[int, str, str]] = []  # (entry ms - time field, type, entry id) in the window
    ringing_offer: dict[str, str] = {}
    for entry_id, f in entries:
        ms = _entry_ms(entry_id)
        kind, call_id, offer_id = f.get("type", ""), f.get("call_id", ""), f.get("offer_id", "")
        with contextlib.suppress(KeyError, ValueError):
            skew.append(ms - int(f["time"]))
            if w0 <= ms <= w1:
                skew_in.append(float(skew[-1]))
                if skew[-1] >= 5:
                    skew_top.append((skew[-1], kind, entry_id))
        for name in ("duration_ms", "wait_ms"):
            if name in f and int(f[name]) < 0:
                negatives.append({"id": entry_id, "type": kind, name: int(f[name])})
        if f.get("attributes"):
            with contextlib.suppress(ValueError, TypeError):
                attrs = json.loads(f["attributes"])
                if isinstance(attrs, dict) and "queue_wait_ms" in attrs and int(attrs["queue_wait_ms"]) < 0:
                    negatives.append({"id": entry_id, "type": kind, "queue_wait_ms": int(attrs["queue_wait_ms"])})
        if kind in CALL_TRANSITIONS and call_id:
            transitions[call_id] = transitions.get(call_id, 0) + 1
        if kind == "CALL_RECEIVED":
            received[call_id] = int(f.get("time") or ms)
        elif kind == "CALL_OFFERED":
            offered[offer_id] = (ms, int(f.get("time") or ms))
            ringing_offer[call_id] = offer_id
            expected["offered"] += 1
        elif kind == "OFFER_MISSED":
            reason = f.get("reason", "")
            offer_end.setdefault(offer_id, (ms, reason))
            if reason in ROUTER_ENDED:
                expected["offer_cancelled"] += 1
            if reason == "timeout" and offer_id in offered:
                mode = mode_of.get(pbx_of(call_id), "router")
                deadline = offered[offer_id][0] + ring + (grace_of.get(pbx_of(call_id), 0) if mode == "pbx" else 0)
                if w0 <= deadline <= w1:
                    lateness[mode].append(ms - deadline)
                    lateness_vs_time.append(ms - (deadline - offered[offer_id][0] + offered[offer_id][1]))
            if ringing_offer.get(call_id) == offer_id:
                del ringing_offer[call_id]
        elif kind == "CALL_QUEUED":
            expected["queued"] += 1
        elif kind == "CALL_ANSWERED":
            expected["connected"] += 1
            offer_end.setdefault(offer_id, (ms, "answered"))
            ringing_offer.pop(call_id, None)
        elif kind in ("CALL_COMPLETED", "CALL_ABANDONED", "CALL_TIMED_OUT") or (
            kind == "CALL_OVERFLOWED" and f.get("call_state") == "redirected"
        ):
            expected["ended"] += 1
            if kind == "CALL_COMPLETED":
                completed[call_id] = ms
                completed_time[call_id] = int(f.get("time") or ms)
        elif kind == "AGENT_WRAP_UP_ENDED" and f.get("reason") == "timer" and call_id in completed:
            deadline = completed[call_id] + a.pbx_wrap_up_ms
            if w0 <= deadline <= w1:
                wrap_up.append(ms - deadline)
                wrap_up_vs_time.append(ms - (completed_time[call_id] + a.pbx_wrap_up_ms))
    # Offers whose deadline passed in the window but which something else ended after it:
    # the timer was so late that a report or a hang-up overtook it.
    overtaken = 0
    for offer_id, (off_ms, _t) in offered.items():
        call_id = offer_id.rpartition("#")[0]
        mode = mode_of.get(pbx_of(call_id), "router")
        deadline = off_ms + ring + (grace_of.get(pbx_of(call_id), 0) if mode == "pbx" else 0)
        end = offer_end.get(offer_id)
        if w0 <= deadline <= w1 and end is not None and end[1] != "timeout" and end[0] > deadline:
            overtaken += 1
    positions = _position_changes(entries, received)

    # The PBXs' side
    calls = [c for r in results for c in r["calls"]]
    kinds: dict[str, int] = {}
    for r in results:
        for k, v in r["kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
    # Calls lived entirely under load: ended by the caller, the agent's hang-up or the router
    lived = [c for c in calls if c["state"] not in ("", "route_failed") and c["by"] != "cleanup"]
    msgs = sum(c["messages"] for c in lived)
    trans = sum(transitions.get(c["id"], 0) for c in lived)
    pos = sum(positions.get(c["id"], 0) for c in lived)
    short = short_vs_entry = 0
    offers = [o for r in results for o in r["offers"]]
    left_at_pbx = []
    for offer_id, expires_ms, time_ms, received_ms in offers:
        call_id = offer_id.rpartition("#")[0]
        mode = mode_of.get(pbx_of(call_id), "router")
        full = ring + (grace_of.get(pbx_of(call_id), 0) if mode == "pbx" else 0)
        if expires_ms - time_ms < full:
            short += 1
        if offer_id in offered and expires_ms - offered[offer_id][0] < full:
            short_vs_entry += 1
        left_at_pbx.append(round(expires_ms - received_ms - (full - ring), 3))  # ring time left when the PBX heard
    c0, c1 = cpu_window[0], cpu_window[1]
    cpu_s = c1 - c0
    ended_in = [c for c in calls if c["state"] not in ("", "route_failed") and c0 <= c["end"] <= c1]
    router_pct = sum(v for k, v in cpu.items() if k.startswith("router"))
    idle_pct = sum(v for k, v in idle_cpu.items() if k.startswith("router"))
    per_call = router_pct / 100 * cpu_s / len(ended_in) * 1000 if ended_in else None
    above_idle = max(0.0, router_pct - idle_pct) / 100 * cpu_s / len(ended_in) * 1000 if ended_in else None
    redis_per_call = cpu.get("redis", 0) / 100 * cpu_s / len(ended_in) * 1000 if ended_in else None
    loadgen_negatives = [x for r in results for x in r["negative_durations"]]
    by_state: dict[str, int] = {}
    for c in calls:
        label = c["state"] if c["by"] != "cleanup" else "open_at_end"
        if c["state"] == "abandoned" and c["by"] == "caller":
            label = "abandoned_by_caller"
        by_state[label] = by_state.get(label, 0) + 1
    window_s = a.pbx_seconds
    started_in = [c for c in calls if window[0] <= c["start"] <= window[1]]
    answered_in = [c for c in calls if c.get("answered") and c0 <= c["answered"] <= c1]
    per = max(1, len(lived))
    all_lateness = lateness["router"] + lateness["pbx"]
    point = {
        "in_flight": n,
        "replicas": a.pbx_replicas,
        "agents": a.pbx_agents,
        "pbx": [
            {
                "pbx_id": r["pbx_id"],
                "ring_timer": r["ring_timer"],
                "ring_grace_ms": r["opened"].get("ring_grace_ms"),
                "calls": len(r["calls"]),
                "messages": r["messages"],
                "session_error": r["session_error"],
            }
            for r in results
        ],
        "seconds": window_s,
        "cpu_window_s": round(cpu_s, 2),
        "calls": {"started": len(calls), "ended_in_cpu_window": len(ended_in), "by_end": by_state},
        "throughput_per_s": round(len(ended_in) / cpu_s, 2) if cpu_s > 0 else None,
        "calls_per_s": round(len(ended_in) / cpu_s, 2) if cpu_s > 0 else None,
        "arrivals_per_s": round(len(started_in) / window_s, 2),
        "answered_per_s": round(len(answered_in) / cpu_s, 2) if cpu_s > 0 else None,
        "cpu_percent": cpu,
        "idle_cpu_percent": idle_cpu,
        "router_cpu_percent": round(router_pct, 1),
        "router_cpu_ms_per_call": round(per_call, 3) if per_call is not None else None,
        "router_cpu_ms_per_call_above_idle": round(above_idle, 3) if above_idle is not None else None,
        "redis_cpu_ms_per_call": round(redis_per_call, 3) if redis_per_call is not None else None,
        "stream": {
            "calls_counted": len(lived),
            "messages_per_call": round(msgs / per, 2),
            "transitions_per_call": round(trans / per, 2),
            "position_changes_per_call": round(pos / per, 2),
            "bound_per_call": round((trans + pos) / per, 2),
            "kinds_received": kinds,
            "kinds_expected_from_event_stream": {
                **expected,
                "position_changed (true changes, upper bound)": sum(positions.values()),
            },
            "sequence_problems": {k: sum(r["sequence_problems"][k] for r in results) for k in ("gaps", "repeats")},
            "calls_without_ended_message": sum(
                1 for c in calls if c["state"] not in ("", "route_failed") and not c.get("ended_message")
            ),
            "delivery": summarize([x for r in results for x in r["delivery_ms"]]),
        },
        "offer_expiry_lateness": summarize(all_lateness),
        "offer_expiry_lateness_router_timer": summarize(lateness["router"]),
        "offer_expiry_lateness_backstop": summarize(lateness["pbx"]),
        "wrap_up_lateness": summarize(wrap_up),
        # the same firings against the deadlines as the router set them (the events' time
        # fields: the Redis clock when the transition began; an entry id is when its XADD ran)
        "offer_expiry_lateness_vs_time_field": summarize(lateness_vs_time),
        "wrap_up_lateness_vs_time_field": summarize(wrap_up_vs_time),
        "timers_overtaken": overtaken,
        "offers_checked": len(offers),
        "short_offers": short,
        "short_offers_vs_entry_id": short_vs_entry,
        "ring_time_left_at_pbx": summarize(left_at_pbx),
        "event_id_minus_time_ms": {
            "min": min(skew) if skew else None,
            "max": max(skew) if skew else None,
            "in_window": summarize(skew_in),
            "in_window_5ms_or_more": len(skew_top),
            "largest_in_window": [list(x) for x in sorted(skew_top, reverse=True)[:5]],
        },
        "negative_durations": len(negatives) + len(loadgen_negatives),
        "negative_duration_examples": (negatives + loadgen_negatives)[:5],
        "rpc_latency": {
            name: summarize([x for r in results for x in r["rpc_latencies_ms"][name]])
            for name in ("RouteCall", "ReportOfferOutcome", "HangupCall")
        },
        "errors": sum(r["errors"] for r in results),
        "error_kinds": _merged([r["error_kinds"] for r in results]),
        "stale_answers": sum(r["stale_answers"] for r in results),
        "stale_other": sum(r["stale_other"] for r in results),
        "answers": sum(r["answers"] for r in results),
        "no_answer_reports": sum(r["no_answer_reports"] for r in results),
        "lost_no_answer_reports": sum(r["lost_reports"] for r in results),
        "events_in_stream": len(entries),
    }
    return point


def _merged(dicts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def _targets(point: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, met or not (judged at every point; they are set for 400 in flight)."""
    lat = [point["offer_expiry_lateness"]["p99_ms"], point["wrap_up_lateness"]["p99_ms"]]
    s = point["stream"]
    ratio = point.get("cpu_ratio_to_bare_lifecycle")
    return {
        "lateness_p99_le_20ms": all(x is not None and x <= TARGETS["lateness_p99_ms"] for x in lat),
        "no_short_offers": point["short_offers"] == 0,
        "no_negative_durations": point["negative_durations"] == 0,
        "cpu_le_2x_bare_lifecycle": None if ratio is None else ratio <= TARGETS["cpu_ratio_to_bare_lifecycle"],
        "messages_le_transitions_plus_positions": s["messages_per_call"] <= s["bound_per_call"],
    }


def point_lines(p: dict[str, Any]) -> list[str]:
    from callcenter.tools.bench.runner import _fmt, row

    s = p["stream"]
    cpu = {k: v for k, v in p["cpu_percent"].items()}
    lines = [
        row(
            f"pbx: {p['in_flight']} in flight, {p['replicas']} replicas, calls",
            {"throughput_per_s": p["calls_per_s"], "latency": p["rpc_latency"]["RouteCall"], "cpu_percent": cpu},
        ),
        row("  offer expiry lateness (all, entry ids)", {"latency": p["offer_expiry_lateness"]}),
        row("    router ring timer", {"latency": p["offer_expiry_lateness_router_timer"]}),
        row("    backstop (PBX ring timer, + grace)", {"latency": p["offer_expiry_lateness_backstop"]}),
        row("  wrap-up release lateness (entry ids)", {"latency": p["wrap_up_lateness"]}),
        row("  offer expiry vs the time fields", {"latency": p["offer_expiry_lateness_vs_time_field"]}),
        row("  wrap-up release vs the time fields", {"latency": p["wrap_up_lateness_vs_time_field"]}),
        row("  stream delivery (event time -> PBX)", {"latency": s["delivery"]}),
        row("  ring time left when the PBX heard", {"latency": p["ring_time_left_at_pbx"]}),
        f"  {p['calls_per_s']} calls/s ended ({p['arrivals_per_s']} arrived/s, {p['answered_per_s']} answered/s);"
        f" router CPU {_fmt(p['router_cpu_ms_per_call'])} ms/call"
        f" ({_fmt(p['router_cpu_ms_per_call_above_idle'])} above idle)"
        f" = {_fmt(p.get('cpu_ratio_to_bare_lifecycle'))}x the bare lifecycle's"
        f" {_fmt(p.get('bare_lifecycle_cpu_ms_per_call'))} ms; redis {_fmt(p['redis_cpu_ms_per_call'])} ms/call",
        f"  stream messages/call {s['messages_per_call']} vs transitions {s['transitions_per_call']}"
        f" + position changes {s['position_changes_per_call']}; sequence gaps {s['sequence_problems']['gaps']},"
        f" repeats {s['sequence_problems']['repeats']}",
        f"  short offers {p['short_offers']} of {p['offers_checked']}; negative durations {p['negative_durations']};"
        f" timers overtaken {p['timers_overtaken']}; errors {p['errors']}, stale answers {p['stale_answers']}",
    ]
    if p.get("targets"):
        lines.append(
            "  targets: "
            + ", ".join(f"{k} {'-' if v is None else ('met' if v else 'MISSED')}" for k, v in p["targets"].items())
        )
    return lines


def render_lines(section: dict[str, Any]) -> list[str]:
    st = section["settings"]
    lines = [
        f"pbx at load ({st['replicas']} router replicas, {st['pbx_processes']} PBX processes, {st['agents']} agents;"
        f" ring {st['ring_timeout_ms']} ms + grace {st['ring_grace_ms']} ms, wrap-up {st['wrap_up_ms']} ms,"
        f" {st['seconds']:g} s per point)"
    ]
    for p in section["points"]:
        lines.extend(point_lines(p))
    return lines
