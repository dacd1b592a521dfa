"""Fires the router's stored deadlines (offer expiry, wrap-up end, maximum wait, retry).

Every replica runs this loop against the one timer set in Redis; firing is claimed atomically
(fire_timer.lua), so a timer fires exactly once even with many replicas, and a replica that
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
                next_deadline = await self.router.store.next_deadline_ms()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timers.failed")
                await asyncio.sleep(self.poll_s)
                continue
            delay = self.poll_s
            if next_deadline is not None:
                delay = min(delay, max(0.0, (next_deadline - self.router.clock.now_ms()) / 1000))
            await asyncio.sleep(delay)
