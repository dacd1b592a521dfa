"""Side effect: the CRM's leads. Some calls are about a sales lead: the CRM creates it
(CreateLead), the PBX passes its id with the call (attribute `lead_id`, which the router
carries into the event stream, the stats link to the call and the recorder to the
recording; once the lead has an owner also as RouteCall's deal_id, so its owner is offered
the caller's next call first), and after a conversation the agent moves the lead along the pipeline
lead -> in_work -> payment -> fulfilled (or refused) with ChangeLeadStage, taking it over
first (AssignLead) if it was someone else's. A returning caller's open lead goes on.

Optional: it needs the stats service's generated code (callcenter.stats.v1); `available()`
says whether it is there.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import TYPE_CHECKING

import structlog

from callcenter.tools.simulator.side_effects import SideEffect, SimCall

if TYPE_CHECKING:
    from callcenter.core.grpc_security import GrpcClientCredentials
    from callcenter.tools.simulator.pbx import Simulation

log = structlog.get_logger(__name__)

# After a conversation, where a lead goes next: (stage, chance), the rest stays put.
NEXT_STAGE = {
    "lead": (("in_work", 1.0),),
    "in_work": (("payment", 0.35), ("refused", 0.15)),
    "payment": (("fulfilled", 0.6), ("refused", 0.05)),
}
FINAL_STAGES = frozenset({"fulfilled", "refused"})


def available() -> bool:
    """True when the stats service's generated gRPC code is importable."""
    try:
        return importlib.util.find_spec("callcenter.api.stats.v1.stats_pb2_grpc") is not None
    except ModuleNotFoundError:
        return False


class Leads(SideEffect):
    """Creates leads for a share of the calls and moves them through the pipeline."""

    name = "leads"

    def __init__(
        self, address: str, lead_fraction: float = 0.5, credentials: GrpcClientCredentials | None = None
    ) -> None:
        self.address = address
        self.credentials = credentials  # what it presents (None: nothing)
        self.lead_fraction = lead_fraction
        self.created = 0
        self._numbered = 0
        self.moved = 0
        self.won = 0
        # caller -> [lead id, stage, agent] of their open lead
        self.open: dict[str, list[str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # per caller
        self._simulation: Simulation | None = None
        self._channel = None
        self._stub = None

    async def start(self, simulation: Simulation) -> None:
        from callcenter.api.stats.v1 import stats_pb2_grpc
        from callcenter.core.grpc_security import aio_channel

        self._simulation = simulation
        self._channel = aio_channel(self.address, self.credentials)
        self._stub = stats_pb2_grpc.StatsServiceStub(self._channel)

    async def before_route(self, call: SimCall) -> None:
        from callcenter.api.stats.v1 import stats_pb2 as spb

        assert self._simulation is not None and self._stub is not None
        lead = self.open.get(call.caller)
        if lead is None:
            if self._simulation.rng.random() >= self.lead_fraction:
                return
            # Numbered and noted before the RPC: calls arriving meanwhile neither reuse the
            # number nor create a second lead for the same caller.
            lead_id = f"L-{self._simulation.run_tag}-{self._numbered:05d}"
            self._numbered += 1
            lead = self.open[call.caller] = [lead_id, "lead", ""]
            try:
                await self._stub.CreateLead(spb.CreateLeadRequest(lead_id=lead_id, stage="lead"), timeout=10)
            except Exception:
                self.open.pop(call.caller, None)
                raise
            self.created += 1
        call.attributes["lead_id"] = lead[0]
        if lead[2]:  # owned: the call is about an open deal, its owner is offered it first
            call.deal_id = lead[0]

    async def call_finished(self, call: SimCall) -> None:
        # One caller's calls ending together move their lead one after the other, each from
        # the stage the one before left it in.
        async with self._locks.setdefault(call.caller, asyncio.Lock()):
            await self._lead_after(call)

    async def _lead_after(self, call: SimCall) -> None:
        from callcenter.api.stats.v1 import stats_pb2 as spb

        lead = self.open.get(call.caller)
        if lead is None or call.attributes.get("lead_id") != lead[0] or call.final_state != "completed":
            return
        assert self._simulation is not None and self._stub is not None
        lead_id, stage, owner = lead
        if owner != call.agent_id:
            await self._stub.AssignLead(spb.AssignLeadRequest(lead_id=lead_id, agent_id=call.agent_id), timeout=10)
            lead[2] = call.agent_id
        roll, threshold = self._simulation.rng.random(), 0.0
        for next_stage, chance in NEXT_STAGE.get(stage, ()):
            threshold += chance
            if roll < threshold:
                await self._stub.ChangeLeadStage(
                    spb.ChangeLeadStageRequest(lead_id=lead_id, stage=next_stage, agent_id=call.agent_id), timeout=10
                )
                self.moved += 1
                lead[1] = next_stage
                if next_stage in FINAL_STAGES:
                    self.won += next_stage == "fulfilled"
                    self.open.pop(call.caller, None)
                break

    def summary(self) -> str:
        return f"leads created {self.created} moved {self.moved} won {self.won}"

    async def stop(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
