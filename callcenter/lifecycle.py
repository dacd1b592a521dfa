"""Process life: every service's main waits here for the signal to drain and stop."""

from __future__ import annotations

import asyncio
import signal


async def wait_for_termination() -> None:
    """Returns on SIGTERM (Kubernetes stopping the pod) or SIGINT (Ctrl+C)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
