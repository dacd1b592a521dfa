"""The port operators and Kubernetes talk to, apart from the service's own (docs/operations.md):
`GET /metrics` (Prometheus), `GET /healthz` (the process's event loop answers: liveness) and
`GET /readyz` (the service reports SERVING: readiness). Plain HTTP: it carries no customer data,
and the kubelet's probes and Prometheus speak it without certificates. A gRPC port that serves
TLS only keeps real health probes this way."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from callcenter.core import metrics
from callcenter.core.grpc_server import PortTaken
from callcenter.core.settings import setting

log = structlog.get_logger(__name__)


#: What tells readiness: SERVING now (a bool), or an awaitable that finds out.
Ready = Callable[[], bool | Awaitable[bool]]


@dataclass(frozen=True)
class OpsSettings:
    """Where a service serves its metrics and probes."""

    host: str = setting(
        "CALLCENTER_OPS_HOST", "127.0.0.1", "address of the metrics and probes port (`0.0.0.0` in a pod)"
    )
    port: int = setting(
        "CALLCENTER_OPS_PORT",
        0,
        "port of `/metrics`, `/healthz` and `/readyz` (0: none; `callcenter up` serves one for all its services)",
        minimum=0,
        maximum=65535,
    )


class OpsServer:
    """Serves /metrics, /healthz and /readyz; `ready()` says whether the service is SERVING
    (a bool, or an awaitable of one: the gateway asks Redis and the router)."""

    def __init__(self, ready: Ready) -> None:
        self.ready = ready
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = 0

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        ready = self.ready()
        if inspect.isawaitable(ready):
            ready = await ready
        if ready:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready"}, status=503)

    async def start(self, host: str, port: int) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_port=False)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise PortTaken(f"could not bind the ops port {host}:{port}: {exc.strerror or exc}") from exc
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("ops.started", port=self.port)
        return self.port

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_ops(settings: OpsSettings, ready: Ready) -> OpsServer | None:
    """The ops server of a service, started when its port is set (None when it is 0)."""
    if settings.port == 0:
        return None
    server = OpsServer(ready)
    await server.start(settings.host, settings.port)
    return server
