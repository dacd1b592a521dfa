"""The one window of time every service accepts, and the checks of the times and durations
requests carry (google.protobuf Timestamp and Duration, or milliseconds).

A time is refused unless it falls in [2000-01-01, 2100-01-01) UTC; a duration unless its
seconds and nanos are in range and agree in sign, it is not negative (unless allowed) and at
most a hundred years. Inside these bounds all of the services' arithmetic holds: a time plus
any duration, a local day of any time zone, a bucket key, a Timestamp in a reply. Every
refusal is the kernel's InvalidArgument naming the field, so gRPC answers INVALID_ARGUMENT
and the gateway 400 (never UNKNOWN, INTERNAL or 502).

A period of figures (a stats range: agent and queue KPIs summed over hourly buckets) spans at
most MAX_PERIOD_DAYS (400) days: a year and a bit, so "this year" and "the last 12 months"
always fit, and no request reads, or holds in memory, a century of buckets. The stats service
(INVALID_ARGUMENT) and the gateway (400) both check it with `check_period_ms`.

Times read back from Redis go through `stored_time_ms`: what was stored before these checks
existed (or by a foreign writer) may be outside the window, and a reader skips such an
object rather than failing a whole listing.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from callcenter.core.errors import InvalidArgument

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # the first instant outside
EARLIEST_MS = int(EARLIEST.timestamp()) * 1000
LATEST_MS = int(LATEST.timestamp()) * 1000
EARLIEST_DAY = EARLIEST.date()
LAST_DAY = (LATEST - dt.timedelta(days=1)).date()
# The longest duration any request may carry: a hundred years.
MAX_DURATION_MS = LATEST_MS - EARLIEST_MS
_NANOS = 1_000_000_000
# The longest period of figures one request may ask for (see the module's docstring).
MAX_PERIOD_DAYS = 400
MAX_PERIOD_MS = MAX_PERIOD_DAYS * 86_400_000
WINDOW = f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC, end excluded)"


class ProtoTime(Protocol):
    """A google.protobuf Timestamp or Duration: seconds and nanos."""

    seconds: int
    nanos: int


def time_problem(ms: int) -> str:
    """Why a time in milliseconds since the epoch is outside the window ("" when it is not)."""
    if EARLIEST_MS <= ms < LATEST_MS:
        return ""
    return f"must be from {WINDOW}"


def check_time_ms(ms: int, field: str) -> int:
    """A time in ms inside the window, else InvalidArgument naming the field."""
    problem = time_problem(ms)
    if problem:
        raise InvalidArgument(field, problem)
    return ms


def check_datetime(value: dt.datetime, field: str) -> dt.datetime:
    """An aware datetime inside the window (naive ones are taken as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    try:
        inside = EARLIEST <= aware.astimezone(dt.UTC) < LATEST
    except (OverflowError, ValueError):
        inside = False  # beyond the calendar once converted to UTC
    if not inside:
        raise InvalidArgument(field, f"must be from {WINDOW}")
    return value


def check_day(day: dt.date, field: str) -> dt.date:
    """A calendar day inside the window."""
    if not EARLIEST_DAY <= day <= LAST_DAY:
        raise InvalidArgument(field, f"{day.isoformat()} is outside {EARLIEST_DAY} .. {LAST_DAY}")
    return day


def check_period_ms(start_ms: int, end_ms: int, field: str) -> int:
    """The span of a period [start_ms, end_ms) if it is at most MAX_PERIOD_DAYS long, else
    InvalidArgument naming `field` (the end that lies beyond). An end at or before the start
    is the caller's own refusal (it knows which fields it names)."""
    span = end_ms - start_ms
    if span > MAX_PERIOD_MS:
        raise InvalidArgument(
            field, f"a period spans at most {MAX_PERIOD_DAYS} days; this one spans {span / 86_400_000:.1f} days"
        )
    return span


def is_unset(value: ProtoTime) -> bool:
    """A Timestamp or Duration left at zero (proto3 cannot tell it from an absent one)."""
    return not (value.seconds or value.nanos)


def timestamp_ms(ts: ProtoTime, field: str) -> int:
    """A request's Timestamp in ms, checked: nanos 0..999,999,999 and inside the window."""
    if not 0 <= ts.nanos < _NANOS:
        raise InvalidArgument(field, f"nanos must be 0 to {_NANOS - 1}, got {ts.nanos}")
    if not EARLIEST_MS // 1000 <= ts.seconds < LATEST_MS // 1000:
        raise InvalidArgument(field, f"must be from {WINDOW}")
    return ts.seconds * 1000 + ts.nanos // 1_000_000


def optional_timestamp_ms(ts: ProtoTime, field: str) -> int | None:
    """timestamp_ms, or None for a Timestamp left unset (zero)."""
    return None if is_unset(ts) else timestamp_ms(ts, field)


def duration_ms(
    d: ProtoTime, field: str, *, maximum_ms: int = MAX_DURATION_MS, negative: bool = False, whole_ms: bool = False
) -> int:
    """A request's Duration in ms, checked: nanos within ±999,999,999 and of the seconds'
    sign, not negative (unless `negative`), at most maximum_ms in size and, with whole_ms,
    no fraction of a millisecond."""
    if not -_NANOS < d.nanos < _NANOS:
        raise InvalidArgument(field, f"nanos must be -{_NANOS - 1} to {_NANOS - 1}, got {d.nanos}")
    if (d.seconds > 0 and d.nanos < 0) or (d.seconds < 0 and d.nanos > 0):
        raise InvalidArgument(field, "seconds and nanos must have the same sign")
    if whole_ms and d.nanos % 1_000_000:
        raise InvalidArgument(field, "must be a whole number of milliseconds")
    if not negative and (d.seconds < 0 or d.nanos < 0):
        raise InvalidArgument(field, "must not be negative")
    if abs(d.seconds) > maximum_ms // 1000 + 1:  # before multiplying: seconds may be near 2**63
        raise InvalidArgument(field, f"must be at most {_human(maximum_ms)}")
    ms = d.seconds * 1000 + (abs(d.nanos) // 1_000_000) * (-1 if d.nanos < 0 else 1)  # toward zero
    if abs(ms) > maximum_ms:
        raise InvalidArgument(field, f"must be at most {_human(maximum_ms)}")
    return ms


def stored_time_ms(value: str | float | None) -> int | None:
    """A time read back from Redis (ms as text, or a sorted set's score): None when missing
    or empty; ValueError when it is no number or outside the window (the object holding it
    is unreadable)."""
    if value is None or value == "":
        return None
    try:
        ms = int(value)  # ValueError for text that is no whole number
    except OverflowError:  # an infinite score
        raise ValueError(f"stored time {value} is no time") from None
    if time_problem(ms):
        raise ValueError(f"stored time {ms} is outside {WINDOW}")
    return ms


def _human(ms: int) -> str:
    if ms % 86_400_000 == 0:
        return f"{ms // 86_400_000} days"
    if ms % 1000 == 0:
        return f"{ms // 1000} s"
    return f"{ms} ms"
