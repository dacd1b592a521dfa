"""The conversations' board and figures (issue 21) over real router RPCs: a router replica
assigns chats and messages (PostCustomerMessage, ReplyToConversation, CloseConversation,
LoginAgent), its durable timers mark them overdue, a stats consumer applies the stream on the
same Redis, and GetConversationBoard / GetConversationStats answer over real gRPC.

Durations are the router's (Redis time): each expectation is computed from the events the
router wrote, so it is exact however long a step took."""

from __future__ import annotations

import asyncio
import random

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.event_stream import stream_key
from callcenter.services.stats.config import Figures
from callcenter.services.stats.conversation_board import BoardFilter, ConversationCounts
from callcenter.services.stats.conversation_stats import FiguresFilter
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import Range
from callcenter.services.stats.stats import Stats
from tests.helpers import next_event, read_events
from tests.pbx_session_client import ms
from tests.stats_fixtures import utc_ms

E = events_pb2.EventType
TODAY = Range(utc_ms("2026-03-02 00:00"), utc_ms("2026-03-03 00:00"))  # the scripted events' day
#: Who each client's personal manager is: a client's conversation goes to them first.
MANAGERS = {"+4930100": "anna", "+4930200": "boris", "+4930300": "carl"}


class Centre:
    """The router's ConversationService and RouterService, the stats service, and a consumer
    the test drains so that what it asks stats next has been applied."""

    def __init__(self, router, conv, stats, consumer, redis, tenant) -> None:
        self.router, self.conv, self.stats, self.consumer = router, conv, stats, consumer
        self.redis, self.tenant = redis, tenant

    async def post(self, conversation_id, message_id, queue="chat", channel="webchat", topic="", client=""):
        request = cpb.PostCustomerMessageRequest(
            conversation_id=conversation_id, message_id=message_id, text="hello", queue=queue, channel=channel,
            topic=topic, client_number=client,
        )  # fmt: skip
        return (await self.conv.PostCustomerMessage(request)).conversation

    async def reply(self, conversation_id, agent_id, message_id):
        request = cpb.ReplyToConversationRequest(
            conversation_id=conversation_id, agent_id=agent_id, message_id=message_id, text="on it"
        )
        return (await self.conv.ReplyToConversation(request)).conversation

    async def close(self, conversation_id):
        await self.conv.CloseConversation(cpb.CloseConversationRequest(conversation_id=conversation_id))

    async def transfer(self, conversation_id, agent_id=""):
        request = cpb.TransferConversationRequest(conversation_id=conversation_id, agent_id=agent_id)
        return (await self.conv.TransferConversation(request)).conversation

    async def supervise(self, conversation_id, message_id, note=False):
        request = cpb.PostSupervisorMessageRequest(
            conversation_id=conversation_id, message_id=message_id, text="a supervisor's word", note=note
        )
        return (await self.conv.PostSupervisorMessage(request)).conversation

    async def routers_view(self) -> tuple[dict[str, spb.ConversationCounts], dict[str, spb.ConversationCounts]]:
        """The router's own open conversations counted as the board counts them: (queue ->
        counts, agent -> counts of what they hold); the board must show exactly these."""
        states = {cpb.CONVERSATION_STATE_NEW: "new", cpb.CONVERSATION_STATE_TAKEN: "taken"}
        states |= {cpb.CONVERSATION_STATE_UNANSWERED: "unanswered", cpb.CONVERSATION_STATE_ANSWERED: "answered"}
        queues: dict[str, dict[str, int]] = {}
        agents: dict[str, dict[str, int]] = {}
        listed = await self.conv.ListConversations(cpb.ListConversationsRequest(page_size=500))
        for c in listed.conversations:
            for tally in [queues.setdefault(c.queue, {})] + ([agents.setdefault(c.agent_id, {})] if c.agent_id else []):
                tally[states[c.state]] = tally.get(states[c.state], 0) + 1
                tally["overdue"] = tally.get("overdue", 0) + int(c.overdue)
        return {q: counts(**t) for q, t in queues.items()}, {a: counts(**t) for a, t in agents.items()}

    async def board(self, **filters) -> spb.GetConversationBoardResponse:
        await self.consumer.drain()
        return await self.stats.GetConversationBoard(spb.GetConversationBoardRequest(**filters))

    async def figures(self, group_by, **filters) -> dict[str, spb.ConversationStats]:
        await self.consumer.drain()
        reply = await self.stats.GetConversationStats(spb.GetConversationStatsRequest(group_by=group_by, **filters))
        return {row.key: row for row in reply.rows} | {"*total*": reply.total}

    async def overdue(self, conversation_id: str, after: str = "0-0") -> events_pb2.Event:
        def check(e):
            return e.type == E.EVENT_TYPE_CONVERSATION_OVERDUE and e.conversation_id == conversation_id

        return (await asyncio.wait_for(next_event(self.redis, self.tenant, check, after=after), 10))[1]


