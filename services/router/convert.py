"""Domain objects <-> router.v1 protobuf messages. The only place that knows both."""

from __future__ import annotations

import dataclasses

from callcenter.api.router.v1 import campaigns_pb2, conversations_pb2, router_pb2, segments_pb2
from callcenter.core import agent_settings, queue_settings, time_bounds
from callcenter.core.event_stream import agent_state_enum, call_state_enum, duration_ms, timestamp_ms
from callcenter.services.router.calling_hours import CallingHours
from callcenter.services.router.campaigns import (
    CAMPAIGN_STATES,
    CONTACT_STATES,
    Campaign,
    Contact,
    RetryRules,
)
from callcenter.services.router.conversations import AUTHORS as MESSAGE_AUTHORS
from callcenter.services.router.conversations import STATES as CONVERSATION_STATES
from callcenter.services.router.conversations import Conversation, Message
from callcenter.services.router.do_not_call import Entry
from callcenter.services.router.model import (
    AgentProfile,
    AgentStatus,
    Callback,
    CallView,
    Client,
    InvalidArgument,
    PauseReason,
    PbxMessage,
    PbxSession,
    QueueConfig,
    QueueCounts,
    Team,
)
from callcenter.services.router.segments import Condition, Segment

_STAGE_TO_PB = {
    "manager": router_pb2.ROUTING_STAGE_PERSONAL_MANAGER,
    "vip": router_pb2.ROUTING_STAGE_VIP,
    "skilled": router_pb2.ROUTING_STAGE_SKILLED,
    "anyone": router_pb2.ROUTING_STAGE_ANYONE,
}
OUTCOME_FROM_PB = {
    router_pb2.OFFER_OUTCOME_ANSWERED: "answered",
    router_pb2.OFFER_OUTCOME_NO_ANSWER: "no_answer",
    router_pb2.OFFER_OUTCOME_REJECTED: "rejected",
    router_pb2.OFFER_OUTCOME_BUSY: "busy",
}
RING_TIMER_FROM_PB = {
    router_pb2.RING_TIMER_UNSPECIFIED: "router",
    router_pb2.RING_TIMER_ROUTER: "router",
    router_pb2.RING_TIMER_PBX: "pbx",
}
_RING_TIMER_TO_PB = {"router": router_pb2.RING_TIMER_ROUTER, "pbx": router_pb2.RING_TIMER_PBX}
_PBX_KIND_TO_PB = {
    "offered": router_pb2.PBX_CALL_EVENT_KIND_OFFERED,
    "offer_cancelled": router_pb2.PBX_CALL_EVENT_KIND_OFFER_CANCELLED,
    "queued": router_pb2.PBX_CALL_EVENT_KIND_QUEUED,
    "position_changed": router_pb2.PBX_CALL_EVENT_KIND_POSITION_CHANGED,
    "connected": router_pb2.PBX_CALL_EVENT_KIND_CONNECTED,
    "ended": router_pb2.PBX_CALL_EVENT_KIND_ENDED,
    "originate": router_pb2.PBX_CALL_EVENT_KIND_ORIGINATE,
}


def queue_settings_from_pb(q: router_pb2.Queue) -> dict:
    """Keyword arguments of Router.upsert_queue from a Queue message (the settings it sets)."""
    try:
        return queue_settings.from_pb(q)
    except queue_settings.SettingError as exc:
        raise InvalidArgument(f"queue.{exc.field}", exc.problem) from exc


def queue_to_pb(q: QueueConfig, counts: QueueCounts | None = None) -> router_pb2.Queue:
    msg = queue_settings.to_pb(q, router_pb2.Queue())
    if counts is not None:
        msg.counts.waiting = counts.waiting
        msg.counts.available_agents = counts.available_agents
        if counts.oldest_waiting_since_ms is not None:
            msg.counts.oldest_waiting_since.CopyFrom(timestamp_ms(counts.oldest_waiting_since_ms))
    return msg


def profile_from_pb(a: router_pb2.Agent) -> AgentProfile:
    """The profile as sent (Router.upsert_agent validates it)."""
    return AgentProfile(**agent_settings.from_pb(a))


