"""Call campaigns in the router's domain (S2.7, S4.1): settings, contacts, start / pause /
stop, progress. Knows nothing of gRPC. The dialler (dialler.py) makes the calls; each call's
end updates its contact in the same transition (scripts/lib.lua, "Campaigns")."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from callcenter.core import ids
from callcenter.services.router.calling_hours import CallingHours
from callcenter.services.router.model import OUTBOUND_MODES, InvalidArgument, NotFound
from callcenter.services.router.router import Router, check_phone

log = structlog.get_logger(__name__)

HOUR_MS, MINUTE_MS, DAY_MS = 3_600_000, 60_000, 86_400_000
SOURCES = ("contacts", "new_leads")
CONTACT_STATES = ("pending", "calling", "reached", "exhausted", "skipped")
CAMPAIGN_STATES = ("draft", "running", "paused", "stopped", "finished")
MAX_CONTACTS_PER_REQUEST = 1000
MAX_CONTACTS = 100_000
MAX_SCRIPT = 10_000
MAX_NAME = 128
MAX_LISTED = 1000


@dataclass(frozen=True)
class RetryRules:
    """When a contact is tried again, by the last attempt's outcome (durations in ms)."""

    no_answer_ms: int = 4 * HOUR_MS
    busy_ms: int = 15 * MINUTE_MS
    failed_ms: int = HOUR_MS
    max_attempts: int = 3
    spread_ms: int = 0  # cadence: attempt k no earlier than the first + k * spread
    call_reached_again: bool = False

    def check(self) -> RetryRules:
        for name in ("no_answer_ms", "busy_ms", "failed_ms", "spread_ms"):
            if not 0 <= getattr(self, name) <= 90 * DAY_MS:
                raise InvalidArgument(f"retry.{name.removesuffix('_ms')}", "must be 0-90 days")
        if not 1 <= self.max_attempts <= 100:
            raise InvalidArgument("retry.max_attempts", "must be 1-100")
        return self


@dataclass(frozen=True)
class Progress:
    contacts: int = 0
    pending: int = 0
    calling: int = 0
    reached: int = 0
    exhausted: int = 0
    skipped: int = 0
    attempts: int = 0
    connected: int = 0
    not_connected: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    queue: str
    segment_id: str = ""
    source: str = "contacts"
    script: str = ""
    mode: str = "preview"
    hours: CallingHours = CallingHours()
    retry: RetryRules = RetryRules()
    max_concurrent: int = 0
    state: str = "draft"
    progress: Progress = Progress()
    created_ms: int = 0


@dataclass(frozen=True)
class Contact:
    number: str
    deal_id: str
    state: str
    attempts: int
    last_outcome: str
    next_attempt_ms: int | None


def _to_hash(c: Campaign) -> dict[str, str | int]:
    return {
        "name": c.name,
        "queue": c.queue,
        "segment": c.segment_id,
        "source": c.source,
        "script": c.script,
        "mode": c.mode,
        "days": ",".join(str(d) for d in c.hours.days),
        "start_min": c.hours.start_minute,
        "end_min": c.hours.end_minute,
        "tz": c.hours.time_zone,
        "retry_no_answer_ms": c.retry.no_answer_ms,
        "retry_busy_ms": c.retry.busy_ms,
        "retry_failed_ms": c.retry.failed_ms,
        "max_attempts": c.retry.max_attempts,
        "spread_ms": c.retry.spread_ms,
        "reached_again": "1" if c.retry.call_reached_again else "0",
        "max_concurrent": c.max_concurrent,
    }


def _int(h: dict[str, str], name: str, default: int = 0) -> int:
    value = h.get(name)
    return int(value) if value not in (None, "") else default


def hours_from_hash(h: dict[str, str]) -> CallingHours:
    return CallingHours(
        days=tuple(int(d) for d in (h.get("days") or "").split(",") if d),
        start_minute=_int(h, "start_min"),
        end_minute=_int(h, "end_min", 1440),
        time_zone=h.get("tz", ""),
    )


