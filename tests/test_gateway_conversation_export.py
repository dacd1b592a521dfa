"""The conversation figures as a CSV download (issues 18 and 21): GET
/api/v1/export/conversations.csv gives the rows of GET /api/v1/stats/conversations to the same
user (same groups, same values: counts as numbers, durations in seconds, the overdue share in
%), with the same role rules and the same refusals.

Real router, stats service and gateway on real gRPC, HTTP and Redis, over the scripted scene of
tests/conversation_control_scenes.py (chat: c1 webchat, overdue, held by anna; mail: m1-m3
email, dora) and router teams north (anna, dora) and east (nobody), supervised by sam, and
south (dora, boris), supervised by olga."""

from __future__ import annotations

import csv
import io

import pytest

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import router_pb2 as pb
from tests.conversation_control_scenes import scene, stubs, users

COUNTS = {
    "Conversations created": "created",
    "Closed": "closed",
    "First replies": "first_replies",
    "Replies": "replies",
    "Handled": "handled",
    "Overdue": "overdue",
}
SECONDS = {
    "First response mean (s)": "average_first_response",
    "Reply mean (s)": "average_reply",
    "Handle mean (s)": "average_handle",
    "First response total (s)": "total_first_response",
    "Reply total (s)": "total_reply",
    "Handle total (s)": "total_handle",
}
TEAMS = {"north": ("North desk", ["anna", "dora"], "sam"), "south": ("", ["dora", "boris"], "olga"),
         "east": ("East", [], "sam")}  # fmt: skip


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def json_rows(client, query: str) -> list[dict]:
    reply = await client.get(f"/api/v1/stats/conversations?{query}")
    body = await reply.json()
    assert reply.status == 200, body
    return body.get("rows", [])


async def csv_rows(client, query: str) -> tuple[list[str], list[dict[str, str]], object]:
    reply = await client.get(f"/api/v1/export/conversations.csv?{query}")
    raw = await reply.read()
    assert reply.status == 200, raw[:500]
    text = raw.decode("utf-8")
    assert text.startswith("\ufeff")  # the byte order mark spreadsheets need for UTF-8
    table = list(csv.reader(io.StringIO(text[1:], newline="")))
    return table[0], [dict(zip(table[0], row, strict=True)) for row in table[1:]], reply


def ms(duration: str | None) -> int:
    """A proto3 JSON Duration ("1.250s"; absent when zero) in ms."""
    return round(float(duration.removesuffix("s")) * 1000) if duration else 0


def same_figures(row: dict[str, str], figures: dict) -> None:
    """A CSV row says what the JSON row does (proto3 JSON leaves zeros out, int64 as strings)."""
    for column, field in COUNTS.items():
        assert int(row[column]) == int(figures.get(field, 0)), (figures.get("key"), column)
    for column, field in SECONDS.items():
        assert round(float(row[column]) * 1000) == ms(figures.get(field)), (figures.get("key"), column)
    assert float(row["Overdue (%)"]) == round(float(figures.get("overdue_percent", 0)), 1), figures.get("key")


async def conversation_teams(gateway) -> None:
    async with stubs(gateway) as (router, _):
        for team_id, (name, members, supervisor) in TEAMS.items():
            team = pb.Team(team_id=team_id, name=name, member_agent_ids=members, supervisor_usernames=[supervisor])
            await router.UpsertTeam(pb.UpsertTeamRequest(team=team))