def status_to_pb(s: AgentStatus) -> router_pb2.AgentStatus:
    msg = router_pb2.AgentStatus(
        agent_id=s.agent_id,
        state=agent_state_enum(s.state),
        pause_reason=s.pause_reason,
        call_id=s.call_id,
        queues=list(s.queues),
        calls_answered=s.calls_answered,
        pending_pause_reason=s.pending_pause_reason,
        pending_pause_by=s.pending_pause_by,
    )
    if s.since_ms is not None:
        msg.state_since.CopyFrom(timestamp_ms(s.since_ms))
    if s.wrap_up_ends_ms is not None:
        msg.wrap_up_ends_at.CopyFrom(timestamp_ms(s.wrap_up_ends_ms))
    return msg


def pause_reason_to_pb(r: PauseReason) -> router_pb2.PauseReason:
    return router_pb2.PauseReason(code=r.code, label=r.label, automatic=r.automatic)


def pause_reason_from_pb(r: router_pb2.PauseReason) -> PauseReason:
    return PauseReason(code=r.code, label=r.label)  # `automatic` is the router's to say


def agent_to_pb(profile: AgentProfile, status: AgentStatus) -> router_pb2.Agent:
    return agent_settings.to_pb(dataclasses.asdict(profile), router_pb2.Agent(status=status_to_pb(status)))


def call_to_pb(c: CallView) -> router_pb2.Call:
    msg = router_pb2.Call(
        call_id=c.call_id,
        caller=c.caller,
        queue=c.queue,
        state=call_state_enum(c.state),
        queue_position=c.queue_position,
        agent_id=c.agent_id,
        attributes=c.attributes,
        version=c.version,
        offers=c.offers,
        received_at=timestamp_ms(c.received_ms),
        priority=c.priority,
        personal_manager_id=c.personal_manager_id,
        stage=_STAGE_TO_PB.get(c.stage, router_pb2.ROUTING_STAGE_UNSPECIFIED),
        redirect_to=c.redirect_to,
        pbx_id=c.pbx_id,
        end_reason=c.end_reason,
        direction=_DIRECTION_TO_PB[c.direction],
        outbound_mode=_MODE_TO_PB.get(c.outbound_mode, router_pb2.OUTBOUND_MODE_UNSPECIFIED),
        campaign_id=c.campaign_id,
        callback_id=c.callback_id,
        deal_id=c.deal_id,
    )
    if c.estimated_wait_ms is not None:
        msg.estimated_wait.CopyFrom(duration_ms(c.estimated_wait_ms))
    if c.offer is not None:
        msg.offer.CopyFrom(
            router_pb2.Offer(
                offer_id=c.offer.offer_id,
                agent_id=c.offer.agent_id,
                endpoint=c.offer.endpoint,
                ring_timeout=duration_ms(c.offer.ring_timeout_ms),
                expires_at=timestamp_ms(c.offer.expires_at_ms),
                attempt=c.offer.attempt,
            )
        )
    if c.answered_ms is not None:
        msg.answered_at.CopyFrom(timestamp_ms(c.answered_ms))
    if c.ended_ms is not None:
        msg.ended_at.CopyFrom(timestamp_ms(c.ended_ms))
    return msg


_DIRECTION_TO_PB = {"inbound": router_pb2.CALL_DIRECTION_INBOUND, "outbound": router_pb2.CALL_DIRECTION_OUTBOUND}
_MODE_TO_PB = {"preview": router_pb2.OUTBOUND_MODE_PREVIEW, "progressive": router_pb2.OUTBOUND_MODE_PROGRESSIVE}
#: OutboundMode and DialOutcome values as the domain names them (unknown numbers: absent).
MODE_FROM_PB = {router_pb2.OUTBOUND_MODE_UNSPECIFIED: "preview", **{v: k for k, v in _MODE_TO_PB.items()}}
DIAL_OUTCOME_FROM_PB = {
    router_pb2.DIAL_OUTCOME_ANSWERED: "answered",
    router_pb2.DIAL_OUTCOME_NO_ANSWER: "no_answer",
    router_pb2.DIAL_OUTCOME_BUSY: "busy",
    router_pb2.DIAL_OUTCOME_FAILED: "failed",
    router_pb2.DIAL_OUTCOME_AGENT_NO_ANSWER: "agent_no_answer",
}
_CALLBACK_STATE_TO_PB = {
    name: router_pb2.CallbackState.Value(f"CALLBACK_STATE_{name.upper()}")
    for name in ("scheduled", "calling", "done", "cancelled", "failed")
}


