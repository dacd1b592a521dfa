"""The bench's `outbound` section: a progressive campaign dialled by the router's dialler and
followed, call by call, by the simulator's virtual PBX (callcenter.tools.simulator, in a
load-generator process of its own): `--outbound-contacts` contacts (10,000), `--outbound-agents`
agents (50), customers answering with `--outbound-answer` (0.3), short dials and talks, the
dialler stepping every DIALLER_INTERVAL_MS.

Measured over the load window (from the dialler's first decision, `--outbound-seconds`, else
`--seconds`): the dialler's decisions per second (its own counter, Dialler.decisions, which the
router process writes to a file: callcenter.tools.bench.outbound_router), calls dialled and
connected per second (the campaign's progress), the router process's CPU against the same
process idle just before (the added CPU), and the ratio of the router RPCs the PBX made to the
same-run ceiling (the echo sections' RPC/s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import time
from typing import Any

from callcenter.api.router.v1 import campaigns_pb2 as cpb
from callcenter.api.router.v1 import campaigns_pb2_grpc
from callcenter.tools.bench.outbound_router import read_counters
from callcenter.tools.bench.procs import CpuMeter, LoadWorker, ServerProcess, service_channel

DIALLER_INTERVAL_MS = 50
SETTLE_S = 1.0  # after the router reported its port, before the idle baseline
IDLE_S = 3.0  # the idle baseline (the router started, nothing set up), at most a third of the window
TALK_S = (1.0, 0.4)  # median seconds and lognormal sigma
DIAL_S = (0.4, 0.4)  # the customer's leg: ringing until they answer or give up
AGENT_LEG_S = (0.1, 0.3)  # the agent's own leg
RETRY_S = 5.0  # a contact not reached is tried again after this (2 attempts)
DRAIN_S = 10.0


def simulation_config(a, router: str, seconds: float) -> dict[str, Any]:
    """SimulationConfig fields (Spread ones as [median_s, sigma]) for the loadgen's simulate op."""
    return {
        "router": router,
        "pbx_contract": "v2",
        "speed": 1.0,
        "rate_per_min": 1.0,
        "max_calls": 0,  # outbound only
        "duration_s": seconds,
        "drain_s": DRAIN_S,
        "summary_every_s": 0,
        "seed": 20261203,
        "prefix": "outb",
        "agents": a.outbound_agents,
        "never_answer_agents": 0,
        "clients": 0,
        "ring_timeout_s": 2.0,
        "wrap_up_s": 0.0,
        "retry_delay_s": 0.2,
        "dial_timeout_s": 10.0,
        "talk": list(TALK_S),
        "dial_delay": list(DIAL_S),
        "answer_delay": list(AGENT_LEG_S),
        "customer_answer_probability": a.outbound_answer,
        "customer_busy_probability": 0.1,
        "dial_failed_probability": 0.05,
        "campaign_contacts": a.outbound_contacts,
        "campaign_mode": "progressive",
        "campaign_max_attempts": 2,
        "campaign_retry_s": RETRY_S,
        "pbx_lease_s": 10.0,
    }


async def _progress(stub, campaign_id: str) -> cpb.CampaignProgress | None:
    reply = await stub.ListCampaigns(cpb.ListCampaignsRequest(), timeout=30)
    for campaign in reply.campaigns:
        if campaign.campaign_id == campaign_id or (not campaign_id and campaign.name.startswith("Simulation")):
            return campaign.progress
    return None


