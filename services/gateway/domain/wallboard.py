"""The wallboard: big tiles of chosen queues for a TV on the wall (waiting calls, longest wait,
available agents, agents on a call, today's answered, abandoned and service level; open,
new, unanswered and overdue conversations where the queue takes conversations). Counts
only: no agent, caller or call is named, so a wallboard link (../wallboards.py) may show them
without a user session.

Admins create and revoke wallboard links; admins and supervisors (of those queues) open the
wallboard with their session too. However many TVs show one set of queues, the router and
stats is asked for its figures at most once a second (TileCache); live counts come fresh
from the router, like the board's."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import structlog

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import FailedPrecondition, InvalidArgument, NotFound
from callcenter.core.ids import NAME_PATTERN

from ..backends import Backends
from ..users import User
from ..wallboards import TooManyWallboards, Wallboard, WallboardStore
from . import access, conversation_control
from .periods import today

log = structlog.get_logger(__name__)

MAX_QUEUES = 16  # on one wallboard (a 1080p screen fits 8 at the tiles' size)
MAX_NAME = 64
TILES_TTL_S = 1.0
OFFLINE = (states_pb2.AGENT_STATE_UNSPECIFIED, states_pb2.AGENT_STATE_LOGGED_OUT)


def _ms(ts: Any) -> int | None:
    return int(ts.ToMilliseconds()) if ts.seconds or ts.nanos else None


def check_queues(queues: list[str] | tuple[str, ...], field: str = "queues") -> tuple[str, ...]:
    """1 to MAX_QUEUES queue names, each once (duplicates dropped), in the order given."""
    unique = tuple(dict.fromkeys(queues))
    if not unique:
        raise InvalidArgument(field, "name at least one queue")
    if len(unique) > MAX_QUEUES:
        raise InvalidArgument(field, f"at most {MAX_QUEUES} queues")
    for i, name in enumerate(unique):
        if not NAME_PATTERN.fullmatch(name):
            raise InvalidArgument(f"{field}[{i}]", f"{name[:64]!r} is not a queue name")
    return unique


async def _day(backends: Backends, queues: tuple[str, ...], tz: str) -> dict[str, spb.QueueStats] | None:
    """Today's figures of these queues from stats; None when stats does not answer."""
    try:
        reply: spb.GetQueueStatsResponse = await backends.stats.GetQueueStats(
            spb.GetQueueStatsRequest(period=spb.Period(time_zone=tz, day=today(tz)), queues=list(queues)),
            timeout=backends.timeout_s,
        )
    except grpc.aio.AioRpcError as exc:
        log.warning("wallboard.stats_unavailable", code=exc.code().name)
        return None
    return {q.queue: q for q in reply.queues}


async def tiles(backends: Backends, cache: TileCache, queues: tuple[str, ...], tz: str) -> dict[str, Any]:
    """The tiles of these queues (in their order; a queue the router does not know is left out):
    live counts fresh from the router, today's figures shared for a second (TileCache)."""
    queue_reply: pb.ListQueuesResponse = await backends.router.ListQueues(
        pb.ListQueuesRequest(), timeout=backends.timeout_s
    )
    agents: pb.ListAgentsResponse = await backends.router.ListAgents(pb.ListAgentsRequest(), timeout=backends.timeout_s)
    known = {q.name: q for q in queue_reply.queues}
    shown = [known[name] for name in queues if name in known]
    names = tuple(q.name for q in shown)
    day = await cache.day(backends, names, tz) if shown else {}
    chats = await cache.conversations(backends, names, tz) if shown else None
    online = [a.status for a in agents.agents if a.status.state not in OFFLINE]

    def tile(q: pb.Queue) -> dict[str, Any]:
        serving = [s for s in online if q.name in s.queues]
        figures = (day or {}).get(q.name)
        return {
            "queue": q.name,
            "waiting": q.counts.waiting,
            "oldest_waiting_since_ms": _ms(q.counts.oldest_waiting_since),
            "available_agents": q.counts.available_agents,
            "agents_on_call": sum(1 for s in serving if s.state == states_pb2.AGENT_STATE_ON_CALL),
            "agents_logged_in": len(serving),
            "answered_today": figures.answered if figures else None,
            "abandoned_today": figures.abandoned if figures else None,
            "service_level_percent": figures.service_level_percent if figures and figures.offered else None,
            "conversations": _conversations(q, chats),
        }

    return {
        "generated_at_ms": int(time.time() * 1000),
        "tiles": [tile(q) for q in shown],
        "stats_unavailable": day is None or (bool(shown) and chats is None),
    }


