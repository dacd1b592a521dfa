"""When a recurring task's next one is due: every N days, weeks, months or years after the
previous one's planned due time (never after "now", so a task done late keeps its rhythm), on
the site's calendar: months and years keep the wall-clock time and day of month in the site's
time zone (the 31st becomes the month's last day), days and weeks keep the wall-clock time
across a daylight-saving change."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UNITS = ("days", "weeks", "months", "years")
MAX_EVERY = 365


@dataclass(frozen=True)
class Recurrence:
    every: int
    unit: str

    def public(self) -> dict[str, int | str]:
        return {"every": self.every, "unit": self.unit}


def _add_months(day: datetime.datetime, months: int) -> datetime.datetime:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def next_due_ms(previous_ms: int, rule: Recurrence, zone: ZoneInfo) -> int:
    """The due time (ms) of the next one after a task planned for previous_ms."""
    seconds, millis = divmod(previous_ms, 1000)
    local = datetime.datetime.fromtimestamp(seconds, zone).replace(tzinfo=None)
    if rule.unit == "days":
        moved = local + datetime.timedelta(days=rule.every)
    elif rule.unit == "weeks":
        moved = local + datetime.timedelta(weeks=rule.every)
    elif rule.unit == "months":
        moved = _add_months(local, rule.every)
    else:
        moved = _add_months(local, 12 * rule.every)
    return int(moved.replace(tzinfo=zone).timestamp()) * 1000 + millis
