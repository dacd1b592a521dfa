"""Scenes the gateway's tests share: a team with users of every role, a few calls, a stored
recording; against the real router and recorder the fixtures start."""

from __future__ import annotations

import grpc

from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from tests.gateway_fixtures import PASSWORD
from tests.recorder_fixtures import metadata, tone, upload


async def setup_team(gw):
    """Two teams: sales (anna, boris) and support (csilla); users of every role."""
    await team_in_router(gw.router_port)
    await gw.users.create("root", PASSWORD, "admin")
    await gw.users.create("sam", PASSWORD, "supervisor", teams=("sales",))
    await gw.users.create("anna", PASSWORD, "agent", agent_id="anna")


async def team_in_router(router_port: int):
    """The queues sales and support, and their agents (anna, boris; csilla) logged in."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        for queue in ("sales", "support"):
            await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue)))
        for agent_id, queue in (("anna", "sales"), ("boris", "sales"), ("csilla", "support")):
            await stub.UpsertAgent(
                pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue]))
            )
            await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))


async def calls_in_sales_and_support(gateway):
    """c1: anna misses, boris answers and talks; c2: csilla answers (support); c3 abandoned."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))).call
        call = (
            await stub.ReportOfferOutcome(
                pb.ReportOfferOutcomeRequest(
                    call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_NO_ANSWER
                )
            )
        ).call
        assert call.offer.agent_id == "boris"
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c1", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        await stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
        call = (await stub.RouteCall(pb.RouteCallRequest(call_id="c2", caller="+492", queue="support"))).call
        await stub.ReportOfferOutcome(
            pb.ReportOfferOutcomeRequest(call_id="c2", offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
        )
        await stub.HangupCall(pb.HangupCallRequest(call_id="c2"))
        await stub.RouteCall(pb.RouteCallRequest(call_id="c3", caller="+493", queue="sales"))
        await stub.HangupCall(pb.HangupCallRequest(call_id="c3"))


async def stored(gateway, agent_id: str, call_id: str, **fields) -> rpb.Recording:
    """A second of tone recorded for the call, uploaded to the gateway's recorder (metadata
    fields such as start_ms as keywords)."""
    import grpc

    from callcenter.api.recorder.v1 import recorder_pb2_grpc

    channel = grpc.aio.insecure_channel(gateway.recorder_addr)
    async with channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        return await upload(stub, tone(1.0), metadata(call_id, agent_id=agent_id, **fields))
