"""Stats at its edges: poison events, thresholds, apply order, page tokens, time zones,
overflow filters (each found by a review and pinned here)."""

from __future__ import annotations

import base64
import json

import grpc
import pytest

from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.core.event_stream import stream_key
from callcenter.services.stats.config import Figures
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import CallFilter, Range
from callcenter.services.stats.stats import PeriodSpec, Stats
from tests.stats_fixtures import utc_ms

DAY = Range(utc_ms("2026-03-02 00:00"), utc_ms("2026-03-03 00:00"))


async def test_failing_event_reaches_dead_letter_with_default_retries(make_consumer, redis, tenant):
    await redis.xadd(stream_key(tenant), {"type": "CALL_RECEIVED", "time": "not a number", "call_id": "c1"})
    consumer = make_consumer(max_deliveries=3, claim_idle_ms=0)
    for _ in range(6):
        await consumer.step(block_ms=None)
    assert (await redis.xpending(stream_key(tenant), "stats"))["pending"] == 0
    dead = await redis.xrange(StatsKeys(tenant).dead_letters)
    assert len(dead) == 1 and dead[0][1]["call_id"] == "c1"
    assert consumer.duplicates == 0


async def test_failing_event_leaves_no_partial_effects(script, make_consumer, stats, redis, tenant):
    await script.login("anna", ["sales"])
    await script.receive("c1", "sales")
    await script.offer("c1", "anna")
    script.advance(2)
    await script.answer("c1")
    script.advance(40)
    await script.emit(
        "CALL_COMPLETED", call_id="c1", agent_id="anna", queue="sales", agent_state="available",
        call_state="completed", duration_ms="40000.5", attempt=1,
    )  # fmt: skip
    consumer = make_consumer(max_deliveries=5, claim_idle_ms=0)
    for _ in range(8):
        await consumer.step(block_ms=None)
    record = await stats.call_record("c1")
    # either the event counted completely, or not at all (and is in the dead-letter stream)
    (anna,) = await stats.figure_reader.agents(["anna"], DAY, stats.clock.now_ms())
    dead = await redis.xrange(StatsKeys(tenant).dead_letters)
    if record.outcome == "completed":
        assert anna.handled == 1
    else:
        assert len(dead) == 1


async def test_a_call_waiting_exactly_the_threshold_is_not_overdue(script, make_consumer, stats):
    await script.receive("c1", "sales")
    await script.queue("c1")
    await make_consumer().drain()
    board = await stats.board_reader.board(script.calls["c1"]["received"] + 60_000, 60_000)
    (sales,) = board.queues
    assert sales.waiting == 1
    assert sales.overdue == 0 and board.overdue == []


async def test_service_level_threshold_above_an_hour(script, make_consumer, stats):
    await script.login("anna", ["sales"])
    await script.answered_call("c1", "sales", "anna", ring_s=2, talk_s=10, wait_s=7200)
    await make_consumer().drain()
    (sales,) = await stats.figure_reader.queues(["sales"], DAY, 5400)
    assert sales.answered == 1
    assert sales.answered_within == 0  # waited 7202 s > 5400 s


async def test_last_representable_day_is_invalid_argument(stats_stub):
    period = pb.Period(time_zone="UTC", day="9999-12-31")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stats_stub.GetAgentStats(pb.GetAgentStatsRequest(period=period))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "period" in err.value.details()


async def _apply_backwards(make_consumer, redis, tenant: str) -> str:
    """Copies the tenant's stream to a second tenant and applies it there in reverse order."""
    reordered = tenant + "r"
    for _id, fields in await redis.xrange(stream_key(tenant)):
        await redis.xadd(stream_key(reordered), fields)
    backwards = make_consumer("backwards", tenant=reordered)
    entries = await backwards.read_new(block_ms=None)
    await backwards.ack(await backwards.apply(list(reversed(entries))))
    return reordered


async def test_refusal_attribution_does_not_depend_on_apply_order(make_consumer, stats, redis, tenant, stats_clock):
    await stats.lead_created("L1", "", "lead", utc_ms("2026-03-02 08:00"))
    await stats.lead_assigned("L1", "anna", utc_ms("2026-03-02 08:30"))
    await stats.lead_stage_changed("L1", "refused", "", utc_ms("2026-03-02 09:00"))
    reordered = await _apply_backwards(make_consumer, redis, tenant)
    await make_consumer().drain()
    other = Stats(redis, reordered, stats_clock, Figures())
    forwards = await stats.lead("L1", PeriodSpec(day="2026-03-02"))
    backwards = await other.lead("L1", PeriodSpec(day="2026-03-02"))
    assert forwards.refused_by == "anna"
    assert backwards.refused_by == forwards.refused_by