@pytest.fixture
async def centre(start_replica, start_stats, make_consumer, redis, tenant):
    """Queues chat (webchat, 2 each) and mail (email, 1 each, a 300 ms first response), agents
    anna and boris in chat, carl in mail, each the personal manager of one client."""
    replica = await start_replica()
    # its own group: the RPCs are answered from the keys, whichever consumer applied an event
    service = await start_stats(consumer_group="stats-rpc")
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as router_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as stats_channel,
    ):
        router = router_pb2_grpc.RouterServiceStub(router_channel)
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="chat", chat_capacity=2)))
        await router.UpsertQueue(
            pb.UpsertQueueRequest(queue=pb.Queue(name="mail", chat_capacity=1, first_response=ms(300)))
        )
        for agent_id, queue in (("anna", "chat"), ("boris", "chat"), ("carl", "mail")):
            agent = pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}@pbx", queues=[queue])
            await router.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
            await router.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id))
        for number, manager in MANAGERS.items():
            await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=number, manager_id=manager)))
        yield Centre(
            router,
            conversations_pb2_grpc.ConversationServiceStub(router_channel),
            stats_pb2_grpc.StatsServiceStub(stats_channel),
            make_consumer(),
            redis,
            tenant,
        )


async def scripted_scenario(c: Centre) -> None:
    """anna: c1 answered (billing), c2 unanswered (sales); boris: c3 taken (billing); carl: c4
    taken and overdue (email); c5 new in mail's line (carl is full), overdue."""
    assert (await c.post("c1", "c1-m1", topic="billing", client="+4930100")).agent_id == "anna"
    await c.reply("c1", "anna", "c1-a1")
    assert (await c.post("c2", "c2-m1", topic="sales", client="+4930100")).agent_id == "anna"
    await c.post("c2", "c2-m2", topic="sales")
    assert (await c.post("c3", "c3-m1", topic="billing", client="+4930200")).agent_id == "boris"
    assert (await c.post("c4", "c4-m1", queue="mail", channel="email", client="+4930300")).agent_id == "carl"
    assert (await c.post("c5", "c5-m1", queue="mail", channel="email")).agent_id == ""
    await c.overdue("c4")
    await c.overdue("c5")


def counts(new=0, taken=0, unanswered=0, answered=0, overdue=0) -> spb.ConversationCounts:
    return spb.ConversationCounts(
        new=new, taken=taken, unanswered=unanswered, answered=answered, overdue=overdue,
        open=new + taken + unanswered + answered,
    )  # fmt: skip


def by_queue(board) -> dict[str, tuple[int, spb.ConversationCounts]]:
    return {q.queue: (q.operators_online, q.conversations) for q in board.queues}


def by_agent(board) -> dict[str, spb.ConversationCounts]:
    return {a.agent_id: a.conversations for a in board.agents}


async def test_the_board_counts_per_queue_and_operator_match_a_scripted_scenario(centre):
    await scripted_scenario(centre)
    board = await centre.board()
    assert by_queue(board) == {
        "chat": (2, counts(taken=1, unanswered=1, answered=1)),
        "mail": (1, counts(new=1, taken=1, overdue=2)),
    }
    assert by_agent(board) == {
        "anna": counts(unanswered=1, answered=1),
        "boris": counts(taken=1),
        "carl": counts(taken=1, overdue=1),
    }
    assert board.total == counts(new=1, taken=2, unanswered=1, answered=1, overdue=2)
    assert board.operators_online == 3
    anna = next(a for a in board.agents if a.agent_id == "anna")
    assert (anna.online, anna.state, list(anna.queues)) == (True, "available", ["chat"])
    # a reply clears the overdue mark; the line's conversation stays overdue
    await centre.reply("c4", "carl", "c4-a1")
    assert by_queue(await centre.board())["mail"] == (1, counts(new=1, answered=1, overdue=1))