async def outbound_section(bench, workdir: pathlib.Path, redis_url: str) -> dict[str, Any]:
    """One run; a failure is reported in the results (the other sections go on)."""
    a = bench.args
    seconds = a.outbound_seconds or a.seconds
    tenant = bench.tenant + "out"
    counters_file = workdir / "outbound-dialler.json"
    router = ServerProcess.router(
        workdir,
        redis_url,
        tenant,
        name="router-outbound",
        extra_env={"CALLCENTER_DIALLER_INTERVAL_MS": str(DIALLER_INTERVAL_MS)},
    )
    router.args = ["-m", "callcenter.tools.bench.outbound_router", "--counters-file", str(counters_file)]
    pbx = LoadWorker(200)
    bench.say(
        f"outbound: {a.outbound_contacts} contacts, {a.outbound_agents} agents, answer p {a.outbound_answer},"
        f" {seconds:g} s ..."
    )
    try:
        await asyncio.gather(router.start(), pbx.start())
        await asyncio.sleep(min(SETTLE_S, seconds / 3))  # the end of its start-up is not idle time
        idle = CpuMeter({"router": [router.pid or 0]})
        idle.start()
        await asyncio.sleep(min(IDLE_S, seconds / 3))
        idle_cpu = idle.stop()
        run = asyncio.create_task(pbx.run({"op": "simulate", "config": simulation_config(a, router.address, seconds)}))
        async with service_channel(router.address) as channel:
            stub = campaigns_pb2_grpc.CampaignServiceStub(channel)
            # The window opens at the dialler's first decision (the campaign started).
            while not (read_counters(counters_file) or {}).get("decisions"):
                done, _ = await asyncio.wait({run}, timeout=0.01)
                if done:
                    raise RuntimeError(f"the simulation ended before the dialler decided anything: {run.result()}")
            meter = CpuMeter(
                {
                    "router": [router.pid or 0],
                    "redis": [bench.redis_pid or 0],
                    "pbx": [pbx.pid or 0],
                    "bench": [os.getpid()],
                }
            )
            meter.start()
            t0 = time.monotonic()
            first, p0 = read_counters(counters_file) or {}, await _progress(stub, "")
            # The simulation pauses the campaign `seconds` after starting it: stop a little before.
            await asyncio.sleep(max(0.1, seconds - 0.2 - DIALLER_INTERVAL_MS / 1000))
            last, p1 = read_counters(counters_file) or {}, await _progress(stub, "")
            cpu = meter.stop()
            window = time.monotonic() - t0
        result = await run
    except Exception as exc:
        bench.say(f"outbound: failed: {type(exc).__name__}: {exc}")
        return {"status": f"failed: {type(exc).__name__}: {exc}"}
    finally:
        router.stop()
        with contextlib.suppress(Exception):
            await pbx.stop()
    assert p0 is not None and p1 is not None
    decisions = last.get("decisions", 0) - first.get("decisions", 0)
    busy = last.get("busy_s", 0.0) - first.get("busy_s", 0.0)
    dialled = p1.attempts - p0.attempts
    connected = p1.connected - p0.connected
    c = result["counters"]
    # The PBX's RPCs to the router per outbound call: its dial report, and a connected call's hang-up.
    rpcs = dialled + connected
    added = max(0.0, cpu.get("router", 0.0) - idle_cpu.get("router", 0.0))
    section: dict[str, Any] = {
        "status": "measured",
        "settings": {
            "contacts": a.outbound_contacts,
            "agents": a.outbound_agents,
            "customer_answer_p": a.outbound_answer,
            "busy_p": 0.1,
            "failed_p": 0.05,
            "talk_s": list(TALK_S),
            "dial_s": list(DIAL_S),
            "agent_leg_s": list(AGENT_LEG_S),
            "wrap_up_ms": 0,
            "retry_s": RETRY_S,
            "max_attempts": 2,
            "dialler_interval_ms": DIALLER_INTERVAL_MS,
            "seconds": seconds,
        },
        "window_s": round(window, 2),
        "dialler_decisions_per_s": round(decisions / window, 1),
        "dialler_busy_percent": round(busy / window * 100, 1),
        "dialled_per_s": round(dialled / window, 1),
        "connected_per_s": round(connected / window, 1),
        "throughput_per_s": round(dialled / window, 1),
        "rpc_per_s": round(rpcs / window, 1),
        "cpu_percent": cpu,
        "idle_cpu_percent": idle_cpu,
        "router_cpu_added_percent": round(added, 1),
        "router_cpu_ms_per_dialled_call": round(added / 100 * window / dialled * 1000, 3) if dialled else None,
        "campaign_at_end": result["campaign"],
        "pbx": {
            k: c.get(k, 0)
            for k in (
                "outbound_calls",
                "originates",
                "dial_answered",
                "dial_no_answer",
                "dial_busy",
                "dial_failed",
                "dial_agent_no_answer",
                "completed",
                "not_connected",
                "stale_reports",
                "errors",
                "stream_gaps",
                "stream_repeats",
            )
        },
        "final_states": result["final_states"],
        "errors": c.get("errors", 0),
    }
    sections = bench.results["sections"]
    for name in ("echo", "echo_redis"):
        ceiling = sections.get(name, {}).get("rpc_per_s")
        if ceiling:
            section[f"rpc_ratio_to_{name}"] = round(section["rpc_per_s"] / ceiling, 3)
    for line in render_lines(section):
        bench.say(line)
    return section


def render_lines(s: dict[str, Any]) -> list[str]:
    from callcenter.tools.bench.runner import _fmt

    if s.get("status") != "measured":
        return [f"{'outbound:':<44} {s.get('status', '?')}"]
    st = s["settings"]
    ratios = ", ".join(f"{s[k]:.1%} of {k.removeprefix('rpc_ratio_to_')}" for k in s if k.startswith("rpc_ratio_to_"))
    pbx = s["pbx"]
    return [
        f"outbound: progressive campaign, {st['contacts']} contacts, {st['agents']} agents, answer p"
        f" {st['customer_answer_p']}, talk ~{st['talk_s'][0]:g} s, dialler every {st['dialler_interval_ms']} ms"
        f" ({s['window_s']:g} s window)",
        f"  dialler decisions/s {_fmt(s['dialler_decisions_per_s'])} (busy {_fmt(s['dialler_busy_percent'])}% of"
        f" the window); calls dialled/s {_fmt(s['dialled_per_s'])}, connected/s {_fmt(s['connected_per_s'])}",
        f"  router CPU {_fmt(s['cpu_percent'].get('router'))}% of a core vs"
        f" {_fmt(s['idle_cpu_percent'].get('router'))}% idle: added {_fmt(s['router_cpu_added_percent'])}%"
        f" = {_fmt(s['router_cpu_ms_per_dialled_call'])} ms per dialled call; redis"
        f" {_fmt(s['cpu_percent'].get('redis'))}%, simulator {_fmt(s['cpu_percent'].get('pbx'))}%",
        f"  PBX RPC/s {_fmt(s['rpc_per_s'])}"
        + (f" = {ratios} RPC/s" if ratios else "")
        + f"; PBX: {pbx['outbound_calls']} dialled, {pbx['dial_answered']} answered, {pbx['not_connected']}"
        f" not connected, errors {pbx['errors']}, stale {pbx['stale_reports']}",
    ]
