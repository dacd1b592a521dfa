"""The router as the bench's `outbound` section runs it: `python -m callcenter.services.router`'s
replica, and beside it the dialler's own counters (Dialler.decisions: contacts decided, dialled
or put off; Dialler.busy_s: time spent deciding), written to --counters-file every 50 ms and at
the end, so the bench reads the dialler's figures without asking the router anything."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import time

from callcenter.core.lifecycle import catch_termination, install_termination_handlers, wait_for_termination
from callcenter.core.logs import configure_logging
from callcenter.core.redis_connection import open_redis
from callcenter.services.router.config import RouterConfig
from callcenter.services.router.dialler import Dialler
from callcenter.services.router.server import RouterReplica

EVERY_S = 0.05


def write_counters(dialler: Dialler, path: pathlib.Path) -> None:
    """One snapshot, replaced whole (a reader never sees half of one)."""
    snapshot = {"decisions": dialler.decisions, "busy_s": round(dialler.busy_s, 6), "time": time.time()}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(snapshot))
    os.replace(partial, path)


async def _keep_writing(dialler: Dialler, path: pathlib.Path) -> None:
    while True:
        write_counters(dialler, path)
        await asyncio.sleep(EVERY_S)


async def run(config: RouterConfig, counters_file: pathlib.Path) -> None:
    catch_termination()
    async with open_redis(config.common) as redis:
        replica = RouterReplica(config, redis)
        await replica.start()
        writer = asyncio.create_task(_keep_writing(replica.dialler, counters_file))
        await wait_for_termination()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        await replica.stop()
        write_counters(replica.dialler, counters_file)


def read_counters(path: pathlib.Path) -> dict[str, float] | None:
    """The latest snapshot, None before the first."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m callcenter.tools.bench.outbound_router")
    parser.add_argument("--counters-file", type=pathlib.Path, required=True)
    args = parser.parse_args()
    install_termination_handlers()
    config = RouterConfig.from_env()
    configure_logging(config.common.log_format, config.common.log_level)
    asyncio.run(run(config, args.counters_file))


if __name__ == "__main__":
    main()
