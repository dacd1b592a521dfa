"""Call campaigns and the lead cadence dialler (S2.7, S4.1-S4.3) on real Redis, time driven
by hand: a working week passes in a fraction of a second. The PBX side reports every dial's
outcome as a simulated customer would."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from callcenter.api.events.v1 import events_pb2 as ev
from callcenter.core.errors import FailedPrecondition, InvalidArgument
from callcenter.services.router.calling_hours import CallingHours
from callcenter.services.router.campaigns import RetryRules
from callcenter.services.router.dialler import Dialler
from callcenter.services.router.do_not_call import DoNotCall
from callcenter.services.router.model import Client
from callcenter.services.router.router import Router
from callcenter.services.router.store import RouterStore
from tests.campaign_scenes import HOUR, MINUTE, MONDAY_5_UTC, Office, local, progressive
from tests.helpers import read_events


async def test_a_progressive_campaign_calls_its_contacts_in_hours_retries_a_no_answer_and_stops_at_the_limit(
    redis, tenant
):
    office = Office(redis, tenant)
    await office.open()
    numbers = [f"+49301000{n}" for n in range(10)]
    assert await DoNotCall(office.router).add([numbers[3]]) == 1  # asked never to be called
    await office.router.upsert_client(Client(numbers[9], time_zone="America/New_York"))
    await office.campaigns.upsert(progressive())
    added, skipped = await office.campaigns.add_contacts("spring", [(n, "") for n in numbers])
    assert (added, skipped) == (10, 1)
    await office.campaigns.start("spring")

    def nobody_answers_but_number_five_the_second_time(number, attempt):
        return "answered" if (number == numbers[5] and attempt == 2) else "no_answer"

    calls_before = REGISTRY.get_sample_value("callcenter_router_dialler_calls_total") or 0
    await office.run(nobody_answers_but_number_five_the_second_time, MONDAY_5_UTC + 2 * 24 * HOUR)
    assert REGISTRY.get_sample_value("callcenter_router_dialler_calls_total") - calls_before == 18  # the metric
    attempts = office.attempts()
    assert numbers[3] not in attempts
    assert set(attempts) == set(numbers) - {numbers[3]}
    assert all(len(times) == 2 for times in attempts.values())  # max_attempts
    for number, times in attempts.items():
        zone = "America/New_York" if number == numbers[9] else "Europe/Berlin"
        assert all(9 <= local(t, zone).hour < 18 for t in times), (number, [local(t, zone) for t in times])
        assert times[1] - times[0] >= 4 * HOUR  # the no-answer delay
    assert local(attempts[numbers[0]][0], "Europe/Berlin").hour == 9  # at the window's opening
    done = await office.campaigns.get("spring")
    assert done.state == "finished"
    p = done.progress
    assert (p.contacts, p.reached, p.exhausted, p.skipped, p.pending, p.calling) == (10, 1, 8, 1, 0, 0)
    assert (p.attempts, p.connected, p.not_connected) == (18, 1, {"no_answer": 17})
    received = [e for e in await read_events(redis, tenant) if e.campaign_id == "spring" and e.call_id]
    assert received and {e.direction for e in received} == {"outbound"}
    assert {e.caller for e in received} <= set(numbers)


async def test_a_busy_contact_is_tried_again_after_the_busy_delay(redis, tenant):
    office = Office(redis, tenant, start_ms=MONDAY_5_UTC + 4 * HOUR)  # 10:00 in Berlin
    await office.open(agents=("a1",))
    await office.campaigns.upsert(progressive())
    await office.campaigns.add_contacts("spring", [("+4930200", "")])
    await office.campaigns.start("spring")
    await office.run(lambda n, attempt: "busy", office.clock.now_ms() + HOUR, step_ms=MINUTE)
    first, second = office.attempts()["+4930200"]
    assert 15 * MINUTE <= second - first <= 16 * MINUTE


async def test_the_cadence_dialler_gives_every_new_lead_three_attempts_within_five_days(redis, tenant):
    """S4.1 at S4.7's scale: 20 agents, 20 new leads, nobody answering."""
    office = Office(redis, tenant)
    await office.open(agents=tuple(f"a{n}" for n in range(20)))
    cadence = progressive(
        "cadence",
        name="New leads",
        source="new_leads",
        retry=RetryRules(max_attempts=3, spread_ms=40 * HOUR, no_answer_ms=HOUR, call_reached_again=True),
    )
    await office.campaigns.upsert(cadence)
    await office.campaigns.start("cadence")
    for n in range(20):
        assert await office.campaigns.add_new_lead(f"+4940{n:04}", f"lead-{n}") == 1
    await office.run(lambda n, attempt: "no_answer", MONDAY_5_UTC + 5 * 24 * HOUR, step_ms=30 * MINUTE)
    attempts = office.attempts()
    assert len(attempts) == 20
    for times in attempts.values():
        assert len(times) == 3 and times[-1] - times[0] <= 5 * 24 * HOUR
        assert all(9 <= local(t, "Europe/Berlin").hour < 18 for t in times)
    assert (await office.campaigns.get("cadence")).state == "running"  # fed by new leads: never finished