def campaign_from_hash(h: dict[str, str]) -> Campaign:
    return Campaign(
        campaign_id=h["id"],
        name=h.get("name", ""),
        queue=h.get("queue", ""),
        segment_id=h.get("segment", ""),
        source=h.get("source") or "contacts",
        script=h.get("script", ""),
        mode=h.get("mode") or "preview",
        hours=hours_from_hash(h),
        retry=RetryRules(
            no_answer_ms=_int(h, "retry_no_answer_ms"),
            busy_ms=_int(h, "retry_busy_ms"),
            failed_ms=_int(h, "retry_failed_ms"),
            max_attempts=_int(h, "max_attempts", 3),
            spread_ms=_int(h, "spread_ms"),
            call_reached_again=h.get("reached_again") == "1",
        ),
        max_concurrent=_int(h, "max_concurrent"),
        state=h.get("state", "draft"),
        progress=Progress(
            contacts=_int(h, "n_contacts"),
            pending=_int(h, "n_pending"),
            calling=_int(h, "n_calling"),
            reached=_int(h, "n_reached"),
            exhausted=_int(h, "n_exhausted"),
            skipped=_int(h, "n_skipped"),
            attempts=_int(h, "attempts"),
            connected=_int(h, "connected"),
            not_connected={k[3:]: int(v) for k, v in h.items() if k.startswith("nc:") and v not in ("", "0")},
        ),
        created_ms=_int(h, "created"),
    )


#: The numbers of a client segment (the segments' domain function), for a campaign's first start.
SegmentNumbers = Callable[[str], Awaitable[list[str]]]


