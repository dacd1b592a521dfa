"""A campaign office for the tests: a router on real Redis with a hand-driven clock, its
dialler, and a PBX that reports each dial's outcome as a simulated customer would."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from callcenter.core.clock import ManualClock
from callcenter.services.router.calling_hours import CallingHours
from callcenter.services.router.campaigns import Campaign, Campaigns, RetryRules
from callcenter.services.router.config import QueueDefaults
from callcenter.services.router.dialler import Dialler
from callcenter.services.router.outbound import Outbound
from callcenter.services.router.router import Router
from callcenter.services.router.store import RouterStore
from tests.helpers import team

HOUR, MINUTE = 3_600_000, 60_000
# Monday 7 December 2026, 05:00 UTC: 06:00 in Berlin, 00:00 in New York.
MONDAY_5_UTC = int(dt.datetime(2026, 12, 7, 5, tzinfo=dt.UTC).timestamp() * 1000)
BERLIN_OFFICE = CallingHours(days=(1, 2, 3, 4, 5), start_minute=9 * 60, end_minute=18 * 60, time_zone="Europe/Berlin")


class Office:
    """A router with a hand-driven clock, its PBX session kept open, its dialler, and a PBX that
    answers every ORIGINATE by reporting what `outcome(number, attempt)` says."""

    def __init__(self, redis, tenant, start_ms=MONDAY_5_UTC) -> None:
        self.clock = ManualClock(start_ms)
        store = RouterStore(redis, tenant, event_stream_maxlen=1_000_000, call_retention_s=3600)
        self.router = Router(store, self.clock, QueueDefaults())
        self.campaigns = Campaigns(self.router)
        self.dialler = Dialler(self.router)
        self.outbound = Outbound(self.router)
        self.redis, self.tenant = redis, tenant
        self.dialled: list[tuple[int, str, str]] = []  # (time, number, call id)
        self._seen = "0-0"

    async def open(self, queue="sales", agents=("a1", "a2", "a3"), **settings):
        await team(self.router, queue, list(agents), wrap_up_ms=0, outbound_pbx="dialer", **settings)
        await self.router.open_pbx_session("dialer", 300_000, "router", 0, False)

    async def step(self, outcome) -> None:
        """The dialler's pass, then the PBX's report of every call it was asked to dial."""
        await self.router.renew_pbx_session("dialer", 0)
        await self.router.fire_due_timers()
        await self.dialler.step()
        for entry_id, fields in await self.redis.xrange(f"cc:{{{self.tenant}}}:events", f"({self._seen}", "+"):
            self._seen = entry_id
            if fields["type"] == "CALL_DIALING":
                number, call_id = fields["caller"], fields["call_id"]
                self.dialled.append((self.clock.now_ms(), number, call_id))
                attempt = sum(1 for _, n, _ in self.dialled if n == number)
                result = outcome(number, attempt)
                await self.outbound.report_dial_outcome(call_id, fields["offer_id"], result)
                if result == "answered":
                    await self.router.hangup(call_id)

    async def run(self, outcome, until_ms: int, step_ms: int = 15 * MINUTE) -> None:
        while self.clock.now_ms() < until_ms:
            await self.step(outcome)
            self.clock.advance(step_ms / 1000)

    def attempts(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = defaultdict(list)
        for at, number, _ in self.dialled:
            out[number].append(at)
        return out


def local(ms: int, zone: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromtimestamp(ms / 1000, ZoneInfo(zone))


def progressive(campaign_id="spring", **fields) -> Campaign:
    values = dict(
        campaign_id=campaign_id,
        name="Spring offer",
        queue="sales",
        script="Good morning, this is …",
        mode="progressive",
        hours=BERLIN_OFFICE,
        retry=RetryRules(no_answer_ms=4 * HOUR, busy_ms=15 * MINUTE, max_attempts=2),
    )
    return Campaign(**{**values, **fields})