async def test_a_paused_campaign_dials_nobody_and_a_stopped_one_cancels_its_waiting_calls(redis, tenant):
    office = Office(redis, tenant, start_ms=MONDAY_5_UTC + 4 * HOUR)
    await office.open(agents=("a1",))
    await office.campaigns.upsert(progressive(mode="preview"))
    await office.campaigns.add_contacts("spring", [("+4930300", ""), ("+4930301", "")])
    await office.campaigns.start("spring")
    await office.campaigns.pause("spring")
    await office.step(lambda n, a: "no_answer")
    assert (await office.campaigns.get("spring")).progress.attempts == 0
    await office.campaigns.start("spring")
    await office.step(lambda n, a: "no_answer")  # the one agent is shown a preview
    assert (await office.campaigns.get("spring")).progress.calling == 1
    stopped = await office.campaigns.stop("spring")
    assert stopped.state == "stopped" and stopped.progress.calling == 0
    assert stopped.progress.not_connected == {"cancelled": 1}
    status = (await office.router.get_agent("a1"))[1]
    assert status.state == "available"
    with pytest.raises(FailedPrecondition):
        await office.campaigns.start("spring")


async def test_two_diallers_racing_for_one_campaign_never_dial_a_contact_twice(redis, tenant):
    office = Office(redis, tenant, start_ms=MONDAY_5_UTC + 4 * HOUR)
    await office.open(agents=tuple(f"a{n}" for n in range(10)))
    await office.campaigns.upsert(progressive(mode="preview"))
    await office.campaigns.add_contacts("spring", [(f"+4930400{n}", "") for n in range(6)])
    await office.campaigns.start("spring")
    other = Dialler(Router(RouterStore(redis, tenant, event_stream_maxlen=100_000, call_retention_s=60), office.clock))
    await asyncio.gather(office.dialler.step(), other.step(), office.dialler.step(), other.step())
    received = [
        e.caller
        for e in await read_events(redis, tenant)
        if e.campaign_id == "spring" and e.type == ev.EVENT_TYPE_CALL_RECEIVED
    ]
    assert sorted(received) == sorted(set(received)) and len(received) == 6


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "campaign.name"),
        ({"campaign_id": "a b"}, "campaign.campaign_id"),
        ({"mode": "predictive"}, "campaign.mode"),
        ({"script": "x" * 10_001}, "campaign.script"),
        ({"hours": CallingHours(start_minute=600, end_minute=500)}, "campaign.calling_hours.end_minute"),
        ({"hours": CallingHours(days=(0,))}, "campaign.calling_hours.days"),
        ({"hours": CallingHours(time_zone="Mars/Olympus")}, "campaign.calling_hours.time_zone"),
        ({"retry": RetryRules(max_attempts=101)}, "retry.max_attempts"),
        ({"retry": RetryRules(no_answer_ms=-1)}, "retry.no_answer"),
    ],
)
async def test_a_bad_campaign_is_refused_naming_the_field(redis, tenant, change, field):
    office = Office(redis, tenant)
    await office.open()
    with pytest.raises(InvalidArgument) as refused:
        await office.campaigns.upsert(progressive(**change))
    assert refused.value.field == field


async def test_a_lead_created_while_a_cadence_campaign_runs_becomes_its_contact_over_grpc(start_replica, redis, tenant):
    import grpc

    from callcenter.api.router.v1 import campaigns_pb2 as cpb
    from callcenter.api.router.v1 import campaigns_pb2_grpc
    from callcenter.core.event_stream import stream_key
    from tests.pbx_session_client import team as grpc_team

    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        from callcenter.api.router.v1 import router_pb2_grpc

        await grpc_team(router_pb2_grpc.RouterServiceStub(channel), agents=("a1",))
        stub = campaigns_pb2_grpc.CampaignServiceStub(channel)
        campaign = cpb.Campaign(
            campaign_id="cadence", name="New leads", queue="sales", source=cpb.CAMPAIGN_SOURCE_NEW_LEADS
        )
        stored = (await stub.UpsertCampaign(cpb.UpsertCampaignRequest(campaign=campaign))).campaign
        assert stored.state == cpb.CAMPAIGN_STATE_DRAFT and stored.retry.max_attempts == 3
        # a lead made before the start is not the campaign's
        await redis.xadd(
            stream_key(tenant),
            {"type": "LEAD_CREATED", "time": "1", "lead_id": "old", "attributes": '{"client_number": "+4950000"}'},
        )
        await stub.StartCampaign(cpb.StartCampaignRequest(campaign_id="cadence"))
        await redis.xadd(
            stream_key(tenant),
            {"type": "LEAD_CREATED", "time": "1", "lead_id": "lead-1", "attributes": '{"client_number": "+4950001"}'},
        )
        while True:
            contacts = (
                await stub.ListCampaignContacts(cpb.ListCampaignContactsRequest(campaign_id="cadence"))
            ).contacts
            if contacts:
                break
            await asyncio.sleep(0.02)
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.ListCampaignContacts(cpb.ListCampaignContactsRequest(campaign_id="cadence", state=9))
    assert [(c.number, c.deal_id) for c in contacts] == [("+4950001", "lead-1")]
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad.value.details().startswith("state")
