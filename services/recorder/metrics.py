"""The recorder's Prometheus metrics (docs/operations.md, "Metrics"): its uploads as they run
and end, the bytes it stored, the recordings it deleted. Moved by the domain (recorder.py) in
the replica that did the work; nothing is read from Redis for them but its ping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

from callcenter.core import metrics

if TYPE_CHECKING:
    from callcenter.services.recorder.server import RecorderService

UPLOADS_IN_PROGRESS = Gauge("callcenter_recorder_uploads_in_progress", "Upload streams this replica is receiving.")
UPLOADS = Counter(
    "callcenter_recorder_uploads_total",
    "Uploads that ended, by result: stored, partial (an interrupted upload the sweep stored as it was),"
    " duplicate (the leg has a recording), discarded (over the size limit or no audio: nothing kept),"
    " interrupted (the stream ended or broke before the end: kept, resumable), failed (storing failed: kept,"
    " resumable), rejected (refused before any audio: bad metadata, the leg busy, shutting down).",
    ["result"],
)
STORED_BYTES = Counter("callcenter_recorder_stored_bytes_total", "Bytes of the recordings (WAV files) stored.")
DELETED = Counter(
    "callcenter_recorder_deleted_total",
    "Recordings deleted, by reason: retention (older than CALLCENTER_RECORDER_RETENTION_DAYS) or request.",
    ["reason"],
)

#: Every result and reason, shown from the start (a rate over a series that appears later misses its first step).
RESULTS = ("stored", "partial", "duplicate", "discarded", "interrupted", "failed", "rejected")
REASONS = ("retention", "request")
for _result in RESULTS:
    UPLOADS.labels(_result)
for _reason in REASONS:
    DELETED.labels(_reason)


def upload_ended(result: str) -> None:
    UPLOADS.labels(result).inc()


def stored(size_bytes: int, partial: bool) -> None:
    UPLOADS.labels("partial" if partial else "stored").inc()
    STORED_BYTES.inc(size_bytes)


def deleted(reason: str) -> None:
    DELETED.labels(reason if reason in REASONS else "request").inc()


async def refresh(service: RecorderService) -> None:
    """Whether Redis answers; the pool's use."""
    redis = service.recorder.redis
    metrics.pool_gauges("recorder", redis)
    await metrics.redis_reachable(redis)
