"""Supervisor control of conversations and their board (issue 21; S3.1, S3.4-S3.6).

A supervisor opens a conversation of one of their queues, gives it to another agent of theirs
(or takes it with their own user's agent, or sends it back to its queue's line), whispers a
note to its agent or replies to the customer in the agent's place (closing is
conversations.py's, for agents and supervisors alike). Each is one router RPC; the gateway's
channel relays the user as the actor of the router's event.

Who may do it: supervisors on conversations of their queues (user.teams), admins on every one,
agents never (PermissionDenied). A conversation the supervisor may not see (conversations.py's
rule, the one for every conversation route) is NotFound (its existence is not revealed), as is
a target agent the supervisor does not see.

The board and figures come from the stats service, limited the same way: a supervisor's board
shows their queues only (asking for another queue or agent is NotFound), and their figures
only the rows of their queues, router teams and agents. Figures per router team are composed
here from its members' agent rows (stats knows agents and queues, not teams)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import ids
from callcenter.core.conversation_figures import ConversationFigures
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access, conversations
from .agents import get_agent, visible_agents
from .errors import Conflict
from .periods import today
from .teams import list_teams

log = structlog.get_logger(__name__)

MAX_TEXT = 4000  # characters of a message (the router's rule: 1-4,000)
MAX_BOARD_QUEUES = 200  # GetConversationBoardRequest.queues
MAX_BOARD_AGENTS = 500  # GetConversationBoardRequest.agent_ids
GROUPINGS: dict[str, spb.ConversationGrouping] = {
    "channel": spb.CONVERSATION_GROUPING_CHANNEL,
    "topic": spb.CONVERSATION_GROUPING_TOPIC,
    "agent": spb.CONVERSATION_GROUPING_AGENT,
    "queue": spb.CONVERSATION_GROUPING_QUEUE,
    "team": spb.CONVERSATION_GROUPING_AGENT,  # a router team (S2.3): its members' agent rows
}


async def _conversation(user: User, backends: Backends, conversation_id: str) -> cpb.Conversation:
    """The conversation the user may control: supervisors and admins only (PermissionDenied
    for agents), as far as they see it (conversations.py's rule; NotFound otherwise)."""
    access.require_role(user, "supervisor", "admin")
    ids.check_name(conversation_id, "conversation_id")
    return await conversations.get(user, backends, conversation_id)


async def transfer(user: User, backends: Backends, conversation_id: str, agent_id: str) -> cpb.Conversation:
    """The conversation to another agent the user sees (logged in to its queue with room on
    its channel: the router refuses otherwise, naming why), or back to its queue's line when
    agent_id is empty."""
    if agent_id:
        ids.check_name(agent_id, "agent_id")
    await _conversation(user, backends, conversation_id)
    if agent_id and agent_id != user.agent_id:
        await get_agent(user, backends, agent_id)  # NotFound unless one of the user's teams'
    return await _transfer(backends, conversation_id, agent_id)


async def _transfer(backends: Backends, conversation_id: str, agent_id: str) -> cpb.Conversation:
    reply: cpb.TransferConversationResponse = await backends.conversations.TransferConversation(
        cpb.TransferConversationRequest(conversation_id=conversation_id, agent_id=agent_id), timeout=backends.timeout_s
    )
    return reply.conversation


async def take(user: User, backends: Backends, conversation_id: str) -> cpb.Conversation:
    """The supervisor takes the conversation themselves: transferred to their user's agent
    (a Conflict naming agent_id when their user has none)."""
    await _conversation(user, backends, conversation_id)
    if not user.agent_id:
        raise Conflict("agent_id", f"user {user.username} has no agent to take conversations with")
    return await _transfer(backends, conversation_id, user.agent_id)


def _check_message(message_id: str, text: str) -> None:
    ids.check_name(message_id, "message_id")
    if not text.strip():
        raise InvalidArgument("text", "must not be empty")
    if len(text) > MAX_TEXT:
        raise InvalidArgument("text", f"at most {MAX_TEXT} characters")


async def post_message(
    user: User, backends: Backends, conversation_id: str, message_id: str, text: str, *, note: bool
) -> cpb.Conversation:
    """A note whispered to the conversation's agent (the customer never sees it; its state is
    kept), or, note false, a reply to the customer in the agent's place (it counts as the
    agent's reply). Idempotent by message_id."""
    _check_message(message_id, text)
    await _conversation(user, backends, conversation_id)
    reply: cpb.PostSupervisorMessageResponse = await backends.conversations.PostSupervisorMessage(
        cpb.PostSupervisorMessageRequest(conversation_id=conversation_id, message_id=message_id, text=text, note=note),
        timeout=backends.timeout_s,
    )
    return reply.conversation


def _check_names(names: Iterable[str], field: str, most: int) -> list[str]:
    found = list(dict.fromkeys(names))
    if len(found) > most:
        raise InvalidArgument(field, f"at most {most}")
    for name in found:
        ids.check_name(name, field)
    return found


def _check_filter(value: str, field: str) -> str:
    return ids.check_name(value, field) if value else value


async def board(
    user: User,
    backends: Backends,
    channel: str = "",
    topic: str = "",
    queues: Iterable[str] = (),
    agent_ids: Iterable[str] = (),
) -> spb.GetConversationBoardResponse:
    """The conversations' board now: per queue (group) the operators online and the open
    conversations by state with the overdue ones, per operator the same; filtered by channel,
    topic, queues and a chosen set of operators (their load). A supervisor's board is of their
    queues (a queue or agent of another team asked for is NotFound); admins see every queue."""
    access.require_role(user, "supervisor", "admin")
    channel, topic = _check_filter(channel, "channel"), _check_filter(topic, "topic")
    wanted_queues = _check_names(queues, "queue", MAX_BOARD_QUEUES)
    wanted_agents = _check_names(agent_ids, "agent_id", MAX_BOARD_AGENTS)
    for queue in wanted_queues:
        if not access.sees_queue(user, queue):
            raise NotFound(f"queue {queue} does not exist")
    if wanted_agents and not access.sees_all(user):
        visible = {a.id for a in await visible_agents(user, backends)}
        for agent_id in wanted_agents:
            if agent_id not in visible:
                raise NotFound(f"agent {agent_id} does not exist")
    if not wanted_queues and not access.sees_all(user):
        wanted_queues = sorted(user.teams)
        if not wanted_queues:  # none to see: stats would answer for every queue
            return spb.GetConversationBoardResponse()
    request = spb.GetConversationBoardRequest(
        channel=channel, topic=topic, queues=wanted_queues, agent_ids=wanted_agents
    )
    reply: spb.GetConversationBoardResponse = await backends.stats.GetConversationBoard(
        request, timeout=backends.timeout_s
    )
    if not access.sees_all(user):
        _keep_visible_agents(user, reply)
    return reply


def _keep_visible_agents(user: User, reply: spb.GetConversationBoardResponse) -> None:
    """A supervisor's board names only operators of their queues (an agent of another team
    holding nothing of theirs is left out)."""
    teams = set(user.teams)
    kept = [a for a in reply.agents if a.agent_id in user.team_agents or set(a.queues) & teams or a.conversations.open]
    if len(kept) != len(reply.agents):
        del reply.agents[:]
        reply.agents.extend(kept)


def counts_json(counts: spb.ConversationCounts) -> dict[str, int]:
    """A tile's conversation counts (every one, zeros included): open, new (waiting in the
    line), taken, unanswered, answered, overdue."""
    return {name: getattr(counts, name) for name in ("open", "new", "taken", "unanswered", "answered", "overdue")}


@dataclass(frozen=True)
class QueueConversations:
    """What the tiles show of some queues' conversations: the open ones now, per queue, and
    the queues that had any today (figures of the day: created, closed, replies, ...)."""

    now: dict[str, spb.ConversationCounts]
    today: frozenset[str]

    def takes_conversations(self, queue: str) -> bool:
        """Whether a queue's tiles show conversations: it holds open ones now or had some
        today. Not its chat_capacity: the router gives every queue one (3 by default), so a
        calls-only site's dashboard and wallboards would show empty chat tiles everywhere."""
        counts = self.now.get(queue)
        return queue in self.today or bool(counts and counts.open)

    def counts(self, queue: str) -> spb.ConversationCounts:
        return self.now.get(queue) or spb.ConversationCounts()


async def queue_conversations(backends: Backends, queues: list[str], tz: str) -> QueueConversations | None:
    """The open conversations of these queues now (stats' board, at most MAX_BOARD_QUEUES a
    request) and which had some today in the time zone tz; None when stats does not answer
    (the tiles say so)."""
    now: dict[str, spb.ConversationCounts] = {}
    try:
        for start in range(0, len(queues), MAX_BOARD_QUEUES):
            reply: spb.GetConversationBoardResponse = await backends.stats.GetConversationBoard(
                spb.GetConversationBoardRequest(queues=queues[start : start + MAX_BOARD_QUEUES]),
                timeout=backends.timeout_s,
            )
            now.update((q.queue, q.conversations) for q in reply.queues)
        day: spb.GetConversationStatsResponse = await backends.stats.GetConversationStats(
            spb.GetConversationStatsRequest(
                period=spb.Period(time_zone=tz, day=today(tz)), group_by=spb.CONVERSATION_GROUPING_QUEUE
            ),
            timeout=backends.timeout_s,
        )
    except grpc.aio.AioRpcError as exc:
        log.warning("conversations.stats_unavailable", code=exc.code().name)
        return None
    wanted = set(queues)
    return QueueConversations(now, frozenset(r.key for r in day.rows if r.key in wanted))


async def dashboard_tile(user: User, backends: Backends, queues: list[str], tz: str) -> dict[str, Any] | None:
    """The dashboard's conversations tile of a supervisor's (admin's) queues: the counts over
    them, or None for agents and where none of the queues takes conversations
    (QueueConversations.takes_conversations); {"unavailable": true} when stats does not answer."""
    if user.role not in ("supervisor", "admin") or not queues:
        return None
    found = await queue_conversations(backends, queues, tz)
    if found is None:
        return {"unavailable": True}
    if not any(found.takes_conversations(q) for q in queues):
        return None
    total = counts_json(spb.ConversationCounts())
    for q in queues:  # a conversation is in one queue: the queues' counts add up
        for name, value in counts_json(found.counts(q)).items():
            total[name] += value
    return total


def grouping(value: str) -> spb.ConversationGrouping:
    """?group_by= as the stats service's grouping (channel, topic, agent or queue; team is
    composed here from the agent rows)."""
    if value not in GROUPINGS:
        raise InvalidArgument("group_by", f"must be one of {', '.join(GROUPINGS)}")
    return GROUPINGS[value]


async def stats(
    user: User, backends: Backends, period: spb.Period, group_by: str, channel: str = "", topic: str = ""
) -> spb.GetConversationStatsResponse:
    """Conversation figures over a period grouped by channel, topic, agent, queue or router
    team. A supervisor's figures by queue are their queues' rows (the total is of the rows
    shown), by team their teams' rows, otherwise those of the conversations their agents held;
    admins see everything."""
    access.require_role(user, "supervisor", "admin")
    group = grouping(group_by)
    channel, topic = _check_filter(channel, "channel"), _check_filter(topic, "topic")
    if group_by == "team":
        return await _team_stats(user, backends, period, channel, topic)
    request = spb.GetConversationStatsRequest(period=period, group_by=group, channel=channel, topic=topic)
    by_queue = group == spb.CONVERSATION_GROUPING_QUEUE
    if not access.sees_all(user) and not by_queue:  # by queue: their queues' rows, below
        agents = sorted(a.id for a in await visible_agents(user, backends))
        if not agents:  # none to see: stats would answer for every agent
            return spb.GetConversationStatsResponse()
        request.agent_ids.extend(agents)
    reply: spb.GetConversationStatsResponse = await backends.stats.GetConversationStats(
        request, timeout=backends.timeout_s
    )
    if by_queue and not access.sees_all(user):
        rows = [row for row in reply.rows if access.sees_queue(user, row.key)]
        if len(rows) != len(reply.rows):
            del reply.rows[:]
            reply.rows.extend(rows)
            reply.total.CopyFrom(stats_total(rows))
    return reply


async def _team_stats(
    user: User, backends: Backends, period: spb.Period, channel: str, topic: str
) -> spb.GetConversationStatsResponse:
    """One row per router team the user sees (admins: every team; a supervisor: theirs), keyed
    by team_id, adding up the agent rows of its members (counts and the sums the means are of,
    so each mean is exact); a team with no figures is a row of zeros. The total is over every
    member once (an agent in two teams is in both rows but once in the total). Conversations
    never assigned are nobody's, so in no team."""
    teams = await list_teams(user, backends)
    members = sorted({a for t in teams for a in t.member_agent_ids})
    agent_rows: dict[str, spb.ConversationStats] = {}
    totals: list[spb.ConversationStats] = []
    reply = spb.GetConversationStatsResponse()
    for start in range(0, len(members), MAX_BOARD_AGENTS):  # stats takes at most 500 agents a request
        part: spb.GetConversationStatsResponse = await backends.stats.GetConversationStats(
            spb.GetConversationStatsRequest(
                period=period,
                group_by=spb.CONVERSATION_GROUPING_AGENT,
                channel=channel,
                topic=topic,
                agent_ids=members[start : start + MAX_BOARD_AGENTS],
            ),
            timeout=backends.timeout_s,
        )
        agent_rows.update((row.key, row) for row in part.rows)
        totals.append(part.total)
        reply.range.CopyFrom(part.range)
    for team in sorted(teams, key=lambda t: t.team_id):
        row = stats_total([agent_rows[a] for a in team.member_agent_ids if a in agent_rows])
        row.key = team.team_id
        reply.rows.append(row)
    reply.total.CopyFrom(stats_total(totals))
    return reply


def stats_total(rows: list[spb.ConversationStats]) -> spb.ConversationStats:
    """The rows' figures added up exactly (ConversationFigures.total_of: the sums summed, each
    mean that sum over its count; rows of disjoint conversations: different queues, agents)."""
    return ConversationFigures.total_of(rows).to_pb()
