"""Properties of the whole JSON API, driven by its own OpenAPI document (/openapi.json): for
every operation, requests of the documented shape and mutated ones (wrong types, huge
numbers, long strings, unknown fields, odd or repeated query parameters, bodies that are no
JSON object, bad byte ranges), sent as a logged-in admin and as an agent, never make the
gateway answer 5xx; every 4xx is a JSON error saying what is wrong (a 400 names the field);
and afterwards the gateway is healthy and what was there before is unchanged.

Real router, stats, recorder, Redis and HTTP; Hypothesis, derandomized: the same requests
on every run."""

from __future__ import annotations

import asyncio
import io
import json
import time
import urllib.parse
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.services.gateway.openapi import document
from callcenter.services.gateway.web import SESSIONS
from tests.gateway_fixtures import PASSWORD
from tests.gateway_scenes import calls_in_sales_and_support, setup_team, stored

# What the requests may never touch, so that "unchanged" can be checked afterwards: the users
# who are logged in, csilla (her agent, the comment on her, her task, her call c2), the lead
# L-keep, the recordings. The requests name anna, boris and other ids freely and may change
# those (ending boris's wrap-up, say, completes the record of his call c1).
PROTECTED = {"root", "anna", "sam", "csilla", "l-keep"}
OPERATIONS = [
    (method.upper(), path, op)
    for path, ops in sorted(document()["paths"].items())
    for method, op in sorted(ops.items())
]


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


@pytest.fixture
async def scene(backend_addrs, quiet_stats, gateway):
    """Users of every role, calls, recordings, a lead, a comment and a task; bearer sessions
    of the admin and of the agent anna."""
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    await calls_in_sales_and_support(gateway)
    recordings = [await stored(gateway, "anna", "c1"), await stored(gateway, "csilla", "c2")]
    async with grpc.aio.insecure_channel(backend_addrs["stats_addr"]) as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        await stub.CreateLead(spb.CreateLeadRequest(lead_id="L-keep", agent_id="csilla", stage="lead"))
        await stub.CreateLead(spb.CreateLeadRequest(lead_id="L-open", agent_id="anna", stage="lead"))
    await gateway.users.create("lena", PASSWORD, "agent", agent_id="boris")  # the requests may log in as her
    await quiet_stats.consumer.drain()
    tokens = {}
    for name in ("root", "anna"):
        reply = await gateway.client.post("/api/v1/login", json={"username": name, "password": PASSWORD})
        tokens[name] = (await reply.json())["token"]
    root = {"Authorization": f"Bearer {tokens['root']}"}
    reply = await gateway.client.post(
        "/api/v1/comments",
        json={"subject_kind": "agent", "subject_id": "csilla", "text": "keep calm", "tag_agent_ids": ["csilla"]},
        headers=root,
    )
    assert reply.status == 201, await reply.text()
    reply = await gateway.client.post(
        "/api/v1/comments",
        json={"subject_kind": "agent", "subject_id": "anna", "text": "call back", "tag_agent_ids": ["anna"]},
        headers=root,
    )
    [task] = (await reply.json())["tasks"]
    return {
        "headers": {"admin": root, "agent": {"Authorization": f"Bearer {tokens['anna']}"}},
        "known": {"recording_id": [r.id for r in recordings], "task_id": [task["id"], "0123456789abcdef"]},
    }


async def protected_data(gateway, headers: dict) -> dict:
    """What the requests may not change, as the admin reads it."""
    found: dict = {}
    for name in ("root", "anna", "sam"):
        found[f"user {name}"] = await gateway.users.get(name)
    for path in (
        "/api/v1/agents/csilla",
        "/api/v1/comments/agent/csilla",
        "/api/v1/tasks?agent_id=csilla&all=1",
        "/api/v1/recordings",
        "/api/v1/calls/c2",
        "/api/v1/calls/c3",
        "/api/v1/leads/L-keep",
    ):
        reply = await gateway.client.get(path, headers=headers)
        assert reply.status == 200, (path, await reply.text())
        found[path] = await reply.json()
    return found


