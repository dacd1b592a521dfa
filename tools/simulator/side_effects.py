"""Pluggable side effects of simulated calls: what else happens around a call besides routing.

A real call centre streams each answered call's audio to the recorder and creates or moves a
CRM lead when a call ends. Those services plug in here as `SideEffect`s, so the simulator
itself only knows the router. A side effect gets every hook of every call; hooks run inside
the call's own task, so one that takes long (streaming audio for the whole talk time) starts
its own task and returns. A hook that raises is logged and counted, never ends the call.

    class Recordings(SideEffect):
        name = "recorder"

        async def call_connected(self, call):
            call.tasks.append(asyncio.create_task(self.stream_audio(call)))
        ...

    Simulation(config, side_effects=[Recordings(...)])
"""

from __future__ import annotations

import asyncio
import json
import pathlib
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callcenter.tools.simulator.pbx import Simulation


@dataclass
class SimCall:
    """One simulated call as the virtual PBX knows it. Times are wall-clock seconds (time.time())."""

    call_id: str
    caller: str
    queue: str
    priority: int = 0
    # Attributes sent with RouteCall; a side effect may add some in before_route (a lead id).
    attributes: dict[str, str] = field(default_factory=dict)
    received_at: float = 0.0
    answered_at: float | None = None
    ended_at: float | None = None
    # The agent who answered.
    agent_id: str = ""
    # Every agent offered the call, in order.
    offered_to: list[str] = field(default_factory=list)
    # Final state name in lower case (completed, abandoned, timed_out, redirected), or "error".
    final_state: str = ""
    # The simulated talk time the caller and agent planned (simulated seconds).
    planned_talk_s: float = 0.0
    personal_manager_id: str = ""
    # The open deal the call is about (RouteCall deal_id): a returning caller's lead with an owner.
    deal_id: str = ""
    # Tasks side effects started for this call; the simulator waits for them at the end.
    tasks: list[asyncio.Task] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "queue": self.queue,
            "priority": self.priority,
            "attributes": self.attributes,
            "received_at": self.received_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "agent_id": self.agent_id,
            "offered_to": self.offered_to,
            "final_state": self.final_state,
            "planned_talk_s": round(self.planned_talk_s, 3),
            "personal_manager_id": self.personal_manager_id,
            "deal_id": self.deal_id,
        }


class SideEffect:
    """Base class: every hook does nothing. Override the ones you need."""

    name = "side-effect"

    async def start(self, simulation: Simulation) -> None:
        """Once, after the queues and agents exist and before the first call."""

    async def before_route(self, call: SimCall) -> None:
        """Before RouteCall; may add call.attributes (e.g. a CRM lead id)."""

    async def call_connected(self, call: SimCall) -> None:
        """An agent answered (call.agent_id); the talk begins now and lasts call.planned_talk_s
        simulated seconds."""

    async def call_finished(self, call: SimCall) -> None:
        """The call reached its final state (call.final_state)."""

    async def stop(self) -> None:
        """Once, after the last call ended."""

    def summary(self) -> str:
        """A few words for the live summary line ("recordings stored 12"); empty for none."""
        return ""


class CallLog(SideEffect):
    """Writes one JSON line per finished call (to a path, or to an open text stream)."""

    name = "call-log"

    def __init__(self, target: pathlib.Path | IO[str]) -> None:
        self._path = target if isinstance(target, pathlib.Path) else None
        self._out: IO[str] | None = None if isinstance(target, pathlib.Path) else target
        self._owned = False

    async def start(self, simulation: Simulation) -> None:
        if self._path is not None:
            self._out = self._path.open("a", encoding="utf-8")  # noqa: ASYNC230 - one open at start
            self._owned = True

    async def call_finished(self, call: SimCall) -> None:
        if self._out is not None:
            self._out.write(json.dumps(call.as_dict(), sort_keys=True) + "\n")
            self._out.flush()

    async def stop(self) -> None:
        if self._owned and self._out is not None:
            self._out.close()
            self._out = None
