"""The recorder's settings, from environment variables; every default is here."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

from callcenter.core.config import CommonConfig, ConfigError, env_float, env_int, env_str
from callcenter.services.recorder.recorder import RecorderLimits

MIB = 1024 * 1024


@dataclass(frozen=True)
class RecorderConfig:
    common: CommonConfig = field(default_factory=CommonConfig)
    # Address the gRPC server binds; port 0 picks a free port (logged and written to port_file).
    host: str = "127.0.0.1"
    port: int = 50053
    # When set, the bound port is written to this file once the server is ready.
    port_file: pathlib.Path | None = None
    # Folder of the local directory storage; empty: <data_dir>/recordings. Uploads in
    # progress are staged in its ".staging" subfolder (same file system: publishing is a rename).
    storage_dir: pathlib.Path | None = None
    # Most bytes of audio (as sent) one recording may have; a bigger upload is refused whole.
    # 256 MiB is 4.6 hours of 8 kHz 16-bit mono PCM, 9 hours of G.711.
    max_upload_bytes: int = 256 * MIB
    # An upload is fsynced and its committed offset recorded every this many bytes ...
    commit_bytes: int = 256 * 1024
    # ... or this many milliseconds, whichever comes first (and when the stream breaks).
    commit_interval_ms: int = 1000
    # Lease of the lock a receiving process holds on a call leg's upload; renewed every third
    # of it while the stream lives. After a crash, a resume waits at most this long.
    upload_lease_ms: int = 30_000
    # An interrupted upload not resumed for this long is stored as a partial recording.
    idle_finalize_s: int = 600
    # Recordings older than this many days (by start time) are deleted, except on legal hold.
    retention_days: int = 365
    # How often the sweeps (idle uploads, retention) run.
    sweep_interval_s: float = 60.0
    # Largest chunk DownloadRecording sends.
    download_chunk_bytes: int = 64 * 1024
    # Approximate maximum number of entries in the event stream (XADD MAXLEN ~).
    event_stream_maxlen: int = 1_000_000
    # Seconds to let running uploads finish on SIGTERM; after it they are suspended (resumable).
    shutdown_grace_s: float = 5.0

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
        port_file = env_str("CALLCENTER_RECORDER_PORT_FILE", "")
        storage_dir = env_str("CALLCENTER_RECORDER_STORAGE_DIR", "")
        config = cls(
            common=CommonConfig.from_env(),
            host=env_str("CALLCENTER_RECORDER_HOST", cls.host),
            port=env_int("CALLCENTER_RECORDER_PORT", cls.port, minimum=0),
            port_file=pathlib.Path(port_file) if port_file else None,
            storage_dir=pathlib.Path(storage_dir) if storage_dir else None,
            max_upload_bytes=env_int("CALLCENTER_RECORDER_MAX_UPLOAD_BYTES", cls.max_upload_bytes, minimum=1),
            commit_bytes=env_int("CALLCENTER_RECORDER_COMMIT_BYTES", cls.commit_bytes, minimum=1),
            commit_interval_ms=env_int("CALLCENTER_RECORDER_COMMIT_INTERVAL_MS", cls.commit_interval_ms, minimum=1),
            upload_lease_ms=env_int("CALLCENTER_RECORDER_UPLOAD_LEASE_MS", cls.upload_lease_ms, minimum=100),
            idle_finalize_s=env_int("CALLCENTER_RECORDER_IDLE_FINALIZE_S", cls.idle_finalize_s, minimum=1),
            retention_days=env_int("CALLCENTER_RECORDER_RETENTION_DAYS", cls.retention_days, minimum=1),
            sweep_interval_s=env_float("CALLCENTER_RECORDER_SWEEP_INTERVAL_S", cls.sweep_interval_s, minimum=0.01),
            download_chunk_bytes=env_int(
                "CALLCENTER_RECORDER_DOWNLOAD_CHUNK_BYTES", cls.download_chunk_bytes, minimum=1024
            ),
            event_stream_maxlen=env_int("CALLCENTER_EVENT_STREAM_MAXLEN", cls.event_stream_maxlen, minimum=1000),
            shutdown_grace_s=env_float("CALLCENTER_SHUTDOWN_GRACE_S", cls.shutdown_grace_s, minimum=0),
        )
        if config.idle_finalize_s * 1000 <= config.upload_lease_ms:
            raise ConfigError("CALLCENTER_RECORDER_IDLE_FINALIZE_S must be longer than the upload lease")
        return config
