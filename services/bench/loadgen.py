"""A load-generator process: runs the bench's client load, apart from the server under test.

The bench starts one or more of these (`python -m services.bench.loadgen`) and talks to each
over its stdin/stdout, one JSON line per command and one per result, so the processes stay up
(and their gRPC channels warm) across sections. Commands:

    {"op": "echo", "target": "127.0.0.1:PORT", "method": "/bench.Echo/Ping", "payload": 64,
     "concurrency": 16, "start_at": <unix time>, "seconds": 10}
    {"op": "lifecycle", "target": ..., "queue": "bench", "tag": "run1-w0", "concurrency": 16,
     "start_at": ..., "seconds": 10}
    {"op": "upload", "target": ..., "tag": ..., "audio_bytes": 480000, "chunk_bytes": 16000,
     "concurrency": 8, "start_at": ..., "seconds": 10}
    {"op": "quit"}

Every operation waits until start_at (so several processes start together), keeps
`concurrency` requests in flight until start_at + seconds, and reports each latency in ms.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import grpc

from callcenter.common.v1 import states_pb2
from callcenter.router.v1 import router_pb2 as pb
from callcenter.router.v1 import router_pb2_grpc

RPC_TIMEOUT_S = 30.0


async def _until(start_at: float) -> None:
    delay = start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 4)


async def echo(cmd: dict[str, Any]) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    async with grpc.aio.insecure_channel(cmd["target"]) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=10)
        rpc = channel.unary_unary(cmd["method"])
        payload = b"x" * int(cmd.get("payload", 64))
        await rpc(payload, timeout=RPC_TIMEOUT_S)  # warm the connection up
        await _until(cmd["start_at"])
        end = cmd["start_at"] + cmd["seconds"]

        async def worker() -> None:
            nonlocal errors
            while time.time() < end:
                t0 = time.perf_counter()
                try:
                    await rpc(payload, timeout=RPC_TIMEOUT_S)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                latencies.append(_ms(time.perf_counter() - t0))

        await asyncio.gather(*(worker() for _ in range(int(cmd["concurrency"]))))
    return {"latencies_ms": latencies, "errors": errors, "elapsed_s": time.time() - cmd["start_at"]}


async def lifecycle(cmd: dict[str, Any]) -> dict[str, Any]:
    """A PBX's whole call per loop: RouteCall -> ReportOfferOutcome(ANSWERED) -> HangupCall.
    A call that finds no free agent (WAITING) is hung up at once and counted as queued."""
    out: dict[str, list[float]] = {"lifecycle": [], "RouteCall": [], "ReportOfferOutcome": [], "HangupCall": []}
    errors = queued = 0
    async with grpc.aio.insecure_channel(cmd["target"]) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=10)
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.ListQueues(pb.ListQueuesRequest(), timeout=RPC_TIMEOUT_S)  # warm up
        await _until(cmd["start_at"])
        end = cmd["start_at"] + cmd["seconds"]
        queue, tag = cmd["queue"], cmd["tag"]

        async def worker(w: int) -> None:
            nonlocal errors, queued
            n = 0
            while time.time() < end:
                call_id = f"{tag}-{w}-{n}"
                n += 1
                try:
                    t0 = time.perf_counter()
                    routed = await stub.RouteCall(
                        pb.RouteCallRequest(call_id=call_id, caller=f"+4915{w:03d}{n:07d}", queue=queue),
                        timeout=RPC_TIMEOUT_S,
                    )
                    t1 = time.perf_counter()
                    if routed.call.state != states_pb2.CALL_STATE_RINGING:
                        await stub.HangupCall(pb.HangupCallRequest(call_id=call_id), timeout=RPC_TIMEOUT_S)
                        queued += 1
                        await asyncio.sleep(0.005)
                        continue
                    await stub.ReportOfferOutcome(
                        pb.ReportOfferOutcomeRequest(
                            call_id=call_id, offer_id=routed.call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                        ),
                        timeout=RPC_TIMEOUT_S,
                    )
                    t2 = time.perf_counter()
                    await stub.HangupCall(pb.HangupCallRequest(call_id=call_id), timeout=RPC_TIMEOUT_S)
                    t3 = time.perf_counter()
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                out["RouteCall"].append(_ms(t1 - t0))
                out["ReportOfferOutcome"].append(_ms(t2 - t1))
                out["HangupCall"].append(_ms(t3 - t2))
                out["lifecycle"].append(_ms(t3 - t0))

        await asyncio.gather(*(worker(w) for w in range(int(cmd["concurrency"]))))
    return {
        "latencies_ms": out["lifecycle"],
        "rpc_latencies_ms": {k: v for k, v in out.items() if k != "lifecycle"},
        "errors": errors,
        "queued": queued,
        "elapsed_s": time.time() - cmd["start_at"],
    }


async def upload(cmd: dict[str, Any]) -> dict[str, Any]:
    """Recordings streamed to the recorder as fast as it takes them: each upload is the
    metadata, `audio_bytes` of G.711 in `chunk_bytes` pieces, then the end message (when the
    proto has one). Reports each whole upload's time and its acknowledgement time (from the
    last message sent to the stored recording: the recorder's fsync, rename and catalogue)."""
    import hashlib

    from callcenter.recorder.v1 import recorder_pb2 as rpb
    from callcenter.recorder.v1 import recorder_pb2_grpc

    has_end = "end" in rpb.UploadRecordingRequest.DESCRIPTOR.fields_by_name
    total, chunk_bytes = int(cmd["audio_bytes"]), int(cmd["chunk_bytes"])
    audio = bytes((i * 7) & 0x7F | 0x80 for i in range(chunk_bytes))  # quiet µ-law noise
    digest = hashlib.sha256()
    for offset in range(0, total, chunk_bytes):
        digest.update(audio[: min(chunk_bytes, total - offset)])
    checksum = digest.hexdigest()
    uploads: list[float] = []
    acks: list[float] = []
    errors = 0
    async with grpc.aio.insecure_channel(cmd["target"]) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=10)
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        await _until(cmd["start_at"])
        end = cmd["start_at"] + cmd["seconds"]

        async def one(call_id: str) -> None:
            last_sent = 0.0

            async def requests():
                nonlocal last_sent
                yield rpb.UploadRecordingRequest(
                    metadata=rpb.UploadMetadata(
                        call_id=call_id, codec=rpb.AUDIO_CODEC_PCMU, sample_rate_hz=8000, leg=rpb.LEG_MIXED
                    )
                )
                for offset in range(0, total, chunk_bytes):
                    data = audio[: min(chunk_bytes, total - offset)]
                    last_sent = time.perf_counter()
                    yield rpb.UploadRecordingRequest(chunk=rpb.AudioChunk(offset=offset, data=data))
                if has_end:
                    last_sent = time.perf_counter()
                    yield rpb.UploadRecordingRequest(end=rpb.UploadEnd(total_bytes=total, audio_sha256=checksum))

            t0 = time.perf_counter()
            await stub.UploadRecording(requests(), timeout=RPC_TIMEOUT_S)
            done = time.perf_counter()
            uploads.append(_ms(done - t0))
            acks.append(_ms(done - last_sent))

        async def worker(w: int) -> None:
            nonlocal errors
            n = 0
            while time.time() < end:
                n += 1
                try:
                    await one(f"{cmd['tag']}-{w}-{n}")
                except grpc.aio.AioRpcError:
                    errors += 1

        await asyncio.gather(*(worker(w) for w in range(int(cmd["concurrency"]))))
    return {"latencies_ms": uploads, "ack_ms": acks, "errors": errors, "elapsed_s": time.time() - cmd["start_at"]}


OPERATIONS = {"echo": echo, "lifecycle": lifecycle, "upload": upload}


async def serve() -> None:
    loop = asyncio.get_running_loop()
    print(json.dumps({"ready": True}), flush=True)
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        cmd = json.loads(line)
        if cmd.get("op") == "quit":
            return
        try:
            result = await OPERATIONS[cmd["op"]](cmd)
        except Exception as exc:  # reported to the bench, which fails the section
            result = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)


def main() -> int:
    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