async def test_the_board_filters_by_channel_and_topic(centre):
    await scripted_scenario(centre)
    billing = await centre.board(topic="billing")
    assert by_queue(billing) == {"chat": (2, counts(taken=1, answered=1)), "mail": (1, counts())}
    assert by_agent(billing) == {"anna": counts(answered=1), "boris": counts(taken=1), "carl": counts()}
    email = await centre.board(channel="email")
    assert email.total == counts(new=1, taken=1, overdue=2)
    assert by_agent(email)["carl"] == counts(taken=1, overdue=1)
    assert by_agent(email)["anna"] == counts()  # online, holding nothing of the channel
    only_chat = await centre.board(queues=["chat"], channel="webchat")
    assert by_queue(only_chat) == {"chat": (2, counts(taken=1, unanswered=1, answered=1))}
    assert set(by_agent(only_chat)) == {"anna", "boris"}  # carl is not in chat and holds none of it


async def test_the_board_shows_the_load_of_a_chosen_set_of_operators(centre):
    await scripted_scenario(centre)
    board = await centre.board(agent_ids=["anna", "carl"])
    assert by_agent(board) == {"anna": counts(unanswered=1, answered=1), "carl": counts(taken=1, overdue=1)}
    # the line's conversation is nobody's: not in a load view of operators
    assert by_queue(board) == {"chat": (1, counts(unanswered=1, answered=1)), "mail": (1, counts(taken=1, overdue=1))}
    assert (board.operators_online, board.total) == (2, counts(taken=1, unanswered=1, answered=1, overdue=1))


async def test_a_closed_conversation_leaves_the_board(centre, redis, tenant):
    await scripted_scenario(centre)
    await centre.close("c1")
    await centre.close("c5")  # never taken
    board = await centre.board()
    assert by_agent(board)["anna"] == counts(unanswered=1)
    assert by_queue(board)["mail"] == (1, counts(taken=1, overdue=1))
    assert board.total == counts(taken=2, unanswered=1, overdue=1)
    keys = StatsKeys(tenant)
    assert sorted(await redis.zrange(keys.open_conversations, 0, -1)) == ["c2", "c3", "c4"]
    assert await redis.smembers(keys.open_conversations_by("agent", "anna")) == {"c2"}
    # a logged-out operator holding nothing leaves it too
    await centre.close("c3")
    await centre.router.LogoutAgent(pb.LogoutAgentRequest(agent_id="boris"))
    board = await centre.board()
    assert "boris" not in by_agent(board) and by_queue(board)["chat"][0] == 1


def _ms(d) -> int:
    return d.ToMilliseconds()


async def test_first_response_and_reply_times_per_channel(centre, redis, tenant):
    await scripted_scenario(centre)
    await centre.post("c1", "c1-m2", topic="billing")  # answered -> unanswered: a reply is due
    await centre.reply("c1", "anna", "c1-a2")
    await centre.reply("c1", "anna", "c1-a3")  # nothing waited for it: no reply counted
    await centre.reply("c4", "carl", "c4-a1")
    await centre.close("c1")
    rows = await centre.figures(spb.CONVERSATION_GROUPING_CHANNEL)

    events = [e for e in await read_events(redis, tenant) if e.conversation_id]
    t = {}
    for e in events:
        t.setdefault((e.conversation_id, E.Name(e.type).removeprefix("EVENT_TYPE_CONVERSATION_")), []).append(
            e.time.ToMilliseconds()
        )
    webchat, email = rows["webchat"], rows["email"]
    assert (webchat.created, webchat.closed, webchat.first_replies, webchat.replies) == (3, 1, 1, 1)
    assert _ms(webchat.average_first_response) == t["c1", "REPLIED"][0] - t["c1", "CREATED"][0]
    assert _ms(webchat.average_reply) == t["c1", "REPLIED"][1] - t["c1", "MESSAGE"][1]
    assert _ms(webchat.average_handle) == t["c1", "CLOSED"][0] - t["c1", "ASSIGNED"][0]
    assert (email.created, email.closed, email.first_replies, email.replies, email.overdue) == (2, 0, 1, 0, 2)
    assert _ms(email.average_first_response) == t["c4", "REPLIED"][0] - t["c4", "CREATED"][0]
    assert _ms(email.average_first_response) >= 300  # past its deadline
    total = rows["*total*"]
    assert (total.created, total.first_replies, total.replies, total.overdue) == (5, 2, 1, 2)
    assert total.overdue_percent == pytest.approx(100 * 2 / (2 + 1 + 2))
    # the sums behind the means, so rows add up exactly (the gateway's team rows)
    assert (webchat.handled, _ms(webchat.total_handle)) == (1, _ms(webchat.average_handle))
    assert _ms(total.total_first_response) == sum(_ms(r.total_first_response) for r in (webchat, email))
    assert _ms(total.average_first_response) == _ms(total.total_first_response) // total.first_replies
    assert _ms(total.total_reply) == _ms(webchat.average_reply)  # one reply


