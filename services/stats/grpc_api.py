"""The stats gRPC servicer: each handler reads the request, calls one domain method and
converts the answer. Domain errors become gRPC status codes in one place (`_domain_errors`)."""

from __future__ import annotations

import structlog

from callcenter.api.common.v1 import states_pb2
from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core import ids, time_bounds
from callcenter.core.event_stream import agent_state_enum, duration_ms, timestamp_ms
from callcenter.core.grpc_server import domain_errors
from callcenter.services.stats.board_watch import BoardWatchHub
from callcenter.services.stats.commissions import CommissionRule
from callcenter.services.stats.conversation_board import BoardAgent, BoardQueue, ConversationCounts, board_filter
from callcenter.services.stats.funnel import Funnel
from callcenter.services.stats.invoice_queue import QueuedInvoice
from callcenter.services.stats.invoices import Invoice, Payment
from callcenter.services.stats.lead_history import LeadChange
from callcenter.services.stats.model import (
    AgentFigures,
    AgentNow,
    CallFilter,
    CallRecord,
    InvalidArgument,
    LeadFigures,
    OutboundFigures,
    QueueFigures,
    QueueNow,
    Range,
)
from callcenter.services.stats.pay_rules import PayRule
from callcenter.services.stats.payroll import PayrollRow, PayrollTotal
from callcenter.services.stats.stats import PeriodSpec, Stats
from callcenter.services.stats.timeline import Timeline

log = structlog.get_logger(__name__)

OUTCOME_TO_PB = {
    "in_progress": pb.CALL_OUTCOME_IN_PROGRESS,
    "completed": pb.CALL_OUTCOME_COMPLETED,
    "abandoned": pb.CALL_OUTCOME_ABANDONED,
    "timed_out": pb.CALL_OUTCOME_TIMED_OUT,
    "redirected": pb.CALL_OUTCOME_REDIRECTED,
    "not_connected": pb.CALL_OUTCOME_NOT_CONNECTED,
}
DIRECTION_TO_PB = {"inbound": pb.CALL_RECORD_DIRECTION_INBOUND, "outbound": pb.CALL_RECORD_DIRECTION_OUTBOUND}
DIRECTION_FROM_PB = {v: k for k, v in DIRECTION_TO_PB.items()}
OUTCOME_FROM_PB = {v: k for k, v in OUTCOME_TO_PB.items()}
CADENCE_TO_PB = {
    "met": pb.CADENCE_STATUS_MET,
    "pending": pb.CADENCE_STATUS_PENDING,
    "broken": pb.CADENCE_STATUS_BROKEN,
}
LEAD_FILTER_FROM_PB = {
    pb.LEAD_FILTER_UNSPECIFIED: "all",
    pb.LEAD_FILTER_NOT_CALLED: "not_called",
    pb.LEAD_FILTER_IMPROPER_REFUSAL: "improper_refusal",
    pb.LEAD_FILTER_CADENCE_BROKEN: "cadence_broken",
}
SERIES_BUCKET_FROM_PB = {
    pb.SERIES_BUCKET_QUARTER_HOUR: "quarter_hour",
    pb.SERIES_BUCKET_HALF_HOUR: "half_hour",
    pb.SERIES_BUCKET_HOUR: "hour",
    pb.SERIES_BUCKET_DAY: "day",
    pb.SERIES_BUCKET_WEEK: "week",
    pb.SERIES_BUCKET_MONTH: "month",
}
CONVERSATION_GROUPING_FROM_PB = {
    pb.CONVERSATION_GROUPING_CHANNEL: "channel",
    pb.CONVERSATION_GROUPING_TOPIC: "topic",
    pb.CONVERSATION_GROUPING_AGENT: "agent",
    pb.CONVERSATION_GROUPING_QUEUE: "queue",
}
MAX_PAGE = 500
MAX_NAMES = 1_000  # agents or queues one figures request may name


_domain_errors = domain_errors("the stats store")


