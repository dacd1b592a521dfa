"""Wallboard links in Redis: a TV on the wall shows chosen queues' tiles without a user session.

An admin creates a wallboard (a name and its queues) and is shown its token once; the token is
stored only as its SHA-256 (like sessions), never expires and grants nothing but reading those
queues' tiles, until an admin revokes it. Keys (tenant-prefixed like the other gateway stores):

    gw:wallboards                   hash  wallboard id -> JSON record (name, queues, who, when, hash)
    gw:wallboard-token:<sha256>     string  the wallboard id its token opens
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from callcenter.core.config import key_prefix
from callcenter.core.event_stream import append_action

MAX_WALLBOARDS = 100  # per tenant
TOKEN_BYTES = 32  # 256 random bits, 43 characters url-safe
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class Wallboard:
    id: str
    name: str
    queues: tuple[str, ...]
    created_by: str
    created_ms: int

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "queues": list(self.queues),
            "created_by": self.created_by,
            "created_ms": self.created_ms,
        }


def plausible_token(token: str) -> bool:
    """Whether a string can be a wallboard token at all (checked before Redis is asked)."""
    return 40 <= len(token) <= 64 and set(token) <= TOKEN_CHARS


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _record(wallboard_id: str | bytes, raw: str | bytes) -> Wallboard:
    data = json.loads(raw)
    wallboard_id = wallboard_id.decode() if isinstance(wallboard_id, bytes) else wallboard_id
    return Wallboard(
        id=wallboard_id,
        name=data["name"],
        queues=tuple(data["queues"]),
        created_by=data.get("created_by", ""),
        created_ms=int(data.get("created_ms", 0)),
    )


class TooManyWallboards(Exception):
    """The tenant has MAX_WALLBOARDS already."""


class WallboardStore:
    def __init__(self, redis: aioredis.Redis, tenant: str) -> None:
        self.redis = redis
        self.tenant = tenant
        self.records = key_prefix(tenant) + "gw:wallboards"
        self.token_prefix = key_prefix(tenant) + "gw:wallboard-token:"

    async def create(self, name: str, queues: tuple[str, ...], created_by: str) -> tuple[str, Wallboard]:
        """A new wallboard and its token (the only time the token is known)."""
        if await self.redis.hlen(self.records) >= MAX_WALLBOARDS:
            raise TooManyWallboards(f"at most {MAX_WALLBOARDS} wallboards; revoke one first")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        seconds, micros = await self.redis.time()  # one clock: the Redis server's
        wallboard = Wallboard(
            id=secrets.token_hex(8),
            name=name,
            queues=queues,
            created_by=created_by,
            created_ms=int(seconds) * 1000 + int(micros) // 1000,
        )
        record = {**wallboard.public(), "token_sha256": _hash(token)}
        del record["id"]
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hset(self.records, wallboard.id, json.dumps(record))
            tx.set(self.token_prefix + _hash(token), wallboard.id)
            await tx.execute()
        await append_action(
            self.redis,
            self.tenant,
            "wallboard_created",
            attributes={"wallboard_id": wallboard.id, "name": name, "queues": ",".join(queues)},
        )
        return token, wallboard

    async def list(self) -> list[Wallboard]:
        found = await self.redis.hgetall(self.records)
        return sorted((_record(i, raw) for i, raw in found.items()), key=lambda w: (w.name.lower(), w.id))

    async def revoke(self, wallboard_id: str) -> Wallboard | None:
        """Removes the wallboard; its token opens nothing from now on. None when there is none."""
        raw = await self.redis.hget(self.records, wallboard_id)
        if raw is None:
            return None
        token_hash = json.loads(raw).get("token_sha256", "")
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hdel(self.records, wallboard_id)
            tx.delete(self.token_prefix + token_hash)
            await tx.execute()
        revoked = _record(wallboard_id, raw)
        await append_action(
            self.redis,
            self.tenant,
            "wallboard_revoked",
            attributes={"wallboard_id": wallboard_id, "name": revoked.name},
        )
        return revoked

    async def by_token(self, token: str) -> Wallboard | None:
        """The wallboard a token opens, None for any other string (two round trips at most)."""
        if not plausible_token(token):
            return None
        wallboard_id = await self.redis.get(self.token_prefix + _hash(token))
        raw = await self.redis.hget(self.records, wallboard_id) if wallboard_id else None
        return _record(wallboard_id, raw) if wallboard_id and raw else None
