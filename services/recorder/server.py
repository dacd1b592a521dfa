"""Assembles a recorder process: storage, catalog, domain, background loops, gRPC server."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import structlog

from callcenter.api.recorder.v1 import recorder_pb2, recorder_pb2_grpc
from callcenter.core import metrics, private_files
from callcenter.core.background import Worker
from callcenter.core.clock import Clock, SystemClock
from callcenter.core.grpc_security import check_listening
from callcenter.core.grpc_server import GrpcServer
from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.ops_server import OpsServer, start_ops
from callcenter.core.redis_connection import open_redis
from callcenter.core.tracing import configure_tracing
from callcenter.services.recorder import metrics as recorder_metrics
from callcenter.services.recorder.access import RECORDER_POLICY
from callcenter.services.recorder.config import RecorderConfig
from callcenter.services.recorder.grpc_api import RecorderServicer
from callcenter.services.recorder.recorder import Recorder
from callcenter.services.recorder.retention import background_loops
from callcenter.services.recorder.storage import LocalDirectoryStorage, RecordingStorage, Staging

log = structlog.get_logger(__name__)

SERVICE_NAME = recorder_pb2.DESCRIPTOR.services_by_name["RecorderService"].full_name


class RecorderService:
    """One recorder process's moving parts, started and stopped together."""

    def __init__(
        self,
        config: RecorderConfig,
        redis: aioredis.Redis,
        clock: Clock | None = None,
        storage: RecordingStorage | None = None,
    ) -> None:
        self.config = config
        root = config.recordings_dir
        self.storage = storage or LocalDirectoryStorage(root)
        self.recorder = Recorder(
            redis,
            config.common.tenant,
            self.storage,
            Staging(root / ".staging"),
            clock or SystemClock(),
            config.limits(),
        )
        self.grpc = GrpcServer(
            [SERVICE_NAME],
            lambda server: recorder_pb2_grpc.add_RecorderServiceServicer_to_server(
                RecorderServicer(self.recorder), server
            ),
            config.grpc,
            [RECORDER_POLICY],
        )
        self._loops: list[Worker] = []
        self.port = 0
        self.ops: OpsServer | None = None  # metrics and probes, when its port is set

    async def start(self) -> int:
        check_listening(self.config.host, self.config.grpc)  # refused before anything starts
        self._loops = background_loops(self.recorder, self.config.sweep_interval_s)
        for loop in self._loops:
            loop.start()
        self.port = await self.grpc.start(self.config.host, self.config.port)
        self.ops = await start_ops(self.config.ops, lambda: self.grpc.serving)
        metrics.refresher("recorder", self._refresh_metrics)
        if self.config.port_file is not None:
            private_files.write_private_text(self.config.port_file, str(self.port))
        log.info("recorder.started", port=self.port, tenant=self.config.common.tenant, storage=self.storage.describe())
        return self.port

    async def _refresh_metrics(self) -> None:
        await recorder_metrics.refresh(self)

    async def stop(self) -> None:
        """Takes no new uploads, lets running ones finish within the grace period; those still
        running then are suspended (committed, resumable from another replica or after a
        restart). Then stops the background loops."""
        self.recorder.accepting = False
        log.info("recorder.stopping", uploads=self.recorder.active_uploads)
        await self.grpc.stop(self.config.shutdown_grace_s)
        metrics.forget_refresher("recorder", self._refresh_metrics)
        if self.ops is not None:
            await self.ops.stop()
        await self.recorder.drain()
        for loop in self._loops:
            await loop.stop()
        log.info("recorder.stopped")


async def run(config: RecorderConfig) -> None:
    catch_termination()  # a signal while starting still ends in a clean stop
    async with open_redis(config.common) as redis:
        service = RecorderService(config, redis)
        await service.start()
        await wait_for_termination()
        await service.stop()


def main() -> None:
    install_termination_handlers()  # first: a signal at any moment of start-up is a clean stop
    config = RecorderConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    configure_tracing("recorder", config.common.otlp_endpoint)
    asyncio.run(run(config))
