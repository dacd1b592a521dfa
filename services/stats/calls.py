"""Call records (S1.1): one per call, assembled by apply.lua from the call's events; listed
newest first through the narrowest index that fits the filter, the rest filtered here."""

from __future__ import annotations

import base64
import json
import re

import redis.asyncio as aioredis
import structlog

from callcenter.core import errors, time_bounds
from callcenter.core.call_ids import call_id_problem
from callcenter.core.call_states import FINAL_CALL_STATES
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import CallFilter, CallRecord, InvalidArgument, NotFound, OfferRecord

log = structlog.get_logger(__name__)

NOT_ANSWERED = tuple(sorted(FINAL_CALL_STATES - {"completed"}))  # ended without an agent
CLOCK_SLACK_MS = 1000
# A search (caller_contains, call_id_contains) reads at most this many index entries per
# request: no index answers a fragment, so it is a bounded scan of the narrowest index (a
# day's calls of a queue or agent are a few thousand); past it the page comes back short,
# with the token of the position reached, and the caller asks on from there.
SEARCH_SCAN = 5_000
_OFFER_FIELD = re.compile(r"[0-9]+:(agent|outcome|ring_ms)")


def _opt(h: dict[str, str], name: str) -> int | None:
    """A stored time; ValueError when it is unreadable (outside callcenter.core.time_bounds)."""
    return time_bounds.stored_time_ms(h.get(name))


def _span(value: str | None) -> int:
    """A stored duration in ms; ValueError when it is none a reply can carry."""
    ms = int(value or 0)
    if not 0 <= ms <= time_bounds.MAX_DURATION_MS:
        raise ValueError(f"stored duration {ms} ms is out of range")
    return ms


def call_record(h: dict[str, str], offers: dict[str, str], recordings: set[str]) -> CallRecord:
    """The record of stored fields; ValueError when a time or duration is unreadable."""
    by_attempt: dict[int, dict[str, str]] = {}
    for field, value in offers.items():
        attempt, _, name = field.partition(":")
        by_attempt.setdefault(int(attempt), {})[name] = value
    return CallRecord(
        call_id=h["id"],
        caller=h.get("caller", ""),
        queue=h.get("queue", ""),
        final_queue=h.get("final_queue") or h.get("last_queue") or h.get("queue", ""),
        received_ms=_opt(h, "received"),
        answered_ms=_opt(h, "answered"),
        ended_ms=_opt(h, "ended"),
        outcome=h.get("outcome") or "in_progress",
        agent_id=h.get("agent", ""),
        offers=[
            OfferRecord(a, o.get("agent", ""), o.get("outcome", "ringing"), _span(o.get("ring_ms")))
            for a, o in sorted(by_attempt.items())
        ],
        wait_ms=_span(h.get("wait_ms")),
        talk_ms=_span(h.get("talk_ms")),
        wrap_ms=_span(h.get("wrap_ms")),
        recording_ids=sorted(recordings),
        lead_id=h.get("lead_id", ""),
        queues=sorted(name[2:] for name in h if name.startswith("q:")),
        direction="outbound" if h.get("direction") == "outbound" else "inbound",
        campaign_id=h.get("campaign", ""),
        callback_id=h.get("callback", ""),
        not_connected_reason=h.get("reason", "") if h.get("outcome") == "not_connected" else "",
    )


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def found(record: CallRecord, f: CallFilter) -> bool:
    """The search: the caller's digits contain caller_contains, or the id call_id_contains."""
    if f.caller_contains and f.caller_contains in _digits(record.caller):
        return True
    return bool(f.call_id_contains) and f.call_id_contains in record.call_id


def matches(record: CallRecord, f: CallFilter) -> bool:
    if f.searched and not found(record, f):
        return False
    if f.queue and f.queue not in (record.queue, record.final_queue, *record.queues):
        return False
    if f.caller and record.caller != f.caller:
        return False
    if f.agent_id and all(o.agent_id != f.agent_id for o in record.offers):
        return False
    if f.outcome and record.outcome != f.outcome:
        return False
    if f.direction and record.direction != f.direction:
        return False
    if f.campaign_id and record.campaign_id != f.campaign_id:
        return False
    if f.missed_only:
        if f.agent_id:
            if not any(o.agent_id == f.agent_id and o.outcome not in ("answered", "ringing") for o in record.offers):
                return False
        elif record.outcome not in NOT_ANSWERED:
            return False
    if f.min_talk_ms is not None and record.talk_ms < f.min_talk_ms:
        return False
    return not (f.max_talk_ms is not None and record.talk_ms > f.max_talk_ms)


def _encode_token(score: int, member: str) -> str:
    """The position after the last record of a page: its arrival time and call id."""
    return base64.urlsafe_b64encode(json.dumps({"s": score, "m": member}).encode()).decode()


