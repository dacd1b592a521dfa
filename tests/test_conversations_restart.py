"""A conversation's reply deadline outlives every process (issue 21): the router and the stats
service run as real child processes on one Redis; both are killed (SIGKILL) once a customer's
message has made a taken chat unanswered and stats shows it so; new processes of both start,
the deadline fires from Redis alone, and stats' board shows the chat overdue for its agent and
queue. Every wait ends on an event: the OVERDUE entry in the stream, then stats having applied
that very entry (its id in stats' applied set); the timeouts are safety nets."""

from __future__ import annotations

import asyncio

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.event_stream import stream_key
from callcenter.services.stats.keys import StatsKeys
from tests.helpers import next_event
from tests.pbx_session_client import ms, team
from tests.router_processes import SAFETY_S, RouterProcess, StatsProcess

E = events_pb2.EventType
S = cpb.ConversationState
POLL_S = 0.01  # how often stats' applied set is looked at (a poll interval, not a wait)


async def applied_by_stats(redis, tenant: str, entry_id: str) -> None:
    """Returns once the stats consumer group has applied the stream entry entry_id."""
    async with asyncio.timeout(SAFETY_S):
        while await redis.zscore(StatsKeys(tenant).applied, entry_id) is None:
            await asyncio.sleep(POLL_S)


def counts(board: spb.GetConversationBoardResponse) -> tuple[dict, dict]:
    """(queue -> its counts, agent -> theirs) as (unanswered, overdue, open) triples."""

    def of(c: spb.ConversationCounts) -> tuple[int, int, int]:
        return c.unanswered, c.overdue, c.open

    return {q.queue: of(q.conversations) for q in board.queues}, {a.agent_id: of(a.conversations) for a in board.agents}


async def test_an_unanswered_chat_turns_overdue_on_the_stats_board_after_router_and_stats_restart(
    tmp_path, redis, redis_url, tenant
):
    router = RouterProcess(tmp_path, "router-a", redis_url, tenant)
    stats = StatsProcess(tmp_path, "stats-a", redis_url, tenant)
    try:
        await router.start()
        await stats.start()
        async with router.channel() as channel, stats.channel() as stats_channel:
            conv = conversations_pb2_grpc.ConversationServiceStub(channel)
            await team(router.stub(channel), queue="chat", agents=("anna",), first_response=ms(60_000), reply=ms(3_000))
            first = cpb.PostCustomerMessageRequest(
                conversation_id="c1", message_id="m1", text="hello", channel="webchat", queue="chat"
            )
            assert (await conv.PostCustomerMessage(first)).conversation.agent_id == "anna"
            answer = cpb.ReplyToConversationRequest(conversation_id="c1", agent_id="anna", message_id="a1", text="hi")
            await conv.ReplyToConversation(answer)
            again = cpb.PostCustomerMessageRequest(
                conversation_id="c1", message_id="m2", text="hello again", channel="webchat", queue="chat"
            )
            unanswered = (await conv.PostCustomerMessage(again)).conversation
            assert (unanswered.state, unanswered.overdue) == (S.CONVERSATION_STATE_UNANSWERED, False)
            due_ms = unanswered.reply_due_at.ToMilliseconds()
            message_id, _ = await asyncio.wait_for(
                next_event(
                    redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_MESSAGE and e.reason == "unanswered"
                ),
                SAFETY_S,
            )
            await applied_by_stats(redis, tenant, message_id)
            board = await stats.stub(stats_channel).GetConversationBoard(spb.GetConversationBoardRequest())
            assert counts(board) == ({"chat": (1, 0, 1)}, {"anna": (1, 0, 1)})
    finally:
        router.kill()  # every process is gone: the deadline lives in Redis only
        stats.kill()
    assert not await redis.xrange(stream_key(tenant), min=f"({message_id}", count=1)  # nothing fired yet

    router = RouterProcess(tmp_path, "router-b", redis_url, tenant)
    stats = StatsProcess(tmp_path, "stats-b", redis_url, tenant)
    try:
        await router.start()
        await stats.start()
        overdue_id, overdue = await asyncio.wait_for(
            next_event(redis, tenant, lambda e: e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE, after=message_id),
            SAFETY_S,
        )
        assert (overdue.conversation_id, overdue.agent_id, overdue.queue, overdue.reason) == (
            "c1",
            "anna",
            "chat",
            "reply",
        )
        assert overdue.time.ToMilliseconds() >= due_ms
        await applied_by_stats(redis, tenant, overdue_id)
        async with stats.channel() as stats_channel:
            board = await stats.stub(stats_channel).GetConversationBoard(spb.GetConversationBoardRequest())
        assert counts(board) == ({"chat": (1, 1, 1)}, {"anna": (1, 1, 1)})
        assert (board.total.unanswered, board.total.overdue) == (1, 1)
    finally:
        router.kill()
        stats.kill()
