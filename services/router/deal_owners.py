"""Who owns which deal, learnt from the event stream (S2.4: a call about an open deal goes to
its owner first, docs/routing-rules.md).

A deal is a lead of the stats service. Every router replica of a tenant runs one member of the
consumer group `router-deals` on the event stream; it applies the LEAD_CREATED, LEAD_ASSIGNED
and LEAD_STAGE_CHANGED events the stats service appends to `deal:<id>` with
scripts/apply_deal_event.lua (the owner, the stage, whether it is open), then acknowledges the
batch. Each field keeps the entry id of the event that set it, so a redelivered event (a
replica died before XACK, another took it over with XAUTOCLAIM) or an older one changes
nothing. An entry that cannot be read (not UTF-8, no valid lead id) is skipped and counted
(callcenter_stream_entries_skipped_total{reader="router_deal_owners"}), never the end of the
consumer; every other event type is acknowledged untouched. route_call.lua reads the key.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from callcenter.core import ids
from callcenter.core.errors import DomainError
from callcenter.core.key_model import lua_constants
from callcenter.core.lead_stages import CLOSED_LEAD_STAGES
from callcenter.core.phone_numbers import phone_problem
from callcenter.core.redis_connection import undecodable
from callcenter.core.stream_group import Entry, GroupMember
from callcenter.services.router import metrics as router_metrics
from callcenter.services.router.config import DealOwnerSettings
from callcenter.services.router.keys import RouterKeys, lua_preamble

log = structlog.get_logger(__name__)

GROUP = "router-deals"
#: The lead events whose effects the router keeps (events.proto, EventType).
LEAD_EVENTS = frozenset({"LEAD_CREATED", "LEAD_ASSIGNED", "LEAD_STAGE_CHANGED"})
#: The stages (events.proto, Event.lead_stage) after which a deal is closed: its owner is
#: then no reason to route a call anywhere.
CLOSED_DEAL_STAGES = CLOSED_LEAD_STAGES
MAX_STAGE = 32


def _script_source() -> str:
    """The key model (keys.py), the closed stages, then scripts/apply_deal_event.lua."""
    folder = importlib.resources.files("callcenter.services.router") / "scripts"
    closed = lua_constants("services/router/deal_owners.py", CLOSED_DEAL_STAGES=CLOSED_DEAL_STAGES)
    return str(lua_preamble()) + closed + (folder / "apply_deal_event.lua").read_text()


def entry_order(entry_id: str) -> tuple[int, int]:
    """A stream entry id ("<ms>-<seq>") as a pair that sorts as the stream does."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _problem(fields: dict[str, str]) -> str | None:
    """Why a lead event cannot be applied, or None."""
    problem = ids.lead_id_problem(fields.get("lead_id", ""))
    if problem:
        return f"lead_id {problem}"
    agent = fields.get("agent_id", "")
    if agent and ids.name_problem(agent):
        return f"agent_id {ids.name_problem(agent)}"
    if fields["type"].upper() == "LEAD_ASSIGNED" and not agent:
        return "agent_id is required"
    if len(fields.get("lead_stage", "")) > MAX_STAGE:
        return "lead_stage is too long"
    return None


class DealOwners(GroupMember):
    """One member of the router-deals group (the group starts at 0: the router learns the
    deals of the stream's whole history)."""

    worker_name = "router-deal-owners"

    def __init__(self, redis: aioredis.Redis, tenant: str, settings: DealOwnerSettings, name: str = "") -> None:
        super().__init__(
            redis,
            tenant,
            GROUP,
            name,
            batch_size=settings.batch_size,
            claim_idle_ms=settings.claim_idle_ms,
            block_ms=settings.block_ms,
        )
        self.settings = settings
        self.keys = RouterKeys(tenant)
        self._apply = redis.register_script(_script_source())
        self.applied = 0  # lead events that changed a deal
        self.stale = 0  # lead events that changed nothing (redelivered, or older than what is known)
        self.skipped = 0  # entries it could not read
        self.done_through = (0, 0)  # the newest entry id (ms, seq) this member acknowledged
        self.on_done: Callable[[], None] | None = None  # told after each acknowledged batch
        # told of each new lead with a client number (number, lead id, created ms): the
        # campaigns fed by new leads (campaigns.py, the cadence dialler)
        self.on_new_lead: Callable[[str, str, int], Awaitable[int]] | None = None

    async def ack(self, ids: list[str]) -> None:
        await super().ack(ids)
        for entry_id in ids:
            self.done_through = max(self.done_through, entry_order(entry_id))
        if ids and self.on_done is not None:
            self.on_done()

    def reclaimed(self, count: int) -> None:
        log.info("deals.reclaimed", count=count, consumer=self.name)

    def _skip(self, entry_id: str, problem: str) -> None:
        self.skipped += 1
        router_metrics.DEALS_UNREADABLE.inc()
        log.warning("deals.event_unreadable", event_id=entry_id, problem=problem[:200], skipped=self.skipped)

    async def apply(self, entries: list[Entry]) -> list[str]:
        """Applies the lead events among entries (no ack); returns the ids that are done.
        Ids left out (the script failed) stay pending for a retry."""
        done: list[str] = []
        ready: list[tuple[str, dict[str, str]]] = []
        for entry_id, fields in entries:
            if fields is None:  # trimmed while pending: nothing left to apply
                done.append(entry_id)
            elif undecodable(fields):
                self._skip(entry_id, "not UTF-8")
                done.append(entry_id)
            elif fields.get("type", "").upper() not in LEAD_EVENTS:
                done.append(entry_id)
            elif problem := _problem(fields):
                self._skip(entry_id, problem)
                done.append(entry_id)
            else:
                ready.append((entry_id, fields))
        if not ready:
            return done
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id, fields in ready:
                await self._apply(
                    keys=[self.keys.prefix],
                    args=[
                        entry_id,
                        fields["type"].upper(),
                        fields["lead_id"],
                        fields.get("agent_id", ""),
                        fields.get("lead_stage", ""),
                        self.settings.closed_retention_s,
                    ],
                    client=pipe,
                )
            results = await pipe.execute(raise_on_error=False)
        for (entry_id, _fields), result in zip(ready, results, strict=True):
            if isinstance(result, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
                raise result
            if isinstance(result, Exception):
                log.warning("deals.apply_failed", event_id=entry_id, error=str(result)[:300])
                continue
            if result == "applied":
                self.applied += 1
                await self._new_lead(entry_id, _fields)
            else:
                self.stale += 1
            done.append(entry_id)
        return done

    async def _new_lead(self, entry_id: str, fields: dict[str, str]) -> None:
        """A lead created with its client's number joins the campaigns fed by new leads.
        Redis trouble is raised (the entry stays pending and comes again: adding is idempotent);
        a refusal (a full campaign) is logged."""
        if self.on_new_lead is None or fields["type"].upper() != "LEAD_CREATED":
            return
        try:
            number = json.loads(fields.get("attributes") or "{}").get("client_number")
        except (ValueError, AttributeError):
            return
        if not isinstance(number, str) or phone_problem(number):
            return
        try:
            await self.on_new_lead(number, fields["lead_id"], entry_order(entry_id)[0])
        except DomainError as exc:
            log.warning("deals.new_lead_not_added", lead_id=fields["lead_id"], problem=str(exc)[:200])

    handle = apply
