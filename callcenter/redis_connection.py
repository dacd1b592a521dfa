"""One way for every service to get its Redis: the configured URL, or the embedded server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from callcenter.config import CommonConfig
from callcenter.embedded_redis import EmbeddedRedis


def client_for(url: str) -> aioredis.Redis:
    """An asyncio Redis client for a URL; replies decoded as UTF-8 strings."""
    return aioredis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


@contextlib.asynccontextmanager
async def open_redis(config: CommonConfig) -> AsyncIterator[aioredis.Redis]:
    """Yields a connected client; starts (and later stops) the embedded server when no URL is set."""
    embedded: EmbeddedRedis | None = None
    url = config.redis_url
    if not url:
        embedded = EmbeddedRedis(config.data_dir).start()
        url = embedded.url
    client = client_for(url)
    try:
        await client.ping()
        yield client
    finally:
        await client.aclose()
        if embedded is not None:
            embedded.stop()