# Strategies ---------------------------------------------------------------------------------


def unprotected(value) -> bool:
    return not (isinstance(value, str) and value.strip().lower() in PROTECTED)


# Named functions, not lambdas, in strategies: Hypothesis labels one by its function, and a
# lambda's label is read from its source with ast.parse, which CPython 3.11 can fail with
# "SystemError: AST constructor recursion depth mismatch" (cpython gh-106905) mid-run.
def _repeat(ch: str, n: int) -> str:
    return ch * n


def _url_word(v: Any) -> bool:
    return unprotected(v) and v not in (".", "..")


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(short_text, inner, max_size=3)


def _byte_range(t: str) -> str:
    return "bytes=" + t


short_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
long_text = st.builds(_repeat, st.sampled_from("x9%/é \x00"), st.integers(300, 6000))
# In a URL: long, yet within the 8190 bytes of a request line HTTP servers take.
long_url_text = st.builds(_repeat, st.sampled_from("x9%/é "), st.integers(256, 600))
WORDS = [
    "anna", "boris", "dora", "eve", "sales", "support", "billing", "admin", "supervisor", "agent", "call",
    "lead", "c1", "c2", "c3", "L-fuzz", "", " ", ".", "..", "%2F", "a/b", "x" * 255, PASSWORD, "null",
    "lead", "in_work", "payment", "fulfilled", "refused",
]  # fmt: skip
words = st.one_of(st.sampled_from(WORDS), short_text, long_text).filter(unprotected)
# Path segments: "." and ".." are dot segments every client resolves (".../agents/../logout"
# would be POST /api/v1/logout), never an id (docs/gateway.md).
url_words = st.one_of(st.sampled_from(WORDS), short_text, long_url_text).filter(_url_word)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 60, 3600, 3601, -1, 10**18, 10**400, 1e300, -1e300]),
)
scalars = st.one_of(words, numbers, st.booleans(), st.none())
json_values = st.recursive(scalars, _nested, max_leaves=6)
QUERY_VALUES = [
    "2026-01-01", "2026-11-23T08:00:00+01:00", "9999-12-31", "0001-01-01T00:00:00+14:00", "2000-01-01",
    "2099-12-31", "yesterday", "day", "hour", "range", "UTC", "Europe/Berlin", "Mars/Olympus", "missed",
    "answered", "abandoned", "in_progress", "not_called", "improper_refusal", "cadence_broken", "1", "0",
    "-1", "50", "500", "501", "nan", "inf", "-inf", "1e309", "1e-309", "20", "sales", "anna", "c1", "",
    "²", "٣", "１２", "1_000", "0x10", " 5", "5 ", "+5", "5.", "2026-W01", "2026-01-01T25:00", "T", "\x00",
]  # fmt: skip
query_values = st.one_of(st.sampled_from(QUERY_VALUES), short_text, long_url_text, numbers.map(str)).filter(unprotected)
RAW_ESCAPES = ["%FF", "%ZZ", "%", "%C3%28", "%00", "%2F%2E%2E"]  # sent as they are: no UTF-8, no escape
RAW_BODIES = [
    b"[1, 2]", b'"text"', b"null", b"{not json", b"\xff\xfe{}", b"[" * 5000, b"1e999999", b"{}{}",
    b'{"a": ' + b"1" * 5000 + b"}", b'{"x": "' + b"a" * 1_100_000 + b'"}',  # past the 1 MiB a request may have
]  # fmt: skip
UNKNOWN_NAMES = ["min_misses", "min_wait_s", "agent_ids", "team", "rights", "due", "", "page_size[]"]
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
RANGES = [
    "bytes=0-99", "bytes=-10", "bytes=100-", "bytes=0-0", "bytes=5-4", "bytes=999999999-", "bytes=-0",
    "bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 30, "bytes=0-1,3-4", "items=0-1", "bytes=", "bytes=a-b",
]  # fmt: skip
ranges = st.one_of(st.sampled_from(RANGES), header_text.map(_byte_range), header_text)


