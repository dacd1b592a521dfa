"""Queue trends: a queue's figures interval by interval over a day or a range of days (half
hours of a day, days of a month, ...), from stats' GetQueueSeries, for the queues the user
may see: admins every queue, supervisors their teams, agents the queues they serve."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .agents import get_agent, visible_queues

BUCKETS = {
    "quarter_hour": spb.SERIES_BUCKET_QUARTER_HOUR,
    "half_hour": spb.SERIES_BUCKET_HALF_HOUR,
    "hour": spb.SERIES_BUCKET_HOUR,
    "day": spb.SERIES_BUCKET_DAY,
    "week": spb.SERIES_BUCKET_WEEK,
    "month": spb.SERIES_BUCKET_MONTH,
}
# The most days one series may span, by bucket: at most 400 points per chart (stats' bound,
# with 25-hour days), and for the calendar buckets the 400 days of any period of figures.
MAX_DAYS = {"quarter_hour": 4, "half_hour": 8, "hour": 16, "day": 400, "week": 400, "month": 400}
MAX_QUEUES = 50


async def _queues_of(user: User, backends: Backends, asked: list[str]) -> list[str]:
    """The asked queues if the user may see each (NotFound otherwise, as for any queue not
    theirs), or every queue they may see."""
    access.require_role(user, "admin", "supervisor", "agent")
    if user.role == "agent":
        mine = (await get_agent(user, backends, user.agent_id)).queues if user.agent_id else []
        visible = sorted(set(mine))
    elif access.sees_all(user) and not asked:
        visible = sorted(q.name for q in await visible_queues(user, backends))
    else:
        visible = sorted(q for q in {*asked, *user.teams} if access.sees_queue(user, q))
    for queue in asked:
        if queue not in visible:
            raise NotFound(f"queue {queue} does not exist")
    if not asked and len(visible) > MAX_QUEUES:
        raise InvalidArgument("queue", f"{len(visible)} queues: choose at most {MAX_QUEUES}")
    return asked or visible


def _period(first: dt.date, last: dt.date, tz: str) -> spb.Period:
    """The local days first..last (inclusive) in the time zone."""
    if first == last:
        return spb.Period(time_zone=tz, day=first.isoformat())
    zone = zoneinfo.ZoneInfo(tz)
    period = spb.Period(time_zone=tz)
    period.range.start.FromDatetime(dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC))
    period.range.end.FromDatetime(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC))
    return period


def _point(p: spb.QueueSeriesPoint) -> dict[str, Any]:
    s = p.stats
    return {
        "start_ms": p.range.start.ToMilliseconds(),
        "end_ms": p.range.end.ToMilliseconds(),
        "offered": s.offered,
        "answered": s.answered,
        "abandoned": s.abandoned,
        "short_abandoned": s.short_abandoned,
        "timed_out": s.timed_out,
        "overflowed": s.overflowed,
        "answered_within_threshold": s.answered_within_threshold,
        "handled": s.handled,
        "service_level_percent": round(s.service_level_percent, 2),
        "asa_ms": s.average_speed_of_answer.ToMilliseconds(),
        "aht_ms": s.average_handle_time.ToMilliseconds(),
        "abandonment_rate_percent": round(s.abandonment_rate_percent, 2),
    }


async def queue_series(
    user: User,
    backends: Backends,
    queues: list[str],
    bucket: str,
    first: dt.date,
    last: dt.date,
    tz: str,
) -> dict[str, Any]:
    """Each visible queue's figures per bucket of the local days first..last."""
    if bucket not in BUCKETS:
        raise InvalidArgument("bucket", f"must be one of {', '.join(BUCKETS)}")
    if last < first:
        raise InvalidArgument("to", "must not be before from")
    if (last - first).days + 1 > MAX_DAYS[bucket]:
        raise InvalidArgument(
            "to", f"at most {MAX_DAYS[bucket]} days of {bucket.replace('_', '-')} buckets: choose a bigger bucket"
        )
    if len(queues) > MAX_QUEUES:
        raise InvalidArgument("queue", f"at most {MAX_QUEUES} queues")
    names = await _queues_of(user, backends, queues)
    result: dict[str, Any] = {"bucket": bucket, "tz": tz, "from": first.isoformat(), "to": last.isoformat()}
    if not names:
        return {**result, "queues": []}  # no queue to show (asking stats for none means all)
    req = spb.GetQueueSeriesRequest(period=_period(first, last, tz), bucket=BUCKETS[bucket], queues=names)
    reply: spb.GetQueueSeriesResponse = await backends.stats.GetQueueSeries(req, timeout=backends.timeout_s)
    return {
        **result,
        "start_ms": reply.range.start.ToMilliseconds(),
        "end_ms": reply.range.end.ToMilliseconds(),
        "service_level_threshold_s": reply.service_level_threshold.ToSeconds(),
        "service_level_target_percent": reply.service_level_target_percent,
        "queues": [{"queue": q.queue, "points": [_point(p) for p in q.points]} for q in reply.queues],
    }
