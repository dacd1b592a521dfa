"""WatchBoard (deprecated in the proto) served by one reader per stats process.

Nothing is written for it: the consumer's apply.lua records every applied event id in the
`applied` set anyway, so the hub reads the tenant's event stream (plain XREAD from its end,
only while someone watches) and publishes an event once its id is in that set, whichever
replica applied it, with its agent and queue as the board shows them then. The board is read
once per batch of events, not once per watcher, and every watcher gets its updates from that
one read, filtered by its queues.

Costs and bounds:
- with nobody watching: nothing at all (no Redis command);
- watching: one Redis connection of the hub's own (its client, `dedicated_client`), whatever
  the number of watchers, never one of the pool serving RPCs;
- at most `max_watchers` watchers (RESOURCE_EXHAUSTED beyond, CALLCENTER_STATS_MAX_WATCHERS);
- a watcher more than `backlog` updates behind is ended with RESOURCE_EXHAUSTED (a client that
  stopped reading holds no more than that in memory);
- an event not applied within `give_up_s` (it went to the dead-letter stream, or every
  consumer is down) is dropped and counted (`unapplied`), as are the oldest of more than
  `max_pending` events waiting to be applied; an entry that does not decode is skipped and
  counted (`unreadable`), never the end of the reader.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from callcenter.api.events.v1 import events_pb2
from callcenter.core import errors
from callcenter.core.background import Worker
from callcenter.core.clock import Clock
from callcenter.core.event_stream import decode, stream_key
from callcenter.core.redis_connection import undecodable
from callcenter.services.stats import metrics as stats_metrics
from callcenter.services.stats.board import BoardReader
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import AgentNow, QueueNow

log = structlog.get_logger(__name__)


@dataclass
class Change:
    """One applied event and the board entries it touched."""

    event: events_pb2.Event
    agent: AgentNow | None
    queue: QueueNow | None
    reply: object = None  # the gRPC layer's message for it, made once for every watcher


class Watcher:
    """One WatchBoard stream's updates, filled by the hub, read by the RPC."""

    def __init__(self, queues: frozenset[str], backlog: int) -> None:
        self.queues = queues
        self.backlog = backlog
        self.behind = False  # more than backlog updates were unread: the stream ends
        self._updates: deque[Change] = deque()
        self._ready = asyncio.Event()

    def wants(self, change: Change) -> bool:
        if not self.queues:
            return True
        return (change.queue is not None and change.queue.queue in self.queues) or (
            change.agent is not None and not self.queues.isdisjoint(change.agent.queues)
        )

    def offer(self, change: Change) -> None:
        if len(self._updates) >= self.backlog:
            self.behind = True
        else:
            self._updates.append(change)
        self._ready.set()

    async def updates(self) -> AsyncIterator[Change]:
        while True:
            await self._ready.wait()
            self._ready.clear()
            if self.behind:
                raise errors.ResourceExhausted(
                    f"this WatchBoard stream fell more than {self.backlog} updates behind: read faster or GetBoard"
                )
            while self._updates:
                yield self._updates.popleft()


