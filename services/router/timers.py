"""Fires the router's stored deadlines (offer expiry, wrap-up end, maximum wait, retry, PBX
leases, call lifetimes, position announcements).

Every replica runs this step in a background worker against the one timer set in Redis;
firing is claimed atomically (fire_timers.lua), so a timer fires exactly once even with many
replicas, and a replica that dies with a timer pending leaves it to the others.
"""

from __future__ import annotations

from callcenter.core.background import Worker
from callcenter.services.router.router import Router


def timer_worker(router: Router, poll_ms: int) -> Worker:
    poll_s = poll_ms / 1000

    async def step() -> float:
        await router.fire_due_timers()
        # Sleep until the next deadline by the Redis clock (the script's reply says both), at
        # most poll_s: another replica may add an earlier deadline meanwhile.
        done = router.last_round
        if done is None or done.next_ms is None:
            return poll_s
        return min(poll_s, max(0.0, (done.next_ms - done.now_ms) / 1000))

    return Worker("router-timers", step)