async def test_overdue_share_per_agent_and_per_queue(centre):
    await scripted_scenario(centre)
    await centre.reply("c1", "anna", "c1-a9")  # no customer message waited: counts nowhere
    await centre.reply("c2", "anna", "c2-a1")
    await centre.reply("c4", "carl", "c4-a1")
    agents = await centre.figures(spb.CONVERSATION_GROUPING_AGENT, agent_ids=["anna", "carl"])
    assert set(agents) == {"anna", "carl", "*total*"}
    anna, carl = agents["anna"], agents["carl"]
    assert (anna.created, anna.first_replies, anna.overdue, anna.overdue_percent) == (2, 2, 0, 0.0)
    assert (carl.created, carl.first_replies, carl.overdue, carl.overdue_percent) == (1, 1, 1, 50.0)
    everyone = await centre.figures(spb.CONVERSATION_GROUPING_AGENT)
    # c5 was created and went overdue with no agent: the row of nobody
    assert (everyone[""].created, everyone[""].overdue, everyone[""].overdue_percent) == (1, 1, 100.0)
    teams = await centre.figures(spb.CONVERSATION_GROUPING_QUEUE)
    assert (teams["mail"].overdue, teams["mail"].first_replies, teams["mail"].overdue_percent) == (2, 1, 200 / 3)
    assert (teams["chat"].created, teams["chat"].overdue_percent) == (3, 0.0)
    topics = await centre.figures(spb.CONVERSATION_GROUPING_TOPIC, channel="webchat")
    assert {k: r.created for k, r in topics.items()} == {"billing": 2, "sales": 1, "*total*": 3}