class BoardWatchHub:
    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        clock: Clock,
        *,
        max_watchers: int,
        overdue_after_ms: int,
        block_ms: int = 1000,
        recheck_ms: int = 50,
        batch: int = 500,
        backlog: int = 1000,
        give_up_s: float = 60.0,
        max_pending: int = 10_000,
    ) -> None:
        # Every command of the hub runs in its one loop, one at a time: one connection.
        self.redis = redis
        self.keys = StatsKeys(tenant)
        self.events_key = stream_key(tenant)
        self.board = BoardReader(redis, self.keys)
        self.clock = clock
        self.max_watchers = max_watchers
        self.overdue_after_ms = overdue_after_ms
        self.block_ms = block_ms
        self.recheck_ms = recheck_ms  # how soon events read but not applied yet are looked at again
        self.batch = batch
        self.backlog = backlog
        self.give_up_s = give_up_s
        self.max_pending = max_pending
        self._watchers: set[Watcher] = set()
        self._watched = asyncio.Event()  # set while anyone watches
        self._last: str | None = None  # the stream entry read last (None: not reading)
        self._pending: dict[str, tuple[dict[str, str], float]] = {}  # read, not applied yet
        self.published = 0  # events published (once each, whatever the number of watchers)
        self.unapplied = 0  # events dropped because they were not applied in time
        self.unreadable = 0  # entries skipped because they did not decode
        self.refused = 0  # watchers refused over max_watchers

    @property
    def watchers(self) -> int:
        return len(self._watchers)

    @contextlib.asynccontextmanager
    async def watch(self, queues: frozenset[str] = frozenset()) -> AsyncIterator[Watcher]:
        """A watcher of the events applied from now on (ResourceExhausted over the bound)."""
        if len(self._watchers) >= self.max_watchers:
            self.refused += 1
            raise errors.ResourceExhausted(
                f"this replica serves {self.max_watchers} WatchBoard streams already: watch on another or later"
            )
        watcher = Watcher(queues, self.backlog)
        self._watchers.add(watcher)  # the place is taken before anything is awaited
        try:
            if self._last is None:  # the hub is idle: it reads on from the stream's end now
                end = await self._stream_end()
                if self._last is None:  # (the first of watchers joining at once sets the mark)
                    self._last = end
            self._watched.set()
            yield watcher
        finally:
            self._watchers.discard(watcher)

    async def step(self) -> None:
        """One round (run by a background worker for as long as the process lives)."""
        if not self._watchers:
            self._last = None
            self._pending.clear()
            self._watched.clear()
            await self._watched.wait()
            return
        if self._last is None:
            self._last = await self._stream_end()
        block = self.recheck_ms if self._pending else self.block_ms
        reply = await self.redis.xread({self.events_key: self._last}, block=block, count=self.batch)
        now = asyncio.get_running_loop().time()
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self._last = entry_id
                self._pending[entry_id] = (fields, now)
        excess = len(self._pending) - self.max_pending
        if excess > 0:
            for entry_id in list(self._pending)[:excess]:
                del self._pending[entry_id]
            self._drop_unapplied(excess)
        if self._pending:
            await self._publish_applied(now)

    def worker(self) -> Worker:
        return Worker("stats-board-watch", self.step, stop_timeout_s=0)

    async def _publish_applied(self, now: float) -> None:
        ids = list(self._pending)[: self.batch]  # the oldest first
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in ids:
                pipe.zscore(self.keys.applied, entry_id)
            scores = await pipe.execute()
        events: list[events_pb2.Event] = []
        late = 0
        for entry_id, score in zip(ids, scores, strict=True):
            fields, read_at = self._pending[entry_id]
            if score is None:
                if now - read_at > self.give_up_s:
                    del self._pending[entry_id]
                    late += 1
                continue
            del self._pending[entry_id]
            try:
                if undecodable(fields):
                    raise ValueError("not UTF-8")
                events.append(decode(entry_id, fields))
            except Exception:  # decoding is pure: whatever it raises, the entry is unreadable
                self.unreadable += 1  # skipped and counted, never the end of the reader
                stats_metrics.WATCH_UNREADABLE.inc()
                log.warning("stats.watch_entry_unreadable", id=entry_id, unreadable=self.unreadable)
        if late:
            self._drop_unapplied(late)
        if not events:
            return
        changes = await self._changes(events)
        for watcher in list(self._watchers):
            for change in changes:
                if watcher.wants(change):
                    watcher.offer(change)
        self.published += len(changes)

    async def _changes(self, events: list[events_pb2.Event]) -> list[Change]:
        """The events with their agents and queues, read from the board once for them all."""
        agent_ids = sorted({e.agent_id for e in events if e.agent_id})
        names = sorted({e.queue for e in events if e.queue})
        agents: dict[str, AgentNow] = {}
        queues: dict[str, QueueNow] = {}
        if names:
            everyone = await self.board.agents()
            agents = {a.agent_id: a for a in everyone}
            views, _overdue = await self.board.queues(names, everyone, self.clock.now_ms(), self.overdue_after_ms)
            queues = {q.queue: q for q in views}
        missing = [a for a in agent_ids if a not in agents]
        if missing:
            agents.update((a.agent_id, a) for a in await self.board.agents(missing))
        return [
            Change(e, agents.get(e.agent_id) if e.agent_id else None, queues.get(e.queue) if e.queue else None)
            for e in events
        ]

    def _drop_unapplied(self, count: int) -> None:
        self.unapplied += count
        log.warning("stats.watch_events_unapplied", dropped=count, unapplied=self.unapplied)

    async def _stream_end(self) -> str:
        newest = await self.redis.xrevrange(self.events_key, count=1)
        return newest[0][0] if newest else "0-0"
