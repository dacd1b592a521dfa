"""Tasks with due times, reminders and recurrence (S1.10) on a hand-driven clock: a task due in
two weeks fires after every process was restarted, each deadline fires once however many
gateway replicas run, and take/done/snooze/reassign behave, over real HTTP on real Redis in
front of a real router."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime
import zoneinfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.core.clock import ManualClock
from callcenter.core.config import CommonConfig
from callcenter.services.gateway.app import create_app
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.recurrence import Recurrence, next_due_ms
from callcenter.services.gateway.tasks import TaskStore
from callcenter.services.gateway.users import UserStore
from tests.gateway_fixtures import PASSWORD, logged_in
from tests.gateway_scenes import team_in_router
from tests.helpers import event_types, read_events

DAY_S = 86_400
DAY_MS = DAY_S * 1000


@dataclasses.dataclass
class Site:
    """A router replica and gateway replicas on one Redis, all on one hand-driven clock."""

    redis: object
    redis_url: str
    tenant: str
    start_replica: object
    clock: ManualClock
    router: object = None
    gateways: list = dataclasses.field(default_factory=list)
    clients: list = dataclasses.field(default_factory=list)

    async def start(self, replicas: int = 1) -> None:
        self.router = await self.start_replica()
        for _ in range(replicas):
            config = GatewayConfig(
                common=CommonConfig(redis_url=self.redis_url, tenant=self.tenant),
                port=0,
                router_addr=f"127.0.0.1:{self.router.port}",
            )
            client = TestClient(TestServer(create_app(config, self.redis, task_clock=self.clock)))
            await client.start_server()
            self.gateways.append(client)

    async def stop(self) -> None:
        """Every process stops: the gateways (and their task timers), then the router."""
        for client in [*self.clients, *self.gateways]:
            await client.close()
        self.clients, self.gateways = [], []
        if self.router is not None:
            await self.router.stop()
            self.router = None

    async def login(self, username: str, replica: int = 0) -> TestClient:
        client = await logged_in(self.gateways[replica].server, username)
        self.clients.append(client)
        return client


def post(client: TestClient, path: str, body: dict | None = None):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})


@pytest.fixture
async def site(redis, redis_url, tenant, start_replica):
    s = Site(redis, redis_url, tenant, start_replica, ManualClock(1_760_000_000_000))
    await s.start()
    await team_in_router(s.router.port)  # sales: anna, boris; support: csilla
    users = UserStore(redis, tenant)
    await users.create("root", PASSWORD, "admin")
    await users.create("sam", PASSWORD, "supervisor", teams=("sales",))
    for agent in ("anna", "boris", "csilla"):
        await users.create(agent, PASSWORD, "agent", agent_id=agent)
    yield s
    await s.stop()


async def task_events(redis, tenant: str, wanted: str, count: int, timeout_s: float = 10.0) -> list:
    """The stream's events of one type once there are `count` of them (polled, with a deadline)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = [e for e in await read_events(redis, tenant) if event_types([e])[0] == wanted]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.02)


async def create(client: TestClient, **body) -> dict:
    reply = await post(client, "/api/v1/tasks", body)
    assert reply.status == 201, await reply.text()
    return (await reply.json())["task"]


async def tasks_of(client: TestClient, query: str = "") -> list[dict]:
    reply = await client.get("/api/v1/tasks" + query)
    assert reply.status == 200, await reply.text()
    return (await reply.json())["tasks"]


