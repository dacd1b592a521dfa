"""The router's settings, each declared once (environment variable, default, bounds, meaning)."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from callcenter.core.config import CommonConfig, event_stream_maxlen, shutdown_grace
from callcenter.core.grpc_security import GrpcServerSecurity
from callcenter.core.ops_server import OpsSettings
from callcenter.core.settings import load, nested, setting

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class QueueDefaults:
    """What a queue gets for a setting it leaves unset (callcenter/core/queue_settings.py)."""

    ring_timeout_ms: int = setting(
        "CALLCENTER_DEFAULT_RING_TIMEOUT_MS",
        5_000,
        "ring timeout of queues that set none (S1.2)",
        minimum=1,
        maximum=HOUR_MS,
    )
    wrap_up_ms: int = setting(
        "CALLCENTER_DEFAULT_WRAP_UP_MS", 180_000, "wrap-up of queues that set none (S1.3)", minimum=0, maximum=DAY_MS
    )
    retry_delay_ms: int = setting(
        "CALLCENTER_DEFAULT_RETRY_DELAY_MS",
        2_000,
        "pause before agents who all missed a call are tried again",
        minimum=1,
        maximum=HOUR_MS,
    )
    preview_timeout_ms: int = setting(
        "CALLCENTER_DEFAULT_PREVIEW_TIMEOUT_MS",
        30_000,
        "how long an agent has to accept a preview outbound call, for queues that set none",
        minimum=1,
        maximum=HOUR_MS,
    )
    dial_timeout_ms: int = setting(
        "CALLCENTER_DEFAULT_DIAL_TIMEOUT_MS",
        90_000,
        "how long the PBX may take to report an outbound dial's outcome, for queues that set none",
        minimum=1,
        maximum=HOUR_MS,
    )
    strategy: str = "longest_idle"
    vip_overflow_ms: int = setting(
        "CALLCENTER_DEFAULT_VIP_OVERFLOW_MS",
        30_000,
        "how long a VIP waits for an experienced agent (S1.7)",
        minimum=1,
        maximum=DAY_MS,
    )
    manager_wait_ms: int = setting(
        "CALLCENTER_DEFAULT_MANAGER_WAIT_MS",
        5_000,
        "how long a returning caller waits for a busy personal manager (S1.6)",
        minimum=0,
        maximum=DAY_MS,
    )
    max_no_answer: int = setting(
        "CALLCENTER_DEFAULT_MAX_NO_ANSWER",
        3,
        "misses in a row before an agent is paused (S1.4; 0: never)",
        minimum=0,
        maximum=1000,
    )
    max_call_lifetime_ms: int = setting(
        "CALLCENTER_DEFAULT_MAX_CALL_LIFETIME_MS",
        4 * HOUR_MS,
        "the longest a call of a queue that sets none may live (its hang-up never came)",
        minimum=1000,
        maximum=7 * DAY_MS,
    )
    chat_capacity: int = setting(
        "CALLCENTER_DEFAULT_CHAT_CAPACITY",
        3,
        "open conversations per agent and channel, for queues that set none",
        minimum=0,
        maximum=100,
    )
    mix_chats_and_calls: bool = True
    first_response_ms: int = setting(
        "CALLCENTER_DEFAULT_FIRST_RESPONSE_MS",
        60_000,
        "a new conversation's first-response deadline, for queues that set none",
        minimum=0,
        maximum=DAY_MS,
    )
    reply_ms: int = setting(
        "CALLCENTER_DEFAULT_REPLY_MS",
        120_000,
        "a conversation's reply deadline after a customer's message, for queues that set none",
        minimum=0,
        maximum=DAY_MS,
    )


@dataclass(frozen=True)
class PbxSettings:
    """PBX sessions (docs/pbx-integration.md)."""

    ring_grace_ms: int = setting(
        "CALLCENTER_PBX_RING_GRACE_MS",
        2_000,
        "with a PBX running the ring timer: how long after the ring timeout the router's backstop expires an offer",
        minimum=0,
        maximum=HOUR_MS,
    )
    position_interval_ms: int = setting(
        "CALLCENTER_PBX_POSITION_INTERVAL_MS",
        5_000,
        "a waiting call's new position is pushed at most this often (PBX streams and v1 watchers)",
        minimum=100,
        maximum=HOUR_MS,
    )
    stream_maxlen: int = setting(
        "CALLCENTER_PBX_STREAM_MAXLEN",
        100_000,
        "messages kept per PBX stream (how far back a PBX may resume)",
        minimum=1000,
        maximum=100_000_000,
    )
    default_lease_ms: int = setting(
        "CALLCENTER_PBX_DEFAULT_LEASE_MS",
        10_000,
        "a session's lease when the hello asks for none",
        minimum=1000,
        maximum=300_000,
    )
    max_sessions: int = setting(
        "CALLCENTER_PBX_MAX_SESSIONS",
        32,
        "sessions one replica serves at once (their blocking reads share a pool of this many connections of"
        " its own, apart from the one serving RPCs); more are refused RESOURCE_EXHAUSTED, to open on another"
        " replica",
        minimum=1,
        maximum=10_000,
    )


@dataclass(frozen=True)
class OutboundSettings:
    """Outbound work (docs/outbound.md): how callbacks are tried again."""

    callback_attempts: int = setting(
        "CALLCENTER_CALLBACK_ATTEMPTS",
        3,
        "calls a callback makes at most before it fails (S1.10)",
        minimum=1,
        maximum=20,
    )
    callback_retry_ms: int = setting(
        "CALLCENTER_CALLBACK_RETRY_MS",
        1_800_000,
        "how long after a callback's unreached attempt (no answer, busy) the next is made",
        minimum=1,
        maximum=7 * DAY_MS,
    )
    dialler_interval_ms: int = setting(
        "CALLCENTER_DIALLER_INTERVAL_MS",
        500,
        "how often the campaign dialler looks for due contacts and free agents",
        minimum=10,
        maximum=60_000,
    )


@dataclass(frozen=True)
class DealOwnerSettings:
    """The deal owners' consumer group (services/router/deal_owners.py, docs/routing-rules.md)."""

    batch_size: int = setting(
        "CALLCENTER_ROUTER_DEALS_BATCH_SIZE",
        200,
        "most lead events read (or reclaimed) per batch",
        minimum=1,
        maximum=10_000,
    )
    block_ms: int = setting(
        "CALLCENTER_ROUTER_DEALS_BLOCK_MS",
        1000,
        "longest wait of one blocking read of the deal owners' consumer for new events",
        minimum=1,
        maximum=60_000,
    )
    claim_idle_ms: int = setting(
        "CALLCENTER_ROUTER_DEALS_CLAIM_IDLE_MS",
        30_000,
        "an event a replica's deal owners' consumer has not acknowledged for this long is reclaimed by another",
        minimum=1,
        maximum=DAY_MS,
    )
    closed_retention_s: int = setting(
        "CALLCENTER_ROUTER_CLOSED_DEAL_RETENTION_S",
        7 * 86_400,
        "how long the router keeps a closed deal (fulfilled, refused) it learnt from the event stream",
        minimum=1,
        maximum=366 * 86_400,
    )
    forget_consumers_after_s: int = setting(
        "CALLCENTER_ROUTER_DEALS_FORGET_CONSUMERS_AFTER_S",
        86_400,
        "at start, members of the deal owners' group idle this long with nothing pending are removed",
        minimum=1,
        maximum=366 * 86_400,
    )


