"""Outbound work in stats, from a real router's events (its Lua transitions on real Redis, a
driven clock, an open PBX session):
its own figures per queue, campaign and agent, call records that say which way a call went,
and inbound KPIs that outbound calls never touch."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.services.router.campaigns import RetryRules
from callcenter.services.router.outbound import Outbound
from callcenter.services.stats.model import CallFilter
from callcenter.services.stats.stats import PeriodSpec
from tests.campaign_scenes import HOUR, MINUTE, MONDAY_5_UTC, Office, progressive
from tests.helpers import team
from tests.pbx_session_client import ms


async def dial(office, call, outcome):
    return await office.report_dial_outcome(call.call_id, call.offer.offer_id, outcome)


async def talk(router, office, call, seconds: float):
    """The customer answers, they talk (the driven clock moves), the agent hangs up."""
    await dial(office, call, "answered")
    router.clock.advance(seconds)
    await router.hangup(call.call_id)


@pytest.fixture(name="day")
def day_fixture(clock):
    """The period around the router's driven clock."""
    now = clock.now_ms()
    return PeriodSpec(range_ms=(now - 3_600_000, now + 3_600_000))


async def outbound_day(router):
    """anna and boris in sales: one inbound call answered, 20 s; outbound: a 45 s and a 10 s
    conversation (the first of campaign-less lead-1), a busy and a no-answer, a declined preview."""
    office = Outbound(router)
    await team(router, "sales", ["anna", "boris"], wrap_up_ms=0, outbound_pbx="dialer")
    await router.open_pbx_session("dialer", 300_000, "router", 0, False)
    call = await router.route_call("in1", "+491", "sales")
    await router.report_offer_outcome("in1", call.offer.offer_id, "answered")
    router.clock.advance(20)
    await router.hangup("in1")

    async def progressive(call_id, **fields):
        number = "+49300" + call_id[-2:]
        return await office.create_call(call_id, number, "sales", "progressive", "dialer", **fields)

    await talk(router, office, await progressive("o01", deal_id="lead-1"), 45)
    await talk(router, office, await progressive("o02"), 10)
    await dial(office, await progressive("o03"), "busy")
    await dial(office, await progressive("o04"), "no_answer")
    preview = await office.create_call("o05", "+4930005", "sales", "preview", "dialer", agent_id="boris")
    await office.decline("o05", preview.offer.offer_id)


async def test_outbound_calls_count_in_their_own_figures_and_never_in_the_inbound_kpis(
    router, make_consumer, stats, day
):
    await outbound_day(router)
    await make_consumer().drain()
    _, _, queues = await stats.queue_figures(day, ["sales"])
    # the inbound queue saw one call, answered and handled: nothing of the outbound work
    q = queues[0]
    assert (q.offered, q.answered, q.handled, q.abandoned, q.timed_out) == (1, 1, 1, 0, 0)
    assert q.talk_ms == 20_000
    _, agents = await stats.agent_figures(day, ["anna", "boris"])
    assert sum(a.offered for a in agents) == 1 and sum(a.missed + a.rejected for a in agents) == 0

    _, threshold, out_queues, campaigns, out_agents = await stats.outbound_figures(
        day, ["sales"], [], ["anna", "boris"]
    )
    assert threshold == 30
    o = out_queues[0]
    assert (o.calls, o.dialed, o.connected, o.not_connected, o.handled) == (5, 4, 2, 2, 2)
    assert o.not_connected_by_reason == {"busy": 1, "no_answer": 1}  # o05 waits for another agent
    assert o.conversations == 1  # 45 s is a conversation, 10 s is not
    assert o.talk_ms == 55_000 and o.contact_rate_percent == 50.0
    boris = {a.id: a for a in out_agents}["boris"]
    assert boris.declined == 1
    assert sum(a.dialed for a in out_agents) == 4 and sum(a.connected for a in out_agents) == 2


async def test_call_records_say_which_way_a_call_went_and_why_an_outbound_one_did_not_connect(
    router, make_consumer, stats
):
    await outbound_day(router)
    await make_consumer().drain()
    busy = await stats.call_record("o03")
    assert (busy.direction, busy.outcome, busy.not_connected_reason) == ("outbound", "not_connected", "busy")
    assert (await stats.call_record("in1")).direction == "inbound"
    records, _ = await stats.call_records(CallFilter(direction="outbound"), 50, "")
    assert {r.call_id for r in records} == {"o01", "o02", "o03", "o04", "o05"}
    records, _ = await stats.call_records(CallFilter(direction="inbound"), 50, "")
    assert [r.call_id for r in records] == ["in1"]
    first = await stats.call_record("o01")
    assert (first.talk_ms, first.lead_id, first.agent_id) == (45_000, "lead-1", "boris")


