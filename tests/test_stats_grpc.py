"""The stats service over real gRPC, fed by a real router replica: calls routed, missed,
answered and hung up through the router's API are counted once, listed as records and
pushed to WatchBoard within a second."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.api.stats.v1 import stats_pb2 as pb

TODAY = pb.Period(time_zone="UTC")


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


async def eventually(check, timeout_s: float = 5.0):
    """Polls check() until it returns a truthy value (the consumer runs in the background)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.02)


async def team(router, queue: str, agents: list[str]) -> None:
    await router.UpsertQueue(rpb.UpsertQueueRequest(queue=rpb.Queue(name=queue, ring_timeout=ms(5000), wrap_up=ms(0))))
    for agent_id in agents:
        await router.UpsertAgent(
            rpb.UpsertAgentRequest(agent=rpb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue]))
        )
        await router.LoginAgent(rpb.LoginAgentRequest(agent_id=agent_id))
        await asyncio.sleep(0.002)  # anna has been idle longest: she is offered first


async def test_calls_through_a_real_router_are_counted_once(router_stub, stats_stub):
    await team(router_stub, "sales", ["anna", "boris"])
    routed = await router_stub.RouteCall(
        rpb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales", attributes={"lead_id": "L-7"})
    )
    assert routed.call.offer.agent_id == "anna"
    again = await router_stub.ReportOfferOutcome(
        rpb.ReportOfferOutcomeRequest(
            call_id="c1", offer_id=routed.call.offer.offer_id, outcome=rpb.OFFER_OUTCOME_NO_ANSWER
        )
    )
    assert again.call.offer.agent_id == "boris"
    await router_stub.ReportOfferOutcome(
        rpb.ReportOfferOutcomeRequest(
            call_id="c1", offer_id=again.call.offer.offer_id, outcome=rpb.OFFER_OUTCOME_ANSWERED
        )
    )
    await router_stub.HangupCall(rpb.HangupCallRequest(call_id="c1"))
    await router_stub.RouteCall(rpb.RouteCallRequest(call_id="c2", caller="+491702", queue="sales"))
    await router_stub.HangupCall(rpb.HangupCallRequest(call_id="c2"))

    async def queue_done():
        reply = await stats_stub.GetQueueStats(pb.GetQueueStatsRequest(period=TODAY, queues=["sales"]))
        return reply if reply.queues[0].abandoned == 1 else None

    (sales,) = (await eventually(queue_done)).queues
    assert (sales.offered, sales.answered, sales.abandoned, sales.handled) == (2, 1, 1, 1)
    agents = await stats_stub.GetAgentStats(pb.GetAgentStatsRequest(period=TODAY, agent_ids=["anna", "boris"]))
    anna, boris = agents.agents
    # c2 was offered to anna (idle longest again) and the caller hung up while it rang
    assert (anna.offered, anna.answered, anna.missed, anna.caller_hung_up) == (2, 0, 1, 1)
    assert (boris.offered, boris.answered, boris.handled) == (1, 1, 1)
    record = (await stats_stub.GetCallRecord(pb.GetCallRecordRequest(call_id="c1"))).record
    assert [(o.agent_id, o.outcome) for o in record.offers] == [("anna", "no_answer"), ("boris", "answered")]
    assert (record.outcome, record.agent_id, record.lead_id) == (pb.CALL_OUTCOME_COMPLETED, "boris", "L-7")
    missed = await stats_stub.ListCallRecords(pb.ListCallRecordsRequest(agent_id="anna", missed_only=True))
    assert [r.call_id for r in missed.records] == ["c2", "c1"]
    lead = (await stats_stub.GetLead(pb.GetLeadRequest(lead_id="L-7", period=TODAY))).lead
    assert (lead.attempts_today, lead.conversations) == (1, 1)
    board = await stats_stub.GetBoard(pb.GetBoardRequest())
    assert board.agents_total.online == 2 and board.agents_total.available == 2


async def test_the_board_follows_the_router_within_a_second(router_stub, stats_stub):
    await team(router_stub, "sales", ["anna"])
    updates = stats_stub.WatchBoard(pb.WatchBoardRequest(queues=["sales"]))
    await updates.initial_metadata()  # sent once the watch is live; then make a change
    started = time.monotonic()
    await router_stub.RouteCall(rpb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales"))
    seen = []
    async for update in updates:
        seen.append(update)
        if update.event.type == events_pb2.EVENT_TYPE_CALL_OFFERED:
            break
    assert time.monotonic() - started < 1.0
    offered = seen[-1]
    assert offered.event.call_id == "c1"
    assert offered.agent.agent_id == "anna" and offered.agent.state == states_pb2.AGENT_STATE_RESERVED
    assert offered.queue.queue == "sales" and offered.queue.ringing == 1
    updates.cancel()


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.GetAgentStats(pb.GetAgentStatsRequest(period=pb.Period(time_zone="Mars/Olympus"))), "period"),
        (lambda s: s.GetAgentStats(pb.GetAgentStatsRequest(period=pb.Period(day="2026-13-01"))), "period.day"),
        (lambda s: s.CreateLead(pb.CreateLeadRequest(lead_id="L1", stage="won")), "stage"),
        (lambda s: s.ChangeLeadStage(pb.ChangeLeadStageRequest(lead_id="", stage="refused")), "lead_id"),
        (lambda s: s.ListCallRecords(pb.ListCallRecordsRequest(page_size=10_000)), "page_size"),
        (lambda s: s.ListCallRecords(pb.ListCallRecordsRequest(page_token="nonsense")), "page_token"),
        (lambda s: s.GetQueueStats(pb.GetQueueStatsRequest(service_level_threshold=ms(1500))), "service_level"),
    ],
)
async def test_bad_requests_get_invalid_argument_naming_the_field(stats_stub, call, field):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(stats_stub)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field)


async def test_an_unknown_call_record_is_not_found(stats_stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stats_stub.GetCallRecord(pb.GetCallRecordRequest(call_id="nope"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_lead_reports_over_grpc_are_counted_by_the_consumer(stats_stub):
    await stats_stub.CreateLead(pb.CreateLeadRequest(lead_id="L1", agent_id="anna"))
    await stats_stub.ChangeLeadStage(pb.ChangeLeadStageRequest(lead_id="L1", stage="refused"))

    async def refused():
        reply = await stats_stub.ListLeads(pb.ListLeadsRequest(filter=pb.LEAD_FILTER_IMPROPER_REFUSAL))
        return reply.leads

    (lead,) = await eventually(refused)
    assert (lead.lead_id, lead.refused_by, lead.improper_refusal) == ("L1", "anna", True)


async def test_a_watcher_of_one_queue_gets_only_that_queues_updates(router_stub, stats_stub):
    await team(router_stub, "sales", ["anna"])
    await router_stub.UpsertQueue(rpb.UpsertQueueRequest(queue=rpb.Queue(name="support")))
    await router_stub.UpsertAgent(rpb.UpsertAgentRequest(agent=rpb.Agent(id="carl", endpoint="x", queues=["support"])))
    updates = stats_stub.WatchBoard(pb.WatchBoardRequest(queues=["support"]))
    await updates.initial_metadata()  # the watch is live
    await router_stub.RouteCall(rpb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales"))
    await router_stub.LoginAgent(rpb.LoginAgentRequest(agent_id="carl"))
    first = await asyncio.wait_for(updates.read(), timeout=5)
    assert first.event.type == events_pb2.EVENT_TYPE_AGENT_LOGGED_IN and first.agent.agent_id == "carl"
    updates.cancel()
