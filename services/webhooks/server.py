"""Assembles a webhooks process: the dispatcher (a member of the tenant's consumer group on
the event stream), the sender (due deliveries out over HTTP) and the gRPC server.

Redis connections: RPCs share the process's pool; the dispatcher (2 connections, one blocked in
its read) and the sender (2) each have a client of their own, so a burst of RPCs never stops
deliveries and slow receivers never starve the RPCs."""

from __future__ import annotations

import asyncio

import grpc
import redis.asyncio as aioredis
import structlog

from callcenter.api.crm.v1 import crm_pb2, crm_pb2_grpc
from callcenter.api.webhooks.v1 import webhooks_pb2, webhooks_pb2_grpc
from callcenter.core import metrics, private_files
from callcenter.core.background import Worker
from callcenter.core.grpc_security import check_listening
from callcenter.core.grpc_server import GrpcServer
from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.ops_server import OpsServer, start_ops
from callcenter.core.redis_connection import dedicated_client, open_redis
from callcenter.core.tracing import configure_tracing
from callcenter.services.webhooks import metrics as webhook_metrics
from callcenter.services.webhooks.access import CRM_POLICY, WEBHOOKS_POLICY
from callcenter.services.webhooks.config import WebhooksConfig
from callcenter.services.webhooks.crm_grpc import CrmServicer
from callcenter.services.webhooks.crm_in import CrmIn
from callcenter.services.webhooks.crm_targets import CrmTargets
from callcenter.services.webhooks.dispatch import Dispatcher
from callcenter.services.webhooks.grpc_api import WebhookServicer
from callcenter.services.webhooks.sender import Sender
from callcenter.services.webhooks.subscriptions import Subscriptions

log = structlog.get_logger(__name__)

SERVICE_NAME = webhooks_pb2.DESCRIPTOR.services_by_name["WebhookService"].full_name
CRM_SERVICE_NAME = crm_pb2.DESCRIPTOR.services_by_name["CrmService"].full_name


class WebhooksService:
    """One webhooks process's moving parts, started and stopped together."""

    def __init__(self, config: WebhooksConfig, redis: aioredis.Redis) -> None:
        self.config = config
        tenant = config.common.tenant
        self.redis = redis
        self.subscriptions = Subscriptions(redis, tenant, config)
        self._sender_redis = dedicated_client(redis, 2, name="webhooks-sender")
        self.sender = Sender(self._sender_redis or redis, tenant, config)
        self._dispatch_redis = dedicated_client(redis, 2, name="webhooks-dispatcher", tolerant=True)
        self.dispatcher = Dispatcher(self._dispatch_redis or redis, tenant, config, on_queued=self.sender.wake)
        crm = config.crm
        self.crm_targets = CrmTargets(crm.router_addr, crm.stats_addr, crm.rpc_timeout_s, config.client)
        self.crm_in = CrmIn(redis, tenant, crm, config.event_stream_maxlen, self.crm_targets)
        self.grpc = GrpcServer(
            [SERVICE_NAME, CRM_SERVICE_NAME], self._register, config.grpc, [WEBHOOKS_POLICY, CRM_POLICY]
        )
        self._workers: list[Worker] = []
        self.port = 0
        self.ops: OpsServer | None = None

    def _register(self, server: grpc.aio.Server) -> None:
        webhooks_pb2_grpc.add_WebhookServiceServicer_to_server(  # type: ignore[no-untyped-call]
            WebhookServicer(self.subscriptions), server
        )
        crm_pb2_grpc.add_CrmServiceServicer_to_server(CrmServicer(self.crm_in), server)  # type: ignore[no-untyped-call]

    async def start(self) -> int:
        check_listening(self.config.host, self.config.grpc)  # refused before anything starts
        await self.dispatcher.ensure_group()
        gone = await self.dispatcher.forget_idle_consumers(self.config.forget_consumers_after_s * 1000)
        if gone:
            log.info("webhooks.consumers_forgotten", consumers=gone)
        self._workers = [self.dispatcher.worker().start(), self.sender.worker().start()]
        self.port = await self.grpc.start(self.config.host, self.config.port)
        self.ops = await start_ops(self.config.ops, lambda: self.grpc.serving)
        metrics.refresher("webhooks", self._refresh_metrics)
        if self.config.port_file is not None:
            private_files.write_private_text(self.config.port_file, str(self.port))
        log.info("webhooks.started", port=self.port, tenant=self.config.common.tenant, consumer=self.dispatcher.name)
        return self.port

    async def _refresh_metrics(self) -> None:
        await webhook_metrics.refresh(self)

    async def stop(self) -> None:
        """Stops taking RPCs, then the workers; attempts under way get the shutdown grace. Nothing
        is lost: unacknowledged events are taken over by another replica (or this one after a
        restart), a cut attempt is sent again when its lease runs out."""
        await self.grpc.stop(self.config.shutdown_grace_s)
        metrics.forget_refresher("webhooks", self._refresh_metrics)
        if self.ops is not None:
            await self.ops.stop()
        for worker in self._workers:
            await worker.stop()
        await self.sender.close(self.config.shutdown_grace_s)
        await self.crm_targets.close()
        for own in (self._dispatch_redis, self._sender_redis):
            if own is not None:
                await own.aclose()
        log.info("webhooks.stopped", queued=self.dispatcher.queued, sent=self.sender.sent)


async def run(config: WebhooksConfig) -> None:
    catch_termination()
    async with open_redis(config.common) as redis:
        service = WebhooksService(config, redis)
        await service.start()
        await wait_for_termination()
        await service.stop()


def main() -> None:
    install_termination_handlers()
    config = WebhooksConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    configure_tracing("webhooks", config.common.otlp_endpoint)
    asyncio.run(run(config))
