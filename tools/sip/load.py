"""A SIP load through Kamailio and the router, and what it shows: sipp callers at a steady rate,
one sipp process answering for every agent (with a probability, after a random delay), and
the failover lateness read from the agents' SIP trace: how much later than the ring timeout
the next agent's INVITE went out, for every offer nobody answered that the router passed on
straight away (the router's event stream says which: no CALL_QUEUED in between)."""

from __future__ import annotations

import asyncio
import dataclasses
import pathlib
import time
from collections import defaultdict
from typing import Any

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.event_stream import decode, duration_ms, stream_key
from callcenter.tools.bench.runner import summarize
from callcenter.tools.sip.processes import Kamailio, Message, Sipp, read_trace

NUMBER = "4930100199"
OFFER_HEADER = "x-callcenter-offer-id"


@dataclasses.dataclass(frozen=True)
class SipLoadPlan:
    """The load: how many calls, how the agents and callers behave, the queue's timers."""

    calls_per_s: float = 20.0
    seconds: float = 60.0
    agents: int = 200
    answer_p: float = 0.7
    answer_ms: tuple[int, int] = (300, 1500)
    talk_ms: tuple[int, int] = (2000, 5000)
    ring_timeout_ms: int = 2000
    wrap_up_ms: int = 1000
    kamailio_children: int = 8

    @property
    def calls(self) -> int:
        return max(1, round(self.calls_per_s * self.seconds))


async def _team(stub, plan: SipLoadPlan, agents_port: int) -> None:
    await stub.UpsertQueue(
        pb.UpsertQueueRequest(
            queue=pb.Queue(
                name="sip-load",
                dialed_numbers=[NUMBER],
                ring_timeout=duration_ms(plan.ring_timeout_ms),
                wrap_up=duration_ms(plan.wrap_up_ms),
                max_no_answer=0,  # a simulated agent who misses three in a row is never resumed
            )
        )
    )
    gate = asyncio.Semaphore(32)

    async def one(n: int) -> None:
        agent_id = f"sipload{n:04d}"
        async with gate:
            await stub.UpsertAgent(
                pb.UpsertAgentRequest(
                    agent=pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@127.0.0.1:{agents_port}", queues=["sip-load"])
                )
            )
            await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))

    await asyncio.gather(*(one(n) for n in range(plan.agents)))


def call_outcomes(caller_trace: list[Message]) -> dict[str, int]:
    """Calls placed, connected (200 to the INVITE) and completed (200 to the BYE), and the
    final failure responses the callers got, by code."""
    placed: set[str] = set()
    connected: set[str] = set()
    completed: set[str] = set()
    failures: dict[str, int] = defaultdict(int)
    for m in caller_trace:
        call_id = m.headers.get("call-id", "")
        if m.sent and m.method == "INVITE":
            placed.add(call_id)
        elif not m.sent and m.first_line.startswith("SIP/2.0 "):
            code = m.first_line.split(" ")[1]
            cseq = m.headers.get("cseq", "")
            if code == "200" and cseq.endswith("INVITE"):
                connected.add(call_id)
            elif code == "200" and cseq.endswith("BYE"):
                completed.add(call_id)
            elif code[0] in "3456":
                failures[code] += 1
    return {
        "placed": len(placed),
        "connected": len(connected),
        "completed": len(completed & placed),
        "failed": len(placed - completed),
        **{f"final_{code}": n for code, n in sorted(failures.items())},
    }


@dataclasses.dataclass(frozen=True)
class OfferOnTheWire:
    """One offer as the agent's phone saw it: the first INVITE and the first 180 it sent."""

    invite: Message
    ringing: Message | None


def _top_branch(m: Message) -> str:
    """The branch parameter of a message's first Via (sipp may fold all Vias into one header)."""
    via = m.headers.get("via", "")
    start = via.find("branch=")
    return via[start + 7 :].split(";")[0].split(",")[0].strip() if start >= 0 else ""


