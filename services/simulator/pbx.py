"""The virtual PBX and its agents, playing calls against the router over gRPC.

For every call the PBX does what a real one does (docs/simulator.md): RouteCall, then it
follows the call's WatchCall stream, so it learns of each new offer (after a ring timeout, or
when a queued call finds an agent) as the router pushes it, without polling. It rings the
offered agent, whose virtual self answers after a moment, declines, or lets it ring out (the
router's timer then fails the call over to the next agent); it hangs up when the talk is over
or when the caller runs out of patience. After a call the agent does their after-call work and
ends the wrap-up early when done before the queue's wrap-up time. An agent the router paused
for missing calls comes back after a while (ResumeAgent).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import IO

import grpc
import structlog
from google.protobuf import duration_pb2

from callcenter.common.v1 import states_pb2
from callcenter.router.v1 import router_pb2 as pb
from callcenter.router.v1 import router_pb2_grpc
from services.simulator.config import SimulationConfig
from services.simulator.side_effects import SideEffect, SimCall

log = structlog.get_logger(__name__)

_FINAL = {
    states_pb2.CALL_STATE_COMPLETED,
    states_pb2.CALL_STATE_ABANDONED,
    states_pb2.CALL_STATE_TIMED_OUT,
    states_pb2.CALL_STATE_REDIRECTED,
}
RPC_TIMEOUT_S = 10.0


def _duration(seconds_ms: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(seconds_ms)
    return d


def _state_name(state: int) -> str:
    return states_pb2.CallState.Name(state).removeprefix("CALL_STATE_").lower()


@dataclass
class Counters:
    """What the live summary shows; every figure counts since the start of the run."""

    calls: int = 0  # calls the PBX placed (RouteCall asked)
    routed: int = 0  # calls the router accepted
    offers: int = 0  # offers the PBX rang
    answered: int = 0
    completed: int = 0
    missed_offers: int = 0  # offers that did not end in an answer
    failovers: int = 0  # ... of which rang out and the router moved the call on by its timer
    rejected: int = 0  # ... of which the agent declined
    abandoned: int = 0  # callers who hung up before anyone answered
    timed_out: int = 0
    redirected: int = 0
    errors: int = 0  # RPCs that failed (router unreachable, ...)
    stale_reports: int = 0  # outcome reports the router had already overtaken (allowed)
    early_wrap_up_ends: int = 0
    agents_paused: int = 0  # agents found paused by the router for missing calls
    agents_resumed: int = 0
    side_effect_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class VirtualAgent:
    agent_id: str
    tier: int
    queues: tuple[str, ...]
    never_answers: bool = False
    coming_back: bool = False


@dataclass
class _Leg:
    """The PBX's side of one call in progress."""

    call: SimCall
    version: int = -1
    state: int = 0
    offer_id: str = ""
    offer_agent: str = ""
    offer_decision: str = ""  # answer, reject, ring_out while the current offer rings
    connected: bool = False
    answering: bool = False
    final: bool = False
    tasks: list[asyncio.Task] = field(default_factory=list)


@dataclass
class SimulationResult:
    counters: dict[str, int]
    # Every call of a bounded run (--duration or --calls); empty for a run until stopped.
    calls: list[SimCall]
    elapsed_s: float
    # How many calls ended in each final state ("error": the router refused or was unreachable).
    final_states: dict[str, int] = field(default_factory=dict)


