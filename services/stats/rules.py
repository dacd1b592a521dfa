"""A set of rules an admin replaces as a whole (the commission rules, the pay rules): kept as
one JSON value, replaced together with the event recording who changed it (scripts/set_rules.lua)."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from callcenter.core import event_stream
from callcenter.core.config import key_prefix
from callcenter.services.stats.sales import actor_fields, script_source

MAX_RULES = 1_000  # rules of one set


class RuleSet:
    def __init__(self, redis: aioredis.Redis, tenant: str, key: str, event_type: str, maxlen: int = 1_000_000) -> None:
        self.redis = redis
        self.tenant = tenant
        self.key = key
        self.event_type = event_type
        self.maxlen = maxlen
        self._set = redis.register_script(script_source("set_rules.lua"))

    async def replace(self, rules: list[dict[str, Any]], actor: str, now_ms: int) -> str:
        """Stores the (checked) rules and appends their event; returns its entry id."""
        fields = event_stream.entry(
            self.event_type, now_ms, attributes={"rules": str(len(rules))}, **actor_fields(actor)
        )
        flat = [x for pair in fields.items() for x in pair]
        return str(
            await self._set(
                keys=[key_prefix(self.tenant), event_stream.stream_key(self.tenant), self.key],
                args=[json.dumps(rules, sort_keys=True), self.maxlen, *flat],
            )
        )

    async def read(self) -> list[dict[str, Any]]:
        raw = await self.redis.get(self.key)
        return json.loads(raw) if raw else []