def period_spec(p: pb.Period) -> PeriodSpec:
    span = p.WhichOneof("span")
    if span == "day":
        return PeriodSpec(time_zone=p.time_zone, day=p.day)
    if span == "hour":
        return PeriodSpec(time_zone=p.time_zone, hour_ms=time_bounds.timestamp_ms(p.hour, "period.hour"))
    if span == "range":
        ends = (
            time_bounds.timestamp_ms(p.range.start, "period.range.start"),
            time_bounds.timestamp_ms(p.range.end, "period.range.end"),
        )
        return PeriodSpec(time_zone=p.time_zone, range_ms=ends)
    return PeriodSpec(time_zone=p.time_zone)


def range_pb(r: Range) -> pb.TimeRange:
    return pb.TimeRange(start=timestamp_ms(r.start_ms), end=timestamp_ms(r.end_ms))


def counts_pb(counts: dict[str, int]) -> pb.AgentCounts:
    return pb.AgentCounts(**{k: counts.get(k, 0) for k in pb.AgentCounts.DESCRIPTOR.fields_by_name})


def agent_pb(a: AgentNow, now_ms: int) -> pb.BoardAgent:
    return pb.BoardAgent(
        agent_id=a.agent_id,
        state=agent_state_enum(a.state),
        state_since=timestamp_ms(a.since_ms) if a.since_ms else None,
        time_in_state=duration_ms(max(now_ms - a.since_ms, 0)) if a.since_ms else None,
        call_id=a.call_id,
        pause_reason=a.pause_reason,
        queues=list(a.queues),
    )


def queue_pb(q: QueueNow, now_ms: int) -> pb.BoardQueue:
    return pb.BoardQueue(
        queue=q.queue,
        agents=counts_pb(q.agents),
        waiting=q.waiting,
        ringing=q.ringing,
        in_progress=q.in_progress,
        longest_wait=duration_ms(max(now_ms - q.oldest_waiting_ms, 0) if q.oldest_waiting_ms else 0),
        overdue=q.overdue,
    )


def agent_stats_pb(a: AgentFigures) -> pb.AgentStats:
    return pb.AgentStats(
        agent_id=a.agent_id,
        offered=a.offered,
        answered=a.answered,
        missed=a.missed,
        rejected=a.rejected,
        busy=a.busy,
        caller_hung_up=a.caller_hung_up,
        handled=a.handled,
        talk_time=duration_ms(a.talk_ms),
        average_talk_time=duration_ms(a.average_talk_ms),
        wrap_up_time=duration_ms(a.wrap_ms),
        pause_time=duration_ms(a.state_ms.get("paused", 0)),
        available_time=duration_ms(a.state_ms.get("available", 0)),
        logged_in_time=duration_ms(a.logged_in_ms),
        occupancy=a.occupancy,
        successful_touches=a.successful_touches,
        score=a.score,
        ring_time=duration_ms(a.ring_ms),
        pause_time_by_reason={reason: duration_ms(ms) for reason, ms in a.pause_ms_by_reason.items()},
    )


def queue_stats_pb(q: QueueFigures) -> pb.QueueStats:
    return pb.QueueStats(
        queue=q.queue,
        offered=q.offered,
        answered=q.answered,
        abandoned=q.abandoned,
        short_abandoned=q.short_abandoned,
        timed_out=q.timed_out,
        overflowed=q.overflowed,
        answered_within_threshold=q.answered_within,
        service_level_percent=q.service_level_percent,
        average_speed_of_answer=duration_ms(q.average_speed_of_answer_ms),
        average_handle_time=duration_ms(q.average_handle_ms),
        abandonment_rate_percent=q.abandonment_rate_percent,
        handled=q.handled,
        talk_time=duration_ms(q.talk_ms),
        wrap_up_time=duration_ms(q.wrap_ms),
        service_level_met=q.service_level_met,
    )


