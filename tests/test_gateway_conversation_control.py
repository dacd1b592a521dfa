"""Supervisor control of conversations and their board through the gateway (issue 21; S3.1,
S3.4-S3.6), against a real router, stats service and gateway on real gRPC, HTTP and Redis:
a supervisor reassigns an overdue chat and the new agent's live stream shows it, whispers a
note that is no reply, replies in the agent's place, takes and closes a chat; each router event
names the supervisor as its actor. Another team's supervisor sees nothing of it, agents may not
use these routes, the board's counts per group and operator match the scripted scene, with the
filters by channel, topic, queue and a chosen set of operators; bad input is a 400 naming the
field."""

from __future__ import annotations

import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from tests.conversation_control_scenes import post, scene, stubs, users
from tests.gateway_fixtures import csrf
from tests.helpers import read_events
from tests.sse import next_data

E = events_pb2.EventType
COUNTS = ("new", "taken", "unanswered", "answered", "overdue", "open")


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def action(client, conversation_id: str, verb: str, body: dict | None = None):
    return await client.post(f"/api/v1/conversations/{conversation_id}/{verb}", json=body or {}, headers=csrf(client))


async def ok(reply) -> dict:
    assert reply.status == 200, await reply.text()
    return await reply.json()


def counts(entry: dict) -> tuple[int, ...]:
    """A board entry's conversation counts in COUNTS order (proto3 JSON leaves zeros out)."""
    found = entry.get("conversations", {})
    return tuple(int(found.get(name, 0)) for name in COUNTS)


async def board(client, stats, query: str = "") -> dict:
    await stats.consumer.drain()  # the board is of every event written so far
    return await ok(await client.get(f"/api/v1/board/conversations{query}"))


def by_queue(body: dict) -> dict[str, tuple[int, ...]]:
    return {q["queue"]: counts(q) for q in body.get("queues", [])}


def by_agent(body: dict) -> dict[str, tuple[int, ...]]:
    return {a["agent_id"]: counts(a) for a in body.get("agents", [])}


async def events_of(redis, tenant, kind: int, conversation_id: str) -> list[events_pb2.Event]:
    return [e for e in await read_events(redis, tenant) if e.type == kind and e.conversation_id == conversation_id]


async def test_a_supervisor_reassigns_an_overdue_chat_and_the_new_agents_stream_shows_it(
    backend_addrs, gateway, redis, tenant
):
    await scene(gateway, redis, tenant)
    sam, boris = await gateway.login("sam"), await gateway.login("boris")
    async with boris.get("/api/v1/events") as stream:
        assert (await stream.content.readline()).startswith(b"retry:")  # subscribed
        moved = (await ok(await action(sam, "c1", "transfer", {"agent_id": "boris"})))["conversation"]
        seen = await next_data(stream, lambda e: e["type"] == "conversation_transferred")
    assert (moved["agent_id"], moved["state"], moved["overdue"]) == ("boris", "unanswered", True)
    assert (seen["agent_id"], seen["other_agent_id"], seen["queue"]) == ("boris", "anna", "chat")
    [event] = await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_TRANSFERRED, "c1")
    assert (event.actor, event.reason, event.agent_id, event.other_agent_id) == ("sam", "supervisor", "boris", "anna")
    # boris now holds it, anna no longer
    async with stubs(gateway) as (_, conv):
        for agent_id, held in (("boris", ["c1"]), ("anna", [])):
            listed = await conv.ListConversations(cpb.ListConversationsRequest(agent_id=agent_id))
            assert [c.conversation_id for c in listed.conversations] == held


async def test_a_supervisors_note_reaches_the_agent_but_is_no_reply(backend_addrs, gateway, redis, tenant):
    await scene(gateway, redis, tenant)
    sam, anna = await gateway.login("sam"), await gateway.login("anna")
    async with anna.get("/api/v1/events") as stream:
        assert (await stream.content.readline()).startswith(b"retry:")
        noted = await ok(await action(sam, "c1", "note", {"message_id": "n1", "text": "offer a refund"}))
        seen = await next_data(stream, lambda e: e["type"] == "conversation_note")
    assert seen["agent_id"] == "anna"
    assert (noted["conversation"]["state"], noted["conversation"]["overdue"]) == ("unanswered", True)
    async with stubs(gateway) as (_, conv):
        c1 = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="c1"))).conversation
    assert [(m.author, m.actor) for m in c1.messages][-1] == (cpb.MESSAGE_AUTHOR_NOTE, "sam")
    assert not await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_REPLIED, "c1")
    [note] = await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_NOTE, "c1")
    assert note.actor == "sam"
    # the same message id again is stored once
    await ok(await action(sam, "c1", "note", {"message_id": "n1", "text": "offer a refund"}))
    # a reply in anna's place is one: answered, no longer overdue, the event names sam
    replied = await ok(await action(sam, "c1", "supervisor-reply", {"message_id": "s1", "text": "refunded"}))
    assert (replied["conversation"]["state"], replied["conversation"]["overdue"]) == ("answered", False)
    [event] = await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_REPLIED, "c1")
    assert (event.actor, event.reason) == ("sam", "supervisor")
    assert replied["conversation"]["message_count"] == 4  # two customer messages, the note, the reply


