"""Assembles a stats process: the event consumer (a member of the tenant's consumer group),
the domain readers and the gRPC server."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import structlog

from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc
from callcenter.core.background import Worker
from callcenter.core.clock import Clock, SystemClock
from callcenter.core.grpc_server import GrpcServer
from callcenter.core.lifecycle import catch_termination, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.redis_connection import open_redis
from callcenter.services.stats.config import StatsConfig
from callcenter.services.stats.grpc_api import StatsServicer
from callcenter.services.stats.ingest import EventConsumer
from callcenter.services.stats.stats import Stats

log = structlog.get_logger(__name__)

SERVICE_NAME = stats_pb2.DESCRIPTOR.services_by_name["StatsService"].full_name


class StatsService:
    """One stats process's moving parts, started and stopped together."""

    def __init__(self, config: StatsConfig, redis: aioredis.Redis, clock: Clock | None = None) -> None:
        self.config = config
        self.stats = Stats(redis, config.common.tenant, clock or SystemClock(), config.figures)
        self.consumer = EventConsumer(redis, config.common.tenant, config)
        self.grpc = GrpcServer(
            [SERVICE_NAME],
            lambda server: stats_pb2_grpc.add_StatsServiceServicer_to_server(
                StatsServicer(self.stats, config.max_watchers), server
            ),
        )
        self._worker: Worker | None = None
        self.port = 0

    async def start(self) -> int:
        await self.consumer.ensure_group()
        gone = await self.consumer.forget_idle_consumers(self.config.forget_consumers_after_s * 1000)
        if gone:
            log.info("stats.consumers_forgotten", consumers=gone)
        self._worker = self.consumer.worker().start()
        self.port = await self.grpc.start(self.config.host, self.config.port)
        if self.config.port_file is not None:
            self.config.port_file.write_text(str(self.port))
        log.info("stats.started", port=self.port, tenant=self.config.common.tenant, consumer=self.consumer.name)
        return self.port

    async def stop(self) -> None:
        """Stops taking RPCs, then the consumer. Nothing is lost: a batch it had read but
        not acknowledged is reclaimed by another replica (or this one after a restart) and
        counted once."""
        await self.grpc.stop(self.config.shutdown_grace_s)
        if self._worker is not None:
            await self._worker.stop()
        log.info("stats.stopped", applied=self.consumer.applied, duplicates=self.consumer.duplicates)


async def run(config: StatsConfig) -> None:
    catch_termination()  # a signal while starting still ends in a clean stop
    async with open_redis(config.common) as redis:
        service = StatsService(config, redis)
        await service.start()
        await wait_for_termination()
        await service.stop()


def main() -> None:
    config = StatsConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    asyncio.run(run(config))