def callback_to_pb(cb: Callback) -> router_pb2.Callback:
    return router_pb2.Callback(
        callback_id=cb.callback_id,
        number=cb.number,
        queue=cb.queue,
        due_at=timestamp_ms(cb.due_ms),
        agent_id=cb.agent_id,
        deal_id=cb.deal_id,
        note=cb.note,
        state=_CALLBACK_STATE_TO_PB[cb.state],
        origin=cb.origin,
        attempts=cb.attempts,
        call_id=cb.call_id,
        ended_reason=cb.ended_reason,
        created_by=cb.created_by,
    )


def client_from_pb(c: router_pb2.Client) -> Client:
    return Client(
        number=c.number,
        name=c.name,
        priority=c.priority,
        manager_id=c.manager_id,
        time_zone=c.time_zone,
        attributes=dict(c.attributes),
    )


def client_to_pb(c: Client) -> router_pb2.Client:
    return router_pb2.Client(
        number=c.number,
        name=c.name,
        priority=c.priority,
        manager_id=c.manager_id,
        time_zone=c.time_zone,
        attributes=c.attributes,
    )


def team_from_pb(t: router_pb2.Team) -> Team:
    return Team(
        team_id=t.team_id,
        name=t.name,
        member_agent_ids=tuple(t.member_agent_ids),
        supervisor_usernames=tuple(t.supervisor_usernames),
    )


def team_to_pb(t: Team) -> router_pb2.Team:
    return router_pb2.Team(
        team_id=t.team_id,
        name=t.name,
        member_agent_ids=list(t.member_agent_ids),
        supervisor_usernames=list(t.supervisor_usernames),
    )


def pbx_opened_to_pb(session: PbxSession, ring_grace_ms: int) -> router_pb2.PbxSessionResponse:
    return router_pb2.PbxSessionResponse(
        opened=router_pb2.PbxSessionOpened(
            pbx_id=session.pbx_id,
            sequence=session.sequence,
            lease=duration_ms(session.lease_ms),
            lease_expires_at=timestamp_ms(session.lease_until_ms),
            ring_timer=_RING_TIMER_TO_PB[session.ring_timer],
            ring_grace=duration_ms(ring_grace_ms if session.ring_timer == "pbx" else 0),
            open_calls=min(session.open_calls, 2**31 - 1),
        )
    )


def pbx_messages_to_pb(batch: list[PbxMessage]) -> router_pb2.PbxSessionResponse:
    return router_pb2.PbxSessionResponse(
        events=router_pb2.PbxCallEvents(
            events=[
                router_pb2.PbxCallEvent(
                    sequence=m.sequence,
                    kind=_PBX_KIND_TO_PB.get(m.kind, router_pb2.PBX_CALL_EVENT_KIND_UNSPECIFIED),
                    call=call_to_pb(m.call),
                    offer_id=m.offer_id,
                    reason=m.reason,
                    time=timestamp_ms(m.time_ms),
                )
                for m in batch
            ]
        )
    )


# Campaigns (campaigns.proto) -------------------------------------------------------------

