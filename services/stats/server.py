"""Assembles a stats process: the event consumer (a member of the tenant's consumer group),
the domain readers, WatchBoard's hub and the gRPC server.

Redis connections: RPCs share the process's pool; the consumer (2 connections) and the
WatchBoard hub (1, however many streams are open) each have a client of their own, so no
number of client streams can stop the counting or starve the RPCs."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import structlog

from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc
from callcenter.core import metrics, private_files
from callcenter.core.background import Worker
from callcenter.core.clock import Clock, SystemClock
from callcenter.core.grpc_security import check_listening
from callcenter.core.grpc_server import GrpcServer
from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.ops_server import OpsServer, start_ops
from callcenter.core.redis_connection import dedicated_client, open_redis
from callcenter.core.tracing import configure_tracing
from callcenter.services.stats import metrics as stats_metrics
from callcenter.services.stats.access import STATS_POLICY
from callcenter.services.stats.board_watch import BoardWatchHub
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
        tenant = config.common.tenant
        self.redis = redis
        self.stats = Stats(redis, tenant, clock or SystemClock(), config.figures)
        self._consumer_redis = dedicated_client(redis, 2, name="stats-consumer", tolerant=True)
        self.consumer = EventConsumer(self._consumer_redis or redis, tenant, config)
        self._watch_redis = dedicated_client(redis, 1, name="stats-board-watch", tolerant=True)
        self.board_watch = BoardWatchHub(
            self._watch_redis or redis,
            tenant,
            self.stats.clock,
            max_watchers=config.max_watchers,
            overdue_after_ms=config.figures.overdue_after_s * 1000,
            block_ms=config.block_ms,
        )
        self.grpc = GrpcServer(
            [SERVICE_NAME],
            lambda server: stats_pb2_grpc.add_StatsServiceServicer_to_server(
                StatsServicer(self.stats, self.board_watch), server
            ),
            config.grpc,
            [STATS_POLICY],
        )
        self._workers: list[Worker] = []
        self.port = 0
        self.ops: OpsServer | None = None  # metrics and probes, when its port is set

    async def start(self) -> int:
        check_listening(self.config.host, self.config.grpc)  # refused before anything starts
        await self.consumer.ensure_group()
        gone = await self.consumer.forget_idle_consumers(self.config.forget_consumers_after_s * 1000)
        if gone:
            log.info("stats.consumers_forgotten", consumers=gone)
        # An older version wrote one entry per applied event there; nothing reads it now.
        await self.redis.delete(self.stats.keys.changes)
        self._workers = [self.consumer.worker().start(), self.board_watch.worker().start()]
        self.port = await self.grpc.start(self.config.host, self.config.port)
        self.ops = await start_ops(self.config.ops, lambda: self.grpc.serving)
        metrics.refresher("stats", self._refresh_metrics)
        if self.config.port_file is not None:
            private_files.write_private_text(self.config.port_file, str(self.port))
        log.info("stats.started", port=self.port, tenant=self.config.common.tenant, consumer=self.consumer.name)
        return self.port

    async def _refresh_metrics(self) -> None:
        await stats_metrics.refresh(self)

    async def stop(self) -> None:
        """Stops taking RPCs, then the consumer. Nothing is lost: a batch it had read but
        not acknowledged is reclaimed by another replica (or this one after a restart) and
        counted once."""
        await self.grpc.stop(self.config.shutdown_grace_s)
        metrics.forget_refresher("stats", self._refresh_metrics)
        if self.ops is not None:
            await self.ops.stop()
        for worker in self._workers:
            await worker.stop()
        for own in (self._consumer_redis, self._watch_redis):
            if own is not None:
                await own.aclose()
        log.info("stats.stopped", applied=self.consumer.applied, duplicates=self.consumer.duplicates)


async def run(config: StatsConfig) -> None:
    catch_termination()  # a signal while starting still ends in a clean stop
    async with open_redis(config.common) as redis:
        service = StatsService(config, redis)
        await service.start()
        await wait_for_termination()
        await service.stop()


def main() -> None:
    install_termination_handlers()  # first: a signal at any moment of start-up is a clean stop
    config = StatsConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    configure_tracing("stats", config.common.otlp_endpoint)
    asyncio.run(run(config))
