"""The queue page's live view (S3.4), GET /api/v1/queues/{queue}/live, on a real router: the
queue's waiting calls by position, its ringing and connected calls with their agents, its
agents, and what a call may be moved to; only within a supervisor's teams. And the router's
ListQueueCalls behind it."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from tests.queue_page_scenes import agent, queues, route, router_of, supervisors


async def live(client, queue: str = "sales", query: str = ""):
    reply = await client.get(f"/api/v1/queues/{queue}/live{query}")
    return reply.status, await reply.json()


async def scene(gateway, stub) -> None:
    """sales: anna (rung by c1), waiting c2 then VIP c3; support: boris, free."""
    await queues(stub, "sales", "support")
    await agent(stub, "anna", "sales")
    await agent(stub, "boris", "support")
    await supervisors(gateway)
    assert (await route(stub, "c1", "+491")).offer.agent_id == "anna"
    await route(stub, "c2", "+492")
    await route(stub, "c3", "+493", priority=2)


async def test_a_supervisor_sees_the_waiting_calls_by_position_and_the_ringing_one_with_its_agent(gateway):
    async with router_of(gateway) as stub:
        await scene(gateway, stub)
        sam = await gateway.login("sam")
        status, view = await live(sam)
        assert status == 200, view
        assert [(c["call_id"], c["caller"], c["position"], c["vip"], c["priority"]) for c in view["waiting"]] == [
            ("c3", "+493", 1, True, 2),  # the VIP goes first
            ("c2", "+492", 2, False, 0),
        ]
        assert all(c["waiting_since_ms"] for c in view["waiting"])
        assert view["waiting_total"] == 2 and view["active_total"] == 1
        (ringing,) = view["active"]
        assert (ringing["call_id"], ringing["state"], ringing["agent_id"], ringing["agent_name"]) == (
            "c1",
            "ringing",
            "anna",
            "Anna Schmidt",
        )
        assert ringing["since_ms"]
        assert [(a["id"], a["name"], a["state"], a["call_id"]) for a in view["agents"]] == [
            ("anna", "Anna Schmidt", "AGENT_STATE_RESERVED", "c1")
        ]
        assert view["queue"]["waiting"] == 2
        # what the controls offer: sam's teams' free agents, his other queues, his own agent
        assert view["targets"] == {"agents": [{"id": "boris", "name": "Boris Petrov"}], "queues": ["support"]}
        assert view["own_agent_id"] == "sam-agent"

        offer = (await stub.GetCall(pb.GetCallRequest(call_id="c1"))).call.offer
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        _, view = await live(sam)
        (connected,) = view["active"]
        assert (connected["call_id"], connected["state"], connected["agent_name"]) == (
            "c1",
            "connected",
            "Anna Schmidt",
        )
        assert view["agents"][0]["state"] == "AGENT_STATE_ON_CALL"


async def test_a_call_moved_to_another_teams_agent_stays_listed_but_that_agent_is_not_named(gateway):
    async with router_of(gateway) as stub:
        await scene(gateway, stub)
        moved = await stub.MoveCallToAgent(pb.MoveCallToAgentRequest(call_id="c2", agent_id="boris"))
        assert moved.call.offer.agent_id == "boris"
        sam = await gateway.login("sam")  # supervises support too: sees boris
        _, view = await live(sam)
        assert {(c["call_id"], c["agent_name"]) for c in view["active"]} == {
            ("c1", "Anna Schmidt"),
            ("c2", "Boris Petrov"),
        }
        assert [c["call_id"] for c in view["waiting"]] == ["c3"]
        sal = await gateway.login("sal")  # sales only: boris is another team's agent
        _, view = await live(sal)
        (c2,) = [c for c in view["active"] if c["call_id"] == "c2"]
        assert (c2["agent_id"], c2["agent_name"]) == ("", "")
        assert view["targets"] == {"agents": [], "queues": []}


async def test_only_supervisors_of_the_queue_and_admins_see_it(gateway):
    async with router_of(gateway) as stub:
        await scene(gateway, stub)
        sue = await gateway.login("sue")  # support only
        status, body = await live(sue)
        assert status == 404, body
        status, body = await live(sue, "support")
        assert status == 200 and body["waiting"] == [] and body["active"] == []
        root = await gateway.login("root")
        status, body = await live(root)
        assert status == 200 and [c["call_id"] for c in body["waiting"]] == ["c3", "c2"]
        anna = await gateway.login("anna")  # an agent: not her page
        status, body = await live(anna)
        assert status == 403, body
        status, body = await live(anna, "support")
        assert status == 403, body


async def test_a_bad_queue_name_is_400_an_unknown_queue_404_and_an_unknown_parameter_400(gateway):
    async with router_of(gateway) as stub:
        await scene(gateway, stub)
        root, sal = await gateway.login("root"), await gateway.login("sal")
        for client in (root, sal):
            status, body = await live(client, "a%20b")
            assert (status, body.get("field")) == (400, "queue"), body
            status, body = await live(client, "x" * 65)
            assert (status, body.get("field")) == (400, "queue"), body
        status, body = await live(root, "nowhere")
        assert status == 404, body
        status, body = await live(sal, "nowhere")
        assert status == 404, body
        status, body = await live(root, "sales", "?page_size=5")
        assert (status, body.get("field")) == (400, "page_size"), body


async def test_list_queue_calls_is_bounded_and_names_a_bad_field(gateway):
    async with router_of(gateway) as stub:
        await scene(gateway, stub)
        one = await stub.ListQueueCalls(pb.ListQueueCallsRequest(queue="sales", page_size=1))
        assert [c.call_id for c in one.waiting_calls] == ["c2"]  # the one that waited longest
        assert (one.waiting_total, len(one.active_calls), one.active_total) == (2, 1, 1)
        for request, field in (
            (pb.ListQueueCallsRequest(queue="sales", page_size=501), "page_size"),
            (pb.ListQueueCallsRequest(queue="sales", page_size=-1), "page_size"),
            (pb.ListQueueCallsRequest(queue=""), "queue"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.ListQueueCalls(request)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details().startswith(field), refused.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListQueueCalls(pb.ListQueueCallsRequest(queue="nowhere"))
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