def queued_invoice_pb(i: QueuedInvoice) -> pb.InvoiceQueueEntry:
    return pb.InvoiceQueueEntry(
        invoice_id=i.invoice_id,
        lead_id=i.lead_id,
        agent_id=i.agent_id,
        queue=i.queue,
        product=i.product,
        amount_minor=i.amount_minor,
        currency=i.currency,
        issued_at=timestamp_ms(i.issued_ms),
        client_number=i.client_number,
        call_attempts=i.call_attempts,
        last_call_result=i.last_call_result,
        last_called_at=timestamp_ms(i.last_called_ms) if i.last_called_ms is not None else None,
        calling=i.calling,
        last_call_id=i.last_call_id,
    )


def outbound_stats_pb(o: OutboundFigures) -> pb.OutboundStats:
    return pb.OutboundStats(
        id=o.id,
        calls=o.calls,
        declined=o.declined,
        preview_timeouts=o.preview_timeouts,
        dialed=o.dialed,
        connected=o.connected,
        not_connected=o.not_connected,
        not_connected_by_reason=o.not_connected_by_reason,
        handled=o.handled,
        conversations=o.conversations,
        talk_time=duration_ms(o.talk_ms),
        wrap_up_time=duration_ms(o.wrap_ms),
        contact_rate_percent=o.contact_rate_percent,
        conversions=o.conversions,
        conversion_rate_percent=o.conversion_rate_percent,
        contacts_by_result=o.contacts_by_result,
    )


def call_record_pb(c: CallRecord) -> pb.CallRecord:
    return pb.CallRecord(
        call_id=c.call_id,
        caller=c.caller,
        queue=c.queue,
        final_queue=c.final_queue,
        received_at=timestamp_ms(c.received_ms) if c.received_ms is not None else None,
        answered_at=timestamp_ms(c.answered_ms) if c.answered_ms is not None else None,
        ended_at=timestamp_ms(c.ended_ms) if c.ended_ms is not None else None,
        outcome=OUTCOME_TO_PB.get(c.outcome, pb.CALL_OUTCOME_UNSPECIFIED),
        agent_id=c.agent_id,
        offers=[
            pb.OfferRecord(attempt=o.attempt, agent_id=o.agent_id, outcome=o.outcome, ring_time=duration_ms(o.ring_ms))
            for o in c.offers
        ],
        wait=duration_ms(c.wait_ms),
        ring_time=duration_ms(c.ring_ms),
        talk_time=duration_ms(c.talk_ms),
        wrap_up_time=duration_ms(c.wrap_ms),
        recording_ids=c.recording_ids,
        lead_id=c.lead_id,
        direction=DIRECTION_TO_PB[c.direction],
        campaign_id=c.campaign_id,
        callback_id=c.callback_id,
        not_connected_reason=c.not_connected_reason,
    )


def timeline_pb(t: Timeline) -> pb.GetAgentTimelineResponse:
    return pb.GetAgentTimelineResponse(
        agent_id=t.agent_id,
        range=range_pb(t.range),
        segments=[
            pb.AgentStateSegment(
                state=agent_state_enum(s.state),
                reason=s.reason,
                start=timestamp_ms(s.start_ms),
                end=timestamp_ms(s.end_ms),
                duration=duration_ms(s.duration_ms),
                call_id=s.call_id,
                ongoing=s.ongoing,
            )
            for s in t.segments
        ],
        trimmed=t.trimmed,
    )


def lead_pb(lead: LeadFigures) -> pb.Lead:
    return pb.Lead(
        lead_id=lead.lead_id,
        stage=lead.stage,
        agent_id=lead.agent_id,
        created_at=timestamp_ms(lead.created_ms) if lead.created_ms else None,
        attempts_today=lead.attempts_today,
        attempts_total=lead.attempts_total,
        conversations=lead.conversations,
        successful_touches=lead.successful_touches,
        cadence=CADENCE_TO_PB[lead.cadence],
        cadence_attempts=lead.cadence_attempts,
        improper_refusal=lead.improper_refusal,
        refused_by=lead.refused_by,
        refused_at=timestamp_ms(lead.refused_ms) if lead.refused_ms else None,
        client_number=lead.client_number,
    )


