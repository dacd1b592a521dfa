"""One way for every service to get its Redis: the configured URL, or the embedded server.

A process serves its RPCs from one shared pool (`client_for`, CALLCENTER_REDIS_MAX_CONNECTIONS).
Work that nothing a client opens may starve gets small clients of its own
(`dedicated_client`): the router's timer loop, and every blocking stream reader (the router's
watch hub and PBX session reads, the stats consumer and its board watch hub). Blocking
readers take `tolerant=True`: a stream entry that is not UTF-8 then arrives with its bad bytes
as lone surrogates (`undecodable` tells such an entry, which the reader skips and counts)
instead of failing the whole read again and again.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator, Mapping

import redis.asyncio as aioredis

from callcenter.core.config import CommonConfig
from callcenter.core.embedded_redis import EmbeddedRedis

CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


#: How each client made by client_for was made (URL, wait), so that dedicated_client can make
#: a sibling of any of them, Redis Cluster clients included.
_ORIGINS: weakref.WeakKeyDictionary[aioredis.Redis, tuple[str, float]] = weakref.WeakKeyDictionary()


def client_for(
    url: str, max_connections: int = 64, wait_s: float = 10.0, *, name: str = "", tolerant: bool = False
) -> aioredis.Redis:
    """An asyncio Redis client for a URL; replies decoded as UTF-8 strings. Its pool holds
    at most max_connections; a command finding them all busy waits up to wait_s for one
    (redis-py's plain pool would fail at once with "Too many connections"). `name` is set on
    each connection (CLIENT SETNAME: operators see who holds what in CLIENT LIST);
    `tolerant` decodes bytes that are not UTF-8 as lone surrogates (see `undecodable`).

    "redis+cluster://host:port" (or "rediss+cluster://") connects to a Redis Cluster through
    any of its nodes: every key of a tenant shares the tenant's {hash tag}, so each script,
    transaction and stream read of ours stays on one node."""
    options: dict[str, object] = {"decode_responses": True}
    if name:
        options["client_name"] = name
    if tolerant:
        options["encoding_errors"] = "surrogateescape"
    client: aioredis.Redis
    if url.startswith(CLUSTER_SCHEMES):
        from redis.asyncio.cluster import RedisCluster

        plain = url.replace("+cluster", "", 1)
        # a cluster client speaks the same commands (typed apart by redis-py)
        client = RedisCluster.from_url(plain, max_connections=max_connections, **options)  # type: ignore[assignment]
    else:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=wait_s, health_check_interval=30, **options
        )
        client = aioredis.Redis.from_pool(pool)
    _ORIGINS[client] = (url, wait_s)
    return client


def dedicated_client(
    redis: aioredis.Redis, max_connections: int = 2, *, name: str = "", tolerant: bool = False
) -> aioredis.Redis | None:
    """A client of the same server with a small pool of its own, for work nothing else may
    starve: the router's timers (a burst of client streams holding every connection of the
    shared pool must not stop offers expiring) and the blocking stream readers (one reader
    blocked in XREAD holds a connection the whole time). The caller closes it. None only for
    a Redis Cluster client not made by client_for (the caller then shares it)."""
    origin = _ORIGINS.get(redis)
    if origin is not None:
        url, wait_s = origin
        return client_for(url, max_connections, wait_s, name=name, tolerant=tolerant)
    pool = getattr(redis, "connection_pool", None)
    if not isinstance(pool, aioredis.ConnectionPool):
        return None
    kwargs = dict(pool.connection_kwargs)
    if name:
        kwargs["client_name"] = name
    if tolerant:
        kwargs["encoding_errors"] = "surrogateescape"
    own = aioredis.BlockingConnectionPool(
        connection_class=pool.connection_class, max_connections=max_connections, timeout=10, **kwargs
    )
    return aioredis.Redis.from_pool(own)


def undecodable(fields: Mapping[str, str]) -> bool:
    """Whether a stream entry read by a tolerant client held bytes that are not UTF-8 (they
    arrive as lone surrogates, which no str written by our services contains)."""
    try:
        for name, value in fields.items():
            name.encode()
            value.encode()
    except (UnicodeEncodeError, AttributeError):
        return True
    return False


@contextlib.asynccontextmanager
async def open_redis(config: CommonConfig) -> AsyncIterator[aioredis.Redis]:
    """Yields a connected client; starts (and later stops) the embedded server when no URL is set."""
    embedded: EmbeddedRedis | None = None
    url = config.redis_url
    if not url:
        embedded = EmbeddedRedis(config.data_dir).start()
        url = embedded.url
    client = client_for(url, config.redis_max_connections, config.redis_wait_s)
    try:
        await client.ping()
        yield client
    finally:
        await client.aclose()
        if embedded is not None:
            embedded.stop()
