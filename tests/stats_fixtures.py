"""Helpers of the stats tests: an event script that writes a tenant's stream exactly as the
router's Lua scripts do (same field names, upper-case types, lower-case states, ms), a
consumer and the stats domain over the test's Redis, and the stats gRPC service."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from callcenter.core import event_stream
from callcenter.core.clock import ManualClock
from callcenter.core.config import CommonConfig
from callcenter.services.stats.config import Figures, StatsConfig
from callcenter.services.stats.ingest import EventConsumer
from callcenter.services.stats.stats import Stats


def utc_ms(text: str) -> int:
    """ "2026-03-02 09:00" (UTC) -> ms since the epoch."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp() * 1000)


class EventScript:
    """Writes events at a hand-moved time; durations follow from the times, as the router's."""

    def __init__(self, redis, tenant: str, start_ms: int) -> None:
        self.redis = redis
        self.tenant = tenant
        self.now = start_ms
        self.calls: dict[str, dict] = {}

    def at(self, when: str | int) -> EventScript:
        self.now = utc_ms(when) if isinstance(when, str) else when
        return self

    def advance(self, seconds: float) -> EventScript:
        self.now += round(seconds * 1000)
        return self

    async def emit(self, event_type: str, **fields) -> str:
        return await event_stream.append(self.redis, self.tenant, event_type, self.now, **fields)

    async def login(self, agent: str, queues: list[str], paused: str = "") -> None:
        state = "paused" if paused else "available"
        await self.emit("AGENT_LOGGED_IN", agent_id=agent, agent_state=state, reason=paused, queues=",".join(queues))

    async def logout(self, agent: str) -> None:
        await self.emit("AGENT_LOGGED_OUT", agent_id=agent, agent_state="logged_out")

    async def pause(self, agent: str, reason: str = "break") -> None:
        await self.emit("AGENT_PAUSED", agent_id=agent, agent_state="paused", reason=reason)

    async def resume(self, agent: str) -> None:
        await self.emit("AGENT_RESUMED", agent_id=agent, agent_state="available")

    async def receive(self, call_id: str, queue: str, caller: str = "+491701", lead_id: str = "") -> None:
        self.calls[call_id] = {"received": self.now, "entered": self.now, "queue": queue, "caller": caller, "offers": 0}
        attrs = {"lead_id": lead_id} if lead_id else {}
        await self.emit(
            "CALL_RECEIVED", call_id=call_id, queue=queue, caller=caller, call_state="routing", attributes=attrs
        )

    async def queue(self, call_id: str) -> None:
        c = self.calls[call_id]
        await self.emit(
            "CALL_QUEUED", call_id=call_id, queue=c["queue"], caller=c["caller"], call_state="waiting",
            attempt=c["offers"], reason="anyone",
        )  # fmt: skip

    async def offer(self, call_id: str, agent: str) -> None:
        c = self.calls[call_id]
        c["offers"] += 1
        c["agent"], c["offered"] = agent, self.now
        await self.emit(
            "CALL_OFFERED", call_id=call_id, agent_id=agent, queue=c["queue"], offer_id=f"{call_id}#{c['offers']}",
            caller=c["caller"], agent_state="reserved", call_state="ringing", attempt=c["offers"], reason="strategy",
        )  # fmt: skip

    async def answer(self, call_id: str) -> None:
        c = self.calls[call_id]
        c["answered"] = self.now
        await self.emit(
            "CALL_ANSWERED", call_id=call_id, agent_id=c["agent"], queue=c["queue"],
            offer_id=f"{call_id}#{c['offers']}", caller=c["caller"], agent_state="on_call", call_state="connected",
            duration_ms=self.now - c["offered"], wait_ms=self.now - c["received"], attempt=c["offers"],
            attributes={"queue_wait_ms": str(self.now - c["entered"])},
        )  # fmt: skip

    async def miss(self, call_id: str, reason: str = "no_answer", agent_state: str = "available") -> None:
        c = self.calls[call_id]
        await self.emit(
            "OFFER_MISSED", call_id=call_id, agent_id=c["agent"], queue=c["queue"],
            offer_id=f"{call_id}#{c['offers']}", caller=c["caller"], reason=reason, agent_state=agent_state,
            call_state="abandoned" if reason == "caller_hangup" else "ringing",
            duration_ms=self.now - c["offered"], attempt=c["offers"],
        )  # fmt: skip

    async def complete(self, call_id: str, wrap_up: bool = True) -> None:
        c = self.calls[call_id]
        c["completed"] = self.now
        await self.emit(
            "CALL_COMPLETED", call_id=call_id, agent_id=c["agent"], queue=c["queue"],
            offer_id=f"{call_id}#{c['offers']}", caller=c["caller"],
            agent_state="wrap_up" if wrap_up else "available", call_state="completed",
            duration_ms=self.now - c["answered"], attempt=c["offers"],
        )  # fmt: skip

    async def end_wrap_up(self, call_id: str) -> None:
        c = self.calls[call_id]
        await self.emit(
            "AGENT_WRAP_UP_ENDED", agent_id=c["agent"], call_id=call_id, queue=c["queue"], reason="timer",
            agent_state="available", duration_ms=self.now - c["completed"],
        )  # fmt: skip

    async def abandon(self, call_id: str) -> None:
        c = self.calls[call_id]
        await self.emit(
            "CALL_ABANDONED", call_id=call_id, queue=c["queue"], caller=c["caller"], call_state="abandoned",
            wait_ms=self.now - c["received"], attempt=c["offers"],
        )  # fmt: skip

    async def time_out(self, call_id: str) -> None:
        c = self.calls[call_id]
        await self.emit(
            "CALL_TIMED_OUT", call_id=call_id, queue=c["queue"], caller=c["caller"], call_state="timed_out",
            wait_ms=self.now - c["received"], attempt=c["offers"],
        )  # fmt: skip

    async def overflow(self, call_id: str, to_queue: str = "", fallback: str = "", reason: str = "max_wait") -> None:
        """The call leaves its queue: on to to_queue, or out to a fallback (redirected)."""
        c = self.calls[call_id]
        attrs = {"overflow_queue": to_queue} if to_queue else {"fallback": fallback}
        await self.emit(
            "CALL_OVERFLOWED", call_id=call_id, queue=c["queue"], caller=c["caller"], reason=reason,
            call_state="" if to_queue else "redirected", wait_ms=self.now - c["received"], attempt=c["offers"],
            attributes=attrs,
        )  # fmt: skip
        if to_queue:
            c["queue"] = to_queue
            c["entered"] = self.now

    async def answered_call(
        self,
        call_id: str,
        queue: str,
        agent: str,
        ring_s: float,
        talk_s: float,
        wrap_s: float = 0,
        wait_s: float = 0,
        lead_id: str = "",
        caller: str = "+491701",
    ) -> None:
        """A whole call: waits wait_s in the queue, rings ring_s, talk_s of talk, wrap_s of wrap-up."""
        await self.receive(call_id, queue, caller=caller, lead_id=lead_id)
        if wait_s:
            await self.queue(call_id)
            self.advance(wait_s)
        await self.offer(call_id, agent)
        self.advance(ring_s)
        await self.answer(call_id)
        self.advance(talk_s)
        await self.complete(call_id, wrap_up=bool(wrap_s))
        if wrap_s:
            self.advance(wrap_s)
            await self.end_wrap_up(call_id)