def _occurred(ts) -> int | None:
    """A lead report's time: unset (zero) means now."""
    return time_bounds.optional_timestamp_ms(ts, "occurred_at")


LEAD_CHANGE_KIND_TO_PB = {
    "created": pb.LEAD_CHANGE_KIND_CREATED,
    "assigned": pb.LEAD_CHANGE_KIND_ASSIGNED,
    "stage": pb.LEAD_CHANGE_KIND_STAGE,
}
FUNNEL_GROUPING_FROM_PB = {
    pb.LEAD_FUNNEL_GROUPING_UNSPECIFIED: "none",
    pb.LEAD_FUNNEL_GROUPING_AGENT: "agent",
    pb.LEAD_FUNNEL_GROUPING_TEAM: "team",
}


def lead_change_pb(c: LeadChange) -> pb.LeadStageChange:
    return pb.LeadStageChange(
        kind=LEAD_CHANGE_KIND_TO_PB.get(c.kind, pb.LEAD_CHANGE_KIND_UNSPECIFIED),
        from_stage=c.from_stage,
        to_stage=c.to_stage,
        time=timestamp_ms(c.time_ms),
        agent_id=c.agent_id,
        actor=c.actor,
        actor_via=c.actor_via,
        event_id=c.event_id,
    )


def funnel_pb(f: Funnel) -> pb.LeadFunnel:
    return pb.LeadFunnel(
        agent_id=f.agent_id,
        queue=f.queue,
        stages=[
            pb.LeadFunnelStage(
                stage=s.stage, entered=s.entered, next_stage=s.next_stage, conversion_percent=s.conversion_percent
            )
            for s in f.stages
        ],
    )


def _names(names, field: str) -> list[str]:
    """The agents or queues a figures request names, each once, in order (none: all)."""
    unique = list(dict.fromkeys(names))
    if len(unique) > MAX_NAMES:
        raise InvalidArgument(field, f"at most {MAX_NAMES} names, got {len(unique)}")
    return unique


def _talk_ms(request: pb.ListCallRecordsRequest, field: str) -> int | None:
    return time_bounds.duration_ms(getattr(request, field), field) if request.HasField(field) else None


def _campaign_filter(campaign_id: str) -> str:
    return ids.check_name(campaign_id, "campaign_id") if campaign_id else ""


def call_filter(request: pb.ListCallRecordsRequest) -> CallFilter:
    received = None
    if request.HasField("received"):
        # An unset start is the beginning of time, an unset end no end.
        start = time_bounds.optional_timestamp_ms(request.received.start, "received.start") or 0
        end = time_bounds.optional_timestamp_ms(request.received.end, "received.end")
        if end is not None and end <= start:
            raise InvalidArgument("received", "end must be after start")
        received = Range(start, end if end is not None else 2**62)
    if request.outcome and request.outcome not in OUTCOME_FROM_PB:
        raise InvalidArgument("outcome", f"unknown value {request.outcome}")
    if request.direction and request.direction not in DIRECTION_FROM_PB:
        raise InvalidArgument("direction", f"unknown value {request.direction}")
    return CallFilter(
        received=received,
        agent_id=request.agent_id,
        queue=request.queue,
        caller=request.caller,
        outcome=OUTCOME_FROM_PB.get(request.outcome, ""),
        missed_only=request.missed_only,
        min_talk_ms=_talk_ms(request, "min_talk_time"),
        max_talk_ms=_talk_ms(request, "max_talk_time"),
        caller_contains=_search_text(request.caller_contains, "caller_contains", digits=True),
        call_id_contains=_search_text(request.call_id_contains, "call_id_contains"),
        direction=DIRECTION_FROM_PB.get(request.direction, ""),
        campaign_id=_campaign_filter(request.campaign_id),
    )


MAX_SEARCH = 64  # characters of a caller or call id fragment