_CAMPAIGN_STATE_TO_PB = {s: campaigns_pb2.CampaignState.Value(f"CAMPAIGN_STATE_{s.upper()}") for s in CAMPAIGN_STATES}
_CONTACT_STATE_TO_PB = {s: campaigns_pb2.ContactState.Value(f"CONTACT_STATE_{s.upper()}") for s in CONTACT_STATES}
#: ContactState values as the domain names them ('' = any state); unknown numbers: absent.
CONTACT_STATE_FROM_PB = {0: "", **{v: k for k, v in _CONTACT_STATE_TO_PB.items()}}
_SOURCE_FROM_PB = {
    campaigns_pb2.CAMPAIGN_SOURCE_UNSPECIFIED: "contacts",
    campaigns_pb2.CAMPAIGN_SOURCE_CONTACTS: "contacts",
    campaigns_pb2.CAMPAIGN_SOURCE_NEW_LEADS: "new_leads",
}
_SOURCE_TO_PB = {
    "contacts": campaigns_pb2.CAMPAIGN_SOURCE_CONTACTS,
    "new_leads": campaigns_pb2.CAMPAIGN_SOURCE_NEW_LEADS,
}


def _enum(table: dict, value: int, field: str, enum_name: str):
    if value not in table:
        raise InvalidArgument(field, f"{value} is not a {enum_name} value")
    return table[value]


def campaign_from_pb(c: campaigns_pb2.Campaign) -> Campaign:
    if c.state not in campaigns_pb2.CampaignState.values():
        raise InvalidArgument("campaign.state", f"{c.state} is not a CampaignState value")
    retry_defaults = RetryRules()

    def ms_or(d, name: str, default: int) -> int:
        value = time_bounds.duration_ms(d, f"campaign.retry.{name}", whole_ms=True)
        return value or default

    return Campaign(
        campaign_id=c.campaign_id,
        name=c.name,
        queue=c.queue,
        segment_id=c.segment_id,
        source=_enum(_SOURCE_FROM_PB, c.source, "campaign.source", "CampaignSource"),
        script=c.script,
        mode=_enum(MODE_FROM_PB, c.mode, "campaign.mode", "OutboundMode"),
        hours=CallingHours(
            days=tuple(c.calling_hours.days),
            start_minute=c.calling_hours.start_minute,
            end_minute=c.calling_hours.end_minute or 1440,
            time_zone=c.calling_hours.time_zone,
        ),
        retry=RetryRules(
            no_answer_ms=ms_or(c.retry.no_answer, "no_answer", retry_defaults.no_answer_ms),
            busy_ms=ms_or(c.retry.busy, "busy", retry_defaults.busy_ms),
            failed_ms=ms_or(c.retry.failed, "failed", retry_defaults.failed_ms),
            max_attempts=c.retry.max_attempts or retry_defaults.max_attempts,
            spread_ms=time_bounds.duration_ms(c.retry.spread, "campaign.retry.spread", whole_ms=True),
            call_reached_again=c.retry.call_reached_again,
        ),
        max_concurrent=c.max_concurrent,
    )


def campaign_to_pb(c: Campaign) -> campaigns_pb2.Campaign:
    p = c.progress
    return campaigns_pb2.Campaign(
        campaign_id=c.campaign_id,
        name=c.name,
        queue=c.queue,
        segment_id=c.segment_id,
        source=_SOURCE_TO_PB[c.source],
        script=c.script,
        mode=_MODE_TO_PB[c.mode],
        calling_hours=campaigns_pb2.CallingHours(
            days=list(c.hours.days),
            start_minute=c.hours.start_minute,
            end_minute=c.hours.end_minute,
            time_zone=c.hours.time_zone,
        ),
        retry=campaigns_pb2.RetryRules(
            no_answer=duration_ms(c.retry.no_answer_ms),
            busy=duration_ms(c.retry.busy_ms),
            failed=duration_ms(c.retry.failed_ms),
            max_attempts=c.retry.max_attempts,
            spread=duration_ms(c.retry.spread_ms),
            call_reached_again=c.retry.call_reached_again,
        ),
        max_concurrent=c.max_concurrent,
        state=_CAMPAIGN_STATE_TO_PB[c.state],
        progress=campaigns_pb2.CampaignProgress(
            contacts=p.contacts,
            pending=p.pending,
            calling=p.calling,
            reached=p.reached,
            exhausted=p.exhausted,
            skipped=p.skipped,
            attempts=p.attempts,
            connected=p.connected,
            not_connected=p.not_connected,
        ),
        created_at=timestamp_ms(c.created_ms),
    )