async def test_a_task_due_in_two_weeks_fires_on_the_clock_after_every_process_restarted(site, redis, tenant):
    sam = await site.login("sam")
    due = site.clock.now_ms() + 14 * DAY_MS
    created = await create(
        sam,
        title="Call the client again",
        subject_kind="client",
        subject_id="+4930123",
        agent_id="anna",
        due_ms=due,
        reminders=[DAY_S],
    )
    assert event_types(await read_events(redis, tenant))[-1] == "TASK_CREATED"
    await site.stop()  # every process: both sides forget everything but Redis
    await site.start(replicas=2)
    anna = await site.login("anna", replica=1)

    site.clock.advance(13 * DAY_S + 60)  # past the reminder (a day before due)
    [reminder] = await task_events(redis, tenant, "TASK_REMINDER", 1)
    assert (reminder.agent_id, reminder.attributes["task_id"], reminder.actor) == ("anna", created["id"], "")
    [listed] = await tasks_of(anna)
    assert listed["reminded"] == [DAY_S] and not listed["overdue"]

    site.clock.advance(DAY_S)  # past due
    [fired] = await task_events(redis, tenant, "TASK_DUE", 1)
    assert fired.attributes["task_id"] == created["id"] and fired.reason == "due"
    [listed] = await tasks_of(anna)
    assert listed["overdue"] and listed["due_fired"] and listed["status"] == "open"
    # Nothing is left to fire, and nothing fired twice across the two replicas.
    assert (await TaskStore(redis, tenant, clock=site.clock).fire())["fired"] == 0
    assert collections.Counter(event_types(await read_events(redis, tenant)))["TASK_REMINDER"] == 1
    assert len(await task_events(redis, tenant, "TASK_DUE", 1)) == 1


async def test_two_gateway_replicas_fire_each_of_forty_deadlines_once(site, redis, tenant):
    await site.stop()
    await site.start(replicas=2)
    sam = await site.login("sam")
    now = site.clock.now_ms()
    ids = [
        (await create(sam, title=f"t{n}", agent_id="boris", due_ms=now + 3_600_000 + n, reminders=[600]))["id"]
        for n in range(20)
    ]
    site.clock.advance(3 * 3600)
    due = await task_events(redis, tenant, "TASK_DUE", 20)
    reminders = await task_events(redis, tenant, "TASK_REMINDER", 20)
    assert sorted(e.attributes["task_id"] for e in due) == sorted(ids)
    assert sorted(e.attributes["task_id"] for e in reminders) == sorted(ids)
    assert (await TaskStore(redis, tenant, clock=site.clock).fire())["fired"] == 0
    assert len(await task_events(redis, tenant, "TASK_DUE", 21, timeout_s=0.5)) == 20


async def test_a_recurring_task_done_late_is_next_due_two_weeks_after_the_previous_due(site, redis, tenant):
    anna = await site.login("anna")
    due = site.clock.now_ms() + DAY_MS
    task = await create(anna, title="Weekly check", due_ms=due, recurrence={"every": 2, "unit": "weeks"})
    assert task["agent_id"] == "anna" and task["created_by"] == "anna"
    site.clock.advance(3 * DAY_S)  # done late
    reply = await post(anna, f"/api/v1/tasks/{task['id']}/done")
    body = await reply.json()
    assert reply.status == 200 and body["task"]["status"] == "done" and body["task"]["closed_by"] == "anna"
    nxt = body["next"]
    assert nxt["due_ms"] == due + 14 * DAY_MS and nxt["status"] == "open" and nxt["previous_task_id"] == task["id"]
    assert [t["id"] for t in await tasks_of(anna)] == [nxt["id"]]
    assert (await post(anna, f"/api/v1/tasks/{task['id']}/close")).status == 200  # the older name: done stays done
    assert event_types(await read_events(redis, tenant))[-2:] == ["TASK_DONE", "TASK_CREATED"]


async def test_snooze_moves_the_due_and_the_task_opens_again_when_it_ends(site, redis, tenant):
    anna = await site.login("anna")
    task = await create(anna, title="Send the offer", due_ms=site.clock.now_ms() + 60_000)
    site.clock.advance(120)
    await task_events(redis, tenant, "TASK_DUE", 1)
    reply = await post(anna, f"/api/v1/tasks/{task['id']}/snooze", {"minutes": 60})
    snoozed = (await reply.json())["task"]
    assert reply.status == 200 and snoozed["status"] == "snoozed"
    assert snoozed["due_ms"] == site.clock.now_ms() + 3_600_000 and not snoozed["overdue"]
    assert snoozed["history"][-1]["what"] == "snoozed" and snoozed["history"][-1]["by"] == "anna"
    site.clock.advance(3601)
    due = await task_events(redis, tenant, "TASK_DUE", 2)
    assert [e.reason for e in due] == ["due", "snooze_ended"]
    [listed] = await tasks_of(anna)
    assert listed["status"] == "open" and listed["overdue"]