@pytest.fixture
async def stats_stub_of_its_own(quiet_stats):
    """A stats service that applies nothing itself (the test's own consumer does: a service
    consuming too could apply the events first, leaving the test's consumer duplicates)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        yield stats_pb2_grpc.StatsServiceStub(channel)


async def test_an_event_that_cannot_be_applied_is_skipped_and_counted(
    make_consumer, stats_stub_of_its_own, redis, tenant
):
    stats_stub = stats_stub_of_its_own
    stream = stream_key(tenant)
    await redis.xadd(stream, {"type": "CONVERSATION_CREATED", "time": "1", "channel": "webchat", "queue": "chat"})
    await redis.xadd(stream, {"type": "CONVERSATION_MESSAGE", "time": "2", "conversation_id": "x", "channel": "a|b"})
    await redis.xadd(stream, {"type": "CONVERSATION_CREATED", "time": "3", "conversation_id": "ok", "queue": "chat"})
    consumer = make_consumer(max_deliveries=1)
    await consumer.drain()
    dead = await redis.xrange(StatsKeys(tenant).dead_letters)
    assert [d[1]["error"].split(":")[0] for d in dead] == ["invalid event", "invalid event"]
    assert consumer.applied == 1 and (await redis.xpending(stream, "stats"))["pending"] == 0
    board = await stats_stub.GetConversationBoard(spb.GetConversationBoardRequest())
    assert board.total == counts(new=1)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (spb.GetConversationBoardRequest(queues=[f"q{i}" for i in range(201)]), "queues"),
        (spb.GetConversationBoardRequest(agent_ids=[f"a{i}" for i in range(501)]), "agent_ids"),
        (spb.GetConversationBoardRequest(channel="a|b"), "channel"),
        (spb.GetConversationBoardRequest(topic=" "), "topic"),
        (spb.GetConversationStatsRequest(), "group_by"),
        (spb.GetConversationStatsRequest(group_by=99), "group_by"),
        (spb.GetConversationStatsRequest(group_by=1, agent_ids=["a,b"]), "agent_ids"),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_field(stats_stub, request_, field):
    call = (
        stats_stub.GetConversationBoard
        if isinstance(request_, spb.GetConversationBoardRequest)
        else stats_stub.GetConversationStats
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(request_)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in raised.value.details()


async def transfers_and_a_close(script) -> None:
    """As the router writes them (TRANSFERRED as its contract says): c1 with anna, unanswered
    and overdue; c2 overdue in the line, taken by boris, moved to anna; c3 closed; c4 taken
    by boris and back in the line when he logs out."""
    await script.login("anna", ["chat"])
    await script.login("boris", ["chat"])
    base = {"queue": "chat", "channel": "webchat"}

    async def ev(kind: str, conversation_id: str, **fields) -> None:
        script.advance(1)
        await script.emit(f"CONVERSATION_{kind}", conversation_id=conversation_id, **base, **fields)

    for cid in ("c1", "c2", "c3", "c4"):
        await ev("CREATED", cid, caller="+4930999")
        await ev("MESSAGE", cid, reason="new")
    await ev("ASSIGNED", "c1", agent_id="anna", reason="strategy")
    await ev("REPLIED", "c1", agent_id="anna", reason="agent")
    await ev("MESSAGE", "c1", agent_id="anna", reason="unanswered")
    await ev("OVERDUE", "c1", agent_id="anna", reason="reply")
    await ev("OVERDUE", "c2", reason="first_response")
    await ev("ASSIGNED", "c2", agent_id="boris", reason="strategy")
    await ev("NOTE", "c2", agent_id="boris", actor="sue")
    await ev("TRANSFERRED", "c2", agent_id="anna", other_agent_id="boris", reason="supervisor", actor="sue")
    await ev("ASSIGNED", "c3", agent_id="boris", reason="strategy")
    await ev("CLOSED", "c3", agent_id="boris")
    await ev("ASSIGNED", "c4", agent_id="boris", reason="strategy")
    await script.logout("boris")
    await ev("TRANSFERRED", "c4", other_agent_id="boris", reason="agent_logged_out")


async def test_a_transfer_moves_the_conversation_between_operators_or_back_to_the_line(script, make_consumer, stats):
    await transfers_and_a_close(script)
    await make_consumer().drain()
    board = await stats.conversation_board(BoardFilter())
    assert {a.agent.agent_id: (a.online, a.conversations) for a in board.agents} == {
        "anna": (True, ConversationCounts(taken=1, unanswered=1, overdue=2)),
    }
    (chat,) = board.queues
    assert (chat.operators_online, chat.conversations) == (
        1,
        ConversationCounts(new=1, taken=1, unanswered=1, overdue=2),
    )
    rows, _ = await stats.conversation_figure_reader.figures(TODAY, "agent", FiguresFilter())
    # created counts for whoever holds it now or held it last (c2 anna's, c4 still boris');
    # boris closed c3 a second after it was assigned
    assert {r.key: (r.created, r.closed, r.overdue) for r in rows} == {
        "anna": (2, 0, 1),
        "boris": (2, 1, 0),
        "": (0, 0, 1),
    }
    (boris,) = [r for r in rows if r.key == "boris"]
    assert boris.average_handle_ms == 1000


async def test_a_rule_relaxed_event_changes_nothing_on_the_board_or_in_the_figures(
    script, make_consumer, redis, tenant, stats_clock
):
    await transfers_and_a_close(script)
    await make_consumer().drain()
    expected = await Stats(redis, tenant, stats_clock, Figures()).conversation_board(BoardFilter())
    counted = await _counts(Stats(redis, tenant, stats_clock, Figures()))
    # the router writes one for a chat in the line (agent empty): held chats must stay held
    for cid in ("c1", "c2", "c4"):
        script.advance(1)
        await script.emit(
            "CONVERSATION_RULE_RELAXED", conversation_id=cid, queue="chat", channel="webchat", reason="skills_relaxed"
        )
    consumer = make_consumer(max_deliveries=1)
    await consumer.drain()
    assert consumer.applied == 3 and not await redis.xrange(StatsKeys(tenant).dead_letters)
    assert await Stats(redis, tenant, stats_clock, Figures()).conversation_board(BoardFilter()) == expected
    assert await _counts(Stats(redis, tenant, stats_clock, Figures())) == counted


async def test_the_events_of_a_conversation_applied_in_any_order_end_on_the_same_board(
    script, make_consumer, redis, tenant, stats_clock
):
    await transfers_and_a_close(script)
    await make_consumer().drain()
    expected = await Stats(redis, tenant, stats_clock, Figures()).conversation_board(BoardFilter())
    counted = await _counts(Stats(redis, tenant, stats_clock, Figures()))
    for replay in await replays_in_any_order(redis, tenant, make_consumer, stats_clock):
        assert await replay.conversation_board(BoardFilter()) == expected
        assert await _counts(replay) == counted


async def replays_in_any_order(redis, tenant, make_consumer, stats_clock, times=6) -> list[Stats]:
    """Stats over copies of the tenant's stream in other tenants, each applied shuffled (one
    consumer's reclaimed batches, in any order)."""
    entries = await redis.xrange(stream_key(tenant))
    shuffle = random.Random(21)
    replays = []
    for i in range(times):
        other = f"{tenant}-order{i}"
        for _, fields in entries:
            await redis.xadd(stream_key(other), fields)
        mixed = await redis.xrange(stream_key(other))
        shuffle.shuffle(mixed)
        await make_consumer(tenant=other).apply(mixed)
        replays.append(Stats(redis, other, stats_clock, Figures()))
    return replays


