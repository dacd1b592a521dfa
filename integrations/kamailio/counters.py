"""The integration's Prometheus counters (docs/kamailio.md, "Metrics"), each declared once here
with its labels. Kamailio's xhttp_prom module holds them in shared memory, so an increment in any
process (a SIP worker, the session process) shows on the one /metrics page; kamailio.cfg declares
the same names (`prom_counter` modparams: tests/test_kamailio_metrics.py checks the two agree)
and xhttp_prom prefixes each with `kamailio_`.

`count()` is the one way to move them. It does nothing where xhttp_prom is not loaded (or the
code runs outside Kamailio), and never raises: a metric must not fail a call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

try:  # provided by Kamailio's app_python3
    import KSR
except ImportError:  # outside Kamailio
    KSR = None


@dataclass(frozen=True)
class Counter:
    name: str  # as declared in kamailio.cfg; Prometheus shows kamailio_<name>
    labels: tuple[str, ...]
    meaning: str
    # The series that start at 0 when Kamailio starts (so a rate has a value before the first
    # event): each a tuple of label values; a label's values are a bounded set.
    series: tuple[tuple[str, ...], ...] = ((),)


INVITES = Counter(
    "callcenter_invites_total",
    ("result",),
    "new INVITEs handed to the router (RouteCall), by its answer",
    (("routed",), ("not_found",), ("bad_request",), ("busy",), ("unavailable",)),
)
OFFERS_RELAYED = Counter("callcenter_offers_relayed_total", (), "offers relayed to an agent's endpoint (t_relay)")
RELAY_FAILURES = Counter(
    "callcenter_offer_relay_failures_total", (), "offers whose endpoint could not be reached (reported BUSY)"
)
CANCELS = Counter(
    "callcenter_cancels_total",
    ("by",),
    "ringing branches cancelled, by the caller or the router",
    (("caller",), ("router",)),
)
HOLDS = Counter(
    "callcenter_holds_total",
    ("result",),
    "calls held (182 Queued, t_suspend) while they wait",
    (("held",), ("failed",)),
)
SESSION = Counter(
    "callcenter_session_changes_total",
    ("status",),
    "the PBX session stream opened or broke",
    (("opened",), ("broken",)),
)
EVENTS_DROPPED = Counter(
    "callcenter_events_dropped_total",
    ("reason",),
    "the router's stream messages the session process dropped",
    (("failed",), ("expired",)),
)
ROUTER_ERRORS = Counter(
    "callcenter_router_errors_total",
    ("rpc", "grpc_code"),
    "the routes' unary router calls that failed, by RPC and gRPC code",
    (),  # a series appears with its first failure
)

ALL = (INVITES, OFFERS_RELAYED, RELAY_FAILURES, CANCELS, HOLDS, SESSION, EVENTS_DROPPED, ROUTER_ERRORS)


def _prom() -> Any:
    return getattr(KSR, "xhttp_prom", None)


def count(counter: Counter, *values: str) -> None:
    """Adds 1 to the counter's series for these label values (one per label)."""
    prom = _prom()
    if prom is None or len(values) != len(counter.labels):
        return
    try:
        getattr(prom, f"counter_inc_l{len(values)}")(counter.name, 1, *values)
    except Exception:  # noqa: BLE001, S110 - Kamailio's functions raise SystemError and more
        pass


def start_at_zero() -> None:
    """Creates every counter's known series at 0; once, before Kamailio forks its workers."""
    prom = _prom()
    if prom is None:
        return
    for counter in ALL:
        for values in counter.series:
            try:
                getattr(prom, f"counter_reset_l{len(values)}")(counter.name, *values)
            except Exception:  # noqa: BLE001, S110
                pass
