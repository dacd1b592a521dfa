"""What "today" is: the date now in a time zone (IANA name), the default day of figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo


def today(tz: str) -> str:
    return dt.datetime.now(zoneinfo.ZoneInfo(tz)).date().isoformat()