@dataclass(frozen=True)
class RouterConfig:
    common: CommonConfig = nested(CommonConfig)
    host: str = setting("CALLCENTER_ROUTER_HOST", "127.0.0.1", "address the router's gRPC server binds")
    port: int = setting("CALLCENTER_ROUTER_PORT", 50051, "router port; 0 picks a free one", minimum=0, maximum=65535)
    port_file: pathlib.Path | None = setting(
        "CALLCENTER_ROUTER_PORT_FILE", None, "write the bound port to this file once serving"
    )
    grpc: GrpcServerSecurity = nested(GrpcServerSecurity)
    ops: OpsSettings = nested(OpsSettings)
    # A timer set by another replica fires at most this late (the loop sleeps exactly until
    # the next deadline it knows of).
    timer_poll_ms: int = setting(
        "CALLCENTER_ROUTER_TIMER_POLL_MS", 50, "longest sleep of the timer loop", minimum=1, maximum=10_000
    )
    event_stream_maxlen: int = event_stream_maxlen()
    call_retention_s: int = setting(
        "CALLCENTER_CALL_RETENTION_S",
        86_400,
        "how long a finished call stays readable (and RouteCall idempotent)",
        minimum=1,
        maximum=366 * 86_400,
    )
    shutdown_grace_s: float = shutdown_grace()
    config_file: pathlib.Path | None = setting(
        "CALLCENTER_ROUTER_CONFIG",
        None,
        "TOML file of queues and agents applied at start (`callcenter up` defaults to"
        " `callcenter/examples/queues.toml`)",
    )
    queue_defaults: QueueDefaults = nested(QueueDefaults)
    pbx: PbxSettings = nested(PbxSettings)
    deals: DealOwnerSettings = nested(DealOwnerSettings)
    outbound: OutboundSettings = nested(OutboundSettings)

    @classmethod
    def from_env(cls) -> RouterConfig:
        return load(cls)