def _conversations(q: pb.Queue, chats: conversation_control.QueueConversations | None) -> dict[str, int] | None:
    """A queue's open conversations (open, new, unanswered, overdue, ...) where it takes
    conversations (QueueConversations.takes_conversations); None elsewhere, and when stats does
    not answer (stats_unavailable says so)."""
    if chats is None or not chats.takes_conversations(q.name):
        return None
    return conversation_control.counts_json(chats.counts(q.name))


class TileCache:
    """Today's figures, and the open conversations' counts, shared for a second by every
    wallboard showing the same queues (in the same zone): however many TVs are on, stats is
    asked at most once a second per set of queues for each."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, tuple[str, ...], str], tuple[float, Any]] = {}

    async def _cached(self, key: tuple[str, tuple[str, ...], str], fetch: Callable[[], Awaitable[Any]]) -> Any:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < TILES_TTL_S:
            return hit[1]
        found = await fetch()
        if len(self._entries) > 1000:
            self._entries.clear()
        self._entries[key] = (now, found)
        return found

    async def day(self, backends: Backends, queues: tuple[str, ...], tz: str) -> dict[str, spb.QueueStats] | None:
        found: dict[str, spb.QueueStats] | None = await self._cached(
            ("day", queues, tz), lambda: _day(backends, queues, tz)
        )
        return found

    async def conversations(
        self, backends: Backends, queues: tuple[str, ...], tz: str
    ) -> conversation_control.QueueConversations | None:
        found: conversation_control.QueueConversations | None = await self._cached(
            ("conversations", queues, tz), lambda: conversation_control.queue_conversations(backends, list(queues), tz)
        )
        return found


async def tiles_for_user(
    user: User, backends: Backends, cache: TileCache, queues: list[str], tz: str
) -> dict[str, Any]:
    """The wallboard of a logged-in admin or supervisor: queues they may see (404 otherwise)."""
    access.require_role(user, "admin", "supervisor")
    chosen = check_queues(queues)
    for name in chosen:
        if not access.sees_queue(user, name):
            raise NotFound(f"queue {name} does not exist")
    return await tiles(backends, cache, chosen, tz)


async def tiles_for_link(wallboard: Wallboard, backends: Backends, cache: TileCache, tz: str) -> dict[str, Any]:
    """The tiles a wallboard link shows: its own queues, nothing else."""
    return {"name": wallboard.name, **await tiles(backends, cache, wallboard.queues, tz)}


async def create_link(
    user: User, backends: Backends, store: WallboardStore, name: str, queues: list[str]
) -> tuple[str, Wallboard]:
    """A new wallboard link of existing queues (admins); its token, shown once, and the record."""
    access.require_role(user, "admin")
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidArgument("name", f"1-{MAX_NAME} printable characters are required")
    chosen = check_queues(queues)
    reply: pb.ListQueuesResponse = await backends.router.ListQueues(pb.ListQueuesRequest(), timeout=backends.timeout_s)
    known = {q.name for q in reply.queues}
    for i, queue in enumerate(chosen):
        if queue not in known:
            raise InvalidArgument(f"queues[{i}]", f"queue {queue} does not exist")
    try:
        token, wallboard = await store.create(name, chosen, created_by=user.username)
    except TooManyWallboards as exc:
        raise FailedPrecondition(str(exc)) from None
    log.info("wallboard.created", wallboard=wallboard.id, actor=user.username, queues=list(chosen))
    return token, wallboard


async def list_links(user: User, store: WallboardStore) -> list[Wallboard]:
    access.require_role(user, "admin")
    return await store.list()


async def revoke_link(user: User, store: WallboardStore, wallboard_id: str) -> None:
    """Revokes a link: its TV shows nothing from its next request on (admins)."""
    access.require_role(user, "admin")
    if len(wallboard_id) > 64 or await store.revoke(wallboard_id) is None:
        raise NotFound(f"wallboard {wallboard_id[:64]} does not exist")
    log.info("wallboard.revoked", wallboard=wallboard_id, actor=user.username)
