"""Periods in a time zone, resolved to UTC milliseconds and split into stored buckets.

Sums are stored per quarter hour and per hour (UTC). Every time zone's day, including those
with 30- and 45-minute offsets (Asia/Kolkata, Asia/Kathmandu), starts on a quarter hour, so
a day in any zone is a sum of whole buckets: whole hours where they fit, quarters at the
edges. Custom ranges are widened to quarter hours (start down, end up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.core import time_bounds
from callcenter.services.stats.keys import HOUR_MS, QUARTER_MS
from callcenter.services.stats.model import InvalidArgument, Range


def zone(name: str) -> ZoneInfo:
    try:
        if len(name) > 64:
            raise ValueError("too long")
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidArgument("period.time_zone", f"unknown IANA time zone {name[:64]!r}") from None


def day_range(day: dt.date, tz: ZoneInfo) -> Range:
    """Local midnight to the next local midnight (23 or 25 hours on DST change days)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return Range(int(start.timestamp() * 1000), int(end.timestamp() * 1000))


def parse_day(text: str, field: str = "period.day") -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"{field}", f"expected YYYY-MM-DD, got {text[:40]!r}") from None
    return time_bounds.check_day(day, field)


def local_day(ms: int, tz: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, tz).date()


def widen(start_ms: int, end_ms: int) -> Range:
    if end_ms <= start_ms:
        raise InvalidArgument("period.range", "end must be after start")
    start = start_ms // QUARTER_MS * QUARTER_MS
    end = -(-end_ms // QUARTER_MS) * QUARTER_MS
    return Range(start, end)


def buckets(r: Range) -> Iterator[tuple[str, int]]:
    """("h", start) for every whole UTC hour inside r, ("q", start) for the quarters left."""
    t = r.start_ms // QUARTER_MS * QUARTER_MS
    while t < r.end_ms:
        if t % HOUR_MS == 0 and t + HOUR_MS <= r.end_ms:
            yield "h", t
            t += HOUR_MS
        else:
            yield "q", t
            t += QUARTER_MS
