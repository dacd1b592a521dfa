"""Recordings for supervisors (S1.5, S4.5): listing with filters, metadata, and the audio
itself with HTTP range requests so an <audio> element can seek; the HTTP side of
domain/recordings.py."""

from __future__ import annotations

import re

from aiohttp import web

from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.services.gateway.domain import recordings
from callcenter.services.gateway.query import page_size, timestamp_param
from callcenter.services.gateway.web import (
    BACKENDS,
    ApiError,
    accepts,
    check_call_id,
    json_reply,
    message_dict,
    user_of,
)

routes = web.RouteTableDef()
# One range of bytes (RFC 9110 14.1.2): "bytes=first-last", "bytes=first-" or "bytes=-suffix".
_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.IGNORECASE | re.ASCII)
# No recording is that large: a longer number is refused before int() reads it.
MAX_RANGE_DIGITS = 18


def _filters(q) -> rpb.ListRecordingsRequest:
    call_id = q.get("call_id", "")
    req = rpb.ListRecordingsRequest(
        call_id=check_call_id(call_id) if call_id else "",
        agent_id=q.get("agent_id", ""),
        lead_id=q.get("lead_id", ""),
        page_size=page_size(q),
        page_token=q.get("page_token", ""),
    )
    for param, field in (("from", "start_time_from"), ("to", "start_time_to")):
        ts = timestamp_param(q, param)
        if ts is not None:
            getattr(req, field).CopyFrom(ts)
    return req


@routes.get("/api/v1/recordings")
@accepts(query=("call_id", "agent_id", "lead_id", "from", "to", "tz", "page_size", "page_token"))
async def list_recordings(request: web.Request) -> web.Response:
    found, token = await recordings.list_recordings(user_of(request), request.app[BACKENDS], _filters(request.query))
    return json_reply({"recordings": [message_dict(r) for r in found], "next_page_token": token})


@routes.get("/api/v1/recordings/{recording_id}")
@accepts()
async def get_recording(request: web.Request) -> web.Response:
    recording = await recordings.get_recording(
        user_of(request), request.app[BACKENDS], request.match_info["recording_id"]
    )
    return json_reply({"recording": message_dict(recording)})


def _unsatisfiable(size: int, problem: str) -> ApiError:
    return ApiError(416, f"Range: {problem}", "Range", {"Content-Range": f"bytes */{size}"})


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive of the Range header; None without one. A header that is no
    single byte range, or numbers beyond any recording, are a 416 saying why."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if not match or not (match.group(1) or match.group(2)):
        raise _unsatisfiable(size, "must be one byte range: bytes=first-last, bytes=first- or bytes=-count")
    first, last = match.group(1), match.group(2)
    if max(len(first), len(last)) > MAX_RANGE_DIGITS:
        raise _unsatisfiable(size, f"positions have at most {MAX_RANGE_DIGITS} digits (the file has {size} bytes)")
    if not first:  # suffix: the last N bytes; the last 0 bytes cannot be served
        n = int(last)
        if n == 0 or size == 0:
            raise _unsatisfiable(size, f"bytes=-{n} selects no bytes")
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise _unsatisfiable(size, f"bytes={first}-{last} is outside the recording's {size} bytes")
    return start, end


@routes.get("/api/v1/recordings/{recording_id}/audio")
@accepts()
async def recording_audio(request: web.Request) -> web.StreamResponse:
    """The recording's WAV file; honours `Range: bytes=a-b` (206 Partial Content)."""
    audio = await recordings.open_audio(user_of(request), request.app[BACKENDS], request.match_info["recording_id"])
    recording = audio.recording
    size = recording.size_bytes
    byte_range = _byte_range(request.headers.get("Range"), size)
    first, last = byte_range if byte_range else (0, size - 1)
    headers = {
        "Content-Type": recording.content_type or "audio/wav",
        "Accept-Ranges": "bytes",
        "Content-Length": str(last - first + 1),
        "Cache-Control": "no-store",  # nothing left in a browser cache to play after logout
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    response = web.StreamResponse(status=206 if byte_range else 200, headers=headers)
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    async for data in audio.read(first, last):
        await response.write(data)
    await response.write_eof()
    return response