class Campaigns:
    def __init__(self, router: Router, segment_numbers: SegmentNumbers | None = None) -> None:
        self.router = router
        self.store = router.store
        self.keys = router.store.keys
        self.segment_numbers = segment_numbers

    async def _transition(self, name: str, *args: str | int) -> dict:
        return await self.store.run(name, self.router.now(), *args)

    async def upsert(self, c: Campaign) -> Campaign:
        ids.check_name(c.campaign_id, "campaign.campaign_id")
        ids.check_name(c.queue, "campaign.queue")
        if c.segment_id:
            ids.check_name(c.segment_id, "campaign.segment_id")
        if not c.name or len(c.name) > MAX_NAME:
            raise InvalidArgument("campaign.name", f"is required, at most {MAX_NAME} characters")
        if len(c.script) > MAX_SCRIPT:
            raise InvalidArgument("campaign.script", f"is longer than {MAX_SCRIPT} characters")
        if c.source not in SOURCES:
            raise InvalidArgument("campaign.source", f"must be one of {', '.join(SOURCES)}")
        if c.mode not in OUTBOUND_MODES:
            raise InvalidArgument("campaign.mode", f"must be one of {', '.join(OUTBOUND_MODES)}")
        if not 0 <= c.max_concurrent <= 10_000:
            raise InvalidArgument("campaign.max_concurrent", "must be 0-10000")
        c.hours.check("campaign.calling_hours")
        c.retry.check()
        reply = await self._transition("upsert_campaign", c.campaign_id, json.dumps(_to_hash(c)))
        log.info("campaign.saved", campaign_id=c.campaign_id, queue=c.queue)
        return campaign_from_hash(reply["campaign"])

    async def get(self, campaign_id: str) -> Campaign:
        ids.check_name(campaign_id, "campaign_id")
        h = await self.store.redis.hgetall(self.keys.campaign(campaign_id))
        if not h.get("id"):
            raise NotFound(f"campaign {campaign_id} does not exist")
        return campaign_from_hash(h)

    async def list(self) -> list[Campaign]:
        found = await self.store.redis.zrevrange(self.keys.campaigns, 0, 499)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for campaign_id in found:
                pipe.hgetall(self.keys.campaign(campaign_id))
            hashes = await pipe.execute()
        return [campaign_from_hash(h) for h in hashes if h.get("id")]

    async def add_contacts(self, campaign_id: str, contacts: list[tuple[str, str]]) -> tuple[int, int]:
        """contacts: (number, deal id or ''). Returns how many were new, and of those skipped."""
        ids.check_name(campaign_id, "campaign_id")
        if len(contacts) > MAX_CONTACTS_PER_REQUEST:
            raise InvalidArgument("contacts", f"at most {MAX_CONTACTS_PER_REQUEST} per request")
        flat: list[str] = []
        for i, (number, deal) in enumerate(contacts):
            check_phone(f"contacts[{i}].number", number)
            if deal:
                ids.check_lead_id(deal, f"contacts[{i}].deal_id")
            flat += [number, deal]
        reply = await self._transition("add_campaign_contacts", campaign_id, MAX_CONTACTS, *flat)
        return reply["added"], reply["skipped"]

    async def list_contacts(
        self, campaign_id: str, state: str = "", page_size: int = 0, after: str = ""
    ) -> list[Contact]:
        ids.check_name(campaign_id, "campaign_id")
        if state and state not in CONTACT_STATES:
            raise InvalidArgument("state", f"must be one of {', '.join(CONTACT_STATES)}")
        if not 0 <= page_size <= MAX_LISTED:
            raise InvalidArgument("page_size", f"must be 1-{MAX_LISTED} (0: 200)")
        await self.get(campaign_id)
        limit = page_size or 200
        raw = await self.store.redis.hgetall(self.keys.campaign_contacts(campaign_id))
        numbers = sorted(n for n in raw if n > after)
        out: list[Contact] = []
        due_key = self.keys.campaign_due(campaign_id)
        for number in numbers:
            contact_state, attempts, last, deal, _first = raw[number].split("|")
            if state and contact_state != state:
                continue
            out.append(Contact(number, deal, contact_state, int(attempts or 0), last, None))
            if len(out) == limit:
                break
        if out:
            scores = await self.store.redis.zmscore(due_key, [c.number for c in out])
            out = [
                Contact(c.number, c.deal_id, c.state, c.attempts, c.last_outcome, int(s) if s is not None else None)
                for c, s in zip(out, scores, strict=True)
            ]
        return out

    async def _set_state(self, campaign_id: str, to: str) -> Campaign:
        reply = await self._transition("campaign_state", campaign_id, to)
        log.info("campaign.state_changed", campaign_id=campaign_id, state=to)
        return campaign_from_hash(reply["campaign"])

    async def start(self, campaign_id: str) -> Campaign:
        campaign = await self.get(campaign_id)
        if campaign.segment_id and campaign.state == "draft":
            if self.segment_numbers is None:
                raise InvalidArgument("campaign.segment_id", "segments are not available in this router")
            numbers = await self.segment_numbers(campaign.segment_id)
            for start in range(0, len(numbers), MAX_CONTACTS_PER_REQUEST):
                await self.add_contacts(
                    campaign_id, [(n, "") for n in numbers[start : start + MAX_CONTACTS_PER_REQUEST]]
                )
        return await self._set_state(campaign_id, "running")

    async def pause(self, campaign_id: str) -> Campaign:
        ids.check_name(campaign_id, "campaign_id")
        return await self._set_state(campaign_id, "paused")

    async def stop(self, campaign_id: str) -> Campaign:
        ids.check_name(campaign_id, "campaign_id")
        return await self._set_state(campaign_id, "stopped")

    async def add_new_lead(self, number: str, deal_id: str, created_ms: int | None = None) -> int:
        """A new lead becomes a contact of every running campaign fed by new leads (cadence)
        that had started when the lead was created."""
        added = 0
        for campaign_id in sorted(await self.store.redis.smembers(self.keys.campaigns_new_leads)):
            started = await self.store.redis.hget(self.keys.campaign(campaign_id), "started")
            if created_ms is not None and started is not None and created_ms < int(started):
                continue
            new, _ = await self.add_contacts(campaign_id, [(number, deal_id)])
            added += new
        return added
