"""The task timer of every gateway replica: fires the tasks' due times and reminders (S1.10),
like the router's timer worker (docs/architecture.md, "Timers"). Each round runs fire.lua,
which claims what is due by the Redis clock, changes the task and appends its event in one
step (exactly once across replicas); then it sleeps until the next deadline, at most
POLL_S, so a replica that died leaves nothing unfired for long."""

from __future__ import annotations

from callcenter.core.background import Worker

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