async def test_a_supervisor_takes_a_chat_with_their_own_agent_and_closes_it(backend_addrs, gateway, redis, tenant):
    await scene(gateway, redis, tenant)
    sam = await gateway.login("sam")
    taken = (await ok(await action(sam, "c1", "take")))["conversation"]
    assert taken["agent_id"] == "sam-agent"
    closed = (await ok(await action(sam, "c1", "close")))["conversation"]
    assert closed["state"] == "closed"
    [event] = await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_CLOSED, "c1")
    assert event.actor == "sam"
    refused = await action(sam, "c1", "transfer", {"agent_id": "boris"})  # closed: the router refuses
    assert refused.status == 409, await refused.text()
    # a supervisor without an agent of their own cannot take one
    await gateway.users.create("vera", "correct horse battery", "supervisor", teams=("chat", "mail"))
    vera = await gateway.login("vera")
    no_agent = await action(vera, "m1", "take")
    assert (no_agent.status, (await no_agent.json())["field"]) == (409, "agent_id")


async def test_a_transfer_to_an_operator_without_room_is_refused_naming_why_and_the_chat_stays(
    backend_addrs, gateway, redis, tenant
):
    await scene(gateway, redis, tenant)
    sam = await gateway.login("sam")
    refused = await action(sam, "m3", "transfer", {"agent_id": "dora"})  # she holds two e-mails, her most
    assert refused.status == 409, await refused.text()
    assert "dora" in (await refused.json())["error"]
    async with stubs(gateway) as (_, conv):
        m3 = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="m3"))).conversation
    assert (m3.state, m3.agent_id) == (cpb.CONVERSATION_STATE_NEW, "")
    assert not await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_TRANSFERRED, "m3")


async def test_a_supervisor_of_another_team_cannot_see_or_take_the_chat(backend_addrs, gateway, redis, tenant):
    await scene(gateway, redis, tenant)
    olga = await gateway.login("olga")
    for verb, body in (
        ("take", None),
        ("transfer", {"agent_id": "csilla"}),
        ("note", {"message_id": "n1", "text": "x"}),
        ("supervisor-reply", {"message_id": "s1", "text": "x"}),
        ("close", None),
    ):
        reply = await action(olga, "c1", verb, body)
        assert reply.status == 404, (verb, await reply.text())
        assert "c1" in (await reply.json())["error"]
    assert (await olga.get("/api/v1/conversations/c1")).status == 404
    assert (await olga.get("/api/v1/board/conversations?queue=chat")).status == 404
    assert (await olga.get("/api/v1/board/conversations?agent_id=anna")).status == 404
    # sam may not give his chat to olga's agent either
    sam = await gateway.login("sam")
    assert (await action(sam, "c1", "transfer", {"agent_id": "csilla"})).status == 404
    assert not await events_of(redis, tenant, E.EVENT_TYPE_CONVERSATION_TRANSFERRED, "c1")
    async with stubs(gateway) as (_, conv):
        c1 = (await conv.GetConversation(cpb.GetConversationRequest(conversation_id="c1"))).conversation
    assert (c1.agent_id, c1.state) == ("anna", cpb.CONVERSATION_STATE_UNANSWERED)


async def test_agents_cannot_use_the_supervisor_routes(backend_addrs, gateway, redis, tenant):
    await scene(gateway, redis, tenant)
    anna = await gateway.login("anna")  # she holds c1
    for verb, body in (
        ("take", None),
        ("transfer", {"agent_id": "boris"}),
        ("note", {"message_id": "n1", "text": "x"}),
        ("supervisor-reply", {"message_id": "s1", "text": "x"}),
    ):
        reply = await action(anna, "c1", verb, body)
        assert reply.status == 403, (verb, await reply.text())
    assert (await anna.get("/api/v1/board/conversations")).status == 403
    assert (await anna.get("/api/v1/stats/conversations?group_by=agent")).status == 403


