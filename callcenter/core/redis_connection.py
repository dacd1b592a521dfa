"""One way for every service to get its Redis: the configured URL, or the embedded server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from callcenter.core.config import CommonConfig
from callcenter.core.embedded_redis import EmbeddedRedis

CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


def client_for(url: str, max_connections: int = 64, wait_s: float = 10.0) -> aioredis.Redis:
    """An asyncio Redis client for a URL; replies decoded as UTF-8 strings. Its pool holds
    at most max_connections; a command finding them all busy waits up to wait_s for one
    (redis-py's plain pool would fail at once with "Too many connections").

    "redis+cluster://host:port" (or "rediss+cluster://") connects to a Redis Cluster through
    any of its nodes: every key of a tenant shares the tenant's {hash tag}, so each script,
    transaction and stream read of ours stays on one node."""
    if url.startswith(CLUSTER_SCHEMES):
        from redis.asyncio.cluster import RedisCluster

        plain = url.replace("+cluster", "", 1)
        # a cluster client speaks the same commands (typed apart by redis-py)
        return RedisCluster.from_url(plain, decode_responses=True, max_connections=max_connections)  # type: ignore[return-value]
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=wait_s, decode_responses=True, health_check_interval=30
    )
    return aioredis.Redis.from_pool(pool)


def dedicated_client(redis: aioredis.Redis, max_connections: int = 2) -> aioredis.Redis | None:
    """A client of the same server with a small pool of its own, for work nothing else may
    starve (the router's timers: a burst of client streams holding every connection of the
    shared pool must not stop offers expiring). None for a Redis Cluster client (it keeps a
    pool per node; the caller shares it)."""
    pool = getattr(redis, "connection_pool", None)
    if not isinstance(pool, aioredis.ConnectionPool):
        return None
    own = aioredis.BlockingConnectionPool(
        connection_class=pool.connection_class, max_connections=max_connections, timeout=10, **pool.connection_kwargs
    )
    return aioredis.Redis.from_pool(own)


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