async def _counts(stats: Stats) -> dict[str, tuple[int, int, int, int]]:
    rows, _ = await stats.conversation_figure_reader.figures(TODAY, "agent", FiguresFilter())
    return {r.key: (r.created, r.closed, r.overdue, r.first_replies) for r in rows}


async def test_an_operator_holding_an_open_conversation_stays_on_the_board_when_logged_out(
    script, make_consumer, stats
):
    await script.login("anna", ["chat"])
    await script.emit("CONVERSATION_CREATED", conversation_id="c1", queue="chat", channel="webchat")
    await script.emit("CONVERSATION_ASSIGNED", conversation_id="c1", queue="chat", channel="webchat", agent_id="anna")
    await script.logout("anna")
    await make_consumer().drain()
    board = await stats.conversation_board(BoardFilter())
    (anna,) = board.agents
    assert (anna.online, anna.queues, anna.conversations) == (False, (), ConversationCounts(taken=1))
    assert [(q.queue, q.operators_online, q.conversations.open) for q in board.queues] == [("chat", 0, 1)]
    assert board.operators_online == 0


def held(board) -> tuple[dict[str, spb.ConversationCounts], dict[str, spb.ConversationCounts]]:
    """The board as (queue -> counts, agent -> counts), operators holding nothing left out."""
    empty = counts()
    return (
        {q: c for q, (_, c) in by_queue(board).items() if c != empty},
        {a: c for a, c in by_agent(board).items() if c != empty},
    )


