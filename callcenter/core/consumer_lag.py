"""How far a consumer group is behind its stream, by the Redis clock: what `callcenter doctor`
reports (tools/doctor.py, "lag") and the stats service's gauges show
(services/stats/metrics.py), computed once here.

A group's lag is the age of its oldest event not yet acknowledged: pending (delivered to a
consumer that has not acknowledged it) or not delivered at all. Stream entry ids are the Redis
time they were added (milliseconds), so the age needs only the Redis clock (`TIME`), never the
clock of the machine asking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError


def entry_ms(entry_id: str) -> int:
    """The time part of a stream entry id (the Redis clock when it was added)."""
    return int(entry_id.partition("-")[0])


def id_key(entry_id: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair (time, sequence)."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def redis_now_ms(redis: Any, key: str = "") -> int:
    """The Redis server's clock in ms; on a Redis Cluster, the clock of the node holding `key`."""
    get_node = getattr(redis, "get_node_from_key", None)
    node = {"target_nodes": get_node(key)} if key and callable(get_node) else {}
    secs, micros = await redis.time(**node)
    return int(secs) * 1000 + int(micros) // 1000


@dataclass(frozen=True)
class PendingEntry:
    """The oldest pending event of a group: who holds it, how often it was delivered."""

    entry_id: str
    consumer: str
    times_delivered: int
    idle_ms: int


@dataclass(frozen=True)
class GroupLag:
    """One consumer group of a stream, as far as lag goes."""

    group: str
    last_delivered: str
    #: Events delivered to a consumer and not acknowledged.
    pending: int
    #: Events not delivered yet: exact when Redis (7 and newer) tells or there were at most
    #: `count_limit`; else None (`more_than_limit`).
    undelivered: int | None
    more_than_limit: bool
    #: The oldest event not acknowledged (pending or undelivered); None when caught up.
    oldest_unacknowledged: str | None
    oldest_pending: PendingEntry | None
    #: Redis 7 and newer: the stream was trimmed past events the group never read, up to this id.
    trimmed_unread_up_to: str | None

    def lag_ms(self, now_ms: int) -> int:
        """The age of the oldest event not acknowledged at `now_ms` (Redis clock); 0 when caught up."""
        if self.oldest_unacknowledged is None:
            return 0
        return max(0, now_ms - entry_ms(self.oldest_unacknowledged))


async def group_lags(
    redis: Any, stream: str, *, groups: Iterable[str] | None = None, count_limit: int = 0
) -> list[GroupLag]:
    """The lag of each consumer group of `stream` (only those named in `groups`, if given); []
    when the stream does not exist. Before Redis 7 the undelivered events are counted by reading
    up to `count_limit` of them (0: only the first is read, for its age). `redis` may be a
    tolerant client (redis_connection.client_for): an entry that is not UTF-8 is read by id."""
    try:
        stream_info = await redis.xinfo_stream(stream)
        found = await redis.xinfo_groups(stream)
    except ResponseError as exc:
        if "no such key" in str(exc).lower():
            return []
        raise
    wanted = None if groups is None else set(groups)
    deleted = str(stream_info.get("max-deleted-entry-id") or "0-0")  # Redis 7 and newer
    lags = []
    for group in found:
        name, last = str(group["name"]), str(group["last-delivered-id"])
        if wanted is not None and name not in wanted:
            continue
        after = await redis.xrange(stream, min="(" + last, max="+", count=count_limit + 1)
        more = len(after) > count_limit
        told = group.get("lag")  # Redis 7 and newer (None there too when it cannot tell)
        undelivered = int(told) if told is not None else (None if more else len(after))
        summary = await redis.xpending(stream, name)
        pending = int(summary["pending"])
        oldest = [str(after[0][0])] if after else []
        oldest_pending = None
        if pending:
            oldest.append(str(summary["min"]))
            first = await redis.xpending_range(stream, name, min="-", max="+", count=1)
            if first:
                p = first[0]
                oldest_pending = PendingEntry(
                    str(p["message_id"]), str(p["consumer"]), int(p["times_delivered"]), int(p["time_since_delivered"])
                )
        lags.append(
            GroupLag(
                group=name,
                last_delivered=last,
                pending=pending,
                undelivered=undelivered,
                more_than_limit=more and told is None,
                oldest_unacknowledged=min(oldest, key=id_key) if oldest else None,
                oldest_pending=oldest_pending,
                trimmed_unread_up_to=deleted if id_key(deleted) > id_key(last) else None,
            )
        )
    return lags
