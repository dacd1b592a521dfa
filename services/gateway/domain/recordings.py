"""Recordings (S1.5, S4.5), asked of the recorder: a recording is seen by whoever sees its
agent; its audio is read in byte ranges so a player can seek."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.core.errors import NotFound

from ..backends import Backends
from ..users import User
from . import paging
from .agents import visibility

MAX_RECORDER_PAGE = 1000  # the most recordings the recorder gives in one page
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
    if not await visibility(user, backends).sees_agent(reply.recording.agent_id):
        raise NotFound(f"recording {recording_id} does not exist")
    return reply.recording


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
