"""The `callcenter` command.

callcenter up        the whole system in one process, with an embedded Redis
callcenter router    one router replica (run several against one Redis)
callcenter stats     the stats service (board and KPIs from the event stream)
callcenter recorder  the recorder (call recordings over gRPC)
callcenter webhooks  CRM webhooks out: signed deliveries of the event stream (docs/crm.md)
callcenter gateway   the supervisors' web gateway (dashboard and JSON API)
callcenter user      manage gateway users (create the first admin)
callcenter credentials  TLS certificates and caller tokens of a deployment (docs/security.md)
callcenter doctor    check a running deployment: what is wrong and what to do (docs/operations.md)
callcenter redis     only the embedded Redis, in the foreground
callcenter codegen   regenerate the Python code from protos/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.resources
import pathlib
import sys
from typing import TYPE_CHECKING, Any

import structlog

from callcenter.core.config import CommonConfig, ConfigError
from callcenter.core.embedded_redis import EmbeddedRedisError, RedisPortTaken
from callcenter.core.grpc_server import PortTaken
from callcenter.core.logs import configure_logging
from callcenter.core.settings import load

if TYPE_CHECKING:
    from callcenter.services.stats.config import Figures

log = structlog.get_logger(__name__)

# The subcommands that serve until SIGTERM/SIGINT (and may start the embedded Redis).
_LONG_RUNNING = frozenset({"up", "router", "stats", "recorder", "webhooks", "gateway", "redis"})


def _example_config() -> pathlib.Path:
    return pathlib.Path(str(importlib.resources.files("callcenter") / "examples" / "queues.toml"))


def _given(option: int | None, configured: int) -> int:
    """A command-line option overrides the environment's setting."""
    return configured if option is None else option


def demo_figures(figures: Figures, speed: float) -> Figures:
    """The stats thresholds of a demo played `speed` times faster than real time: the service
    level's 20 s, the short abandon's 5 s and the board's 60 s overdue, divided by the speed
    like every duration of the simulation (whole seconds, the stats' resolution: at speed 30
    the service level counts answers within 1 s, 30 simulated seconds), so the demo's service
    level and abandon rate tell the same story."""
    if speed <= 0:
        return figures
    return dataclasses.replace(
        figures,
        service_level_threshold_s=max(1, round(figures.service_level_threshold_s / speed)),
        short_abandon_s=round(figures.short_abandon_s / speed),
        successful_touch_s=round(figures.successful_touch_s / speed),
        overdue_after_s=max(1, round(figures.overdue_after_s / speed)),
    )


async def _first_admin(redis: Any, tenant: str, data_dir: pathlib.Path) -> str | None:
    """With no gateway user yet, creates "admin" with a random password, kept readable only
    by the owner in the data dir; returns the password (None when users exist)."""
    import secrets

    from callcenter.services.gateway.users import UserStore

    users = UserStore(redis, tenant)
    if await users.count():
        return None
    password = secrets.token_urlsafe(12)
    await users.create("admin", password, "admin")
    from callcenter.core.private_files import private_dir, write_private_text

    secret = private_dir(data_dir) / "admin-password.txt"
    write_private_text(secret, password + "\n")
    return password


