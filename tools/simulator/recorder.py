"""Side effect: the virtual PBX streams each answered call's audio to the recorder while the
agent talks, as a real PBX does (protos/callcenter/recorder/v1: UploadRecording).

Optional: it needs the recorder's generated code (callcenter.recorder.v1); `available()`
says whether it is there. The audio is G.711 µ-law at 8 kHz, mono, a quiet two-tone hum as
long as the simulated talk time, sent in pieces at the pace of the (scaled) conversation.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import math
import time
from typing import TYPE_CHECKING

import structlog

from callcenter.tools.simulator.side_effects import SideEffect, SimCall

if TYPE_CHECKING:
    from callcenter.core.grpc_security import GrpcClientCredentials
    from callcenter.tools.simulator.pbx import Simulation

log = structlog.get_logger(__name__)

SAMPLE_RATE = 8000
MAX_CHUNK_BYTES = 32 * 1024
# Seconds of wall-clock time between two sends of a call's audio.
SEND_EVERY_S = 0.25


def available() -> bool:
    """True when the recorder's generated gRPC code is importable."""
    try:
        return importlib.util.find_spec("callcenter.api.recorder.v1.recorder_pb2_grpc") is not None
    except ModuleNotFoundError:
        return False


def _ulaw(sample: int) -> int:
    """One 16-bit linear sample as G.711 µ-law (ITU-T G.711)."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def tone(seconds: float = 1.0) -> bytes:
    """µ-law audio of a quiet 425 Hz + 850 Hz hum (one second repeats seamlessly)."""
    n = round(seconds * SAMPLE_RATE)
    return bytes(
        _ulaw(
            round(
                2000 * math.sin(2 * math.pi * 425 * i / SAMPLE_RATE)
                + 800 * math.sin(2 * math.pi * 850 * i / SAMPLE_RATE)
            )
        )
        for i in range(n)
    )


class Recordings(SideEffect):
    """Streams a recording of every answered call to the recorder at `address`."""

    name = "recorder"

    def __init__(self, address: str, credentials: GrpcClientCredentials | None = None) -> None:
        self.address = address
        self.credentials = credentials  # what it presents (None: nothing)
        self.stored = 0
        self.failed = 0
        self._audio = tone()
        self._speed = 1.0
        self._channel = None
        self._stub = None

    async def start(self, simulation: Simulation) -> None:

        from callcenter.api.recorder.v1 import recorder_pb2_grpc

        self._speed = simulation.config.speed
        from callcenter.core.grpc_security import aio_channel

        self._channel = aio_channel(self.address, self.credentials)
        self._stub = recorder_pb2_grpc.RecorderServiceStub(self._channel)

    async def call_connected(self, call: SimCall) -> None:
        call.tasks.append(asyncio.create_task(self._upload(call), name=f"record-{call.call_id}"))

    def _audio_bytes(self, offset: int, length: int) -> bytes:
        one_second = len(self._audio)
        start = offset % one_second
        out = bytearray()
        while len(out) < length:
            out += self._audio[start : start + length - len(out)]
            start = 0
        return bytes(out)

    async def _upload(self, call: SimCall) -> None:
        import grpc

        from callcenter.api.recorder.v1 import recorder_pb2 as rpb
        from callcenter.core.event_stream import timestamp_ms

        total = max(1, round(call.planned_talk_s * SAMPLE_RATE))
        per_send = max(1, round(SEND_EVERY_S * self._speed * SAMPLE_RATE))
        start_time = timestamp_ms(round((call.answered_at or time.time()) * 1000))

        async def requests():
            yield rpb.UploadRecordingRequest(
                metadata=rpb.UploadMetadata(
                    call_id=call.call_id,
                    codec=rpb.AUDIO_CODEC_PCMU,
                    sample_rate_hz=SAMPLE_RATE,
                    channels=1,
                    start_time=start_time,
                    leg=rpb.LEG_MIXED,
                    agent_id=call.agent_id,
                    lead_id=call.attributes.get("lead_id", ""),
                )
            )
            offset = 0
            digest = hashlib.sha256()
            while offset < total:
                if call.ended_at is not None and offset > 0:
                    break  # hung up earlier than planned (the simulation ended): the recording ends here
                end = min(total, offset + per_send)
                while offset < end:
                    data = self._audio_bytes(offset, min(MAX_CHUNK_BYTES, end - offset))
                    digest.update(data)
                    yield rpb.UploadRecordingRequest(chunk=rpb.AudioChunk(offset=offset, data=data))
                    offset += len(data)
                if offset < total:
                    await asyncio.sleep(SEND_EVERY_S)
            if "end" in rpb.UploadRecordingRequest.DESCRIPTOR.fields_by_name:
                # The recorder's closing message (total size and checksum), where the proto has it.
                yield rpb.UploadRecordingRequest(end=rpb.UploadEnd(total_bytes=offset, audio_sha256=digest.hexdigest()))

        assert self._stub is not None
        try:
            await self._stub.UploadRecording(requests(), timeout=max(30.0, 3 * call.planned_talk_s / self._speed))
            self.stored += 1
        except grpc.aio.AioRpcError as exc:
            self.failed += 1
            log.warning("simulator.recording_failed", call_id=call.call_id, code=exc.code().name, details=exc.details())
            raise

    def summary(self) -> str:
        return f"recordings stored {self.stored}" + (f" failed {self.failed}" if self.failed else "")

    async def stop(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
