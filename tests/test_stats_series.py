"""GetQueueSeries through a real stats service: a scripted day's calls land in the buckets
of their local clock or calendar, each bucket's figures are exactly those GetQueueStats gives
for the bucket's range, and bad requests are refused naming the field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2_grpc
from tests.gateway_scenes import setup_team
from tests.stats_fixtures import utc_ms
from tests.trend_scenes import scripted_day

HALF_HOUR_MS = 30 * 60_000


@pytest.fixture
async def stub(quiet_stats):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        yield stats_pb2_grpc.StatsServiceStub(channel)


def ts(text: str) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromMilliseconds(utc_ms(text))
    return t


def period(time_zone: str = "UTC", day: str = "", start: str = "", end: str = "") -> pb.Period:
    if day:
        return pb.Period(time_zone=time_zone, day=day)
    return pb.Period(time_zone=time_zone, range=pb.TimeRange(start=ts(start), end=ts(end)))


def figures(s: pb.QueueStats) -> tuple:
    """offered, answered, abandoned, short abandoned, answered within, SL %, ASA ms, AHT ms."""
    return (
        s.offered,
        s.answered,
        s.abandoned,
        s.short_abandoned,
        s.answered_within_threshold,
        round(s.service_level_percent, 2),
        s.average_speed_of_answer.ToMilliseconds(),
        s.average_handle_time.ToMilliseconds(),
    )


def by_start(series: pb.QueueSeries) -> dict[int, pb.QueueStats]:
    return {p.range.start.ToMilliseconds(): p.stats for p in series.points}


async def test_a_scripted_day_gives_each_half_hour_exactly_its_calls(script, quiet_stats, stub):
    await scripted_day(script)
    await quiet_stats.consumer.drain()
    reply = await stub.GetQueueSeries(
        pb.GetQueueSeriesRequest(
            period=period(day="2026-03-02"), bucket=pb.SERIES_BUCKET_HALF_HOUR, queues=["sales", "support"]
        )
    )
    sales, support = reply.queues
    assert (sales.queue, support.queue) == ("sales", "support")
    assert len(sales.points) == 48
    starts = [p.range.start.ToMilliseconds() for p in sales.points]
    assert starts == [utc_ms("2026-03-02 00:00") + i * HALF_HOUR_MS for i in range(48)]
    assert all(p.range.end.ToMilliseconds() - p.range.start.ToMilliseconds() == HALF_HOUR_MS for p in sales.points)
    points = by_start(sales)
    # 08:00-08:30: c1, c2 answered (c1 within 20 s), c3 abandoned; SL 1 / 3; ASA (5 + 30) / 2;
    # AHT (60 + 30 wrap-up + 120) / 2
    assert figures(points[utc_ms("2026-03-02 08:00")]) == (3, 2, 1, 0, 1, 33.33, 17_500, 105_000)
    # 08:30-09:00: c4 answered within, c5 a short abandon (not in the SL's denominator)
    assert figures(points[utc_ms("2026-03-02 08:30")]) == (2, 1, 1, 1, 1, 100.0, 10_000, 30_000)
    assert figures(points[utc_ms("2026-03-02 09:30")]) == (1, 1, 0, 0, 1, 100.0, 2_000, 10_000)
    busy = {utc_ms("2026-03-02 08:00"), utc_ms("2026-03-02 08:30"), utc_ms("2026-03-02 09:30")}
    assert all(figures(s) == (0, 0, 0, 0, 0, 0.0, 0, 0) for start, s in points.items() if start not in busy)
    assert figures(by_start(support)[utc_ms("2026-03-02 08:00")]) == (1, 1, 0, 0, 1, 100.0, 1_000, 20_000)
    assert sum(p.stats.offered for p in support.points) == 1
    assert reply.service_level_threshold.ToSeconds() == 20
    # Every bucket is what GetQueueStats says of the bucket's range.
    for p in sales.points[16:20]:
        alone = await stub.GetQueueStats(
            pb.GetQueueStatsRequest(
                period=pb.Period(range=pb.TimeRange(start=p.range.start, end=p.range.end)), queues=["sales"]
            )
        )
        assert alone.queues[0] == p.stats


async def test_the_threshold_and_quarter_hours_follow_the_request(script, quiet_stats, stub):
    await scripted_day(script)
    await quiet_stats.consumer.drain()
    threshold = duration_pb2.Duration(seconds=30)
    reply = await stub.GetQueueSeries(
        pb.GetQueueSeriesRequest(
            period=period(start="2026-03-02 08:00", end="2026-03-02 09:00"),
            bucket=pb.SERIES_BUCKET_QUARTER_HOUR,
            queues=["sales"],
            service_level_threshold=threshold,
        )
    )
    [sales] = reply.queues
    assert reply.service_level_threshold.ToSeconds() == 30
    assert [p.stats.offered for p in sales.points] == [2, 1, 1, 1]  # c1 c2 | c3 | c4 | c5
    assert [p.stats.answered_within_threshold for p in sales.points] == [2, 0, 1, 0]  # c2 waited exactly 30 s


async def test_hour_buckets_follow_the_local_clock_of_a_half_hour_offset_zone(script, quiet_stats, stub):
    """Kolkata is UTC+5:30: its hours start at half past UTC's."""
    await scripted_day(script)
    await quiet_stats.consumer.drain()
    reply = await stub.GetQueueSeries(
        pb.GetQueueSeriesRequest(
            period=period("Asia/Kolkata", day="2026-03-02"), bucket=pb.SERIES_BUCKET_HOUR, queues=["sales"]
        )
    )
    [sales] = reply.queues
    assert len(sales.points) == 24
    assert sales.points[0].range.start.ToMilliseconds() == utc_ms("2026-03-01 18:30")
    points = by_start(sales)
    assert points[utc_ms("2026-03-02 07:30")].offered == 3  # 13:00-14:00 local: c1, c2, c3
    assert points[utc_ms("2026-03-02 08:30")].offered == 2  # c4, c5
    assert points[utc_ms("2026-03-02 09:30")].offered == 1  # c6
    assert sum(p.stats.offered for p in sales.points) == 6