def offer_invites(agent_trace: list[Message]) -> dict[str, dict[int, OfferOnTheWire]]:
    """Each call's offers as the agents' phones received them: call id -> attempt -> the first
    INVITE of that offer (retransmissions dropped) and the phone's first 180 for it (matched
    by the branch of the top Via)."""
    invites: dict[str, dict[int, Message]] = defaultdict(dict)
    ringing: dict[tuple[str, str], Message] = {}
    for m in agent_trace:
        if m.sent and m.first_line.startswith("SIP/2.0 180"):
            ringing.setdefault((m.headers.get("call-id", ""), _top_branch(m)), m)
        if m.sent or m.method != "INVITE" or OFFER_HEADER not in m.headers:
            continue
        call_id, _, attempt = m.headers[OFFER_HEADER].rpartition("#")
        if attempt.isdigit():
            invites[call_id].setdefault(int(attempt), m)
    return {
        call_id: {
            n: OfferOnTheWire(m, ringing.get((m.headers.get("call-id", ""), _top_branch(m))))
            for n, m in by_attempt.items()
        }
        for call_id, by_attempt in invites.items()
    }


def straight_failovers(events: list[events_pb2.Event]) -> set[tuple[str, int]]:
    """(call id, attempt) of every missed offer the router passed straight to the next agent:
    the call's next event after the miss is its next offer (no CALL_QUEUED between)."""
    by_call: dict[str, list[events_pb2.Event]] = defaultdict(list)
    for e in events:
        if e.call_id:
            by_call[e.call_id].append(e)
    out = set()
    for call_id, evs in by_call.items():
        for i, e in enumerate(evs[:-1]):
            if e.type != events_pb2.EVENT_TYPE_OFFER_MISSED or e.reason != "no_answer":
                continue
            following = next((f for f in evs[i + 1 :] if f.type != events_pb2.EVENT_TYPE_OFFER_MISSED), None)
            if following is not None and following.type == events_pb2.EVENT_TYPE_CALL_OFFERED:
                attempt = e.offer_id.rpartition("#")[2]
                if attempt.isdigit():
                    out.add((call_id, int(attempt)))
    return out


def failover_lateness_ms(
    offers: dict[str, dict[int, OfferOnTheWire]], straight: set[tuple[str, int]], ring_timeout_ms: int
) -> list[float]:
    """For each straight failover: the next INVITE's time minus (the moment the missed phone
    began to ring plus the ring timeout), both read from the agents' phones. The ring timeout
    counts from the phone's 180 (kamailio.cfg; with a real phone that is the INVITE's moment
    give or take a millisecond); the load's single sipp process sometimes rings only on an
    INVITE's retransmission, half a second later, which the INVITE's time would count as
    Kamailio's lateness."""
    out = []
    for call_id, attempt in straight:
        by_attempt = offers.get(call_id, {})
        missed, following = by_attempt.get(attempt), by_attempt.get(attempt + 1)
        if missed is not None and following is not None:
            rang = missed.ringing or missed.invite
            out.append((following.invite.at - rang.at).total_seconds() * 1000 - ring_timeout_ms)
    return out


async def _events(redis, tenant: str, after: str) -> list[events_pb2.Event]:
    out = []
    start = after
    while True:
        batch = await redis.xrange(stream_key(tenant), min=f"({start}", count=5000)
        if not batch:
            return out
        out += [decode(entry_id, fields) for entry_id, fields in batch]
        start = batch[-1][0]


