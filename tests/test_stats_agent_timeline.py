"""An agent's state timeline of a local day (GetAgentTimeline): the segments a scripted
sequence of state changes produces, cut at local midnights, bounded per UTC day, each event
stored once; and the call records search (caller_contains, call_id_contains)."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2
from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.core.clock import ManualClock
from callcenter.services.stats.config import Figures
from callcenter.services.stats.keys import MAX_DAY_STATES
from callcenter.services.stats.model import CallFilter, InvalidArgument
from callcenter.services.stats.stats import Stats
from tests.stats_fixtures import utc_ms


def rows(timeline) -> list[tuple[str, str, int, int, str]]:
    return [(s.state, s.reason, s.start_ms, s.end_ms, s.call_id) for s in timeline.segments]


async def anna_day(script) -> None:
    """Anna on 2026-03-02 (UTC): a break, one call with wrap-up, lunch, home."""
    await script.at("2026-03-02 08:00").login("anna", ["sales"])
    await script.at("2026-03-02 08:10").pause("anna", "break")
    await script.at("2026-03-02 08:25").resume("anna")
    await script.at("2026-03-02 08:30").receive("c1", "sales", caller="+49 30 1234567")
    await script.offer("c1", "anna")
    await script.at("2026-03-02 08:30:05").answer("c1")
    await script.at("2026-03-02 08:35").complete("c1")
    await script.at("2026-03-02 08:36").end_wrap_up("c1")
    await script.at("2026-03-02 09:00").pause("anna", "lunch")
    await script.at("2026-03-02 10:00").logout("anna")


async def test_a_scripted_day_gives_exactly_its_segments_with_reasons(script, make_consumer, stats):
    await anna_day(script)
    await make_consumer().drain()
    day = await stats.agent_timeline("anna", "2026-03-02", "UTC")
    t = utc_ms
    assert rows(day) == [
        ("logged_out", "", t("2026-03-02 00:00"), t("2026-03-02 08:00"), ""),
        ("available", "", t("2026-03-02 08:00"), t("2026-03-02 08:10"), ""),
        ("paused", "break", t("2026-03-02 08:10"), t("2026-03-02 08:25"), ""),
        ("available", "", t("2026-03-02 08:25"), t("2026-03-02 08:30"), ""),
        ("reserved", "", t("2026-03-02 08:30"), t("2026-03-02 08:30:05"), "c1"),
        ("on_call", "", t("2026-03-02 08:30:05"), t("2026-03-02 08:35"), "c1"),
        ("wrap_up", "", t("2026-03-02 08:35"), t("2026-03-02 08:36"), "c1"),
        ("available", "", t("2026-03-02 08:36"), t("2026-03-02 09:00"), ""),
        ("paused", "lunch", t("2026-03-02 09:00"), t("2026-03-02 10:00"), ""),
        ("logged_out", "", t("2026-03-02 10:00"), t("2026-03-02 18:00"), ""),  # now (the stats clock)
    ]
    assert [s.ongoing for s in day.segments] == [False] * 9 + [True]
    assert day.trimmed == 0
    assert all(s.duration_ms >= 0 for s in day.segments)


async def test_a_day_in_a_non_utc_zone_is_cut_at_its_local_midnights(script, make_consumer, redis, tenant):
    # Asia/Kolkata is UTC+5:30: its 2026-03-03 runs from 03-02 18:30 to 03-03 18:30 UTC, over
    # two UTC days.
    await script.at("2026-03-02 18:00").login("anna", ["sales"])  # 23:30 local, 03-02
    await script.at("2026-03-02 23:50").pause("anna", "break")  # 05:20 local, 03-03
    await script.at("2026-03-03 00:20").resume("anna")  # the next UTC day
    await script.at("2026-03-03 01:00").logout("anna")
    await make_consumer().drain()
    stats = Stats(redis, tenant, ManualClock(utc_ms("2026-03-04 12:00")), Figures())
    t = utc_ms
    evening = await stats.agent_timeline("anna", "2026-03-02", "Asia/Kolkata")
    assert rows(evening) == [
        ("logged_out", "", t("2026-03-01 18:30"), t("2026-03-02 18:00"), ""),
        ("available", "", t("2026-03-02 18:00"), t("2026-03-02 18:30"), ""),
    ]
    assert not evening.segments[-1].ongoing  # the day ended; the state went on the next
    morning = await stats.agent_timeline("anna", "2026-03-03", "Asia/Kolkata")
    assert rows(morning) == [
        ("available", "", t("2026-03-02 18:30"), t("2026-03-02 23:50"), ""),  # carried over midnight
        ("paused", "break", t("2026-03-02 23:50"), t("2026-03-03 00:20"), ""),
        ("available", "", t("2026-03-03 00:20"), t("2026-03-03 01:00"), ""),
        ("logged_out", "", t("2026-03-03 01:00"), t("2026-03-03 18:30"), ""),
    ]
    # the same changes seen from UTC: the UTC day keys are cut to the asked day
    utc = await stats.agent_timeline("anna", "2026-03-03", "UTC")
    assert rows(utc)[0] == ("paused", "break", t("2026-03-03 00:00"), t("2026-03-03 00:20"), "")


async def test_a_day_to_come_has_no_segments(script, make_consumer, stats):
    await anna_day(script)
    await make_consumer().drain()
    assert (await stats.agent_timeline("anna", "2026-03-05", "UTC")).segments == []


async def test_more_changes_than_the_bound_keep_the_newest_and_count_the_rest(script, make_consumer, stats):
    extra = 10
    script.at("2026-03-02 08:00")
    await script.login("anna", ["sales"])
    for i in range(MAX_DAY_STATES + extra - 1):
        script.advance(1)
        if i % 2 == 0:
            await script.pause("anna", "break")
        else:
            await script.resume("anna")
    await make_consumer().drain()
    day = await stats.agent_timeline("anna", "2026-03-02", "UTC")
    assert day.trimmed == extra
    assert len(day.segments) == MAX_DAY_STATES  # from the first kept change on, back to back
    assert day.segments[0].start_ms == utc_ms("2026-03-02 08:00") + extra * 1000
    assert all(a.end_ms == b.start_ms for a, b in zip(day.segments, day.segments[1:], strict=False))


async def test_a_replayed_event_adds_no_segment_and_no_trim(script, make_consumer, stats, redis, tenant):
    script.at("2026-03-02 08:00")
    await script.login("anna", ["sales"])
    for i in range(MAX_DAY_STATES + 2):
        script.advance(1)
        await (script.pause("anna", "break") if i % 2 == 0 else script.resume("anna"))
    consumer = make_consumer()
    entries = await consumer.read_new()
    while more := await consumer.read_new():
        entries += more
    await consumer.apply(entries)
    before = await stats.agent_timeline("anna", "2026-03-02", "UTC")
    # every entry delivered again (a lost ack, a reclaim), by another consumer too
    await consumer.apply(entries)
    await make_consumer("c2").apply(entries)
    after = await stats.agent_timeline("anna", "2026-03-02", "UTC")
    assert rows(after) == rows(before) and after.trimmed == before.trimmed == 3


@pytest.mark.parametrize(
    ("agent_id", "day", "zone", "field"),
    [
        ("", "2026-03-02", "UTC", "agent_id"),
        ("a" * 129, "2026-03-02", "UTC", "agent_id"),
        ("anna", "", "UTC", "day"),
        ("anna", "03/02/2026", "UTC", "day"),
        ("anna", "2026-03-02", "Mars/Olympus", "time_zone"),
    ],
)
async def test_a_bad_timeline_request_names_its_field(stats, agent_id, day, zone, field):
    with pytest.raises(InvalidArgument) as refused:
        await stats.agent_timeline(agent_id, day, zone)
    assert refused.value.field == field


async def eventually(check, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_get_agent_timeline_over_grpc(script, start_stats):
    service = await start_stats(clock=ManualClock(utc_ms("2026-03-02 18:00")))
    await anna_day(script)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        from callcenter.api.stats.v1 import stats_pb2_grpc

        stub = stats_pb2_grpc.StatsServiceStub(channel)
        request = pb.GetAgentTimelineRequest(agent_id="anna", day="2026-03-02", time_zone="Europe/Berlin")

        async def ten_segments():
            reply = await stub.GetAgentTimeline(request)
            return reply if len(reply.segments) == 10 else None

        reply = await eventually(ten_segments)
        assert reply is not None
        assert reply.range.start.ToMilliseconds() == utc_ms("2026-03-01 23:00")
        paused = [s for s in reply.segments if s.state == states_pb2.AGENT_STATE_PAUSED]
        assert [(s.reason, s.duration.ToSeconds()) for s in paused] == [("break", 900), ("lunch", 3600)]
        assert [s.call_id for s in reply.segments if s.call_id] == ["c1", "c1", "c1"]
        for bad, field in (
            (pb.GetAgentTimelineRequest(day="2026-03-02"), "agent_id"),
            (pb.GetAgentTimelineRequest(agent_id="anna", day="tomorrow"), "day"),
            (pb.GetAgentTimelineRequest(agent_id="anna", day="2026-03-02", time_zone="x" * 80), "time_zone"),
            (pb.ListCallRecordsRequest(caller_contains="+49"), "caller_contains"),
            (pb.ListCallRecordsRequest(caller_contains="1" * 65), "caller_contains"),
            (pb.ListCallRecordsRequest(call_id_contains="a b"), "call_id_contains"),
        ):
            call = stub.GetAgentTimeline if isinstance(bad, pb.GetAgentTimelineRequest) else stub.ListCallRecords
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(bad)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details().startswith(field + ":")


async def test_a_caller_fragment_or_an_id_fragment_finds_the_call(script, make_consumer, stats):
    await script.at("2026-03-02 08:00").login("anna", ["sales"])
    for i, caller in enumerate(["+49 30 1234567", "+44 20 7946 0000", "+49 89 555"]):
        script.advance(60)
        await script.answered_call(f"sip-{i}@pbx.example", "sales", "anna", ring_s=2, talk_s=30, caller=caller)
    await make_consumer().drain()

    async def ids(**search) -> list[str]:
        records, _token = await stats.call_records(CallFilter(**search), 50, "")
        return [r.call_id for r in records]

    assert await ids(caller_contains="301234") == ["sip-0@pbx.example"]  # across the space
    assert await ids(caller_contains="49") == ["sip-2@pbx.example", "sip-0@pbx.example"]
    assert await ids(call_id_contains="sip-1") == ["sip-1@pbx.example"]
    # one search box: a number or an id
    assert await ids(caller_contains="7946", call_id_contains="sip-2") == ["sip-2@pbx.example", "sip-1@pbx.example"]
    assert await ids(caller_contains="000000") == []


async def test_a_search_reads_a_bounded_number_of_records_and_pages_on(script, make_consumer, redis, tenant):
    await script.at("2026-03-02 08:00").login("anna", ["sales"])
    for i in range(30):
        script.advance(10)
        await script.receive(f"c{i}", "sales", caller="+4930" if i == 0 else "+4420")
    await make_consumer().drain()
    stats = Stats(redis, tenant, ManualClock(utc_ms("2026-03-02 18:00")), Figures())
    stats.call_reader.scan_chunk = stats.call_reader.search_scan = 10
    found, token, pages = [], "", 0
    while True:
        records, token = await stats.call_records(CallFilter(caller_contains="4930"), 50, token)
        found += [r.call_id for r in records]
        pages += 1
        if not token:
            break
    # short pages, each after 10 records read, each going on where the last stopped
    assert found == ["c0"] and pages == 4
