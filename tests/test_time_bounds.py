"""The kernel's one window of time (callcenter/core/time_bounds.py): what it takes, what it
refuses, and that every refusal names the field."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from callcenter.core import time_bounds as tb
from callcenter.core.errors import InvalidArgument


def test_the_window_is_2000_to_2100_utc():
    assert tb.EARLIEST_MS == 946_684_800_000 and tb.LATEST_MS == 4_102_444_800_000
    assert tb.check_time_ms(tb.EARLIEST_MS, "t") == tb.EARLIEST_MS
    assert tb.check_time_ms(tb.LATEST_MS - 1, "t") == tb.LATEST_MS - 1
    for outside in (tb.EARLIEST_MS - 1, tb.LATEST_MS, 0, -1, 253402300799000, 2**62):
        with pytest.raises(InvalidArgument) as refused:
            tb.check_time_ms(outside, "when")
        assert refused.value.field == "when"


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(253402300799, 0), (253402300800, 0), (-62135596801, 0), (1_772_438_400, -1), (1_772_438_400, 10**9), (5, 0)],
)
def test_a_timestamp_outside_the_window_or_malformed_is_refused_naming_the_field(seconds, nanos):
    with pytest.raises(InvalidArgument) as refused:
        tb.timestamp_ms(timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos), "period.hour")
    assert str(refused.value).startswith("period.hour: ")


def test_a_timestamp_inside_is_its_milliseconds_and_zero_is_unset():
    assert tb.timestamp_ms(timestamp_pb2.Timestamp(seconds=1_772_438_400, nanos=999_999_999), "t") == 1_772_438_400_999
    assert tb.optional_timestamp_ms(timestamp_pb2.Timestamp(), "t") is None


@pytest.mark.parametrize(
    ("seconds", "nanos", "problem"),
    [
        (0, 10**9, "nanos"),
        (0, -(10**9), "nanos"),
        (1, -1, "same sign"),
        (-1, 1, "same sign"),
        (-1, 0, "negative"),
        (2**63 - 1, 0, "at most"),
        (tb.MAX_DURATION_MS // 1000 + 1, 0, "at most"),
    ],
)
def test_a_malformed_negative_or_huge_duration_is_refused(seconds, nanos, problem):
    with pytest.raises(InvalidArgument) as refused:
        tb.duration_ms(duration_pb2.Duration(seconds=seconds, nanos=nanos), "overdue_after")
    assert refused.value.field == "overdue_after" and problem in refused.value.problem


def test_durations_are_milliseconds_toward_zero_and_negative_only_when_allowed():
    assert tb.duration_ms(duration_pb2.Duration(seconds=1, nanos=999_999), "d") == 1000
    assert tb.duration_ms(duration_pb2.Duration(seconds=-1, nanos=-500_000_000), "d", negative=True) == -1500
    with pytest.raises(InvalidArgument):
        tb.duration_ms(duration_pb2.Duration(nanos=1), "d", whole_ms=True)


def test_datetimes_and_days_outside_the_window_are_refused():
    tb.check_datetime(dt.datetime(2099, 12, 31, 23, 59, tzinfo=dt.UTC), "to")
    with pytest.raises(InvalidArgument):
        tb.check_datetime(
            dt.datetime(2100, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))) + dt.timedelta(hours=1), "to"
        )
    with pytest.raises(InvalidArgument):
        tb.check_datetime(dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-14))), "to")
    assert tb.check_day(dt.date(2000, 1, 1), "day") == dt.date(2000, 1, 1)
    with pytest.raises(InvalidArgument):
        tb.check_day(dt.date(2100, 1, 1), "day")


def test_stored_times_outside_the_window_are_unreadable_not_errors_of_the_request():
    assert tb.stored_time_ms(None) is None and tb.stored_time_ms("") is None
    assert tb.stored_time_ms("1772438400000") == 1_772_438_400_000
    assert tb.stored_time_ms(1_772_438_400_000.0) == 1_772_438_400_000
    for bad in ("253402300799000", "x", float("inf"), "1.5"):
        with pytest.raises(ValueError):
            tb.stored_time_ms(bad)
