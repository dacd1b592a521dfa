"""The task timer of every gateway replica (and the handovers' handback timer): fires the
tasks' due times and reminders (S1.10), like the router's timer worker (docs/architecture.md,
"Timers"). Each round runs fire.lua, which claims what is due by the Redis clock, changes the
task and appends its event in one step (exactly once across replicas); then it sleeps until
the next deadline, at most POLL_S, so a replica that died leaves nothing unfired for long."""

from __future__ import annotations

from callcenter.core.background import Worker

from .backends import Backends
from .domain.handover import fire_due_handback
from .handovers import HandoverStore
from .tasks import FIRE_BATCH, TaskStore

POLL_S = 0.25  # the longest a deadline waits after it came (a browser hears of it well within a second)


def task_timer(store: TaskStore) -> Worker:
    async def step() -> float:
        reply = await store.fire()
        if reply["fired"] >= FIRE_BATCH:
            return 0.0  # more may be due: at once
        if reply["next"] < 0:
            return POLL_S
        return min(POLL_S, max(0.0, (float(reply["next"]) - float(reply["now"])) / 1000))

    return Worker("gateway-task-timer", step)


HANDBACK_POLL_S = 1.0  # the longest a handover's end waits after it came


def handback_timer(backends: Backends, store: HandoverStore) -> Worker:
    """Hands back the handovers whose end came (domain/handover.py), one per step, claimed by
    one replica at a time by the Redis clock."""

    async def step() -> float:
        reply = await fire_due_handback(backends, store)
        if "ok" in reply:
            return 0.0  # another may be due
        if reply["next"] < 0:
            return HANDBACK_POLL_S
        return min(HANDBACK_POLL_S, max(0.0, (float(reply["next"]) - float(reply["now"])) / 1000))

    return Worker("gateway-handback-timer", step)