async def test_a_campaign_shows_its_attempts_contacts_conversations_and_conversions(
    redis, tenant, make_consumer, stats
):
    office = Office(redis, tenant)
    await office.open()
    numbers = ["+4930700", "+4930701", "+4930702"]
    await office.campaigns.upsert(progressive(retry=RetryRules(no_answer_ms=4 * HOUR, max_attempts=2)))
    await office.campaigns.add_contacts("spring", [(n, f"lead-{n[-1]}") for n in numbers])
    await office.campaigns.start("spring")

    def only_the_first_answers(number, attempt):
        return "answered" if number == numbers[0] else "no_answer"

    await office.run(only_the_first_answers, MONDAY_5_UTC + 2 * 24 * HOUR)
    await make_consumer().drain()
    # the lead reached becomes a sale: the campaign's conversion (once, whatever follows)
    stats.clock = office.clock
    await stats.lead_stage_changed("lead-0", "payment", "", None)
    await stats.lead_stage_changed("lead-0", "fulfilled", "", None)
    await make_consumer().drain()
    period = PeriodSpec(range_ms=(MONDAY_5_UTC, MONDAY_5_UTC + 3 * 24 * HOUR))
    _, _, _, campaigns, _ = await stats.outbound_figures(period, [], [], [])
    spring = {c.id: c for c in campaigns}["spring"]
    assert (spring.calls, spring.dialed, spring.connected, spring.not_connected) == (5, 5, 1, 4)
    assert spring.not_connected_by_reason == {"no_answer": 4}
    assert spring.contacts_by_result == {"reached": 1, "exhausted": 2}
    assert (spring.conversions, spring.conversion_rate_percent, spring.contact_rate_percent) == (1, 100.0, 20.0)
    records, _ = await stats.call_records(CallFilter(campaign_id="spring"), 50, "")
    assert len(records) == 5 and {r.campaign_id for r in records} == {"spring"}


async def test_outbound_stats_over_grpc_refuse_bad_input_naming_the_field(start_stats):
    service = await start_stats()
    from callcenter.api.stats.v1 import stats_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        reply = await stub.GetOutboundStats(spb.GetOutboundStatsRequest())
        assert reply.conversation_threshold.seconds == 30
        for request, field in [
            (spb.GetOutboundStatsRequest(campaign_ids=["bad id!"]), "campaign_ids"),
            (spb.GetOutboundStatsRequest(conversation_threshold=ms(1500)), "conversation_threshold"),
            (spb.GetOutboundStatsRequest(conversation_threshold=ms(90_000_000)), "conversation_threshold"),
            (spb.ListCallRecordsRequest(direction=7), "direction"),
            (spb.ListCallRecordsRequest(campaign_id="a b"), "campaign_id"),
        ]:
            rpc = stub.GetOutboundStats if isinstance(request, spb.GetOutboundStatsRequest) else stub.ListCallRecords
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await rpc(request)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in err.value.details()


async def test_the_dialler_empties_the_days_list_of_untried_leads_and_meets_their_cadence(
    redis, tenant, make_consumer, stats
):
    """S4.1-S4.3, S4.6: five new leads of the morning; the cadence dialler tries each (nobody
    answers): the day's list of leads nobody tried shrinks to none, their cadence is met
    within the window, and refusing one after its three attempts is still an improper
    refusal (fewer than the 15 contacts the rule asks)."""
    office = Office(redis, tenant, start_ms=MONDAY_5_UTC + 3 * HOUR)  # 09:00 in Berlin
    stats.clock = office.clock
    await office.open(agents=("a1", "a2", "a3", "a4", "a5"))
    cadence = progressive(
        "cadence",
        source="new_leads",
        retry=RetryRules(max_attempts=3, spread_ms=20 * HOUR, no_answer_ms=HOUR, call_reached_again=True),
    )
    await office.campaigns.upsert(cadence)
    await office.campaigns.start("cadence")
    for n in range(5):
        await stats.lead_created(f"lead-{n}", "a1", "lead", None, client_number=f"+4940{n:04}")
        await office.campaigns.add_new_lead(f"+4940{n:04}", f"lead-{n}")
    await make_consumer().drain()
    today = PeriodSpec(time_zone="Europe/Berlin", day="2026-12-07")
    assert len(await stats.leads("not_called", today)) == 5

    await office.step(lambda number, attempt: "no_answer")
    await make_consumer().drain()
    assert await stats.leads("not_called", today) == []
    assert all(lead.attempts_today == 1 for lead in await stats.leads("all", today))

    await office.run(lambda number, attempt: "no_answer", MONDAY_5_UTC + 4 * 24 * HOUR, step_ms=30 * MINUTE)
    await make_consumer().drain()
    leads = await stats.leads("all", today)
    assert [(lead.attempts_total, lead.cadence) for lead in leads] == [(3, "met")] * 5
    await stats.lead_stage_changed("lead-0", "refused", "a1", None)
    await make_consumer().drain()
    assert [lead.lead_id for lead in await stats.leads("improper_refusal", today)] == ["lead-0"]
