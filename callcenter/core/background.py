"""One way to run a service's background loop (timers, stream readers, consumers, sweeps).

A `Worker` calls its `step` again and again until stopped. `step` returns how long to sleep
before the next round (0 or None: at once). Stopping sets a flag and wakes the sleep; a step
under way is let finish (a cancelled step could leave a Redis command half done) for up to
`stop_timeout_s`, then cancelled; a stream reader (nothing half done when cancelled, but
blocked in a read) takes stop_timeout_s=0 and is cancelled at once. A failing step never ends the loop: a lost Redis
connection is logged as a warning, anything else with its traceback, and the next round
waits a backoff that doubles up to `max_backoff_s` and resets after a good round.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import redis.exceptions
import structlog

log = structlog.get_logger(__name__)

Step = Callable[[], Awaitable[float | None]]


class Worker:
    def __init__(
        self,
        name: str,
        step: Step,
        *,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 5.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self.name = name
        self.step = step
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.stop_timeout_s = stop_timeout_s
        self.failures = 0  # failed rounds since the start (for figures and tests)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> Worker:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)
        return self

    async def _run(self) -> None:
        backoff = self.min_backoff_s
        while not self._stopping.is_set():
            try:
                delay = await self.step()
                backoff = self.min_backoff_s
            except asyncio.CancelledError:
                raise
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                self.failures += 1
                log.warning("worker.redis_unavailable", worker=self.name, error=str(exc), retry_s=backoff)
                delay, backoff = backoff, min(backoff * 2, self.max_backoff_s)
            except Exception:
                self.failures += 1
                log.exception("worker.step_failed", worker=self.name, retry_s=backoff)
                delay, backoff = backoff, min(backoff * 2, self.max_backoff_s)
            if delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)

    async def stop(self) -> None:
        """Stops after the step under way (cancelled if it takes longer than stop_timeout_s)."""
        task, self._task = self._task, None
        self._stopping.set()
        if task is None:
            return
        done: set[asyncio.Task[None]] = set()
        if self.stop_timeout_s > 0:
            done, _ = await asyncio.wait({task}, timeout=self.stop_timeout_s)
            if not done:
                log.warning("worker.cancelled", worker=self.name, after_s=self.stop_timeout_s)
        if not done:  # a reader blocked on its stream (stop_timeout_s 0) is simply cancelled
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        elif not task.cancelled() and task.exception() is not None:
            log.error("worker.ended_by_error", worker=self.name, error=str(task.exception()))
