"""Out-of-range times and durations in stats requests are INVALID_ARGUMENT naming the field,
never UNKNOWN or INTERNAL; and a stored lead or call record whose time cannot be read (one
written before the window was enforced) is skipped and counted, never the end of a listing."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.services.stats.model import Range
from callcenter.services.stats.stats import PeriodSpec
from tests.stats_fixtures import utc_ms

YEAR_9999 = 253402300799  # 9999-12-31T23:59:59Z, the last second a Timestamp can hold
OK = timestamp_pb2.Timestamp(seconds=1_772_438_400)  # 2026-03-02


def ts(seconds: int = 1_772_438_400, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def dur(seconds: int = 0, nanos: int = 0) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


def hour(t: timestamp_pb2.Timestamp) -> pb.Period:
    return pb.Period(hour=t)


def span(start: timestamp_pb2.Timestamp, end: timestamp_pb2.Timestamp) -> pb.Period:
    return pb.Period(range=pb.TimeRange(start=start, end=end))


CASES = [
    ("GetAgentStats", pb.GetAgentStatsRequest(period=hour(ts(YEAR_9999))), "period.hour"),
    ("GetAgentStats", pb.GetAgentStatsRequest(period=span(ts(nanos=-1), OK)), "period.range.start"),
    ("GetAgentStats", pb.GetAgentStatsRequest(period=span(OK, ts(YEAR_9999 + 10**9))), "period.range.end"),
    ("GetQueueStats", pb.GetQueueStatsRequest(period=hour(ts(nanos=2_000_000_000))), "period.hour"),
    ("GetQueueStats", pb.GetQueueStatsRequest(service_level_threshold=dur(10**18)), "service_level_threshold"),
    ("GetQueueStats", pb.GetQueueStatsRequest(service_level_threshold=dur(1, -5)), "service_level_threshold"),
    ("GetLead", pb.GetLeadRequest(lead_id="L1", period=hour(ts(-62135596801))), "period.hour"),
    ("ListLeads", pb.ListLeadsRequest(period=span(OK, ts(YEAR_9999))), "period.range.end"),
    ("ListCallRecords", pb.ListCallRecordsRequest(received=pb.TimeRange(start=ts(YEAR_9999))), "received.start"),
    ("ListCallRecords", pb.ListCallRecordsRequest(received=pb.TimeRange(end=ts(nanos=-7))), "received.end"),
    ("ListCallRecords", pb.ListCallRecordsRequest(min_talk_time=dur(-5)), "min_talk_time"),
    ("ListCallRecords", pb.ListCallRecordsRequest(max_talk_time=dur(10**15)), "max_talk_time"),
    ("ListCallRecords", pb.ListCallRecordsRequest(max_talk_time=dur(0, 2_000_000_000)), "max_talk_time"),
    ("CreateLead", pb.CreateLeadRequest(lead_id="L1", occurred_at=ts(YEAR_9999)), "occurred_at"),
    ("CreateLead", pb.CreateLeadRequest(lead_id="L1", occurred_at=ts(1, -1)), "occurred_at"),
    ("AssignLead", pb.AssignLeadRequest(lead_id="L1", agent_id="anna", occurred_at=ts(10**12)), "occurred_at"),
    ("ChangeLeadStage", pb.ChangeLeadStageRequest(lead_id="L1", stage="lead", occurred_at=ts(5)), "occurred_at"),
    ("GetBoard", pb.GetBoardRequest(overdue_after=dur(2**62)), "overdue_after"),
    ("GetBoard", pb.GetBoardRequest(overdue_after=dur(1, -1)), "overdue_after"),
    ("GetBoard", pb.GetBoardRequest(overdue_after=dur(0, -(10**9))), "overdue_after"),
]


@pytest.mark.parametrize(("rpc", "request_", "field"), CASES)
async def test_an_out_of_range_time_or_duration_is_invalid_argument_naming_the_field(stats_stub, rpc, request_, field):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await getattr(stats_stub, rpc)(request_, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith(field + ":"), refused.value.details()


async def test_times_at_the_edges_of_the_window_are_taken(stats_stub):
    first, last = ts(946_684_800), ts(4_102_444_799, 999_999_999)  # 2000-01-01, 2099-12-31T23:59:59.999
    await stats_stub.CreateLead(pb.CreateLeadRequest(lead_id="L-first", occurred_at=first))
    # A period spans at most 400 days (callcenter.core.time_bounds.MAX_PERIOD_DAYS): one at each edge.
    await stats_stub.GetAgentStats(pb.GetAgentStatsRequest(period=span(first, ts(946_684_800 + 400 * 86_400))))
    await stats_stub.GetAgentStats(pb.GetAgentStatsRequest(period=span(ts(4_102_444_800 - 400 * 86_400), last)))
    await stats_stub.ListCallRecords(pb.ListCallRecordsRequest(received=pb.TimeRange(start=first, end=last)))


async def test_a_lead_stored_with_an_unreadable_time_is_skipped_and_counted_by_every_listing(
    script, make_consumer, stats
):
    # As CreateLead(occurred_at=9999-12-31T23:59:59Z) stored it before the window was enforced.
    script.at(YEAR_9999 * 1000)
    await script.emit("LEAD_CREATED", lead_id="L-future", lead_stage="lead")
    script.at("2026-03-02 09:00")
    await script.emit("LEAD_CREATED", lead_id="L-good", lead_stage="lead")
    await make_consumer().drain()
    day = PeriodSpec(day="2026-03-02")
    for which in ("all", "not_called", "cadence_broken", "improper_refusal"):
        listed = await stats.leads(which, day)
        assert "L-future" not in [lead.lead_id for lead in listed]
    assert [lead.lead_id for lead in await stats.leads("all", day)] == ["L-good"]
    assert stats.lead_reader.unreadable == 5  # once per listing that met it


async def test_list_leads_over_grpc_still_answers_after_a_lead_with_an_unreadable_time(
    script, make_consumer, start_stats
):
    from callcenter.api.stats.v1 import stats_pb2_grpc

    script.at(YEAR_9999 * 1000)
    await script.emit("LEAD_CREATED", lead_id="L-future", lead_stage="lead")
    script.at("2026-03-02 09:00")
    await script.emit("LEAD_CREATED", lead_id="L-good", lead_stage="lead")
    await make_consumer().drain()
    service = await start_stats()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        reply = await stub.ListLeads(pb.ListLeadsRequest(period=pb.Period(day="2026-03-02")), timeout=10)
        assert [lead.lead_id for lead in reply.leads] == ["L-good"]
        with pytest.raises(grpc.aio.AioRpcError) as damaged:
            await stub.GetLead(pb.GetLeadRequest(lead_id="L-future"), timeout=10)
        assert damaged.value.code() == grpc.StatusCode.DATA_LOSS


async def test_a_call_record_with_an_unreadable_time_is_skipped_and_counted(script, make_consumer, stats, stats_clock):
    await script.login("anna", ["sales"])
    await script.answered_call("c-good", "sales", "anna", ring_s=2, talk_s=10)
    await script.receive("c-bad", "sales")
    await script.offer("c-bad", "anna")
    script.now = (YEAR_9999 + 10**9) * 1000  # past what a Timestamp can hold
    await script.answer("c-bad")
    await make_consumer().drain()
    from callcenter.services.stats.model import CallFilter

    records, _ = await stats.call_records(CallFilter(received=Range(utc_ms("2026-03-02 00:00"), 2**62)), 50, "")
    assert [r.call_id for r in records] == ["c-good"]
    assert stats.call_reader.unreadable == 1


CENTURY = span(ts(946_684_800), ts(4_102_444_799))  # 2000-01-01 .. 2099-12-31: ~876,600 hours


@pytest.mark.parametrize(
    ("rpc", "request_", "field"),
    [
        # Beyond 400 days (callcenter.core.time_bounds.MAX_PERIOD_DAYS), before any bucket is counted.
        ("GetAgentStats", pb.GetAgentStatsRequest(period=CENTURY, agent_ids=["anna"]), "period.range.end"),
        ("GetQueueStats", pb.GetQueueStatsRequest(period=CENTURY, queues=["sales"]), "period.range.end"),
        ("GetAgentStats", pb.GetAgentStatsRequest(agent_ids=[f"a{i}" for i in range(1_001)]), "agent_ids"),
        ("GetQueueStats", pb.GetQueueStatsRequest(queues=[f"q{i}" for i in range(1_001)]), "queues"),
    ],
)
async def test_figures_too_big_to_sum_are_invalid_argument_at_once_not_a_hang(stats_stub, rpc, request_, field):
    """A century of hourly buckets took minutes and held the whole service (its event loop)
    meanwhile; 20,000 agent ids ran past any deadline. Both are refused before any read."""
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await getattr(stats_stub, rpc)(request_, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith(field + ":"), refused.value.details()


async def test_a_year_for_one_agent_and_one_name_given_many_times_are_answered(stats_stub):
    year = span(ts(1_735_689_600), ts(1_767_225_600))  # 2025
    reply = await stats_stub.GetAgentStats(pb.GetAgentStatsRequest(period=year, agent_ids=["anna"]), timeout=30)
    assert [a.agent_id for a in reply.agents] == ["anna"]
    reply = await stats_stub.GetQueueStats(pb.GetQueueStatsRequest(queues=["sales"] * 20_000), timeout=30)
    assert [q.queue for q in reply.queues] == ["sales"]  # each name once