# Values of the documented shape, by parameter or field name (anything else: a word).
VALID = {
    "agent_id": ["anna", "boris", "dora"],
    "to_agent_id": ["boris", "anna", ""],
    "username": ["lena", "eve", "dora", "mallory"],
    "call_id": ["c1", "c2", "c3", "a/b"],
    "lead_id": ["L-open", "L-fuzz"],
    "kind": ["call", "lead", "agent"],
    "subject_kind": ["call", "lead", "agent"],
    "subject_id": ["anna", "c1", "L-fuzz"],
    "period": ["day", "hour", "range"],
    "day": ["2026-12-01", "2000-01-01", "2099-12-31"],
    "hour": ["2026-12-01T09:00:00Z", "2026-12-01T09:00:00"],
    "from": ["2026-01-01", "2026-12-01T08:00:00+01:00"],
    "to": ["2026-12-31", "2099-12-31"],
    "tz": ["UTC", "Europe/Berlin", "Asia/Kolkata"],
    "queue": ["sales", "support"],
    "caller": ["+491", "+492"],
    "outcome": ["answered", "missed", "abandoned", "timed_out", "redirected", "in_progress"],
    "min_talk_s": ["0", "10", "0.5"],
    "max_talk_s": ["60", "3600"],
    "service_level_s": ["20", "0"],
    "page_size": ["1", "2", "50", "500"],
    "page_token": [""],
    "filter": ["", "not_called", "improper_refusal", "cadence_broken"],
    "all": ["1", "0"],
    "password": [PASSWORD, PASSWORD + " 2"],
    "old_password": [PASSWORD],
    "role": ["admin", "supervisor", "agent"],
    "teams": [["sales"], ["support", "sales"]],
    "channels": [[]],
    "reason": ["lunch", "coaching"],
    "seconds": [1, 60, 3600, 0.5],
    "numbers": [[], ["+491"]],
    "text": ["call back", "x" * 2000],
    "tag_agent_ids": [[], ["anna"], ["boris", "anna"]],
    "stage": ["lead", "in_work", "payment", "fulfilled", "refused"],
}


def valid(name: str, known: dict[str, list[str]]):
    """A value of the documented shape: one of the scene's ids (`known`), of VALID, or a word."""
    if name in known:
        return st.sampled_from(known[name])
    return st.sampled_from(VALID[name]) if name in VALID else st.sampled_from(WORDS).filter(unprotected)


def wrong_json(kind: str):
    """A value of another shape than the documented one (or a huge or odd one of it)."""
    return json_values if kind != "string" else st.one_of(json_values, long_text)


