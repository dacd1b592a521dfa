"""The virtual PBX and its agents, playing calls against the router over gRPC.

For every call the PBX does what a real one does (docs/simulator.md, docs/pbx-integration.md).
With PBX contract v2 (the default) it keeps ONE PbxSession stream open for all of its calls
(pbx_id `<prefix>-<run tag>`), routes each call with that pbx_id and hands every event of the
stream (offered, offer cancelled, queued, position, connected, ended) to the call's leg by
call id; it runs the ring timer itself (RING_TIMER_PBX): when the ring timeout passes and the
agent has not picked up, it reports NO_ANSWER, so the call goes on to the next agent at once.
The session (tools/simulator/session.py) renews its lease with heartbeats and, when the
stream breaks, reconnects and resumes after the last sequence it handled. With contract v1
it follows each call's own WatchCall stream and leaves ring-outs to the router's timer.

The offered agent's virtual self answers after a moment, declines, or lets it ring out; the
PBX hangs up when the talk is over or when the caller runs out of patience. After a call the
agent does their after-call work and ends the wrap-up early when done before the queue's
wrap-up time. An agent the router paused for missing calls comes back after a while
(ResumeAgent). With chats_per_min the same team also plays chats (tools/simulator/chats.py),
which the run drains and closes before the agents log out.
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

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import campaigns_pb2 as cpb
from callcenter.api.router.v1 import campaigns_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.call_states import FINAL_CALL_STATE_ENUMS
from callcenter.core.grpc_security import GrpcClientCredentials, aio_channel
from callcenter.tools.simulator.chats import ChatPlayer
from callcenter.tools.simulator.config import SimulationConfig
from callcenter.tools.simulator.session import PbxSessionLink
from callcenter.tools.simulator.side_effects import SideEffect, SimCall

log = structlog.get_logger(__name__)

_FINAL = FINAL_CALL_STATE_ENUMS
RPC_TIMEOUT_S = 10.0
# How long the PBX retries an RPC the router could not take (UNAVAILABLE: a replica stopping,
# the channel reconnecting); every PBX RPC is safe to repeat.
RETRY_BUDGET_S = 10.0
# End reasons of calls the router ended because the PBX's session was gone.
_LOST_REASONS = {"pbx_lost", "pbx_restarted"}
_K = pb.PbxCallEventKind
# What a stopping replica answers the RPCs under way (it cancels those it cannot finish):
# the PBX never cancels its own RPCs, so CANCELLED too means "try again".
_RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}


def _duration(seconds_ms: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(seconds_ms)
    return d


def _state_name(state: int) -> str:
    return states_pb2.CallState.Name(state).removeprefix("CALL_STATE_").lower()


# Reconnect soon after a replica goes away (gRPC's defaults wait a second and more).
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


def router_target(router: str) -> str:
    """The gRPC target for --router: one host:port, or several IPv4 host:port separated by
    commas (replicas of one router: the channel uses the first that answers and moves to
    another when it goes away)."""
    addresses = [a.strip() for a in router.split(",") if a.strip()]
    if len(addresses) <= 1:
        return router.strip()
    for address in addresses:
        host, _, port = address.rpartition(":")
        parts = host.split(".")
        if not (port.isdigit() and len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)):
            raise ValueError(f"several router addresses must each be IPv4 host:port, not {address!r}")
    return "ipv4:" + ",".join(addresses)


def router_channel(router: str, credentials: GrpcClientCredentials | None = None) -> grpc.aio.Channel:
    return aio_channel(router_target(router), credentials, options=CHANNEL_OPTIONS)


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
    rpc_retries: int = 0  # RPCs repeated after UNAVAILABLE (a replica stopping, reconnecting)
    stale_reports: int = 0  # outcome reports the router refused: it had moved on (allowed)
    late_answers: int = 0  # answers the router took for an offer it had already expired
    pbx_ring_timeouts: int = 0  # v2: ring-outs the PBX's own ring timer reported (NO_ANSWER)
    router_timeouts: int = 0  # v2: offers the router's backstop expired (the PBX was too slow)
    lost_calls: int = 0  # calls the router ended because the PBX's session was gone
    position_updates: int = 0  # v2: POSITION_CHANGED events
    unknown_events: int = 0  # v2: events of calls the PBX does not know (or no longer)
    watch_streams: int = 0  # v1: WatchCall streams opened (one per call, more on a re-watch)
    stream_messages: int = 0  # messages received on streams (v1: WatchCall; v2: PbxSession)
    stream_gaps: int = 0  # v2: sequences missing on a resumed session (must stay 0)
    stream_repeats: int = 0  # v2: sequences received twice (must stay 0)
    sessions: int = 0  # v2: PbxSession streams opened
    reconnects: int = 0  # v2: ... of which reopened after the stream broke
    resumed: int = 0  # v2: ... of which resumed after the last handled sequence
    fresh_sessions: int = 0  # v2: ... of which the router could not resume (calls lost)
    heartbeats: int = 0  # v2
    early_wrap_up_ends: int = 0
    agents_paused: int = 0  # agents found paused by the router for missing calls
    agents_resumed: int = 0
    side_effect_errors: int = 0
    # Outbound work (v2): ORIGINATE messages and what the PBX reported for them.
    outbound_calls: int = 0  # outbound calls the PBX was asked to dial (their first ORIGINATE)
    originates: int = 0  # ORIGINATE messages (one more each time the call moves to another agent)
    dial_answered: int = 0  # ReportDialOutcome ANSWERED: the customer picked up
    dial_no_answer: int = 0
    dial_busy: int = 0
    dial_failed: int = 0
    dial_agent_no_answer: int = 0  # the agent's own leg went unanswered
    not_connected: int = 0  # outbound calls that ended NOT_CONNECTED
    previews_accepted: int = 0  # preview offers the agents accepted (AcceptOutboundCall)

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
    routed: bool = False  # the router accepted RouteCall
    done: asyncio.Event = field(default_factory=asyncio.Event)  # set when final
    # v2: the pick-up task of each offer ringing (cancelled when the router cancels the offer).
    pickups: dict[str, asyncio.Task] = field(default_factory=dict)
    # Offers the router ended without an answer, as the PBX learned it (late answers show).
    expired: set[str] = field(default_factory=set)
    # An outbound call the router asked the PBX to dial (ORIGINATE): no side effects, no patience.
    outbound: bool = False


@dataclass
class SimulationResult:
    counters: dict[str, int]
    # Every call of a bounded run (--duration or --calls); empty for a run until stopped.
    calls: list[SimCall]
    elapsed_s: float
    # How many calls ended in each final state ("error": the router refused or was unreachable).
    final_states: dict[str, int] = field(default_factory=dict)
    # v2: the PBX's id and every sequence its session delivered, in order (bounded runs).
    pbx_id: str = ""
    sequences: list[int] = field(default_factory=list)
    # With campaign_contacts: the campaign's id, final state and progress (GetCampaign's).
    campaign: dict[str, object] = field(default_factory=dict)
    # The chats' counters (tools/simulator/chats.py ChatCounters; all 0 without chats).
    chats: dict[str, int] = field(default_factory=dict)


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
        self.v2 = config.pbx_contract == "v2"
        self.pbx_id = (config.pbx_id or f"{config.prefix}-{self.run_tag}") if self.v2 else ""
        self.session: PbxSessionLink | None = None
        self.campaigns: campaigns_pb2_grpc.CampaignServiceStub | None = None
        self.campaign_id = f"{config.prefix}-{self.run_tag}" if config.campaign_contacts else ""
        self.campaign: dict[str, object] = {}
        self._previews: set[str] = set()  # offers of previews being accepted
        self.chats: ChatPlayer | None = None  # made with the channel (run)

    # Running -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> SimulationResult:
        """Sets up the team, plays calls until the duration, the number of calls or `stop`,
        lets the calls in progress finish (at most drain_s), and returns what happened."""
        stop = stop or asyncio.Event()
        channel = self._channel or router_channel(self.config.router, self.config.credentials)
        try:
            self.stub = router_pb2_grpc.RouterServiceStub(channel)
            self.campaigns = campaigns_pb2_grpc.CampaignServiceStub(channel)
            self.chats = player = ChatPlayer(
                self.config,
                channel,
                self.rng,
                self._rpc,
                queues={"sales": self.sales, "support": self.support},
                known_clients=self.known_callers,
                id_prefix=f"{self.config.prefix}-{self.run_tag}",
            )
            await self.setup()
            if self.v2:
                await self._open_session()
            if self.campaign_id:
                await self._start_campaign()
            for effect in self.side_effects:
                await effect.start(self)
            self._started = time.monotonic()
            summaries = asyncio.create_task(self._summaries(), name="simulator-summary")
            comebacks = asyncio.create_task(self._paused_sweep(), name="simulator-comebacks")
            previews = asyncio.create_task(self._preview_sweep(), name="simulator-previews")
            arrivals_over = asyncio.Event()
            chats = asyncio.create_task(player.arrivals(arrivals_over), name="simulator-chats")
            try:
                await self._arrivals(stop)
                arrivals_over.set()
                await chats
                if self.campaign_id:
                    await self._campaign_until_done(stop)
                await asyncio.gather(self._drain(), player.drain(self.config.drain_s))
                if self.campaign_id:
                    await self._take_campaign()
            finally:
                for task in (summaries, comebacks, previews, chats):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                chat_tasks = player.cancel()
                for task in list(self._background) + list(self._call_tasks):
                    task.cancel()
                await asyncio.gather(*self._background, *self._call_tasks, *chat_tasks, return_exceptions=True)
                for leg in list(self._legs.values()):  # legs cut short by the cancellation
                    self._finished(leg)
                if self.session is not None:
                    await self.session.close()
                    self._take_session_stats()
            await self.print_summary(final=True)
            if self.config.logout_at_end:
                await self._logout_all()
            for effect in self.side_effects:
                await self._guard(effect.stop(), effect)
        finally:
            if self.session is not None:
                await self.session.close()
            if self._channel is None:
                await channel.close()
        return SimulationResult(
            self.counters.as_dict(),
            list(self.calls),
            time.monotonic() - self._started,
            dict(self.final_states),
            pbx_id=self.pbx_id,
            sequences=list(self.session.sequences or []) if self.session is not None else [],
            campaign=dict(self.campaign),
            chats=self.chats.counters.as_dict() if self.chats is not None else {},
        )

    async def _open_session(self) -> None:
        assert self.stub is not None
        cfg = self.config
        self.session = PbxSessionLink(
            self.stub,
            self.pbx_id,
            lease_s=cfg.pbx_lease_s,
            ring_timer=pb.RING_TIMER_PBX if cfg.ring_timer == "pbx" else pb.RING_TIMER_ROUTER,
            on_event=self._on_session_event,
            on_fresh=self._session_lost,
            keep_sequences=self._keep_calls,
        )
        try:
            opened = await self.session.start(timeout_s=RPC_TIMEOUT_S)
        except BaseException:
            await self.session.close()
            raise
        log.info("simulator.pbx_session", pbx_id=self.pbx_id, ring_grace_ms=opened.ring_grace.ToMilliseconds())

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
        if pending and self.v2:
            # The ENDED events normally follow at once; legs still open after a while (the
            # session is down) take their final state from the router instead.
            await asyncio.wait(pending, timeout=2)
            left = [leg for leg in self._legs.values() if not leg.final and leg.routed]
            await asyncio.gather(*(self._resync(leg) for leg in left), return_exceptions=True)
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
            # v2: this PBX dials the queues' campaign calls and callbacks (ORIGINATE).
            outbound_pbx=self.pbx_id,
            dial_timeout=_duration(cfg.scaled_ms(cfg.dial_timeout_s)),
            # Chats (tools/simulator/chats.py): room per channel, the reply deadlines scaled.
            chat_capacity=cfg.chat_capacity,
            first_response=_duration(cfg.scaled_ms(cfg.first_response_s)),
            reply=_duration(cfg.scaled_ms(cfg.reply_s)),
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
            routed = await self._route(call)
        except grpc.aio.AioRpcError as exc:
            log.warning("simulator.route_failed", call_id=call.call_id, code=exc.code().name, details=exc.details())
            self.counters.errors += 1
            call.final_state = "error"
            leg.final = True
            self._finished(leg)
            return
        leg.routed = True
        self.counters.routed += 1
        call.priority = routed.call.priority
        call.personal_manager_id = routed.call.personal_manager_id
        self._remember_caller(call.caller)
        patience = self.config.scaled(self.config.patience.draw(self.rng))
        leg.tasks.append(asyncio.create_task(self._patience(leg, patience)))
        try:
            if self.v2:
                # Everything about the call comes on the PBX's session (its first event, OFFERED
                # or QUEUED, may even have come before RouteCall's reply).
                await leg.done.wait()
            else:
                await self._watch(leg, routed.call)
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

    async def _route(self, call: SimCall) -> pb.RouteCallResponse:
        assert self.stub is not None
        request = pb.RouteCallRequest(
            call_id=call.call_id,
            caller=call.caller,
            queue=call.queue,
            attributes=call.attributes,
            pbx_id=self.pbx_id,
            deal_id=call.deal_id,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_BUDGET_S
        while True:
            if self.session is not None:
                # A call needs the session open (the router refuses it otherwise); while the
                # link reconnects, the call waits a moment (the caller hears ringback).
                await self.session.wait_open(max(0.0, deadline - loop.time()))
            try:
                return await self._rpc(self.stub.RouteCall, request)
            except grpc.aio.AioRpcError as exc:
                # FAILED_PRECONDITION: the session is not open at the router (its lease lapsed
                # and the link has not noticed yet): wait for the link to reopen, then retry.
                if self.session is None or exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                    raise
                if loop.time() + 0.1 > deadline:
                    raise
                self.counters.rpc_retries += 1
                await asyncio.sleep(0.1)

    async def _watch(self, leg: _Leg, first: pb.Call) -> None:
        """v1: follows the call's own WatchCall stream until it is final."""
        assert self.stub is not None
        call = leg.call
        self._update(leg, first)
        breaks = 0
        while not leg.final:
            code: grpc.StatusCode | None = None  # None: the stream ended without an error
            try:
                self.counters.watch_streams += 1
                async for update in self.stub.WatchCall(pb.WatchCallRequest(call_id=call.call_id)):
                    self.counters.stream_messages += 1
                    self._update(leg, update.call)
                    if leg.final:
                        return
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
            if leg.final:
                return
            # The stream broke or ended before the call did (the replica stopped): watch again,
            # on whichever replica the channel reaches; the first message is the call now.
            breaks += 1
            if (code is None or code in _RETRYABLE) and breaks <= 5:
                await asyncio.sleep(0.05 * 2**breaks)
                continue
            log.warning("simulator.watch_failed", call_id=call.call_id, code=code.name if code else "OK")
            self.counters.errors += 1
            call.final_state = "error"
            leg.final = True
            leg.done.set()

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
            leg.expired.add(leg.offer_id)
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
            for effect in self.side_effects:  # it was connected, however briefly: record it
                self._spawn_for_call(leg, effect.call_connected(leg.call), effect)
        if call.state in _FINAL:
            self._final(leg, call)

    def _final(self, leg: _Leg, call: pb.Call) -> None:
        leg.final = True
        leg.call.ended_at = time.time()
        leg.call.final_state = _state_name(call.state)
        name = leg.call.final_state
        if name in ("completed", "abandoned", "timed_out", "redirected", "not_connected"):
            setattr(self.counters, name, getattr(self.counters, name) + 1)
        if call.end_reason in _LOST_REASONS:
            self.counters.lost_calls += 1
        leg.done.set()

    # v2: the PBX's session --------------------------------------------------------------

    def _on_session_event(self, event: pb.PbxCallEvent) -> None:
        """One event of the PBX's session stream, for the leg of its call."""
        self.counters.stream_messages += 1
        leg = self._legs.get(event.call.call_id)
        if event.kind == _K.PBX_CALL_EVENT_KIND_ORIGINATE:
            if leg is None:
                leg = self._outbound_leg(event.call)
            if not leg.final:
                self._originate(leg, event)
            return
        if leg is None or leg.final:
            self.counters.unknown_events += 1
            return
        self._on_event(leg, event)

    def _on_event(self, leg: _Leg, event: pb.PbxCallEvent) -> None:
        call, kind = event.call, event.kind
        leg.version, leg.state = max(leg.version, call.version), call.state
        if kind == _K.PBX_CALL_EVENT_KIND_OFFERED:
            if event.offer_id == leg.offer_id:
                return
            if leg.offer_id:  # the previous offer ended with our miss report
                self._offer_missed(leg, caller_hung_up=False)
            if call.offer.offer_id == event.offer_id:
                self._ring(leg, call.offer)
            else:
                # Already over within the same change (the call shows what came after it):
                # nothing to ring; what ended it follows on the stream.
                leg.offer_id, leg.offer_decision = event.offer_id, ""
                self.counters.offers += 1
        elif kind == _K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED:
            leg.expired.add(event.offer_id)
            pickup = leg.pickups.pop(event.offer_id, None)
            if pickup is not None:
                pickup.cancel()  # stop ringing: the agent can no longer pick up
            if event.reason == "timeout":
                self.counters.router_timeouts += 1
            if event.offer_id == leg.offer_id:
                self._offer_missed(leg, caller_hung_up=False)
        elif kind == _K.PBX_CALL_EVENT_KIND_QUEUED:
            if leg.offer_id:
                self._offer_missed(leg, caller_hung_up=False)
        elif kind == _K.PBX_CALL_EVENT_KIND_POSITION_CHANGED:
            self.counters.position_updates += 1
        elif kind == _K.PBX_CALL_EVENT_KIND_CONNECTED:
            if event.offer_id in leg.expired:
                self.counters.late_answers += 1  # reality won: the router took the late answer
            if leg.offer_id and leg.offer_id != event.offer_id:
                self._offer_missed(leg, caller_hung_up=False)
            leg.pickups.clear()
            self._connected(leg, call)
        elif kind == _K.PBX_CALL_EVENT_KIND_ENDED:
            if leg.offer_id and not leg.connected:
                self._offer_missed(leg, caller_hung_up=call.state == states_pb2.CALL_STATE_ABANDONED)
            for pickup in leg.pickups.values():
                pickup.cancel()
            leg.pickups.clear()
            if call.state == states_pb2.CALL_STATE_COMPLETED and not leg.connected:
                # CONNECTED went missing (a fresh session after lost messages)
                self._connected(leg, call, talk=False)
            self._final(leg, call)

    def _connected(self, leg: _Leg, call: pb.Call, talk: bool = True) -> None:
        if leg.connected:
            return
        leg.connected = True
        leg.answering = False
        leg.offer_id = ""
        leg.call.agent_id = call.agent_id
        leg.call.answered_at = time.time() if talk else call.answered_at.ToMilliseconds() / 1000
        self.counters.answered += 1
        if talk:
            for effect in self.side_effects if not leg.outbound else ():
                self._spawn_for_call(leg, effect.call_connected(leg.call), effect)
            # Not one of the leg's tasks: the end of the call may come before the talk's own
            # HangupCall returns, and the agent's after-call work follows it.
            self._spawn(self._talk(leg))

    async def _resync(self, leg: _Leg) -> None:
        """Brings a leg up to the call as the router has it now (after messages were lost)."""
        assert self.stub is not None
        try:
            call = (await self._rpc(self.stub.GetCall, pb.GetCallRequest(call_id=leg.call.call_id))).call
        except grpc.aio.AioRpcError as exc:
            log.warning("simulator.resync_failed", call_id=leg.call.call_id, code=exc.code().name)
            return
        if leg.final:
            return
        if call.state in _FINAL:
            kind = _K.PBX_CALL_EVENT_KIND_ENDED
        elif call.state == states_pb2.CALL_STATE_CONNECTED:
            kind = _K.PBX_CALL_EVENT_KIND_CONNECTED
        elif call.state == states_pb2.CALL_STATE_RINGING:
            kind = _K.PBX_CALL_EVENT_KIND_OFFERED
        else:
            kind = _K.PBX_CALL_EVENT_KIND_QUEUED
        self._on_event(leg, pb.PbxCallEvent(kind=kind, call=call, offer_id=call.offer.offer_id))

    async def _session_lost(self) -> None:
        """The session was reopened fresh (the router could not resume it, or its lease
        lapsed): the router has ended the calls it held for this PBX, and their messages are
        gone. Every call in progress is settled from the router's own view of it."""
        legs = [leg for leg in self._legs.values() if leg.routed and not leg.final]
        log.warning("simulator.pbx_session_lost", pbx_id=self.pbx_id, calls=len(legs))
        await asyncio.gather(*(self._resync(leg) for leg in legs), return_exceptions=True)

    def _take_session_stats(self) -> None:
        if self.session is None:
            return
        st, c = self.session.stats, self.counters
        c.sessions, c.reconnects, c.resumed, c.fresh_sessions = st.sessions, st.reconnects, st.resumed, st.fresh
        c.stream_gaps, c.stream_repeats, c.heartbeats = st.gaps, st.repeats, st.heartbeats

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
        task = asyncio.create_task(self._pick_up(leg, offer, agent, decision, delay_s, ring_s))
        leg.tasks.append(task)
        if self.v2:
            leg.pickups[offer.offer_id] = task

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
            await asyncio.sleep(ring_s if self._pbx_ring_timer else ring_s + 0.05)
            if not self._pbx_ring_timer:
                # Nobody picks up; the router's ring timer moves the call on and the stream
                # brings the next offer. The agent then sees on their phone whether they were paused.
                if agent is not None:
                    self._spawn(self._check_paused(agent))
                return
            # v2: the PBX's own ring timer fired: it stops ringing and says so at once.
            decision = "no_answer"
        else:
            await asyncio.sleep(delay_s)
        if leg.final or leg.offer_id != offer.offer_id:
            return
        leg.pickups.pop(offer.offer_id, None)  # picked up (or given up): the report goes out whatever comes
        outcome = {
            "answer": pb.OFFER_OUTCOME_ANSWERED,
            "reject": pb.OFFER_OUTCOME_REJECTED,
            "no_answer": pb.OFFER_OUTCOME_NO_ANSWER,
        }[decision]
        leg.answering = decision == "answer"
        request = pb.ReportOfferOutcomeRequest(call_id=leg.call.call_id, offer_id=offer.offer_id, outcome=outcome)
        try:
            reply = await self._rpc(self.stub.ReportOfferOutcome, request)
        except grpc.aio.AioRpcError as exc:
            leg.answering = False
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                self.counters.stale_reports += 1  # the ring timer or the caller's hangup came first
                if agent is not None:  # a ring timer that came first counted a miss: paused by it?
                    self._spawn(self._check_paused(agent))
            else:
                self.counters.errors += 1
            return
        if decision == "no_answer":
            self.counters.pbx_ring_timeouts += 1
        connected = reply.call.state == states_pb2.CALL_STATE_CONNECTED and reply.call.agent_id == offer.agent_id
        if self.v2:
            # The session brings what follows (CONNECTED, the next offer); until CONNECTED
            # comes, an answered call is not one the caller gives up on.
            leg.answering = connected and not leg.connected and not leg.final
        else:
            leg.answering = False
            if connected and offer.offer_id in leg.expired and not leg.connected:
                self.counters.late_answers += 1  # reality won: the router took the late answer
            self._update(leg, reply.call)
        if decision != "answer" and agent is not None:
            self._spawn(self._check_paused(agent))

    async def _talk(self, leg: _Leg) -> None:
        await asyncio.sleep(self.config.scaled(leg.call.planned_talk_s))
        agent_id = leg.call.agent_id
        ended = await self._hangup(leg, "talk_over")
        if ended is not None and ended.state == states_pb2.CALL_STATE_COMPLETED:
            self._spawn(self._after_call_work(agent_id))

    async def _patience(self, leg: _Leg, patience_s: float) -> None:
        await asyncio.sleep(patience_s)
        if not leg.connected and not leg.answering and not leg.final:
            await self._hangup(leg, "caller_gave_up")

    async def _hangup(self, leg: _Leg, why: str) -> pb.Call | None:
        """HangupCall; the call as the router answered (None if it could not)."""
        assert self.stub is not None
        try:
            reply = await self._rpc(self.stub.HangupCall, pb.HangupCallRequest(call_id=leg.call.call_id))
        except grpc.aio.AioRpcError as exc:
            log.warning("simulator.hangup_failed", call_id=leg.call.call_id, why=why, code=exc.code().name)
            self.counters.errors += 1
            return None
        if not self.v2:  # v2: the session's ENDED event settles the leg
            self._update(leg, reply.call)
        return reply.call

    @property
    def _pbx_ring_timer(self) -> bool:
        return self.v2 and self.config.ring_timer == "pbx"

    async def _rpc(self, method, request):
        """One PBX RPC, repeated with backoff while the router is UNAVAILABLE (a replica
        stopping, the channel moving to another one) or a stopping replica CANCELLED it, for
        up to RETRY_BUDGET_S."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_BUDGET_S
        delay, retry = 0.05, False
        while True:
            timeout = RPC_TIMEOUT_S if not retry else max(0.5, min(RPC_TIMEOUT_S, deadline - loop.time()))
            try:
                return await method(request, timeout=timeout, wait_for_ready=retry or None)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRYABLE or loop.time() + delay > deadline:
                    raise
            self.counters.rpc_retries += 1
            retry = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    # Outbound work (v2): originate, previews, the campaign ---------------------------

    def _outbound_leg(self, call: pb.Call) -> _Leg:
        """The leg of an outbound call the router asks this PBX to dial (its first ORIGINATE)."""
        sim = SimCall(
            call_id=call.call_id,
            caller=call.caller,
            queue=call.queue,
            planned_talk_s=self.config.talk.draw(self.rng),
        )
        sim.received_at = time.time()
        leg = _Leg(sim, routed=True, outbound=True)
        self._legs[call.call_id] = leg
        self.counters.outbound_calls += 1
        if self._keep_calls:
            self.calls.append(sim)
        task = asyncio.create_task(self._outbound_call(leg), name=call.call_id)
        self._call_tasks.add(task)
        task.add_done_callback(self._call_tasks.discard)
        return leg

    async def _outbound_call(self, leg: _Leg) -> None:
        try:
            await leg.done.wait()  # the session brings CONNECTED and ENDED
        finally:
            for task in leg.tasks:
                task.cancel()
        self._finished(leg)

    def _originate(self, leg: _Leg, event: pb.PbxCallEvent) -> None:
        self.counters.originates += 1
        agent_id = event.call.offer.agent_id
        leg.call.offered_to.append(agent_id)
        leg.tasks.append(asyncio.create_task(self._dial(leg, event.offer_id, agent_id)))

    def _dial_outcome(self, agent: VirtualAgent | None) -> tuple[int, float]:
        """How dialling goes: the agent's leg rings first (answer_delay), then the customer's
        (dial_delay); the outcome and the simulated seconds until it is known."""
        cfg = self.config
        agent_s = cfg.answer_delay.draw(self.rng)
        if agent is None or agent.never_answers or self.rng.random() < cfg.agent_leg_no_answer_probability:
            return pb.DIAL_OUTCOME_AGENT_NO_ANSWER, cfg.ring_timeout_s
        roll = self.rng.random()
        customer_s = cfg.dial_delay.draw(self.rng)
        if roll < cfg.customer_answer_probability:
            return pb.DIAL_OUTCOME_ANSWERED, agent_s + customer_s
        roll -= cfg.customer_answer_probability
        if roll < cfg.customer_busy_probability:
            return pb.DIAL_OUTCOME_BUSY, agent_s + min(customer_s, 1.0)  # busy is known at once
        roll -= cfg.customer_busy_probability
        if roll < cfg.dial_failed_probability:
            return pb.DIAL_OUTCOME_FAILED, agent_s + min(customer_s, 0.5)
        return pb.DIAL_OUTCOME_NO_ANSWER, agent_s + customer_s

    async def _dial(self, leg: _Leg, offer_id: str, agent_id: str) -> None:
        assert self.stub is not None
        outcome, after_s = self._dial_outcome(self.agents.get(agent_id))
        await asyncio.sleep(self.config.scaled(after_s))
        if leg.final:
            return  # ENDED came first (the dial timeout, a stop): stop dialling
        request = pb.ReportDialOutcomeRequest(call_id=leg.call.call_id, offer_id=offer_id, outcome=outcome)
        # Counted as it goes out: the ENDED it causes may come (and end this task) before the reply.
        counter = "dial_" + pb.DialOutcome.Name(outcome).removeprefix("DIAL_OUTCOME_").lower()
        setattr(self.counters, counter, getattr(self.counters, counter) + 1)
        try:
            await self._rpc(self.stub.ReportDialOutcome, request)
        except grpc.aio.AioRpcError as exc:
            setattr(self.counters, counter, getattr(self.counters, counter) - 1)
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                self.counters.stale_reports += 1  # the router had moved on (its dial timeout)
            else:
                log.warning("simulator.dial_outcome_failed", call_id=leg.call.call_id, code=exc.code().name)
                self.counters.errors += 1

    async def _preview_sweep(self) -> None:
        """The agents' desktops: every preview_poll_s, an agent of ours reserved for an outbound
        preview looks at it and accepts it after a think time (AcceptOutboundCall)."""
        assert self.stub is not None
        if not self.v2:
            return
        while True:
            await asyncio.sleep(max(0.1, self.config.scaled(self.config.preview_poll_s)))
            try:
                reply = await self._rpc(self.stub.ListAgents, pb.ListAgentsRequest())
            except grpc.aio.AioRpcError:
                self.counters.errors += 1
                continue
            for listed in reply.agents:
                status = listed.status
                if listed.id not in self.agents or status.state != states_pb2.AGENT_STATE_RESERVED:
                    continue
                if not status.call_id or status.call_id in self._legs:
                    continue  # an inbound call ringing, or an outbound one already dialling
                self._spawn(self._look_at_preview(listed.id, status.call_id))

    async def _look_at_preview(self, agent_id: str, call_id: str) -> None:
        assert self.stub is not None
        try:
            call = (await self._rpc(self.stub.GetCall, pb.GetCallRequest(call_id=call_id))).call
        except grpc.aio.AioRpcError:
            return  # gone already
        offer = call.offer
        if (
            call.direction != pb.CALL_DIRECTION_OUTBOUND
            or call.state != states_pb2.CALL_STATE_RINGING
            or offer.agent_id != agent_id
            or offer.offer_id in self._previews
        ):
            return
        self._previews.add(offer.offer_id)
        try:
            await asyncio.sleep(self.config.scaled(self.config.preview_think.draw(self.rng)))
            request = pb.AcceptOutboundCallRequest(call_id=call_id, offer_id=offer.offer_id)
            await self._rpc(self.stub.AcceptOutboundCall, request)
            self.counters.previews_accepted += 1
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                self.counters.stale_reports += 1  # the preview timed out first
            else:
                self.counters.errors += 1
        finally:
            self._previews.discard(offer.offer_id)

    async def _start_campaign(self) -> None:
        """The run's campaign: campaign_contacts numbers on the sales queue, callable at any hour."""
        assert self.campaigns is not None
        cfg = self.config
        retry = _duration(cfg.scaled_ms(cfg.campaign_retry_s))
        mode = pb.OUTBOUND_MODE_PREVIEW if cfg.campaign_mode == "preview" else pb.OUTBOUND_MODE_PROGRESSIVE
        campaign = cpb.Campaign(
            campaign_id=self.campaign_id,
            name=f"Simulation {self.run_tag}",
            queue=self.sales,
            mode=mode,
            calling_hours=cpb.CallingHours(start_minute=0, end_minute=1440),
            retry=cpb.RetryRules(no_answer=retry, busy=retry, failed=retry, max_attempts=cfg.campaign_max_attempts),
        )
        await self.campaigns.UpsertCampaign(cpb.UpsertCampaignRequest(campaign=campaign), timeout=RPC_TIMEOUT_S)
        numbers = [self.campaign_number(n) for n in range(cfg.campaign_contacts)]
        for start in range(0, len(numbers), 1000):  # the router takes at most 1,000 per request
            contacts = [cpb.NewContact(number=number) for number in numbers[start : start + 1000]]
            await self.campaigns.AddCampaignContacts(
                cpb.AddCampaignContactsRequest(campaign_id=self.campaign_id, contacts=contacts), timeout=60
            )
        starting = cpb.StartCampaignRequest(campaign_id=self.campaign_id)
        await self.campaigns.StartCampaign(starting, timeout=RPC_TIMEOUT_S)

    @staticmethod
    def campaign_number(n: int) -> str:
        return f"+49699{n:06d}"

    async def _campaign_until_done(self, stop: asyncio.Event) -> None:
        """Until the campaign finishes, `stop` or the end of the duration; a campaign still
        running then is paused (no new calls: the ones in progress drain)."""
        assert self.campaigns is not None
        cfg = self.config
        end = None if cfg.duration_s is None else self._started + cfg.duration_s
        every = max(0.05, min(1.0, cfg.scaled(2.0)))
        while not stop.is_set() and (end is None or time.monotonic() < end):
            if await self._campaign_state() in (cpb.CAMPAIGN_STATE_FINISHED, cpb.CAMPAIGN_STATE_STOPPED):
                return
            timeout = every if end is None else max(0.0, min(every, end - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=timeout)
        with contextlib.suppress(grpc.aio.AioRpcError):
            await self.campaigns.PauseCampaign(
                cpb.PauseCampaignRequest(campaign_id=self.campaign_id), timeout=RPC_TIMEOUT_S
            )

    async def _campaign_state(self) -> int:
        assert self.campaigns is not None
        try:
            reply = await self.campaigns.GetCampaign(
                cpb.GetCampaignRequest(campaign_id=self.campaign_id), timeout=RPC_TIMEOUT_S
            )
        except grpc.aio.AioRpcError:
            self.counters.errors += 1
            return cpb.CAMPAIGN_STATE_UNSPECIFIED
        return reply.campaign.state

    async def _take_campaign(self) -> None:
        assert self.campaigns is not None
        with contextlib.suppress(grpc.aio.AioRpcError):
            c = (
                await self.campaigns.GetCampaign(
                    cpb.GetCampaignRequest(campaign_id=self.campaign_id), timeout=RPC_TIMEOUT_S
                )
            ).campaign
            p = c.progress
            self.campaign = {
                "campaign_id": c.campaign_id,
                "state": cpb.CampaignState.Name(c.state).removeprefix("CAMPAIGN_STATE_").lower(),
                "contacts": p.contacts,
                "pending": p.pending,
                "calling": p.calling,
                "reached": p.reached,
                "exhausted": p.exhausted,
                "skipped": p.skipped,
                "attempts": p.attempts,
                "connected": p.connected,
                "not_connected": dict(p.not_connected),
            }

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
            await self._rpc(self.stub.EndWrapUp, pb.EndWrapUpRequest(agent_id=agent_id))
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
            reply = await self._rpc(self.stub.GetAgent, pb.GetAgentRequest(agent_id=agent.agent_id))
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
            await self._rpc(self.stub.ResumeAgent, pb.ResumeAgentRequest(agent_id=agent.agent_id))
            self.counters.agents_resumed += 1
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                self.counters.errors += 1
        finally:
            agent.coming_back = False

    async def _paused_sweep(self) -> None:
        """Every 5 simulated seconds (at least 0.2 s), any of the team the router paused for missing
        calls comes back after a while, whatever paused them: a miss the agent saw, or the
        router's own ring timer at a moment nobody looked (on a busy machine most pauses)."""
        assert self.stub is not None
        while True:
            await asyncio.sleep(max(0.2, self.config.scaled(5.0)))
            try:
                reply = await self._rpc(self.stub.ListAgents, pb.ListAgentsRequest())
            except grpc.aio.AioRpcError:
                self.counters.errors += 1
                continue
            for listed in reply.agents:
                agent = self.agents.get(listed.id)
                status = listed.status
                if agent is not None and not agent.coming_back and status.state == states_pb2.AGENT_STATE_PAUSED:
                    if status.pause_reason == "no_answer":
                        self._spawn(self._check_paused(agent))

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
            + (
                f" | outbound {c.outbound_calls} connected {c.dial_answered} not connected {c.not_connected}"
                if c.outbound_calls
                else ""
            )
            + f" | {self.pbx_summary()}"
            + (f" | errors {c.errors}" if c.errors else "")
            + (f" | {self.chats.summary()}" if self.chats is not None and self.chats.enabled else "")
            + "".join(f" | {text}" for text in (e.summary() for e in self.side_effects) if text)
        )

    def pbx_summary(self) -> str:
        """The PBX's link to the router: stream messages (per routed call), and for v2 the
        session's reconnects, the calls lost with it and the router's late-answer verdicts."""
        self._take_session_stats()
        c = self.counters
        per_call = f" ({c.stream_messages / c.routed:.1f}/call)" if c.routed else ""
        if not self.v2:
            return f"pbx v1 watch streams {c.watch_streams} msgs {c.stream_messages}{per_call}"
        text = (
            f"pbx v2 {self.pbx_id} msgs {c.stream_messages}{per_call} reconnects {c.reconnects}"
            f" lost calls {c.lost_calls} late answers {c.late_answers}"
        )
        if c.router_timeouts:
            text += f" router timeouts {c.router_timeouts}"
        if c.stream_gaps or c.stream_repeats:
            text += f" GAPS {c.stream_gaps} REPEATS {c.stream_repeats}"
        return text

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