async def test_of_two_agents_racing_for_a_team_task_exactly_one_takes_it(site, redis, tenant):
    sam, anna, boris, csilla = [await site.login(u) for u in ("sam", "anna", "boris", "csilla")]
    task = await create(sam, title="Call back the lead", team="sales", subject_kind="client", subject_id="+4930555")
    assert [t["id"] for t in await tasks_of(anna)] == [task["id"]] == [t["id"] for t in await tasks_of(boris)]
    assert await tasks_of(csilla) == []  # another team's
    replies = await asyncio.gather(*(post(a, f"/api/v1/tasks/{task['id']}/take") for a in (anna, boris)))
    assert sorted(r.status for r in replies) == [200, 409]
    winner = (await next(r for r in replies if r.status == 200).json())["task"]["agent_id"]
    loser = boris if winner == "anna" else anna
    assert await tasks_of(loser) == []
    assert [e.agent_id for e in await task_events(redis, tenant, "TASK_TAKEN", 1)] == [winner]
    assert (await post(csilla, f"/api/v1/tasks/{task['id']}/take")).status == 404


async def test_reassign_moves_the_task_and_records_from_to_and_the_actor(site, redis, tenant):
    sam, anna, boris = [await site.login(u) for u in ("sam", "anna", "boris")]
    task = await create(sam, title="Follow up", agent_id="anna", due_ms=site.clock.now_ms() + DAY_MS)
    reply = await post(sam, f"/api/v1/tasks/{task['id']}/reassign", {"agent_id": "boris"})
    moved = (await reply.json())["task"]
    assert reply.status == 200 and moved["agent_id"] == "boris"
    assert moved["history"][-1] == {
        "what": "reassigned",
        "by": "sam",
        "at": site.clock.now_ms(),
        "from": {"agent_id": "anna", "queue": ""},
        "to": {"agent_id": "boris", "queue": ""},
    }
    assert await tasks_of(anna) == [] and [t["id"] for t in await tasks_of(boris)] == [task["id"]]
    [event] = await task_events(redis, tenant, "TASK_REASSIGNED", 1)
    assert (event.agent_id, event.other_agent_id, event.actor) == ("boris", "anna", "sam")
    assert (await post(anna, f"/api/v1/tasks/{task['id']}/reassign", {"agent_id": "anna"})).status == 403
    assert (await post(sam, f"/api/v1/tasks/{task['id']}/reassign", {"agent_id": "csilla"})).status == 404


BAD_BODIES = [
    ({"title": "x" * 201, "agent_id": "anna"}, "title"),
    ({"agent_id": "anna"}, "title"),
    ({"title": "t", "agent_id": "anna", "due_ms": -1}, "due_ms"),
    ({"title": "t", "agent_id": "anna", "due_ms": "PAST"}, "due_ms"),
    ({"title": "t", "agent_id": "anna", "due_ms": "SOON", "reminders": [60] * 3 + [120, 180, 240]}, "reminders"),
    ({"title": "t", "agent_id": "anna", "due_ms": "SOON", "reminders": [0]}, "reminders"),
    ({"title": "t", "agent_id": "anna", "due_ms": "SOON", "recurrence": {"every": 366, "unit": "days"}}, "recurrence"),
    ({"title": "t", "agent_id": "anna", "due_ms": "SOON", "recurrence": {"every": 1, "unit": "hours"}}, "recurrence"),
    ({"title": "t", "agent_id": "anna", "recurrence": {"every": 1, "unit": "days"}}, "recurrence"),
    ({"title": "t", "agent_id": "anna", "priority": 1}, "priority"),
    ({"title": "t", "agent_id": "anna", "team": "sales"}, "agent_id"),
    ({"title": "t", "agent_id": "anna", "subject_kind": "ticket", "subject_id": "1"}, "subject_kind"),
    ({"title": 5, "agent_id": "anna"}, "title"),
]


