"""The gateway's app factory: `create_app(config, redis)` gives a ready aiohttp application
(tests call it directly; server.py runs it)."""

from __future__ import annotations

import functools

import grpc
import redis.asyncio as aioredis
from aiohttp import web
from grpc_health.v1 import health_pb2, health_pb2_grpc

from callcenter.core.clock import Clock
from callcenter.core.redis_connection import dedicated_client
from callcenter.services.gateway import (
    admin_api,
    agents_api,
    audit_api,
    auth_api,
    automation_api,
    board_api,
    call_control_api,
    campaigns_api,
    client_card_api,
    conversation_control_api,
    conversations_api,
    crm_api,
    export_api,
    handover_api,
    invoice_queue_api,
    metrics,
    openapi,
    outbound_api,
    pages,
    payroll_api,
    pipeline_api,
    queue_live_api,
    recordings_api,
    stats_api,
    tasks_api,
    teams_api,
    thresholds_api,
    trends_api,
    wallboard_api,
)
from callcenter.services.gateway.automation import Automation, AutomationStore
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.domain.agents import served_queues
from callcenter.services.gateway.domain.day_figures import FiguresCache
from callcenter.services.gateway.domain.thresholds import ThresholdStore
from callcenter.services.gateway.error_replies import errors_middleware
from callcenter.services.gateway.handovers import HandoverStore
from callcenter.services.gateway.live import LiveHub
from callcenter.services.gateway.login_throttle import LOGINS, LoginThrottle
from callcenter.services.gateway.passwords import PasswordWorkers
from callcenter.services.gateway.sessions import SessionStore
from callcenter.services.gateway.task_timers import handback_timer, task_timer
from callcenter.services.gateway.tasks import TaskStore
from callcenter.services.gateway.users import UserStore
from callcenter.services.gateway.web import (
    BACKENDS,
    CONFIG,
    HANDOVERS,
    SESSIONS,
    TASKS,
    USERS,
    access_log_middleware,
    auth_middleware,
    json_reply,
    security_headers,
)

REDIS = web.AppKey("redis", aioredis.Redis)


async def readiness_problems(app: web.Application) -> dict[str, str]:
    """What keeps the gateway from being ready (none: ready): Redis must answer and the router
    report SERVING on its health service. Asked by /readyz here and on the ops port."""
    problems = {}
    try:
        await app[REDIS].ping()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        problems["redis"] = str(exc) or type(exc).__name__
    backends = app[BACKENDS]
    try:
        health = health_pb2_grpc.HealthStub(backends.router_channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=min(backends.timeout_s, 2))
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            problems["router"] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    except grpc.aio.AioRpcError as exc:
        problems["router"] = exc.code().name
    return problems


async def readyz(request: web.Request) -> web.Response:
    """Readiness: Redis answers and the router reports SERVING on its health service."""
    problems = await readiness_problems(request.app)
    if problems:
        return json_reply({"status": "not ready", "problems": problems}, 503)
    return json_reply({"status": "ready"})


