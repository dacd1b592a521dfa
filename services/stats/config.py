"""The stats service's settings, from environment variables; every default is here."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

from callcenter.core.config import CommonConfig, env_float, env_int, env_str


@dataclass(frozen=True)
class Figures:
    """The thresholds and weights of the figures (docs/stats.md has each formula)."""

    # Answered within this many seconds counts for the service level (the 20 of 80/20).
    service_level_threshold_s: int = 20
    # The service-level target in percent (the 80 of 80/20).
    service_level_target_percent: float = 80.0
    # Callers hanging up within this many seconds are short abandons (left out of the
    # service level's denominator, still counted as abandoned).
    short_abandon_s: int = 5
    # A conversation longer than this many seconds is a successful touch (S4.4).
    successful_touch_s: int = 30
    # Waiting or ringing longer than this many seconds is overdue on the board (S0.2).
    overdue_after_s: int = 60
    # Score (S1.4): bonus per handled call, penalties per missed and per rejected offer.
    score_handled_bonus: float = 1.0
    score_missed_penalty: float = 1.0
    score_rejected_penalty: float = 1.0
    # Cadence (S4.1): this many call attempts within the first this-many calendar days.
    cadence_attempts: int = 3
    cadence_days: int = 5
    # A lead refused with fewer call attempts than this is an improper refusal (S4.6).
    min_contacts_before_refusal: int = 15


@dataclass(frozen=True)
class StatsConfig:
    common: CommonConfig = field(default_factory=CommonConfig)
    # Address the gRPC server binds; port 0 picks a free port (logged and written to port_file).
    host: str = "127.0.0.1"
    port: int = 50052
    # When set, the bound port is written to this file once the server is ready.
    port_file: pathlib.Path | None = None
    # The consumer group every stats replica of a tenant joins.
    consumer_group: str = "stats"
    # This replica's consumer name in the group; empty: host name, process id and a random part.
    consumer_name: str = ""
    # Most events read (or reclaimed) per batch.
    batch_size: int = 200
    # Longest wait of one blocking read for new events, in milliseconds.
    block_ms: int = 1000
    # An event delivered to a consumer that has not acknowledged it for this long is
    # reclaimed (XAUTOCLAIM) by another: the first consumer is taken to be dead.
    claim_idle_ms: int = 30_000
    # At start, consumers of the group idle this long with nothing pending are removed.
    forget_consumers_after_s: int = 86_400
    # An event that fails to apply this many times goes to the dead-letter stream.
    max_deliveries: int = 5
    # Applied event ids are remembered this long (exactly once across redeliveries).
    dedupe_window_s: int = 7 * 86_400
    # How long buckets, state timelines and call records are kept.
    retention_days: int = 400
    # Approximate length of the changes stream the live board reads.
    changes_maxlen: int = 10_000
    # Seconds to let in-flight RPCs finish on SIGTERM.
    shutdown_grace_s: float = 5.0
    figures: Figures = field(default_factory=Figures)

    @classmethod
    def from_env(cls) -> StatsConfig:
        port_file = env_str("CALLCENTER_STATS_PORT_FILE", "")
        f = Figures
        return cls(
            common=CommonConfig.from_env(),
            host=env_str("CALLCENTER_STATS_HOST", cls.host),
            port=env_int("CALLCENTER_STATS_PORT", cls.port, minimum=0),
            port_file=pathlib.Path(port_file) if port_file else None,
            consumer_group=env_str("CALLCENTER_STATS_GROUP", cls.consumer_group),
            consumer_name=env_str("CALLCENTER_STATS_CONSUMER", cls.consumer_name),
            batch_size=env_int("CALLCENTER_STATS_BATCH_SIZE", cls.batch_size, minimum=1),
            block_ms=env_int("CALLCENTER_STATS_BLOCK_MS", cls.block_ms, minimum=1),
            claim_idle_ms=env_int("CALLCENTER_STATS_CLAIM_IDLE_MS", cls.claim_idle_ms, minimum=1),
            forget_consumers_after_s=env_int(
                "CALLCENTER_STATS_FORGET_CONSUMERS_AFTER_S", cls.forget_consumers_after_s, minimum=1
            ),
            max_deliveries=env_int("CALLCENTER_STATS_MAX_DELIVERIES", cls.max_deliveries, minimum=1),
            dedupe_window_s=env_int("CALLCENTER_STATS_DEDUPE_WINDOW_S", cls.dedupe_window_s, minimum=60),
            retention_days=env_int("CALLCENTER_STATS_RETENTION_DAYS", cls.retention_days, minimum=1),
            changes_maxlen=env_int("CALLCENTER_STATS_CHANGES_MAXLEN", cls.changes_maxlen, minimum=100),
            shutdown_grace_s=env_float("CALLCENTER_SHUTDOWN_GRACE_S", cls.shutdown_grace_s, minimum=0),
            figures=Figures(
                service_level_threshold_s=env_int(
                    "CALLCENTER_STATS_SERVICE_LEVEL_S", f.service_level_threshold_s, minimum=1
                ),
                service_level_target_percent=env_float(
                    "CALLCENTER_STATS_SERVICE_LEVEL_TARGET", f.service_level_target_percent, minimum=0
                ),
                short_abandon_s=env_int("CALLCENTER_STATS_SHORT_ABANDON_S", f.short_abandon_s, minimum=0),
                successful_touch_s=env_int("CALLCENTER_STATS_SUCCESSFUL_TOUCH_S", f.successful_touch_s, minimum=0),
                overdue_after_s=env_int("CALLCENTER_STATS_OVERDUE_AFTER_S", f.overdue_after_s, minimum=1),
                score_handled_bonus=env_float("CALLCENTER_STATS_SCORE_HANDLED_BONUS", f.score_handled_bonus),
                score_missed_penalty=env_float("CALLCENTER_STATS_SCORE_MISSED_PENALTY", f.score_missed_penalty),
                score_rejected_penalty=env_float("CALLCENTER_STATS_SCORE_REJECTED_PENALTY", f.score_rejected_penalty),
                cadence_attempts=env_int("CALLCENTER_STATS_CADENCE_ATTEMPTS", f.cadence_attempts, minimum=1),
                cadence_days=env_int("CALLCENTER_STATS_CADENCE_DAYS", f.cadence_days, minimum=1),
                min_contacts_before_refusal=env_int(
                    "CALLCENTER_STATS_MIN_CONTACTS_BEFORE_REFUSAL", f.min_contacts_before_refusal, minimum=0
                ),
            ),
        )
