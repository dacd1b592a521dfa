"""Leads (S4): attempts today and in total, conversations, successful touches (longer than
30 s), the cadence rule (3 attempts within 5 calendar days), leads nobody called on a day,
improper refusals (refused after fewer than 15 contacts)."""

from __future__ import annotations

import pytest

from callcenter.services.stats.model import InvalidArgument, NotFound
from callcenter.services.stats.stats import PeriodSpec
from tests.stats_fixtures import utc_ms


async def attempt(script, lead_id: str, when: str, talk_s: float | None = None) -> None:
    """A call carrying the lead id: answered with talk_s of talk, or abandoned unanswered."""
    script.at(when)
    call_id = f"{lead_id}@{script.now}"
    if talk_s is None:
        await script.receive(call_id, "sales", lead_id=lead_id)
        script.advance(20)
        await script.abandon(call_id)
    else:
        await script.answered_call(call_id, "sales", "anna", ring_s=2, talk_s=talk_s, lead_id=lead_id)


async def test_attempts_conversations_and_successful_touches(script, make_consumer, stats, stats_clock):
    await stats.lead_created("L1", "anna", "", utc_ms("2026-03-02 10:00"))
    await attempt(script, "L1", "2026-03-02 11:00", talk_s=30)  # exactly 30 s: not a successful touch
    await attempt(script, "L1", "2026-03-03 11:00", talk_s=31)
    await attempt(script, "L1", "2026-03-03 15:00")
    await make_consumer().drain()
    stats_clock.advance(86_400)
    lead = await stats.lead("L1", PeriodSpec(day="2026-03-03"))
    assert (lead.stage, lead.agent_id, lead.created_ms) == ("lead", "anna", utc_ms("2026-03-02 10:00"))
    assert (lead.attempts_today, lead.attempts_total, lead.conversations, lead.successful_touches) == (2, 3, 2, 1)
    assert (lead.cadence, lead.cadence_attempts) == ("met", 3)


@pytest.mark.parametrize(
    ("third_attempt", "now", "cadence"),
    [
        ("2026-03-06 23:59", "2026-03-10 12:00", "met"),  # day 5 (creation day is day 1)
        ("2026-03-07 00:00", "2026-03-10 12:00", "broken"),  # day 6: too late
        (None, "2026-03-06 12:00", "pending"),  # two attempts, day 5 not over yet
        (None, "2026-03-07 00:00", "broken"),  # two attempts, the window is over
    ],
)
async def test_three_attempts_within_five_calendar_days(script, make_consumer, stats, stats_clock, third_attempt, now,
                                                        cadence):  # fmt: skip
    await stats.lead_created("L2", "anna", "lead", utc_ms("2026-03-02 17:00"))
    await attempt(script, "L2", "2026-03-02 18:00")
    await attempt(script, "L2", "2026-03-04 09:00")
    if third_attempt:
        await attempt(script, "L2", third_attempt)
    await make_consumer().drain()
    stats_clock.advance((utc_ms(now) - stats_clock.now_ms()) / 1000)
    assert (await stats.lead("L2", PeriodSpec())).cadence == cadence


async def test_the_cadence_days_are_calendar_days_of_the_requested_time_zone(script, make_consumer, stats,
                                                                            stats_clock):  # fmt: skip
    # created 20:00 UTC on March 2 = 01:30 on March 3 in Kolkata: day 5 there ends 18:30 UTC March 7
    await stats.lead_created("L3", "anna", "lead", utc_ms("2026-03-02 20:00"))
    for when in ("2026-03-02 21:00", "2026-03-04 09:00", "2026-03-07 12:00"):
        await attempt(script, "L3", when)
    await make_consumer().drain()
    stats_clock.advance((utc_ms("2026-03-12 00:00") - stats_clock.now_ms()) / 1000)
    assert (await stats.lead("L3", PeriodSpec(time_zone="UTC"))).cadence == "broken"
    assert (await stats.lead("L3", PeriodSpec(time_zone="Asia/Kolkata"))).cadence == "met"


