"""The `callcenter` command.

callcenter up        the whole system in one process, with an embedded Redis
callcenter router    one router replica (run several against one Redis)
callcenter redis     only the embedded Redis, in the foreground
callcenter codegen   regenerate the Python code from protos/
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.resources
import os
import pathlib
import sys

import structlog

from callcenter.config import CommonConfig, ConfigError
from callcenter.logs import configure_logging

log = structlog.get_logger(__name__)


def _example_config() -> pathlib.Path:
    return pathlib.Path(str(importlib.resources.files("callcenter") / "examples" / "queues.toml"))


async def _up(args: argparse.Namespace) -> None:
    from callcenter.lifecycle import wait_for_termination
    from callcenter.redis_connection import open_redis
    from services.router.config import RouterConfig
    from services.router.server import RouterReplica

    config = RouterConfig.from_env()
    config_file = args.config or config.config_file or _example_config()
    config = dataclasses.replace(config, port=args.router_port, config_file=pathlib.Path(config_file))
    async with open_redis(config.common) as redis:
        router = RouterReplica(config, redis)
        port = await router.start()
        log.info(
            "callcenter.up",
            router=f"{config.host}:{port}",
            data_dir=str(config.common.data_dir.resolve()),
            redis=config.common.redis_url or "embedded",
            queues_file=str(config_file),
        )
        print(f"callcenter is up: router gRPC on {config.host}:{port}; Ctrl+C stops it.", flush=True)
        await wait_for_termination()
        await router.stop()


def _redis(args: argparse.Namespace) -> None:
    import signal

    from callcenter.embedded_redis import EmbeddedRedis

    common = CommonConfig.from_env()
    with EmbeddedRedis(common.data_dir, port=args.port) as server:
        print(f"embedded Redis: {server.url}" + (f" and 127.0.0.1:{args.port}" if args.port else ""), flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="callcenter", description="Call-centre routing platform")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole system (embedded Redis unless CALLCENTER_REDIS_URL is set)")
    up.add_argument("--config", help="TOML file of queues and agents (default: the bundled example)")
    up.add_argument("--router-port", type=int, default=int(os.environ.get("CALLCENTER_ROUTER_PORT", "50051")))
    sub.add_parser("router", help="run one router replica (settings from CALLCENTER_* variables)")
    redis_cmd = sub.add_parser("redis", help="run only the embedded Redis server in the foreground")
    redis_cmd.add_argument("--port", type=int, default=0, help="also listen on this TCP port of 127.0.0.1")
    sub.add_parser("codegen", help="regenerate the Python code from protos/")
    args = parser.parse_args(argv)

    try:
        common = CommonConfig.from_env()
        configure_logging(common.log_format, common.log_level)
        if args.command == "up":
            asyncio.run(_up(args))
        elif args.command == "router":
            from services.router.server import main as router_main

            router_main()
        elif args.command == "redis":
            _redis(args)
        elif args.command == "codegen":
            from callcenter.codegen import main as codegen_main

            return codegen_main()
    except ConfigError as exc:
        print(f"callcenter: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
