"""Agent and queue figures over periods, checked against hand-computed values (every formula
is in docs/stats.md), and time-zone day boundaries."""

from __future__ import annotations

import pytest

from callcenter.services.stats.config import Figures
from callcenter.services.stats.stats import PeriodSpec, Stats
from tests.stats_fixtures import utc_ms

UTC_DAY = PeriodSpec(day="2026-03-02")


async def anna_morning(script) -> None:
    """anna's morning in queue sales (UTC):
    08:00 login; c1 rings 4 s, 30 s talk, 20 s wrap-up; c2 waits 10 s, rings 6 s, 31 s talk,
    20 s wrap-up; c3 rejected after 2 s, caller hangs up at 25 s; c4 rings 5 s (no answer),
    caller hangs up at 8 s; c5 hangs up after 4 s waiting; 09:00-09:30 lunch; 10:00 logout."""
    script.at("2026-03-02 08:00")
    await script.login("anna", ["sales"])
    script.at("2026-03-02 08:10")
    await script.answered_call("c1", "sales", "anna", ring_s=4, talk_s=30, wrap_s=20)
    script.at("2026-03-02 08:20")
    await script.answered_call("c2", "sales", "anna", ring_s=6, talk_s=31, wrap_s=20, wait_s=10)
    script.at("2026-03-02 08:30")
    await script.receive("c3", "sales")
    await script.offer("c3", "anna")
    script.advance(2)
    await script.miss("c3", "rejected")
    await script.queue("c3")
    script.advance(23)
    await script.abandon("c3")
    script.at("2026-03-02 08:40")
    await script.receive("c4", "sales")
    await script.offer("c4", "anna")
    script.advance(5)
    await script.miss("c4", "timeout")
    await script.queue("c4")
    script.advance(3)
    await script.abandon("c4")
    script.at("2026-03-02 08:50")
    await script.receive("c5", "sales")
    await script.queue("c5")
    script.advance(4)
    await script.abandon("c5")
    script.at("2026-03-02 09:00")
    await script.pause("anna", "lunch")
    script.at("2026-03-02 09:30")
    await script.resume("anna")
    script.at("2026-03-02 10:00")
    await script.logout("anna")


async def test_agent_figures_of_a_day(script, make_consumer, stats):
    await anna_morning(script)
    await make_consumer().drain()
    _range, (anna,) = await stats.agent_figures(UTC_DAY, ["anna"])
    assert (anna.offered, anna.answered, anna.missed, anna.rejected, anna.handled) == (4, 2, 1, 1, 2)
    assert (anna.talk_ms, anna.average_talk_ms, anna.ring_ms, anna.wrap_ms) == (61_000, 30_500, 17_000, 40_000)
    # talk longer than 30 s: c2 (31 s) only; c1 talked exactly 30 s
    assert anna.successful_touches == 1
    # 1 bonus per handled call, 1 penalty per miss and per rejection: 2 - 1 - 1
    assert anna.score == 0
    assert anna.logged_in_ms == 2 * 3600_000
    assert anna.state_ms["paused"] == 1800_000
    assert anna.state_ms["on_call"] == 61_000 and anna.state_ms["wrap_up"] == 40_000
    assert anna.state_ms["reserved"] == 17_000
    assert anna.state_ms["available"] == 7200_000 - 1800_000 - 61_000 - 40_000 - 17_000
    # (on call + wrap-up) / (on call + wrap-up + ringing + available)
    assert anna.occupancy == pytest.approx(101 / 5400)


async def test_the_score_follows_the_configured_bonus_and_penalties(script, make_consumer, redis, tenant, stats_clock):
    await anna_morning(script)
    await make_consumer().drain()
    weights = Figures(score_handled_bonus=10, score_missed_penalty=3, score_rejected_penalty=5)
    _range, (anna,) = await Stats(redis, tenant, stats_clock, weights).agent_figures(UTC_DAY, ["anna"])
    assert anna.score == 10 * 2 - 3 * 1 - 5 * 1


async def test_queue_figures_of_a_day(script, make_consumer, stats):
    await anna_morning(script)
    await make_consumer().drain()
    _range, threshold, (sales,) = await stats.queue_figures(UTC_DAY, ["sales"])
    assert threshold == 20
    assert (sales.offered, sales.answered, sales.abandoned, sales.short_abandoned) == (5, 2, 3, 1)
    # c1 waited 4 s, c2 16 s: both within 20 s
    assert sales.answered_within == 2
    # 2 / (answered 2 + abandoned 3 - short 1)
    assert sales.service_level_percent == 50.0 and not sales.service_level_met
    assert sales.average_speed_of_answer_ms == 10_000  # (4 + 16) / 2
    assert sales.average_handle_ms == 50_500  # (61 s talk + 40 s wrap-up) / 2 handled
    assert sales.abandonment_rate_percent == 60.0  # 3 / 5


async def test_the_service_level_threshold_is_chosen_per_request(script, make_consumer, stats):
    await anna_morning(script)
    await make_consumer().drain()
    _range, _t, (sales,) = await stats.queue_figures(UTC_DAY, ["sales"], threshold_s=16)
    assert sales.answered_within == 2  # c2 waited exactly 16 s: within
    _range, _t, (sales,) = await stats.queue_figures(UTC_DAY, ["sales"], threshold_s=15)
    assert sales.answered_within == 1 and sales.service_level_percent == 25.0


