"""When a campaign may call a client: days and minutes of the day in the client's own time
zone (S2.7). Pure functions of a time in ms; the time itself comes from the Redis clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.core.errors import InvalidArgument

DAY_MINUTES = 1440


@dataclass(frozen=True)
class CallingHours:
    days: tuple[int, ...] = ()  # 1 Monday .. 7 Sunday; empty: every day
    start_minute: int = 0
    end_minute: int = DAY_MINUTES
    time_zone: str = ""  # for clients with none; '' = UTC

    def check(self, field: str = "calling_hours") -> CallingHours:
        if any(not 1 <= d <= 7 for d in self.days) or len(set(self.days)) != len(self.days):
            raise InvalidArgument(f"{field}.days", "days are 1 (Monday) to 7 (Sunday), each once")
        if not 0 <= self.start_minute < DAY_MINUTES:
            raise InvalidArgument(f"{field}.start_minute", "must be 0-1439")
        if not self.start_minute < self.end_minute <= DAY_MINUTES:
            raise InvalidArgument(f"{field}.end_minute", "must be after start_minute, at most 1440")
        if self.time_zone:
            zone(self.time_zone, f"{field}.time_zone")
        return self


@lru_cache(maxsize=512)
def _zone(name: str) -> dt.tzinfo:
    return ZoneInfo(name) if name else dt.UTC


def zone(name: str, field: str = "time_zone") -> dt.tzinfo:
    """The IANA time zone of that name ('' = UTC), else InvalidArgument naming the field."""
    if len(name) > 64 or name.startswith("/") or ".." in name:
        raise InvalidArgument(field, f"{name[:64]!r} is not a time zone")
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(field, f"{name[:64]!r} is not a time zone") from None


def _tz(name: str) -> dt.tzinfo:
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC  # a stored zone this machine lacks: UTC, rather than never calling


def next_window_ms(hours: CallingHours, now_ms: int, client_zone: str = "") -> int:
    """now_ms when the client may be called now, else when their next calling window opens."""
    tz = _tz(client_zone or hours.time_zone)
    local = dt.datetime.fromtimestamp(now_ms / 1000, tz)
    for offset in range(8):
        day = (local + dt.timedelta(days=offset)).date()
        if hours.days and day.isoweekday() not in hours.days:
            continue
        midnight = dt.datetime.combine(day, dt.time(), tz)
        opens = midnight + dt.timedelta(minutes=hours.start_minute)
        closes = midnight + dt.timedelta(minutes=hours.end_minute)
        if offset == 0 and opens <= local < closes:
            return now_ms
        if opens > local:
            return int(opens.timestamp() * 1000)
    return now_ms + 7 * 86_400_000  # no allowed day at all cannot happen (check() refuses it)
