"""Process life: every service's main waits here for the signal to drain and stop.

`catch_termination()` is called first thing in a service's main coroutine: from then on a
SIGTERM or SIGINT is remembered instead of killing the process, so a signal that arrives
while the service is still starting (loading a config file, starting the embedded Redis)
leads to the same clean stop as one that arrives later.
"""

from __future__ import annotations

import asyncio
import signal

_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_caught: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None


def catch_termination() -> asyncio.Event:
    """Installs the handlers (once per event loop); returns the event they set."""
    global _caught
    loop = asyncio.get_running_loop()
    if _caught is None or _caught[0] is not loop:
        _caught = (loop, asyncio.Event())
        for sig in _SIGNALS:
            loop.add_signal_handler(sig, _caught[1].set)
    return _caught[1]


async def wait_for_termination() -> None:
    """Returns on SIGTERM (Kubernetes stopping the pod) or SIGINT (Ctrl+C), including one
    that arrived since catch_termination()."""
    global _caught
    stop = catch_termination()
    try:
        await stop.wait()
    finally:
        loop = asyncio.get_running_loop()
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
        _caught = None