async def test_a_supervisors_transfer_moves_the_chat_on_the_board_and_its_creation_to_the_new_agent(
    centre, redis, tenant
):
    assert (await centre.post("c1", "c1-m1", client="+4930100")).agent_id == "anna"
    await centre.reply("c1", "anna", "c1-a1")
    await centre.post("c1", "c1-m2")  # unanswered: anna's reply deadline is running

    moved = await centre.transfer("c1", "boris")
    assert (moved.agent_id, moved.state) == ("boris", cpb.CONVERSATION_STATE_UNANSWERED)
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_agent(board)["anna"] == counts() and by_agent(board)["boris"] == counts(unanswered=1)
    await centre.reply("c1", "boris", "c1-b1")
    await centre.close("c1")
    rows = await centre.figures(spb.CONVERSATION_GROUPING_AGENT)
    # created follows the chat to whoever held it last; each reply and the close stay with
    # who gave them; the handle time runs from anna's assignment to boris' close
    anna, boris = rows["anna"], rows["boris"]
    assert (anna.created, anna.first_replies, anna.replies, anna.closed) == (0, 1, 0, 0)
    assert (boris.created, boris.first_replies, boris.replies, boris.closed) == (1, 0, 1, 1)
    events = [e for e in await read_events(redis, tenant) if e.conversation_id == "c1"]
    [assigned] = [e for e in events if e.type == E.EVENT_TYPE_CONVERSATION_ASSIGNED]
    [closed] = [e for e in events if e.type == E.EVENT_TYPE_CONVERSATION_CLOSED]
    assert _ms(boris.average_handle) == closed.time.ToMilliseconds() - assigned.time.ToMilliseconds()


async def test_an_agent_logging_out_hands_their_chats_to_a_colleague_with_room_or_the_line_on_the_board(centre):
    assert (await centre.post("c1", "c1-m1", client="+4930100")).agent_id == "anna"
    await centre.reply("c1", "anna", "c1-a1")  # answered
    assert (await centre.post("c2", "c2-m1", client="+4930100")).agent_id == "anna"
    await centre.post("c2", "c2-m2")  # unanswered
    assert (await centre.post("c3", "c3-m1", client="+4930200")).agent_id == "boris"  # boris has room for one

    await centre.router.LogoutAgent(pb.LogoutAgentRequest(agent_id="anna"))
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert "anna" not in by_agent(board)  # logged out, holding nothing
    assert by_agent(board)["boris"] == counts(taken=1, answered=1)  # c1 as it was
    assert by_queue(board)["chat"] == (1, counts(new=1, taken=1, answered=1))  # c2 in the line
    assert board.operators_online == 2  # boris and carl

    # back in, anna takes c2 from the line as it was: the customer still waits for a reply
    await centre.router.LoginAgent(pb.LoginAgentRequest(agent_id="anna"))
    assert (await centre.conv.GetConversation(cpb.GetConversationRequest(conversation_id="c2"))).conversation.state == (
        cpb.CONVERSATION_STATE_UNANSWERED
    )
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_agent(board)["anna"] == counts(unanswered=1)


async def test_a_chat_back_in_the_line_keeps_its_state_on_the_board_for_whoever_takes_it(
    centre, make_consumer, redis, tenant, stats_clock
):
    await centre.router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="chat", chat_capacity=1)))
    assert (await centre.post("c1", "c1-m1", client="+4930100")).agent_id == "anna"
    assert (await centre.post("c2", "c2-m1", client="+4930200")).agent_id == "boris"
    await centre.reply("c1", "anna", "c1-a1")
    await centre.reply("c2", "boris", "c2-a1")
    await centre.post("c2", "c2-m2")  # unanswered

    assert (await centre.transfer("c2")).state == cpb.CONVERSATION_STATE_NEW  # anna has no room
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_queue(board)["chat"] == (2, counts(new=1, answered=1))
    await centre.supervise("c2", "s1")  # answered in the line: still new there
    await centre.post("c2", "c2-m3")  # the customer writes again: a reply is due from whoever takes it
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_queue(board)["chat"] == (2, counts(new=1, answered=1))

    await centre.close("c1")  # anna's room takes c2 from the line, the customer waiting
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_agent(board)["anna"] == counts(unanswered=1)
    await centre.reply("c2", "anna", "c2-a2")
    rows = await centre.figures(spb.CONVERSATION_GROUPING_AGENT)
    # boris gave c2's first reply, the supervisor answered it in the line (nobody's), anna the
    # customer's message written while it waited there
    assert {k: (r.first_replies, r.replies) for k, r in rows.items()} == {
        "anna": (1, 1), "boris": (1, 0), "": (0, 1), "*total*": (2, 2),
    }  # fmt: skip
    events = [e for e in await read_events(redis, tenant) if e.conversation_id == "c2"]
    waited = [e for e in events if e.type == E.EVENT_TYPE_CONVERSATION_MESSAGE][-1]
    answered = [e for e in events if e.type == E.EVENT_TYPE_CONVERSATION_REPLIED][-1]
    assert _ms(rows["anna"].average_reply) == answered.time.ToMilliseconds() - waited.time.ToMilliseconds()
    # the router's events applied in any order end on the same board
    expected = await Stats(redis, tenant, stats_clock, Figures()).conversation_board(BoardFilter())
    for replay in await replays_in_any_order(redis, tenant, make_consumer, stats_clock):
        assert await replay.conversation_board(BoardFilter()) == expected