def _search_text(text: str, field: str, digits: bool = False) -> str:
    if len(text) > MAX_SEARCH:
        raise InvalidArgument(field, f"at most {MAX_SEARCH} characters")
    if digits and text and not (text.isascii() and text.isdigit()):
        raise InvalidArgument(field, "digits only (0-9)")
    if not digits and any(not ch.isascii() or not ch.isprintable() or ch == " " for ch in text):
        raise InvalidArgument(field, "printable ASCII characters without spaces")
    return text


def commission_rule_pb(r: CommissionRule) -> pb.CommissionRule:
    return pb.CommissionRule(product=r.product, queue=r.queue, percent_bp=r.percent_bp, fixed_minor=r.fixed_minor)


def pay_rule_pb(r: PayRule) -> pb.PayRule:
    return pb.PayRule(**vars(r))


def payroll_row_pb(r: PayrollRow) -> pb.PayrollRow:
    return pb.PayrollRow(**vars(r))


def payroll_total_pb(t: PayrollTotal) -> pb.PayrollTotal:
    return pb.PayrollTotal(currency=t.currency, **t.sums)


def conversation_counts_pb(c: ConversationCounts) -> pb.ConversationCounts:
    return pb.ConversationCounts(
        new=c.new, taken=c.taken, unanswered=c.unanswered, answered=c.answered, overdue=c.overdue, open=c.open
    )


def conversation_queue_pb(q: BoardQueue) -> pb.ConversationBoardQueue:
    return pb.ConversationBoardQueue(
        queue=q.queue, operators_online=q.operators_online, conversations=conversation_counts_pb(q.conversations)
    )


def conversation_agent_pb(a: BoardAgent) -> pb.ConversationBoardAgent:
    return pb.ConversationBoardAgent(
        agent_id=a.agent.agent_id,
        online=a.online,
        state=a.agent.state,
        queues=list(a.queues),
        conversations=conversation_counts_pb(a.conversations),
    )


