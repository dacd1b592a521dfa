"""A load-generator process: runs the bench's client load, apart from the server under test.

The bench starts one or more of these (`python -m callcenter.tools.bench.loadgen`) and talks to each
over its stdin/stdout, one JSON line per command and one per result, so the processes stay up
(and their gRPC channels warm) across sections. Commands:

    {"op": "echo", "target": "127.0.0.1:PORT", "method": "/bench.Echo/Ping", "payload": 64,
     "concurrency": 16, "start_at": <unix time>, "seconds": 10}
    {"op": "lifecycle", "target": ..., "queue": "bench", "tag": "run1-w0", "concurrency": 16,
     "start_at": ..., "seconds": 10}
    {"op": "conversation", "target": ..., "queue": "chat", "tag": "run1-w0", "concurrency": 16,
     "start_at": ..., "seconds": 10}
    {"op": "upload", "target": ..., "tag": ..., "audio_bytes": 480000, "chunk_bytes": 16000,
     "concurrency": 8, "start_at": ..., "seconds": 10}
    {"op": "pbx", "pbx_id": "bench-pbx0", "session_target": ..., "targets": [...], "in_flight": 40,
     "ring_timer": "pbx", "queues": [["sales", 0.7], ...], "start_at": ..., "seconds": 45, ...}
    {"op": "simulate", "config": {SimulationConfig fields}}   (the outbound section's PBX)
    {"op": "quit"}

Every operation waits until start_at (so several processes start together), keeps
`concurrency` requests in flight until start_at + seconds, and reports each latency in ms.
The pbx operation is one PBX of contract v2 (see `pbx`): its own session stream, calls in
flight instead of requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import time
from typing import Any

import grpc

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.tools.bench.procs import service_channel

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
    async with service_channel(cmd["target"]) as channel:
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
    async with service_channel(cmd["target"]) as channel:
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


#: The RPCs of one chat (conversation op), in order.
CONVERSATION_RPCS = ("PostCustomerMessage", "ReplyToConversation", "PostCustomerMessage2", "ReplyToConversation2")


async def conversation(cmd: dict[str, Any]) -> dict[str, Any]:
    """A chat widget's and its agent's whole chat per loop: the customer's first message (the
    router creates the conversation and assigns it to an agent with room), the agent's reply,
    a second message and reply, then the close: 5 RPCs. A chat that finds no agent with room
    (NEW) is closed at once and counted as queued."""
    out: dict[str, list[float]] = {"conversation": [], **{name: [] for name in (*CONVERSATION_RPCS, "Close")}}
    errors = queued = 0
    async with service_channel(cmd["target"]) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=10)
        stub = conversations_pb2_grpc.ConversationServiceStub(channel)
        await stub.ListConversations(cpb.ListConversationsRequest(page_size=1), timeout=RPC_TIMEOUT_S)  # warm up
        await _until(cmd["start_at"])
        end = cmd["start_at"] + cmd["seconds"]
        queue, tag = cmd["queue"], cmd["tag"]

        def message(cid: str, k: int, text: str) -> cpb.PostCustomerMessageRequest:
            return cpb.PostCustomerMessageRequest(
                conversation_id=cid,
                channel="webchat",
                topic="billing",
                queue=queue,
                message_id=f"{cid}-c{k}",
                text=text,
            )

        async def worker(w: int) -> None:
            nonlocal errors, queued
            n = 0
            while time.time() < end:
                cid = f"{tag}-{w}-{n}"
                n += 1
                marks = [time.perf_counter()]
                try:
                    posted = await stub.PostCustomerMessage(
                        message(cid, 1, "My invoice is wrong"), timeout=RPC_TIMEOUT_S
                    )
                    marks.append(time.perf_counter())
                    agent = posted.conversation.agent_id
                    if not agent:
                        await stub.CloseConversation(
                            cpb.CloseConversationRequest(conversation_id=cid), timeout=RPC_TIMEOUT_S
                        )
                        queued += 1
                        await asyncio.sleep(0.005)
                        continue
                    for turn in (1, 2):
                        if turn == 2:
                            await stub.PostCustomerMessage(message(cid, 2, "And the date?"), timeout=RPC_TIMEOUT_S)
                            marks.append(time.perf_counter())
                        await stub.ReplyToConversation(
                            cpb.ReplyToConversationRequest(
                                conversation_id=cid, agent_id=agent, message_id=f"{cid}-a{turn}", text="Let me check."
                            ),
                            timeout=RPC_TIMEOUT_S,
                        )
                        marks.append(time.perf_counter())
                    await stub.CloseConversation(
                        cpb.CloseConversationRequest(conversation_id=cid), timeout=RPC_TIMEOUT_S
                    )
                    marks.append(time.perf_counter())
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                for name, t0, t1 in zip((*CONVERSATION_RPCS, "Close"), marks[:-1], marks[1:], strict=True):
                    out[name].append(_ms(t1 - t0))
                out["conversation"].append(_ms(marks[-1] - marks[0]))

        await asyncio.gather(*(worker(w) for w in range(int(cmd["concurrency"]))))
    return {
        "latencies_ms": out["conversation"],
        "rpc_latencies_ms": {k: v for k, v in out.items() if k != "conversation"},
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

    from callcenter.api.recorder.v1 import recorder_pb2 as rpb
    from callcenter.api.recorder.v1 import recorder_pb2_grpc

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
    async with service_channel(cmd["target"]) as channel:
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


class _Stale(Exception):
    """An RPC the router refused because the call moved on meanwhile (a normal race)."""


async def pbx(cmd: dict[str, Any]) -> dict[str, Any]:
    """One PBX of contract v2 (docs/pbx-integration.md) with `in_flight` calls at all times.

    The PBX opens one PbxSession (hello with its pbx_id, lease, ring timer; a heartbeat every
    lease/3 with the last sequence it handled) and routes every call with its pbx_id, each
    RPC to the next replica of `targets` in turn. It acts on the session stream: an OFFERED
    rings the agent, who answers with probability answer_p after answer_delay (a fraction
    of the ring timeout), else the phone rings out: a PBX running the ring timer reports
    NO_ANSWER ring_timeout after it learned of the offer (except a fraction lost_report_p of
    reports it "loses", which the router's backstop must expire); a PBX leaving the ring
    timer to the router reports nothing. Connected calls talk for talk_s and are hung up;
    callers not yet connected give up after patience_s (HangupCall: abandoned). A call that
    ends is replaced by a new one until start_at + seconds; then the calls go on for drain_s
    without new ones, and whatever is still open is hung up. Every message of the stream is
    counted (per kind and per call) and checked (sequence gaps, repeats, negative durations
    in the call it carries)."""
    import random

    from google.protobuf import duration_pb2

    rng = random.Random(cmd.get("seed", 0))
    pbx_id, ring_timer = cmd["pbx_id"], cmd["ring_timer"]
    ring_s = cmd["ring_timeout_ms"] / 1000
    answer_p, lost_p = cmd["answer_p"], cmd["lost_report_p"]
    talk, patience, answer_delay = cmd["talk_s"], cmd["patience_s"], cmd["answer_delay"]
    queue_names = [q for q, _ in cmd["queues"]]
    queue_weights = [w for _, w in cmd["queues"]]
    lease_ms = int(cmd.get("lease_ms", 6000))
    final_states = {
        states_pb2.CALL_STATE_COMPLETED,
        states_pb2.CALL_STATE_ABANDONED,
        states_pb2.CALL_STATE_TIMED_OUT,
        states_pb2.CALL_STATE_REDIRECTED,
    }
    kind_names = {v: k.removeprefix("PBX_CALL_EVENT_KIND_").lower() for k, v in pb.PbxCallEventKind.items()}

    channels = [service_channel(t) for t in cmd["targets"]]
    session_channel = service_channel(cmd["session_target"])
    stubs = [router_pb2_grpc.RouterServiceStub(c) for c in channels]
    turn = 0

    def stub():
        nonlocal turn
        turn += 1
        return stubs[turn % len(stubs)]

    counts = {
        "errors": 0,
        "stale_answers": 0,
        "stale_other": 0,
        "no_answer_reports": 0,
        "lost_reports": 0,
        "answers": 0,
    }
    latencies: dict[str, list[float]] = {"RouteCall": [], "ReportOfferOutcome": [], "HangupCall": []}
    ended_ids: set[str] = set()
    awaited_ends: set[str] | None = None  # at the end: calls whose ENDED message has not come yet
    all_ended = asyncio.Event()
    error_kinds: dict[str, int] = {}
    kinds: dict[str, int] = {}
    per_call: dict[str, int] = {}
    delivery_ms: list[float] = []
    offers: list[list] = []  # [offer_id, expires_at ms, event time ms, received ms]
    negatives: list[list] = []
    seq_problems = {"gaps": 0, "repeats": 0}
    last_seq = 0
    live: dict[str, asyncio.Queue] = {}
    records: list[dict[str, Any]] = []
    opened = asyncio.Event()
    opened_info: dict[str, Any] = {}
    session_error: list[str] = []

    async def requests():
        lease = duration_pb2.Duration()
        lease.FromMilliseconds(lease_ms)
        ring = pb.RING_TIMER_PBX if ring_timer == "pbx" else pb.RING_TIMER_ROUTER
        yield pb.PbxSessionRequest(hello=pb.PbxHello(pbx_id=pbx_id, lease=lease, ring_timer=ring))
        while True:
            await asyncio.sleep(lease_ms / 3000)
            yield pb.PbxSessionRequest(heartbeat=pb.PbxHeartbeat(handled_sequence=last_seq))

    def check_durations(call, seq: int) -> None:
        received = call.received_at.ToMilliseconds()
        pairs = []
        if call.HasField("answered_at"):
            pairs.append(("answered-received", call.answered_at.ToMilliseconds() - received))
        if call.HasField("ended_at"):
            pairs.append(("ended-received", call.ended_at.ToMilliseconds() - received))
            if call.HasField("answered_at"):
                pairs.append(("ended-answered", call.ended_at.ToMilliseconds() - call.answered_at.ToMilliseconds()))
        if call.HasField("estimated_wait") and call.estimated_wait.ToMilliseconds() < 0:
            pairs.append(("estimated_wait", call.estimated_wait.ToMilliseconds()))
        for name, value in pairs:
            if value < 0:
                negatives.append([call.call_id, seq, name, value])

    async def session() -> None:
        nonlocal last_seq
        rpc = router_pb2_grpc.RouterServiceStub(session_channel).PbxSession(requests())
        try:
            async for response in rpc:
                if response.WhichOneof("message") == "opened":
                    o = response.opened
                    opened_info.update(
                        sequence=o.sequence,
                        ring_grace_ms=o.ring_grace.ToMilliseconds(),
                        ring_timer=pb.RingTimer.Name(o.ring_timer),
                    )
                    last_seq = o.sequence
                    opened.set()
                    continue
                for e in response.events.events:
                    now_ms = time.time() * 1000
                    if e.sequence <= last_seq:
                        seq_problems["repeats"] += 1
                        continue
                    if e.sequence != last_seq + 1:
                        seq_problems["gaps"] += 1
                    last_seq = e.sequence
                    kind = kind_names.get(e.kind, str(e.kind))
                    kinds[kind] = kinds.get(kind, 0) + 1
                    call_id = e.call.call_id
                    per_call[call_id] = per_call.get(call_id, 0) + 1
                    event_ms = e.time.ToMilliseconds()
                    delivery_ms.append(round(now_ms - event_ms, 3))
                    check_durations(e.call, e.sequence)
                    if e.kind == pb.PBX_CALL_EVENT_KIND_ENDED:
                        ended_ids.add(call_id)
                        if awaited_ends is not None:
                            awaited_ends.discard(call_id)
                            if not awaited_ends:
                                all_ended.set()
                    if e.kind == pb.PBX_CALL_EVENT_KIND_OFFERED:
                        offers.append(
                            [e.offer_id, e.call.offer.expires_at.ToMilliseconds(), event_ms, round(now_ms, 3)]
                        )
                    q = live.get(call_id)
                    if q is not None:
                        q.put_nowait(e.call)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                session_error.append(f"{exc.code().name}: {exc.details()}")
        finally:
            opened.set()

    def failed(exc: grpc.aio.AioRpcError, what: str) -> None:
        if exc.code() == grpc.StatusCode.FAILED_PRECONDITION and what != "RouteCall":
            counts["stale_answers" if what == "answer" else "stale_other"] += 1
            raise _Stale from exc
        counts["errors"] += 1
        name = exc.code().name
        error_kinds[name] = error_kinds.get(name, 0) + 1

    end_at = cmd["start_at"] + cmd["seconds"]
    stop_at = end_at + cmd.get("drain_s", 1.0)

    async def one_call(slot: int, n: int) -> None:
        call_id = f"{pbx_id}.{slot}.{n}"
        queue = rng.choices(queue_names, queue_weights)[0]
        inbox: asyncio.Queue = asyncio.Queue()
        live[call_id] = inbox
        t0 = time.time()
        rec: dict[str, Any] = {"id": call_id, "queue": queue, "start": t0, "end": None, "state": "", "by": ""}
        records.append(rec)
        patience_at = t0 + rng.uniform(*patience)
        version = -1
        offer = ""  # the offer being rung
        action: tuple[float, str, str] | None = None  # (when, what, offer id)
        connected = final = False

        def apply(call) -> None:
            nonlocal version, offer, action, connected, final
            if call.version < version or final:
                return
            version = call.version
            now = time.time()
            if call.state in final_states:
                final = True
                rec["state"] = states_pb2.CallState.Name(call.state).removeprefix("CALL_STATE_").lower()
                rec["end"] = now
                return
            if call.state == states_pb2.CALL_STATE_CONNECTED:
                if not connected:
                    connected = True
                    rec["answered"] = now
                    action = (now + rng.uniform(*talk), "hangup", "")
                return
            if call.state == states_pb2.CALL_STATE_RINGING:
                if call.offer.offer_id != offer:
                    offer = call.offer.offer_id
                    if rng.random() < answer_p:
                        action = (now + rng.uniform(*answer_delay) * ring_s, "answer", offer)
                    elif ring_timer == "pbx" and rng.random() >= lost_p:
                        action = (now + ring_s, "no_answer", offer)
                    else:
                        if ring_timer == "pbx":
                            counts["lost_reports"] += 1
                        action = None  # the router's timer (or its backstop) ends this ring
                return
            offer, action = "", None  # waiting

        async def rpc(name: str, request, what: str = ""):
            method = getattr(stub(), name)
            t, t_wall = time.perf_counter(), time.time()
            try:
                reply = await method(request, timeout=RPC_TIMEOUT_S)
            except grpc.aio.AioRpcError as exc:
                failed(exc, what or name)
                return
            if t_wall < end_at:  # the load window only, not the hang-ups of the clean-up
                latencies[name].append(_ms(time.perf_counter() - t))
            apply(reply.call)

        try:
            await rpc(
                "RouteCall",
                pb.RouteCallRequest(call_id=call_id, caller=f"+49{slot:04d}{n:06d}", queue=queue, pbx_id=pbx_id),
            )
            if version < 0:
                rec["state"] = "route_failed"
                return
            while not final:
                now = time.time()
                if now >= stop_at:
                    rec["by"] = "cleanup"
                    await rpc("HangupCall", pb.HangupCallRequest(call_id=call_id))
                    break
                wake = stop_at
                if action is not None:
                    wake = min(wake, action[0])
                if not connected:
                    wake = min(wake, patience_at)
                if wake > now:
                    with contextlib.suppress(TimeoutError):
                        apply(await asyncio.wait_for(inbox.get(), timeout=wake - now))
                    while not inbox.empty():
                        apply(inbox.get_nowait())
                    continue
                if not connected and now >= patience_at:
                    rec["by"] = "caller"
                    await rpc("HangupCall", pb.HangupCallRequest(call_id=call_id))
                    continue
                if action is None:
                    continue
                _, what, offer_id = action
                action = None
                try:
                    if what == "answer":
                        counts["answers"] += 1
                        outcome = pb.OFFER_OUTCOME_ANSWERED
                        await rpc(
                            "ReportOfferOutcome",
                            pb.ReportOfferOutcomeRequest(call_id=call_id, offer_id=offer_id, outcome=outcome),
                            what,
                        )
                    elif what == "no_answer":
                        counts["no_answer_reports"] += 1
                        outcome = pb.OFFER_OUTCOME_NO_ANSWER
                        await rpc(
                            "ReportOfferOutcome",
                            pb.ReportOfferOutcomeRequest(call_id=call_id, offer_id=offer_id, outcome=outcome),
                            what,
                        )
                    else:
                        rec["by"] = "talk_end"
                        await rpc("HangupCall", pb.HangupCallRequest(call_id=call_id))
                except _Stale:
                    pass  # the call moved on (the stream says how)
        except _Stale:
            pass
        finally:
            if rec["end"] is None:
                rec["end"] = time.time()
            live.pop(call_id, None)

    async def slot_loop(slot: int) -> None:
        # stagger the first calls over the ramp so they do not all arrive in one burst
        await asyncio.sleep(max(0.0, cmd["start_at"] - time.time()) + slot / max(1, cmd["in_flight"]) * cmd["ramp_s"])
        n = 0
        while time.time() < end_at:
            await one_call(slot, n)
            n += 1

    try:
        for channel in (*channels, session_channel):
            await asyncio.wait_for(channel.channel_ready(), timeout=10)
        reader = asyncio.create_task(session())
        await asyncio.wait_for(opened.wait(), timeout=10)
        if session_error:
            raise RuntimeError(f"PbxSession: {session_error[0]}")
        await asyncio.gather(*(slot_loop(s) for s in range(int(cmd["in_flight"]))))
        # the ENDED messages of the last calls
        awaited_ends = {r["id"] for r in records if r["state"] != "route_failed"} - ended_ids
        if not awaited_ends:
            all_ended.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_ended.wait(), timeout=5)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    finally:
        for channel in (*channels, session_channel):
            await channel.close()
    for rec in records:
        rec["messages"] = per_call.get(rec["id"], 0)
        rec["ended_message"] = rec["id"] in ended_ids
    return {
        "pbx_id": pbx_id,
        "ring_timer": ring_timer,
        "opened": opened_info,
        "session_error": session_error[0] if session_error else "",
        "calls": records,
        "kinds": kinds,
        "messages": sum(kinds.values()),
        "sequence_problems": seq_problems,
        "delivery_ms": delivery_ms,
        "offers": offers,
        "negative_durations": negatives,
        "error_kinds": error_kinds,
        "rpc_latencies_ms": latencies,
        **counts,
        "elapsed_s": time.time() - cmd["start_at"],
    }


async def simulate(cmd: dict[str, Any]) -> dict[str, Any]:
    """The simulator's virtual PBX and agents (callcenter.tools.simulator) for the outbound
    section: cmd["config"] holds SimulationConfig fields (Spread ones as [median_s, sigma])."""
    from callcenter.core.grpc_security import GrpcClientCredentials
    from callcenter.core.logs import configure_logging
    from callcenter.core.settings import load

    configure_logging("json", "warning")  # to stderr: stdout is the bench's channel
    from callcenter.tools.simulator import Simulation, SimulationConfig, Spread

    fields = {k: Spread(*v) if isinstance(v, list) else v for k, v in cmd["config"].items()}
    fields.setdefault("credentials", load(GrpcClientCredentials))  # `bench --secure`: the run's token
    result = await Simulation(SimulationConfig(**fields), out=io.StringIO()).run()
    return {
        "counters": result.counters,
        "campaign": result.campaign,
        "final_states": result.final_states,
        "elapsed_s": round(result.elapsed_s, 3),
    }


OPERATIONS = {
    "echo": echo,
    "lifecycle": lifecycle,
    "conversation": conversation,
    "upload": upload,
    "pbx": pbx,
    "simulate": simulate,
}


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
