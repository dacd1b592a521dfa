"""A real stats process (`python -m callcenter.services.stats`) killed with SIGKILL while it works through
the stream, then a new one started: the figures equal those of a run that never died."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from callcenter.core.clock import ManualClock
from callcenter.core.event_stream import stream_key
from callcenter.services.stats.config import Figures
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import CallFilter
from callcenter.services.stats.stats import PeriodSpec, Stats
from tests.stats_fixtures import utc_ms

AGENTS = [f"a{i:02d}" for i in range(10)]


def start_process(redis_url: str, tenant: str, name: str, tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CALLCENTER_REDIS_URL": redis_url,
        "CALLCENTER_TENANT": tenant,
        "CALLCENTER_STATS_PORT": "0",
        "CALLCENTER_STATS_PORT_FILE": str(tmp_path / f"{name}.port"),
        "CALLCENTER_STATS_CONSUMER": name,
        "CALLCENTER_STATS_BATCH_SIZE": "10",
        "CALLCENTER_STATS_CLAIM_IDLE_MS": "100",
        "CALLCENTER_STATS_BLOCK_MS": "50",
        "CALLCENTER_LOG_FORMAT": "json",
        "CALLCENTER_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "callcenter.services.stats"],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def until(check, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def snapshot(redis, tenant: str) -> tuple:
    stats = Stats(redis, tenant, ManualClock(utc_ms("2026-03-03 00:00")), Figures())
    day = PeriodSpec(day="2026-03-02")
    _r, agents = await stats.agent_figures(day, AGENTS)
    _r, _t, queues = await stats.queue_figures(day, ["sales"])
    records, _ = await stats.call_records(CallFilter(), 500, "")
    board = await stats.board()
    return agents, queues, records, board.agents, board.queues


async def test_a_killed_process_and_its_successor_count_like_a_clean_run(
    script, make_consumer, redis, redis_url, tenant, tmp_path
):
    script.at("2026-03-02 08:00")
    for agent in AGENTS:
        await script.login(agent, ["sales"])
    for i in range(300):
        script.advance(7)
        agent = AGENTS[i % len(AGENTS)]
        if i % 5 == 4:
            await script.receive(f"c{i}", "sales")
            await script.offer(f"c{i}", agent)
            script.advance(5)
            await script.miss(f"c{i}", "no_answer")
            await script.queue(f"c{i}")
            script.advance(3)
            await script.abandon(f"c{i}")
        else:
            await script.answered_call(f"c{i}", "sales", agent, ring_s=2, talk_s=20 + i % 30, wrap_s=5)
    total = await redis.xlen(stream_key(tenant))

    clean = tenant + "clean"
    for _id, fields in await redis.xrange(stream_key(tenant)):
        await redis.xadd(stream_key(clean), fields)
    await make_consumer("clean", tenant=clean).drain()

    applied_key = StatsKeys(tenant).applied
    first = start_process(redis_url, tenant, "first", tmp_path)
    try:
        await until(lambda: _at_least(redis, applied_key, 100))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert await redis.zcard(applied_key) < total, "the first process finished before it was killed"

    second = start_process(redis_url, tenant, "second", tmp_path)
    try:
        await until(lambda: _all_acknowledged(redis, tenant, total))
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=10)
    assert await redis.zcard(applied_key) == total
    assert await snapshot(redis, tenant) == await snapshot(redis, clean)


async def _at_least(redis, key: str, n: int) -> bool:
    return await redis.zcard(key) >= n


async def _all_acknowledged(redis, tenant: str, total: int) -> bool:
    groups = await redis.xinfo_groups(stream_key(tenant))
    newest = (await redis.xrevrange(stream_key(tenant), count=1))[0][0]
    return bool(groups) and groups[0]["pending"] == 0 and groups[0]["last-delivered-id"] == newest
