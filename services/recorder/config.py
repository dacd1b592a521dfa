"""The recorder's settings, each declared once (environment variable, default, bounds, meaning)."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from callcenter.core.config import CommonConfig, ConfigError, event_stream_maxlen, shutdown_grace
from callcenter.core.grpc_security import GrpcServerSecurity
from callcenter.core.ops_server import OpsSettings
from callcenter.core.settings import load, nested, setting
from callcenter.services.recorder.recorder import RecorderLimits

MIB = 1024 * 1024


@dataclass(frozen=True)
class RecorderConfig:
    common: CommonConfig = nested(CommonConfig)
    host: str = setting("CALLCENTER_RECORDER_HOST", "127.0.0.1", "address the recorder's gRPC server binds")
    port: int = setting(
        "CALLCENTER_RECORDER_PORT", 50053, "recorder port; 0 picks a free one", minimum=0, maximum=65535
    )
    port_file: pathlib.Path | None = setting(
        "CALLCENTER_RECORDER_PORT_FILE", None, "write the bound port to this file once serving"
    )
    grpc: GrpcServerSecurity = nested(GrpcServerSecurity)
    ops: OpsSettings = nested(OpsSettings)
    # Uploads in progress are staged in its ".staging" subfolder (same file system: publishing
    # is a rename).
    storage_dir: pathlib.Path | None = setting(
        "CALLCENTER_RECORDER_STORAGE_DIR", None, "where audio is stored", shown_default="`<data dir>/recordings`"
    )
    # 256 MiB is 4.6 hours of 8 kHz 16-bit mono PCM, 9 hours of G.711.
    max_upload_bytes: int = setting(
        "CALLCENTER_RECORDER_MAX_UPLOAD_BYTES",
        256 * MIB,
        "most bytes of audio (as sent) one recording may have; a bigger upload is refused whole",
        minimum=1,
        maximum=64 * 1024 * MIB,
    )
    commit_bytes: int = setting(
        "CALLCENTER_RECORDER_COMMIT_BYTES",
        256 * 1024,
        "an upload is fsynced and its committed offset recorded every this many bytes ...",
        minimum=1,
        maximum=1024 * MIB,
    )
    commit_interval_ms: int = setting(
        "CALLCENTER_RECORDER_COMMIT_INTERVAL_MS",
        1000,
        "... or this many milliseconds, whichever comes first (and when the stream breaks)",
        minimum=1,
        maximum=600_000,
    )
    upload_lease_ms: int = setting(
        "CALLCENTER_RECORDER_UPLOAD_LEASE_MS",
        30_000,
        "lease of the lock a receiving process holds on an upload (renewed every third of it); after a crash a"
        " resume waits at most this long",
        minimum=100,
        maximum=3_600_000,
    )
    idle_finalize_s: int = setting(
        "CALLCENTER_RECORDER_IDLE_FINALIZE_S",
        600,
        "an interrupted upload not resumed for this long is stored as a partial recording (longer than the lease)",
        minimum=1,
        maximum=30 * 86_400,
    )
    retention_days: int = setting(
        "CALLCENTER_RECORDER_RETENTION_DAYS",
        365,
        "recordings older (by start time) are deleted, except on legal hold",
        minimum=1,
        maximum=36_500,
    )
    sweep_interval_s: float = setting(
        "CALLCENTER_RECORDER_SWEEP_INTERVAL_S",
        60.0,
        "how often the sweeps (idle uploads, retention) run",
        minimum=0.01,
        maximum=86_400,
    )
    download_chunk_bytes: int = setting(
        "CALLCENTER_RECORDER_DOWNLOAD_CHUNK_BYTES",
        64 * 1024,
        "largest chunk DownloadRecording sends",
        minimum=1024,
        maximum=4 * MIB - 1024,
    )
    event_stream_maxlen: int = event_stream_maxlen()
    # After it, running uploads are suspended (resumable).
    shutdown_grace_s: float = shutdown_grace()

    def __post_init__(self) -> None:
        if self.idle_finalize_s * 1000 <= self.upload_lease_ms:
            raise ConfigError("CALLCENTER_RECORDER_IDLE_FINALIZE_S must be longer than the upload lease")

    @property
    def recordings_dir(self) -> pathlib.Path:
        return self.storage_dir or self.common.data_dir / "recordings"

    def limits(self) -> RecorderLimits:
        return RecorderLimits(
            max_upload_bytes=self.max_upload_bytes,
            commit_bytes=self.commit_bytes,
            commit_interval_ms=self.commit_interval_ms,
            upload_lease_ms=self.upload_lease_ms,
            idle_finalize_ms=self.idle_finalize_s * 1000,
            retention_days=self.retention_days,
            download_chunk_bytes=self.download_chunk_bytes,
            event_stream_maxlen=self.event_stream_maxlen,
        )

    @classmethod
    def from_env(cls) -> RecorderConfig:
        return load(cls)