class StatsServicer(stats_pb2_grpc.StatsServiceServicer):
    def __init__(self, stats: Stats, board_watch: BoardWatchHub) -> None:
        self.stats = stats
        self.board_watch = board_watch  # the process's one reader for every WatchBoard stream

    @_domain_errors
    async def GetBoard(self, request, context):
        board = await self.stats.board(time_bounds.duration_ms(request.overdue_after, "overdue_after"))
        now = board.now_ms
        return pb.GetBoardResponse(
            generated_at=timestamp_ms(now),
            agents_total=counts_pb(board.totals),
            agents=[agent_pb(a, now) for a in board.agents],
            queues=[queue_pb(q, now) for q in board.queues],
            overdue=[
                pb.OverdueCall(
                    call_id=c.call_id,
                    queue=c.queue,
                    caller=c.caller,
                    state=states_pb2.CALL_STATE_WAITING if c.state == "waiting" else states_pb2.CALL_STATE_RINGING,
                    received_at=timestamp_ms(c.received_ms),
                    waited=duration_ms(now - c.received_ms),
                    agent_id=c.agent_id,
                )
                for c in board.overdue
            ],
            overdue_after=duration_ms(board.overdue_after_ms),
        )

    @_domain_errors
    async def WatchBoard(self, request, context):
        """Deprecated (see the proto). Every stream is fed by the process's one hub
        (board_watch.py): no Redis connection nor read of its own, at most
        CALLCENTER_STATS_MAX_WATCHERS of them (RESOURCE_EXHAUSTED beyond, or when one falls
        too far behind)."""
        async with self.board_watch.watch(frozenset(request.queues)) as watcher:
            # Sent once the watch is live: a client awaiting initial_metadata() knows that
            # every event applied from then on reaches it.
            await context.send_initial_metadata(())
            async for change in watcher.updates():
                if change.reply is None:  # converted once, for every watcher it reaches
                    now = self.stats.clock.now_ms()
                    change.reply = pb.WatchBoardResponse(
                        event=change.event,
                        agent=agent_pb(change.agent, now) if change.agent else None,
                        queue=queue_pb(change.queue, now) if change.queue else None,
                    )
                yield change.reply

    @_domain_errors
    async def GetAgentStats(self, request, context):
        r, agents = await self.stats.agent_figures(period_spec(request.period), _names(request.agent_ids, "agent_ids"))
        return pb.GetAgentStatsResponse(
            agents=[agent_stats_pb(a) for a in agents],
            range=range_pb(r),
            successful_touch_threshold=duration_ms(self.stats.figures.successful_touch_s * 1000),
        )

    @_domain_errors
    async def GetQueueStats(self, request, context):
        threshold_ms = time_bounds.duration_ms(request.service_level_threshold, "service_level_threshold")
        if threshold_ms % 1000 or request.service_level_threshold.nanos:
            raise InvalidArgument("service_level_threshold", "whole seconds expected")
        r, threshold_s, queues = await self.stats.queue_figures(
            period_spec(request.period), _names(request.queues, "queues"), threshold_ms // 1000
        )
        f = self.stats.figures
        return pb.GetQueueStatsResponse(
            queues=[queue_stats_pb(q) for q in queues],
            range=range_pb(r),
            service_level_threshold=duration_ms(threshold_s * 1000),
            service_level_target_percent=f.service_level_target_percent,
            short_abandon_threshold=duration_ms(f.short_abandon_s * 1000),
        )

    @_domain_errors
    async def GetOutboundStats(self, request, context):
        threshold_ms = time_bounds.duration_ms(request.conversation_threshold, "conversation_threshold")
        if threshold_ms % 1000 or request.conversation_threshold.nanos:
            raise InvalidArgument("conversation_threshold", "whole seconds expected")
        r, threshold_s, queues, campaigns, agents = await self.stats.outbound_figures(
            period_spec(request.period),
            _names(request.queues, "queues"),
            [ids.check_name(c, "campaign_ids") for c in _names(request.campaign_ids, "campaign_ids")],
            _names(request.agent_ids, "agent_ids"),
            threshold_ms // 1000,
        )
        return pb.GetOutboundStatsResponse(
            queues=[outbound_stats_pb(o) for o in queues],
            campaigns=[outbound_stats_pb(o) for o in campaigns],
            agents=[outbound_stats_pb(o) for o in agents],
            range=range_pb(r),
            conversation_threshold=duration_ms(threshold_s * 1000),
        )

    @_domain_errors
    async def GetAgentTimeline(self, request, context):
        return timeline_pb(await self.stats.agent_timeline(request.agent_id, request.day, request.time_zone))

    @_domain_errors
    async def GetQueueSeries(self, request, context):
        threshold_ms = time_bounds.duration_ms(request.service_level_threshold, "service_level_threshold")
        if threshold_ms % 1000 or request.service_level_threshold.nanos:
            raise InvalidArgument("service_level_threshold", "whole seconds expected")
        spec = period_spec(request.period)  # its times checked first, whatever else is wrong
        bucket = SERIES_BUCKET_FROM_PB.get(request.bucket)
        if bucket is None:
            raise InvalidArgument("bucket", "required: quarter hour, half hour, hour, day, week or month")
        r, threshold_s, ranges, queues = await self.stats.queue_series(
            spec, bucket, _names(request.queues, "queues"), threshold_ms // 1000
        )
        f = self.stats.figures
        return pb.GetQueueSeriesResponse(
            queues=[
                pb.QueueSeries(
                    queue=points[0].queue if points else "",
                    points=[
                        pb.QueueSeriesPoint(range=range_pb(b), stats=queue_stats_pb(q))
                        for b, q in zip(ranges, points, strict=True)
                    ],
                )
                for points in queues
            ],
            range=range_pb(r),
            service_level_threshold=duration_ms(threshold_s * 1000),
            service_level_target_percent=f.service_level_target_percent,
            short_abandon_threshold=duration_ms(f.short_abandon_s * 1000),
        )

    @_domain_errors
    async def ListCallRecords(self, request, context):
        if not 0 <= request.page_size <= MAX_PAGE:
            raise InvalidArgument("page_size", f"0 to {MAX_PAGE} expected")
        records, token = await self.stats.call_records(
            call_filter(request), request.page_size or 50, request.page_token
        )
        return pb.ListCallRecordsResponse(records=[call_record_pb(c) for c in records], next_page_token=token)

    @_domain_errors
    async def GetCallRecord(self, request, context):
        return pb.GetCallRecordResponse(record=call_record_pb(await self.stats.call_record(request.call_id)))

    @_domain_errors
    async def CreateLead(self, request, context):
        event_id = await self.stats.lead_created(
            request.lead_id, request.agent_id, request.stage, _occurred(request.occurred_at), request.client_number
        )
        return pb.CreateLeadResponse(event_id=event_id)

    @_domain_errors
    async def AssignLead(self, request, context):
        event_id = await self.stats.lead_assigned(request.lead_id, request.agent_id, _occurred(request.occurred_at))
        return pb.AssignLeadResponse(event_id=event_id)

    @_domain_errors
    async def ChangeLeadStage(self, request, context):
        event_id = await self.stats.lead_stage_changed(
            request.lead_id, request.stage, request.agent_id, _occurred(request.occurred_at)
        )
        return pb.ChangeLeadStageResponse(event_id=event_id)

    @_domain_errors
    async def GetLead(self, request, context):
        if not request.lead_id:
            raise InvalidArgument("lead_id", "required")
        return pb.GetLeadResponse(lead=lead_pb(await self.stats.lead(request.lead_id, period_spec(request.period))))

    @_domain_errors
    async def GetLeadHistory(self, request, context):
        if not request.lead_id:
            raise InvalidArgument("lead_id", "required")
        h = await self.stats.lead_history(request.lead_id)
        return pb.GetLeadHistoryResponse(
            lead_id=h.lead_id, history=[lead_change_pb(c) for c in h.changes], trimmed=h.trimmed
        )

    @_domain_errors
    async def GetLeadFunnel(self, request, context):
        group_by = FUNNEL_GROUPING_FROM_PB.get(request.group_by)
        if group_by is None:
            raise InvalidArgument("group_by", "unknown value")
        r, groups, total = await self.stats.lead_funnel(
            period_spec(request.period), group_by, list(request.agent_ids), list(request.queues)
        )
        groups_pb = [funnel_pb(g) for g in groups]
        return pb.GetLeadFunnelResponse(groups=groups_pb, total=funnel_pb(total), range=range_pb(r))

    @_domain_errors
    async def ListActions(self, request, context):
        if not request.HasField("range"):
            raise InvalidArgument("range", "required: the period of the actions")
        start = time_bounds.timestamp_ms(request.range.start, "range.start")
        end = time_bounds.timestamp_ms(request.range.end, "range.end")
        if not 0 <= request.page_size <= MAX_PAGE:
            raise InvalidArgument("page_size", f"0 to {MAX_PAGE} expected")
        actions, token = await self.stats.actions(
            start, end, request.actor, request.page_size or 50, request.page_token
        )
        return pb.ListActionsResponse(actions=actions, next_page_token=token)

    @_domain_errors
    async def ListLeads(self, request, context):
        which = LEAD_FILTER_FROM_PB.get(request.filter)
        if which is None:
            raise InvalidArgument("filter", "unknown value")
        leads = await self.stats.leads(which, period_spec(request.period), request.agent_id, request.client_number)
        return pb.ListLeadsResponse(leads=[lead_pb(lead) for lead in leads])

    @_domain_errors
    async def ReportInvoice(self, request, context):
        event_id, duplicate = await self.stats.report_invoice(
            Invoice(
                invoice_id=request.invoice_id,
                lead_id=request.lead_id,
                agent_id=request.agent_id,
                product=request.product,
                queue=request.queue,
                amount_minor=request.amount_minor,
                currency=request.currency,
                issued_ms=time_bounds.optional_timestamp_ms(request.issued_at, "issued_at"),
                actor=request.actor,
            )
        )
        return pb.ReportInvoiceResponse(event_id=event_id, duplicate=duplicate)

    @_domain_errors
    async def ListInvoiceQueue(self, request, context):
        invoices, token, total = await self.stats.invoice_queue(
            request.agent_id,
            request.queue,
            request.uncalled_only,
            request.page_size,
            request.page_token,
            request.invoice_id,
        )
        return pb.ListInvoiceQueueResponse(
            invoices=[queued_invoice_pb(i) for i in invoices], next_page_token=token, total=total
        )

    @_domain_errors
    async def ReportPayment(self, request, context):
        outcome = await self.stats.report_payment(
            Payment(
                payment_id=request.payment_id,
                invoice_id=request.invoice_id,
                amount_minor=request.amount_minor,
                paid_ms=time_bounds.optional_timestamp_ms(request.paid_at, "paid_at"),
                actor=request.actor,
            )
        )
        return pb.ReportPaymentResponse(**vars(outcome))

    @_domain_errors
    async def SetCommissionRules(self, request, context):
        rules = [
            CommissionRule(product=r.product, queue=r.queue, percent_bp=r.percent_bp, fixed_minor=r.fixed_minor)
            for r in request.rules
        ]
        rules = await self.stats.set_commission_rules(rules, request.actor)
        return pb.SetCommissionRulesResponse(rules=[commission_rule_pb(r) for r in rules])

    @_domain_errors
    async def GetCommissionRules(self, request, context):
        rules = await self.stats.get_commission_rules()
        return pb.GetCommissionRulesResponse(rules=[commission_rule_pb(r) for r in rules])

    @_domain_errors
    async def SetPayRules(self, request, context):
        rules = [
            PayRule(
                team_id=r.team_id,
                currency=r.currency,
                bonus_per_answered_call_minor=r.bonus_per_answered_call_minor,
                penalty_per_missed_offer_minor=r.penalty_per_missed_offer_minor,
                bonus_per_fulfilled_deal_minor=r.bonus_per_fulfilled_deal_minor,
            )
            for r in request.rules
        ]
        rules = await self.stats.set_pay_rules(rules, request.actor)
        return pb.SetPayRulesResponse(rules=[pay_rule_pb(r) for r in rules])

    @_domain_errors
    async def GetPayRules(self, request, context):
        return pb.GetPayRulesResponse(rules=[pay_rule_pb(r) for r in await self.stats.get_pay_rules()])

    @_domain_errors
    async def GetPayroll(self, request, context):
        r, rows, totals = await self.stats.payroll(period_spec(request.period), _names(request.agent_ids, "agent_ids"))
        return pb.GetPayrollResponse(
            rows=[payroll_row_pb(row) for row in rows],
            totals=[payroll_total_pb(t) for t in totals],
            range=range_pb(r),
        )

    @_domain_errors
    async def GetConversationBoard(self, request, context):
        f = board_filter(request.channel, request.topic, request.queues, request.agent_ids)
        board = await self.stats.conversation_board(f)
        return pb.GetConversationBoardResponse(
            generated_at=timestamp_ms(board.now_ms),
            total=conversation_counts_pb(board.total),
            operators_online=board.operators_online,
            queues=[conversation_queue_pb(q) for q in board.queues],
            agents=[conversation_agent_pb(a) for a in board.agents],
        )

    @_domain_errors
    async def GetConversationStats(self, request, context):
        spec = period_spec(request.period)  # its times checked first, whatever else is wrong
        r, rows, total = await self.stats.conversation_figures(
            spec,
            CONVERSATION_GROUPING_FROM_PB.get(request.group_by, ""),
            request.channel,
            request.topic,
            list(request.agent_ids),
        )
        return pb.GetConversationStatsResponse(
            rows=[row.to_pb() for row in rows], total=total.to_pb(), range=range_pb(r)
        )
