"""The recorder's background work: renewing the leases of running uploads, storing
interrupted uploads nobody resumed as partial recordings, deleting recordings past the
retention period (except those on legal hold), and removing staged files a crash left.
Each runs on its own period; a failed round is logged and retried next period."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import redis.exceptions
import structlog

from services.recorder.recorder import Recorder

log = structlog.get_logger(__name__)


class Periodic:
    """Runs `work` every interval_s until stopped. Stopping lets a round under way finish
    (cancelling one mid-way could leave a Redis command half done), within stop_timeout_s."""

    def __init__(self, name: str, interval_s: float, work: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self.interval_s = interval_s
        self.work = work
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.work()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                log.warning("recorder.sweep_redis_unavailable", sweep=self.name, error=str(exc))
            except Exception:
                log.exception("recorder.sweep_failed", sweep=self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    async def stop(self, timeout_s: float = 10.0) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        if not done:
            log.warning("recorder.sweep_cancelled", sweep=self.name)
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)


async def sweep(recorder: Recorder) -> None:
    """One round of both sweeps."""
    partial = await recorder.finalize_idle_uploads()
    deleted = await recorder.delete_expired()
    await recorder.clean_staging()
    if partial or deleted:
        log.info("recorder.swept", stored_partial=len(partial), deleted=len(deleted))


def background_loops(recorder: Recorder, sweep_interval_s: float) -> list[Periodic]:
    """The loops a recorder process runs: lease renewal (every third of the lease) and sweeps."""
    return [
        Periodic("lease-renewal", recorder.limits.upload_lease_ms / 3000, recorder.renew_leases),
        Periodic("sweeps", sweep_interval_s, lambda: sweep(recorder)),
    ]