async def test_agent_index_uses_arrival_time_in_any_apply_order(
    script, make_consumer, stats, redis, tenant, stats_clock
):
    script.at("2026-03-02 10:00")
    await script.receive("c1", "sales")
    await script.queue("c1")
    script.advance(300)
    await script.offer("c1", "boris")
    script.advance(15)
    await script.miss("c1", "no_answer")
    script.advance(5)
    await script.abandon("c1")
    reordered = await _apply_backwards(make_consumer, redis, tenant)
    await make_consumer().drain()
    other = Stats(redis, reordered, stats_clock, Figures())
    f = CallFilter(received=Range(utc_ms("2026-03-02 10:00"), utc_ms("2026-03-02 10:01")), agent_id="boris")
    mine, _ = await stats.call_records(f, 10, "")
    theirs, _ = await other.call_records(f, 10, "")
    assert [r.call_id for r in mine] == ["c1"]
    assert [r.call_id for r in theirs] == ["c1"]


@pytest.mark.parametrize("payload", [{"max": 1e400, "offset": 0}, {"max": 1, "offset": 2**70}])
async def test_tampered_page_token_is_invalid_argument(stats_stub, payload):
    token = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stats_stub.ListCallRecords(pb.ListCallRecordsRequest(page_size=10, page_token=token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in err.value.details()


@pytest.mark.parametrize("time_zone", ["Europe", "x" * 300])
async def test_bad_time_zone_is_invalid_argument(stats_stub, time_zone):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stats_stub.GetQueueStats(pb.GetQueueStatsRequest(period=pb.Period(time_zone=time_zone)))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "time_zone" in err.value.details()


async def test_queue_filter_keeps_calls_that_overflowed_through_the_queue(script, make_consumer, stats):
    script.at("2026-03-02 10:00")
    await script.receive("c1", "sales")
    await script.queue("c1")
    script.advance(60)
    await script.overflow("c1", to_queue="support")
    await script.queue("c1")
    script.at("2026-03-02 10:10")
    await script.receive("c2", "sales")
    await script.queue("c2")
    script.advance(60)
    await script.overflow("c2", to_queue="support")
    await script.queue("c2")
    script.advance(60)
    await script.overflow("c2", to_queue="billing")
    await script.queue("c2")
    script.advance(10)
    await script.abandon("c2")
    await make_consumer().drain()
    records, _ = await stats.call_records(CallFilter(queue="support"), 10, "")
    assert sorted(r.call_id for r in records) == ["c1", "c2"]


async def test_per_caller_index_expires_with_its_records(script, make_consumer, redis, tenant):
    await script.login("anna", ["sales"])
    await script.answered_call("c1", "sales", "anna", ring_s=2, talk_s=10, caller="+4930111")
    await make_consumer().drain()
    keys = StatsKeys(tenant)
    assert await redis.ttl(keys.call("c1")) > 0  # the record itself expires ...
    assert await redis.exists(keys.calls_by("caller", "+4930111"))
    assert await redis.ttl(keys.calls_by("caller", "+4930111")) > 0  # ... its caller index never does


async def test_a_call_arriving_between_pages_does_not_shift_them(script, make_consumer, stats):
    consumer = make_consumer()
    script.at("2026-03-02 17:00")
    await script.receive("c1", "sales")
    script.at("2026-03-02 17:10")
    await script.receive("c2", "sales")
    await consumer.drain()
    first, token = await stats.call_records(CallFilter(), 1, "")
    assert [r.call_id for r in first] == ["c2"] and token
    script.at(stats.clock.now_ms() - 20)  # received just before the first page, applied after it
    await script.receive("c3", "sales")
    await consumer.drain()
    second, _ = await stats.call_records(CallFilter(), 1, token)
    assert [r.call_id for r in second] == ["c1"]


async def test_unknown_outcome_filter_is_invalid_argument(stats_stub):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stats_stub.ListCallRecords(pb.ListCallRecordsRequest(page_size=10, outcome=99))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "outcome" in err.value.details()


async def test_asa_of_an_overflow_queue_counts_only_the_wait_in_it(script, make_consumer, stats):
    await script.login("anna", ["support"])
    script.at("2026-03-02 10:00")
    await script.receive("c1", "sales")
    await script.queue("c1")
    script.advance(60)
    await script.overflow("c1", to_queue="support")
    await script.queue("c1")
    script.advance(10)
    await script.offer("c1", "anna")
    await script.answer("c1")
    await make_consumer().drain()
    (support,) = await stats.figure_reader.queues(["support"], DAY, 20)
    assert (support.offered, support.answered) == (1, 1)
    assert support.average_speed_of_answer_ms == 10_000
