"""Client segments (S1.11) and the do-not-call list over real gRPC and Redis: a segment selects
clients of the caller list by their attributes, follows them when their attributes change, and
a campaign with a segment calls exactly its clients, never a number on the do-not-call list."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2 as ev
from callcenter.api.router.v1 import campaigns_pb2 as cpb
from callcenter.api.router.v1 import campaigns_pb2_grpc, router_pb2_grpc, segments_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import segments_pb2 as spb
from callcenter.services.router.config import OutboundSettings
from tests.helpers import next_event, read_events
from tests.pbx_session_client import PbxClient, ms, team

ORIGINATE = pb.PbxCallEventKind.PBX_CALL_EVENT_KIND_ORIGINATE


class Stubs:
    def __init__(self, channel) -> None:
        self.router = router_pb2_grpc.RouterServiceStub(channel)
        self.segments = segments_pb2_grpc.SegmentServiceStub(channel)
        self.campaigns = campaigns_pb2_grpc.CampaignServiceStub(channel)

    async def client(self, number: str, time_zone: str = "", **attributes: str) -> pb.Client:
        request = pb.UpsertClientRequest(client=pb.Client(number=number, time_zone=time_zone, attributes=attributes))
        return (await self.router.UpsertClient(request)).client

    async def segment(self, segment_id: str, *conditions: tuple[str, list[str]]) -> spb.Segment:
        segment = spb.Segment(
            segment_id=segment_id,
            name=segment_id.title(),
            conditions=[spb.SegmentCondition(attribute=a, values=v) for a, v in conditions],
        )
        return (await self.segments.UpsertSegment(spb.UpsertSegmentRequest(segment=segment))).segment

    async def members(self, segment_id: str, page_size: int = 0) -> list[str]:
        numbers, token = [], ""
        while True:
            page = await self.segments.ListSegmentClients(
                spb.ListSegmentClientsRequest(segment_id=segment_id, page_size=page_size, page_token=token)
            )
            numbers += page.numbers
            token = page.next_page_token
            if not token:
                return numbers


@pytest.fixture
async def stubs(start_replica):
    replica = await start_replica(outbound=OutboundSettings(dialler_interval_ms=20))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        yield Stubs(channel)


async def test_a_segment_finds_only_the_clients_whose_attributes_match_every_condition(stubs, redis, tenant):
    await stubs.client("+4930100", tax_scheme="usn", interest="loans")
    await stubs.client("+4930101", tax_scheme="usn", interest="deposits")
    await stubs.client("+4930102", tax_scheme="osn", interest="loans")
    await stubs.client("+4930103", tax_scheme="patent", interest="cards")
    await stubs.client("+4930104", interest="loans")  # no tax scheme at all
    one = await stubs.segment("usn", ("tax_scheme", ["usn"]))
    assert one.members == 2 and one.created_at.seconds > 0
    assert await stubs.members("usn") == ["+4930100", "+4930101"]
    both = await stubs.segment("small-loans", ("tax_scheme", ["usn", "patent"]), ("interest", ["loans", "cards"]))
    assert both.members == 2
    assert await stubs.members("small-loans", page_size=1) == ["+4930100", "+4930103"]  # one page each
    assert await redis.keys(f"cc:{{{tenant}}}:segment:*:scratch:*") == []  # the sets of one script only
    listed = (await stubs.segments.ListSegments(spb.ListSegmentsRequest())).segments
    assert [s.segment_id for s in listed] == ["small-loans", "usn"]
    got = (await stubs.segments.GetSegment(spb.GetSegmentRequest(segment_id="small-loans"))).segment
    assert [(c.attribute, list(c.values)) for c in got.conditions] == [
        ("tax_scheme", ["usn", "patent"]),
        ("interest", ["loans", "cards"]),
    ]
    stored = (await stubs.router.GetClient(pb.GetClientRequest(number="+4930100"))).client
    assert dict(stored.attributes) == {"tax_scheme": "usn", "interest": "loans"}


async def test_changing_a_clients_attribute_moves_it_from_one_segment_to_another(stubs, redis, tenant):
    await stubs.client("+4930200", tax_scheme="usn")
    await stubs.client("+4930201", tax_scheme="usn")
    await stubs.segment("usn", ("tax_scheme", ["usn"]))
    await stubs.segment("osn", ("tax_scheme", ["osn"]))
    assert (await stubs.members("usn"), await stubs.members("osn")) == (["+4930200", "+4930201"], [])
    await stubs.client("+4930201", tax_scheme="osn")
    assert (await stubs.members("usn"), await stubs.members("osn")) == (["+4930200"], ["+4930201"])
    await stubs.client("+4930200")  # attributes replaced as a whole: none left
    assert (await stubs.members("usn"), await stubs.members("osn")) == ([], ["+4930201"])
    got = await stubs.segments.GetSegment(spb.GetSegmentRequest(segment_id="usn"))
    assert got.segment.members == 0
    assert await redis.smembers(f"cc:{{{tenant}}}:attribute:tax_scheme:usn") == set()
    await stubs.segments.DeleteSegment(spb.DeleteSegmentRequest(segment_id="osn"))
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stubs.segments.GetSegment(spb.GetSegmentRequest(segment_id="osn"))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    events = [e for e in await read_events(redis, tenant) if e.type == ev.EVENT_TYPE_SEGMENT_UPDATED]
    assert [(e.attributes["segment_id"], e.reason) for e in events] == [("usn", "created"), ("osn", "created")]


async def test_a_progressive_campaign_over_a_segment_calls_only_its_clients_and_skips_do_not_call(stubs, redis, tenant):
    await team(stubs.router, agents=("a1", "a2", "a3"), wrap_up=ms(0), outbound_pbx="dialer")
    inside = [f"+4940100{n}" for n in range(10)]
    outside = [f"+4940200{n}" for n in range(5)]
    for number in inside:
        await stubs.client(number, time_zone="Europe/Berlin", segment_flag="spring", tier="gold")
    for n, number in enumerate(outside):  # one attribute matches, not both; or the other value
        await stubs.client(number, segment_flag="spring" if n % 2 else "autumn", tier="silver" if n % 2 else "gold")
    assert (await stubs.segment("spring-gold", ("segment_flag", ["spring"]), ("tier", ["gold"]))).members == 10
    added = await stubs.segments.AddDoNotCall(spb.AddDoNotCallRequest(numbers=[inside[4], inside[4]]))
    assert added.added == 1
    checked = await stubs.segments.CheckDoNotCall(spb.CheckDoNotCallRequest(numbers=[inside[3], inside[4]]))
    assert [e.number for e in checked.entries] == [inside[4]]
    campaign = cpb.Campaign(
        campaign_id="spring",
        name="Spring offer",
        queue="sales",
        segment_id="spring-gold",
        mode=pb.OUTBOUND_MODE_PROGRESSIVE,
        retry=cpb.RetryRules(max_attempts=1),
    )
    await stubs.campaigns.UpsertCampaign(cpb.UpsertCampaignRequest(campaign=campaign))
    async with PbxClient(stubs.router, "dialer") as pbx:
        started = (await stubs.campaigns.StartCampaign(cpb.StartCampaignRequest(campaign_id="spring"))).campaign
        assert (started.progress.contacts, started.progress.skipped) == (10, 1)
        dialled: dict[str, str] = {}  # call id -> number
        while len(dialled) < 9:
            await pbx.wait_for(lambda: any(e.kind == ORIGINATE and e.call.call_id not in dialled for e in pbx.events))
            for e in [e for e in pbx.events if e.kind == ORIGINATE and e.call.call_id not in dialled]:
                dialled[e.call.call_id] = e.call.caller
                await stubs.router.ReportDialOutcome(
                    pb.ReportDialOutcomeRequest(
                        call_id=e.call.call_id, offer_id=e.offer_id, outcome=pb.DIAL_OUTCOME_NO_ANSWER
                    )
                )
        await asyncio.wait_for(
            next_event(
                redis, tenant, lambda e: e.type == ev.EVENT_TYPE_CAMPAIGN_STATE_CHANGED and e.reason == "finished"
            ),
            10,
        )
    assert sorted(dialled.values()) == sorted(set(inside) - {inside[4]})
    done = (await stubs.campaigns.GetCampaign(cpb.GetCampaignRequest(campaign_id="spring"))).campaign
    assert (done.progress.contacts, done.progress.exhausted, done.progress.skipped) == (10, 9, 1)
    dnc = [e for e in await read_events(redis, tenant) if e.type == ev.EVENT_TYPE_DO_NOT_CALL_ADDED]
    assert [e.caller for e in dnc] == [inside[4]]


async def test_the_do_not_call_list_pages_oldest_first_and_forgets_removed_numbers(stubs):
    numbers = [f"+4950100{n:02}" for n in range(25)]
    for start in range(0, 25, 10):
        await stubs.segments.AddDoNotCall(spb.AddDoNotCallRequest(numbers=numbers[start : start + 10]))
    removed = await stubs.segments.RemoveDoNotCall(spb.RemoveDoNotCallRequest(numbers=[numbers[0], "+4959999"]))
    assert removed.removed == 1
    listed, token = [], ""
    while True:
        page = await stubs.segments.ListDoNotCall(spb.ListDoNotCallRequest(page_size=7, page_token=token))
        assert page.total == 24
        listed += [e.number for e in page.entries]
        token = page.next_page_token
        if not token:
            break
    assert listed == numbers[1:]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.client("+4930300", **{"Tax-Scheme": "usn"}), "client.attributes"),
        (lambda s: s.client("+4930300", tax_scheme=""), "client.attributes[tax_scheme]"),
        (lambda s: s.client("+4930300", **{f"k{n}": "v" for n in range(33)}), "client.attributes"),
        (lambda s: s.client("+4930300", time_zone="Mars/Olympus"), "client.time_zone"),
        (lambda s: s.segment("bad", ("Tax Scheme", ["usn"])), "segment.conditions[0].attribute"),
        (lambda s: s.segment("bad", ("tax_scheme", [])), "segment.conditions[0].values"),
        (lambda s: s.segment("bad"), "segment.conditions"),
        (lambda s: s.segment("a b", ("tax_scheme", ["usn"])), "segment.segment_id"),
        (
            lambda s: s.segments.ListSegmentClients(spb.ListSegmentClientsRequest(segment_id="x", page_size=501)),
            "page_size",
        ),
        (lambda s: s.segments.AddDoNotCall(spb.AddDoNotCallRequest(numbers=["not a number"])), "numbers[0]"),
        (lambda s: s.segments.AddDoNotCall(spb.AddDoNotCallRequest(numbers=["+4930"] * 1001)), "numbers"),
        (lambda s: s.segments.ListDoNotCall(spb.ListDoNotCallRequest(page_token="x")), "page_token"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(stubs, call, field):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(stubs)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field + ":"), refused.value.details()


async def test_an_unknown_segment_is_not_found_and_a_campaign_over_it_does_not_start(stubs):
    await team(stubs.router, agents=("a1",), outbound_pbx="dialer")
    for rpc, request in [
        (stubs.segments.GetSegment, spb.GetSegmentRequest(segment_id="nope")),
        (stubs.segments.ListSegmentClients, spb.ListSegmentClientsRequest(segment_id="nope")),
        (stubs.segments.DeleteSegment, spb.DeleteSegmentRequest(segment_id="nope")),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await rpc(request)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    campaign = cpb.Campaign(campaign_id="c", name="C", queue="sales", segment_id="nope")
    await stubs.campaigns.UpsertCampaign(cpb.UpsertCampaignRequest(campaign=campaign))
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stubs.campaigns.StartCampaign(cpb.StartCampaignRequest(campaign_id="c"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert (await stubs.campaigns.GetCampaign(cpb.GetCampaignRequest(campaign_id="c"))).campaign.state == (
        cpb.CAMPAIGN_STATE_DRAFT
    )


async def test_a_segment_a_campaign_has_yet_to_start_on_is_kept_and_deleted_once_it_started(stubs):
    await team(stubs.router, agents=("a1",), outbound_pbx="dialer")
    await stubs.client("+4930500", tax_scheme="usn")
    await stubs.segment("usn", ("tax_scheme", ["usn"]))
    campaign = cpb.Campaign(campaign_id="c", name="C", queue="sales", segment_id="usn")
    await stubs.campaigns.UpsertCampaign(cpb.UpsertCampaignRequest(campaign=campaign))
    with pytest.raises(grpc.aio.AioRpcError) as kept:
        await stubs.segments.DeleteSegment(spb.DeleteSegmentRequest(segment_id="usn"))
    assert kept.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "campaign c" in kept.value.details()
    await stubs.campaigns.StartCampaign(cpb.StartCampaignRequest(campaign_id="c"))  # its contacts taken
    await stubs.segments.DeleteSegment(spb.DeleteSegmentRequest(segment_id="usn"))
    started = (await stubs.campaigns.GetCampaign(cpb.GetCampaignRequest(campaign_id="c"))).campaign
    assert started.progress.contacts == 1


async def test_a_segment_of_more_than_the_bound_is_refused_naming_segment_id(stubs, redis, tenant, monkeypatch):
    from callcenter.services.router import segments

    monkeypatch.setattr(segments, "MAX_MEMBERS", 3)  # the bound's logic, without 100,001 clients
    for n in range(4):
        await stubs.client(f"+4930400{n}", tax_scheme="usn")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stubs.segment("usn", ("tax_scheme", ["usn"]))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("segment.segment_id:")
    assert await redis.exists(f"cc:{{{tenant}}}:segment:usn") == 0
