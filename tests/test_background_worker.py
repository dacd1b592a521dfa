"""The one background-worker helper every service loop runs on."""

from __future__ import annotations

import asyncio

import redis.exceptions

from callcenter.core.background import Worker


async def test_a_failing_step_is_retried_after_a_growing_backoff_and_never_ends_the_loop():
    calls: list[float] = []
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    async def step():
        calls.append(loop.time())
        if len(calls) == 1:
            raise redis.exceptions.ConnectionError("redis went away")
        if len(calls) == 2:
            raise ValueError("a bug")
        done.set()
        return 10.0

    worker = Worker("test", step, min_backoff_s=0.05, max_backoff_s=1.0).start()
    await asyncio.wait_for(done.wait(), 5)
    await worker.stop()
    assert worker.failures == 2
    assert calls[1] - calls[0] >= 0.05 and calls[2] - calls[1] >= 0.1  # doubled


async def test_stop_wakes_the_sleep_and_lets_a_step_under_way_finish():
    finished = asyncio.Event()
    started = asyncio.Event()

    async def step():
        started.set()
        await asyncio.sleep(0.1)
        finished.set()
        return 3600.0

    worker = Worker("test", step).start()
    await started.wait()
    await asyncio.wait_for(worker.stop(), 2)  # not the hour-long sleep
    assert finished.is_set() and worker.stopping


async def test_a_step_that_outlasts_the_stop_timeout_is_cancelled():
    cancelled = asyncio.Event()
    started = asyncio.Event()

    async def step():
        started.set()
        try:
            await asyncio.Event().wait()  # never set: only the cancellation ends it
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = Worker("test", step, stop_timeout_s=0.05).start()
    await started.wait()
    await asyncio.wait_for(worker.stop(), 2)
    assert cancelled.is_set()
