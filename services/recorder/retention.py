"""The recorder's background work: renewing the leases of running uploads, storing
interrupted uploads nobody resumed as partial recordings, and deleting recordings past the
retention period (except those on legal hold). Each runs on its own period; a failed round
is logged and retried next period."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import redis.exceptions
import structlog

from services.recorder.recorder import Recorder

log = structlog.get_logger(__name__)


class Periodic:
    """Runs `work` every interval_s until stopped."""

    def __init__(self, name: str, interval_s: float, work: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self.interval_s = interval_s
        self.work = work
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        while True:
            try:
                await self.work()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                log.warning("recorder.sweep_redis_unavailable", sweep=self.name, error=str(exc))
            except Exception:
                log.exception("recorder.sweep_failed", sweep=self.name)
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def sweep(recorder: Recorder) -> None:
    """One round of both sweeps."""
    partial = await recorder.finalize_idle_uploads()
    deleted = await recorder.delete_expired()
    if partial or deleted:
        log.info("recorder.swept", stored_partial=len(partial), deleted=len(deleted))


def background_loops(recorder: Recorder, sweep_interval_s: float) -> list[Periodic]:
    """The loops a recorder process runs: lease renewal (every third of the lease) and sweeps."""
    return [
        Periodic("lease-renewal", recorder.limits.upload_lease_ms / 3000, recorder.renew_leases),
        Periodic("sweeps", sweep_interval_s, lambda: sweep(recorder)),
    ]