async def test_refused_after_fewer_than_15_contacts_is_improper(script, make_consumer, stats):
    for lead_id, contacts in (("L14", 14), ("L15", 15)):
        await stats.lead_created(lead_id, "anna", "lead", utc_ms("2026-03-02 08:00"))
        for i in range(contacts):
            await attempt(script, lead_id, f"2026-03-02 09:{i:02d}")
    await stats.lead_stage_changed("L14", "in_work", "", utc_ms("2026-03-02 10:00"))
    await stats.lead_stage_changed("L14", "refused", "", utc_ms("2026-03-02 11:00"))
    await stats.lead_assigned("L15", "boris", utc_ms("2026-03-02 10:30"))
    await stats.lead_stage_changed("L15", "refused", "", utc_ms("2026-03-02 11:00"))
    await attempt(script, "L14", "2026-03-02 12:00")  # after the refusal: does not count
    await make_consumer().drain()
    l14, l15 = await stats.lead("L14", PeriodSpec()), await stats.lead("L15", PeriodSpec())
    assert (l14.stage, l14.improper_refusal, l14.refused_by) == ("refused", True, "anna")
    assert l14.refused_ms == utc_ms("2026-03-02 11:00")
    assert (l15.improper_refusal, l15.refused_by) == (False, "boris")
    assert [lead.lead_id for lead in await stats.leads("improper_refusal", PeriodSpec())] == ["L14"]


async def test_the_agent_who_refuses_is_the_one_flagged(script, make_consumer, stats):
    await stats.lead_created("L1", "anna", "lead", utc_ms("2026-03-02 08:00"))
    await stats.lead_stage_changed("L1", "refused", "carl", utc_ms("2026-03-02 09:00"))
    await make_consumer().drain()
    (lead,) = await stats.leads("improper_refusal", PeriodSpec(), agent_id="anna")
    assert (lead.lead_id, lead.refused_by, lead.agent_id) == ("L1", "carl", "anna")


async def test_the_daily_list_of_leads_nobody_called(script, make_consumer, stats):
    for lead_id, created in (("A", "2026-03-01 09:00"), ("B", "2026-03-02 09:00"), ("C", "2026-03-02 10:00"),
                             ("D", "2026-03-02 11:00"), ("E", "2026-03-03 09:00")):  # fmt: skip
        await stats.lead_created(lead_id, "anna", "lead", utc_ms(created))
    await attempt(script, "A", "2026-03-01 12:00")  # called, but the day before
    await attempt(script, "B", "2026-03-02 12:00")  # called on the day
    await stats.lead_stage_changed("D", "fulfilled", "anna", utc_ms("2026-03-02 11:30"))  # closed
    await make_consumer().drain()
    # E was created the day after
    not_called = await stats.leads("not_called", PeriodSpec(day="2026-03-02"))
    assert [lead.lead_id for lead in not_called] == ["A", "C"]


async def test_a_lead_first_seen_on_a_call_is_known(script, make_consumer, stats):
    await attempt(script, "CRM-9", "2026-03-02 09:00", talk_s=45)
    await make_consumer().drain()
    lead = await stats.lead("CRM-9", PeriodSpec(day="2026-03-02"))
    assert (lead.attempts_today, lead.conversations, lead.successful_touches) == (1, 1, 1)
    assert lead.created_ms == utc_ms("2026-03-02 09:00")
    assert (await stats.call_record(f"CRM-9@{utc_ms('2026-03-02 09:00')}")).lead_id == "CRM-9"


async def test_bad_lead_reports_are_refused(stats):
    with pytest.raises(InvalidArgument, match="^stage"):
        await stats.lead_created("L1", "", "won", None)
    with pytest.raises(InvalidArgument, match="^lead_id"):
        await stats.lead_stage_changed("", "refused", "", None)
    with pytest.raises(NotFound):
        await stats.lead("nobody", PeriodSpec())