def _decode_token(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        score, member = int(data["s"]), data["m"]
    except (ValueError, KeyError, TypeError, OverflowError):
        raise InvalidArgument("page_token", "not a token this service issued") from None
    if not (0 <= score < 2**62) or not isinstance(member, str) or call_id_problem(member):
        raise InvalidArgument("page_token", "not a token this service issued")
    return score, member


class CallReader:
    def __init__(
        self, redis: aioredis.Redis, keys: StatsKeys, scan_chunk: int = 200, search_scan: int = SEARCH_SCAN
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.scan_chunk = scan_chunk
        self.search_scan = search_scan  # index entries one search request reads at most
        self.unreadable = 0  # records skipped because a stored time could not be read

    async def load(self, call_ids: list[str], skip_unreadable: bool = True) -> list[CallRecord | None]:
        """The records (None for a call without one). A record whose stored times are
        unreadable is None too, counted in `unreadable` and logged; without skip_unreadable
        it is DataLoss."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for call_id in call_ids:
                pipe.hgetall(self.keys.call(call_id))
                pipe.hgetall(self.keys.offers(call_id))
                pipe.smembers(self.keys.recordings(call_id))
                pipe.hgetall(self.keys.legacy_offers(call_id))
                pipe.smembers(self.keys.legacy_recordings(call_id))
            replies = await pipe.execute(raise_on_error=False)
        out: list[CallRecord | None] = []
        for i in range(len(call_ids)):
            h, offers, recordings, old_offers, old_recordings = replies[i * 5 : i * 5 + 5]
            for reply in (h, offers, recordings):
                if isinstance(reply, Exception):
                    raise reply
            # The previous layout's names may hold another call's record (the call
            # "<id>:offers" or "<id>:recordings"): only offer fields of a hash count, a hash
            # where a set was expected (WRONGTYPE) is none.
            if isinstance(old_offers, dict) and old_offers:
                offers = {k: v for k, v in old_offers.items() if _OFFER_FIELD.fullmatch(k)} | offers
            if isinstance(old_recordings, set) and old_recordings:
                recordings = set(old_recordings) | recordings
            if not h.get("id"):
                out.append(None)
                continue
            try:
                out.append(call_record(h, offers, recordings))
            except ValueError as exc:
                self.unreadable += 1
                log.warning("stats.call_unreadable", call_id=h["id"], error=str(exc)[:200], unreadable=self.unreadable)
                if not skip_unreadable:
                    raise errors.DataLoss(f"call {h['id']}'s stored record is unreadable ({exc})") from None
                out.append(None)
        return out

    async def get(self, call_id: str) -> CallRecord:
        problem = call_id_problem(call_id)
        if problem:
            raise InvalidArgument("call_id", f"{problem}")
        (record,) = await self.load([call_id], skip_unreadable=False)
        if record is None:
            raise NotFound(f"call {call_id} has no record")
        return record

    def _index(self, f: CallFilter) -> str:
        if f.caller:
            return self.keys.calls_by("caller", f.caller)
        if f.agent_id:
            return self.keys.calls_by("agent", f.agent_id)
        if f.queue:
            return self.keys.calls_by("queue", f.queue)
        return self.keys.calls

    async def list(self, f: CallFilter, page_size: int, page_token: str, now_ms: int) -> tuple[list[CallRecord], str]:
        """A page of matching records, newest first, and the next page's token ("" at the end).
        The token is the position after the page's last record (its arrival time and call
        id), so calls arriving meanwhile, or applied late, never shift or repeat a page."""
        low = f.received.start_ms if f.received else 0
        # Up to now (plus a second of clock skew between router and stats).
        high = now_ms + CLOCK_SLACK_MS
        if f.received:
            high = min(f.received.end_ms - 1, high)
        after: str | None = None
        if page_token:
            high, after = _decode_token(page_token)
        key = self._index(f)
        page: list[CallRecord] = []
        offset, last_read = 0, (0, "")
        while True:
            if f.searched and offset >= self.search_scan:
                # the scan's bound: a short page, the next one from the last entry read
                return page, _encode_token(*last_read)
            entries = await self.redis.zrevrangebyscore(
                key, high, low, start=offset, num=self.scan_chunk, withscores=True
            )
            if not entries:
                return page, ""
            offset += len(entries)
            last_read = (int(entries[-1][1]), str(entries[-1][0]))
            # Same arrival time as the last record: ids at or after it (in the index's
            # reverse order) were on earlier pages.
            fresh = [(m, int(sc)) for m, sc in entries if after is None or int(sc) < high or m < after]
            for (member, score), record in zip(fresh, await self.load([m for m, _ in fresh]), strict=True):
                if record is not None and matches(record, f):
                    page.append(record)
                    if len(page) == page_size:
                        return page, _encode_token(score, member)
