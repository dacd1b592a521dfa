"""Live updates for browsers: one reader of the event stream per gateway process fans events
out to every open server-sent-events connection, filtered by what each user may see.

The event stream (callcenter.events.v1 on Redis) is the platform's published feed; the gateway
only relays *that something changed* (type and ids, as far as the user may see them:
domain/access.event_view), and browsers then ask the API, which applies the role rules, for
the figures. So a change reaches a dashboard within the stream's read latency
(milliseconds) plus one API round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import structlog
from aiohttp import web

from callcenter.api.events.v1 import events_pb2
from callcenter.core.background import Worker
from callcenter.core.event_stream import decode, stream_key
from callcenter.core.redis_connection import undecodable
from callcenter.services.gateway.domain import access
from callcenter.services.gateway.users import User

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000
KEEPALIVE_S = 15.0


def summary(event: events_pb2.Event) -> dict:
    return {
        "id": event.id,
        "type": events_pb2.EventType.Name(event.type).removeprefix("EVENT_TYPE_").lower(),
        "time_ms": event.time.ToMilliseconds(),
        "call_id": event.call_id,
        "agent_id": event.agent_id,
        "other_agent_id": event.other_agent_id,
        "queue": event.queue,
    }


class LiveHub:
    """Reads the tenant's event stream from "now" on and hands every event to subscribers."""

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        load_agent_queues: Callable[[], Awaitable[dict[str, set[str]]]] | None = None,
        block_ms: int = 500,
    ) -> None:
        self.redis = redis
        self.block_ms = block_ms  # how long one read waits for new entries
        self.key = stream_key(tenant)
        self.subscribers: set[asyncio.Queue] = set()
        # Which queues each agent serves, for supervisors' filters (events such as
        # AGENT_PAUSED name no queue): loaded from the router at start and whenever an
        # unknown agent shows up (at most once a second), kept current by AGENT_LOGGED_IN.
        self.agent_queues: dict[str, set[str]] = {}
        self._load_agent_queues = load_agent_queues
        self._loaded_at = -1.0
        self._last: str | None = None  # the stream entry read last
        self.unreadable = 0  # entries skipped because they are no event one can read

    async def refresh_agent_queues(self, min_interval_s: float = 1.0) -> None:
        loop = asyncio.get_running_loop()
        if self._load_agent_queues is None or loop.time() - self._loaded_at < min_interval_s:
            return
        self._loaded_at = loop.time()
        try:
            self.agent_queues.update(await self._load_agent_queues())
        except Exception as exc:  # noqa: BLE001 - the router may be down; events still flow
            log.warning("live.agent_queues_unavailable", error=str(exc) or type(exc).__name__)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    def close(self) -> None:
        """Ends every open stream (the gateway is shutting down; browsers reconnect elsewhere)."""
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def step(self) -> None:
        """One read of the event stream, handed to every subscriber (run by a worker)."""
        if self._last is None:
            # "Now" is the stream's last entry at the start, read once: reading from "$" on
            # every round would miss whatever is appended between two reads.
            newest = await self.redis.xrevrange(self.key, count=1)
            self._last = newest[0][0] if newest else "0-0"
            await self.refresh_agent_queues()
        replies = await self.redis.xread({self.key: self._last}, count=500, block=self.block_ms)
        for _, entries in replies:
            for entry_id, fields in entries:
                self._last = entry_id
                readable = self._readable(entry_id, fields)
                if readable is None:
                    continue
                item, queues = readable
                if queues:
                    self.agent_queues[item["agent_id"]] = queues
                elif item["agent_id"] and item["agent_id"] not in self.agent_queues:
                    await self.refresh_agent_queues()
                for queue in list(self.subscribers):
                    if queue.full():
                        # A browser that cannot keep up is told to reload everything.
                        with contextlib.suppress(asyncio.QueueEmpty):
                            queue.get_nowait()
                    queue.put_nowait(item)

    def _readable(self, entry_id: str, fields: dict) -> tuple[dict, set[str]] | None:
        """The entry's summary and the queues it names, or None for an entry that is no event one can read (a field
        missing or garbled, by whatever writer): skipped and counted, never the end of the
        feed, and whatever follows it still reaches every dashboard."""
        try:
            if undecodable(fields):  # bytes that are not UTF-8 (the reader is tolerant)
                raise ValueError("not UTF-8")
            event = decode(entry_id, fields)
            return summary(event), set(event.queues)
        except Exception as exc:  # noqa: BLE001 - any entry that does not decode is skipped
            self.unreadable += 1
            log.warning(
                "live.event_unreadable",
                id=entry_id,
                error=f"{type(exc).__name__}: {str(exc)[:200]}",
                unreadable=self.unreadable,
            )
            return None

    def worker(self) -> Worker:
        return Worker("live-hub", self.step, stop_timeout_s=0)


async def stream(
    request: web.Request, hub: LiveHub, user: User, still_valid: Callable[[], Awaitable[bool]]
) -> web.StreamResponse:
    """The server-sent-events response: one `message` per visible event, a comment line
    every 15 s to keep proxies from closing an idle connection. The session is checked again
    before each batch of events is written (and at each keepalive): a stream ends when its
    user logs out or is deleted."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    queue = hub.subscribe()
    try:
        await response.write(b"retry: 2000\n: connected\n\n")
        while True:
            try:
                batch = [await asyncio.wait_for(queue.get(), KEEPALIVE_S)]
            except TimeoutError:
                if not await still_valid():
                    break
                await response.write(b": keepalive\n\n")
                continue
            while not queue.empty():
                batch.append(queue.get_nowait())
            if None in batch or not await still_valid():
                break
            views = (access.event_view(user, item, hub.agent_queues) for item in batch)
            seen = [view for view in views if view is not None]
            chunk = "".join(f"id: {item['id']}\ndata: {json.dumps(item)}\n\n" for item in seen)
            if chunk:
                await response.write(chunk.encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.unsubscribe(queue)
    return response
