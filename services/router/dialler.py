"""The campaign dialler (S2.7, S4.1): every replica, every interval, looks at each running
campaign's due contacts, puts off those outside their calling hours (in the client's own time
zone) to their next window, and has campaign_dial.lua dial the others, as many as the queue
has agents free for them. Replicas racing for one campaign never dial a contact twice: the
script checks every contact again, atomically."""

from __future__ import annotations

import time

import structlog

from callcenter.core.background import Worker
from callcenter.services.router import metrics
from callcenter.services.router.calling_hours import next_window_ms
from callcenter.services.router.campaigns import hours_from_hash
from callcenter.services.router.router import Router

log = structlog.get_logger(__name__)

#: Due contacts looked at per campaign and step, beyond the free agents (those put off to
#: their next window leave room for the next ones at the following step).
LOOKAHEAD = 50


class Dialler:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.redis = router.store.redis
        self.keys = router.store.keys
        self.decisions = 0  # contacts decided (dialled or put off) since the start, for figures
        self.busy_s = 0.0  # time spent deciding, for the bench's CPU figure

    async def step(self) -> int:
        """One pass over the running campaigns; returns how many calls it made."""
        started = time.perf_counter()
        dialled = 0
        for campaign_id in sorted(await self.redis.smembers(self.keys.campaigns_running)):
            dialled += await self._campaign(campaign_id)
        spent = time.perf_counter() - started
        self.busy_s += spent
        metrics.DIALLER_BUSY.inc(spent)
        metrics.DIALLER_CALLS.inc(dialled)
        return dialled

    async def _campaign(self, campaign_id: str) -> int:
        h = await self.redis.hgetall(self.keys.campaign(campaign_id))
        if h.get("state") != "running":
            return 0
        queue = h["queue"]
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys.available(queue))
            pipe.zcard(self.keys.waiting_out(queue))
            free, waiting = await pipe.execute()
        room = free - waiting
        if room <= 0:
            return 0
        now = await self.router.redis_now_ms()
        due = await self.redis.zrangebyscore(self.keys.campaign_due(campaign_id), "-inf", now, 0, room + LOOKAHEAD)
        if not due:
            return 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in due:
                pipe.hget(self.keys.client(number), "time_zone")
            zones = await pipe.execute()
        hours = hours_from_hash(h)
        args: list[str | int] = []
        for number, zone in zip(due, zones, strict=True):
            opens = next_window_ms(hours, now, zone or "")
            args += [number, "dial" if opens <= now else "defer", opens]
        self.decisions += len(due)
        metrics.DIALLER_DECISIONS.inc(len(due))
        reply = await self.router.store.run("campaign_dial", self.router.now(), campaign_id, *args)
        if reply["dialled"]:
            log.info("campaign.dialled", campaign_id=campaign_id, calls=reply["dialled"], queue=queue)
        return int(reply["dialled"])


def dialler_worker(dialler: Dialler, interval_ms: int) -> Worker:
    interval_s = interval_ms / 1000

    async def step() -> float:
        await dialler.step()
        return interval_s

    return Worker("router-dialler", step)
