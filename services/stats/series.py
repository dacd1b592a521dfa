"""A period split into the buckets of a series (trends): quarter hours, half hours or hours
of the time zone's clock, or its calendar days, ISO weeks (from Monday) and months.

Every bucket starts on a local clock or calendar boundary, so it is a sum of whole stored
quarter hours (every zone's offset is a whole number of quarter hours: periods.py); the
buckets at the period's edges are cut to the period. A series holds at most MAX_BUCKETS
buckets: a longer one is refused naming `period` (ask for a bigger bucket or a shorter period),
and at most MAX_QUEUES queues (`queues`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from callcenter.services.stats.keys import QUARTER_MS
from callcenter.services.stats.model import InvalidArgument, Range
from callcenter.services.stats.periods import day_range, local_day

MAX_BUCKETS = 400
MAX_QUEUES = 50  # queues one series request may name (or, naming none, stats may know)
#: Buckets on the clock, by their length in minutes: whole multiples of the stored quarter hour.
CLOCK_BUCKETS = {"quarter_hour": 15, "half_hour": 30, "hour": 60}
#: Buckets on the calendar: whether a local day starts one.
CALENDAR_BUCKETS: dict[str, Callable[[dt.date], bool]] = {
    "day": lambda day: True,
    "week": lambda day: day.weekday() == 0,  # ISO weeks start on Monday
    "month": lambda day: day.day == 1,
}
BUCKETS = (*CLOCK_BUCKETS, *CALENDAR_BUCKETS)
assert all(minutes % (QUARTER_MS // 60_000) == 0 for minutes in CLOCK_BUCKETS.values())


def _clock_starts(r: Range, tz: ZoneInfo, minutes: int) -> Iterator[int]:
    """The instants inside r where the local clock shows a multiple of `minutes`."""
    for t in range(r.start_ms + QUARTER_MS, r.end_ms, QUARTER_MS):
        local = dt.datetime.fromtimestamp(t / 1000, tz)
        if (local.hour * 60 + local.minute) % minutes == 0 and local.second == 0:
            yield t


def _calendar_starts(r: Range, tz: ZoneInfo, starts_bucket: Callable[[dt.date], bool]) -> Iterator[int]:
    """The local midnights inside r of the days that start a bucket."""
    day = local_day(r.start_ms, tz)
    while True:
        day += dt.timedelta(days=1)
        midnight = day_range(day, tz).start_ms
        if midnight >= r.end_ms:
            return
        if midnight > r.start_ms and starts_bucket(day):
            yield midnight


def split(r: Range, tz: ZoneInfo, bucket: str) -> list[Range]:
    """r (quarter-hour aligned) as consecutive buckets, oldest first, at most MAX_BUCKETS."""
    if bucket in CLOCK_BUCKETS:
        starts = _clock_starts(r, tz, CLOCK_BUCKETS[bucket])
    elif bucket in CALENDAR_BUCKETS:
        starts = _calendar_starts(r, tz, CALENDAR_BUCKETS[bucket])
    else:
        raise InvalidArgument("bucket", f"must be one of {', '.join(BUCKETS)}")
    inner = list(itertools.islice(starts, MAX_BUCKETS))  # stops early on a series far too long
    if len(inner) >= MAX_BUCKETS:
        raise InvalidArgument(
            "period",
            f"more than {MAX_BUCKETS} {bucket.replace('_', ' ')} buckets: ask for a shorter period or a bigger bucket",
        )
    edges = [r.start_ms, *inner, r.end_ms]
    return [Range(a, b) for a, b in itertools.pairwise(edges)]
