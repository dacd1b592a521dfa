"""Reading list filters and periods from query strings, with errors that name the parameter."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

from google.protobuf import timestamp_pb2

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import time_bounds
from callcenter.services.gateway.domain.periods import today
from callcenter.services.gateway.web import ApiError

MAX_PAGE = 500
# The query parameters of a period (period_from_query).
PERIOD_PARAMS = ("period", "day", "hour", "from", "to", "tz")


def page_size(query, default: int = 50) -> int:
    raw = query.get("page_size", "")
    if not raw:
        return default
    # ASCII digits only: "²" is a digit to str.isdigit() and no number to int().
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4 or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(400, f"page_size: must be 1-{MAX_PAGE}", "page_size")
    return int(raw)


def flag_param(query, name: str) -> bool:
    """A true/false query parameter (missing: false)."""
    value = query.get(name, "")
    if value not in ("", "true", "false"):
        raise ApiError(400, f"{name}: true or false", name)
    return value == "true"


MAX_SECONDS = 10 * 366 * 86400  # ten years: more than any filter needs


def time_zone(query) -> str:
    name = query.get("tz", "UTC") or "UTC"
    try:
        if len(name) > 64:
            raise ValueError("too long")
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ApiError(400, f"tz: {name[:64]!r} is not an IANA time zone", "tz") from exc
    return name


def datetime_param(query, name: str, end: bool = False) -> dt.datetime | None:
    """An ISO date-time ("2026-11-23T08:00:00+01:00"; without offset: in ?tz=) or date
    ("2026-11-23": midnight in ?tz= at its start, or with end=True at its end, so that
    from=to=one day means that whole day)."""
    raw = query.get(name, "")
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {raw!r} is not an ISO date or date-time", name) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(time_zone(query)))
    try:
        if end and len(raw) == 10:
            value = (value.replace(tzinfo=None) + dt.timedelta(days=1)).replace(tzinfo=value.tzinfo)
        value.astimezone(dt.UTC)  # every caller needs it in UTC: it must exist there
    except OverflowError as exc:
        raise ApiError(400, f"{name}: {raw!r} is outside the calendar", name) from exc
    return time_bounds.check_datetime(value, name)  # the window every service takes


def timestamp_param(query, name: str) -> timestamp_pb2.Timestamp | None:
    value = datetime_param(query, name, end=name == "to")
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value.astimezone(dt.UTC))
    return ts


def seconds_param(query, name: str) -> float | None:
    raw = query.get(name, "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ApiError(400, f"{name}: must be a number of seconds", name) from exc
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise ApiError(400, f"{name}: must be a number of seconds from 0 to {MAX_SECONDS}", name)
    return value


def period_from_query(query) -> spb.Period:
    """?period=day&day=YYYY-MM-DD (default: today) | hour&hour=ISO | range&from=&to=; ?tz=."""
    tz = time_zone(query)
    kind = query.get("period", "day")
    period = spb.Period(time_zone=tz)
    if kind == "day":
        day = query.get("day", "") or today(tz)
        try:
            parsed = dt.date.fromisoformat(day)
        except ValueError as exc:
            raise ApiError(400, f"day: {day[:40]!r} is not YYYY-MM-DD", "day") from exc
        time_bounds.check_day(parsed, "day")
        period.day = parsed.isoformat()  # YYYY-MM-DD, whichever ISO form came ("2026W011")
    elif kind == "hour":
        hour = datetime_param(query, "hour")
        if hour is None:
            raise ApiError(400, "hour: is required for period=hour", "hour")
        period.hour.FromDatetime(hour.astimezone(dt.UTC))
    elif kind == "range":
        start, end = timestamp_param(query, "from"), timestamp_param(query, "to")
        if start is None or end is None:
            raise ApiError(400, "from: and to: are required for period=range", "from")
        time_bounds.check_period_ms(start.ToMilliseconds(), end.ToMilliseconds(), "to")  # at most 400 days
        period.range.start.CopyFrom(start)
        period.range.end.CopyFrom(end)
    else:
        raise ApiError(400, "period: must be day, hour or range", "period")
    return period


def names_param(query, name: str, most: int) -> list[str]:
    """?name=a,b,c: at most `most` distinct non-empty names of up to 128 characters each."""
    raw = query.get(name, "")
    if len(raw) > most * 129:
        raise ApiError(400, f"{name}: at most {most} comma-separated names", name)
    names = list(dict.fromkeys(item for item in raw.split(",") if item))
    if len(names) > most or any(len(item) > 128 for item in names):
        raise ApiError(400, f"{name}: at most {most} comma-separated names of up to 128 characters", name)
    return names