@st.composite
def requests(draw, method: str, path: str, op: dict, known: dict[str, list[str]]) -> dict:
    """One request of an operation: its path filled in, a query string, a body, headers;
    of the documented shape, or with one or more things wrong."""
    mutated = draw(st.booleans())
    params = op.get("parameters", [])
    for param in (p for p in params if p["in"] == "path"):
        value = draw(url_words if mutated and draw(st.booleans()) else valid(param["name"], known))
        segment = urllib.parse.quote(value, safe="")
        if mutated and draw(st.integers(0, 9)) == 0:
            segment = draw(st.sampled_from(RAW_ESCAPES))  # as it is: no UTF-8 once decoded
        path = path.replace("{" + param["name"] + "}", segment)
    pairs = []
    for param in (p for p in params if p["in"] == "query"):
        if draw(st.booleans()):
            odd = mutated and draw(st.integers(0, 2)) == 0
            pairs.append((param["name"], draw(query_values if odd else valid(param["name"], known))))
    if mutated and draw(st.integers(0, 3)) == 0:  # odd parameters: unknown or repeated
        taken = [p["name"] for p in params if p["in"] == "query"]
        pairs.append((draw(st.one_of(st.sampled_from(UNKNOWN_NAMES + taken), short_text)), draw(query_values)))
        if draw(st.booleans()):
            pairs.append(pairs[0])
    encoded = [(urllib.parse.quote(k, safe=""), urllib.parse.quote(v, safe="")) for k, v in pairs]
    if encoded and mutated and draw(st.integers(0, 4)) == 0:
        encoded[0] = (encoded[0][0], draw(st.sampled_from(RAW_ESCAPES)))  # as it is: no UTF-8 once decoded
    query = "&".join(f"{k}={v}" for k, v in encoded)
    if len(path) + len(query) > 8000:
        query = query[: query.rfind("&", 0, 8000 - len(path))] if "&" in query[: 8000 - len(path)] else ""
    headers, data = {}, None
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if method != "GET":
        shape = draw(st.integers(0, 9)) if mutated else 0
        if shape <= 7:  # a JSON object: the documented fields, right or wrong, maybe unknown ones
            body = {}
            for name, prop in ((schema or {}).get("properties") or {}).items():
                if draw(st.integers(0, 3)) > 0:
                    odd = mutated and draw(st.integers(0, 2)) == 0
                    body[name] = draw(wrong_json(prop["type"]) if odd else valid(name, known))
            if mutated and draw(st.integers(0, 3)) == 0:
                body[draw(st.one_of(st.sampled_from(UNKNOWN_NAMES), short_text))] = draw(json_values)
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        else:  # no JSON object at all
            data = draw(st.sampled_from(RAW_BODIES))
            headers["Content-Type"] = draw(
                st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain"])
            )
    if "/audio" in path and draw(st.integers(0, 3)) > 0:
        headers["Range"] = draw(ranges if mutated else st.sampled_from(RANGES[:4]))
    return {"method": method, "path": path + ("?" + query if query else ""), "data": data, "headers": headers}


# The property ----------------------------------------------------------------------------------


# A dependency that did not answer within its deadline (the gateway's RPC deadline, Redis's
# socket timeout: 5 s) is answered 503/504, honestly; on a machine stalled for that long it is
# no fault of the request, and only then is it taken.
STALLED_S = 4.5


async def answer_is_sound(reply, request: dict, role: str, took_s: float) -> None:
    raw = await reply.read()
    where = f"{role} {request['method']} {request['path'][:300]}"
    stalled = reply.status in (503, 504) and took_s >= STALLED_S
    assert reply.status < 500 or stalled, (where, reply.status, raw[:500])
    if reply.status >= 400:
        assert reply.content_type == "application/json", (where, reply.status, raw[:200])
        body = json.loads(raw)
        assert isinstance(body.get("error"), str) and body["error"].strip(), (where, body)
        assert not body.get("field") or isinstance(body["field"], str), (where, body)
        if reply.status == 400:
            assert body.get("field"), (where, body)  # a 400 names what is wrong


async def send(gateway, scene: dict, method: str, path: str, request: dict, role: str) -> None:
    headers = {**request["headers"]}
    if role == "anonymous":
        pass
    elif path == "/api/v1/logout":  # a session of its own, so the fuzzing ones live on
        user = "root" if role == "admin" else "anna"
        stored_user = await gateway.users.get(user)
        token, _ = await gateway.app[SESSIONS].create(stored_user.username, stored_user.uid)
        headers["Authorization"] = f"Bearer {token}"
    else:
        headers.update(scene["headers"][role])
    if path == "/api/v1/events" and "?" not in request["path"]:
        async with gateway.client.get(request["path"], headers=headers) as reply:  # a stream: its start
            assert reply.status in (200, 401), reply.status
            if reply.status == 200:
                assert (await asyncio.wait_for(reply.content.readline(), 5)).startswith(b"retry:")
            return
    data = request["data"]
    if data is not None and len(data) > 65536:
        data = io.BytesIO(data)  # how aiohttp's client wants a large body
    started = time.monotonic()
    reply = await gateway.client.request(request["method"], request["path"], data=data, headers=headers)
    async with reply:
        await answer_is_sound(reply, request, role, time.monotonic() - started)