def contact_to_pb(c: Contact) -> campaigns_pb2.CampaignContact:
    msg = campaigns_pb2.CampaignContact(
        number=c.number,
        deal_id=c.deal_id,
        state=_CONTACT_STATE_TO_PB[c.state],
        attempts=c.attempts,
        last_outcome=c.last_outcome,
    )
    if c.next_attempt_ms is not None:
        msg.next_attempt_at.CopyFrom(timestamp_ms(c.next_attempt_ms))
    return msg


def segment_from_pb(s: segments_pb2.Segment) -> Segment:
    return Segment(
        segment_id=s.segment_id,
        name=s.name,
        conditions=tuple(Condition(c.attribute, tuple(c.values)) for c in s.conditions),
    )


def segment_to_pb(s: Segment) -> segments_pb2.Segment:
    return segments_pb2.Segment(
        segment_id=s.segment_id,
        name=s.name,
        conditions=[segments_pb2.SegmentCondition(attribute=c.attribute, values=c.values) for c in s.conditions],
        members=s.members,
        created_at=timestamp_ms(s.created_ms),
        updated_at=timestamp_ms(s.updated_ms),
    )


def do_not_call_to_pb(e: Entry) -> segments_pb2.DoNotCallEntry:
    return segments_pb2.DoNotCallEntry(number=e.number, added_at=timestamp_ms(e.added_ms))


# Conversations ------------------------------------------------------------------------------

_CONVERSATION_STATE_TO_PB = {
    name: conversations_pb2.ConversationState.Value(f"CONVERSATION_STATE_{name.upper()}")
    for name in CONVERSATION_STATES
}
CONVERSATION_STATE_FROM_PB = {number: name for name, number in _CONVERSATION_STATE_TO_PB.items()}
_AUTHOR_TO_PB = {
    name: conversations_pb2.MessageAuthor.Value(f"MESSAGE_AUTHOR_{name.upper()}") for name in MESSAGE_AUTHORS
}


def conversation_state_from_pb(number: int) -> str:
    """'' for UNSPECIFIED; INVALID_ARGUMENT naming state for a number the enum lacks."""
    if number == 0:
        return ""
    if number not in CONVERSATION_STATE_FROM_PB:
        raise InvalidArgument("state", f"{number} is not a ConversationState value")
    return CONVERSATION_STATE_FROM_PB[number]


def message_to_pb(m: Message) -> conversations_pb2.ConversationMessage:
    return conversations_pb2.ConversationMessage(
        message_id=m.message_id,
        author=_AUTHOR_TO_PB.get(m.author, 0),
        agent_id=m.agent_id,
        text=m.text,
        sent_at=timestamp_ms(m.sent_ms),
        actor=m.actor,
    )


def conversation_to_pb(c: Conversation) -> conversations_pb2.Conversation:
    out = conversations_pb2.Conversation(
        conversation_id=c.conversation_id,
        channel=c.channel,
        topic=c.topic,
        queue=c.queue,
        client_number=c.client_number,
        state=_CONVERSATION_STATE_TO_PB.get(c.state, 0),
        agent_id=c.agent_id,
        overdue=c.overdue,
        created_at=timestamp_ms(c.created_ms),
        message_count=c.message_count,
        stage=_STAGE_TO_PB.get(c.stage, router_pb2.ROUTING_STAGE_UNSPECIFIED),
        messages=[message_to_pb(m) for m in c.messages],
        close_reason=c.close_reason,
    )
    if c.due_ms is not None:
        out.reply_due_at.CopyFrom(timestamp_ms(c.due_ms))
    if c.assigned_ms is not None:
        out.assigned_at.CopyFrom(timestamp_ms(c.assigned_ms))
    if c.closed_ms is not None:
        out.closed_at.CopyFrom(timestamp_ms(c.closed_ms))
    if c.last_customer_message_ms is not None:
        out.last_customer_message_at.CopyFrom(timestamp_ms(c.last_customer_message_ms))
    if c.first_replied_ms is not None:
        out.first_replied_at.CopyFrom(timestamp_ms(c.first_replied_ms))
    return out
