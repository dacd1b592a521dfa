"""Login sessions in Redis: an opaque random token (cookie or bearer), stored only as its
SHA-256, with a CSRF token for cookie-authenticated browsers and a sliding expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from callcenter.core.config import key_prefix


@dataclass(frozen=True)
class Session:
    username: str
    csrf_token: str
    uid: str = ""  # the user's uid when the session began


class SessionStore:
    def __init__(self, redis: aioredis.Redis, tenant: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = key_prefix(tenant) + "gw:session:"
        self.ttl_s = ttl_s

    def _key(self, token: str) -> str:
        return self.prefix + hashlib.sha256(token.encode()).hexdigest()

    async def create(self, username: str, uid: str = "") -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(username=username, csrf_token=secrets.token_urlsafe(24), uid=uid)
        key = self._key(token)
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hset(key, mapping={"username": username, "csrf": session.csrf_token, "uid": uid})
            tx.expire(key, self.ttl_s)
            await tx.execute()
        return token, session

    async def get(self, token: str) -> Session | None:
        if not token or len(token) > 128:
            return None
        key = self._key(token)
        h = await self.redis.hgetall(key)
        if not h:
            return None
        await self.redis.expire(key, self.ttl_s)
        return Session(username=h["username"], csrf_token=h["csrf"], uid=h.get("uid", ""))

    async def get_many(self, tokens: list[str]) -> list[Session | None]:
        """get() of many tokens in one round trip (each live session's expiry slides too)."""
        usable = [token for token in tokens if token and len(token) <= 128]
        async with self.redis.pipeline(transaction=False) as pipe:
            for token in usable:
                pipe.hgetall(self._key(token))
                pipe.expire(self._key(token), self.ttl_s)  # nothing for a session that is gone
            replies = await pipe.execute() if usable else []
        found = dict(zip(usable, replies[::2], strict=True))
        return [
            Session(username=h["username"], csrf_token=h["csrf"], uid=h.get("uid", "")) if (h := found.get(t)) else None
            for t in tokens
        ]

    async def delete(self, token: str) -> None:
        await self.redis.delete(self._key(token))