async def test_a_daylight_saving_day_has_23_hour_buckets(stub):
    reply = await stub.GetQueueSeries(
        pb.GetQueueSeriesRequest(
            period=period("Europe/Berlin", day="2026-03-29"), bucket=pb.SERIES_BUCKET_HOUR, queues=["sales"]
        )
    )
    [sales] = reply.queues
    assert len(sales.points) == 23
    assert sales.points[2].range.start.ToMilliseconds() == utc_ms("2026-03-29 01:00")  # 03:00 CEST


async def calls_on(script, *times: str) -> None:
    """One answered sales call at each UTC time."""
    for n, when in enumerate(times):
        script.at(when)
        await script.answered_call(f"d{n}", "sales", "anna", ring_s=4, talk_s=30)


async def test_week_and_month_buckets_sum_their_days_in_the_time_zone(script, quiet_stats, stub):
    # In Berlin: Sun 1 March, Mon 2 March (twice), Sun 8, Mon 9, Tue 31 March; 1 April 00:30
    # (22:30 UTC on 31 March, after the change to summer time).
    times = ("2026-03-01 12:00", "2026-03-02 08:00", "2026-03-02 16:00", "2026-03-08 10:00", "2026-03-09 10:00")
    await calls_on(script, *times, "2026-03-31 12:00", "2026-03-31 22:30")
    await quiet_stats.consumer.drain()
    berlin = period("Europe/Berlin", start="2026-02-28 23:00", end="2026-04-30 22:00")  # 1 March to 1 May

    async def series(bucket) -> list[pb.QueueSeriesPoint]:
        reply = await stub.GetQueueSeries(pb.GetQueueSeriesRequest(period=berlin, bucket=bucket, queues=["sales"]))
        return list(reply.queues[0].points)

    days, weeks, months = (
        await series(pb.SERIES_BUCKET_DAY),
        await series(pb.SERIES_BUCKET_WEEK),
        await series(pb.SERIES_BUCKET_MONTH),
    )
    assert len(days) == 61
    assert [p.stats.offered for p in days[:9]] == [1, 2, 0, 0, 0, 0, 0, 1, 1]
    assert (days[30].stats.offered, days[31].stats.offered) == (1, 1)  # 31 March, 1 April
    assert days[31].range.start.ToMilliseconds() == utc_ms("2026-03-31 22:00")
    # The first week is cut to the period (Sunday 1 March); the next start on Mondays.
    week_starts = [dt.datetime.fromtimestamp(p.range.start.seconds, dt.UTC) for p in weeks]
    assert week_starts[0] == dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC)
    local = [s.astimezone(ZoneInfo("Europe/Berlin")) for s in week_starts[1:]]
    assert all((s.weekday(), s.hour, s.minute) == (0, 0, 0) for s in local)
    assert [p.stats.offered for p in weeks[:3]] == [1, 3, 1]  # Sun 1 | Mon 2 - Sun 8 | Mon 9 - ...
    for week in weeks:  # each week is the sum of its days
        inside = [d for d in days if week.range.start.seconds <= d.range.start.seconds < week.range.end.seconds]
        assert week.stats.offered == sum(d.stats.offered for d in inside)
        assert week.stats.talk_time.ToMilliseconds() == sum(d.stats.talk_time.ToMilliseconds() for d in inside)
    assert [(p.range.start.ToMilliseconds(), p.stats.offered) for p in months] == [
        (utc_ms("2026-02-28 23:00"), 6),
        (utc_ms("2026-03-31 22:00"), 1),
    ]
    assert months[0].stats.average_handle_time.ToMilliseconds() == 30_000


