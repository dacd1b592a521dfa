"""Client segments in the router's domain (S1.11): the clients of the caller list whose
attributes meet every condition of the segment (one condition: the attribute is one of its
values). Knows nothing of gRPC. The members come from the attribute index that
upsert_client.lua keeps (attribute:<key>:<value>), taken atomically by a script
(lib.lua's segment_take); a campaign with a segment calls exactly them (campaigns.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import structlog

from callcenter.core import ids
from callcenter.services.router.model import InvalidArgument
from callcenter.services.router.router import Router, check_attribute_key, check_attribute_value, check_phone

log = structlog.get_logger(__name__)

MAX_MEMBERS = 100_000
MAX_CONDITIONS = 16
MAX_VALUES = 100
MAX_NAME = 128
MAX_PAGE = 500
DEFAULT_PAGE = 100
#: How long the members taken at a listing's first page are read by its next pages.
SNAPSHOT_MS = 10 * 60_000
#: Numbers read per script call when a campaign takes every member.
_BATCH = 5_000


@dataclass(frozen=True)
class Condition:
    attribute: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    conditions: tuple[Condition, ...]
    members: int = 0
    created_ms: int = 0
    updated_ms: int = 0


@dataclass(frozen=True)
class SegmentPage:
    numbers: list[str]
    total: int
    next_token: str


def segment_from_hash(h: dict[str, str]) -> Segment:
    return Segment(
        segment_id=h["id"],
        name=h.get("name", ""),
        conditions=tuple(
            Condition(c["attribute"], tuple(c["values"])) for c in json.loads(h.get("conditions") or "[]")
        ),
        members=int(h.get("members") or 0),
        created_ms=int(h.get("created") or 0),
        updated_ms=int(h.get("updated") or 0),
    )


def _check_conditions(conditions: tuple[Condition, ...]) -> None:
    if not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise InvalidArgument("segment.conditions", f"1-{MAX_CONDITIONS} conditions are required")
    for i, c in enumerate(conditions):
        check_attribute_key(f"segment.conditions[{i}].attribute", c.attribute)
        if not 1 <= len(c.values) <= MAX_VALUES:
            raise InvalidArgument(f"segment.conditions[{i}].values", f"1-{MAX_VALUES} values are required")
        if len(set(c.values)) != len(c.values):
            raise InvalidArgument(f"segment.conditions[{i}].values", "a value is repeated")
        for j, value in enumerate(c.values):
            check_attribute_value(f"segment.conditions[{i}].values[{j}]", value)


class Segments:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.store = router.store
        self.keys = router.store.keys

    def _too_many(self, field: str, segment_id: str, members: int) -> InvalidArgument:
        return InvalidArgument(
            field, f"segment {segment_id} would have {members} clients, more than the {MAX_MEMBERS} a segment may have"
        )

    async def upsert(self, s: Segment) -> Segment:
        ids.check_name(s.segment_id, "segment.segment_id")
        if not s.name or len(s.name) > MAX_NAME:
            raise InvalidArgument("segment.name", f"is required, at most {MAX_NAME} characters")
        _check_conditions(s.conditions)
        conditions = json.dumps([{"attribute": c.attribute, "values": list(c.values)} for c in s.conditions])
        reply = await self.store.run(
            "upsert_segment", self.router.now(), s.segment_id, s.name, conditions, MAX_MEMBERS, SNAPSHOT_MS
        )
        if reply["ok"] == "too_many":
            raise self._too_many("segment.segment_id", s.segment_id, reply["members"])
        log.info("segment.saved", segment_id=s.segment_id, members=reply["segment"].get("members"))
        return segment_from_hash(reply["segment"])

    async def _page(self, segment_id: str, fresh: bool, after: str, size: int) -> tuple[list[str], int]:
        reply = await self.store.run(
            "segment_clients",
            self.router.now(),
            segment_id,
            MAX_MEMBERS,
            "1" if fresh else "0",
            after,
            size,
            SNAPSHOT_MS,
        )
        if reply["ok"] == "too_many":
            raise self._too_many("segment_id", segment_id, reply["members"])
        return list(reply.get("numbers") or []), int(reply["total"])

    async def get(self, segment_id: str) -> Segment:
        """The segment, its members counted now."""
        ids.check_name(segment_id, "segment_id")
        await self._page(segment_id, True, "", 0)
        h = await self.store.redis.hgetall(self.keys.segment(segment_id))
        return segment_from_hash(h)

    async def list(self) -> list[Segment]:
        found = await self.store.redis.zrevrange(self.keys.segments, 0, 499)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for segment_id in found:
                pipe.hgetall(self.keys.segment(segment_id))
            hashes = await pipe.execute()
        return [segment_from_hash(h) for h in hashes if h.get("id")]

    async def delete(self, segment_id: str) -> None:
        ids.check_name(segment_id, "segment_id")
        await self.store.run("delete_segment", self.router.now(), segment_id)
        log.info("segment.deleted", segment_id=segment_id)

    async def clients(self, segment_id: str, page_size: int = 0, page_token: str = "") -> SegmentPage:
        """A page of the segment's numbers, by number; the token is the last number given."""
        ids.check_name(segment_id, "segment_id")
        if not 0 <= page_size <= MAX_PAGE:
            raise InvalidArgument("page_size", f"must be 1-{MAX_PAGE} (0: {DEFAULT_PAGE})")
        if page_token:
            check_phone("page_token", page_token)
        size = page_size or DEFAULT_PAGE
        numbers, total = await self._page(segment_id, not page_token, page_token, size + 1)
        more = len(numbers) > size
        numbers = numbers[:size]
        return SegmentPage(numbers, total, numbers[-1] if more else "")

    async def numbers(self, segment_id: str) -> list[str]:
        """Every member now (a campaign's first start: campaigns.SegmentNumbers)."""
        ids.check_name(segment_id, "campaign.segment_id")
        out, _ = await self._page(segment_id, True, "", _BATCH)
        while len(out) % _BATCH == 0 and out:
            more, _ = await self._page(segment_id, False, out[-1], _BATCH)
            if not more:
                break
            out += more
        return out
