"""Recordings through the gateway: listing by role and playback with HTTP ranges, against a
real recorder, router and Redis."""

from __future__ import annotations

import pytest

from tests.gateway_scenes import setup_team, stored


@pytest.fixture
async def backend_addrs(start_recorder):
    recorder = await start_recorder()
    return {"recorder_addr": f"127.0.0.1:{recorder.port}"}


async def test_recordings_are_listed_by_role_and_play_with_ranges(backend_addrs, gateway):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    anna_rec = await stored(gateway, "anna", "c1")
    csilla_rec = await stored(gateway, "csilla", "c2")

    sam = await gateway.login("sam")
    listed = (await (await sam.get("/api/v1/recordings")).json())["recordings"]
    assert [r["id"] for r in listed] == [anna_rec.id]
    assert (await sam.get(f"/api/v1/recordings/{csilla_rec.id}")).status == 404
    assert (await sam.get(f"/api/v1/recordings/{csilla_rec.id}/audio")).status == 404

    whole = await sam.get(f"/api/v1/recordings/{anna_rec.id}/audio")
    assert whole.status == 200 and whole.headers["Accept-Ranges"] == "bytes"
    body = await whole.read()
    assert len(body) == anna_rec.size_bytes and body[:4] == b"RIFF" and body[8:12] == b"WAVE"
    part = await sam.get(f"/api/v1/recordings/{anna_rec.id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{anna_rec.size_bytes}"
    assert await part.read() == body[100:200]
    tail = await sam.get(f"/api/v1/recordings/{anna_rec.id}/audio", headers={"Range": "bytes=-10"})
    assert tail.status == 206 and await tail.read() == body[-10:]
    outside = await sam.get(f"/api/v1/recordings/{anna_rec.id}/audio", headers={"Range": f"bytes={len(body)}-"})
    assert outside.status == 416

    anna = await gateway.login("anna")
    assert [r["id"] for r in (await (await anna.get("/api/v1/recordings")).json())["recordings"]] == [anna_rec.id]
    assert (await anna.get("/api/v1/recordings?agent_id=csilla")).status == 404
    root = await gateway.login("root")
    everything = (await (await root.get("/api/v1/recordings")).json())["recordings"]
    assert sorted(r["id"] for r in everything) == sorted([anna_rec.id, csilla_rec.id])
    assert (await root.get("/api/v1/recordings?from=yesterday")).status == 400


async def test_a_supervisors_page_of_recordings_is_never_empty_while_more_of_theirs_are_behind(backend_addrs, gateway):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    anna_rec = await stored(gateway, "anna", "c1")  # the oldest: the recorder lists it last
    for n in range(3):
        await stored(gateway, "csilla", f"c{n + 2}")  # another team's, newer
    sam = await gateway.login("sam")
    page = await (await sam.get("/api/v1/recordings?page_size=2")).json()
    assert [r["id"] for r in page["recordings"]] == [anna_rec.id]


MALFORMED_RANGES = [
    "bytes=" + "9" * 5000 + "-",
    "bytes=0-" + "9" * 5000,
    "bytes=-" + "9" * 5000,
    "bytes=0-" + "9" * 19,
    "bytes=abc-def",
    "bytes=-",
    "bytes=0-1,5-9",
    "items=0-9",
    "bytes=5",
    "",
]


async def test_a_malformed_or_huge_range_is_a_416_saying_why(backend_addrs, gateway):
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await setup_team(gateway)
    rec = await stored(gateway, "anna", "c1")
    root = await gateway.login("root")
    for header in MALFORMED_RANGES:
        reply = await root.get(f"/api/v1/recordings/{rec.id}/audio", headers={"Range": header})
        body = await reply.json()
        assert reply.status == 416, (header[:40], body)
        assert body["field"] == "Range" and body["error"].startswith("Range: ") and len(body["error"]) < 200, body
        assert reply.headers["Content-Range"] == f"bytes */{rec.size_bytes}"
    # The largest number taken still reads as a range: to the end of the file.
    reply = await root.get(f"/api/v1/recordings/{rec.id}/audio", headers={"Range": "bytes=4-" + "9" * 18})
    assert reply.status == 206 and len(await reply.read()) == rec.size_bytes - 4