async def test_a_supervisors_figures_by_channel_download_one_row_per_channel_as_the_json_api_gives_them(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    async with stubs(gateway) as (_, conv):  # a handle time and a later reply to measure too
        await conv.ReplyToConversation(
            cpb.ReplyToConversationRequest(conversation_id="m1", agent_id="dora", message_id="m1-a1", text="done")
        )
        await conv.CloseConversation(cpb.CloseConversationRequest(conversation_id="m2"))
    await quiet_stats.consumer.drain()
    for user in ("sam", "root"):
        client = await gateway.login(user)
        figures = await json_rows(client, "group_by=channel&tz=UTC")
        columns, rows, reply = await csv_rows(client, "group_by=channel&tz=UTC")
        assert columns[:3] == ["Channel", "From", "To"]
        assert [row["Channel"] for row in rows] == [f["key"] for f in figures], user
        assert {"email", "webchat"} <= {row["Channel"] for row in rows}  # one row per channel of the scene
        for row, figure in zip(rows, figures, strict=True):
            same_figures(row, figure)
        day = rows[0]["From"][:10]
        assert rows[0]["From"] == f"{day}T00:00:00.000+00:00"  # the resolved period, in the requested zone
        name = f"conversations_by_channel_{day}_{day}.csv"
        assert reply.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert reply.content_type == "text/csv"
        assert reply.headers["Cache-Control"] == "no-store"
    sam = await gateway.login("sam")
    _, rows, _ = await csv_rows(sam, "group_by=channel&tz=UTC")
    email = next(row for row in rows if row["Channel"] == "email")
    assert (email["Closed"], email["Handled"]) == ("1", "1") and float(email["Handle mean (s)"]) > 0
    webchat = next(row for row in rows if row["Channel"] == "webchat")
    assert int(webchat["Overdue"]) >= 1 and float(webchat["Overdue (%)"]) > 0  # c1 ran past its deadline
    # the filters of the JSON route apply alike
    _, rows, _ = await csv_rows(sam, "group_by=channel&channel=email&tz=UTC")
    assert [row["Channel"] for row in rows] == ["email"]
    # the other groupings: a supervisor's queues, agents by name beside their id
    _, rows, _ = await csv_rows(sam, "group_by=queue&tz=UTC")
    assert [row["Queue"] for row in rows] == [f["key"] for f in await json_rows(sam, "group_by=queue&tz=UTC")]
    assert {row["Queue"] for row in rows} <= {"chat", "mail"}
    columns, rows, _ = await csv_rows(sam, "group_by=agent&tz=UTC")
    assert columns[:2] == ["Agent", "Agent ID"]
    agents = await json_rows(sam, "group_by=agent&tz=UTC")
    assert [row["Agent ID"] for row in rows] == [f["key"] for f in agents]
    for row, figure in zip(rows, agents, strict=True):
        same_figures(row, figure)


async def test_figures_by_team_download_the_json_apis_team_rows_with_the_teams_names(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    await conversation_teams(gateway)
    await quiet_stats.consumer.drain()
    for user, teams in (("sam", ["east", "north"]), ("olga", ["south"]), ("root", ["east", "north", "south"])):
        client = await gateway.login(user)
        figures = await json_rows(client, "group_by=team")
        columns, rows, _ = await csv_rows(client, "group_by=team")
        assert columns[:2] == ["Team", "Team ID"]
        assert [row["Team ID"] for row in rows] == [f["key"] for f in figures] == teams, user
        for row, figure in zip(rows, figures, strict=True):
            same_figures(row, figure)
            name = TEAMS[row["Team ID"]][0]
            assert row["Team"] == (name or row["Team ID"])  # a team without a name: its id
    root = await gateway.login("root")
    _, rows, _ = await csv_rows(root, "group_by=team")
    north = next(row for row in rows if row["Team ID"] == "north")
    assert int(north["Conversations created"]) >= 1 and int(north["Overdue"]) >= 1  # anna's c1


async def test_an_agent_may_not_download_conversation_figures_as_they_may_not_read_them(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()
    anna = await gateway.login("anna")
    assert (await anna.get("/api/v1/stats/conversations?group_by=agent")).status == 403
    for group_by in ("agent", "queue", "channel"):
        reply = await anna.get(f"/api/v1/export/conversations.csv?group_by={group_by}")
        assert reply.status == 403 and reply.content_type == "application/json", group_by
    reply = await gateway.client.get("/api/v1/export/conversations.csv")
    assert reply.status == 401


async def test_a_supervisor_with_nothing_to_see_downloads_the_header_alone(
    backend_addrs, gateway, redis, tenant, quiet_stats
):
    await scene(gateway, redis, tenant)
    await quiet_stats.consumer.drain()
    olga = await gateway.login("olga")  # support had no conversation; no router team names her
    for group_by, key in (("queue", ["Queue"]), ("team", ["Team", "Team ID"])):
        columns, rows, reply = await csv_rows(olga, f"group_by={group_by}")
        assert (columns[: len(key)], rows) == (key, []), group_by
        assert "conversations_by_" + group_by in reply.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=weekday", "group_by"),
        ("group_by=", "group_by"),
        ("group_by=queue&group_by=team", "group_by"),
        ("queue=chat", "queue"),  # the figures take no queue filter: group_by=queue
        ("group_by=channel&format=xlsx", "format"),
        ("group_by=topic&topic=no%20spaces", "topic"),
        ("period=year", "period"),
        ("period=range&from=2025-01-01&to=2026-03-01", "to"),  # over 400 days
        ("tz=Mars/Olympus", "tz"),
    ],
)
async def test_a_bad_conversation_export_request_is_a_400_naming_the_parameter(backend_addrs, gateway, query, field):
    await users(gateway)
    sam = await gateway.login("sam")
    reply = await sam.get(f"/api/v1/export/conversations.csv?{query}")
    body = await reply.json()
    assert (reply.status, body["field"]) == (400, field), body
