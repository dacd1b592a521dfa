"""Runs the gateway: the aiohttp app on its port, until SIGTERM/SIGINT, then a graceful stop.
Its connections go through connection_guard.py (a cap, a deadline for request headers, an
idle timeout)."""

from __future__ import annotations

import asyncio
import errno

import structlog
from aiohttp import web

from callcenter.core import private_files
from callcenter.core.grpc_server import PortTaken
from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.ops_server import OpsServer, start_ops
from callcenter.core.redis_connection import open_redis
from callcenter.core.tracing import configure_tracing
from callcenter.services.gateway import connection_guard
from callcenter.services.gateway.app import create_app, readiness_problems
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.connection_guard import ConnectionGuard, GuardedSite

log = structlog.get_logger(__name__)


class GatewayServer:
    """The gateway's HTTP server, started and stopped as one piece."""

    def __init__(self, config: GatewayConfig, redis) -> None:
        self.config = config
        quotas = config.quotas
        self.app = create_app(config, redis)
        # First of all middlewares: it sees a request as soon as its header has arrived.
        self.app.middlewares.insert(0, connection_guard.middleware)
        self.guard = ConnectionGuard(quotas.connections, quotas.header_timeout_s)
        self.runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=config.shutdown_grace_s,
            keepalive_timeout=quotas.idle_timeout_s,  # idle between requests (aiohttp's own)
        )
        self.port = 0
        self.stopping = False
        self.ops: OpsServer | None = None  # metrics and probes, when CALLCENTER_OPS_PORT is set

    async def ready(self) -> bool:
        """Readiness on the ops port: serving, Redis answers and the router is SERVING."""
        return not self.stopping and not await readiness_problems(self.app)

    async def start(self) -> int:
        await self.runner.setup()
        # No SO_REUSEPORT (as the gRPC servers): a second system on a taken port must fail.
        site = GuardedSite(self.runner, self.config.host, self.config.port, self.guard)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortTaken(
                f"could not bind {self.config.host}:{self.config.port}: the port is taken (another service runs there?)"
            ) from exc
        self.port = site.bound_port  # 0 asked = any free one
        self.ops = await start_ops(self.config.ops, self.ready)
        if self.config.port_file is not None:
            private_files.write_private_text(self.config.port_file, str(self.port))
        log.info("gateway.started", port=self.port, router=self.config.router_addr)
        return self.port

    async def stop(self) -> None:
        self.stopping = True  # not ready any more, while requests drain
        await self.runner.cleanup()
        if self.ops is not None:
            await self.ops.stop()
        log.info("gateway.stopped")


async def run(config: GatewayConfig) -> None:
    catch_termination()  # a signal while starting still ends in a clean stop
    async with open_redis(config.common) as redis:
        server = GatewayServer(config, redis)
        await server.start()
        await wait_for_termination()
        await server.stop()


def main() -> None:
    install_termination_handlers()  # first: a signal at any moment of start-up is a clean stop
    config = GatewayConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    configure_tracing("gateway", config.common.otlp_endpoint)
    asyncio.run(run(config))
