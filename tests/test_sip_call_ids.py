"""SIP Call-IDs as call ids outside the router: stats, the recorder and the gateway take any
printable ASCII id without whitespace of 1-255 bytes (callcenter/core/call_ids.py) end to end, and
refuse anything else as a bad argument naming the field, never as an internal error.

Events reach stats as the router writes them (XADD to the tenant's stream, tests/stats_fixtures.py),
so these tests do not depend on the router."""

from __future__ import annotations

import asyncio
import pathlib
import re
import time
import urllib.parse

import grpc
import pytest
from yarl import URL

from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from callcenter.core.call_ids import CALL_ID_PATTERN, MAX_CALL_ID_BYTES, call_id_problem
from callcenter.services.stats.model import CallFilter
from tests.gateway_fixtures import PASSWORD, csrf
from tests.helpers import event_types, read_events
from tests.recorder_fixtures import (
    chunks,
    download,
    metadata,
    parse_wav,
    refusal,
    status,
    tone,
    upload,
)
from tests.stats_fixtures import EventScript

EVERY_CHARACTER = "".join(chr(c) for c in range(0x21, 0x7F))  # all 94 a Call-ID may hold
LONGEST = ("a84b4c76e66710@pc33.example.com/" + EVERY_CHARACTER) * 3
LONGEST = LONGEST[:MAX_CALL_ID_BYTES]
SIP_IDS = [
    "a84b4c76e66710@pc33.example.com",  # RFC 3261's example
    "!~%*/=+[]{}|#?'\"<>\\",
    "a/../../etc/passwd",
    "..",
    ".",
    "%2F%00%",  # looks percent-encoded, is not
    EVERY_CHARACTER,
    LONGEST,
]
# Ids that look like the separators of keys, indexes and page tokens.
SEPARATOR_IDS = ["c1", "c1:offers", "c1:recordings", "c1|x", "c1,x", "c1:x", "{c1}", '"c1"', "c1\\", "c1#2"]
NOT_CALL_IDS = [
    "x" * (MAX_CALL_ID_BYTES + 1),
    "with space",
    "tab\there",
    "line\nbreak",
    "trailing-newline\n",
    "nul\x00",
    "del\x7f",
    "caf\u00e9",  # not ASCII
    "\u00e9" * 128,  # 128 characters, 256 bytes
]


def test_the_call_id_rule_is_a_sip_call_id():
    for call_id in SIP_IDS + SEPARATOR_IDS:
        assert call_id_problem(call_id) is None, call_id
        assert CALL_ID_PATTERN.fullmatch(call_id)
    assert len(LONGEST.encode()) == MAX_CALL_ID_BYTES == 255
    for call_id in NOT_CALL_IDS:
        assert call_id_problem(call_id), call_id
    assert call_id_problem("") == "is required"
    assert "\n" not in call_id_problem("line\nbreak")  # the message quotes the value safely


# Stats -----------------------------------------------------------------------------------------


def now_script(redis, tenant) -> EventScript:
    """Events a minute ago (the gRPC service lists calls up to the system clock's now)."""
    return EventScript(redis, tenant, int(time.time() * 1000) - 60_000)


