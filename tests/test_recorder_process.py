"""The recorder as a real process (python -m callcenter.services.recorder): a crash (SIGKILL) in the
middle of an upload loses nothing committed — a new process resumes it into the full file —
and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import signal
import time

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.services.recorder.config import RecorderConfig
from tests.recorder_fixtures import chunks, download, metadata, parse_wav, status, tone, upload
from tests.router_processes import SAFETY_S, ServiceProcess, exited


class RecorderProcess(ServiceProcess):
    service = "recorder"

    def __init__(self, tmp_path, name: str, redis_url: str, tenant: str) -> None:
        super().__init__(
            tmp_path, name, redis_url, tenant,
            CALLCENTER_DATA_DIR=str(tmp_path / "data"),
            CALLCENTER_RECORDER_COMMIT_BYTES="4000",
            CALLCENTER_RECORDER_UPLOAD_LEASE_MS="300",
        )  # fmt: skip


@pytest.fixture
def recorder_process(tmp_path, redis_url, tenant):
    started: list[RecorderProcess] = []

    def make(name: str) -> RecorderProcess:
        process = RecorderProcess(tmp_path, name, redis_url, tenant)
        started.append(process)
        return process

    yield make
    for process in started:
        process.kill()


async def test_a_crash_mid_upload_loses_nothing_committed(recorder_process):
    audio = tone(3.0)
    first = await recorder_process("first").start()
    gate = asyncio.Event()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)

        async def requests():
            yield pb.UploadRecordingRequest(metadata=metadata("c-crash"))
            for request in chunks(audio[:20_000], size=800):
                yield request
            await gate.wait()

        call = stub.UploadRecording(requests())
        deadline = time.monotonic() + SAFETY_S  # a safety net: the loop ends on the commit
        while True:
            try:
                if (await status(stub, "c-crash")).committed_offset >= 8000:
                    break
            except grpc.aio.AioRpcError:
                pass
            assert time.monotonic() < deadline, "the upload never committed"
            await asyncio.sleep(0.01)
        first.kill()  # SIGKILL, in the middle of the stream
        with pytest.raises(grpc.aio.AioRpcError):
            await call
        gate.set()

    second = await recorder_process("second").start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        deadline = time.monotonic() + SAFETY_S  # a safety net: the loop ends on the state
        while (reply := await status(stub, "c-crash")).state != pb.UPLOAD_STATE_INTERRUPTED:
            assert time.monotonic() < deadline, "the dead process's lock never expired"
            await asyncio.sleep(0.02)  # the dead process's 300 ms lease runs out
        assert 8000 <= reply.committed_offset <= 20_000
        offset = reply.committed_offset
        recording = await upload(stub, audio, metadata("c-crash", resume_offset=offset), size=800, start=offset)
        assert parse_wav(await download(stub, recording.id)).frames == audio

    second.process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(SAFETY_S):
        assert await exited(second.process) == 0


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CALLCENTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CALLCENTER_RECORDER_RETENTION_DAYS", "90")
    monkeypatch.setenv("CALLCENTER_RECORDER_MAX_UPLOAD_BYTES", "1000000")
    config = RecorderConfig.from_env()
    assert (config.port, config.retention_days, config.max_upload_bytes) == (50053, 90, 1_000_000)
    assert config.recordings_dir == tmp_path / "recordings"
    assert config.limits().idle_finalize_ms == 600_000
