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
import collections
import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Protocol

import redis.asyncio as aioredis
import structlog
from aiohttp import web

from callcenter.api.events.v1 import events_pb2
from callcenter.core.background import Worker
from callcenter.core.event_stream import decode, stream_key
from callcenter.core.redis_connection import undecodable
from callcenter.core.settings import Setting
from callcenter.services.gateway import metrics as gateway_metrics
from callcenter.services.gateway.config import Quotas
from callcenter.services.gateway.connection_guard import on_connection_lost
from callcenter.services.gateway.domain import access
from callcenter.services.gateway.users import User

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000
# What a refused stream is told to wait before trying again: a user's own streams end when
# their tabs close; the gateway's when anyone's do.
RETRY_USER_S = 5
RETRY_ALL_S = 10


def _env(name: str) -> str:
    """The environment variable of a Quotas field, as its declaration names it."""
    field = next(f for f in dataclasses.fields(Quotas) if f.name == name)
    return next(v.env for v in field.metadata.values() if isinstance(v, Setting))


class StreamLimit(Exception):
    """One more event stream would pass a limit: `status` 429 (the user's own) or 503 (the
    gateway's), and how long to wait before trying again."""

    def __init__(self, status: int, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


def summary(event: events_pb2.Event) -> dict:
    """What the live feed tells of an event; a conversation's (CONVERSATION_*) names it, its
    channel and topic too (seen as calls are: its agent, or the previous one of a transfer,
    and supervisors of its queue; domain/access.event_view)."""
    item = {
        "id": event.id,
        "type": events_pb2.EventType.Name(event.type).removeprefix("EVENT_TYPE_").lower(),
        "time_ms": event.time.ToMilliseconds(),
        "call_id": event.call_id,
        "agent_id": event.agent_id,
        "other_agent_id": event.other_agent_id,
        "queue": event.queue,
    }
    if event.conversation_id:
        item.update(conversation_id=event.conversation_id, channel=event.channel, topic=event.topic)
    return item


class Coalesced:
    """One lookup of many keys for every caller of one turn of the event loop: the streams a
    read of the event stream wakes each ask whether their session still lives, and all of
    them get their answer from one `lookup_many` (one Redis pipeline) instead of three round
    trips each (which, for a few hundred streams, held the process's event loop, and a router
    in the same process, for a good part of a second per event)."""

    def __init__(self, lookup_many: Callable[[list[str]], Awaitable[dict[str, str]]]) -> None:
        self._lookup_many = lookup_many
        self._pending: dict[str, asyncio.Future[str]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def __call__(self, key: str) -> str:
        waiting = self._pending.get(key)
        if waiting is None:
            loop = asyncio.get_running_loop()
            if not self._pending:
                loop.call_soon(self._flush)  # after every caller already woken has asked
            waiting = self._pending[key] = loop.create_future()
        return await asyncio.shield(waiting)  # one caller cancelled leaves the others their answer

    def _flush(self) -> None:
        batch, self._pending = self._pending, {}
        task = asyncio.get_running_loop().create_task(self._answer(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, batch: dict[str, asyncio.Future[str]]) -> None:
        try:
            found = await self._lookup_many(list(batch))
        except Exception as exc:  # noqa: BLE001 - each caller gets the failure (Redis down: the stream ends)
            for waiting in batch.values():
                if not waiting.done():
                    waiting.set_exception(exc)
                    waiting.exception()  # retrieved here: a caller gone meanwhile never reads it
            return
        for key, waiting in batch.items():
            if not waiting.done():
                waiting.set_result(found.get(key, ""))


class LiveHub:
    """Reads the tenant's event stream from "now" on and hands every event to subscribers."""

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        load_agent_queues: Callable[[], Awaitable[dict[str, set[str]]]] | None = None,
        block_ms: int = 500,
        session_uids: Callable[[list[str]], Awaitable[dict[str, str]]] | None = None,
    ) -> None:
        self.redis = redis
        # Each session token's user uid ("" for a session gone), asked by the open streams
        # together: `session_uid`.
        self._session_uids = Coalesced(session_uids) if session_uids is not None else None
        self.block_ms = block_ms  # how long one read waits for new entries
        self.key = stream_key(tenant)
        self.subscribers: set[asyncio.Queue] = set()
        self._owners: dict[asyncio.Queue, str] = {}  # each subscriber's user (uid)
        self.streams_of: collections.Counter[str] = collections.Counter()  # open streams per user
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

    async def session_uid(self, token: str) -> str:
        """The uid of the user the session token stands for, "" when it no longer does; the
        streams' checks of one moment are answered by one lookup."""
        if self._session_uids is None:
            raise RuntimeError("this LiveHub was made without session_uids")
        return await self._session_uids(token)

    def subscribe(
        self, owner: str = "", quotas: Quotas | None = None, limit: str = "streams_per_user"
    ) -> asyncio.Queue:
        """A new subscriber's queue, for the user `owner`; StreamLimit when the user has as
        many streams open already as the quota `limit` (a Quotas field) allows, or the process
        quotas.streams."""
        if quotas is not None:
            if self.streams_of[owner] >= getattr(quotas, limit):
                raise StreamLimit(
                    429,
                    f"this user has {self.streams_of[owner]} event streams open, the most one may"
                    f" ({_env(limit)}); close one or retry later",
                    RETRY_USER_S,
                )
            if len(self.subscribers) >= quotas.streams:
                raise StreamLimit(
                    503,
                    f"the gateway has {len(self.subscribers)} event streams open, the most it serves"
                    f" ({_env('streams')}); retry later",
                    RETRY_ALL_S,
                )
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        self._owners[queue] = owner
        self.streams_of[owner] += 1
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)
        owner = self._owners.pop(queue, None)
        if owner is not None:
            self.streams_of[owner] -= 1
            if self.streams_of[owner] <= 0:
                del self.streams_of[owner]

    @staticmethod
    def end(queue: asyncio.Queue) -> None:
        """Ends one subscriber's stream (None, after whatever it has not read yet, room made)."""
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait(None)

    def close(self) -> None:
        """Ends every open stream (the gateway is shutting down; browsers reconnect elsewhere)."""
        for queue in list(self.subscribers):
            self.end(queue)

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
            gateway_metrics.LIVE_UNREADABLE.inc()
            log.warning(
                "live.event_unreadable",
                id=entry_id,
                error=f"{type(exc).__name__}: {str(exc)[:200]}",
                unreadable=self.unreadable,
            )
            return None

    def worker(self) -> Worker:
        return Worker("live-hub", self.step, stop_timeout_s=0)


class Feed(Protocol):
    """What a stream of one thing writes (instead of a `render` of every visible event):
    `opening` once subscribed, before any event is read (so nothing written meanwhile is
    missed; None: nothing to stream, ever, answered 204, which tells EventSource not to
    reconnect; raising refuses the stream before anything is sent); then `render` of each
    batch of events the user may see, and `idle` at each keepalive (what a batch dropped for a
    full queue held); the stream ends once `finished` after a write."""

    kind: str  # counted apart per user, under the quota of this Quotas field
    finished: bool

    async def opening(self) -> bytes | None: ...

    async def render(self, seen: list[dict]) -> bytes: ...

    async def idle(self) -> bytes: ...


async def stream(
    request: web.Request,
    hub: LiveHub,
    user: User,
    still_valid: Callable[[], Awaitable[bool]],
    quotas: Quotas | None = None,
    render: Callable[[list[dict]], bytes] | None = None,
    feed: Feed | None = None,
) -> web.StreamResponse:
    """The server-sent-events response: one `message` per visible event, a `: keepalive`
    comment line whenever the hub has been quiet for quotas.stream_keepalive_s, to keep proxies from
    closing an idle connection. The session is checked again before each batch of visible
    events is written (and at each keepalive, before the comment and the feed's `idle`): a
    stream ends when its user logs out or is deleted. Beyond the quotas (streams per user, streams in all),
    StreamLimit before anything is sent. `render` writes a batch of visible events (default:
    one `message` each, with its id and summary); a `feed` writes a stream of one thing."""
    feed = feed or _Rendered(render or _messages)
    owner = user.uid if isinstance(feed, _Rendered) else f"{user.uid}/{feed.kind}"  # each kind its own quota
    queue = hub.subscribe(owner, quotas, feed.kind)
    # A browser tab closed ends its stream at once, and frees its place among the quotas.
    forget = on_connection_lost(request, lambda: hub.end(queue))
    try:
        first = await feed.opening()
        if first is None:
            return web.Response(status=204)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        gateway_metrics.SSE_CLIENTS.inc()
        try:
            await response.prepare(request)
            keepalive_s = (quotas or Quotas()).stream_keepalive_s
            await _relay(response, queue, hub, user, still_valid, feed, first, keepalive_s)
        finally:
            gateway_metrics.SSE_CLIENTS.dec()
    finally:
        forget()
        hub.unsubscribe(queue)
    return response


class _Rendered:
    """The feed of every visible event, each batch written by `render`."""

    kind = "streams_per_user"
    finished = False

    def __init__(self, render: Callable[[list[dict]], bytes]) -> None:
        self._render = render

    async def opening(self) -> bytes:
        return b""

    async def render(self, seen: list[dict]) -> bytes:
        return self._render(seen)

    async def idle(self) -> bytes:
        return b""


def _messages(seen: list[dict]) -> bytes:
    return "".join(f"id: {item['id']}\ndata: {json.dumps(item)}\n\n" for item in seen).encode()


async def _relay(
    response: web.StreamResponse,
    queue: asyncio.Queue,
    hub: LiveHub,
    user: User,
    still_valid: Callable[[], Awaitable[bool]],
    feed: Feed,
    first: bytes,
    keepalive_s: float,
) -> None:
    """Writes the subscriber's events to the prepared response until it ends."""
    try:
        await response.write(b"retry: 2000\n: connected\n\n" + first)
        while not feed.finished:
            try:
                async with asyncio.timeout(keepalive_s):  # no task per wait, unlike wait_for
                    batch = [await queue.get()]
            except TimeoutError:
                if not await still_valid():
                    break
                await response.write(await feed.idle() + b": keepalive\n\n")
                continue
            while not queue.empty():
                batch.append(queue.get_nowait())
            if None in batch:
                break
            views = (access.event_view(user, item, hub.agent_queues) for item in batch)
            seen = [view for view in views if view is not None]
            if not seen:
                continue  # nothing to write, nothing to check the session for (an agent's usual batch)
            if not await still_valid():
                break
            written = await feed.render(seen)
            if written:
                await response.write(written)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