async def test_the_board_counts_per_group_and_operator_match_the_scripted_scene(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    sam = await gateway.login("sam")
    body = await board(sam, quiet_stats)
    #                                new taken unans answ overdue open
    assert by_queue(body) == {"chat": (0, 0, 1, 0, 1, 1), "mail": (1, 1, 0, 1, 0, 3)}
    online = {q["queue"]: int(q.get("operators_online", 0)) for q in body["queues"]}
    assert online == {"chat": 3, "mail": 1}
    agents = by_agent(body)
    assert agents["anna"] == (0, 0, 1, 0, 1, 1) and agents["dora"] == (0, 1, 0, 1, 0, 2)
    assert agents["boris"][-1] == agents["sam-agent"][-1] == 0
    assert "csilla" not in agents  # olga's team
    assert counts({"conversations": body["total"]}) == (1, 1, 1, 1, 1, 4)
    # the load of a chosen set of operators
    chosen = await board(sam, quiet_stats, "?agent_id=anna,dora")
    assert set(by_agent(chosen)) == {"anna", "dora"}
    # a transfer moves the load from one operator to the other
    await ok(await action(sam, "c1", "transfer", {"agent_id": "boris"}))
    agents = by_agent(await board(sam, quiet_stats, "?queue=chat"))
    assert (agents["anna"][-1], agents["boris"]) == (0, (0, 0, 1, 0, 1, 1))
    # an admin sees olga's queue too
    root = await gateway.login("root")
    assert "support" in by_queue(await board(root, quiet_stats))


async def test_the_board_and_the_list_filter_by_channel_and_topic(backend_addrs, gateway, redis, tenant, quiet_stats):
    await scene(gateway, redis, tenant)
    sam = await gateway.login("sam")
    email = by_queue(await board(sam, quiet_stats, "?channel=email"))
    assert email.get("chat", (0,) * 6)[-1] == 0 and email["mail"][-1] == 3
    delivery = by_queue(await board(sam, quiet_stats, "?channel=email&topic=delivery"))
    assert delivery["mail"] == (1, 0, 0, 1, 0, 2)
    listed = await ok(await sam.get("/api/v1/conversations?channel=email&topic=delivery"))
    assert sorted(c["conversation_id"] for c in listed["conversations"]) == ["m2", "m3"]
    billing = by_queue(await board(sam, quiet_stats, "?topic=billing"))
    assert (billing["chat"][-1], billing["mail"][-1]) == (1, 1)
    # a new chat about delivery joins the filtered board
    async with stubs(gateway) as (_, conv):
        await post(conv, "c2", "c2-m1", "chat", "webchat", "delivery")
    assert by_queue(await board(sam, quiet_stats, "?topic=delivery"))["chat"][-1] == 1


async def test_conversation_figures_are_the_supervisors_queues_only(backend_addrs, gateway, redis, tenant, quiet_stats):
    await scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()
    sam, root = await gateway.login("sam"), await gateway.login("root")
    mine = await ok(await sam.get("/api/v1/stats/conversations?group_by=queue"))
    assert {r["key"] for r in mine.get("rows", [])} <= {"chat", "mail"}
    created = {r["key"]: int(r.get("created", 0)) for r in mine.get("rows", [])}
    assert created.get("mail") == 3 and created.get("chat") == 1
    assert int(mine["total"].get("created", 0)) == 4
    olga = await gateway.login("olga")  # support had none: chat's and mail's rows are not hers
    theirs = await ok(await olga.get("/api/v1/stats/conversations?group_by=team"))
    assert (theirs.get("rows", []), int(theirs.get("total", {}).get("created", 0))) == ([], 0)
    by_channel = await ok(await root.get("/api/v1/stats/conversations?group_by=channel&channel=email"))
    assert [(r["key"], int(r.get("created", 0))) for r in by_channel.get("rows", [])] == [("email", 3)]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/conversations/c1/transfer", {"agent_id": 5}, "agent_id"),
        ("/api/v1/conversations/c1/transfer", {"agent_id": "not an id"}, "agent_id"),
        ("/api/v1/conversations/c1/transfer", {"agent": "boris"}, "agent"),
        ("/api/v1/conversations/c1/note", {"message_id": "n1"}, "text"),
        ("/api/v1/conversations/c1/note", {"message_id": "n1", "text": "x" * 4001}, "text"),
        ("/api/v1/conversations/c1/note", {"message_id": "a b", "text": "x"}, "message_id"),
        ("/api/v1/conversations/c1/supervisor-reply", {"text": "x"}, "message_id"),
        ("/api/v1/conversations/a:b/take", {}, "conversation_id"),
        ("/api/v1/conversations/c1/close", {"now": True}, "now"),
    ],
)
async def test_bad_control_input_is_a_400_naming_the_field(backend_addrs, gateway, path, body, field):
    await users(gateway)
    sam = await gateway.login("sam")
    reply = await sam.post(path, json=body, headers=csrf(sam))
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/board/conversations?queue=not%20a%20queue", "queue"),
        ("/api/v1/board/conversations?agent_id=a%2Cb%20c", "agent_id"),
        ("/api/v1/board/conversations?channel=web%20chat", "channel"),
        ("/api/v1/board/conversations?queue=chat&queue=mail", "queue"),
        ("/api/v1/board/conversations?group=chat", "group"),
        ("/api/v1/stats/conversations?group_by=weekday", "group_by"),
        ("/api/v1/stats/conversations?group_by=queue&topic=no%20spaces", "topic"),
        ("/api/v1/stats/conversations?period=year", "period"),
    ],
)
async def test_bad_board_and_figures_queries_are_a_400_naming_the_field(backend_addrs, gateway, query, field):
    await users(gateway)
    sam = await gateway.login("sam")
    reply = await sam.get(query)
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field
