"""The webhooks service's settings, each declared once (environment variable, default, bounds, meaning)."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from callcenter.core.config import CommonConfig, ConfigError, event_stream_maxlen, shutdown_grace
from callcenter.core.grpc_security import GrpcClientCredentials, GrpcServerSecurity
from callcenter.core.ops_server import OpsSettings
from callcenter.core.settings import load, nested, setting

DAY_S = 86_400


@dataclass(frozen=True)
class DeliverySettings:
    """How deliveries are sent, retried and bounded (docs/crm.md)."""

    timeout_s: float = setting(
        "CALLCENTER_WEBHOOKS_TIMEOUT_S",
        5.0,
        "longest a delivery attempt may take, connecting and reading the answer included",
        minimum=0.1,
        maximum=60,
    )
    max_attempts: int = setting(
        "CALLCENTER_WEBHOOKS_MAX_ATTEMPTS",
        10,
        "attempts of a delivery before it becomes a dead letter",
        minimum=1,
        maximum=100,
    )
    retry_base_ms: int = setting(
        "CALLCENTER_WEBHOOKS_RETRY_BASE_MS",
        2000,
        "wait after the first failed attempt; each further one waits the factor times longer",
        minimum=1,
        maximum=DAY_S * 1000,
    )
    retry_factor: float = setting(
        "CALLCENTER_WEBHOOKS_RETRY_FACTOR", 2.0, "growth of the wait per failed attempt", minimum=1, maximum=10
    )
    retry_cap_ms: int = setting(
        "CALLCENTER_WEBHOOKS_RETRY_CAP_MS",
        600_000,
        "longest wait between two attempts (a random half of it at most is taken off: jitter)",
        minimum=1,
        maximum=DAY_S * 1000,
    )
    concurrency: int = setting(
        "CALLCENTER_WEBHOOKS_CONCURRENCY",
        16,
        "most deliveries one replica sends at once",
        minimum=1,
        maximum=1000,
    )
    poll_ms: int = setting(
        "CALLCENTER_WEBHOOKS_POLL_MS",
        500,
        "longest a replica waits before looking for due deliveries again (it wakes earlier for its own)",
        minimum=1,
        maximum=60_000,
    )
    allow_private_urls: bool = setting(
        "CALLCENTER_WEBHOOKS_ALLOW_PRIVATE_URLS",
        False,
        "allow subscription URLs that resolve to loopback, private, link-local or other non-public addresses"
        " (refused by default: docs/security.md, SSRF)",
    )
    secret_overlap_s: int = setting(
        "CALLCENTER_WEBHOOKS_SECRET_OVERLAP_S",
        DAY_S,
        "after RotateSecret the previous secret keeps signing (a second v1 signature) this long; 0: at once gone",
        minimum=0,
        maximum=30 * DAY_S,
    )


@dataclass(frozen=True)
class WebhookLimits:
    """Everything kept is bounded."""

    max_subscriptions: int = setting(
        "CALLCENTER_WEBHOOKS_MAX_SUBSCRIPTIONS", 100, "most subscriptions of a site", minimum=1, maximum=1000
    )
    max_queued_per_subject: int = setting(
        "CALLCENTER_WEBHOOKS_MAX_QUEUED_PER_SUBJECT",
        1000,
        "most deliveries queued for one subject of a subscription (more become dead letters, counted)",
        minimum=1,
        maximum=100_000,
    )
    max_queued_per_subscription: int = setting(
        "CALLCENTER_WEBHOOKS_MAX_QUEUED_PER_SUBSCRIPTION",
        10_000,
        "most deliveries queued for one subscription (more become dead letters, counted)",
        minimum=1,
        maximum=1_000_000,
    )
    log_length: int = setting(
        "CALLCENTER_WEBHOOKS_LOG_LENGTH",
        1000,
        "delivery attempts kept in a subscription's delivery log (the oldest are cut)",
        minimum=10,
        maximum=100_000,
    )
    max_dead_letters: int = setting(
        "CALLCENTER_WEBHOOKS_MAX_DEAD_LETTERS",
        10_000,
        "dead letters kept per subscription (the oldest are dropped)",
        minimum=1,
        maximum=1_000_000,
    )


ADDRESS = r"[^\s]{1,255}"


@dataclass(frozen=True)
class CrmInSettings:
    """Events in from the CRM (CrmService, docs/crm.md "Events in"): the services they are
    applied to and how long each event id is remembered."""

    router_addr: str = setting(
        "CALLCENTER_ROUTER_ADDR", "127.0.0.1:50051", "the router CRM client changes go to", pattern=ADDRESS
    )
    stats_addr: str = setting(
        "CALLCENTER_STATS_ADDR",
        "127.0.0.1:50052",
        "the stats service CRM leads, invoices and payments go to",
        pattern=ADDRESS,
    )
    rpc_timeout_s: float = setting(
        "CALLCENTER_WEBHOOKS_RPC_TIMEOUT_S",
        5.0,
        "deadline of each call to the router or the stats service applying a CRM event",
        minimum=0.1,
        maximum=60,
    )
    remember_s: int = setting(
        "CALLCENTER_WEBHOOKS_CRM_REMEMBER_S",
        30 * DAY_S,
        "an applied CRM event id is remembered this long (a repeat within it is a duplicate)",
        minimum=60,
        maximum=366 * DAY_S,
    )
    lease_ms: int = setting(
        "CALLCENTER_WEBHOOKS_CRM_LEASE_MS",
        30_000,
        "a CRM event being applied is held this long; a repeat meanwhile is refused (UNAVAILABLE: retry),"
        " one after it applies it again",
        minimum=100,
        maximum=3_600_000,
    )


@dataclass(frozen=True)
class WebhooksConfig:
    common: CommonConfig = nested(CommonConfig)
    host: str = setting("CALLCENTER_WEBHOOKS_HOST", "127.0.0.1", "address the webhooks gRPC server binds")
    port: int = setting(
        "CALLCENTER_WEBHOOKS_PORT", 50054, "webhooks port; 0 picks a free one", minimum=0, maximum=65535
    )
    port_file: pathlib.Path | None = setting(
        "CALLCENTER_WEBHOOKS_PORT_FILE", None, "write the bound port to this file once serving"
    )
    grpc: GrpcServerSecurity = nested(GrpcServerSecurity)
    ops: OpsSettings = nested(OpsSettings)
    consumer_group: str = setting(
        "CALLCENTER_WEBHOOKS_GROUP",
        "webhooks",
        "the consumer group every webhooks replica of a tenant joins",
        pattern=r"[\w.:-]{1,64}",
    )
    consumer_name: str = setting(
        "CALLCENTER_WEBHOOKS_CONSUMER",
        "",
        "this replica's consumer name in the group",
        pattern=r"[\w.:-]{1,128}",
        shown_default="host name, process id and a random part",
    )
    batch_size: int = setting(
        "CALLCENTER_WEBHOOKS_BATCH_SIZE", 200, "most events read (or reclaimed) per batch", minimum=1, maximum=10_000
    )
    block_ms: int = setting(
        "CALLCENTER_WEBHOOKS_BLOCK_MS",
        1000,
        "longest wait of one blocking read for new events",
        minimum=1,
        maximum=60_000,
    )
    claim_idle_ms: int = setting(
        "CALLCENTER_WEBHOOKS_CLAIM_IDLE_MS",
        30_000,
        "an event a replica has not acknowledged for this long is taken over by another",
        minimum=1,
        maximum=DAY_S * 1000,
    )
    forget_consumers_after_s: int = setting(
        "CALLCENTER_WEBHOOKS_FORGET_CONSUMERS_AFTER_S",
        DAY_S,
        "at start, consumers of the group idle this long with nothing pending are removed",
        minimum=1,
        maximum=366 * DAY_S,
    )
    max_event_failures: int = setting(
        "CALLCENTER_WEBHOOKS_MAX_EVENT_FAILURES",
        5,
        "an event that fails to be queued this many times goes to the dead-letter stream",
        minimum=1,
        maximum=1000,
    )
    dedupe_window_s: int = setting(
        "CALLCENTER_WEBHOOKS_DEDUPE_WINDOW_S",
        7 * DAY_S,
        "queued event ids are remembered this long (each event queued once across redeliveries)",
        minimum=60,
        maximum=366 * DAY_S,
    )
    delivery: DeliverySettings = nested(DeliverySettings)
    limits: WebhookLimits = nested(WebhookLimits)
    crm: CrmInSettings = nested(CrmInSettings)
    #: What the webhooks service presents to the router and the stats service (a crm-role credential).
    client: GrpcClientCredentials = nested(GrpcClientCredentials)
    event_stream_maxlen: int = event_stream_maxlen()
    shutdown_grace_s: float = shutdown_grace()

    def __post_init__(self) -> None:
        if self.delivery.retry_cap_ms < self.delivery.retry_base_ms:
            raise ConfigError("CALLCENTER_WEBHOOKS_RETRY_CAP_MS must be at least CALLCENTER_WEBHOOKS_RETRY_BASE_MS")
        if self.crm.lease_ms < 3 * self.crm.rpc_timeout_s * 1000:
            # a lead change takes up to 3 calls: its lease must outlast them
            raise ConfigError(
                "CALLCENTER_WEBHOOKS_CRM_LEASE_MS must be at least 3 times CALLCENTER_WEBHOOKS_RPC_TIMEOUT_S"
            )

    @classmethod
    def from_env(cls) -> WebhooksConfig:
        return load(cls)