async def test_bad_task_input_is_refused_with_400_naming_the_field(site, redis, tenant):
    sam = await site.login("sam")
    now = site.clock.now_ms()
    for body, field in BAD_BODIES:
        times = {"PAST": now - 2 * DAY_MS, "SOON": now + DAY_MS}
        body = {k: times.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
        reply = await post(sam, "/api/v1/tasks", body)
        assert (reply.status, (await reply.json()).get("field")) == (400, field), body
    task = await create(sam, title="t", agent_id="anna", due_ms=now + DAY_MS)
    for body, field in (({}, "until_ms"), ({"minutes": 0}, "minutes"), ({"until_ms": now - 1}, "until_ms")):
        reply = await post(sam, f"/api/v1/tasks/{task['id']}/snooze", body)
        assert (reply.status, (await reply.json()).get("field")) == (400, field), body
    for query, field in (("?status=late", "status"), ("?due_before=soon", "due_before"), ("?limit=501", "limit")):
        reply = await sam.get("/api/v1/tasks" + query)
        assert (reply.status, (await reply.json()).get("field")) == (400, field), query
    assert not [e for e in event_types(await read_events(redis, tenant)) if e == "TASK_SNOOZED"]


async def test_who_may_create_see_and_finish_which_tasks(site):
    sam, anna, boris, csilla, root = [await site.login(u) for u in ("sam", "anna", "boris", "csilla", "root")]
    assert (await post(anna, "/api/v1/tasks", {"title": "t", "agent_id": "boris"})).status == 403
    assert (await post(anna, "/api/v1/tasks", {"title": "t", "team": "sales"})).status == 403
    assert (await post(sam, "/api/v1/tasks", {"title": "t", "agent_id": "csilla"})).status == 404
    assert (await post(sam, "/api/v1/tasks", {"title": "t", "team": "support"})).status == 404
    theirs = await create(root, title="Support follow-up", agent_id="csilla")
    annas = await create(sam, title="Sales follow-up", agent_id="anna")
    assert [t["id"] for t in await tasks_of(sam)] == [annas["id"]]
    assert {t["id"] for t in await tasks_of(root)} == {annas["id"], theirs["id"]}
    assert (await sam.get("/api/v1/tasks?assignee=csilla")).status == 404
    assert (await anna.get("/api/v1/tasks?assignee=boris")).status == 404
    for who in (sam, boris):
        assert (await post(who, f"/api/v1/tasks/{theirs['id']}/done")).status == 404
    assert (await post(csilla, f"/api/v1/tasks/{theirs['id']}/done")).status == 200
    assert (await post(sam, f"/api/v1/tasks/{annas['id']}/take")).status == 403
    assert (await post(anna, f"/api/v1/tasks/{annas['id']}/take")).status == 409  # no team task
    assert (await post(anna, "/api/v1/tasks/0123456789abcdef/done")).status == 404
    assert [t["status"] for t in await tasks_of(csilla, "?status=done")] == ["done"]


def test_monthly_recurrence_keeps_the_day_and_wall_time_in_the_site_time_zone():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    jan31 = int(datetime.datetime(2026, 1, 31, 9, 30, tzinfo=berlin).timestamp() * 1000)
    feb = datetime.datetime.fromtimestamp(next_due_ms(jan31, Recurrence(1, "months"), berlin) / 1000, berlin)
    assert (feb.month, feb.day, feb.hour, feb.minute) == (2, 28, 9, 30)  # the month's last day
    mar1 = int(datetime.datetime(2026, 3, 1, 9, 30, tzinfo=berlin).timestamp() * 1000)
    apr = datetime.datetime.fromtimestamp(next_due_ms(mar1, Recurrence(1, "months"), berlin) / 1000, berlin)
    assert (apr.month, apr.day, apr.hour) == (4, 1, 9)  # across the change to summer time
    year = datetime.datetime.fromtimestamp(next_due_ms(jan31, Recurrence(1, "years"), berlin) / 1000, berlin)
    assert (year.year, year.month, year.day, year.hour) == (2027, 1, 31, 9)
