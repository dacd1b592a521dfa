"""`python -m callcenter.tools.bench` / `callcenter bench`: measures, prints a table, writes JSON.

Sections (docs/performance.md explains each and keeps the figures):

1. ceiling: a bare grpc.aio unary echo server, then the same with one Redis round trip per
   request, under the same client load as the router gets;
2. router: the full call lifecycle (RouteCall -> ReportOfferOutcome -> HangupCall) of a real
   router process, with throughput, latency and the ratio to the ceiling;
3. timers: how late the router's ring-timeout failover and wrap-up release fire, from the
   event stream's times against the deadlines, idle and while the router is loaded;
4. scale: RouteCall latency with 10, 1,000 and 10,000 logged-in agents;
5. pbx: PBXs of contract v2 (one PbxSession each) keeping 100 and 400 calls in flight on
   three router replicas: calls/s, router CPU per call against the bare lifecycle's, session
   messages per call, timer lateness from the event stream's entry ids (callcenter.tools.bench.pbx_load);
6. outbound: a progressive campaign the router's dialler dials and the simulator's PBX follows:
   dialler decisions/s, calls dialled and connected/s, the router's CPU added over idle
   (callcenter.tools.bench.outbound_section);
7. recorder: recordings uploaded as fast as it stores them, when callcenter.services.recorder exists
   (else a placeholder);
8. stats: the stats service following the event stream of a loaded router.

Every server runs as its own process (the echo server, the router, redis-server), and so does
every load generator (callcenter.tools.bench.loadgen); the bench process itself only coordinates and
runs the timer probes. The CPU each used is reported per section, with what else ran.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib.util
import json
import math
import os
import pathlib
import platform
import sys
import tempfile
import time
import uuid
from typing import Any

import grpc
from google.protobuf import duration_pb2

from callcenter.api.common.v1 import states_pb2
from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.core.embedded_redis import EmbeddedRedis
from callcenter.core.event_stream import decode, stream_key
from callcenter.core.redis_connection import client_for
from callcenter.tools.bench.echo_server import PING, PING_REDIS
from callcenter.tools.bench.procs import CpuMeter, LoadWorker, ServerProcess, service_channel

NOT_BUILT = "not yet measured (service not built)"


def stats_available() -> bool:
    """True when the stats service and its generated code are there to be measured."""
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ("callcenter.services.stats.server", "callcenter.api.stats.v1.stats_pb2_grpc")
        )
    except ModuleNotFoundError:
        return False


def recorder_available() -> bool:
    """True when the recorder service and its generated code are there to be measured."""
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ("callcenter.services.recorder.server", "callcenter.api.recorder.v1.recorder_pb2_grpc")
        )
    except ModuleNotFoundError:
        return False


def _duration(ms: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(ms)
    return d


def summarize(values: list[float]) -> dict[str, Any]:
    """n, p50, p99, max and mean of a list of milliseconds (nearest-rank percentiles)."""
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    ordered = sorted(values)

    def pct(q: float) -> float:
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3)

    return {
        "n": len(ordered),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1], 3),
        "mean_ms": round(sum(ordered) / len(ordered), 3),
    }


class Bench:
    def __init__(self, args: argparse.Namespace, out=None) -> None:
        self.args = args
        self.out = out or sys.stdout
        self.tenant = "bench" + uuid.uuid4().hex[:8]
        self.results: dict[str, Any] = {}
        self.workers: list[LoadWorker] = []
        self.redis_pid: int | None = None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # Orchestration -------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        a = self.args
        started = time.time()
        self.results = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "options": {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(a).items()},
            "sections": {},
        }
        sections = self.results["sections"]
        with tempfile.TemporaryDirectory(prefix="callcenter-bench-") as tmp:
            workdir = pathlib.Path(tmp)
            if a.secure:
                os.environ.update(secure_environment(workdir / "credentials"))
            redis_server = EmbeddedRedis(workdir / "redis").start()
            redis = client_for(redis_server.url)
            echo = ServerProcess.echo(workdir, redis_server.url)
            recorder = ServerProcess.recorder(workdir, redis_server.url, self.tenant)
            measure_recorder = "recorder" in a.sections and recorder_available()
            # The stats section's own router and the stats service (a tenant of their own).
            measure_stats = "stats" in a.sections and stats_available()
            stats_tenant = self.tenant + "s"
            stats_router = ServerProcess.router(workdir, redis_server.url, stats_tenant, name="router-stats")
            stats = ServerProcess.stats(workdir, redis_server.url, stats_tenant)
            router = ServerProcess.router(workdir, redis_server.url, self.tenant, profile=a.profile_router)
            try:
                self.redis_pid = int((await redis.info("server"))["process_id"])
                self.results["machine"]["redis_version"] = (await redis.info("server"))["redis_version"]
                self.say(f"starting: redis-server, echo server, router, {a.clients} load generator(s) ...")
                self.workers = [LoadWorker(i) for i in range(a.clients)]
                starting = [echo.start(), router.start(), *(w.start() for w in self.workers)]
                recorder_started = None
                if measure_recorder:
                    recorder_started = asyncio.create_task(recorder.start())
                stats_started = None
                if measure_stats:  # started now, in parallel; idle until their section
                    stats_started = asyncio.create_task(_start_all(stats_router, stats))
                await asyncio.gather(*starting)
                worker_pids = [w.pid for w in self.workers if w.pid]

                def meter(server: ServerProcess) -> CpuMeter:
                    return CpuMeter(
                        {
                            "server": [server.pid or 0],
                            "redis": [self.redis_pid or 0],
                            "clients": worker_pids,
                            "bench": [os.getpid()],
                        }
                    )

                if "echo" in a.sections:
                    sections["echo"] = await self.echo_section(echo, PING, meter(echo))
                    self.say(row("ceiling: gRPC echo", sections["echo"]))
                    sections["echo_redis"] = await self.echo_section(echo, PING_REDIS, meter(echo))
                    self.say(row("ceiling: gRPC echo + 1 Redis RTT", sections["echo_redis"]))
                echo.stop()

                async with service_channel(router.address) as channel:
                    stub = router_pb2_grpc.RouterServiceStub(channel)
                    if "router" in a.sections:
                        sections["router_lifecycle"] = await self.lifecycle_section(router, stub, meter(router))
                        self.say(row("router: call lifecycle (3 RPCs)", sections["router_lifecycle"]))
                    if "conversations" in a.sections:
                        sections["conversations"] = await self.conversations_section(router, stub, meter(router))
                        self.say(row("router: chat (5 RPCs)", sections["conversations"]))
                    if "timers" in a.sections:
                        sections["timers"] = await self.timers_section(router, stub, redis, meter(router))
                    if "scale" in a.sections:
                        sections["scale"] = await self.scale_section(router, stub, redis, meter(router))
                router.stop()  # idle from here on; the stats section has its own router
                if "pbx" in a.sections:
                    from callcenter.tools.bench.pbx_load import pbx_section

                    sections["pbx"] = await pbx_section(self, workdir, redis_server.url, redis)
                if "sip" in a.sections:
                    from callcenter.tools.bench.sip_section import sip_section

                    sections["sip"] = await sip_section(self, workdir, redis_server.url, redis)
                if "outbound" in a.sections:
                    from callcenter.tools.bench.outbound_section import outbound_section

                    sections["outbound"] = await outbound_section(self, workdir, redis_server.url)
                if measure_stats and stats_started is not None:
                    sections["stats"] = await self.stats_section(
                        stats_router, stats, stats_started, stats_tenant, redis, worker_pids
                    )
                    if sections["stats"]["status"] == "measured":
                        self.say(row("stats: ingest while the router is loaded", sections["stats"]["load"]))
                    else:
                        self.say(f"stats: {sections['stats']['status']}")
                else:
                    sections["stats"] = {"status": NOT_BUILT if "stats" in a.sections else "not selected"}
                if measure_recorder and recorder_started is not None:
                    sections["recorder"] = await self.recorder_section(recorder, recorder_started, worker_pids)
                    self.say(row("recorder: uploads (whole recording)", sections["recorder"]))
                else:
                    sections["recorder"] = {"status": NOT_BUILT if "recorder" in a.sections else "not selected"}
            finally:
                for worker in self.workers:
                    with contextlib.suppress(Exception):
                        await worker.stop()
                echo.stop()
                router.stop()
                recorder.stop()
                stats_router.stop()
                stats.stop()
                await redis.aclose()
                redis_server.stop()
        self.results["elapsed_s"] = round(time.time() - started, 1)
        self.say("")
        self.say(render_table(self.results))
        return self.results

    async def _load(self, commands: list[dict[str, Any]], meter: CpuMeter, probes=None):
        """Runs one command per load worker, all starting together; returns their results, the
        CPU use over the window and the probes' result (a coroutine run in this process)."""
        start_at = time.time() + 0.15  # the workers are warm: only a new channel to connect
        for cmd in commands:
            cmd["start_at"] = start_at
        runs = [asyncio.create_task(w.run(c)) for w, c in zip(self.workers, commands, strict=False)]
        await asyncio.sleep(max(0.0, start_at - time.time()))
        meter.start()
        probe_task = asyncio.create_task(probes) if probes is not None else None
        await asyncio.sleep(commands[0]["seconds"])
        cpu = meter.stop()
        results = await asyncio.gather(*runs)
        probe_result = await probe_task if probe_task is not None else None
        return results, cpu, probe_result

    # Sections ------------------------------------------------------------------------

    async def echo_section(self, echo: ServerProcess, method: str, meter: CpuMeter) -> dict[str, Any]:
        a = self.args
        commands = [
            {
                "op": "echo",
                "target": echo.address,
                "method": method,
                "payload": a.payload,
                "concurrency": a.concurrency,
                "seconds": a.seconds,
            }
            for _ in self.workers
        ]
        results, cpu, _ = await self._load(commands, meter)
        latencies = [x for r in results for x in r["latencies_ms"]]
        elapsed = max(r["elapsed_s"] for r in results)
        rate = len(latencies) / elapsed
        return {
            "method": method,
            "throughput_per_s": round(rate, 1),
            "rpc_per_s": round(rate, 1),
            "latency": summarize(latencies),
            "errors": sum(r["errors"] for r in results),
            "cpu_percent": cpu,
            "cpu_us_per_rpc": cpu_per_op(cpu, rate),
        }

    async def _team(self, stub, queue: str, agent_ids: list[str], parallel: int = 32, **queue_fields) -> None:
        """Creates a queue and its agents and logs them in, `parallel` requests at a time."""
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name=queue, **queue_fields)), timeout=30)
        gate = asyncio.Semaphore(parallel)

        async def one(agent_id: str) -> None:
            async with gate:
                await stub.UpsertAgent(
                    pb.UpsertAgentRequest(agent=pb.Agent(id=agent_id, endpoint=f"sip:{agent_id}", queues=[queue])),
                    timeout=30,
                )
                await stub.LoginAgent(pb.LoginAgentRequest(agent_id=agent_id), timeout=30)

        await asyncio.gather(*(one(agent_id) for agent_id in agent_ids))

    async def _lifecycle_load(self, router: ServerProcess, queue: str, tag: str, seconds: float, meter, probes=None):
        rpcs = ("RouteCall", "ReportOfferOutcome", "HangupCall")
        section, probe_result = await self._client_load("lifecycle", rpcs, router, queue, tag, seconds, meter, probes)
        section["lifecycles_per_s"] = section["loops_per_s"]
        return section, probe_result

    async def _client_load(
        self, op: str, rpcs: tuple[str, ...], router: ServerProcess, queue: str, tag: str, seconds: float, meter, probes
    ):
        """Every load worker runs `op` (a loop of the `rpcs`) against the router; figures per loop."""
        a = self.args
        commands = [
            {
                "op": op,
                "target": router.address,
                "queue": queue,
                "tag": f"{tag}-w{w.index}",
                "concurrency": a.concurrency,
                "seconds": seconds,
            }
            for w in self.workers
        ]
        results, cpu, probe_result = await self._load(commands, meter, probes)
        loops = [x for r in results for x in r["latencies_ms"]]
        elapsed = max(r["elapsed_s"] for r in results)
        per_rpc = {name: summarize([x for r in results for x in r["rpc_latencies_ms"][name]]) for name in rpcs}
        rate = len(loops) / elapsed
        section = {
            "cpu_us_per_rpc": cpu_per_op(cpu, len(rpcs) * rate),
            "loops_per_s": round(rate, 1),
            "rpc_per_s": round(len(rpcs) * rate, 1),
            "throughput_per_s": round(rate, 1),
            "latency": summarize(loops),
            "rpc_latency": per_rpc,
            "queued": sum(r["queued"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "cpu_percent": cpu,
        }
        return section, probe_result

    def _ceiling_ratios(self, section: dict[str, Any]) -> None:
        sections = self.results["sections"]
        for name in ("echo", "echo_redis"):
            ceiling = sections.get(name, {}).get("rpc_per_s")
            if ceiling:
                section[f"rpc_ratio_to_{name}"] = round(section["rpc_per_s"] / ceiling, 3)

    async def conversations_section(self, router: ServerProcess, stub, meter: CpuMeter) -> dict[str, Any]:
        """Chats through the router: each loop a widget's first message (created and assigned to
        an agent with room, chat capacity 3), the agent's reply, a second message and reply, the
        close (5 RPCs); as many agents as a third of the chats in flight, plus a few."""
        from callcenter.tools.bench.loadgen import CONVERSATION_RPCS

        a = self.args
        in_flight = a.clients * a.concurrency
        agents = [f"chat-agent{i:04d}" for i in range(in_flight // 3 + 8)]
        await self._team(stub, "chat", agents, chat_capacity=3)
        rpcs = (*CONVERSATION_RPCS, "Close")
        section, _ = await self._client_load("conversation", rpcs, router, "chat", "chat", a.seconds, meter, None)
        section["conversations_per_s"] = section["loops_per_s"]
        self._ceiling_ratios(section)
        section["note"] = f"{len(agents)} agents with chat capacity 3, {in_flight} chats in flight; 5 RPCs per chat"
        return section

    async def lifecycle_section(self, router: ServerProcess, stub, meter: CpuMeter) -> dict[str, Any]:
        a = self.args
        agents = [f"bench-agent{i:04d}" for i in range(a.clients * a.concurrency + 8)]
        await self._team(stub, "bench", agents, wrap_up=_duration(0))
        section, _ = await self._lifecycle_load(router, "bench", "life", a.seconds, meter)
        self._ceiling_ratios(section)
        section["note"] = "wrap-up 0 so each agent is free again at once; 3 RPCs per lifecycle"
        return section

    async def timers_section(self, router: ServerProcess, stub, redis, meter: CpuMeter) -> dict[str, Any]:
        """Ring-timeout failover and wrap-up release: how late they fire, idle and loaded."""
        a = self.args
        n = a.probe_concurrency
        out: dict[str, Any] = {"ring_timeout_ms": a.ring_timeout_ms, "wrap_up_ms": a.wrap_up_ms}
        for phase in ("idle", "under_load"):
            ring_q, wrap_q = f"probe-ring-{phase}", f"probe-wrap-{phase}"
            await self._team(
                stub,
                ring_q,
                [f"{ring_q}-a{i:02d}" for i in range(3 * n)],
                ring_timeout=_duration(a.ring_timeout_ms),
                wrap_up=_duration(0),
                max_no_answer=0,
            )
            await self._team(
                stub, wrap_q, [f"{wrap_q}-a{i:02d}" for i in range(3 * n)], wrap_up=_duration(a.wrap_up_ms)
            )
            last_id = await _stream_end(redis, self.tenant)
            seconds = a.seconds if phase == "under_load" else max(0.2, a.seconds / 2)
            probes = self._probes(stub, ring_q, wrap_q, seconds)
            if phase == "idle":
                meter.start()
                pbx_failover = await probes
                load = {"cpu_percent": meter.stop()}
            else:
                agents = [f"timer-load-agent{i:04d}" for i in range(a.clients * a.concurrency + 8)]
                await self._team(stub, "timer-load", agents, wrap_up=_duration(0))
                load, pbx_failover = await self._lifecycle_load(router, "timer-load", "tload", seconds, meter, probes)
            await asyncio.sleep(max(a.ring_timeout_ms, a.wrap_up_ms) / 1000 + 0.1)  # let the last timers fire
            failover, wrap_up = await _timer_lateness(redis, self.tenant, last_id, ring_q, wrap_q, a)
            out[phase] = {
                "failover_event_lateness": summarize(failover),
                "failover_seen_by_pbx_lateness": summarize(pbx_failover),
                "wrap_up_release_lateness": summarize(wrap_up),
                "load": {k: v for k, v in load.items() if k in ("lifecycles_per_s", "rpc_per_s", "cpu_percent")},
            }
            label = "timers idle" if phase == "idle" else "timers under load"
            self.say(row(f"{label}: failover (event time)", {"latency": out[phase]["failover_event_lateness"]}))
            self.say(row(f"{label}: failover seen by PBX", {"latency": out[phase]["failover_seen_by_pbx_lateness"]}))
            self.say(row(f"{label}: wrap-up release", {"latency": out[phase]["wrap_up_release_lateness"]}))
        return out

    async def _probes(self, stub, ring_q: str, wrap_q: str, seconds: float) -> list[float]:
        """Calls nobody answers (the router fails them over) and calls answered and hung up
        at once (the agent's wrap-up timer ends it). Returns how late the PBX's WatchCall
        stream brought the second offer, against the first offer's expiry, in ms."""
        a = self.args
        end = time.time() + seconds
        seen_late: list[float] = []
        tag = uuid.uuid4().hex[:6]

        async def ring_probe(p: int) -> None:
            n = 0
            while time.time() < end:
                call_id = f"pr-{tag}-{p}-{n}"
                n += 1
                routed = await stub.RouteCall(
                    pb.RouteCallRequest(call_id=call_id, caller=f"+4916{p:02d}{n:06d}", queue=ring_q), timeout=30
                )
                if routed.call.state == states_pb2.CALL_STATE_RINGING:
                    first = routed.call.offer
                    async for update in stub.WatchCall(pb.WatchCallRequest(call_id=call_id), timeout=30):
                        call = update.call
                        if call.state != states_pb2.CALL_STATE_RINGING or call.offer.offer_id != first.offer_id:
                            seen_late.append(time.time() * 1000 - first.expires_at.ToMilliseconds())
                            break
                await stub.HangupCall(pb.HangupCallRequest(call_id=call_id), timeout=30)

        async def wrap_probe(p: int) -> None:
            n = 0
            while time.time() < end:
                call_id = f"pw-{tag}-{p}-{n}"
                n += 1
                routed = await stub.RouteCall(
                    pb.RouteCallRequest(call_id=call_id, caller=f"+4914{p:02d}{n:06d}", queue=wrap_q), timeout=30
                )
                if routed.call.state == states_pb2.CALL_STATE_RINGING:
                    await stub.ReportOfferOutcome(
                        pb.ReportOfferOutcomeRequest(
                            call_id=call_id, offer_id=routed.call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED
                        ),
                        timeout=30,
                    )
                await stub.HangupCall(pb.HangupCallRequest(call_id=call_id), timeout=30)
                await asyncio.sleep(a.wrap_up_ms / 1000 * 1.2 + 0.02)

        n = a.probe_concurrency
        await asyncio.gather(*(ring_probe(p) for p in range(n)), *(wrap_probe(p) for p in range(n)))
        return [round(x, 3) for x in seen_late]

    async def stats_section(
        self, router: ServerProcess, stats: ServerProcess, started: asyncio.Task, tenant: str, redis, worker_pids
    ) -> dict[str, Any]:
        """The stats service reading the event stream while a router is loaded: how far it
        lags behind (the stream's newest entry against its consumer group's last delivered
        one, sampled every 100 ms), how fast it catches up once the load stops, and GetBoard's
        latency meanwhile. On a tenant of its own (a second router process), so the stats do
        not start with the earlier sections' history. A failure is reported, not raised."""
        a = self.args
        key = stream_key(tenant)
        try:
            await started
            from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc

            async with (
                service_channel(router.address) as router_channel,
                service_channel(stats.address) as stats_channel,
            ):
                stub = router_pb2_grpc.RouterServiceStub(router_channel)
                board = stats_pb2_grpc.StatsServiceStub(stats_channel)
                agents = [f"stats-agent{i:04d}" for i in range(a.clients * a.concurrency + 8)]
                await self._team(stub, "stats-load", agents, wrap_up=_duration(0))
                await _caught_up(redis, key, await _stream_end(redis, key), within_s=30)
                appended_before = await redis.xlen(key)
                lag: list[float] = []
                board_ms: list[float] = []
                end = time.time() + 0.15 + a.seconds  # the load window (see _load)

                async def watch() -> None:
                    while time.time() < end:
                        lag.append(await _group_lag_ms(redis, key))
                        t0 = time.perf_counter()
                        await board.GetBoard(stats_pb2.GetBoardRequest(), timeout=30)
                        board_ms.append((time.perf_counter() - t0) * 1000)
                        await asyncio.sleep(0.1)

                meter = CpuMeter(
                    {
                        "router": [router.pid or 0],
                        "stats": [stats.pid or 0],
                        "redis": [self.redis_pid or 0],
                        "clients": worker_pids,
                        "bench": [os.getpid()],
                    }
                )
                load, _ = await self._lifecycle_load(router, "stats-load", "stats", a.seconds, meter, watch())
                appended = await redis.xlen(key) - appended_before
                t0 = time.monotonic()
                group = await _group(redis, key)
                delivered = group["last-delivered-id"] if group else "0-0"
                backlog = len(await redis.xrange(key, min=f"({delivered}", count=1_000_000))
                caught_up = await _caught_up(redis, key, await _stream_end(redis, key), within_s=60)
                catch_up_s = round(time.monotonic() - t0, 2) if caught_up else None
        except Exception as exc:  # reported in the results, the other sections go on
            return {"status": f"failed: {type(exc).__name__}: {exc}"}
        finally:
            router.stop()
            stats.stop()
        return {
            "status": "measured",
            "events_per_s": round(appended / a.seconds, 1),
            "load": {
                "throughput_per_s": load["lifecycles_per_s"],
                "latency": load["latency"],
                "cpu_percent": load["cpu_percent"],
            },
            "lag": summarize([round(x, 3) for x in lag]),
            "catch_up_s": catch_up_s,
            "backlog_at_end": backlog,
            "catch_up_events_per_s": round(backlog / catch_up_s, 1) if catch_up_s else None,
            "board_latency": summarize([round(x, 3) for x in board_ms]),
        }

    async def recorder_section(self, recorder: ServerProcess, started: asyncio.Task, worker_pids) -> dict[str, Any]:
        """Recordings uploaded as fast as the recorder stores them: recordings and MB of audio
        per second, whole-upload and acknowledgement latency. A failure is reported, not raised
        (the recorder is another team's service)."""
        a = self.args
        audio_bytes = round(a.upload_audio_s * 8000)  # G.711: 8,000 bytes per second of audio
        try:
            await started
            meter = CpuMeter(
                {
                    "server": [recorder.pid or 0],
                    "redis": [self.redis_pid or 0],
                    "clients": worker_pids,
                    "bench": [os.getpid()],
                }
            )
            commands = [
                {
                    "op": "upload",
                    "target": recorder.address,
                    "tag": f"rec-{uuid.uuid4().hex[:6]}-w{w.index}",
                    "audio_bytes": audio_bytes,
                    "chunk_bytes": 16_000,
                    "concurrency": a.upload_concurrency,
                    "seconds": a.seconds,
                }
                for w in self.workers
            ]
            results, cpu, _ = await self._load(commands, meter)
        except Exception as exc:  # reported in the results, the other sections go on
            return {"status": f"failed: {type(exc).__name__}: {exc}"}
        uploads = [x for r in results for x in r["latencies_ms"]]
        elapsed = max(r["elapsed_s"] for r in results)
        rate = len(uploads) / elapsed
        return {
            "status": "measured",
            "audio_seconds_per_upload": a.upload_audio_s,
            "codec": "G.711 u-law 8 kHz mono, 16,000-byte chunks",
            "uploads_in_flight": a.upload_concurrency * len(self.workers),
            "throughput_per_s": round(rate, 2),
            "recordings_per_s": round(rate, 2),
            "audio_mb_per_s": round(rate * audio_bytes / 1e6, 2),
            "realtime_factor": round(rate * a.upload_audio_s, 1),
            "latency": summarize(uploads),
            "ack_latency": summarize([x for r in results for x in r["ack_ms"]]),
            "errors": sum(r["errors"] for r in results),
            "cpu_percent": cpu,
        }

    async def scale_section(self, router: ServerProcess, stub, redis, meter: CpuMeter) -> list[dict[str, Any]]:
        """RouteCall latency as the number of logged-in agents grows (same client load for
        each). Rounds alternate the order (ascending, then descending, ...) so that a point is
        not favoured by running first on a smaller data set."""
        a = self.args
        points = []
        setup: dict[int, float] = {}
        for round_no in range(a.scale_rounds):
            order = a.scale if round_no % 2 == 0 else list(reversed(a.scale))
            for agents in order:
                queue = f"scale-{agents}"
                if agents not in setup:
                    t0 = time.monotonic()
                    agent_ids = [f"s{agents}-a{i:05d}" for i in range(agents)]
                    await self._team(stub, queue, agent_ids, parallel=64, wrap_up=_duration(0))
                    setup[agents] = time.monotonic() - t0
                await redis.config_resetstat()
                saved = self.args.concurrency
                self.args.concurrency = max(1, a.scale_concurrency // max(1, len(self.workers)))
                try:
                    tag = f"scale{agents}r{round_no}"
                    section, _ = await self._lifecycle_load(router, queue, tag, a.scale_seconds, meter)
                finally:
                    self.args.concurrency = saved
                stats = await redis.info("commandstats")
                evalsha = stats.get("cmdstat_evalsha", {})
                point = {
                    "agents": agents,
                    "round": round_no + 1,
                    "logged_in_setup_s": round(setup[agents], 1),
                    "route": section["rpc_latency"]["RouteCall"],
                    "lifecycle": section["latency"],
                    "lifecycles_per_s": section["lifecycles_per_s"],
                    "cpu_us_per_rpc": section["cpu_us_per_rpc"],
                    "redis_script_usec_per_call": evalsha.get("usec_per_call"),
                    "queued": section["queued"],
                    "cpu_percent": section["cpu_percent"],
                }
                points.append(point)
                self.say(
                    row(
                        f"scale: RouteCall, {agents} agents (round {round_no + 1})",
                        {
                            "latency": point["route"],
                            "throughput_per_s": point["lifecycles_per_s"],
                            "cpu_percent": point["cpu_percent"],
                            "cpu_us_per_rpc": point["cpu_us_per_rpc"],
                        },
                    )
                )
        return points


def secure_environment(folder: pathlib.Path) -> dict[str, str]:
    """Settings that make every process of the run speak TLS with tokens: the services serve the
    router's certificate (it names localhost and 127.0.0.1) and accept the callers file; every
    client presents the admin token (the bench sets queues and agents up) and trusts the CA."""
    from callcenter.tools import credentials

    credentials.init(folder)
    own = folder / "router"
    return {
        "CALLCENTER_GRPC_TLS_CERT_FILE": str(own / "tls.crt"),
        "CALLCENTER_GRPC_TLS_KEY_FILE": str(own / "tls.key"),
        "CALLCENTER_GRPC_CALLERS_FILE": str(folder / "callers"),
        "CALLCENTER_GRPC_TOKEN_FILE": str(folder / "tokens" / "admin.token"),
        "CALLCENTER_GRPC_CA_FILE": str(folder / "ca.crt"),
    }


def cpu_per_op(cpu_percent: dict[str, float], per_second: float) -> dict[str, float | None]:
    """Microseconds of CPU the server and Redis spent per operation: less sensitive than
    throughput to what else shares the machine."""
    return {
        name: (round(cpu_percent[name] / 100 / per_second * 1e6, 1) if per_second > 0 else None)
        for name in ("server", "redis")
        if name in cpu_percent
    }


async def _stream_end(redis, tenant_or_key: str) -> str:
    key = tenant_or_key if tenant_or_key.startswith("cc:") else stream_key(tenant_or_key)
    newest = await redis.xrevrange(key, count=1)
    return newest[0][0] if newest else "0-0"


async def _start_all(*servers: ServerProcess) -> None:
    await asyncio.gather(*(server.start() for server in servers))


def _id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def _group(redis, key: str, name: str = "stats") -> dict[str, Any] | None:
    for group in await redis.xinfo_groups(key):
        if group.get("name") == name:
            return group
    return None


async def _group_lag_ms(redis, key: str) -> float:
    """How far the stats consumer group is behind the stream: the newest entry's time minus
    the last delivered entry's (0 when it has everything)."""
    group = await _group(redis, key)
    newest = _id(await _stream_end(redis, key))
    delivered = _id(group["last-delivered-id"]) if group else (0, 0)
    return float(max(0, newest[0] - delivered[0])) if delivered < newest else 0.0


async def _caught_up(redis, key: str, target: str, within_s: float) -> bool:
    """Waits until the stats group has been delivered `target` and has nothing pending."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        group = await _group(redis, key)
        if group and _id(group["last-delivered-id"]) >= _id(target) and int(group.get("pending", 0)) == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def _timer_lateness(redis, tenant: str, after_id: str, ring_q: str, wrap_q: str, a) -> tuple[list, list]:
    """From the event stream: each ring-timeout OFFER_MISSED against its CALL_OFFERED time +
    the ring timeout, and each timer AGENT_WRAP_UP_ENDED against its CALL_COMPLETED time + the
    wrap-up, in ms."""
    offered: dict[str, int] = {}
    completed: dict[str, int] = {}
    failover: list[float] = []
    wrap_up: list[float] = []
    key = stream_key(tenant)
    start = f"({after_id}"
    while True:
        batch = await redis.xrange(key, min=start, count=10_000)
        if not batch:
            break
        for entry_id, fields in batch:
            if fields.get("queue") not in (ring_q, wrap_q):
                continue
            event = decode(entry_id, fields)
            t = event.time.ToMilliseconds()
            if event.type == events_pb2.EVENT_TYPE_CALL_OFFERED and event.queue == ring_q:
                offered[event.offer_id] = t
            elif event.type == events_pb2.EVENT_TYPE_OFFER_MISSED and event.reason == "timeout":
                if event.offer_id in offered:
                    failover.append(t - (offered[event.offer_id] + a.ring_timeout_ms))
            elif event.type == events_pb2.EVENT_TYPE_CALL_COMPLETED and event.queue == wrap_q:
                completed[event.call_id] = t
            elif event.type == events_pb2.EVENT_TYPE_AGENT_WRAP_UP_ENDED and event.reason == "timer":
                if event.call_id in completed:
                    wrap_up.append(t - (completed[event.call_id] + a.wrap_up_ms))
        start = f"({batch[-1][0]}"
    return failover, wrap_up


def machine_info() -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


def row(label: str, section: dict[str, Any]) -> str:
    lat = section.get("latency", {})
    cpu = section.get("cpu_percent", {})
    cpu_text = " ".join(f"{k} {v:.0f}%" for k, v in cpu.items()) if cpu else ""
    per_rpc = section.get("cpu_us_per_rpc", {})
    per_rpc_text = f"{_fmt(per_rpc.get('server')):>6}" if per_rpc else f"{'':>6}"
    return (
        f"{label:<44} {_fmt(section.get('throughput_per_s')):>9} {_fmt(lat.get('p50_ms')):>8} "
        f"{_fmt(lat.get('p99_ms')):>8} {_fmt(lat.get('max_ms')):>8} {_fmt(lat.get('n')):>7} {per_rpc_text}  {cpu_text}"
    )


def render_table(results: dict[str, Any]) -> str:
    s = results["sections"]
    m = results["machine"]
    o = results["options"]
    lines = [
        f"callcenter bench {results['date']} | {m['cores']} cores {m['cpu_model']} | Python {m['python']}"
        f" grpcio {m['grpcio']} redis {m.get('redis_version', '?')}",
        f"client load: {o['clients']} load-generator process(es) x {o['concurrency']} requests in flight;"
        f" {o['seconds']} s per section; loadavg at start {m['loadavg_at_start']}",
        "us/rpc: CPU microseconds the server under test spent per RPC",
        "",
        f"{'section':<44} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'n':>7} {'us/rpc':>6}"
        "  CPU (100% = one core)",
    ]
    if "echo" in s:
        lines.append(row("ceiling: gRPC echo", s["echo"]))
    if "echo_redis" in s:
        lines.append(row("ceiling: gRPC echo + 1 Redis RTT", s["echo_redis"]))
    for key, label in (
        ("router_lifecycle", "router: call lifecycle (3 RPCs)"),
        ("conversations", "router: chat (5 RPCs)"),
    ):
        if key not in s:
            continue
        r = s[key]
        lines.append(row(label, r))
        for name, lat in r["rpc_latency"].items():
            lines.append(row(f"  {name}", {"latency": lat}))
        ratios = ", ".join(
            f"{r[k]:.0%} of {k.removeprefix('rpc_ratio_to_')}" for k in r if k.startswith("rpc_ratio_to_")
        )
        if ratios:
            lines.append(f"  router RPC/s {r['rpc_per_s']:.0f} = {ratios} RPC/s")
        if r.get("note"):
            lines.append(f"  {r['note']}")
    if "timers" in s:
        t = s["timers"]
        lines.append(f"timers (ring timeout {t['ring_timeout_ms']} ms, wrap-up {t['wrap_up_ms']} ms): lateness")
        for phase in ("idle", "under_load"):
            if phase not in t:
                continue
            p = t[phase]
            lines.append(row(f"  {phase}: failover (event time)", {"latency": p["failover_event_lateness"]}))
            lines.append(row(f"  {phase}: failover seen by the PBX", {"latency": p["failover_seen_by_pbx_lateness"]}))
            lines.append(row(f"  {phase}: wrap-up release (event time)", {"latency": p["wrap_up_release_lateness"]}))
            if p["load"].get("lifecycles_per_s"):
                lines.append(
                    row(
                        "    load meanwhile (lifecycles)",
                        {
                            "throughput_per_s": p["load"]["lifecycles_per_s"],
                            "cpu_percent": p["load"].get("cpu_percent", {}),
                        },
                    )
                )
    for point in s.get("scale", []):
        lines.append(
            row(
                f"scale: RouteCall, {point['agents']} agents, round {point.get('round', 1)}",
                {
                    "latency": point["route"],
                    "throughput_per_s": point["lifecycles_per_s"],
                    "cpu_percent": point["cpu_percent"],
                    "cpu_us_per_rpc": point["cpu_us_per_rpc"],
                },
            )
            + f"  redis {_fmt(point['redis_script_usec_per_call'])} us/script"
        )
    if "pbx" in s:
        from callcenter.tools.bench.pbx_load import render_lines

        lines.extend(render_lines(s["pbx"]))
    sip = s.get("sip", {})
    if sip.get("status") == "measured":
        from callcenter.tools.sip.load import summary_lines

        lines.extend(summary_lines(sip))
        cpu = sip["cpu_percent"]
        lines.append(
            f"  CPU % of a core during the SIP load: router {_fmt(cpu.get('router'))}, redis {_fmt(cpu.get('redis'))}"
        )
    elif sip:
        lines.append(f"{'sip:':<44} {sip['status']}")
    if "outbound" in s:
        from callcenter.tools.bench.outbound_section import render_lines as outbound_lines

        lines.extend(outbound_lines(s["outbound"]))
    rec = s.get("recorder", {})
    if rec.get("status") == "measured":
        lines.append(row(f"recorder: {rec['audio_seconds_per_upload']:g} s uploads, whole", rec))
        lines.append(row("  acknowledgement (last byte -> stored)", {"latency": rec["ack_latency"]}))
        lines.append(
            f"  {rec['uploads_in_flight']} uploads in flight: {rec['audio_mb_per_s']} MB/s of audio ="
            f" {rec['realtime_factor']:g} live calls' worth ({rec['codec']})"
        )
    elif rec:
        lines.append(f"{'recorder:':<44} {rec['status']}")
    st = s.get("stats", {})
    if st.get("status") == "measured":
        lines.append(row("stats: ingest while the router is loaded", st["load"]))
        lines.append(row("  lag behind the event stream", {"latency": st["lag"]}))
        lines.append(row("  GetBoard meanwhile", {"latency": st["board_latency"]}))
        lines.append(
            f"  {st['events_per_s']:g} events/s appended; at the end {st.get('backlog_at_end', '?')} not yet"
            f" delivered, caught up {'-' if st['catch_up_s'] is None else st['catch_up_s']} s later"
            f" ({st.get('catch_up_events_per_s') or '-'} events/s)"
        )
    elif st:
        lines.append(f"{'stats:':<44} {st['status']}")
    return "\n".join(lines)


def run_from_args(args: argparse.Namespace) -> int:
    """Runs the bench with parsed options (callcenter.tools.bench.cli.add_arguments); the exit code."""
    from callcenter.core.logs import configure_logging

    configure_logging("json", "warning")
    try:
        results = asyncio.run(Bench(args).run())
    except KeyboardInterrupt:
        return 130
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.output}", flush=True)
    return 0