def request(**fields) -> pb.GetQueueSeriesRequest:
    fields.setdefault("bucket", pb.SERIES_BUCKET_HALF_HOUR)
    fields.setdefault("period", period(day="2026-03-02"))
    return pb.GetQueueSeriesRequest(**fields)


@pytest.mark.parametrize(
    ("req", "field"),
    [
        (request(bucket=pb.SERIES_BUCKET_UNSPECIFIED), "bucket"),
        (request(bucket=99), "bucket"),
        # 401 quarter hours; 401 days of day buckets exceed the period's 400 days
        (request(bucket=pb.SERIES_BUCKET_QUARTER_HOUR, period=period(start="2026-03-02 00:00", end="2026-03-06 04:15")),
         "period"),
        (request(bucket=pb.SERIES_BUCKET_DAY, period=period(start="2026-01-01 00:00", end="2027-02-06 00:00")),
         "period"),
        (request(queues=[f"q{n}" for n in range(51)]), "queues"),
        (request(service_level_threshold=duration_pb2.Duration(seconds=1, nanos=500_000_000)),
         "service_level_threshold"),
        (request(period=pb.Period(time_zone="Mars/Olympus", day="2026-03-02")), "period.time_zone"),
        (request(period=pb.Period(day="2026-13-01")), "period.day"),
    ],
)  # fmt: skip
async def test_bad_requests_are_refused_naming_the_field(stub, req, field):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.GetQueueSeries(req)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field), refused.value.details()


async def test_exactly_400_buckets_are_served(stub):
    reply = await stub.GetQueueSeries(
        request(bucket=pb.SERIES_BUCKET_QUARTER_HOUR, period=period(start="2026-03-02 00:00", end="2026-03-06 04:00"))
    )
    assert [len(s.points) for s in reply.queues] == []  # no queue known yet: no series
    reply = await stub.GetQueueSeries(
        request(
            bucket=pb.SERIES_BUCKET_QUARTER_HOUR,
            period=period(start="2026-03-02 00:00", end="2026-03-06 04:00"),
            queues=["sales"],
        )
    )
    assert len(reply.queues[0].points) == 400


