"""Conversation figures per router team and the conversations' tiles (issue 21), against a real
router, stats service and gateway on real gRPC, HTTP and Redis, over the scripted scene of
tests/conversation_control_scenes.py with real router teams (S2.3):

north  anna, dora    supervised by sam
south  dora, boris   supervised by olga
east   nobody        supervised by sam

GET /api/v1/stats/conversations?group_by=team gives one row per team the user sees, its
members' agent rows added up (counts and the sums behind the means, so each mean is exact;
dora counts in both her teams' rows but once in the total); group_by=queue stays the queue
view. The dashboard's tile counts the open conversations of the user's queues, the
wallboard's per queue where the queue has conversations now or had some today."""

from __future__ import annotations

import pytest

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import router_pb2 as pb
from tests.conversation_control_scenes import post, scene, stubs
from tests.gateway_fixtures import csrf

COUNTS = ("created", "closed", "first_replies", "replies", "overdue", "handled")
SUMS = ("total_first_response", "total_reply", "total_handle")
MEANS = {"average_first_response": ("total_first_response", "first_replies"),
         "average_reply": ("total_reply", "replies"), "average_handle": ("total_handle", "handled")}  # fmt: skip


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def ok(reply) -> dict:
    assert reply.status == 200, await reply.text()
    return await reply.json()


def ms(duration: str | None) -> int:
    """A proto3 JSON Duration ("1.250s"; absent when zero) in ms."""
    return round(float(duration.removesuffix("s")) * 1000) if duration else 0


def figures(row: dict) -> dict[str, float]:
    """A figures row as numbers (proto3 JSON leaves zeros out, int64 as strings)."""
    found: dict[str, float] = {name: int(row.get(name, 0)) for name in COUNTS}
    found.update({name: ms(row.get(name)) for name in (*SUMS, *MEANS)})
    found["overdue_percent"] = float(row.get("overdue_percent", 0))
    return found


def added_up(rows: list[dict[str, float]]) -> dict[str, float]:
    """The figures of these agents' conversations together, from their sums."""
    total = {name: sum(r[name] for r in rows) for name in (*COUNTS, *SUMS)}
    for mean, (of, count) in MEANS.items():
        total[mean] = total[of] // total[count] if total[count] else 0
    waits = total["first_replies"] + total["replies"] + total["overdue"]
    total["overdue_percent"] = 100.0 * total["overdue"] / waits if waits else 0.0
    return total


async def teams_scene(gateway, redis, tenant) -> None:
    """The scene, the three teams, and more to measure: anna answers c1 (overdue) late, dora
    answers m1 and closes m2 (a handle time), the customer of m2 writes again and dora replies."""
    await scene(gateway, redis, tenant)
    async with stubs(gateway) as (router, conv):
        for team_id, members, supervisor in (("north", ["anna", "dora"], "sam"), ("south", ["dora", "boris"], "olga"),
                                             ("east", [], "sam")):  # fmt: skip
            team = pb.Team(team_id=team_id, member_agent_ids=members, supervisor_usernames=[supervisor])
            await router.UpsertTeam(pb.UpsertTeamRequest(team=team))

        async def reply(conversation_id: str, agent_id: str, message_id: str) -> None:
            await conv.ReplyToConversation(
                cpb.ReplyToConversationRequest(
                    conversation_id=conversation_id, agent_id=agent_id, message_id=message_id, text="done"
                )
            )

        await reply("c1", "anna", "c1-a1")
        await reply("m1", "dora", "m1-a1")
        await post(conv, "m2", "m2-m2", "mail", "email", "delivery", "thanks, and the invoice?")
        await reply("m2", "dora", "m2-a2")
        await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id="m2"))


