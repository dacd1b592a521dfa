"""The stats service's settings, each declared once (environment variable, default, bounds, meaning)."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from callcenter.core.config import CommonConfig, shutdown_grace
from callcenter.core.grpc_security import GrpcServerSecurity
from callcenter.core.ops_server import OpsSettings
from callcenter.core.settings import ConfigError, load, nested, setting
from callcenter.services.stats.lead_stages import parse_backward_moves

DAY_S = 86_400


@dataclass(frozen=True)
class Figures:
    """The thresholds and weights of the figures (docs/stats.md has each formula)."""

    service_level_threshold_s: int = setting(
        "CALLCENTER_STATS_SERVICE_LEVEL_S",
        20,
        "answered within this many seconds counts for the service level (the 20 of 80/20)",
        minimum=1,
        maximum=3600,
    )
    service_level_target_percent: float = setting(
        "CALLCENTER_STATS_SERVICE_LEVEL_TARGET",
        80.0,
        "the service-level target in percent (the 80 of 80/20)",
        minimum=0,
        maximum=100,
    )
    short_abandon_s: int = setting(
        "CALLCENTER_STATS_SHORT_ABANDON_S",
        5,
        "callers hanging up within this many seconds are short abandons (out of the service level's denominator)",
        minimum=0,
        maximum=3600,
    )
    successful_touch_s: int = setting(
        "CALLCENTER_STATS_SUCCESSFUL_TOUCH_S",
        30,
        "a conversation longer than this many seconds is a successful touch (S4.4)",
        minimum=0,
        maximum=DAY_S,
    )
    overdue_after_s: int = setting(
        "CALLCENTER_STATS_OVERDUE_AFTER_S",
        60,
        "waiting or ringing longer than this many seconds is overdue on the board (S0.2)",
        minimum=1,
        maximum=DAY_S,
    )
    score_handled_bonus: float = setting(
        "CALLCENTER_STATS_SCORE_HANDLED_BONUS", 1.0, "score (S1.4): bonus per handled call", minimum=-1000, maximum=1000
    )
    score_missed_penalty: float = setting(
        "CALLCENTER_STATS_SCORE_MISSED_PENALTY", 1.0, "score: penalty per missed offer", minimum=-1000, maximum=1000
    )
    score_rejected_penalty: float = setting(
        "CALLCENTER_STATS_SCORE_REJECTED_PENALTY", 1.0, "score: penalty per rejected offer", minimum=-1000, maximum=1000
    )
    cadence_attempts: int = setting(
        "CALLCENTER_STATS_CADENCE_ATTEMPTS",
        3,
        "lead cadence (S4.1): this many call attempts ...",
        minimum=1,
        maximum=1000,
    )
    cadence_days: int = setting(
        "CALLCENTER_STATS_CADENCE_DAYS", 5, "... within the first this-many calendar days", minimum=1, maximum=366
    )
    min_contacts_before_refusal: int = setting(
        "CALLCENTER_STATS_MIN_CONTACTS_BEFORE_REFUSAL",
        15,
        "a lead refused with fewer call attempts is an improper refusal (S4.6)",
        minimum=0,
        maximum=10_000,
    )
    lead_backward_moves: str = setting(
        "CALLCENTER_STATS_LEAD_BACKWARD_MOVES",
        "",
        "lead stage moves back the pipeline (lead < in_work < payment < fulfilled; out of refused) that"
        " ChangeLeadStage allows, as from>to pairs, e.g. payment>in_work,refused>in_work (empty: none)",
    )

    def __post_init__(self) -> None:
        try:
            parse_backward_moves(self.lead_backward_moves)
        except ValueError as exc:
            raise ConfigError(f"CALLCENTER_STATS_LEAD_BACKWARD_MOVES: {exc}") from None

    @property
    def backward_moves(self) -> frozenset[tuple[str, str]]:
        """The allowed backward moves, (from, to) pairs (validated at start)."""
        return parse_backward_moves(self.lead_backward_moves)


@dataclass(frozen=True)
class StatsConfig:
    common: CommonConfig = nested(CommonConfig)
    host: str = setting("CALLCENTER_STATS_HOST", "127.0.0.1", "address the stats gRPC server binds")
    port: int = setting("CALLCENTER_STATS_PORT", 50052, "stats port; 0 picks a free one", minimum=0, maximum=65535)
    port_file: pathlib.Path | None = setting(
        "CALLCENTER_STATS_PORT_FILE", None, "write the bound port to this file once serving"
    )
    grpc: GrpcServerSecurity = nested(GrpcServerSecurity)
    ops: OpsSettings = nested(OpsSettings)
    consumer_group: str = setting(
        "CALLCENTER_STATS_GROUP",
        "stats",
        "the consumer group every stats replica of a tenant joins",
        pattern=r"[\w.:-]{1,64}",
    )
    consumer_name: str = setting(
        "CALLCENTER_STATS_CONSUMER",
        "",
        "this replica's consumer name in the group",
        pattern=r"[\w.:-]{1,128}",
        shown_default="host name, process id and a random part",
    )
    batch_size: int = setting(
        "CALLCENTER_STATS_BATCH_SIZE", 200, "most events read (or reclaimed) per batch", minimum=1, maximum=10_000
    )
    block_ms: int = setting(
        "CALLCENTER_STATS_BLOCK_MS", 1000, "longest wait of one blocking read for new events", minimum=1, maximum=60_000
    )
    claim_idle_ms: int = setting(
        "CALLCENTER_STATS_CLAIM_IDLE_MS",
        30_000,
        "an event a consumer has not acknowledged for this long is reclaimed by another (the first is taken to"
        " be dead)",
        minimum=1,
        maximum=DAY_S * 1000,
    )
    forget_consumers_after_s: int = setting(
        "CALLCENTER_STATS_FORGET_CONSUMERS_AFTER_S",
        DAY_S,
        "at start, consumers of the group idle this long with nothing pending are removed",
        minimum=1,
        maximum=366 * DAY_S,
    )
    max_deliveries: int = setting(
        "CALLCENTER_STATS_MAX_DELIVERIES",
        5,
        "an event that fails to apply this many times goes to the dead-letter stream",
        minimum=1,
        maximum=1000,
    )
    dedupe_window_s: int = setting(
        "CALLCENTER_STATS_DEDUPE_WINDOW_S",
        7 * DAY_S,
        "applied event ids are remembered this long (exactly once across redeliveries)",
        minimum=60,
        maximum=366 * DAY_S,
    )
    retention_days: int = setting(
        "CALLCENTER_STATS_RETENTION_DAYS",
        400,
        "how long buckets, state timelines and call records are kept",
        minimum=1,
        maximum=36_500,
    )
    audit_days: int = setting(
        "CALLCENTER_STATS_AUDIT_RETENTION_DAYS",
        400,
        "how long the audit trail (ListActions: changes made on someone's behalf) keeps each action",
        minimum=1,
        maximum=36_500,
    )
    max_watchers: int = setting(
        "CALLCENTER_STATS_MAX_WATCHERS",
        256,
        "most WatchBoard streams (deprecated) one replica serves at once, all fed by one reader on one Redis"
        " connection of its own (more are refused with RESOURCE_EXHAUSTED; 0 turns WatchBoard off)",
        minimum=0,
        maximum=10_000,
    )
    shutdown_grace_s: float = shutdown_grace()
    figures: Figures = nested(Figures)

    @classmethod
    def from_env(cls) -> StatsConfig:
        return load(cls)