async def test_a_supervisors_reply_is_the_first_reply_and_a_note_changes_nothing(centre):
    assert (await centre.post("c1", "c1-m1", client="+4930100")).agent_id == "anna"
    assert (await centre.post("c2", "c2-m1", queue="mail", channel="email")).agent_id == "carl"
    await centre.overdue("c2")  # mail's first response is due in 300 ms
    before = await centre.board()
    figures_before = await centre.figures(spb.CONVERSATION_GROUPING_AGENT)
    await centre.supervise("c2", "n1", note=True)
    after = await centre.board()
    after.generated_at.CopyFrom(before.generated_at)
    assert after == before
    assert await centre.figures(spb.CONVERSATION_GROUPING_AGENT) == figures_before

    await centre.supervise("c1", "s1")
    await centre.supervise("c2", "s2")
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_agent(board) == {"anna": counts(answered=1), "boris": counts(), "carl": counts(answered=1)}
    rows = await centre.figures(spb.CONVERSATION_GROUPING_AGENT)
    # the reply counts for the agent holding the chat, as theirs would
    assert {k: (r.first_replies, r.overdue) for k, r in rows.items()} == {
        "anna": (1, 0), "carl": (1, 1), "*total*": (2, 1),
    }  # fmt: skip


async def test_a_taken_chat_sent_back_to_the_line_is_taken_again_even_if_the_customer_wrote_there(centre):
    await centre.router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="chat", chat_capacity=1)))
    assert (await centre.post("c1", "c1-m1", client="+4930100")).agent_id == "anna"
    assert (await centre.post("c2", "c2-m1", client="+4930200")).agent_id == "boris"
    assert (await centre.transfer("c1")).state == cpb.CONVERSATION_STATE_NEW  # boris has no room
    await centre.post("c1", "c1-m2")  # still nobody's reply due but the first one
    assert held(await centre.board()) == await centre.routers_view()

    taken = await centre.transfer("c1", "anna")
    assert (taken.state, taken.message_count) == (cpb.CONVERSATION_STATE_TAKEN, 2)
    board = await centre.board()
    assert held(board) == await centre.routers_view()
    assert by_agent(board)["anna"] == counts(taken=1)


async def test_an_idle_close_counts_as_a_close_with_its_handle_time_and_leaves_the_board(centre, redis, tenant):
    queue = pb.Queue(name="chat", chat_capacity=2, idle_close=ms(300))
    await centre.router.UpsertQueue(pb.UpsertQueueRequest(queue=queue))
    assert (await centre.post("c1", "c1-m1", client="+4930100")).agent_id == "anna"
    await centre.reply("c1", "anna", "c1-a1")  # the customer never writes again

    def idle_closed(e):
        return e.type == E.EVENT_TYPE_CONVERSATION_CLOSED and e.conversation_id == "c1"

    _, closed = await asyncio.wait_for(next_event(redis, tenant, idle_closed), 10)
    assert (closed.reason, closed.actor) == ("idle", "")
    board = await centre.board()
    assert "c1" not in await redis.zrange(StatsKeys(tenant).open_conversations, 0, -1)
    assert by_agent(board)["anna"] == counts()
    anna = (await centre.figures(spb.CONVERSATION_GROUPING_AGENT))["anna"]
    [assigned] = [e for e in await read_events(redis, tenant) if e.type == E.EVENT_TYPE_CONVERSATION_ASSIGNED]
    assert (anna.closed, anna.handled) == (1, 1)
    assert _ms(anna.average_handle) == closed.time.ToMilliseconds() - assigned.time.ToMilliseconds() >= 300