# Every query parameter and body field of every operation also meets each of these once (as
# the admin, the other parameters of the documented shape): random search may miss one value.
EDGE_QUERY_VALUES = ["", " ", "²", "٣", "-1", "0", "1e309", "nan", "\x00", "9" * 30, "x" * 600, "2026-W01-1"]
EDGE_JSON_VALUES = [None, True, -1, 0.5, 10**400, float("nan"), "", "\x00", "x" * 5000, [], {}, ["x"] * 200]


def edge_requests(method: str, path: str, op: dict, known: dict[str, list[str]]) -> list[dict]:
    params = op.get("parameters", [])
    for param in (p for p in params if p["in"] == "path"):
        name = param["name"]
        value = known[name][0] if name in known else VALID.get(name, ["x"])[0]
        path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
    found = []
    for param in (p for p in params if p["in"] == "query"):
        for value in EDGE_QUERY_VALUES:
            query = urllib.parse.urlencode({param["name"]: value})
            found.append({"method": method, "path": f"{path}?{query}", "data": None, "headers": {}})
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema") or {}
    for name in schema.get("properties") or {}:
        for value in EDGE_JSON_VALUES:
            body = json.dumps({name: value}).encode()
            found.append(
                {"method": method, "path": path, "data": body, "headers": {"Content-Type": "application/json"}}
            )
    return found


@pytest.mark.timeout(240)
async def test_no_request_of_the_documented_api_makes_the_gateway_fail_or_change_what_it_must_not(
    scene, quiet_stats, gateway
):
    admin = scene["headers"]["admin"]
    before = await protected_data(gateway, admin)
    roles = {"/api/v1/login": ("anonymous",)}

    loop = asyncio.get_running_loop()

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def every_operation(data):
        """One example: a request to each operation, as each role. Hypothesis runs in a
        thread of its own; the requests run on the test's loop, where the servers live."""
        for method, path, op in OPERATIONS:
            for role in roles.get(path, ("admin", "agent")):
                request = data.draw(requests(method, path, op, scene["known"]), label=f"{method} {path}")
                asyncio.run_coroutine_threadsafe(send(gateway, scene, method, path, request, role), loop).result(60)

    await asyncio.to_thread(every_operation)
    for method, path, op in OPERATIONS:
        if path not in ("/api/v1/login", "/api/v1/events"):
            for request in edge_requests(method, path, op, scene["known"]):
                await send(gateway, scene, method, path, request, "admin")

    # Healthy: both probes, both sessions, and the live feed still relays what happens.
    assert (await gateway.client.get("/healthz")).status == 200
    assert (await gateway.client.get("/readyz")).status == 200, await (await gateway.client.get("/readyz")).text()
    for role in ("admin", "agent"):
        assert (await gateway.client.get("/api/v1/me", headers=scene["headers"][role])).status == 200, role
    async with gateway.client.get("/api/v1/events", headers=admin) as events:
        await events.content.readline()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            await stub.UpsertAgent(pb.UpsertAgentRequest(agent=pb.Agent(id="zoe", endpoint="sip:zoe@pbx")))
            await stub.LoginAgent(pb.LoginAgentRequest(agent_id="zoe"))

        async def zoe_logged_in():
            while line := await events.content.readline():
                if line.startswith(b"data: ") and json.loads(line[6:])["agent_id"] == "zoe":
                    return json.loads(line[6:])

        assert (await asyncio.wait_for(zoe_logged_in(), 5))["type"] == "agent_logged_in"
    await quiet_stats.consumer.drain()  # what the requests sent stats is applied, too
    after = await protected_data(gateway, admin)
    for key in before:
        assert after[key] == before[key], json.dumps([key, before[key], after[key]], default=str)
