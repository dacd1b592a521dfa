"""The gRPC services the gateway asks: one channel and stub per service, and the deadline of
every call. The gateway holds no call-centre logic: its domain (domain/) asks these and
filters by role."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TypeVar

import grpc

from callcenter.api.crm.v1 import crm_pb2_grpc
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.router.v1 import campaigns_pb2_grpc, conversations_pb2_grpc, router_pb2_grpc, segments_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.grpc_security import GrpcClientCredentials, aio_channel

T = TypeVar("T")


async def unless_unknown(reply: Awaitable[T], *also: grpc.StatusCode) -> T | None:
    """The RPC's reply; None when the backend knows no such object (NOT_FOUND, and the codes
    `also` names: INVALID_ARGUMENT for an id the backend would never know, such as a caller
    number that is no client's)."""
    try:
        return await reply
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND and exc.code() not in also:
            raise
        return None


class Backends:
    def __init__(
        self,
        router_addr: str,
        stats_addr: str,
        recorder_addr: str,
        timeout_s: float,
        interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        credentials: GrpcClientCredentials | None = None,
        webhooks_addr: str = "",
    ) -> None:
        """`interceptors` see every call on every channel (tests count the RPCs a request makes);
        `credentials` are what the gateway presents (docs/security.md). Each call made while a
        user's request is served carries that user as the actor (callcenter/core/audit.py).
        `webhooks_addr`: the webhooks service CRM events in go to (empty: none, `crm` is None)."""
        self.timeout_s = timeout_s
        self._channels = [
            aio_channel(addr, credentials, interceptors=interceptors)
            for addr in (router_addr, stats_addr, recorder_addr)
        ]
        router_channel, stats_channel, recorder_channel = self._channels
        self.router_channel = router_channel  # the readiness probe asks its health service
        self.router = router_pb2_grpc.RouterServiceStub(router_channel)
        # Outbound work (docs/outbound.md): the router serves campaigns and segments too.
        self.campaigns = campaigns_pb2_grpc.CampaignServiceStub(router_channel)
        self.segments = segments_pb2_grpc.SegmentServiceStub(router_channel)
        self.conversations = conversations_pb2_grpc.ConversationServiceStub(router_channel)
        self.stats = stats_pb2_grpc.StatsServiceStub(stats_channel)
        self.recorder = recorder_pb2_grpc.RecorderServiceStub(recorder_channel)
        self.crm: crm_pb2_grpc.CrmServiceStub | None = None
        if webhooks_addr:
            webhooks_channel = aio_channel(webhooks_addr, credentials, interceptors=interceptors)
            self._channels.append(webhooks_channel)
            self.crm = crm_pb2_grpc.CrmServiceStub(webhooks_channel)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