async def test_figures_by_team_add_up_the_members_agent_rows_exactly_per_team_the_user_sees(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await teams_scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()
    root, sam, olga = [await gateway.login(name) for name in ("root", "sam", "olga")]
    agents = {
        r["key"]: figures(r) for r in (await ok(await root.get("/api/v1/stats/conversations?group_by=agent")))["rows"]
    }
    anna, dora = agents["anna"], agents["dora"]
    # what the scene measured: each agent's own figures
    assert (anna["created"], anna["first_replies"], anna["overdue"]) == (1, 1, 1)
    # m1, m2 and m3 (the line's, hers once m2's close gave her room)
    assert (dora["created"], dora["first_replies"], dora["replies"], dora["closed"], dora["handled"]) == (3, 2, 1, 1, 1)
    assert "boris" not in agents  # nothing of his
    nobody = figures({})

    teams = await ok(await root.get("/api/v1/stats/conversations?group_by=team"))
    rows = {r["key"]: figures(r) for r in teams["rows"]}
    assert list(rows) == ["east", "north", "south"]  # every team, by id; east has no members: zeros
    assert rows["north"] == added_up([anna, dora])
    assert rows["south"] == added_up([dora])  # boris has no row: none of his figures
    assert rows["east"] == nobody
    # the mean is of the sums, exact: not the members' (floored) means weighted
    north = rows["north"]
    assert north["first_replies"] == 3
    assert north["average_first_response"] == (anna["total_first_response"] + dora["total_first_response"]) // 3
    assert north["overdue_percent"] == pytest.approx(100 / 5)  # 1 overdue of 3 first replies, 1 reply, 1 overdue
    # the total is over every member once (dora is in north and south)
    assert figures(teams["total"]) == added_up([anna, dora])
    assert figures(teams["total"])["created"] == 4 != rows["north"]["created"] + rows["south"]["created"]

    # a supervisor sees their own teams' rows only
    mine = await ok(await sam.get("/api/v1/stats/conversations?group_by=team"))
    assert [r["key"] for r in mine["rows"]] == ["east", "north"]
    assert figures(mine["total"]) == rows["north"]
    theirs = await ok(await olga.get("/api/v1/stats/conversations?group_by=team"))
    assert [(r["key"], figures(r)) for r in theirs["rows"]] == [("south", rows["south"])]
    # filters apply to the members' rows: chat conversations are anna's only
    webchat = await ok(await root.get("/api/v1/stats/conversations?group_by=team&channel=webchat"))
    by_team = {r["key"]: figures(r) for r in webchat["rows"]}
    assert (by_team["north"], by_team["south"]) == (anna, nobody)

    # group_by=queue stays the queue view, its total of the rows shown from their sums
    queues = await ok(await sam.get("/api/v1/stats/conversations?group_by=queue"))
    by_queue = {r["key"]: figures(r) for r in queues["rows"]}
    assert list(by_queue) == ["chat", "mail"]
    assert figures(queues["total"]) == added_up(list(by_queue.values()))
    assert by_queue["mail"]["average_handle"] == by_queue["mail"]["total_handle"] > 0  # one handled


async def test_the_dashboard_tile_counts_the_open_conversations_of_the_users_queues(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()
    sam, olga, anna = [await gateway.login(name) for name in ("sam", "olga", "anna")]
    board = await ok(await sam.get("/api/v1/board"))
    # chat: c1 unanswered and overdue; mail: m1 taken, m2 answered, m3 new (waiting in line)
    assert board["conversations"] == {"open": 4, "new": 1, "taken": 1, "unanswered": 1, "answered": 1, "overdue": 1}
    # support (the router's default chat capacity, 3) had no conversation today: no tile for olga yet
    assert (await ok(await olga.get("/api/v1/board")))["conversations"] is None
    assert (await ok(await anna.get("/api/v1/board")))["conversations"] is None  # agents: none
    async with stubs(gateway) as (_, conv):
        await post(conv, "s1", "s1-m1", "support", "webchat", "delivery")
    await quiet_stats.consumer.drain()
    tile = (await ok(await olga.get("/api/v1/board")))["conversations"]
    assert (tile["open"], tile["taken"], tile["overdue"]) == (1, 1, 0)  # csilla took it
    root = await gateway.login("root")
    assert (await ok(await root.get("/api/v1/board")))["conversations"]["open"] == 5  # every queue
    async with stubs(gateway) as (_, conv):
        await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id="s1"))
    await quiet_stats.consumer.drain()
    tile = (await ok(await olga.get("/api/v1/board")))["conversations"]
    assert tile is not None and tile["open"] == 0  # none open, but support had some today: still shown


async def test_the_wallboard_shows_conversations_per_queue_where_the_queue_takes_them(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()
    root = await gateway.login("root")
    board = await ok(await root.get("/api/v1/wallboard?queues=chat,mail,support"))
    tiles = {t["queue"]: t["conversations"] for t in board["tiles"]}
    assert tiles == {
        "chat": {"open": 1, "new": 0, "taken": 0, "unanswered": 1, "answered": 0, "overdue": 1},
        "mail": {"open": 3, "new": 1, "taken": 1, "unanswered": 0, "answered": 1, "overdue": 0},
        "support": None,  # no conversation now or today: a calls queue's tiles
    }
    assert board["stats_unavailable"] is False
    # a link shows the same, without naming a conversation or an agent
    created = await root.post("/api/v1/wallboards", json={"name": "Chats", "queues": ["chat"]}, headers=csrf(root))
    token = (await created.json())["token"]
    reply = await gateway.client.get(f"/api/v1/wallboard/{token}/board")
    assert [t["conversations"]["overdue"] for t in (await ok(reply))["tiles"]] == [1]
    for text in ("c1", "anna", "billing", "webchat"):
        assert text not in await reply.text()
    # a chat in support: its tile shows it from then on
    async with stubs(gateway) as (_, conv):
        await post(conv, "s1", "s1-m1", "support", "webchat", "delivery")
    await quiet_stats.consumer.drain()
    support = await ok(await root.get("/api/v1/wallboard?queues=support"))
    assert support["tiles"][0]["conversations"]["open"] == 1
