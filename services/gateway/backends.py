"""The gRPC services the gateway asks: one channel and stub per service, and the deadline of
every call. The gateway holds no call-centre logic: its domain (domain/) asks these and
filters by role."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2_grpc


class Backends:
    def __init__(
        self,
        router_addr: str,
        stats_addr: str,
        recorder_addr: str,
        timeout_s: float,
        interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
    ) -> None:
        """`interceptors` see every call on every channel (tests count the RPCs a request makes)."""
        self.timeout_s = timeout_s
        self._channels = [
            grpc.aio.insecure_channel(addr, interceptors=list(interceptors) or None)
            for addr in (router_addr, stats_addr, recorder_addr)
        ]
        router_channel, stats_channel, recorder_channel = self._channels
        self.router_channel = router_channel  # the readiness probe asks its health service
        self.router = router_pb2_grpc.RouterServiceStub(router_channel)
        self.stats = stats_pb2_grpc.StatsServiceStub(stats_channel)
        self.recorder = recorder_pb2_grpc.RecorderServiceStub(recorder_channel)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
