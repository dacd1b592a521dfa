"""Queue trends: the HTTP side of domain/trends.py (the /trends page's data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from aiohttp import web

from callcenter.core import time_bounds
from callcenter.services.gateway.domain import trends
from callcenter.services.gateway.domain.periods import today
from callcenter.services.gateway.query import time_zone
from callcenter.services.gateway.web import BACKENDS, ApiError, accepts, json_reply, user_of

routes = web.RouteTableDef()

SERIES_PARAMS = ("queue", "bucket", "from", "to", "tz")
MAX_QUEUE_PARAM = 50 * 65  # 50 names of at most 64 characters, comma-separated


def _day(query: Mapping[str, str], name: str, default: str) -> dt.date:
    raw = query.get(name, "") or default
    try:
        day = dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ApiError(400, f"{name}: {raw[:40]!r} is not YYYY-MM-DD", name)
    return time_bounds.check_day(day, name)


def _queues(query: Mapping[str, str]) -> list[str]:
    raw = query.get("queue", "")
    if len(raw) > MAX_QUEUE_PARAM:
        raise ApiError(400, f"queue: at most {trends.MAX_QUEUES} comma-separated queue names", "queue")
    return list(dict.fromkeys(name for name in raw.split(",") if name))


@routes.get("/api/v1/stats/queues/series")
@accepts(query=SERIES_PARAMS)  # type: ignore[untyped-decorator]  # web.py is outside mypy's files
async def queue_series(request: web.Request) -> web.Response:
    """?queue=a,b (default: every queue the user may see) &bucket=half_hour (quarter_hour, hour,
    day, week, month) &from=&to= (local days YYYY-MM-DD, inclusive; default today) &tz=."""
    q = request.query
    tz = time_zone(q)
    first = _day(q, "from", q.get("to", "") or today(tz))
    last = _day(q, "to", first.isoformat())
    bucket = q.get("bucket", "") or "half_hour"
    reply = await trends.queue_series(user_of(request), request.app[BACKENDS], _queues(q), bucket, first, last, tz)
    response: web.Response = json_reply(reply)
    return response
