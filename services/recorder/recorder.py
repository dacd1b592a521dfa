"""The recorder's domain: receiving uploads durably, storing them as WAV files, finding,
serving, holding and deleting recordings. Knows nothing of gRPC.

An upload's life:
  begin    lock the call leg (a Redis lock with a lease, renewed while the stream lives),
           create or reopen the staged raw file, record the session in Redis
  write    append chunks in order; every commit_bytes or commit_interval_ms: fsync, then
           record the committed offset in Redis (a crash loses at most the uncommitted tail,
           and the PBX resumes from the committed offset)
  finish   the end message came (with the total size, which must match): write the WAV
           file (decoding G.711 to PCM), fsync, publish it atomically, catalogue it and
           emit RECORDING_STORED in one Redis script. Only then is the upload acknowledged.
  suspend  the stream broke (client gone, bad chunk, shutdown, or it closed without the end
           message — grpc.aio ends a cancelled client's request stream like a finished one,
           so only the end message tells a complete recording): commit what arrived, unlock.
           A later upload resumes it; after idle_finalize_ms the sweep stores it as partial.
  discard  over the size limit, or no audio at all: nothing is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

import redis.asyncio as aioredis
import structlog

from callcenter.core import errors, event_stream
from callcenter.core.clock import Clock
from callcenter.services.recorder import metrics as recorder_metrics
from callcenter.services.recorder import wav
from callcenter.services.recorder.catalog import Catalog
from callcenter.services.recorder.model import (
    AlreadyExists,
    Busy,
    Chunk,
    End,
    FailedPrecondition,
    InvalidArgument,
    Leg,
    NotFound,
    OutOfRange,
    Recording,
    TooLarge,
    UploadMetadata,
    UploadState,
    UploadStatus,
    check_call_id,
    check_optional_ids,
)
from callcenter.services.recorder.storage import RecordingStorage, Staging

log = structlog.get_logger(__name__)

T = TypeVar("T")
DAY_MS = 86_400_000
_CONVERT_BLOCK = 1 << 20  # bytes of raw audio converted at a time when writing the WAV file


class ShuttingDown(errors.Unavailable):
    """The recorder is stopping and takes no new uploads."""


class NoAudio(InvalidArgument):
    """An upload ended without a single byte of audio."""


@dataclass(frozen=True)
class RecorderLimits:
    """The recorder's tunables (RecorderConfig fills them from the environment)."""

    max_upload_bytes: int = 256 * 1024 * 1024
    commit_bytes: int = 256 * 1024
    commit_interval_ms: int = 1000
    upload_lease_ms: int = 30_000
    idle_finalize_ms: int = 600_000
    retention_days: int = 365
    download_chunk_bytes: int = 64 * 1024
    event_stream_maxlen: int = 1_000_000