async def eventually(check, timeout_s: float = 5.0):
    """Polls an async check until it returns a truthy value (consumers run in the background)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_stats_records_a_call_whose_id_has_every_sip_character(script, make_consumer, stats, redis):
    for call_id in SIP_IDS:
        await script.answered_call(call_id, "sales", "anna", ring_s=2, talk_s=30, wrap_s=5, wait_s=1)
        await script.emit("RECORDING_STORED", call_id=call_id, agent_id="anna", recording_id="r" + str(len(call_id)))
        script.advance(1)
    consumer = make_consumer()
    await consumer.drain()
    assert await redis.xlen(consumer.keys.dead_letters) == 0
    for call_id in SIP_IDS:
        record = await stats.call_record(call_id)
        assert record.call_id == call_id
        assert (record.outcome, record.agent_id, record.talk_ms, record.wrap_ms) == ("completed", "anna", 30_000, 5_000)
        assert [(o.attempt, o.agent_id, o.outcome) for o in record.offers] == [(1, "anna", "answered")]
        assert record.recording_ids == ["r" + str(len(call_id))]
    records, token = await stats.call_records(CallFilter(agent_id="anna"), 100, "")
    assert [r.call_id for r in records] == SIP_IDS[::-1] and token == ""  # newest first


async def test_a_call_id_ending_in_offers_or_recordings_keeps_its_own_record(script, make_consumer, stats, redis):
    for n, call_id in enumerate(SEPARATOR_IDS):
        await script.receive(call_id, "sales", caller=f"+49{n}")
        await script.offer(call_id, "anna")
        script.advance(1)
        await script.miss(call_id)
        await script.offer(call_id, "boris")
        script.advance(1)
        await script.answer(call_id)
        script.advance(10 + n)
        await script.complete(call_id, wrap_up=False)
        await script.emit("RECORDING_STORED", call_id=call_id, agent_id="boris", recording_id=f"rec{n}")
    consumer = make_consumer()
    await consumer.drain()
    assert await redis.xlen(consumer.keys.dead_letters) == 0  # no event refused (WRONGTYPE)
    for n, call_id in enumerate(SEPARATOR_IDS):
        record = await stats.call_record(call_id)
        assert (record.call_id, record.caller, record.talk_ms) == (call_id, f"+49{n}", (10 + n) * 1000)
        assert [(o.attempt, o.agent_id, o.outcome) for o in record.offers] == [
            (1, "anna", "no_answer"),
            (2, "boris", "answered"),
        ]
        assert record.recording_ids == [f"rec{n}"]
    # Deleting c1's recording leaves "c1:recordings" (whose record sits where c1's recordings
    # were kept before) alone.
    await script.emit("RECORDING_DELETED", call_id="c1", agent_id="boris", recording_id="rec0")
    await consumer.drain()
    assert await redis.xlen(consumer.keys.dead_letters) == 0
    assert (await stats.call_record("c1")).recording_ids == []
    assert (await stats.call_record("c1:recordings")).recording_ids == [f"rec{SEPARATOR_IDS.index('c1:recordings')}"]


async def test_call_record_pages_neither_repeat_nor_skip_ids_with_separators(script, make_consumer, stats):
    ids = SEPARATOR_IDS + SIP_IDS
    for call_id in ids:  # all at one arrival time: the page position falls back on the id
        await script.receive(call_id, "sales")
    await make_consumer().drain()
    for page_size in (1, 2, 3):
        seen, token = [], ""
        while True:
            page, token = await stats.call_records(CallFilter(), page_size, token)
            seen += [r.call_id for r in page]
            if not token:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == len(ids), page_size


async def test_stats_serves_sip_call_ids_over_grpc_and_refuses_others(start_stats, redis, tenant):
    service = await start_stats()
    script = now_script(redis, tenant)
    for call_id in SIP_IDS:
        await script.answered_call(call_id, "sales", "anna", ring_s=1, talk_s=5)
        script.advance(1)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)

        async def all_listed():  # page by page, once stats has applied every call
            listed, token = [], None
            while token != "":
                reply = await stub.ListCallRecords(spb.ListCallRecordsRequest(page_size=3, page_token=token or ""))
                listed += [r.call_id for r in reply.records]
                token = reply.next_page_token
            return listed if len(listed) == len(SIP_IDS) else None

        assert await eventually(all_listed) == SIP_IDS[::-1]
        for call_id in SIP_IDS:

            async def completed(call_id=call_id):
                reply = await stub.GetCallRecord(spb.GetCallRecordRequest(call_id=call_id))
                return reply if reply.record.outcome == spb.CALL_OUTCOME_COMPLETED else None

            reply = await eventually(completed)
            assert reply.record.call_id == call_id and reply.record.agent_id == "anna"
        for call_id in [*NOT_CALL_IDS, ""]:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetCallRecord(spb.GetCallRecordRequest(call_id=call_id))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, call_id
            assert refused.value.details().startswith("call_id:")
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.GetCallRecord(spb.GetCallRecordRequest(call_id="never@seen"))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_call_record_of_the_previous_key_layout_keeps_its_offers_and_recordings(
    redis, tenant, script, make_consumer, stats
):
    """Records stored before offers and recordings moved to keys of their own are read as
    they were (they expire with the retention), and later events of the call add to them."""
    prefix = f"cc:{{{tenant}}}:stats:"
    received = str(script.now)
    await redis.hset(f"{prefix}call:old-1", mapping={"id": "old-1", "queue": "sales", "received": received})
    await redis.hset(f"{prefix}call:old-1:offers", mapping={"1:agent": "anna", "1:outcome": "no_answer"})
    await redis.sadd(f"{prefix}call:old-1:recordings", "rec-old", "rec-old-2")
    record = await stats.call_record("old-1")
    assert [(o.agent_id, o.outcome) for o in record.offers] == [("anna", "no_answer")]
    assert record.recording_ids == ["rec-old", "rec-old-2"]
    await script.emit("RECORDING_DELETED", call_id="old-1", agent_id="anna", recording_id="rec-old")
    await script.emit("RECORDING_STORED", call_id="old-1", agent_id="boris", recording_id="rec-new")
    await script.emit("OFFER_MISSED", call_id="old-1", agent_id="boris", queue="sales", reason="busy", attempt=2)
    await make_consumer().drain()
    record = await stats.call_record("old-1")
    assert [(o.agent_id, o.outcome) for o in record.offers] == [("anna", "no_answer"), ("boris", "busy")]
    assert record.recording_ids == ["rec-new", "rec-old-2"]


# Recorder --------------------------------------------------------------------------------------


def stored_files(root: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def test_a_recording_of_a_call_with_a_sip_call_id_is_stored_listed_and_downloaded(
    recorder_stub, recorder, redis, tenant, tmp_path
):
    audio = tone(0.5)
    stored = {}
    for call_id in SIP_IDS:
        recording = await upload(recorder_stub, audio, metadata(call_id, lead_id="L-1"))
        assert recording.call_id == call_id
        assert re.fullmatch(r"[0-9a-f]{32}", recording.id)  # unique and URL-safe, whatever the call id
        stored[call_id] = recording
    assert len({r.id for r in stored.values()}) == len(SIP_IDS)
    for call_id, recording in stored.items():
        assert (await status(recorder_stub, call_id)).state == rpb.UPLOAD_STATE_STORED
        listed = await recorder_stub.ListRecordings(rpb.ListRecordingsRequest(call_id=call_id))
        assert [r.id for r in listed.recordings] == [recording.id]
        got = await recorder_stub.GetRecording(rpb.GetRecordingRequest(recording_id=recording.id))
        assert got.recording.call_id == call_id
        assert parse_wav(await download(recorder_stub, recording.id)).frames == audio
    # Every file is under the storage folder, named after the recording id, never the call id.
    root = recorder.config.recordings_dir
    assert not (tmp_path.parent / "etc").exists() and not (root.parent / "etc").exists()
    files = stored_files(root)
    assert files == sorted(f"{r.id[:2]}/{r.id}.wav" for r in stored.values())
    events = [e for e in await read_events(redis, tenant) if event_types([e]) == ["RECORDING_STORED"]]
    assert [e.call_id for e in events] == SIP_IDS
    # A second leg of one call, and a second call, never collide with the first.
    again = await recorder_stub.ListRecordings(rpb.ListRecordingsRequest(page_size=3))
    seen, token = [r.id for r in again.recordings], again.next_page_token
    while token:
        page = await recorder_stub.ListRecordings(rpb.ListRecordingsRequest(page_size=3, page_token=token))
        seen += [r.id for r in page.recordings]
        token = page.next_page_token
    assert sorted(seen) == sorted(r.id for r in stored.values())


async def test_an_interrupted_upload_of_the_longest_call_id_resumes(recorder_stub):
    audio = tone(1.0)
    cut = 3200
    reply = await refusal(
        recorder_stub, [rpb.UploadRecordingRequest(metadata=metadata(LONGEST)), *chunks(audio[:cut])], keep_open=False
    )
    assert reply.code() == grpc.StatusCode.INVALID_ARGUMENT  # closed without the end message: kept
    interrupted = await status(recorder_stub, LONGEST)
    assert (interrupted.state, interrupted.committed_offset) == (rpb.UPLOAD_STATE_INTERRUPTED, cut)
    recording = await upload(recorder_stub, audio, metadata(LONGEST, resume_offset=cut), start=cut)
    assert recording.call_id == LONGEST and recording.id == interrupted.recording_id
    assert parse_wav(await download(recorder_stub, recording.id)).frames == audio


async def test_the_recorder_refuses_a_call_id_that_is_no_sip_call_id(recorder_stub, tmp_path):
    for call_id in [*NOT_CALL_IDS, ""]:
        refused = await refusal(recorder_stub, [rpb.UploadRecordingRequest(metadata=metadata(call_id))])
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT, call_id
        assert refused.details().startswith("metadata.call_id:"), refused.details()
        for ask in (
            recorder_stub.GetUploadStatus(rpb.GetUploadStatusRequest(call_id=call_id, leg=rpb.LEG_MIXED)),
            recorder_stub.ListRecordings(rpb.ListRecordingsRequest(call_id=call_id)) if call_id else None,
        ):
            if ask is None:
                continue
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await ask
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, call_id
            assert caught.value.details().startswith("call_id:"), caught.value.details()
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".raw", ".wav")] == []


# Gateway ---------------------------------------------------------------------------------------


@pytest.fixture
async def full_backends(start_stats, start_recorder):
    stats, recorder = await start_stats(), await start_recorder()
    return {"stats_addr": f"127.0.0.1:{stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


def segment(call_id: str) -> str:
    """The call id as one URL path segment, as a client must send it: every reserved
    character percent-encoded (encodeURIComponent, plus the dots of "." and "..", which
    clients would otherwise remove as dot segments)."""
    encoded = urllib.parse.quote(call_id, safe="")
    return encoded.replace(".", "%2E") if set(call_id) == {"."} else encoded


async def get_raw(client, path: str):
    """GET of an already encoded path, exactly as given (no dot-segment removal)."""
    return await client.session.get(URL(str(client.make_url("/")).rstrip("/") + path, encoded=True))


async def gateway_team(gateway):
    from tests.gateway_scenes import setup_team

    await setup_team(gateway)
    return await gateway.login("root"), await gateway.login("sam")


async def test_the_gateway_serves_a_call_record_whose_id_has_a_slash(full_backends, gateway, redis, tenant):
    root, sam = await gateway_team(gateway)
    script = now_script(redis, tenant)
    for call_id in SIP_IDS:
        await script.answered_call(call_id, "sales", "anna", ring_s=1, talk_s=5)
        script.advance(1)

    async def all_listed():
        calls = (await (await root.get("/api/v1/calls?page_size=100")).json())["calls"]
        return calls if len(calls) == len(SIP_IDS) and all(c["outcome"] == "answered" for c in calls) else None

    calls = await eventually(all_listed)
    assert [c["call_id"] for c in calls] == SIP_IDS[::-1]
    for call_id in SIP_IDS:
        for client in (root, sam):
            reply = await get_raw(client, f"/api/v1/calls/{segment(call_id)}")
            assert reply.status == 200, (call_id, await reply.text())
            body = await reply.json()
            assert body["call"]["call_id"] == body["record"]["call_id"] == call_id
            by_query = await client.get("/api/v1/calls", params={"call_id": call_id})
            assert by_query.status == 200
            assert [c["call_id"] for c in (await by_query.json())["calls"]] == [call_id]
    # What a browser's encodeURIComponent gives (dots left as they are) works for every id
    # but "." and "..", which browsers remove as dot segments: those take ?call_id=.
    reply = await root.get("/api/v1/calls/" + urllib.parse.quote("a/../../etc/passwd", safe=""))
    assert (await reply.json())["call"]["call_id"] == "a/../../etc/passwd"
    missing = await get_raw(root, "/api/v1/calls/" + segment("never@seen/x"))
    assert missing.status == 404 and "never@seen/x" in (await missing.json())["error"]


async def test_the_gateway_refuses_a_call_id_that_is_no_sip_call_id_naming_the_field(full_backends, gateway):
    root, _ = await gateway_team(gateway)
    for call_id in NOT_CALL_IDS:
        encoded = urllib.parse.quote(call_id, safe="")
        for path, field in (
            (f"/api/v1/calls/{encoded}", "call_id"),
            (f"/api/v1/calls?call_id={encoded}", "call_id"),
            (f"/api/v1/recordings?call_id={encoded}", "call_id"),
            (f"/api/v1/comments/call/{encoded}", "subject_id"),
        ):
            reply = await get_raw(root, path)
            assert reply.status == 400, (path, await reply.text())
            assert (await reply.json())["field"] == field, path
        reply = await root.post(
            "/api/v1/comments",
            json={"subject_kind": "call", "subject_id": call_id, "text": "hm", "tag_agent_ids": []},
            headers=csrf(root),
        )
        assert reply.status == 400 and (await reply.json())["field"] == "subject_id", call_id
    # Bytes that are no UTF-8 at all, percent-encoded.
    reply = await get_raw(root, "/api/v1/calls/%FF%FE")
    assert reply.status == 400 and (await reply.json())["field"] == "call_id"
    # A bad argument the backend refuses is named too (stats: "page_token: …").
    reply = await root.get("/api/v1/calls", params={"page_token": "bm9wZQ"})
    assert reply.status == 400 and (await reply.json())["field"] == "page_token"


async def test_the_gateway_lists_and_plays_recordings_of_sip_call_ids(full_backends, gateway):
    root, sam = await gateway_team(gateway)
    audio = tone(0.25)
    async with grpc.aio.insecure_channel(full_backends["recorder_addr"]) as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        stored = {call_id: await upload(stub, audio, metadata(call_id)) for call_id in SIP_IDS}
    for call_id, recording in stored.items():
        reply = await sam.get("/api/v1/recordings", params={"call_id": call_id})
        assert reply.status == 200
        assert [r["id"] for r in (await reply.json())["recordings"]] == [recording.id]
        played = await sam.get(f"/api/v1/recordings/{recording.id}/audio")
        assert played.status == 200 and parse_wav(await played.read()).frames == audio


async def test_supervisors_comment_on_calls_with_sip_call_ids(full_backends, gateway, redis, tenant):
    root, sam = await gateway_team(gateway)
    script = now_script(redis, tenant)
    for call_id in SIP_IDS:
        await script.answered_call(call_id, "sales", "anna", ring_s=1, talk_s=5)

    async def all_recorded():
        calls = (await (await root.get("/api/v1/calls?page_size=100")).json())["calls"]
        return len(calls) == len(SIP_IDS)

    await eventually(all_recorded)
    for call_id in SIP_IDS:
        reply = await sam.post(
            "/api/v1/comments",
            json={"subject_kind": "call", "subject_id": call_id, "text": f"about {call_id}", "tag_agent_ids": ["anna"]},
            headers=csrf(sam),
        )
        assert reply.status == 201, await reply.text()
        listed = await get_raw(sam, f"/api/v1/comments/call/{segment(call_id)}")
        assert listed.status == 200, await listed.text()
        assert [c["subject_id"] for c in (await listed.json())["comments"]] == [call_id]
    anna = await gateway.login("anna", PASSWORD)
    tasks = (await (await anna.get("/api/v1/tasks")).json())["tasks"]
    assert sorted(t["subject_id"] for t in tasks) == sorted(SIP_IDS)


# Interpolations the pages' scripts put in URLs that need no encoding: a constant action
# path of the dashboard; query() returns URLSearchParams' encoding.
SAFE_PARTS = ("path",)
ENCODERS = ("encodeURIComponent(", "query(", "new URLSearchParams(")


def test_the_dashboard_encodes_every_value_it_puts_in_a_url():
    """The pages' scripts build URLs only with encodeURIComponent or URLSearchParams, so a
    call id (or any id) with "/", "?", "#" or "%" stays one value; they show ids only as text."""
    static = pathlib.Path(__file__).parent.parent / "services" / "gateway" / "static"
    for script_file in sorted(static.glob("*.js")):
        source = script_file.read_text()
        # Names the script binds to an encoded value: `const range = new URLSearchParams(...)`,
        # `const asked = query({...})`.
        binding = r"(?:const|let)\s+(\w+)\s*=\s*(?:new URLSearchParams|encodeURIComponent|query)\("
        encoded = set(re.findall(binding, source))
        for template in re.findall(r"`(/[^`]*)`", source):  # template literals that are paths
            for expression in re.findall(r"\$\{([^}]*)\}", template):
                safe = expression.startswith(ENCODERS) or expression in SAFE_PARTS or expression in encoded
                assert safe, (script_file.name, template)
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, script_file.name
