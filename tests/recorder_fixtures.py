"""Fixtures and helpers for recorder tests: a real RecorderService (real gRPC on a loopback
port, the session's embedded Redis, storage in the test's tmp_path, the ManualClock), and
audio to send: a generated tone in 16-bit PCM, µ-law or A-law.

Test modules import the fixture functions (`*_fixture`); pytest knows them by the names given
in their decorators (start_recorder, recorder, recorder_stub)."""

from __future__ import annotations

import array
import asyncio
import dataclasses
import hashlib
import io
import math
import sys
import wave

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.core.config import CommonConfig
from callcenter.core.event_stream import timestamp_ms
from callcenter.services.recorder.config import RecorderConfig
from callcenter.services.recorder.server import RecorderService


@pytest.fixture(name="start_recorder")
async def start_recorder_fixture(redis, redis_url, tenant, clock, tmp_path):
    """Starts recorder services (stopped at the end of the test). Keyword arguments override
    RecorderConfig fields."""
    started: list[RecorderService] = []

    async def start(**overrides) -> RecorderService:
        config = RecorderConfig(
            common=CommonConfig(redis_url=redis_url, tenant=tenant, data_dir=tmp_path),
            port=0,
            sweep_interval_s=3600,  # tests run the sweeps themselves, on the ManualClock
            shutdown_grace_s=0.5,
        )
        service = RecorderService(dataclasses.replace(config, **overrides), redis, clock)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()


@pytest.fixture(name="recorder")
async def recorder_fixture(start_recorder) -> RecorderService:
    return await start_recorder()


@pytest.fixture(name="recorder_stub")
async def recorder_stub_fixture(recorder):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{recorder.port}") as channel:
        yield recorder_pb2_grpc.RecorderServiceStub(channel)


def tone(seconds: float, rate: int = 8000, hz: float = 440.0, amplitude: int = 12_000, channels: int = 1) -> bytes:
    """A sine tone as 16-bit little-endian PCM (channels interleaved, the second a fifth up)."""
    samples = array.array("h")
    for n in range(round(seconds * rate)):
        for ch in range(channels):
            samples.append(round(amplitude * math.sin(2 * math.pi * hz * (1 + ch / 2) * n / rate)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def metadata(call_id: str = "c1", **fields) -> pb.UploadMetadata:
    """Upload metadata with workable defaults: 8 kHz mono PCM of the mixed leg, agent anna."""
    values = dict(
        call_id=call_id,
        codec=pb.AUDIO_CODEC_PCM_S16LE,
        sample_rate_hz=8000,
        leg=pb.LEG_MIXED,
        agent_id="anna",
    )
    values.update(fields)
    if "start_ms" in values:
        values["start_time"] = timestamp_ms(values.pop("start_ms"))
    return pb.UploadMetadata(**values)


def chunks(audio: bytes, size: int = 1600, start: int = 0) -> list[pb.UploadRecordingRequest]:
    """Upload messages carrying audio[start:] in pieces of `size` bytes, with their offsets."""
    return [
        pb.UploadRecordingRequest(chunk=pb.AudioChunk(offset=offset, data=audio[offset : offset + size]))
        for offset in range(start, len(audio), size)
    ]


def end(audio: bytes, with_checksum: bool = True) -> pb.UploadRecordingRequest:
    """The last message of an upload of audio."""
    checksum = hashlib.sha256(audio).hexdigest() if with_checksum else ""
    return pb.UploadRecordingRequest(end=pb.UploadEnd(total_bytes=len(audio), audio_sha256=checksum))


async def upload(stub, audio: bytes, meta: pb.UploadMetadata | None = None, size: int = 1600, start: int = 0):
    """Uploads audio[start:] in one stream, ending with the end message (total size and
    checksum); returns the stored Recording."""
    requests = [pb.UploadRecordingRequest(metadata=meta or metadata()), *chunks(audio, size, start), end(audio)]
    reply = await stub.UploadRecording(iter(requests))
    return reply.recording


async def refusal(stub, requests: list[pb.UploadRecordingRequest], keep_open: bool = True) -> grpc.aio.AioRpcError:
    """Sends the messages and, like a PBX still streaming, keeps the stream open (unless
    keep_open is False: then it closes it); returns the error the recorder ends the call with.
    Tests stop at the offending message: a message the client writes after the recorder has
    ended the call makes grpc.aio report INTERNAL on the client instead of the recorder's status."""
    never = asyncio.Event()

    async def stream():
        for request in requests:
            yield request
        if keep_open:
            await never.wait()

    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.UploadRecording(stream(), timeout=10)  # not accepted: fails, never hangs
    finally:
        never.set()  # lets the client's request task end
    return caught.value


async def download(stub, recording_id: str, offset: int = 0, length: int = 0) -> bytes:
    """A recording's bytes (a range of them), checking each chunk's offset."""
    data = bytearray()
    async for reply in stub.DownloadRecording(
        pb.DownloadRecordingRequest(recording_id=recording_id, offset=offset, length=length)
    ):
        assert reply.offset == offset + len(data)
        data += reply.data
    return bytes(data)


@dataclasses.dataclass
class Wav:
    channels: int
    sample_width: int
    rate: int
    frames: bytes

    @property
    def seconds(self) -> float:
        return len(self.frames) / (self.channels * self.sample_width) / self.rate


def parse_wav(data: bytes) -> Wav:
    """Reads a WAV file with the stdlib `wave` module (which rejects a malformed header)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        frames = w.readframes(w.getnframes())
        assert len(frames) == w.getnframes() * w.getnchannels() * w.getsampwidth()
        return Wav(w.getnchannels(), w.getsampwidth(), w.getframerate(), frames)


async def status(stub, call_id: str, leg=pb.LEG_MIXED) -> pb.GetUploadStatusResponse:
    return await stub.GetUploadStatus(pb.GetUploadStatusRequest(call_id=call_id, leg=leg))