def create_app(
    config: GatewayConfig, redis: aioredis.Redis, backends: Backends | None = None, task_clock: Clock | None = None
) -> web.Application:
    """`task_clock`: tests only, a hand-driven clock for the tasks' due times (tasks.py)."""
    app = web.Application(
        middlewares=[access_log_middleware, errors_middleware, auth_middleware],
        client_max_size=1024 * 1024,
    )
    app.on_response_prepare.append(security_headers)  # streamed responses too
    metrics.install(app, redis)  # requests counted by route (served on the ops port, server.py)
    app[CONFIG] = config
    app[REDIS] = redis
    passwords = PasswordWorkers(config.login.password_workers, config.login.password_queue)
    app[USERS] = UserStore(redis, config.common.tenant, passwords)
    app[LOGINS] = LoginThrottle(redis, config.common.tenant, config.login)
    app[SESSIONS] = SessionStore(redis, config.common.tenant, config.session_ttl_s)
    app[TASKS] = TaskStore(redis, config.common.tenant, config.time_zone, clock=task_clock)
    app[HANDOVERS] = HandoverStore(app[TASKS])
    app[BACKENDS] = backends or Backends(
        config.router_addr,
        config.stats_addr,
        config.recorder_addr,
        config.rpc_timeout_s,
        credentials=config.grpc,
        webhooks_addr=config.webhooks_addr,
    )

    async def close_backends(app: web.Application):
        yield
        await app[BACKENDS].close()

    async def stop_password_workers(app: web.Application):
        yield
        passwords.close()

    # The live feed reads on a connection of its own (its XREAD blocks), tolerant of bytes that
    # are not UTF-8: such an entry is skipped and counted, never a read that fails for ever.
    live_redis = dedicated_client(redis, 1, name="gateway-live", tolerant=True)
    app[board_api.LIVE] = LiveHub(
        live_redis or redis,
        config.common.tenant,
        functools.partial(served_queues, app[BACKENDS]),
        session_uids=functools.partial(board_api.session_uids, app),
    )
    app[board_api.FIGURES_CACHE] = FiguresCache()
    app[thresholds_api.THRESHOLDS] = ThresholdStore(redis, config.common.tenant, config.thresholds)

    async def run_live_hub(app: web.Application):
        worker = app[board_api.LIVE].worker().start()
        yield
        await worker.stop()
        if live_redis is not None:
            await live_redis.aclose()

    async def run_task_timer(app: web.Application):
        worker = task_timer(app[TASKS]).start()  # due times and reminders, in every replica
        handbacks = handback_timer(app[BACKENDS], app[HANDOVERS]).start()  # handovers' ends
        yield
        await handbacks.stop()
        await worker.stop()

    app[automation_api.AUTOMATION] = AutomationStore(app[TASKS], config.automation)
    # The automation rules on the event stream, one member per replica (automation.py); its
    # blocking XREADGROUP on a connection of its own, tolerant of bytes that are not UTF-8.
    consume = config.automation.consume
    automation_redis = dedicated_client(redis, 2, name="gateway-automation", tolerant=True) if consume else None
    app[automation_api.AUTOMATION_CONSUMER] = Automation(
        automation_redis or redis, app[automation_api.AUTOMATION], app[BACKENDS]
    )

    async def run_automation(app: web.Application):
        consumer, worker = app[automation_api.AUTOMATION_CONSUMER], None
        if consume:
            await consumer.ensure_group()  # from now on no event is missed, even before the first read
            worker = consumer.worker().start()
        yield
        if worker is not None:
            await worker.stop()
        if automation_redis is not None:
            await automation_redis.aclose()

    async def end_streams(app: web.Application) -> None:
        app[board_api.LIVE].close()

    app.cleanup_ctx.append(close_backends)
    app.cleanup_ctx.append(stop_password_workers)
    app.cleanup_ctx.append(run_live_hub)
    app.cleanup_ctx.append(run_task_timer)
    app.cleanup_ctx.append(run_automation)
    app.on_shutdown.append(end_streams)
    modules = (pages, auth_api, agents_api, tasks_api, board_api, recordings_api, stats_api, audit_api, export_api)
    modules = (*modules, call_control_api, queue_live_api)
    modules = (*modules, admin_api, wallboard_api)
    modules = (*modules, thresholds_api)
    modules = (*modules, trends_api)
    modules = (*modules, pipeline_api)
    modules = (*modules, payroll_api, invoice_queue_api)
    modules = (*modules, client_card_api, handover_api, crm_api, automation_api, teams_api)
    modules = (*modules, outbound_api, campaigns_api)
    modules = (*modules, conversations_api, conversation_control_api)
    wallboard_api.install(app, redis, config.common.tenant)
    for module in (*modules, openapi):
        app.router.add_routes(module.routes)
    app.router.add_get("/readyz", readyz)
    app.router.add_static("/static/", pages.STATIC, append_version=False)
    return app