def stats_config(redis_url: str, tenant: str, **overrides) -> StatsConfig:
    figures = overrides.pop("figures", Figures())
    config = StatsConfig(
        common=CommonConfig(redis_url=redis_url, tenant=tenant), port=0, block_ms=20, shutdown_grace_s=0.2,
        figures=figures,
    )  # fmt: skip
    return dataclasses.replace(config, **overrides)


@pytest.fixture(name="script")
def script_fixture(redis, tenant) -> EventScript:
    return EventScript(redis, tenant, utc_ms("2026-03-02 08:00"))


@pytest.fixture(name="make_consumer")
def make_consumer_fixture(redis, redis_url, tenant):
    def make(name: str = "c1", tenant: str = tenant, **overrides) -> EventConsumer:
        return EventConsumer(redis, tenant, stats_config(redis_url, tenant, **overrides), name=name)

    return make


@pytest.fixture(name="stats_clock")
def stats_clock_fixture() -> ManualClock:
    return ManualClock(utc_ms("2026-03-02 18:00"))


@pytest.fixture(name="stats")
def stats_fixture(redis, tenant, stats_clock) -> Stats:
    return Stats(redis, tenant, stats_clock, Figures())


@pytest.fixture(name="start_stats")
async def start_stats_fixture(redis, redis_url, tenant):
    """Starts in-process stats services (real gRPC on a loopback port, consuming the test
    tenant's stream) and stops them at the end of the test. Keyword arguments override
    StatsConfig fields; clock= passes a clock."""
    from callcenter.services.stats.server import StatsService

    started: list[StatsService] = []

    async def start(clock=None, **overrides) -> StatsService:
        service = StatsService(stats_config(redis_url, tenant, **overrides), redis, clock)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()


@pytest.fixture(name="stats_stub")
async def stats_stub_fixture(start_stats):
    """A StatsService client connected to one fresh stats service on the system clock."""
    import grpc

    from callcenter.api.stats.v1 import stats_pb2_grpc

    service = await start_stats()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        yield stats_pb2_grpc.StatsServiceStub(channel)
