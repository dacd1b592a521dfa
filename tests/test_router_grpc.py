"""The router over real gRPC on a loopback port, with short timers on the system clock."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import duration_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb


def ms(n: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(n)
    return d


async def make_team(stub, queue: str, agents: list[str], **queue_fields) -> None:
    await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, **queue_fields)))
    for agent_id in agents:
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(
                agent=pb.Agent(id=agent_id, name=agent_id.title(), endpoint=f"sip:{agent_id}@pbx", queues=[queue])
            )
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
        await asyncio.sleep(0.002)  # distinct idle-since times: the first logged in goes first


async def test_health_and_reflection_are_served(start_replica):
    replica = await start_replica()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "callcenter.router.v1.RouterService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = [s.name async for r in replies for s in r.list_services_response.service]
        assert "callcenter.router.v1.RouterService" in names


async def test_a_call_over_grpc_from_offer_to_wrap_up(router_stub):
    await make_team(router_stub, "sales", ["anna"], ring_timeout=ms(5000), wrap_up=ms(60_000))
    routed = await router_stub.RouteCall(
        pb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales", attributes={"lead": "L-7"})
    )
    offer = routed.call.offer
    assert routed.call.state == states_pb2.CALL_STATE_RINGING
    assert (offer.agent_id, offer.endpoint, offer.ring_timeout.ToMilliseconds()) == ("anna", "sip:anna@pbx", 5000)
    answered = await router_stub.ReportOfferOutcome(
        pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
    )
    assert answered.call.state == states_pb2.CALL_STATE_CONNECTED and answered.call.agent_id == "anna"
    ended = await router_stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
    assert ended.call.state == states_pb2.CALL_STATE_COMPLETED
    assert ended.call.attributes["lead"] == "L-7"
    agent = (await router_stub.GetAgent(pb.GetAgentRequest(agent_id="anna"))).agent
    assert agent.status.state == states_pb2.AGENT_STATE_WRAP_UP and agent.status.call_id == "c1"


async def test_the_pbx_learns_of_the_next_offer_by_stream_when_the_ring_times_out(router_stub):
    await make_team(router_stub, "sales", ["anna", "boris"], ring_timeout=ms(300))
    routed = await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales"))
    assert routed.call.offer.agent_id == "anna"
    updates = []
    async for update in router_stub.WatchCall(pb.WatchCallRequest(call_id="c1")):
        updates.append(update.call)
        if update.call.offer.agent_id == "boris":
            break
    assert updates[0].offer.agent_id == "anna"
    assert updates[-1].offer.attempt == 2 and updates[-1].state == states_pb2.CALL_STATE_RINGING


async def test_the_watch_stream_ends_after_the_call_ends(router_stub):
    await make_team(router_stub, "sales", [])
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales"))
    stream = router_stub.WatchCall(pb.WatchCallRequest(call_id="c1"))
    first = await stream.read()
    assert first.call.state == states_pb2.CALL_STATE_WAITING and first.call.queue_position == 1
    await router_stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
    last = await stream.read()
    assert last.call.state == states_pb2.CALL_STATE_ABANDONED
    assert await stream.read() == grpc.aio.EOF


async def test_a_waiting_call_is_pushed_its_offer_when_an_agent_logs_in(router_stub):
    await make_team(router_stub, "sales", [])
    await router_stub.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id="anna", endpoint="1001", queues=["sales"])))
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491701", queue="sales"))
    stream = router_stub.WatchCall(pb.WatchCallRequest(call_id="c1"))
    assert (await stream.read()).call.state == states_pb2.CALL_STATE_WAITING
    await router_stub.LoginAgent(pb.LoginAgentRequest(agent_id="anna"))
    pushed = await asyncio.wait_for(stream.read(), timeout=5)
    assert pushed.call.offer.agent_id == "anna" and pushed.call.offer.endpoint == "1001"
    stream.cancel()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.RouteCallRequest(call_id="", caller="1", queue="sales"), "call_id"),
        (pb.RouteCallRequest(call_id="c 1", caller="1", queue="sales"), "call_id"),
        (pb.RouteCallRequest(call_id="c1", caller="1"), "queue"),
        (pb.RouteCallRequest(call_id="c1", caller="1", queue="no such queue!"), "queue"),
    ],
)
async def test_bad_requests_get_invalid_argument_naming_the_field(router_stub, request_, field):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.RouteCall(request_)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field + ":")


async def test_outcome_unspecified_is_invalid(router_stub):
    await make_team(router_stub, "sales", ["anna"])
    routed = await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="1", queue="sales"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=routed.call.offer.offer_id)
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "outcome" in refused.value.details()


async def test_an_illegal_transition_is_failed_precondition_naming_the_state(router_stub):
    await make_team(router_stub, "sales", ["anna"])
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="1", queue="sales"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.LogoutAgent(pb.LogoutAgentRequest(agent_id="anna"))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "reserved" in refused.value.details()


async def test_unknown_objects_are_not_found(router_stub):
    for call in (
        router_stub.GetCall(pb.GetCallRequest(call_id="nope")),
        router_stub.LoginAgent(pb.LoginAgentRequest(agent_id="nobody")),
        router_stub.GetQueue(pb.GetQueueRequest(name="nothing")),
        router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="1", queue="nothing")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_queue_defaults_are_5_s_ring_and_3_min_wrap_up_and_explicit_zero_wrap_up_is_kept(router_stub):
    default = (await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="a")))).queue
    assert default.ring_timeout.ToMilliseconds() == 5_000 and default.wrap_up.ToMilliseconds() == 180_000
    assert default.strategy == pb.STRATEGY_LONGEST_IDLE
    no_wrap = (await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="b", wrap_up=ms(0))))).queue
    assert no_wrap.wrap_up.ToMilliseconds() == 0
    listed = (await router_stub.ListQueues(pb.ListQueuesRequest())).queues
    assert [q.name for q in listed] == ["a", "b"]


async def test_queue_counts_show_waiting_calls_and_free_agents(router_stub):
    await make_team(router_stub, "sales", ["anna"])
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="1", queue="sales"))
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c2", caller="2", queue="sales"))
    queue = (await router_stub.GetQueue(pb.GetQueueRequest(name="sales"))).queue
    assert queue.counts.waiting == 1 and queue.counts.available_agents == 0
    assert queue.counts.HasField("oldest_waiting_since")


async def test_routing_rules_over_grpc_vip_queue_settings_clients_and_reassignment(router_stub):
    stub = router_stub
    await stub.UpsertQueue(
        pb.UpsertQueueRequest(
            queue=pb.Queue(
                name="vipq",
                vip_min_tier=2,
                vip_overflow=ms(15_000),
                sticky=True,
                manager_wait=ms(0),
                required_skills={"de": 1},
                skill_order=pb.SKILL_ORDER_HIGHEST_FIRST,
                max_no_answer=0,
                max_queue_length=5,
                fallback="voicemail",
            )
        )
    )
    stored = (await stub.GetQueue(pb.GetQueueRequest(name="vipq"))).queue
    assert stored.vip_min_tier == 2 and stored.vip_overflow.ToMilliseconds() == 15_000 and stored.sticky
    assert stored.HasField("manager_wait") and stored.manager_wait.ToMilliseconds() == 0
    assert dict(stored.required_skills) == {"de": 1} and stored.skill_order == pb.SKILL_ORDER_HIGHEST_FIRST
    assert stored.HasField("max_no_answer") and stored.max_no_answer == 0
    assert (stored.max_queue_length, stored.fallback) == (5, "voicemail")
    for agent_id, tier in (("junior", 0), ("senior", 3)):
        await stub.UpsertAgent(
            pb.UpsertAgentRequest(
                agent=pb.Agent(
                    id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=["vipq"], skills={"de": 2}, tier=tier
                )
            )
        )
        await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
    call = (await stub.RouteCall(pb.RouteCallRequest(call_id="g1", caller="+491", queue="vipq", priority=4))).call
    assert call.offer.agent_id == "senior" and call.stage == pb.ROUTING_STAGE_VIP and call.priority == 4

    client = pb.Client(number="+492", name="Acme", priority=1, manager_id="junior")
    assert (await stub.UpsertClient(pb.UpsertClientRequest(client=client))).client == client
    moved = await stub.ReassignClients(pb.ReassignClientsRequest(from_agent_id="junior", to_agent_id="senior"))
    assert moved.clients_moved == 1
    listed = await stub.ListClients(pb.ListClientsRequest(manager_id="senior"))
    assert [c.number for c in listed.clients] == ["+492"]
    assert (await stub.GetClient(pb.GetClientRequest(number="+492"))).client.manager_id == "senior"

    await stub.LogoutAgent(pb.LogoutAgentRequest(agent_id="junior"))
    await stub.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number="+493", manager_id="junior")))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.DeleteAgent(pb.DeleteAgentRequest(agent_id="junior"))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "clients_to_agent_id" in err.value.details()
    reply = await stub.DeleteAgent(pb.DeleteAgentRequest(agent_id="junior", clients_to_agent_id="senior"))
    assert reply.clients_moved == 1

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RouteCall(pb.RouteCallRequest(call_id="g2", caller="+491", queue="vipq", priority=12))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "priority" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetClient(pb.GetClientRequest(number="+499"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
