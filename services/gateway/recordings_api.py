"""Recordings for supervisors (S1.5, S4.5): listing with filters, metadata, and the audio
itself with HTTP range requests so an <audio> element can seek. Everything is asked of the
recorder; visibility follows the recording's agent."""

from __future__ import annotations

import re

from aiohttp import web

from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.services.gateway import access
from callcenter.services.gateway.query import page_size, timestamp_param
from callcenter.services.gateway.web import (
    BACKENDS,
    ApiError,
    check_call_id,
    json_reply,
    message_dict,
    user_of,
    visibility,
)

routes = web.RouteTableDef()
# At most 18 digits each (no file is larger): a longer number is no range we serve, and the
# header is ignored as RFC 9110 allows (the whole file), never a 500 from int().
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
# Recorder pages read at most for one page of a user who sees only part of them.
MAX_PAGES_READ = 10


def recorder(request: web.Request) -> recorder_pb2_grpc.RecorderServiceStub:
    return recorder_pb2_grpc.RecorderServiceStub(request.app[BACKENDS].recorder_channel)


async def _visible(request: web.Request, recording: rpb.Recording) -> bool:
    return await visibility(request).sees_agent(recording.agent_id)


async def _recording(request: web.Request) -> rpb.Recording:
    b = request.app[BACKENDS]
    recording_id = request.match_info["recording_id"]
    reply = await recorder(request).GetRecording(
        rpb.GetRecordingRequest(recording_id=recording_id), timeout=b.timeout_s
    )
    if not await _visible(request, reply.recording):
        raise access.Hidden(f"recording {recording_id} does not exist")
    return reply.recording


@routes.get("/api/v1/recordings")
async def list_recordings(request: web.Request) -> web.Response:
    user = user_of(request)
    q = request.query
    agent_id = q.get("agent_id", "")
    if user.role == "agent":
        if agent_id and agent_id != user.agent_id:
            raise access.Hidden(f"agent {agent_id} does not exist")
        agent_id = user.agent_id
    elif agent_id and not await visibility(request).sees_agent(agent_id):
        raise access.Hidden(f"agent {agent_id} does not exist")
    call_id = q.get("call_id", "")
    req = rpb.ListRecordingsRequest(
        call_id=check_call_id(call_id) if call_id else "",
        agent_id=agent_id,
        lead_id=q.get("lead_id", ""),
        page_size=page_size(q),
        page_token=q.get("page_token", ""),
    )
    for param, field in (("from", "start_time_from"), ("to", "start_time_to")):
        ts = timestamp_param(q, param)
        if ts is not None:
            getattr(req, field).CopyFrom(ts)
    # Filtering is by the user's rights, after the recorder's paging: read on (a few pages at
    # most) until the page is full, so a supervisor never gets an empty page with more behind.
    wanted, visible = req.page_size or 50, []
    for _ in range(MAX_PAGES_READ):
        reply = await recorder(request).ListRecordings(req, timeout=request.app[BACKENDS].timeout_s)
        visible += [r for r in reply.recordings if await _visible(request, r)]
        if len(visible) >= wanted or not reply.next_page_token:
            break
        req.page_token = reply.next_page_token
    return json_reply({"recordings": [message_dict(r) for r in visible], "next_page_token": reply.next_page_token})


@routes.get("/api/v1/recordings/{recording_id}")
async def get_recording(request: web.Request) -> web.Response:
    return json_reply({"recording": message_dict(await _recording(request))})


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive of a single-range Range header; None for no/unsupported range."""
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # suffix: the last N bytes; the last 0 bytes cannot be served
        n = int(last)
        if n == 0 or size == 0:
            raise ApiError(416, f"range: {header} selects no bytes", "Range", {"Content-Range": f"bytes */{size}"})
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ApiError(
            416,
            f"range: {header} is outside the recording's {size} bytes",
            "Range",
            {"Content-Range": f"bytes */{size}"},
        )
    return start, end


@routes.get("/api/v1/recordings/{recording_id}/audio")
async def recording_audio(request: web.Request) -> web.StreamResponse:
    """The recording's WAV file; honours `Range: bytes=a-b` (206 Partial Content)."""
    recording = await _recording(request)
    size = recording.size_bytes
    byte_range = _byte_range(request.headers.get("Range", ""), size)
    first, last = byte_range if byte_range else (0, size - 1)
    headers = {
        "Content-Type": recording.content_type or "audio/wav",
        "Accept-Ranges": "bytes",
        "Content-Length": str(last - first + 1),
        "Cache-Control": "private, max-age=3600",
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    response = web.StreamResponse(status=206 if byte_range else 200, headers=headers)
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    download = recorder(request).DownloadRecording(
        rpb.DownloadRecordingRequest(recording_id=recording.id, offset=first, length=last - first + 1),
        timeout=max(request.app[BACKENDS].timeout_s, 60),
    )
    async for chunk in download:
        await response.write(chunk.data)
    await response.write_eof()
    return response