async def _up(args: argparse.Namespace) -> None:
    from callcenter.core.lifecycle import catch_termination, wait_for_termination

    catch_termination()  # a signal while starting still ends in a clean stop
    from callcenter.core.ops_server import OpsServer, OpsSettings
    from callcenter.core.redis_connection import open_redis, shown_url
    from callcenter.services.gateway.config import GatewayConfig
    from callcenter.services.gateway.server import GatewayServer
    from callcenter.services.recorder.config import RecorderConfig
    from callcenter.services.recorder.server import RecorderService
    from callcenter.services.router.config import RouterConfig
    from callcenter.services.router.server import RouterReplica
    from callcenter.services.stats.config import StatsConfig
    from callcenter.services.stats.server import StatsService
    from callcenter.services.webhooks.config import WebhooksConfig
    from callcenter.services.webhooks.server import WebhooksService

    # One ops port (metrics and probes) for every part of the process: the parts serve none.
    ops_settings = load(OpsSettings)
    no_ops = dataclasses.replace(ops_settings, port=0)
    config = RouterConfig.from_env()
    config_file = args.config or config.config_file or _example_config()
    config = dataclasses.replace(
        config, port=_given(args.router_port, config.port), config_file=pathlib.Path(config_file), ops=no_ops
    )
    stats_config = StatsConfig.from_env()
    stats_config = dataclasses.replace(stats_config, port=_given(args.stats_port, stats_config.port), ops=no_ops)
    if args.demo:
        stats_config = dataclasses.replace(stats_config, figures=demo_figures(stats_config.figures, args.demo_speed))
    async with open_redis(config.common) as redis, contextlib.AsyncExitStack() as started:
        # Each part is stopped (in reverse) however the start-up ends: a port taken by the
        # third part still stops the first two cleanly before the process exits.
        router = RouterReplica(config, redis)
        started.push_async_callback(router.stop)
        port = await router.start()
        stats = StatsService(stats_config, redis)
        started.push_async_callback(stats.stop)
        stats_port = await stats.start()
        webhooks_config = WebhooksConfig.from_env()
        webhooks_config = dataclasses.replace(
            webhooks_config,
            port=_given(args.webhooks_port, webhooks_config.port),
            ops=no_ops,
            crm=dataclasses.replace(
                webhooks_config.crm,
                router_addr=f"{config.host}:{port}",
                stats_addr=f"{stats_config.host}:{stats_port}",
            ),
        )
        webhooks = WebhooksService(webhooks_config, redis)
        started.push_async_callback(webhooks.stop)
        webhooks_port = await webhooks.start()
        recorder_config = RecorderConfig.from_env()
        recorder_config = dataclasses.replace(
            recorder_config, port=_given(args.recorder_port, recorder_config.port), ops=no_ops
        )
        recorder = RecorderService(recorder_config, redis)
        started.push_async_callback(recorder.stop)
        recorder_port = await recorder.start()
        gateway_config = GatewayConfig.from_env()
        gateway_config = dataclasses.replace(
            gateway_config,
            port=_given(args.gateway_port, gateway_config.port),
            router_addr=f"{config.host}:{port}",
            recorder_addr=f"{recorder_config.host}:{recorder_port}",
            stats_addr=f"{stats_config.host}:{stats_port}",
            webhooks_addr=f"{webhooks_config.host}:{webhooks_port}",
            ops=no_ops,
        )
        gateway = GatewayServer(gateway_config, redis)
        started.push_async_callback(gateway.stop)
        gateway_port = await gateway.start()
        ops_port = 0
        if ops_settings.port:

            async def ready() -> bool:
                return all(part.grpc.serving for part in (router, stats, recorder, webhooks)) and await gateway.ready()

            ops = OpsServer(ready)
            ops_port = await ops.start(ops_settings.host, ops_settings.port)  # cleans up itself if refused
            started.push_async_callback(ops.stop)
        password = await _first_admin(redis, config.common.tenant, config.common.data_dir)
        log.info(
            "callcenter.up",
            router=f"{config.host}:{port}",
            gateway=f"http://{gateway_config.host}:{gateway_port}/",
            data_dir=str(config.common.data_dir.resolve()),
            redis=shown_url(config.common.redis_url) if config.common.redis_url else "embedded",
            queues_file=str(config_file),
        )
        print(f"callcenter is up: router gRPC on {config.host}:{port}", flush=True)
        print(f"  stats gRPC on {stats_config.host}:{stats_port}", flush=True)
        print(f"  recorder gRPC on {recorder_config.host}:{recorder_port}", flush=True)
        print(f"  webhooks gRPC on {webhooks_config.host}:{webhooks_port}", flush=True)
        print(f"  dashboard: http://{gateway_config.host}:{gateway_port}/", flush=True)
        if ops_port:
            print(f"  metrics and probes: http://{ops_settings.host}:{ops_port}/metrics", flush=True)
        if password:
            print(f"  first login: admin / {password}  (also in {config.common.data_dir / 'admin-password.txt'})")
        print("Ctrl+C stops it.", flush=True)
        demo_stop, demo_task = asyncio.Event(), None
        if args.demo:
            from callcenter.tools.simulator.cli import demo

            demo_task = asyncio.create_task(
                demo(
                    f"{config.host}:{port}",
                    demo_stop,
                    speed=args.demo_speed,
                    recorder_address=f"{recorder_config.host}:{recorder_port}",
                    stats_address=f"{stats_config.host}:{stats_port}",
                )
            )
        await wait_for_termination()
        if demo_task is not None:
            demo_stop.set()
            await demo_task