class Upload:
    """One call leg's audio arriving on one stream, appended to a staged raw file."""

    def __init__(
        self, recorder: Recorder, metadata: UploadMetadata, recording_id: str, token: str, file: BinaryIO, offset: int
    ) -> None:
        self.recorder = recorder
        self.metadata = metadata
        self.recording_id = recording_id
        self.token = token
        self.file = file
        self.offset = offset  # bytes received in order (all written to the file)
        self.committed = offset  # bytes fsynced and recorded in Redis
        self._last_commit = time.monotonic()
        self._closed = False

    @property
    def lock(self) -> tuple[str, Leg, str]:
        return (self.metadata.call_id, self.metadata.leg, self.token)

    async def write(self, offset: int, data: bytes) -> None:
        if offset != self.offset:
            raise InvalidArgument(
                "chunk.offset",
                f"expected {self.offset}, got {offset}: chunks must come in order without gaps "
                f"(the upload is kept; resume from offset {self.offset})",
            )
        limit = self.recorder.limits.max_upload_bytes
        if self.offset + len(data) > limit:
            raise TooLarge(f"the upload is over the limit of {limit} bytes of audio; nothing of it is kept")
        self.file.write(data)
        self.offset += len(data)
        limits = self.recorder.limits
        if (
            self.offset - self.committed >= limits.commit_bytes
            or (time.monotonic() - self._last_commit) * 1000 >= limits.commit_interval_ms
        ):
            await self.commit()

    async def commit(self) -> None:
        """Makes everything received durable and records the offset in Redis. (A closed file
        was fsynced before it was closed.)"""
        if not self.file.closed:
            self.file.flush()
            await asyncio.to_thread(os.fsync, self.file.fileno())
        r = self.recorder
        await r.catalog.commit(self.metadata, self.token, self.offset, r.clock.now_ms(), r.limits.upload_lease_ms)
        self.committed = self.offset
        self._last_commit = time.monotonic()

    def check_complete(self, end: End | None) -> None:
        """The stream ended: is what arrived a whole recording?"""
        if end is None:
            raise InvalidArgument(
                "end",
                f"the stream closed without the end message: the upload is kept; resume from offset {self.offset}",
            )
        if end.total_bytes != self.offset:
            raise InvalidArgument(
                "end.total_bytes",
                f"{end.total_bytes} bytes announced, {self.offset} received (the upload is kept; "
                f"resume from offset {self.offset})",
            )
        if self.offset == 0:
            raise NoAudio("chunk", "the upload carried no audio")
        frame = self.metadata.codec.source_frame_bytes(self.metadata.channels)
        if self.offset % frame:
            raise InvalidArgument(
                "chunk.data",
                f"the audio ends mid-sample: {self.offset} bytes is not a whole number of {frame}-byte frames "
                f"(the upload is kept; resume from offset {self.offset})",
            )

    async def finish_or_suspend(self, audio_sha256: str = "") -> Recording:
        """Stores the recording (if its audio has the checksum given); on any failure the
        upload is suspended (kept, resumable)."""
        try:
            self.file.flush()
            await asyncio.to_thread(os.fsync, self.file.fileno())
            self.file.close()
            recording = await self.recorder._finalize(
                self.metadata, self.recording_id, self.token, self.offset, partial=False, expected_sha256=audio_sha256
            )
            self._closed = True
            self.recorder._active.pop((self.metadata.call_id, self.metadata.leg), None)
            return recording
        except BaseException:
            recorder_metrics.upload_ended("failed")
            await self.suspend()
            raise

    async def suspend(self) -> None:
        """Commits what arrived and unlocks, so the upload can be resumed. Idempotent."""
        if self._closed:
            return
        self._closed = True
        r = self.recorder
        try:
            await self.commit()
            log.info("upload.suspended", call_id=self.metadata.call_id, leg=self.metadata.leg, committed=self.offset)
        except Busy:
            log.warning("upload.lost_lock", call_id=self.metadata.call_id, leg=self.metadata.leg)
        finally:
            self.file.close()
            r._active.pop((self.metadata.call_id, self.metadata.leg), None)
            await r.catalog.release_uploads([self.lock])

    async def discard(self) -> None:
        """Forgets the upload: its staged audio and its session."""
        if self._closed:
            return
        self._closed = True
        r = self.recorder
        self.file.close()
        r._active.pop((self.metadata.call_id, self.metadata.leg), None)
        try:
            await asyncio.to_thread(r.staging.remove, self.recording_id)
        finally:
            await r.catalog.discard(self.metadata.call_id, self.metadata.leg, self.token)
        log.info("upload.discarded", call_id=self.metadata.call_id, leg=self.metadata.leg, received=self.offset)