class Simulation:
    def __init__(
        self,
        config: SimulationConfig,
        side_effects: Iterable[SideEffect] = (),
        out: IO[str] | None = None,
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        config.validate()
        self.config = config
        self.side_effects = list(side_effects)
        self.out = out if out is not None else sys.stdout
        self.rng = random.Random(config.seed)
        self.counters = Counters()
        # Not from the seeded generator: a rerun with the same seed against the same router
        # must not meet its earlier calls (RouteCall is idempotent by call id).
        self.run_tag = uuid.uuid4().hex[:8]
        self.sales = f"{config.prefix}-sales"
        self.support = f"{config.prefix}-support"
        self.agents: dict[str, VirtualAgent] = {}
        self.known_callers: list[str] = []
        self._known: set[str] = set()
        self.calls: list[SimCall] = []
        # A run until stopped (the demo) keeps counts only, not every call.
        self._keep_calls = config.duration_s is not None or config.max_calls is not None
        self.final_states: dict[str, int] = {}
        self._channel = channel
        self._legs: dict[str, _Leg] = {}
        self._background: set[asyncio.Task] = set()
        self._call_tasks: set[asyncio.Task] = set()
        self._started = 0.0
        self.stub: router_pb2_grpc.RouterServiceStub | None = None

    # Running -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> SimulationResult:
        """Sets up the team, plays calls until the duration, the number of calls or `stop`,
        lets the calls in progress finish (at most drain_s), and returns what happened."""
        stop = stop or asyncio.Event()
        channel = self._channel or grpc.aio.insecure_channel(self.config.router)
        try:
            self.stub = router_pb2_grpc.RouterServiceStub(channel)
            await self.setup()
            for effect in self.side_effects:
                await effect.start(self)
            self._started = time.monotonic()
            summaries = asyncio.create_task(self._summaries(), name="simulator-summary")
            try:
                await self._arrivals(stop)
                await self._drain()
            finally:
                summaries.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await summaries
                for task in list(self._background) + list(self._call_tasks):
                    task.cancel()
                await asyncio.gather(*self._background, *self._call_tasks, return_exceptions=True)
                for leg in list(self._legs.values()):  # legs cut short by the cancellation
                    self._finished(leg)
            await self.print_summary(final=True)
            if self.config.logout_at_end:
                await self._logout_all()
            for effect in self.side_effects:
                await self._guard(effect.stop(), effect)
        finally:
            if self._channel is None:
                await channel.close()
        return SimulationResult(
            self.counters.as_dict(), list(self.calls), time.monotonic() - self._started, dict(self.final_states)
        )

    async def _arrivals(self, stop: asyncio.Event) -> None:
        cfg = self.config
        per_second = cfg.rate_per_min / 60 * cfg.speed
        end = None if cfg.duration_s is None else self._started + cfg.duration_s
        next_at = time.monotonic()
        while cfg.max_calls is None or self.counters.calls < cfg.max_calls:
            next_at += self.rng.expovariate(per_second)
            if end is not None and next_at > end:
                # Wait out the rest of the duration (so the run lasts as long as asked), unless stopped.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=max(0.0, end - time.monotonic()))
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - time.monotonic()))
            if stop.is_set():
                return
            self._place_call()

    async def _drain(self) -> None:
        pending = set(self._call_tasks)
        if pending:
            await asyncio.wait(pending, timeout=self.config.drain_s)
        # Whatever still runs: the callers hang up (so every call ends in a final state).
        left = [leg for leg in self._legs.values() if not leg.final]
        await asyncio.gather(*(self._hangup(leg, "drain") for leg in left), return_exceptions=True)
        pending = set(self._call_tasks)
        if pending:
            await asyncio.wait(pending, timeout=5)

    # Setup ---------------------------------------------------------------------------

    async def setup(self) -> None:
        """Creates the simulation's queues, agents and caller list, and logs the agents in."""
        cfg, stub = self.config, self.stub
        assert stub is not None
        common = dict(
            ring_timeout=_duration(cfg.scaled_ms(cfg.ring_timeout_s)),
            wrap_up=_duration(cfg.scaled_ms(cfg.wrap_up_s) if cfg.wrap_up_s > 0 else 0),
            retry_delay=_duration(cfg.scaled_ms(cfg.retry_delay_s)),
            allow_early_wrap_up_end=True,
            max_no_answer=cfg.max_no_answer,
        )
        await stub.UpsertQueue(
            pb.UpsertQueueRequest(queue=pb.Queue(name=self.support, strategy=pb.STRATEGY_ROUND_ROBIN, **common)),
            timeout=RPC_TIMEOUT_S,
        )
        await stub.UpsertQueue(
            pb.UpsertQueueRequest(
                queue=pb.Queue(
                    name=self.sales,
                    strategy=pb.STRATEGY_LONGEST_IDLE,
                    vip_min_tier=2,
                    vip_overflow=_duration(cfg.scaled_ms(cfg.vip_overflow_s)),
                    sticky=True,
                    manager_wait=_duration(cfg.scaled_ms(cfg.manager_wait_s) if cfg.manager_wait_s > 0 else 0),
                    **common,
                )
            ),
            timeout=RPC_TIMEOUT_S,
        )
        for i in range(cfg.agents):
            agent_id = f"{cfg.prefix}-agent{i:02d}"
            queues = (self.sales, self.support) if i % 3 != 2 else (self.sales,)
            if i % 3 == 1:
                queues = (self.support, self.sales)
            agent = VirtualAgent(agent_id, tier=i % 4, queues=queues, never_answers=i < cfg.never_answer_agents)
            self.agents[agent_id] = agent
            name = f"Agent {i:02d}" + (" (never answers)" if agent.never_answers else "")
            await stub.UpsertAgent(
                pb.UpsertAgentRequest(
                    agent=pb.Agent(
                        id=agent_id,
                        name=name,
                        endpoint=f"sip:{agent_id}@sim.pbx",
                        queues=list(queues),
                        skills={"de": 1 + i % 5, "en": 1 + (i * 3) % 5},
                        tier=agent.tier,
                    )
                ),
                timeout=RPC_TIMEOUT_S,
            )
        # Agents who never answer log in first: they have been idle longest, so the first
        # calls go to them and fail over at once (the demo shows failover early).
        for agent_id in self.agents:
            await self._login(agent_id)
            await asyncio.sleep(0.002)
        answering = [a for a in self.agents.values() if not a.never_answers] or list(self.agents.values())
        for i in range(cfg.clients):
            number = f"+4930555{i:04d}"
            vip = i < round(cfg.clients * cfg.vip_fraction)
            managed = self.rng.random() < cfg.managed_fraction
            client = pb.Client(
                number=number,
                name=f"Client {i:04d}",
                priority=self.rng.randint(1, 3) if vip else 0,
                manager_id=self.rng.choice(answering).agent_id if managed else "",
            )
            await stub.UpsertClient(pb.UpsertClientRequest(client=client), timeout=RPC_TIMEOUT_S)
            self._remember_caller(number)

    async def _login(self, agent_id: str) -> None:
        assert self.stub is not None
        try:
            await self.stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id), timeout=RPC_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
            # Still logged in from an earlier run: start this one from a clean login if we can.
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self.stub.LogoutAgent(pb.LogoutAgentRequest(agent_id=agent_id), timeout=RPC_TIMEOUT_S)
                await self.stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id), timeout=RPC_TIMEOUT_S)

    async def _logout_all(self) -> None:
        assert self.stub is not None
        for agent_id in self.agents:
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self.stub.LogoutAgent(pb.LogoutAgentRequest(agent_id=agent_id), timeout=RPC_TIMEOUT_S)

    # One call ------------------------------------------------------------------------

    def _place_call(self) -> None:
        cfg = self.config
        n = self.counters.calls
        self.counters.calls += 1
        returning = self.known_callers and self.rng.random() < cfg.returning_fraction
        caller = self.rng.choice(self.known_callers) if returning else f"+4917{self.rng.randrange(10**9):09d}"
        queue = self.support if self.rng.random() < cfg.support_fraction else self.sales
        call = SimCall(
            call_id=f"{cfg.prefix}-{self.run_tag}-{n:06d}",
            caller=caller,
            queue=queue,
            planned_talk_s=cfg.talk.draw(self.rng),
        )
        if self._keep_calls:
            self.calls.append(call)
        task = asyncio.create_task(self._call_leg(call), name=call.call_id)
        self._call_tasks.add(task)
        task.add_done_callback(self._call_tasks.discard)

    async def _call_leg(self, call: SimCall) -> None:
        assert self.stub is not None
        leg = _Leg(call)
        self._legs[call.call_id] = leg
        for effect in self.side_effects:
            await self._guard(effect.before_route(call), effect)
        call.received_at = time.time()
        try:
            routed = await self.stub.RouteCall(
                pb.RouteCallRequest(
                    call_id=call.call_id, caller=call.caller, queue=call.queue, attributes=call.attributes
                ),
                timeout=RPC_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("simulator.route_failed", call_id=call.call_id, code=exc.code().name, details=exc.details())
            self.counters.errors += 1
            call.final_state = "error"
            leg.final = True
            self._finished(leg)
            return
        self.counters.routed += 1
        call.priority = routed.call.priority
        call.personal_manager_id = routed.call.personal_manager_id
        self._remember_caller(call.caller)
        patience = self.config.scaled(self.config.patience.draw(self.rng))
        leg.tasks.append(asyncio.create_task(self._patience(leg, patience)))
        try:
            self._update(leg, routed.call)
            if not leg.final:
                async for update in self.stub.WatchCall(pb.WatchCallRequest(call_id=call.call_id)):
                    self._update(leg, update.call)
                    if leg.final:
                        break
        except grpc.aio.AioRpcError as exc:
            if not leg.final:
                log.warning("simulator.watch_failed", call_id=call.call_id, code=exc.code().name)
                self.counters.errors += 1
                call.final_state = "error"
                leg.final = True
        finally:
            for task in leg.tasks:
                task.cancel()
        if call.tasks:
            results = await asyncio.gather(*call.tasks, return_exceptions=True)
            self.counters.side_effect_errors += sum(
                1 for r in results if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError)
            )
        self._finished(leg)
        for effect in self.side_effects:
            await self._guard(effect.call_finished(call), effect)

    def _finished(self, leg: _Leg) -> None:
        state = leg.call.final_state or "unfinished"
        self.final_states[state] = self.final_states.get(state, 0) + 1
        self._legs.pop(leg.call.call_id, None)

    def _remember_caller(self, number: str) -> None:
        """Callers who may call again (at most 5,000: a long demo replaces old ones at random)."""
        if number in self._known:
            return
        self._known.add(number)
        if len(self.known_callers) < 5_000:
            self.known_callers.append(number)
        else:
            i = self.rng.randrange(len(self.known_callers))
            self._known.discard(self.known_callers[i])
            self.known_callers[i] = number

    def _update(self, leg: _Leg, call: pb.Call) -> None:
        """Applies one state of the call (from a reply or the watch stream); older versions
        than the one already seen are dropped."""
        if call.version <= leg.version or leg.final:
            return
        leg.version, leg.state = call.version, call.state
        ringing_now = call.offer.offer_id if call.state == states_pb2.CALL_STATE_RINGING else ""
        answered_states = (states_pb2.CALL_STATE_CONNECTED, states_pb2.CALL_STATE_COMPLETED)
        if leg.offer_id and leg.offer_id != ringing_now and call.state not in answered_states:
            self._offer_missed(leg, caller_hung_up=call.state == states_pb2.CALL_STATE_ABANDONED)
        if ringing_now and ringing_now != leg.offer_id:
            self._ring(leg, call.offer)
        if call.state == states_pb2.CALL_STATE_CONNECTED and not leg.connected:
            leg.connected = True
            leg.offer_id = ""
            leg.call.agent_id = call.agent_id
            leg.call.answered_at = time.time()
            self.counters.answered += 1
            for effect in self.side_effects:
                self._spawn_for_call(leg, effect.call_connected(leg.call), effect)
            # Not one of the leg's tasks: the watch stream may report the end of the call before
            # the talk's own HangupCall returns, and the agent's after-call work follows it.
            self._spawn(self._talk(leg))
        if call.state == states_pb2.CALL_STATE_COMPLETED and not leg.connected:
            # Answered and hung up between two states the PBX saw (a hangup racing the answer).
            leg.connected = True
            leg.offer_id = ""
            leg.call.agent_id = call.agent_id
            leg.call.answered_at = call.answered_at.ToMilliseconds() / 1000
            self.counters.answered += 1
        if call.state in _FINAL:
            leg.final = True
            leg.call.ended_at = time.time()
            leg.call.final_state = _state_name(call.state)
            name = leg.call.final_state
            if name in ("completed", "abandoned", "timed_out", "redirected"):
                setattr(self.counters, name, getattr(self.counters, name) + 1)

    def _offer_missed(self, leg: _Leg, caller_hung_up: bool) -> None:
        self.counters.missed_offers += 1
        if leg.offer_decision == "reject":
            self.counters.rejected += 1
        elif not caller_hung_up:
            self.counters.failovers += 1
        leg.offer_id = ""

    def _ring(self, leg: _Leg, offer: pb.Offer) -> None:
        leg.offer_id, leg.offer_agent = offer.offer_id, offer.agent_id
        leg.call.offered_to.append(offer.agent_id)
        self.counters.offers += 1
        agent = self.agents.get(offer.agent_id)
        ring_s = offer.ring_timeout.ToMilliseconds() / 1000
        decision, delay_s = self._decide(agent, ring_s)
        leg.offer_decision = decision
        leg.tasks.append(asyncio.create_task(self._pick_up(leg, offer, agent, decision, delay_s, ring_s)))

    def _decide(self, agent: VirtualAgent | None, ring_s: float) -> tuple[str, float]:
        """What the offered agent does: answer or reject after a delay, or let it ring out."""
        cfg = self.config
        if agent is None:  # not one of ours (a real agent of the same router): let it ring out
            return "ring_out", 0.0
        if agent.never_answers:
            return "ring_out", 0.0
        roll = self.rng.random()
        delay_s = cfg.scaled(cfg.answer_delay.draw(self.rng))
        if roll < cfg.reject_probability:
            return "reject", min(delay_s, ring_s * 0.5)
        if roll < cfg.reject_probability + cfg.answer_probability and delay_s < ring_s * 0.9:
            return "answer", delay_s
        return "ring_out", 0.0

    async def _pick_up(
        self, leg: _Leg, offer: pb.Offer, agent: VirtualAgent | None, decision: str, delay_s: float, ring_s: float
    ) -> None:
        assert self.stub is not None
        if decision == "ring_out":
            # Nobody picks up; the router's ring timer moves the call on and the watch stream
            # brings the next offer. The agent then sees on their phone whether they were paused.
            await asyncio.sleep(ring_s + 0.05)
            if agent is not None:
                self._spawn(self._check_paused(agent))
            return
        await asyncio.sleep(delay_s)
        if leg.final or leg.offer_id != offer.offer_id:
            return
        outcome = pb.OFFER_OUTCOME_ANSWERED if decision == "answer" else pb.OFFER_OUTCOME_REJECTED
        leg.answering = decision == "answer"
        try:
            reply = await self.stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(call_id=leg.call.call_id, offer_id=offer.offer_id, outcome=outcome),
                timeout=RPC_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                self.counters.stale_reports += 1  # the ring timer or the caller's hangup came first
            else:
                self.counters.errors += 1
            return
        finally:
            leg.answering = False
        self._update(leg, reply.call)
        if decision == "reject" and agent is not None:
            self._spawn(self._check_paused(agent))

    async def _talk(self, leg: _Leg) -> None:
        await asyncio.sleep(self.config.scaled(leg.call.planned_talk_s))
        agent_id = leg.call.agent_id
        if await self._hangup(leg, "talk_over") and leg.call.final_state == "completed":
            self._spawn(self._after_call_work(agent_id))

    async def _patience(self, leg: _Leg, patience_s: float) -> None:
        await asyncio.sleep(patience_s)
        if not leg.connected and not leg.answering and not leg.final:
            await self._hangup(leg, "caller_gave_up")

    async def _hangup(self, leg: _Leg, why: str) -> bool:
        assert self.stub is not None
        try:
            reply = await self.stub.HangupCall(pb.HangupCallRequest(call_id=leg.call.call_id), timeout=RPC_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            log.warning("simulator.hangup_failed", call_id=leg.call.call_id, why=why, code=exc.code().name)
            self.counters.errors += 1
            return False
        self._update(leg, reply.call)
        return True

    # Agents --------------------------------------------------------------------------

    async def _after_call_work(self, agent_id: str) -> None:
        """The agent fills in the customer card; done before the wrap-up time, they end it."""
        cfg = self.config
        work_s = cfg.after_call_work.draw(self.rng)
        if cfg.wrap_up_s <= 0 or work_s >= cfg.wrap_up_s:
            return  # the router's wrap-up timer ends it
        await asyncio.sleep(cfg.scaled(work_s))
        assert self.stub is not None
        try:
            await self.stub.EndWrapUp(pb.EndWrapUpRequest(agent_id=agent_id), timeout=RPC_TIMEOUT_S)
            self.counters.early_wrap_up_ends += 1
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:  # the timer came first: fine
                self.counters.errors += 1

    async def _check_paused(self, agent: VirtualAgent) -> None:
        """After a missed offer: did the router pause the agent (max_no_answer)? Then they come
        back after a while, as a real agent does once the supervisor calls them."""
        if agent.coming_back:
            return
        assert self.stub is not None
        try:
            reply = await self.stub.GetAgent(pb.GetAgentRequest(agent_id=agent.agent_id), timeout=RPC_TIMEOUT_S)
        except grpc.aio.AioRpcError:
            self.counters.errors += 1
            return
        status = reply.agent.status
        if status.state != states_pb2.AGENT_STATE_PAUSED or status.pause_reason != "no_answer" or agent.coming_back:
            return
        agent.coming_back = True
        self.counters.agents_paused += 1
        try:
            await asyncio.sleep(self.config.scaled(self.config.comeback.draw(self.rng)))
            await self.stub.ResumeAgent(pb.ResumeAgentRequest(agent_id=agent.agent_id), timeout=RPC_TIMEOUT_S)
            self.counters.agents_resumed += 1
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                self.counters.errors += 1
        finally:
            agent.coming_back = False

    # Summary -------------------------------------------------------------------------

    async def _summaries(self) -> None:
        every = self.config.summary_every_s
        if every <= 0:
            return
        while True:
            await asyncio.sleep(every)
            await self.print_summary()

    async def waiting_now(self) -> int | None:
        """Calls waiting in the simulation's queues, as the router counts them."""
        assert self.stub is not None
        try:
            total = 0
            for name in (self.sales, self.support):
                reply = await self.stub.GetQueue(pb.GetQueueRequest(name=name), timeout=RPC_TIMEOUT_S)
                total += reply.queue.counts.waiting
            return total
        except grpc.aio.AioRpcError:
            return None

    def summary_line(self, waiting: int | None, final: bool = False) -> str:
        c = self.counters
        legs = [leg for leg in self._legs.values() if not leg.final]
        ringing = sum(1 for leg in legs if leg.state == states_pb2.CALL_STATE_RINGING)
        talking = sum(1 for leg in legs if leg.state == states_pb2.CALL_STATE_CONNECTED)
        elapsed = time.monotonic() - self._started
        head = "final" if final else f"{elapsed:6.1f} s"
        return (
            f"[{head}] calls {c.calls} routed {c.routed} | answered {c.answered} completed {c.completed}"
            f" | missed offers {c.missed_offers} (failover {c.failovers}, rejected {c.rejected})"
            f" | abandoned {c.abandoned} timed out {c.timed_out + c.redirected}"
            f" | waiting {'?' if waiting is None else waiting} ringing {ringing} talking {talking}"
            f" | paused agents {c.agents_paused} resumed {c.agents_resumed}"
            + (f" | errors {c.errors}" if c.errors else "")
            + "".join(f" | {text}" for text in (e.summary() for e in self.side_effects) if text)
        )

    async def print_summary(self, final: bool = False) -> None:
        print(self.summary_line(await self.waiting_now(), final), file=self.out, flush=True)

    # Helpers -------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _spawn_for_call(self, leg: _Leg, coro: Awaitable, effect: SideEffect) -> None:
        leg.call.tasks.append(asyncio.ensure_future(self._guard(coro, effect)))

    async def _guard(self, coro: Awaitable, effect: SideEffect) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            self.counters.side_effect_errors += 1
            log.exception("simulator.side_effect_failed", side_effect=effect.name)
