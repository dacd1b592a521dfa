"""Assembles a router replica: Redis store, domain, timer loop, event reader, gRPC server.

Redis connections (docs/architecture.md, "Redis connections"): RPCs share the process's pool;
the timer loop (2 connections), the WatchCall hub (1), the deal owners' consumer (1) and the
PBX sessions' blocking reads (at most CALLCENTER_PBX_MAX_SESSIONS) each have a pool of their
own, so nothing a client opens can take the connections the others need."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import structlog

from callcenter.api.router.v1 import (
    campaigns_pb2,
    campaigns_pb2_grpc,
    conversations_pb2,
    conversations_pb2_grpc,
    router_pb2,
    router_pb2_grpc,
    segments_pb2,
    segments_pb2_grpc,
)
from callcenter.core import metrics, private_files
from callcenter.core.background import Worker
from callcenter.core.clock import Clock
from callcenter.core.grpc_security import check_listening
from callcenter.core.grpc_server import GrpcServer
from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.ops_server import OpsServer, start_ops
from callcenter.core.redis_connection import dedicated_client, open_redis
from callcenter.core.tracing import configure_tracing
from callcenter.services.router import metrics as router_metrics
from callcenter.services.router.access import CAMPAIGN_POLICY, CONVERSATION_POLICY, ROUTER_POLICY, SEGMENT_POLICY
from callcenter.services.router.campaign_api import CampaignServicer
from callcenter.services.router.campaigns import Campaigns
from callcenter.services.router.config import RouterConfig
from callcenter.services.router.config_file import apply_config_file
from callcenter.services.router.conversation_api import ConversationServicer
from callcenter.services.router.conversations import Conversations
from callcenter.services.router.deal_owners import DealOwners
from callcenter.services.router.dialler import Dialler, dialler_worker
from callcenter.services.router.do_not_call import DoNotCall
from callcenter.services.router.grpc_api import RouterServicer
from callcenter.services.router.router import Router
from callcenter.services.router.segment_api import SegmentServicer
from callcenter.services.router.segments import Segments
from callcenter.services.router.store import RouterStore
from callcenter.services.router.timers import timer_worker
from callcenter.services.router.watch import CallWatchHub

log = structlog.get_logger(__name__)

SERVICE_NAME = router_pb2.DESCRIPTOR.services_by_name["RouterService"].full_name
CAMPAIGN_SERVICE_NAME = campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"].full_name
SEGMENT_SERVICE_NAME = segments_pb2.DESCRIPTOR.services_by_name["SegmentService"].full_name
CONVERSATION_SERVICE_NAME = conversations_pb2.DESCRIPTOR.services_by_name["ConversationService"].full_name


class RouterReplica:
    """One router process's moving parts, started and stopped together."""

    def __init__(self, config: RouterConfig, redis: aioredis.Redis, clock: Clock | None = None) -> None:
        self.config = config

        def store_on(client: aioredis.Redis, reader: aioredis.Redis | None = None) -> RouterStore:
            return RouterStore(
                client,
                config.common.tenant,
                event_stream_maxlen=config.event_stream_maxlen,
                call_retention_s=config.call_retention_s,
                pbx=config.pbx,
                defaults=config.queue_defaults,
                reader=reader,
                outbound=config.outbound,
            )

        # Each open PBX session blocks in an XREAD of its stream: on a pool of their own
        # (as many connections as sessions a replica serves), never on the shared one.
        self._pbx_redis = dedicated_client(redis, config.pbx.max_sessions, name="router-pbx-sessions", tolerant=True)
        store = store_on(redis, self._pbx_redis)
        # No clock: every time comes from Redis (a test may still pass a hand-driven one).
        self.router = Router(store, clock, config.queue_defaults)
        # The timers fire on connections of their own: however many streams clients hold
        # open on the shared pool, offers still expire and wrap-ups still end.
        self._timer_redis = dedicated_client(redis, 2, name="router-timers")
        self.timer_router = Router(store_on(self._timer_redis or redis), clock, config.queue_defaults)
        # One reader of the event stream for every WatchCall stream, on its own connection.
        self._hub_redis = dedicated_client(redis, 1, name="router-watch-hub", tolerant=True)
        self.hub = CallWatchHub(
            self._hub_redis or redis, store.keys.events, position_interval_ms=config.pbx.position_interval_ms
        )
        # The deal owners' member of the router-deals group: a blocking reader, on its own connection.
        self._deals_redis = dedicated_client(redis, 1, name="router-deal-owners", tolerant=True)
        self.deals = DealOwners(self._deals_redis or redis, config.common.tenant, config.deals)
        self.segments = Segments(self.router)
        self.do_not_call = DoNotCall(self.router)
        self.conversations = Conversations(self.router)
        # A campaign with a segment adds exactly the segment's clients at its first start.
        self.campaigns = Campaigns(self.router, segment_numbers=self.segments.numbers)
        self.deals.on_new_lead = self.campaigns.add_new_lead
        # The dialler runs on the timers' connections: free agents are not left idle because
        # clients hold the shared pool.
        self.dialler = Dialler(self.timer_router)

        def add_servicers(server) -> None:
            router_pb2_grpc.add_RouterServiceServicer_to_server(RouterServicer(self.router, self.hub), server)
            campaigns_pb2_grpc.add_CampaignServiceServicer_to_server(CampaignServicer(self.campaigns), server)
            segments_pb2_grpc.add_SegmentServiceServicer_to_server(
                SegmentServicer(self.segments, self.do_not_call), server
            )
            conversations_pb2_grpc.add_ConversationServiceServicer_to_server(
                ConversationServicer(self.conversations), server
            )

        self.grpc = GrpcServer(
            [SERVICE_NAME, CAMPAIGN_SERVICE_NAME, SEGMENT_SERVICE_NAME, CONVERSATION_SERVICE_NAME],
            add_servicers,
            config.grpc,
            [ROUTER_POLICY, CAMPAIGN_POLICY, SEGMENT_POLICY, CONVERSATION_POLICY],
        )
        self._workers: list[Worker] = []
        self.port = 0
        self.ops: OpsServer | None = None  # metrics and probes, when its port is set

    async def start(self) -> int:
        check_listening(self.config.host, self.config.grpc)  # refused before anything starts
        if self.config.config_file is not None:
            queues, agents = await apply_config_file(self.router, self.config.config_file)
            log.info("router.config_file_applied", path=str(self.config.config_file), queues=queues, agents=agents)
        await self.deals.ensure_group()
        gone = await self.deals.forget_idle_consumers(self.config.deals.forget_consumers_after_s * 1000)
        if gone:
            log.info("deals.consumers_forgotten", consumers=gone)
        self._workers = [
            timer_worker(self.timer_router, self.config.timer_poll_ms).start(),
            dialler_worker(self.dialler, self.config.outbound.dialler_interval_ms).start(),
            self.hub.worker().start(),
            self.deals.worker().start(),
        ]
        self.port = await self.grpc.start(self.config.host, self.config.port)
        self.ops = await start_ops(self.config.ops, lambda: self.grpc.serving)
        metrics.refresher("router", self._refresh_metrics)
        if self.config.port_file is not None:
            private_files.write_private_text(self.config.port_file, str(self.port))
        log.info("router.started", port=self.port, tenant=self.config.common.tenant)
        return self.port

    async def _refresh_metrics(self) -> None:
        await router_metrics.refresh(self.router.store)

    async def stop(self) -> None:
        """Stops taking RPCs, lets running ones finish, then stops the loops. Nothing is lost:
        every state and timer is in Redis, and other replicas fire this one's timers."""
        await self.grpc.stop(self.config.shutdown_grace_s)
        metrics.forget_refresher("router", self._refresh_metrics)
        if self.ops is not None:
            await self.ops.stop()
        for worker in self._workers:
            await worker.stop()
        for own in (self._timer_redis, self._hub_redis, self._pbx_redis, self._deals_redis):
            if own is not None:
                await own.aclose()
        log.info("router.stopped")


async def run(config: RouterConfig) -> None:
    catch_termination()  # a signal while starting still ends in a clean stop
    async with open_redis(config.common) as redis:
        replica = RouterReplica(config, redis)
        await replica.start()
        await wait_for_termination()
        await replica.stop()


def main() -> None:
    install_termination_handlers()  # first: a signal at any moment of start-up is a clean stop
    config = RouterConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    configure_tracing("router", config.common.otlp_endpoint)
    asyncio.run(run(config))
