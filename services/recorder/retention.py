"""The recorder's background work: renewing the leases of running uploads, storing
interrupted uploads nobody resumed as partial recordings, deleting recordings past the
retention period (except those on legal hold), and removing staged files a crash left.
Each runs on its own period; a failed round is logged and retried next period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from callcenter.core.background import Worker
from callcenter.services.recorder.recorder import Recorder

log = structlog.get_logger(__name__)


def periodic(name: str, interval_s: float, work: Callable[[], Awaitable[object]]) -> Worker:
    """A worker running `work` every interval_s. Stopping lets a round under way finish
    (cancelling one mid-way could leave a Redis command half done)."""

    async def step() -> float:
        await work()
        return interval_s

    return Worker(f"recorder-{name}", step)


async def sweep(recorder: Recorder) -> None:
    """One round of both sweeps."""
    partial = await recorder.finalize_idle_uploads()
    deleted = await recorder.delete_expired()
    await recorder.clean_staging()
    if partial or deleted:
        log.info("recorder.swept", stored_partial=len(partial), deleted=len(deleted))


def background_loops(recorder: Recorder, sweep_interval_s: float) -> list[Worker]:
    """The loops a recorder process runs: lease renewal (every third of the lease) and sweeps."""
    return [
        periodic("lease-renewal", recorder.limits.upload_lease_ms / 3000, recorder.renew_leases),
        periodic("sweeps", sweep_interval_s, lambda: sweep(recorder)),
    ]
