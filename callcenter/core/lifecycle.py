"""Process life: every service's main waits here for the signal to drain and stop.

`install_termination_handlers()` is the first thing a service's `main()` does (and the
`callcenter` command, for its long-running subcommands): from then until the process ends a
SIGTERM or SIGINT is remembered instead of killing the process, so a signal that arrives
at any moment — while the service is still starting (loading a config file, starting the
embedded Redis), while it serves, or a second one while it stops — leads to the same clean
stop, and the embedded redis-server it started stops with it. `catch_termination()` (first
thing in the main coroutine; it installs the handlers too if main did not) hands the
signals to the running event loop; `wait_for_termination()` returns once one has come,
including one that came before the loop ran.

The handlers are plain `signal.signal` handlers, not `loop.add_signal_handler`: they work
before any loop exists, they stay installed while the process stops (a second signal must
not kill it half-way, leaving its redis-server running), and they reach the loop the way
asyncio's own Ctrl+C handling does, with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import signal
from types import FrameType

import structlog

log = structlog.get_logger(__name__)

_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_received: list[int] = []  # signals not yet answered by a wait_for_termination()
_caught: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    caught = _caught
    if caught is not None:
        loop, stop = caught
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:
            pass  # that loop is closed: the signal stays in _received for the next one


def install_termination_handlers() -> None:
    """From now on SIGTERM and SIGINT are remembered instead of ending the process (main thread)."""
    for sig in _SIGNALS:
        if signal.getsignal(sig) is not _on_signal:
            signal.signal(sig, _on_signal)


def catch_termination() -> asyncio.Event:
    """Installs the handlers if need be and ties them to the running loop (once per loop);
    returns the event they set, set already when a signal came earlier."""
    global _caught
    install_termination_handlers()
    loop = asyncio.get_running_loop()
    if _caught is None or _caught[0] is not loop:
        stop = asyncio.Event()
        _caught = (loop, stop)
        if _received:  # after the assignment: a signal from now on sets the event itself
            stop.set()
    return _caught[1]


async def wait_for_termination() -> None:
    """Returns on SIGTERM (Kubernetes stopping the pod) or SIGINT (Ctrl+C), including one
    that arrived since install_termination_handlers(). The handlers stay: a further signal
    while the service stops is remembered, not fatal."""
    await catch_termination().wait()
    log.info("process.stopping", signal=signal.Signals(_received[0]).name if _received else "")
    _received.clear()
