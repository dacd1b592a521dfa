"""Fires the router's stored deadlines (offer expiry, wrap-up end, maximum wait, retry).

Every replica runs this loop against the one timer set in Redis; firing is claimed atomically
(fire_timers.lua), so a timer fires exactly once even with many replicas, and a replica that
dies with a timer pending leaves it to the others.
"""

from __future__ import annotations

import asyncio

import structlog

from services.router.router import Router

log = structlog.get_logger(__name__)


class TimerLoop:
    def __init__(self, router: Router, poll_ms: int) -> None:
        self.router = router
        self.poll_s = poll_ms / 1000
        self.stopping = False

    async def run(self) -> None:
        # The flag, not only cancellation, ends the loop: a cancellation that lands inside a
        # Redis call's own timeout can surface as TimeoutError (Python 3.11) and be absorbed.
        while not self.stopping:
            try:
                await self.router.fire_due_timers()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timers.failed")
                await asyncio.sleep(self.poll_s)
                continue
            # Sleep until the next deadline by the Redis clock (the script's reply says both),
            # at most poll_s: another replica may add an earlier deadline meanwhile.
            done = self.router.last_round
            delay = self.poll_s
            if done is not None and done.next_ms is not None:
                delay = min(delay, max(0.0, (done.next_ms - done.now_ms) / 1000))
            await asyncio.sleep(delay)