# Through the gateway: GET /api/v1/stats/queues/series ------------------------------------------


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


SERIES = "/api/v1/stats/queues/series"


async def series_of(client, query: str) -> dict:
    reply = await client.get(f"{SERIES}?{query}")
    assert reply.status == 200, await reply.text()
    return await reply.json()


async def test_the_gateway_serves_each_user_the_series_of_the_queues_they_may_see(
    backend_addrs, quiet_stats, gateway, script
):
    await setup_team(gateway)  # sales: anna, boris (sam supervises it); support: csilla
    await scripted_day(script)
    await quiet_stats.consumer.drain()
    sam, anna, root = [await gateway.login(name) for name in ("sam", "anna", "root")]
    day = await series_of(sam, "queue=sales&bucket=half_hour&from=2026-03-02&tz=UTC")
    [sales] = day["queues"]
    assert (day["bucket"], day["from"], day["to"]) == ("half_hour", "2026-03-02", "2026-03-02")
    assert day["service_level_threshold_s"] == 20
    points = {p["start_ms"]: p for p in sales["points"]}
    assert len(points) == 48
    eight = points[utc_ms("2026-03-02 08:00")]
    assert (eight["offered"], eight["answered"], eight["abandoned"], eight["service_level_percent"]) == (3, 2, 1, 33.33)
    assert (eight["asa_ms"], eight["aht_ms"], eight["end_ms"]) == (17_500, 105_000, utc_ms("2026-03-02 08:30"))
    # Without ?queue=: every queue the user may see (an agent: the queues she serves).
    assert [q["queue"] for q in (await series_of(anna, "from=2026-03-02&tz=UTC"))["queues"]] == ["sales"]
    assert [q["queue"] for q in (await series_of(sam, "from=2026-03-02"))["queues"]] == ["sales"]
    everything = await series_of(root, "from=2026-03-02&tz=UTC&bucket=hour")
    assert [q["queue"] for q in everything["queues"]] == ["sales", "support"]
    for client in (anna, sam):
        reply = await client.get(f"{SERIES}?queue=support&from=2026-03-02")
        assert reply.status == 404  # not theirs: as if it did not exist
    # History: March in Berlin as one month, and as its days.
    month = await series_of(anna, "bucket=month&from=2026-03-01&to=2026-03-31&tz=Europe/Berlin")
    [[march]] = [q["points"] for q in month["queues"]]
    assert (march["start_ms"], march["end_ms"], march["offered"]) == (
        utc_ms("2026-02-28 23:00"), utc_ms("2026-03-31 22:00"), 6,
    )  # fmt: skip
    days = await series_of(anna, "bucket=day&from=2026-03-01&to=2026-03-31&tz=Europe/Berlin")
    assert [p["offered"] for p in days["queues"][0]["points"]][:3] == [0, 6, 0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bucket=minute", "bucket"),
        ("from=2026-3-2", "from"),
        ("from=2026-03-02&to=yesterday", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("bucket=half_hour&from=2026-03-01&to=2026-03-09", "to"),  # 9 days of half hours: more than 400
        ("bucket=quarter_hour&from=2026-03-01&to=2026-03-05", "to"),
        ("bucket=day&from=2026-01-01&to=2027-02-05", "to"),  # 401 days
        ("from=1999-12-31", "from"),
        ("tz=Mars/Olympus", "tz"),
        ("queue=" + ",".join(f"q{n}" for n in range(51)), "queue"),
        ("colour=red", "colour"),
        ("bucket=day&bucket=week", "bucket"),
    ],
)
async def test_the_gateway_refuses_a_bad_series_request_naming_the_field(backend_addrs, gateway, query, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.get(f"{SERIES}?{query}")
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field