async def run_sip_load(
    stub, redis, tenant: str, router_port: int, workdir: pathlib.Path, plan: SipLoadPlan, say=print
) -> dict[str, Any]:
    """Runs the load through a Kamailio of its own; the figures."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    last = await redis.xrevrange(stream_key(tenant), count=1)
    after = last[0][0] if last else "0-0"
    lo, hi = plan.answer_ms
    agents = Sipp(
        workdir,
        "agents",
        "agent.xml",
        *("-set", "answer", str(lo), "-set", "spread", str(hi - lo), "-set", "answer_p", str(plan.answer_p)),
        *("-set", "farm", "1", "-deadcall_wait", "0"),
    ).start()
    kamailio = Kamailio(workdir, router_port, pbx_id=f"sipload-{tenant}", children=plan.kamailio_children)
    caller = None
    try:
        await _team(stub, plan, agents.port)
        await asyncio.to_thread(kamailio.start)
        say(f"sip: {plan.calls_per_s:g} calls/s for {plan.seconds:g} s through Kamailio, {plan.agents} agents ...")
        talk_lo, talk_hi = plan.talk_ms
        caller = Sipp(
            workdir,
            "callers",
            "caller.xml",
            *("-s", NUMBER, "-r", f"{plan.calls_per_s:g}", "-m", str(plan.calls), "-l", "5000"),
            *("-set", "talk", str(talk_lo), "-set", "spread", str(talk_hi - talk_lo)),
            f"127.0.0.1:{kamailio.port}",
        ).start()
        started = time.monotonic()
        longest_call_s = (hi + talk_hi + plan.ring_timeout_ms * 6 + plan.wrap_up_ms) / 1000
        code = await asyncio.to_thread(caller.wait, plan.seconds + longest_call_s + 120)
        elapsed = time.monotonic() - started
        counted = await asyncio.to_thread(kamailio.samples)
    finally:
        if caller is not None:
            caller.stop()
        agents.stop()
        await asyncio.to_thread(kamailio.stop)
    outcomes = call_outcomes(caller.messages())
    offers = offer_invites(agents.messages())
    events = await _events(redis, tenant, after)
    straight = straight_failovers(events)
    lateness = failover_lateness_ms(offers, straight, plan.ring_timeout_ms)
    kamailio_errors = [line for line in kamailio.lines if " ERROR: " in line or "Traceback" in line]
    return {
        "plan": {**dataclasses.asdict(plan), "calls": plan.calls},
        "sipp_exit_code": code,
        "elapsed_s": round(elapsed, 1),
        "calls": outcomes,
        "offers": sum(len(v) for v in offers.values()),
        "straight_failovers": len(straight),
        "failover_lateness": summarize(lateness),
        "failover_error": summarize([abs(x) for x in lateness]),  # early or late: |lateness|
        "failover_lateness_min_ms": round(min(lateness), 1) if lateness else None,
        "kamailio_error_lines": len(kamailio_errors),
        # The integration's counters on Kamailio's /metrics (docs/kamailio.md#metrics)
        "kamailio_counters": {
            _series(name, labels): value
            for (name, labels), value in sorted(counted.items())
            if name.startswith("kamailio_callcenter_")
        },
        "kamailio_errors_sample": kamailio_errors[:5],
        "router_events": len(events),
    }


def _series(name: str, labels: tuple[tuple[str, str], ...]) -> str:
    """A series as PromQL writes it: name{label="value",...}."""
    return name + ("{" + ",".join(f'{k}="{value}"' for k, value in labels) + "}" if labels else "")


def summary_lines(result: dict[str, Any]) -> list[str]:
    calls, late = result["calls"], result["failover_lateness"]
    return [
        f"sip: {calls['placed']} calls placed, {calls['completed']} completed, {calls['failed']} failed"
        f" ({', '.join(f'{k}={v}' for k, v in calls.items() if k.startswith('final_')) or 'no failure responses'})",
        f"sip: {result['straight_failovers']} failovers, lateness p50 {late['p50_ms']} ms, p99 {late['p99_ms']} ms,"
        f" max {late['max_ms']} ms (min {result['failover_lateness_min_ms']} ms); |lateness| p99"
        f" {result['failover_error']['p99_ms']} ms; Kamailio error lines: {result['kamailio_error_lines']}",
    ]


__all__ = ["SipLoadPlan", "read_trace", "run_sip_load", "summary_lines"]