async def test_an_hour_and_a_custom_range_are_sums_of_their_buckets(script, make_consumer, stats):
    await anna_morning(script)
    await make_consumer().drain()
    hour = PeriodSpec(hour_ms=utc_ms("2026-03-02 08:00"))
    _r, (sales,) = (await stats.queue_figures(hour, ["sales"]))[0::2]
    assert sales.offered == 5
    # 08:15-08:45 holds c2, c3 and c4
    r, _t, (sales,) = await stats.queue_figures(
        PeriodSpec(range_ms=(utc_ms("2026-03-02 08:15"), utc_ms("2026-03-02 08:45"))), ["sales"]
    )
    assert (sales.offered, sales.answered, sales.abandoned) == (3, 1, 2)
    # a range not on quarter hours is widened to them
    r, _t, _q = await stats.queue_figures(
        PeriodSpec(range_ms=(utc_ms("2026-03-02 08:16"), utc_ms("2026-03-02 08:31"))), ["sales"]
    )
    assert (r.start_ms, r.end_ms) == (utc_ms("2026-03-02 08:15"), utc_ms("2026-03-02 08:45"))


@pytest.mark.parametrize(
    ("zone", "day", "calls"),
    [
        # 18:20 UTC is 23:50 in Kolkata (UTC+5:30), 18:40 UTC is already 00:10 of the next day
        ("Asia/Kolkata", "2026-03-02", ["k1"]),
        ("Asia/Kolkata", "2026-03-03", ["k2"]),
        # Kathmandu is UTC+5:45: its day ends at 18:15 UTC, before both calls
        ("Asia/Kathmandu", "2026-03-03", ["k1", "k2"]),
        ("UTC", "2026-03-02", ["k1", "k2"]),
        # New York (UTC-5): both calls are in the afternoon of March 2
        ("America/New_York", "2026-03-02", ["k1", "k2"]),
    ],
)
async def test_a_day_is_the_local_day_of_its_time_zone(script, make_consumer, stats, zone, day, calls):
    script.at("2026-03-02 18:20")
    await script.answered_call("k1", "sales", "anna", ring_s=1, talk_s=10)
    script.at("2026-03-02 18:40")
    await script.answered_call("k2", "sales", "anna", ring_s=1, talk_s=10)
    await make_consumer().drain()
    _r, _t, (sales,) = await stats.queue_figures(PeriodSpec(time_zone=zone, day=day), ["sales"])
    assert sales.answered == len(calls)


async def test_a_daylight_saving_day_has_23_hours(stats):
    r, _tz = stats.resolve(PeriodSpec(time_zone="America/New_York", day="2026-03-08"))
    assert r.end_ms - r.start_ms == 23 * 3600_000


async def test_agent_state_time_counts_the_part_of_a_state_inside_the_period(script, make_consumer, stats):
    await anna_morning(script)
    await make_consumer().drain()
    # 09:15-09:45: paused from before the start until 09:30, then available
    spec = PeriodSpec(range_ms=(utc_ms("2026-03-02 09:15"), utc_ms("2026-03-02 09:45")))
    _r, (anna,) = await stats.agent_figures(spec, ["anna"])
    assert anna.state_ms == {"paused": 900_000, "available": 900_000}


async def test_overflow_counts_in_both_queues_and_a_redirect_ends_the_call(script, make_consumer, stats):
    script.at("2026-03-02 08:00")
    await script.receive("o1", "sales")
    await script.queue("o1")
    script.advance(30)
    await script.overflow("o1", to_queue="backup")
    await script.queue("o1")
    script.advance(8)
    await script.offer("o1", "carl")
    script.advance(2)
    await script.answer("o1")
    script.advance(60)
    await script.complete("o1", wrap_up=False)
    await script.receive("o2", "sales")
    await script.overflow("o2", fallback="voicemail", reason="queue_full")
    await make_consumer().drain()
    _r, _t, (backup, sales) = await stats.queue_figures(UTC_DAY, ["backup", "sales"])
    assert (sales.offered, sales.overflowed, sales.answered, sales.service_level_percent) == (2, 2, 0, 0.0)
    assert (backup.offered, backup.answered, backup.answered_within) == (1, 1, 1)
    assert backup.average_speed_of_answer_ms == 10_000  # waited since entering backup (ASA per queue)
    o1, o2 = await stats.call_record("o1"), await stats.call_record("o2")
    assert (o1.queue, o1.final_queue, o1.outcome) == ("sales", "backup", "completed")
    assert (o2.final_queue, o2.outcome) == ("sales", "redirected")
    board = await stats.board()
    assert all((q.waiting, q.ringing, q.in_progress) == (0, 0, 0) for q in board.queues)


async def test_an_agent_paused_after_misses_in_a_row_shows_paused_with_the_reason(script, make_consumer, stats):
    script.at("2026-03-02 08:00")
    await script.login("anna", ["sales"])
    for i in range(3):
        script.advance(10)
        await script.receive(f"m{i}", "sales")
        await script.offer(f"m{i}", "anna")
        script.advance(5)
        await script.miss(f"m{i}", "timeout", agent_state="paused" if i == 2 else "available")
        await script.queue(f"m{i}")
    await script.emit("AGENT_PAUSED", agent_id="anna", agent_state="paused", reason="no_answer")
    await make_consumer().drain()
    board = await stats.board()
    (anna,) = board.agents
    assert (anna.state, anna.pause_reason) == ("paused", "no_answer")
    _r, (figures,) = await stats.agent_figures(UTC_DAY, ["anna"])
    assert (figures.offered, figures.missed, figures.score) == (3, 3, -3)
