"""Call records (S1.1): one per call with every offer and its outcome, ring, talk and
wrap-up times and recordings; filtered by agent, dates, talk time, outcome, queue, caller;
paged."""

from __future__ import annotations

import pytest

from callcenter.services.stats.model import CallFilter, InvalidArgument, NotFound, OfferRecord, Range
from tests.stats_fixtures import utc_ms


async def five_calls(script) -> None:
    script.at("2026-03-02 09:00")
    await script.receive("c1", "sales", caller="+4930100")
    await script.offer("c1", "boris")
    script.advance(5)
    await script.miss("c1", "no_answer")
    await script.offer("c1", "anna")
    script.advance(2)
    await script.answer("c1")
    script.advance(45)
    await script.complete("c1")
    script.advance(10)
    await script.end_wrap_up("c1")
    await script.emit("RECORDING_STORED", call_id="c1", agent_id="anna", recording_id="R1", duration_ms=45_000)
    script.at("2026-03-02 10:00")
    await script.receive("c2", "sales", caller="+4930999")
    await script.queue("c2")
    script.advance(30)
    await script.abandon("c2")
    script.at("2026-03-02 11:00")
    await script.answered_call("c3", "support", "boris", ring_s=1, talk_s=10, caller="+4930300")
    script.at("2026-03-02 12:00")
    await script.receive("c4", "sales", caller="+4930400")
    await script.offer("c4", "anna")
    script.at("2026-03-03 08:00")
    await script.receive("c5", "sales", caller="+4930500")
    await script.queue("c5")
    script.advance(120)
    await script.time_out("c5")


async def ids(stats, **filters) -> list[str]:
    records, token = await stats.call_records(CallFilter(**filters), 50, "")
    assert token == ""
    return [r.call_id for r in records]


async def test_a_record_holds_every_offer_and_the_times(script, make_consumer, stats):
    await five_calls(script)
    await make_consumer().drain()
    c1 = await stats.call_record("c1")
    assert (c1.caller, c1.queue, c1.outcome, c1.agent_id) == ("+4930100", "sales", "completed", "anna")
    assert c1.offers == [OfferRecord(1, "boris", "no_answer", 5000), OfferRecord(2, "anna", "answered", 2000)]
    assert (c1.wait_ms, c1.ring_ms, c1.talk_ms, c1.wrap_ms) == (7000, 7000, 45_000, 10_000)
    assert c1.received_ms == utc_ms("2026-03-02 09:00")
    assert c1.answered_ms == utc_ms("2026-03-02 09:00:07") and c1.ended_ms == utc_ms("2026-03-02 09:00:52")
    assert c1.recording_ids == ["R1"]
    c4 = await stats.call_record("c4")
    assert c4.outcome == "in_progress" and c4.offers == [OfferRecord(1, "anna", "ringing", 0)]
    with pytest.raises(NotFound):
        await stats.call_record("nope")


async def test_records_are_filtered(script, make_consumer, stats, stats_clock):
    await five_calls(script)
    await make_consumer().drain()
    stats_clock.advance(86_400)
    assert await ids(stats) == ["c5", "c4", "c3", "c2", "c1"]
    assert await ids(stats, agent_id="boris") == ["c3", "c1"]
    assert await ids(stats, agent_id="boris", missed_only=True) == ["c1"]
    assert await ids(stats, missed_only=True) == ["c5", "c2"]
    assert await ids(stats, outcome="abandoned") == ["c2"]
    assert await ids(stats, outcome="in_progress") == ["c4"]
    assert await ids(stats, caller="+4930999") == ["c2"]
    assert await ids(stats, queue="support") == ["c3"]
    assert await ids(stats, min_talk_ms=30_000) == ["c1"]
    assert await ids(stats, max_talk_ms=20_000, outcome="completed") == ["c3"]
    day2 = Range(utc_ms("2026-03-03 00:00"), utc_ms("2026-03-04 00:00"))
    assert await ids(stats, received=day2) == ["c5"]
    assert await ids(stats, received=day2, queue="support") == []


async def test_pages_do_not_shift_when_new_calls_arrive(script, make_consumer, stats, stats_clock):
    await five_calls(script)
    await make_consumer().drain()
    stats_clock.advance(86_400)
    first, token = await stats.call_records(CallFilter(), 2, "")
    assert [r.call_id for r in first] == ["c5", "c4"]
    script.at("2026-03-03 18:05")
    await script.receive("c6", "sales")  # arrives between two page requests
    await make_consumer().drain()
    second, token = await stats.call_records(CallFilter(), 2, token)
    third, last = await stats.call_records(CallFilter(), 2, token)
    assert [r.call_id for r in second + third] == ["c3", "c2", "c1"]
    assert last == ""
    with pytest.raises(InvalidArgument, match="^page_token"):
        await stats.call_records(CallFilter(), 2, "garbage")