class Recorder:
    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        storage: RecordingStorage,
        staging: Staging,
        clock: Clock,
        limits: RecorderLimits | None = None,
    ) -> None:
        self.redis = redis
        self.tenant = tenant
        self.catalog = Catalog(redis, tenant)
        self.storage = storage
        self.staging = staging
        self.clock = clock
        self.limits = limits or RecorderLimits()
        self.accepting = True
        self._active: dict[tuple[str, Leg], Upload] = {}
        self._background: set[asyncio.Task] = set()

    # Uploads --------------------------------------------------------------------------

    async def receive(self, metadata: UploadMetadata, messages: AsyncIterator[Chunk | End]) -> Recording:
        """Receives one upload: chunks, then the End message, then stores the recording and
        returns it. Whatever goes wrong, the upload is either kept (resumable from the
        committed offset) or, over the size limit or empty, dropped whole."""
        with recorder_metrics.UPLOADS_IN_PROGRESS.track_inprogress():
            try:
                upload = await self._begin(metadata)
            except AlreadyExists:
                recorder_metrics.upload_ended("duplicate")
                raise
            except BaseException:
                recorder_metrics.upload_ended("rejected")
                raise
            end: End | None = None
            try:
                async for message in messages:
                    if isinstance(message, End):
                        end = message
                        break
                    await upload.write(message.offset, message.data)
                upload.check_complete(end)
            except (TooLarge, NoAudio):
                recorder_metrics.upload_ended("discarded")
                await self._protected(upload.discard())
                raise
            except BaseException:
                recorder_metrics.upload_ended("interrupted")
                await self._protected(upload.suspend())
                raise
            # (stored: counted by _finalize; failed: by finish_or_suspend, which runs to its end)
            return await self._protected(upload.finish_or_suspend(end.audio_sha256))

    async def _begin(self, metadata: UploadMetadata) -> Upload:
        metadata.validate()
        if not self.accepting:
            raise ShuttingDown("the recorder is shutting down; upload to another replica or retry")
        call_id, leg = metadata.call_id, metadata.leg
        token = uuid.uuid4().hex
        lease_ms = self.limits.upload_lease_ms
        await self.catalog.acquire_upload(call_id, leg, token, lease_ms)
        file: BinaryIO | None = None
        try:
            if await self.catalog.stored_id(call_id, leg):
                raise AlreadyExists(f"call {call_id!r} leg {leg} already has a recording")
            session = await self.catalog.session(call_id, leg)
            now = self.clock.now_ms()
            if session is None:
                if metadata.resume_offset:
                    raise FailedPrecondition(
                        f"metadata.resume_offset: call {call_id!r} leg {leg} has no interrupted upload to resume"
                    )
                recording_id = uuid.uuid4().hex
                file = await asyncio.to_thread(self.staging.open_raw, recording_id, 0)
                await self.catalog.commit(metadata, token, 0, now, lease_ms, start_recording_id=recording_id)
                offset = 0
            else:
                metadata = self._resumed_metadata(session.metadata, metadata)
                if metadata.resume_offset > session.committed:
                    raise OutOfRange(
                        f"metadata.resume_offset: {metadata.resume_offset} is past the committed offset "
                        f"{session.committed}; resume from {session.committed} or lower"
                    )
                recording_id, offset = session.recording_id, metadata.resume_offset
                # Lower the committed offset before cutting the file back, so Redis never
                # promises more than the file holds. The session takes the merged metadata:
                # an agent or lead the resume filled in survives another cut.
                await self.catalog.commit(metadata, token, offset, now, lease_ms, start_recording_id=recording_id)
                try:
                    file = await asyncio.to_thread(self.staging.open_raw, recording_id, offset)
                except FileNotFoundError:
                    raise FailedPrecondition(
                        f"the interrupted upload's audio is not on this recorder (staging {self.staging.root})"
                    ) from None
            upload = Upload(self, metadata, recording_id, token, file, offset)
            self._active[(call_id, leg)] = upload
            log.info("upload.started", call_id=call_id, leg=leg, recording_id=recording_id, offset=offset)
            return upload
        except BaseException:
            if file is not None:
                file.close()
            await self.catalog.release_uploads([(call_id, leg, token)])
            raise

    @staticmethod
    def _resumed_metadata(stored: UploadMetadata, asked: UploadMetadata) -> UploadMetadata:
        """The interrupted upload's metadata, if the resuming one agrees with it."""
        for name in ("codec", "sample_rate_hz", "channels"):
            if getattr(stored, name) != getattr(asked, name):
                raise FailedPrecondition(
                    f"metadata.{name}: {getattr(asked, name)} differs from the interrupted upload's "
                    f"{getattr(stored, name)}"
                )
        for name in ("agent_id", "lead_id"):
            if getattr(asked, name) and getattr(stored, name) and getattr(asked, name) != getattr(stored, name):
                raise FailedPrecondition(
                    f"metadata.{name}: {getattr(asked, name)!r} differs from the interrupted upload's "
                    f"{getattr(stored, name)!r}"
                )
        return UploadMetadata(
            call_id=stored.call_id,
            codec=stored.codec,
            sample_rate_hz=stored.sample_rate_hz,
            channels=stored.channels,
            start_ms=stored.start_ms,
            leg=stored.leg,
            agent_id=stored.agent_id or asked.agent_id,
            lead_id=stored.lead_id or asked.lead_id,
            resume_offset=asked.resume_offset,
        )

    async def _finalize(
        self,
        metadata: UploadMetadata,
        recording_id: str,
        token: str,
        audio_bytes: int,
        *,
        partial: bool,
        expected_sha256: str = "",
    ) -> Recording:
        """Writes the WAV file from the staged audio, publishes it, catalogues it, emits
        RECORDING_STORED and removes the staged audio."""
        size, sha256, audio_sha256, data_bytes = await asyncio.to_thread(
            self._write_wav, metadata, recording_id, audio_bytes
        )
        if expected_sha256 and expected_sha256.lower() != audio_sha256:
            await asyncio.to_thread(self.staging.wav_path(recording_id).unlink, missing_ok=True)
            raise InvalidArgument(
                "end.audio_sha256",
                f"the recorder's copy of the audio has sha256 {audio_sha256}, not {expected_sha256} (the upload is "
                "kept; resume from offset 0 to send it again)",
            )
        await self.storage.publish(recording_id, self.staging.wav_path(recording_id))
        now = self.clock.now_ms()
        recording = Recording(
            id=recording_id,
            call_id=metadata.call_id,
            leg=metadata.leg,
            agent_id=metadata.agent_id,
            lead_id=metadata.lead_id,
            codec=metadata.codec,
            sample_rate_hz=metadata.sample_rate_hz,
            channels=metadata.channels,
            start_ms=metadata.start_ms,
            duration_ms=wav.duration_ms(metadata.sample_rate_hz, metadata.channels, data_bytes),
            size_bytes=size,
            sha256=sha256,
            content_type=wav.CONTENT_TYPE,
            partial=partial,
            legal_hold=False,
            stored_ms=now,
            audio_bytes=audio_bytes,
            audio_sha256=audio_sha256,
        )
        event = event_stream.entry(
            "recording_stored",
            now,
            call_id=recording.call_id,
            agent_id=recording.agent_id,
            recording_id=recording.id,
            duration_ms=recording.duration_ms,
            reason="partial" if partial else "",
            lead_id=recording.lead_id,
        )
        await self.catalog.store(recording, token, event, self.limits.event_stream_maxlen)
        recorder_metrics.stored(size, partial)
        await asyncio.to_thread(self.staging.raw_path(recording_id).unlink, missing_ok=True)
        log.info(
            "recording.stored",
            call_id=recording.call_id,
            leg=recording.leg,
            recording_id=recording.id,
            bytes=size,
            duration_ms=recording.duration_ms,
            partial=partial,
        )
        return recording

    def _write_wav(self, metadata: UploadMetadata, recording_id: str, audio_bytes: int) -> tuple[int, str, str, int]:
        """Blocking: converts the first audio_bytes of the staged raw file into the staged WAV
        file (a trailing partial frame of a partial recording is left out), fsyncs it.
        Returns (file size, its sha256, sha256 of the raw audio, bytes of PCM data)."""
        codec, channels = metadata.codec, metadata.channels
        frame = codec.source_frame_bytes(channels)
        frames = audio_bytes // frame
        data_bytes = frames * channels * wav.BITS_PER_SAMPLE // 8
        if data_bytes > wav.MAX_DATA_BYTES:
            raise TooLarge(f"{data_bytes} bytes of PCM do not fit a WAV file")
        head = wav.header(metadata.sample_rate_hz, channels, data_bytes)
        file_hash, audio_hash = hashlib.sha256(head), hashlib.sha256()
        block = _CONVERT_BLOCK - _CONVERT_BLOCK % frame
        with (
            open(self.staging.raw_path(recording_id), "rb") as raw,
            open(self.staging.wav_path(recording_id), "wb") as out,
        ):
            out.write(head)
            remaining, pcm_left = audio_bytes, data_bytes
            while remaining > 0:
                data = raw.read(min(block, remaining))
                if not data:
                    raise FailedPrecondition(f"the staged audio of {recording_id} is shorter than {audio_bytes} bytes")
                remaining -= len(data)
                audio_hash.update(data)
                pcm = codec.to_pcm(data)[:pcm_left]
                pcm_left -= len(pcm)
                file_hash.update(pcm)
                out.write(pcm)
            out.flush()
            os.fsync(out.fileno())
        return len(head) + data_bytes, file_hash.hexdigest(), audio_hash.hexdigest(), data_bytes

    async def upload_status(self, call_id: str, leg: Leg) -> UploadStatus:
        check_call_id(call_id)
        session, locked = await self.catalog.session_and_lock(call_id, leg)
        if session is not None:
            state = UploadState.RECEIVING if locked else UploadState.INTERRUPTED
            return UploadStatus(state, session.committed, session.recording_id)
        stored_id = await self.catalog.stored_id(call_id, leg)
        if stored_id:
            recording = await self.catalog.get(stored_id)
            return UploadStatus(UploadState.STORED, recording.audio_bytes, stored_id)
        raise NotFound(f"no upload of call {call_id!r} leg {leg}")

    async def finalize_idle_uploads(self) -> list[Recording]:
        """Stores uploads interrupted longer than idle_finalize_ms as partial recordings."""
        cutoff = self.clock.now_ms() - self.limits.idle_finalize_ms
        stored: list[Recording] = []
        seen: set[tuple[str, Leg]] = set()
        while True:  # batches of the oldest, until every idle session was looked at once
            batch = [u for u in await self.catalog.idle_uploads(cutoff) if u not in seen]
            if not batch:
                return stored
            seen.update(batch)
            for call_id, leg in batch:
                await self._finalize_idle(call_id, leg, cutoff, stored)

    async def _finalize_idle(self, call_id: str, leg: Leg, cutoff: int, stored: list[Recording]) -> None:
        """One idle upload: stored as partial, or forgotten when there is nothing to keep."""
        token = uuid.uuid4().hex
        try:
            await self.catalog.acquire_upload(call_id, leg, token, self.limits.upload_lease_ms)
        except Busy:
            return  # receiving again
        try:
            session = await self.catalog.session(call_id, leg)
            if session is None or session.updated_ms > cutoff:
                return
            if session.committed == 0:
                # No audio ever arrived: there is nothing to keep (no empty "recording").
                await self.catalog.discard(call_id, leg, token)
                await asyncio.to_thread(self.staging.raw_path(session.recording_id).unlink, missing_ok=True)
                log.info("upload.dropped_empty", call_id=call_id, leg=leg, recording_id=session.recording_id)
                return
            if not self.staging.has_raw(session.recording_id):
                # Idle past the finalize time and its audio is not here: it can never be
                # resumed nor stored. Forgetting it keeps it from blocking the sweep.
                await self.catalog.discard(call_id, leg, token)
                log.error("upload.staging_missing", call_id=call_id, leg=leg, recording_id=session.recording_id)
                return
            try:
                file = await asyncio.to_thread(self.staging.open_raw, session.recording_id, session.committed)
            except FileNotFoundError as exc:
                log.error("upload.staging_short", call_id=call_id, leg=leg, error=str(exc))
                return
            file.close()
            stored.append(
                await self._finalize(session.metadata, session.recording_id, token, session.committed, partial=True)
            )
        finally:
            await self.catalog.release_uploads([(call_id, leg, token)])

    async def clean_staging(self) -> list[str]:
        """Removes staged files a crash left behind: WAV files of a storing that never
        finished (storing again rewrites them) and raw audio of recordings already stored.
        Only files untouched for idle_finalize_ms are looked at; raw audio of an upload that
        may still be resumed is kept. Returns the names removed."""
        removed = []
        old_files = await asyncio.to_thread(self.staging.older_than, self.limits.idle_finalize_ms / 1000)
        resumable = await self.catalog.session_recording_ids() if old_files else set()
        for path in old_files:
            key, _, kind = path.name.partition(".")
            if kind == "raw":
                # Raw audio is kept while an upload may still resume into it; audio of a
                # stored recording, or of no upload at all (a crash before its first commit),
                # goes.
                if key in resumable:
                    continue
            elif kind != "wav":
                continue
            await asyncio.to_thread(path.unlink, missing_ok=True)
            removed.append(path.name)
        if removed:
            log.info("staging.cleaned", files=removed)
        return removed

    async def renew_leases(self) -> int:
        """Keeps the locks of the uploads this process is receiving."""
        return await self.catalog.renew_uploads([u.lock for u in self._active.values()], self.limits.upload_lease_ms)

    @property
    def active_uploads(self) -> int:
        return len(self._active)

    async def drain(self) -> None:
        """Waits for every suspension and storing that is under way."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _protected(self, work: Awaitable[T]) -> T:
        """Runs work to its end even if the caller is cancelled (the client went away)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return await asyncio.shield(task)

    # Recordings -----------------------------------------------------------------------

    async def get(self, recording_id: str) -> Recording:
        return await self.catalog.get(recording_id)

    async def read(self, recording_id: str, offset: int, length: int) -> tuple[Recording, AsyncIterator[bytes]]:
        """The recording and its stored bytes [offset, offset + length), cut at the end;
        length 0 means up to the end."""
        if offset < 0:
            raise InvalidArgument("offset", "must not be negative")
        if length < 0:
            raise InvalidArgument("length", "must not be negative")
        recording = await self.catalog.get(recording_id)
        size = recording.size_bytes
        if offset >= size:
            raise OutOfRange(f"offset {offset} is past the end of the {size}-byte recording")
        end = size if length == 0 else min(size, offset + length)
        chunks = self.storage.read(recording_id, offset, end - offset, self.limits.download_chunk_bytes)
        return recording, chunks

    async def list(self, **filters) -> tuple[list[Recording], str]:
        page_size = filters.pop("page_size", 0) or 50
        if not 1 <= page_size <= 1000:
            raise InvalidArgument("page_size", f"must be 0 to 1000, got {page_size}")
        if filters.get("call_id"):
            check_call_id(filters["call_id"])
        check_optional_ids(filters.get("agent_id", ""), filters.get("lead_id", ""))
        return await self.catalog.list(page_size=page_size, **filters)

    async def set_legal_hold(self, recording_id: str, hold: bool) -> Recording:
        """Sets or lifts the hold; a change appends RECORDING_LEGAL_HOLD_CHANGED (with its
        actor, as the entry records it too: docs/security.md, "Audit")."""
        recording = await self.catalog.get(recording_id)
        event = event_stream.entry(
            "recording_legal_hold_changed", self.clock.now_ms(),
            call_id=recording.call_id, agent_id=recording.agent_id, recording_id=recording.id,
            reason="set" if hold else "lifted", lead_id=recording.lead_id,
        )  # fmt: skip
        await self.catalog.set_legal_hold(recording_id, hold, event, self._maxlen)
        log.info("recording.legal_hold", recording_id=recording_id, hold=hold)
        return await self.catalog.get(recording_id)

    async def delete(self, recording_id: str) -> None:
        """Deletes a recording at once (FailedPrecondition while on legal hold)."""
        recording = await self.catalog.get(recording_id)
        await self.catalog.delete(recording, self._deleted_event(recording, "request"), self._maxlen)
        await self._deleted(recording, "request")

    async def delete_expired(self, batch: int = 500) -> list[str]:
        """Deletes recordings older than retention_days, except those on legal hold."""
        cutoff = self.clock.now_ms() - self.limits.retention_days * DAY_MS
        deleted: list[str] = []
        kept: set[str] = set()
        while True:
            limit = batch + len(kept)
            found = await self.catalog.started_before(cutoff, limit)
            ids = [i for i in found if i not in kept]
            for recording_id, recording in zip(ids, await self.catalog.get_many(ids), strict=True):
                if recording is None:
                    kept.add(recording_id)
                    continue
                try:
                    event = self._deleted_event(recording, "retention")
                    if await self.catalog.delete(recording, event, self._maxlen, older_than_ms=cutoff):
                        await self._deleted(recording, "retention")
                        deleted.append(recording.id)
                        continue
                except (FailedPrecondition, NotFound):
                    pass
                kept.add(recording.id)
            if len(found) < limit:
                return deleted

    @property
    def _maxlen(self) -> int:
        return self.limits.event_stream_maxlen

    def _deleted_event(self, recording: Recording, reason: str) -> dict[str, str]:
        """The RECORDING_DELETED entry, appended by the catalogue's delete in the same step."""
        return event_stream.entry(
            "recording_deleted",
            self.clock.now_ms(),
            call_id=recording.call_id,
            agent_id=recording.agent_id,
            recording_id=recording.id,
            reason=reason,
            lead_id=recording.lead_id,
        )

    async def _deleted(self, recording: Recording, reason: str) -> None:
        """After the catalogue entry and its event are gone and written: the file goes."""
        await self.storage.delete(recording.id)
        recorder_metrics.deleted(reason)
        log.info("recording.deleted", recording_id=recording.id, call_id=recording.call_id, reason=reason)