async def _user_create(args: argparse.Namespace) -> int:
    import getpass

    from callcenter.core.redis_connection import open_redis
    from callcenter.services.gateway.config import NewUserEnvironment
    from callcenter.services.gateway.users import UserError, UserStore

    common = CommonConfig.from_env()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = load(NewUserEnvironment).password or getpass.getpass(f"password for {args.username}: ")
    async with open_redis(common) as redis:
        try:
            user = await UserStore(redis, common.tenant).create(
                args.username,
                password,
                args.role,
                agent_id=args.agent_id,
                teams=tuple(args.team),
                channels=tuple(args.channel),
            )
        except UserError as exc:
            print(f"callcenter: {exc}", file=sys.stderr)
            return 2
    print(f"created {user.role} {user.username}")
    return 0


async def _redis(args: argparse.Namespace) -> None:
    from callcenter.core.embedded_redis import EmbeddedRedis
    from callcenter.core.lifecycle import catch_termination, wait_for_termination

    catch_termination()  # a signal while the server starts still stops it afterwards
    common = CommonConfig.from_env()
    with EmbeddedRedis(common.data_dir, port=args.port) as server:
        print(f"embedded Redis: {server.url}" + (f" and 127.0.0.1:{args.port}" if args.port else ""), flush=True)
        await wait_for_termination()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="callcenter", description="Call-centre routing platform")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole system (embedded Redis unless CALLCENTER_REDIS_URL is set)")
    up.add_argument("--config", help="TOML file of queues and agents (default: the bundled example)")
    up.add_argument("--router-port", type=int, help="default: CALLCENTER_ROUTER_PORT or 50051 (0: any free port)")
    up.add_argument("--gateway-port", type=int, help="default: CALLCENTER_GATEWAY_PORT or 8080")
    up.add_argument("--recorder-port", type=int, help="default: CALLCENTER_RECORDER_PORT or 50053")
    up.add_argument("--stats-port", type=int, help="default: CALLCENTER_STATS_PORT or 50052")
    up.add_argument("--webhooks-port", type=int, help="default: CALLCENTER_WEBHOOKS_PORT or 50054")
    sub.add_parser("router", help="run one router replica (settings from CALLCENTER_* variables)")
    sub.add_parser("stats", help="run a stats replica (settings from CALLCENTER_* variables)")
    sub.add_parser("recorder", help="run the recorder (settings from CALLCENTER_* variables)")
    sub.add_parser("webhooks", help="run a webhooks replica: CRM webhooks out (settings from CALLCENTER_* variables)")
    sub.add_parser("gateway", help="run the supervisors' web gateway (settings from CALLCENTER_* variables)")
    user_cmd = sub.add_parser("user", help="manage gateway users")
    user_sub = user_cmd.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create a user (e.g. the first admin)")
    create.add_argument("--username", required=True)
    from callcenter.services.gateway.users import ROLES  # the gateway's roles, declared there once

    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--agent-id", default="", help="the router agent this user is (role agent)")
    create.add_argument(
        "--team",
        action="append",
        default=[],
        help="a queue a supervisor supervises or a messaging user serves (repeat; one at least)",
    )
    create.add_argument(
        "--channel", action="append", default=[], help="a channel a messaging user serves (repeat; none: every one)"
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin (else prompt, or use CALLCENTER_NEW_USER_PASSWORD)",
    )
    redis_cmd = sub.add_parser("redis", help="run only the embedded Redis server in the foreground")
    redis_cmd.add_argument("--port", type=int, default=0, help="also listen on this TCP port of 127.0.0.1")
    sub.add_parser("codegen", help="regenerate the Python code from protos/")
    from callcenter.tools.bench.cli import add_arguments as add_bench_arguments
    from callcenter.tools.credentials import add_arguments as add_credentials_arguments
    from callcenter.tools.doctor import add_arguments as add_doctor_arguments
    from callcenter.tools.simulator.cli import add_arguments as add_simulate_arguments

    simulate = sub.add_parser("simulate", help="play a virtual PBX and agents against a running router (the demo)")
    add_simulate_arguments(simulate)
    bench = sub.add_parser("bench", help="benchmark the router against this machine's gRPC/Redis ceiling")
    add_bench_arguments(bench)
    credentials = sub.add_parser("credentials", help="a local CA, certificates and caller tokens for a deployment")
    add_credentials_arguments(credentials)
    doctor = sub.add_parser("doctor", help="check a running deployment and say what is wrong and what to do")
    add_doctor_arguments(doctor)
    up.add_argument("--demo", action="store_true", help="also play a simulated call centre against it")
    up.add_argument("--demo-speed", type=float, default=30.0, help="time compression of the demo (default: 30)")
    args = parser.parse_args(argv)
    if args.command in _LONG_RUNNING:
        from callcenter.core.lifecycle import install_termination_handlers

        # Before anything starts: a SIGTERM/SIGINT at any moment from here on is a clean stop
        # (the embedded redis-server included), never a kill half-way through start-up.
        install_termination_handlers()

    try:
        common = CommonConfig.from_env()
        configure_logging(common.log_format, common.log_level)
        if args.command == "up":
            from callcenter.core.tracing import configure_tracing

            configure_tracing("up", common.otlp_endpoint)
            asyncio.run(_up(args))
        elif args.command == "router":
            from callcenter.services.router.server import main as router_main

            router_main()
        elif args.command == "simulate":
            from callcenter.tools.simulator.cli import run_from_args as simulate_main

            return simulate_main(args)
        elif args.command == "bench":
            from callcenter.tools.bench.cli import run_from_args as bench_main

            return bench_main(args)
        elif args.command == "credentials":
            from callcenter.tools.credentials import run_from_args as credentials_main

            return credentials_main(args)
        elif args.command == "doctor":
            from callcenter.tools.doctor import run_from_args as doctor_main

            return doctor_main(args)
        elif args.command == "stats":
            from callcenter.services.stats.server import main as stats_main

            stats_main()
        elif args.command == "recorder":
            from callcenter.services.recorder.server import main as recorder_main

            recorder_main()
        elif args.command == "webhooks":
            from callcenter.services.webhooks.server import main as webhooks_main

            webhooks_main()
        elif args.command == "gateway":
            from callcenter.services.gateway.server import main as gateway_main

            gateway_main()
        elif args.command == "user":
            return asyncio.run(_user_create(args))
        elif args.command == "redis":
            asyncio.run(_redis(args))
        elif args.command == "codegen":
            from callcenter.tools.codegen import main as codegen_main

            return codegen_main()
    except ConfigError as exc:
        print(f"callcenter: configuration error: {exc}", file=sys.stderr)
        return 2
    except (PortTaken, RedisPortTaken) as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    except EmbeddedRedisError as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
