"""Pages of call records and recordings are cut after the role filter: every page a user sees
is full except the last, and a next-page token comes only when more items they may see
exist, however many of the backends' items are someone else's. Real stats (applying a real
event stream), recorder, router and HTTP."""

from __future__ import annotations

import time

import pytest

from callcenter.core.event_stream import append
from tests.gateway_fixtures import PASSWORD
from tests.gateway_scenes import setup_team, stored


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def abandoned_calls(redis, tenant, queues: list[str]) -> list[str]:
    """One abandoned call per queue named, oldest first, a second apart, ending a minute ago;
    returns their ids."""
    start = int(time.time() * 1000) - 60_000 - 1000 * len(queues)
    ids = []
    for n, queue in enumerate(queues):
        call_id, at = f"{queue}-{n}", start + 1000 * n
        await append(
            redis, tenant, "call_received", at, call_id=call_id, queue=queue, caller="+49", call_state="routing"
        )
        await append(redis, tenant, "call_abandoned", at + 500, call_id=call_id, queue=queue, call_state="abandoned")
        ids.append(call_id)
    return ids


async def pages(client, path: str) -> list[tuple[list[str], bool]]:
    """Every page of a listing: its ids and whether it came with a next-page token."""
    found, token = [], ""
    kind = path.split("?")[0].rsplit("/", 1)[-1]
    while True:
        reply = await client.get(path + (f"&page_token={token}" if token else ""))
        body = await reply.json()
        assert reply.status == 200, body
        items = body[kind]
        token = body["next_page_token"]
        found.append(([item["call_id" if kind == "calls" else "id"] for item in items], bool(token)))
        if not token:
            return found
        assert len(found) < 20, found


async def test_a_supervisor_of_two_teams_gets_full_pages_of_calls_among_many_of_other_teams(
    backend_addrs, quiet_stats, gateway, redis, tenant
):
    await setup_team(gateway)
    await gateway.users.create("tess", PASSWORD, "supervisor", teams=("sales", "support"))
    queues = ["billing"] * 20 + ["sales"] + ["billing"] * 30 + ["support"] + ["billing"] * 30
    queues += ["sales", "support"] + ["billing"] * 40
    ids = await abandoned_calls(redis, tenant, queues)
    await quiet_stats.consumer.drain()
    tess = await gateway.login("tess")
    mine = [call_id for call_id in reversed(ids) if not call_id.startswith("billing")]  # newest first
    assert await pages(tess, "/api/v1/calls?page_size=3") == [(mine[:3], True), (mine[3:], False)]
    assert await pages(tess, "/api/v1/calls?page_size=2") == [(mine[:2], True), (mine[2:], False)]
    assert await pages(tess, "/api/v1/calls?page_size=4") == [(mine, False)]
    # Calls arriving after page 1 was read, newer than all, neither shift nor repeat page 2.
    first = await (await tess.get("/api/v1/calls?page_size=1")).json()
    now = int(time.time() * 1000)
    for queue in ("sales", "billing", "support"):
        await append(redis, tenant, "call_received", now, call_id=f"late-{queue}", queue=queue, call_state="routing")
    await quiet_stats.consumer.drain()
    second = await (await tess.get(f"/api/v1/calls?page_size=2&page_token={first['next_page_token']}")).json()
    assert [c["call_id"] for c in first["calls"] + second["calls"]] == mine[:3]
    root = await gateway.login("root")  # an admin pages through everything, in the same order
    everything = [call_id for page, _ in await pages(root, "/api/v1/calls?page_size=50") for call_id in page]
    assert everything == ["late-support", "late-sales", "late-billing"] + list(reversed(ids))  # same time: by id
    reply = await tess.get("/api/v1/calls?page_token=bm90LWEtdG9rZW4")
    assert reply.status == 400 and (await reply.json())["field"] == "page_token"


async def test_a_supervisor_gets_full_pages_of_recordings_and_no_token_after_the_last_of_theirs(backend_addrs, gateway):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    agents = ["csilla"] * 12 + ["anna"] + ["csilla"] * 15 + ["boris", "anna"] + ["csilla"] * 20
    recordings = [
        await stored(gateway, agent, f"c{n}", start_ms=1_700_000_000_000 + 1000 * n) for n, agent in enumerate(agents)
    ]
    sam = await gateway.login("sam")  # sales: anna and boris
    mine = [r.id for r in reversed(recordings) if r.agent_id != "csilla"]  # newest first
    assert await pages(sam, "/api/v1/recordings?page_size=2") == [(mine[:2], True), (mine[2:], False)]
    assert await pages(sam, "/api/v1/recordings?page_size=1") == [([i], n < 2) for n, i in enumerate(mine)]
    assert await pages(sam, "/api/v1/recordings?page_size=3") == [(mine, False)]
    reply = await sam.get("/api/v1/recordings?page_token=" + "x" * 5000)
    assert reply.status == 400 and (await reply.json())["field"] == "page_token"
