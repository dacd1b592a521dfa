"""Leads (S4): the CRM's reports become LEAD_* events on the stream (counted by the same
consumer path as calls); the figures are computed on reading, from the lead's hash, its
call attempts (calls carrying its id) and the talk time of those an agent answered."""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib

import redis.asyncio as aioredis
import structlog

from callcenter.core import errors, event_stream, ids, time_bounds
from callcenter.core.config import key_prefix
from callcenter.services.stats.config import Figures
from callcenter.services.stats.keys import StatsKeys, lua_preamble
from callcenter.services.stats.lead_stages import allowed_from
from callcenter.services.stats.model import LEAD_STAGES, OPEN_LEAD_STAGES, InvalidArgument, LeadFigures, NotFound, Range
from callcenter.services.stats.periods import day_range, local_day

log = structlog.get_logger(__name__)


def check_lead_id(lead_id: str) -> None:
    ids.check_lead_id(lead_id, "lead_id")  # the one rule of every service (callcenter/core/ids.py)


def check_stage(stage: str, field: str = "stage") -> None:
    if stage not in LEAD_STAGES:
        raise InvalidArgument(f"{field}", f"one of {', '.join(LEAD_STAGES)} expected, got {stage!r}")


MAX_CLIENT_NUMBER = 64  # characters of a client's phone number (the router's rule)


def check_client_number(number: str, field: str = "client_number") -> str:
    """A client's phone number as the router takes it (Client.number), or "" (none)."""
    if len(number) > MAX_CLIENT_NUMBER or any(ch in number for ch in ",| \r\n\0") or not number.isprintable():
        raise InvalidArgument(field, f"{number[:80]!r} is not a phone number (at most {MAX_CLIENT_NUMBER} characters)")
    return number


def _change_stage_source() -> str:
    """The key model and constants (keys.py), then scripts/change_stage.lua."""
    folder = pathlib.Path(__file__).parent / "scripts"
    return lua_preamble() + (folder / "change_stage.lua").read_text()


class LeadReports:
    """Appends the CRM's lead reports to the event stream; a stage change only if the move is
    allowed from the lead's stage now (lead_stages.py), checked atomically with the append."""

    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        maxlen: int = 1_000_000,
        backward_moves: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.redis = redis
        self.tenant = tenant
        self.maxlen = maxlen
        self.backward_moves = backward_moves
        self._change_stage = redis.register_script(_change_stage_source())

    async def created(self, lead_id: str, agent_id: str, stage: str, at_ms: int, client_number: str = "") -> str:
        check_lead_id(lead_id)
        stage = stage or "lead"
        check_stage(stage)
        check_client_number(client_number)
        attributes = {"client_number": client_number} if client_number else {}
        return await event_stream.append(
            self.redis, self.tenant, "lead_created", at_ms, maxlen=self.maxlen,
            lead_id=lead_id, agent_id=agent_id, lead_stage=stage, attributes=attributes,
        )  # fmt: skip

    async def assigned(self, lead_id: str, agent_id: str, at_ms: int) -> str:
        check_lead_id(lead_id)
        if not agent_id:
            raise InvalidArgument("agent_id", "required")
        return await event_stream.append(
            self.redis, self.tenant, "lead_assigned", at_ms, maxlen=self.maxlen, lead_id=lead_id, agent_id=agent_id
        )

    async def stage_changed(self, lead_id: str, stage: str, agent_id: str, at_ms: int) -> str:
        check_lead_id(lead_id)
        check_stage(stage)
        fields = event_stream.entry("lead_stage_changed", at_ms, lead_id=lead_id, lead_stage=stage, agent_id=agent_id)
        allowed = allowed_from(stage, self.backward_moves)
        outcome, detail = await self._change_stage(
            keys=[key_prefix(self.tenant), event_stream.stream_key(self.tenant)],
            args=[lead_id, stage, at_ms, self.maxlen, len(allowed), *allowed, *itertools.chain(*fields.items())],
        )
        if outcome == "refused":
            raise errors.FailedPrecondition(
                f"lead {lead_id} is at stage {detail}: moving it back to {stage} is not allowed"
                f" (CALLCENTER_STATS_LEAD_BACKWARD_MOVES allows {_moves(self.backward_moves)})",
                state=detail,
            )
        return str(detail)


def _moves(moves: frozenset[tuple[str, str]]) -> str:
    return ", ".join(f"{a}>{b}" for a, b in sorted(moves)) or "none"


class LeadReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys, figures: Figures) -> None:
        self.redis = redis
        self.keys = keys
        self.figures = figures
        self.unreadable = 0  # leads skipped because a stored time could not be read

    async def _load(self, lead_ids: list[str]) -> list[tuple[dict, list[tuple[str, float]], dict]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for lead_id in lead_ids:
                pipe.hgetall(self.keys.lead(lead_id))
                pipe.zrange(self.keys.lead_attempts(lead_id), 0, -1, withscores=True)
                pipe.hgetall(self.keys.lead_talk(lead_id))
            replies = await pipe.execute()
        return [tuple(replies[i * 3 : i * 3 + 3]) for i in range(len(lead_ids))]  # type: ignore[misc]

    def _figures(
        self, lead_id: str, h: dict, attempts: list[tuple[str, float]], talk: dict, day: Range, tz, now_ms: int
    ) -> LeadFigures:
        """The lead's figures; ValueError when a stored time is unreadable (outside the
        window of callcenter.core.time_bounds: stored before it was enforced)."""
        f = self.figures
        times = [int(time_bounds.stored_time_ms(score) or 0) for _call, score in attempts]
        created = time_bounds.stored_time_ms(h.get("created"))
        lead = LeadFigures(
            lead_id=lead_id,
            stage=h.get("stage", ""),
            agent_id=h.get("agent", ""),
            created_ms=created if created is not None else (times[0] if times else 0),
            attempts_today=sum(1 for t in times if day.start_ms <= t < day.end_ms),
            attempts_total=len(times),
            conversations=len(talk),
            successful_touches=sum(1 for ms in talk.values() if int(ms) > f.successful_touch_s * 1000),
            client_number=h.get("client", ""),
        )
        # Cadence: the first cadence_days calendar days in the zone, the creation day being day 1.
        first_day = local_day(lead.created_ms, tz)
        window_end = day_range(first_day + dt.timedelta(days=f.cadence_days - 1), tz).end_ms
        lead.cadence_attempts = sum(1 for t in times if t < window_end)
        if lead.cadence_attempts >= f.cadence_attempts:
            lead.cadence = "met"
        elif now_ms >= window_end:
            lead.cadence = "broken"
        else:
            lead.cadence = "pending"
        refused_ms = time_bounds.stored_time_ms(h.get("refused_at"))
        if lead.stage == "refused" and refused_ms is not None:
            lead.refused_ms = refused_ms
            lead.refused_by = h.get("refused_by", "")
            contacts = sum(1 for t in times if t <= lead.refused_ms)
            lead.improper_refusal = contacts < f.min_contacts_before_refusal
        return lead

    async def get(self, lead_id: str, day: Range, tz, now_ms: int) -> LeadFigures:
        ((h, attempts, talk),) = await self._load([lead_id])
        if not h and not attempts:
            raise NotFound(f"lead {lead_id} is not known")
        try:
            return self._figures(lead_id, h, attempts, talk, day, tz, now_ms)
        except (ValueError, OverflowError) as exc:
            self._unreadable(lead_id, exc)
            raise errors.DataLoss(f"lead {lead_id}'s stored times are unreadable ({exc})") from None

    def _unreadable(self, lead_id: str, exc: Exception) -> None:
        self.unreadable += 1
        log.warning("stats.lead_unreadable", lead_id=lead_id, error=str(exc)[:200], unreadable=self.unreadable)

    async def list(
        self, which: str, day: Range, tz, now_ms: int, agent_id: str = "", client_number: str = ""
    ) -> list[LeadFigures]:
        """The leads of a filter, oldest first; a lead whose stored times are unreadable is
        skipped (counted in `unreadable`, logged), never the end of the listing."""
        ids = await self.redis.zrange(self.keys.leads, 0, -1)
        out = []
        for lead_id, (h, attempts, talk) in zip(ids, await self._load(ids), strict=True):
            try:
                lead = self._figures(lead_id, h, attempts, talk, day, tz, now_ms)
            except (ValueError, OverflowError) as exc:
                self._unreadable(lead_id, exc)
                continue
            if agent_id and lead.agent_id != agent_id:
                continue
            if client_number and lead.client_number != client_number:
                continue
            if which == "not_called" and not (
                lead.stage in OPEN_LEAD_STAGES and lead.created_ms < day.end_ms and lead.attempts_today == 0
            ):
                continue
            if which == "improper_refusal" and not lead.improper_refusal:
                continue
            if which == "cadence_broken" and lead.cadence != "broken":
                continue
            out.append(lead)
        return out
