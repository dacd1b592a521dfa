"""Runs the gateway: the aiohttp app on its port, until SIGTERM/SIGINT, then a graceful stop."""

from __future__ import annotations

import asyncio
import errno

import structlog
from aiohttp import web

from callcenter.core.grpc_server import PortTaken
from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.redis_connection import open_redis
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.config import GatewayConfig

log = structlog.get_logger(__name__)


class GatewayServer:
    """The gateway's HTTP server, started and stopped as one piece."""

    def __init__(self, config: GatewayConfig, redis) -> None:
        self.config = config
        self.app = create_app(config, redis)
        self.runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=config.shutdown_grace_s)
        self.port = 0

    async def start(self) -> int:
        await self.runner.setup()
        # No SO_REUSEPORT (as the gRPC servers): a second system on a taken port must fail.
        site = web.TCPSite(self.runner, self.config.host, self.config.port, reuse_port=False)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortTaken(
                f"could not bind {self.config.host}:{self.config.port}: the port is taken (another service runs there?)"
            ) from exc
        self.port = site._server.sockets[0].getsockname()[1]  # the bound port (0 = any free one)
        if self.config.port_file is not None:
            self.config.port_file.write_text(str(self.port))
        log.info("gateway.started", port=self.port, router=self.config.router_addr)
        return self.port

    async def stop(self) -> None:
        await self.runner.cleanup()
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
    asyncio.run(run(config))
