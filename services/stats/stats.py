"""The stats domain's entry point: what the gRPC API asks, answered from Redis. Knows
nothing of gRPC."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from callcenter.api.events.v1 import events_pb2
from callcenter.core import time_bounds
from callcenter.core.audit import valid_actor_name
from callcenter.core.clock import Clock
from callcenter.core.conversation_figures import ConversationFigures
from callcenter.services.stats import commissions, pay_rules, series
from callcenter.services.stats.audit import ActionReader
from callcenter.services.stats.board import BoardReader
from callcenter.services.stats.calls import CallReader
from callcenter.services.stats.config import Figures
from callcenter.services.stats.conversation_board import (
    MAX_AGENTS,
    BoardFilter,
    ConversationBoard,
    ConversationBoardReader,
    names,
    optional_name,
)
from callcenter.services.stats.conversation_stats import GROUPINGS, ConversationFigureReader, FiguresFilter
from callcenter.services.stats.figures import FigureReader
from callcenter.services.stats.funnel import Funnel, FunnelReader, check_names
from callcenter.services.stats.invoice_queue import InvoiceQueueReader, QueuedInvoice
from callcenter.services.stats.invoices import Invoice, Payment, PaymentOutcome, SalesReports
from callcenter.services.stats.keys import HISTOGRAM_MAX_S, HOUR_MS, StatsKeys
from callcenter.services.stats.lead_history import LeadHistory, LeadHistoryReader
from callcenter.services.stats.leads import LeadReader, LeadReports, check_client_number
from callcenter.services.stats.model import (
    AgentFigures,
    Board,
    CallFilter,
    CallRecord,
    InvalidArgument,
    LeadFigures,
    OutboundFigures,
    QueueFigures,
    Range,
)
from callcenter.services.stats.payroll import PayrollReader, PayrollRow, PayrollTotal
from callcenter.services.stats.periods import day_range, local_day, parse_day, widen, zone
from callcenter.services.stats.rules import RuleSet
from callcenter.services.stats.timeline import Timeline, TimelineReader

log = structlog.get_logger(__name__)

MAX_THRESHOLD_S = HISTOGRAM_MAX_S  # a threshold the wait histograms can answer (whole seconds)


@dataclass(frozen=True)
class PeriodSpec:
    """A period as asked: a local day, an hour, or a range, in a time zone."""

    time_zone: str = ""
    day: str = ""
    hour_ms: int | None = None
    range_ms: tuple[int, int] | None = None


class Stats:
    def __init__(self, redis: aioredis.Redis, tenant: str, clock: Clock, figures: Figures) -> None:
        self.redis = redis
        self.tenant = tenant
        self.clock = clock
        self.figures = figures
        self.keys = StatsKeys(tenant)
        self.board_reader = BoardReader(redis, self.keys)
        self.figure_reader = FigureReader(redis, self.keys, figures)
        self.call_reader = CallReader(redis, self.keys)
        self.lead_reader = LeadReader(redis, self.keys, figures)
        self.lead_reports = LeadReports(redis, tenant, backward_moves=figures.backward_moves)
        self.action_reader = ActionReader(redis, self.keys)
        self.lead_history_reader = LeadHistoryReader(redis, self.keys)
        self.funnel_reader = FunnelReader(self.figure_reader)
        self.timeline_reader = TimelineReader(redis, self.keys)
        self.sales = SalesReports(redis, tenant)
        self.commission_rules = RuleSet(redis, tenant, self.keys.commission_rules, "commission_rules_updated")
        self.pay_rules = RuleSet(redis, tenant, self.keys.pay_rules, "pay_rules_updated")
        self.payroll_reader = PayrollReader(redis, self.keys, self.figure_reader)
        self.invoice_queue_reader = InvoiceQueueReader(redis, self.keys)
        self.conversation_board_reader = ConversationBoardReader(redis, self.keys, self.board_reader)
        self.conversation_figure_reader = ConversationFigureReader(redis, self.keys)

    # Periods ------------------------------------------------------------------------------

    def resolve(self, spec: PeriodSpec) -> tuple[Range, object]:
        """The period's [start, end) in UTC ms (quarter-hour aligned) and its time zone; no
        span means today in the zone."""
        tz = zone(spec.time_zone)
        if spec.day:
            return day_range(parse_day(spec.day), tz), tz
        if spec.hour_ms is not None:
            return widen(spec.hour_ms, spec.hour_ms + HOUR_MS), tz
        if spec.range_ms is not None:
            start_ms, end_ms = spec.range_ms
            time_bounds.check_period_ms(start_ms, end_ms, "period.range.end")  # at most 400 days
            return widen(start_ms, end_ms), tz
        return day_range(local_day(self.clock.now_ms(), tz), tz), tz

    def day_of(self, spec: PeriodSpec) -> tuple[Range, object]:
        """A day for the lead figures: the given day, or the day holding the period's start."""
        r, tz = self.resolve(spec)
        if spec.day or (spec.hour_ms is None and spec.range_ms is None):
            return r, tz
        return day_range(local_day(r.start_ms, tz), tz), tz

    # Board --------------------------------------------------------------------------------

    async def board(self, overdue_after_ms: int = 0) -> Board:
        after = overdue_after_ms or self.figures.overdue_after_s * 1000
        return await self.board_reader.board(self.clock.now_ms(), after)

    async def conversation_board(self, f: BoardFilter) -> ConversationBoard:
        """The conversations' board now, filtered (conversation_board.board_filter checks f)."""
        return await self.conversation_board_reader.board(f, self.clock.now_ms())

    # Figures ------------------------------------------------------------------------------

    async def conversation_figures(
        self, spec: PeriodSpec, group_by: str, channel: str, topic: str, agent_ids: list[str]
    ) -> tuple[Range, list[ConversationFigures], ConversationFigures]:
        """Conversation figures over the period, one row per channel, topic, agent or queue
        (the team); group_by one of conversation_stats.GROUPINGS."""
        if group_by not in GROUPINGS:
            raise InvalidArgument("group_by", f"required: one of {', '.join(GROUPINGS)}")
        f = FiguresFilter(
            channel=optional_name(channel, "channel"),
            topic=optional_name(topic, "topic"),
            agent_ids=names(agent_ids, "agent_ids", MAX_AGENTS),
        )
        r, _tz = self.resolve(spec)
        rows, total = await self.conversation_figure_reader.figures(r, group_by, f)
        return r, rows, total

    async def agent_figures(self, spec: PeriodSpec, agent_ids: list[str]) -> tuple[Range, list[AgentFigures]]:
        r, _tz = self.resolve(spec)
        ids = agent_ids or sorted(await self.redis.smembers(self.keys.agents))
        return r, await self.figure_reader.agents(ids, r, self.clock.now_ms())

    async def queue_figures(
        self, spec: PeriodSpec, queues: list[str], threshold_s: int = 0
    ) -> tuple[Range, int, list[QueueFigures]]:
        if not 0 <= threshold_s <= MAX_THRESHOLD_S:
            raise InvalidArgument("service_level_threshold", f"at most {MAX_THRESHOLD_S} s (a day)")
        r, _tz = self.resolve(spec)
        names = queues or sorted(await self.redis.smembers(self.keys.queues))
        threshold = threshold_s or self.figures.service_level_threshold_s
        return r, threshold, await self.figure_reader.queues(names, r, threshold)

    async def outbound_figures(
        self, spec: PeriodSpec, queues: list[str], campaigns: list[str], agents: list[str], threshold_s: int = 0
    ) -> tuple[Range, int, list[OutboundFigures], list[OutboundFigures], list[OutboundFigures]]:
        """Outbound figures per queue, campaign and agent (every one known when none is named)."""
        if not 0 <= threshold_s <= MAX_THRESHOLD_S:
            raise InvalidArgument("conversation_threshold", f"at most {MAX_THRESHOLD_S} s (a day)")
        r, _tz = self.resolve(spec)
        threshold = threshold_s or self.figures.successful_touch_s
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.smembers(self.keys.queues)
            pipe.smembers(self.keys.campaigns)
            pipe.smembers(self.keys.agents)
            known = await pipe.execute()
        names = [named or sorted(k) for named, k in zip((queues, campaigns, agents), known, strict=True)]
        read = self.figure_reader.outbound
        return (
            r,
            threshold,
            await read("queue", names[0], r, threshold),
            await read("campaign", names[1], r, threshold),
            await read("agent", names[2], r, threshold),
        )

    # Agent timelines ----------------------------------------------------------------------

    async def agent_timeline(self, agent_id: str, day: str, time_zone: str) -> Timeline:
        """The agent's state segments of a local day (timeline.py)."""
        if not day:
            raise InvalidArgument("day", "required: YYYY-MM-DD")
        try:
            tz = zone(time_zone)
        except InvalidArgument as exc:
            raise InvalidArgument("time_zone", exc.problem) from None
        r = day_range(parse_day(day, "day"), tz)
        return await self.timeline_reader.day(agent_id, r, self.clock.now_ms())

    async def queue_series(
        self, spec: PeriodSpec, bucket: str, queues: list[str], threshold_s: int = 0
    ) -> tuple[Range, int, list[Range], list[list[QueueFigures]]]:
        """Each queue's figures per bucket of the period (series.py), with the buckets."""
        if not 0 <= threshold_s <= MAX_THRESHOLD_S:
            raise InvalidArgument("service_level_threshold", f"at most {MAX_THRESHOLD_S} s (a day)")
        r, tz = self.resolve(spec)
        ranges = series.split(r, tz, bucket)
        names = queues or sorted(map(str, await self.redis.smembers(self.keys.queues)))
        if len(names) > series.MAX_QUEUES:
            raise InvalidArgument("queues", f"at most {series.MAX_QUEUES} queues per series, got {len(names)}")
        threshold = threshold_s or self.figures.service_level_threshold_s
        return r, threshold, ranges, await self.figure_reader.queue_series(names, ranges, threshold)

    # Call records -------------------------------------------------------------------------

    async def call_record(self, call_id: str) -> CallRecord:
        return await self.call_reader.get(call_id)

    async def call_records(self, f: CallFilter, page_size: int, page_token: str) -> tuple[list[CallRecord], str]:
        return await self.call_reader.list(f, page_size, page_token, self.clock.now_ms())

    # Leads --------------------------------------------------------------------------------

    async def lead_created(
        self, lead_id: str, agent_id: str, stage: str, at_ms: int | None, client_number: str = ""
    ) -> str:
        return await self.lead_reports.created(lead_id, agent_id, stage, at_ms or self.clock.now_ms(), client_number)

    async def lead_assigned(self, lead_id: str, agent_id: str, at_ms: int | None) -> str:
        return await self.lead_reports.assigned(lead_id, agent_id, at_ms or self.clock.now_ms())

    async def lead_stage_changed(self, lead_id: str, stage: str, agent_id: str, at_ms: int | None) -> str:
        return await self.lead_reports.stage_changed(lead_id, stage, agent_id, at_ms or self.clock.now_ms())

    async def lead_history(self, lead_id: str) -> LeadHistory:
        return await self.lead_history_reader.get(lead_id)

    async def lead_funnel(
        self, spec: PeriodSpec, group_by: str, agent_ids: list[str], queues: list[str]
    ) -> tuple[Range, list[Funnel], Funnel]:
        r, _tz = self.resolve(spec)
        agent_ids, queues = check_names(agent_ids, "agent_ids"), check_names(queues, "queues")
        if group_by == "agent" and not agent_ids:
            agent_ids = check_names(sorted(await self.redis.smembers(self.keys.agents)), "agent_ids")
        if group_by == "team" and not queues and not agent_ids:
            queues = check_names(sorted(await self.redis.smembers(self.keys.queues)), "queues")
        groups, total = await self.funnel_reader.funnel(r, group_by, agent_ids, queues)
        return r, groups, total

    async def lead(self, lead_id: str, spec: PeriodSpec) -> LeadFigures:
        day, tz = self.day_of(spec)
        return await self.lead_reader.get(lead_id, day, tz, self.clock.now_ms())

    async def leads(
        self, which: str, spec: PeriodSpec, agent_id: str = "", client_number: str = ""
    ) -> list[LeadFigures]:
        check_client_number(client_number)
        day, tz = self.day_of(spec)
        return await self.lead_reader.list(which, day, tz, self.clock.now_ms(), agent_id, client_number)

    # Sales: invoices, payments, commissions and the payroll (invoices.py, payroll.py) --------

    async def report_invoice(self, invoice: Invoice) -> tuple[str, bool]:
        return await self.sales.invoice(invoice, self.clock.now_ms())

    async def invoice_queue(
        self, agent_id: str, queue: str, uncalled_only: bool, page_size: int, page_token: str, invoice_id: str = ""
    ) -> tuple[list[QueuedInvoice], str, int]:
        return await self.invoice_queue_reader.list(agent_id, queue, uncalled_only, page_size, page_token, invoice_id)

    async def report_payment(self, payment: Payment) -> PaymentOutcome:
        return await self.sales.payment(payment, self.clock.now_ms())

    async def set_commission_rules(
        self, rules: list[commissions.CommissionRule], actor: str
    ) -> list[commissions.CommissionRule]:
        await self.commission_rules.replace(
            commissions.to_json(commissions.check_rules(rules)), actor, self.clock.now_ms()
        )
        return rules

    async def get_commission_rules(self) -> list[commissions.CommissionRule]:
        return commissions.from_json(await self.commission_rules.read())

    async def set_pay_rules(self, rules: list[pay_rules.PayRule], actor: str) -> list[pay_rules.PayRule]:
        await self.pay_rules.replace(pay_rules.to_json(pay_rules.check_rules(rules)), actor, self.clock.now_ms())
        return rules

    async def get_pay_rules(self) -> list[pay_rules.PayRule]:
        return pay_rules.from_json(await self.pay_rules.read())

    async def payroll(
        self, spec: PeriodSpec, agent_ids: list[str]
    ) -> tuple[Range, list[PayrollRow], list[PayrollTotal]]:
        r, _tz = self.resolve(spec)
        rows, totals = await self.payroll_reader.payroll(r, agent_ids, await self.get_pay_rules())
        return r, rows, totals

    # The audit trail ------------------------------------------------------------------------

    async def actions(
        self, start_ms: int, end_ms: int, actor: str, page_size: int, page_token: str
    ) -> tuple[list[events_pb2.Event], str]:
        """The actions recorded in [start_ms, end_ms), at most 400 days (audit.py)."""
        if end_ms <= start_ms:
            raise InvalidArgument("range.end", "must be after range.start")
        time_bounds.check_period_ms(start_ms, end_ms, "range.end")
        if actor and not valid_actor_name(actor):
            raise InvalidArgument("actor", "not a user or credential name (1-128 printable characters, no spaces)")
        return await self.action_reader.list(start_ms, end_ms, actor, page_size, page_token)
