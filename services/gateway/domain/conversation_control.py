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
only the rows of their queues and agents."""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access, conversations
from .agents import get_agent, visible_agents
from .errors import Conflict

MAX_TEXT = 4000  # characters of a message (the router's rule: 1-4,000)
MAX_BOARD_QUEUES = 200  # GetConversationBoardRequest.queues
MAX_BOARD_AGENTS = 500  # GetConversationBoardRequest.agent_ids
GROUPINGS: dict[str, spb.ConversationGrouping] = {
    "channel": spb.CONVERSATION_GROUPING_CHANNEL,
    "topic": spb.CONVERSATION_GROUPING_TOPIC,
    "agent": spb.CONVERSATION_GROUPING_AGENT,
    "queue": spb.CONVERSATION_GROUPING_QUEUE,
    "team": spb.CONVERSATION_GROUPING_QUEUE,  # a team is a queue (S3.5)
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


def grouping(value: str) -> spb.ConversationGrouping:
    """?group_by= as the stats service's grouping (channel, topic, agent, queue or team)."""
    if value not in GROUPINGS:
        raise InvalidArgument("group_by", f"must be one of {', '.join(GROUPINGS)}")
    return GROUPINGS[value]


async def stats(
    user: User, backends: Backends, period: spb.Period, group_by: str, channel: str = "", topic: str = ""
) -> spb.GetConversationStatsResponse:
    """Conversation figures over a period grouped by channel, topic, agent or queue (team). A
    supervisor's figures by queue are their queues' rows (the total is of the rows shown),
    otherwise those of the conversations their agents held; admins see everything."""
    access.require_role(user, "supervisor", "admin")
    group = grouping(group_by)
    channel, topic = _check_filter(channel, "channel"), _check_filter(topic, "topic")
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


def _weighted(rows: list[spb.ConversationStats], mean: str, weight: str) -> int:
    """The mean (ms) of the rows' means weighted by their counts."""
    n = sum(getattr(r, weight) for r in rows)
    return sum(getattr(r, mean).ToMilliseconds() * getattr(r, weight) for r in rows) // n if n else 0


def stats_total(rows: list[spb.ConversationStats]) -> spb.ConversationStats:
    """The rows' figures added up: counts summed, means weighted by what they are over."""
    total = spb.ConversationStats()
    for name in ("created", "closed", "first_replies", "replies", "overdue"):
        setattr(total, name, sum(getattr(r, name) for r in rows))
    total.average_first_response.FromMilliseconds(_weighted(rows, "average_first_response", "first_replies"))
    total.average_reply.FromMilliseconds(_weighted(rows, "average_reply", "replies"))
    total.average_handle.FromMilliseconds(_weighted(rows, "average_handle", "closed"))
    waits = total.first_replies + total.replies + total.overdue
    total.overdue_percent = total.overdue / waits * 100 if waits else 0.0
    return total
