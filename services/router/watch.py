"""Pushes a call's changes to whoever watches it (the PBX's WatchCall stream).

Each router replica runs one reader of the event stream; a watcher is woken when an event of
its call arrives, whichever replica made the change (an offer expired by another replica's
timer included), then re-reads the call, so it never misses or reorders a state.

With nobody watching, the reader does not read events at all (it was the largest cost of a
busy router): it only notes the stream's end once per block_ms, and when the first watcher
subscribes it reads on from that mark, so an event between the mark and the subscription is
still delivered (at worst a watcher is woken once for nothing).

The reader runs on a Redis client of its own (one connection, the replica's server.py), so
however many watchers are open it holds no connection of the pool serving RPCs; an entry it
cannot read (not UTF-8) is skipped and counted, never the end of the reader.

A waiting call's watcher also follows its queue (its position moves when calls ahead leave),
but queue events only mark the queue as moved: its followers are woken at most once per
position interval, so a busy queue costs one wake per watcher per interval, not one per
event (v2 PBX sessions need none of this: their positions come on the PBX's stream).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import redis.asyncio as aioredis
import structlog

from callcenter.core.background import Worker
from callcenter.core.redis_connection import undecodable
from callcenter.services.router import metrics as router_metrics
from callcenter.services.router.model import CallView
from callcenter.services.router.router import Router

log = structlog.get_logger(__name__)
_QUEUE_KEY = "queue|"  # subscriber keys of queues ("|" never occurs in call ids)


class CallWatchHub:
    def __init__(
        self, redis: aioredis.Redis, events_key: str, block_ms: int = 1000, position_interval_ms: int = 1000
    ) -> None:
        self.redis = redis
        self.events_key = events_key
        self.block_ms = min(block_ms, position_interval_ms)
        self.position_interval_s = position_interval_ms / 1000
        self._subscribers: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._moved: set[str] = set()  # followed queues with events since their followers were woken
        self._woken_at = 0.0
        self._last: str | None = None  # the stream entry read last
        self._watched = asyncio.Event()  # set while anyone watches
        self.skipped = 0  # entries it could not read (for figures and tests)

    def _add(self, key: str, changed: asyncio.Event) -> None:
        self._subscribers[key].add(changed)
        self._watched.set()

    def _remove(self, key: str, changed: asyncio.Event) -> None:
        subscribers = self._subscribers.get(key)
        if subscribers is not None:
            subscribers.discard(changed)
            if not subscribers:
                del self._subscribers[key]
        if not self._subscribers:
            self._watched.clear()

    @contextlib.contextmanager
    def subscribe(self, call_id: str) -> Iterator[asyncio.Event]:
        """An asyncio.Event set whenever an event about call_id is appended to the stream."""
        changed = asyncio.Event()
        self._add(call_id, changed)
        try:
            yield changed
        finally:
            self._remove(call_id, changed)

    def follow_queue(self, queue: str, changed: asyncio.Event) -> None:
        """Also set `changed` on every event of a queue (a waiting call's position moves when
        calls ahead of it leave)."""
        self._add(_QUEUE_KEY + queue, changed)

    def unfollow_queue(self, queue: str, changed: asyncio.Event) -> None:
        self._remove(_QUEUE_KEY + queue, changed)

    async def step(self) -> None:
        """One read of the event stream (run by a background worker for as long as the
        replica lives): wakes the watchers of the calls it names."""
        if self._last is None:
            self._last = await self._stream_end()
        if not self._subscribers:
            try:
                await asyncio.wait_for(self._watched.wait(), timeout=self.block_ms / 1000)
            except TimeoutError:
                self._last = await self._stream_end()
            return
        reply = await self.redis.xread({self.events_key: self._last}, block=self.block_ms, count=1000)
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self._last = entry_id
                if undecodable(fields):
                    self.skipped += 1  # skipped and counted, never the end of the reader
                    router_metrics.WATCH_UNREADABLE.inc()
                    log.warning("watch.entry_unreadable", id=entry_id, skipped=self.skipped)
                    continue
                for changed in self._subscribers.get(fields.get("call_id", ""), ()):
                    changed.set()
                queue_key = _QUEUE_KEY + fields.get("queue", "")
                if queue_key in self._subscribers:
                    self._moved.add(queue_key)
        self._wake_queue_followers()

    def worker(self) -> Worker:
        return Worker("call-watch-hub", self.step, stop_timeout_s=0)

    def _wake_queue_followers(self) -> None:
        now = asyncio.get_running_loop().time()
        if not self._moved or now - self._woken_at < self.position_interval_s:
            return
        self._woken_at = now
        for key in self._moved:
            for changed in self._subscribers.get(key, ()):
                changed.set()
        self._moved.clear()

    async def _stream_end(self) -> str:
        newest = await self.redis.xrevrange(self.events_key, count=1)
        return newest[0][0] if newest else "0-0"


async def watch_call(
    router: Router, hub: CallWatchHub, call_id: str, recheck_s: float = 5.0
) -> AsyncIterator[CallView]:
    """The call now, then each change of it, ending after a final state. While the call
    waits, a change of its queue position or estimated wait counts too (any event of its
    queue wakes the watcher), for the PBX's announcements."""
    with hub.subscribe(call_id) as changed:
        last_seen: tuple | None = None
        followed = ""
        try:
            while True:
                changed.clear()
                call = await router.get_call(call_id)
                seen = (call.version, call.queue_position, call.estimated_wait_ms)
                if seen != last_seen:
                    last_seen = seen
                    yield call
                if call.final:
                    return
                wanted = call.queue if call.state == "waiting" else ""
                if wanted != followed:
                    if followed:
                        hub.unfollow_queue(followed, changed)
                    if wanted:
                        hub.follow_queue(wanted, changed)
                    followed = wanted
                    continue  # read again: an event may have come before the queue was followed
                with contextlib.suppress(TimeoutError):
                    # recheck_s is only a safety net in case the stream reader was interrupted.
                    await asyncio.wait_for(changed.wait(), timeout=recheck_s)
        finally:
            if followed:
                hub.unfollow_queue(followed, changed)
