"""The do-not-call list in the router's domain: numbers no outbound call, callback or campaign
dials (create_outbound.lua, schedule_callback.lua, the callback timer, add_campaign_contacts.lua
and campaign_dial.lua check it). A sorted set, scored with when each number was added; each
change is an event recording who asked (DO_NOT_CALL_ADDED / _REMOVED). Knows nothing of gRPC."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from callcenter.services.router.model import InvalidArgument
from callcenter.services.router.router import Router, check_phone

log = structlog.get_logger(__name__)

MAX_PER_REQUEST = 1000
MAX_NUMBERS = 1_000_000
MAX_PAGE = 1000
DEFAULT_PAGE = 200


@dataclass(frozen=True)
class Entry:
    number: str
    added_ms: int


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    total: int
    next_token: str


def _numbers(numbers: list[str]) -> list[str]:
    if not 1 <= len(numbers) <= MAX_PER_REQUEST:
        raise InvalidArgument("numbers", f"1-{MAX_PER_REQUEST} numbers are required")
    for i, number in enumerate(numbers):
        check_phone(f"numbers[{i}]", number)
    return numbers


def _token(token: str) -> tuple[int, str]:
    """A page token: '<ms added>|<number>' of the previous page's last entry."""
    added, _, number = token.partition("|")
    if not added.isdigit() or len(added) > 15:
        raise InvalidArgument("page_token", "is not a token this list gave")
    check_phone("page_token", number)
    return int(added), number


class DoNotCall:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.redis = router.store.redis
        self.key = router.store.keys.do_not_call

    async def add(self, numbers: list[str]) -> int:
        reply = await self.router.store.run("add_do_not_call", self.router.now(), MAX_NUMBERS, *_numbers(numbers))
        log.info("do_not_call.added", added=reply["added"])
        return int(reply["added"])

    async def remove(self, numbers: list[str]) -> int:
        reply = await self.router.store.run("remove_do_not_call", self.router.now(), *_numbers(numbers))
        log.info("do_not_call.removed", removed=reply["removed"])
        return int(reply["removed"])

    async def check(self, numbers: list[str]) -> list[Entry]:
        scores = await self.redis.zmscore(self.key, _numbers(numbers))
        return [Entry(n, int(s)) for n, s in zip(numbers, scores, strict=True) if s is not None]

    async def list(self, page_size: int = 0, page_token: str = "") -> Page:
        """Oldest first (ties by number): the token is the last entry's time and number, so a
        page goes on after it even when it has been removed since."""
        if not 0 <= page_size <= MAX_PAGE:
            raise InvalidArgument("page_size", f"must be 1-{MAX_PAGE} (0: {DEFAULT_PAGE})")
        size = page_size or DEFAULT_PAGE
        start = 0
        if page_token:
            added, number = _token(page_token)
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zcount(self.key, "-inf", f"({added}")
                pipe.zrangebyscore(self.key, added, added)
                before, same = await pipe.execute()
            start = before + sum(1 for n in same if n <= number)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(self.key, start, start + size, withscores=True)
            pipe.zcard(self.key)
            found, total = await pipe.execute()
        entries = [Entry(n, int(s)) for n, s in found[:size]]
        more = len(found) > size
        return Page(entries, total, f"{entries[-1].added_ms}|{entries[-1].number}" if more else "")
