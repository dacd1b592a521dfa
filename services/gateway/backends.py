"""The gRPC services the gateway asks: one channel and stub per service, a deadline on every
call. The gateway holds no business logic: it asks these and filters by role."""

from __future__ import annotations

import grpc

from callcenter.api.router.v1 import router_pb2_grpc


class Backends:
    def __init__(self, router_addr: str, stats_addr: str, recorder_addr: str, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._channels = [
            grpc.aio.insecure_channel(router_addr),
            grpc.aio.insecure_channel(stats_addr),
            grpc.aio.insecure_channel(recorder_addr),
        ]
        router_channel, stats_channel, recorder_channel = self._channels
        self.router_channel = router_channel
        self.router = router_pb2_grpc.RouterServiceStub(router_channel)
        self.stats_channel = stats_channel
        self.recorder_channel = recorder_channel

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
