"""Recordings (S1.5, S4.5), asked of the recorder: a recording is seen by whoever sees its
agent, and by whoever sees the client whose call it is (clients.py); its audio is read in
byte ranges so a player can seek."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import structlog

from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import NotFound

from ..backends import Backends, unless_unknown
from ..users import User
from . import paging
from .access import Visibility
from .agents import visibility
from .clients import sees_client

MAX_RECORDER_PAGE = 1000  # the most recordings the recorder gives in one page
log = structlog.get_logger()
# A download may take longer than one RPC's deadline, never less than this.
DOWNLOAD_TIMEOUT_S = 60.0


async def list_recordings(
    user: User, backends: Backends, filters: rpb.ListRecordingsRequest
) -> tuple[list[rpb.Recording], str]:
    """One page of recordings the user may hear and the next page's token."""
    seen = visibility(user, backends)
    req = rpb.ListRecordingsRequest()
    req.CopyFrom(filters)
    if user.role == "agent":
        if req.agent_id and req.agent_id != user.agent_id:
            raise NotFound(f"agent {req.agent_id} does not exist")
        req.agent_id = user.agent_id
    elif req.agent_id and not await seen.sees_agent(req.agent_id):
        raise NotFound(f"agent {req.agent_id} does not exist")

    async def fetch(token: str, size: int) -> tuple[list[rpb.Recording], str]:
        req.page_token, req.page_size = token, size
        reply: rpb.ListRecordingsResponse = await backends.recorder.ListRecordings(req, timeout=backends.timeout_s)
        return list(reply.recordings), reply.next_page_token

    async def hears(recording: rpb.Recording) -> bool:
        return await seen.sees_agent(recording.agent_id)  # the agents' queues read once

    # The role filter runs before the page is cut (paging.py): full pages, honest tokens.
    return await paging.visible_page(fetch, hears, filters.page_size or 50, filters.page_token, MAX_RECORDER_PAGE)


async def get_recording(user: User, backends: Backends, recording_id: str) -> rpb.Recording:
    reply: rpb.GetRecordingResponse = await backends.recorder.GetRecording(
        rpb.GetRecordingRequest(recording_id=recording_id), timeout=backends.timeout_s
    )
    seen = visibility(user, backends)
    if not await seen.sees_agent(reply.recording.agent_id) and not await _of_seen_client(
        user, backends, seen, reply.recording.call_id
    ):
        raise NotFound(f"recording {recording_id} does not exist")
    return reply.recording


async def _of_seen_client(user: User, backends: Backends, seen: Visibility, call_id: str) -> bool:
    """A recording of a call from a client whose history the user sees (clients.py). Without
    the stats service (which knows the call's caller) it is not: the recording is refused as
    it would be to anyone not seeing its agent, and the outage logged."""
    if not call_id:
        return False
    try:
        call: spb.GetCallRecordResponse | None = await unless_unknown(
            backends.stats.GetCallRecord(spb.GetCallRecordRequest(call_id=call_id), timeout=backends.timeout_s),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise
        log.warning("gateway.recording_client_unknown", call_id=call_id, code=exc.code().name)
        return False
    return call is not None and await sees_client(user, backends, seen, call.record.caller)


@dataclass(frozen=True)
class Audio:
    """A recording the user may hear, and the way to read its bytes."""

    recording: rpb.Recording
    backends: Backends

    async def read(self, first: int, last: int) -> AsyncIterator[bytes]:
        """Bytes first..last (inclusive), chunk by chunk as the recorder sends them."""
        download = self.backends.recorder.DownloadRecording(
            rpb.DownloadRecordingRequest(recording_id=self.recording.id, offset=first, length=last - first + 1),
            timeout=max(self.backends.timeout_s, DOWNLOAD_TIMEOUT_S),
        )
        async for chunk in download:
            data: bytes = chunk.data
            yield data


async def open_audio(user: User, backends: Backends, recording_id: str) -> Audio:
    return Audio(await get_recording(user, backends, recording_id), backends)
