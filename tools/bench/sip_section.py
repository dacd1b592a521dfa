"""The bench's `sip` section: the SIP path users really take, sipp callers through a real Kamailio
running the integration, a router process and sipp answering for every agent
(callcenter.tools.sip.load); failover lateness read from the SIP trace, CPU of each part."""

from __future__ import annotations

import pathlib
from typing import Any

from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.tools.bench.procs import CpuMeter, ServerProcess, service_channel
from callcenter.tools.sip.load import SipLoadPlan, run_sip_load, summary_lines
from callcenter.tools.sip.processes import sip_tools_missing


def plan_from(args) -> SipLoadPlan:
    return SipLoadPlan(
        calls_per_s=args.sip_rate,
        seconds=args.sip_seconds,
        agents=args.sip_agents,
        ring_timeout_ms=args.sip_ring_timeout_ms,
        wrap_up_ms=args.sip_wrap_up_ms,
    )


async def sip_section(bench, workdir: pathlib.Path, redis_url: str, redis) -> dict[str, Any]:
    missing = sip_tools_missing()
    if missing:
        bench.say(f"sip: not measured ({missing} not installed)")
        return {"status": f"not installed: {missing}"}
    tenant = bench.tenant + "sip"
    router = ServerProcess.router(workdir, redis_url, tenant, name="router-sip")
    await router.start()
    meter = CpuMeter({"router": [router.pid or 0], "redis": [bench.redis_pid or 0]})
    try:
        async with service_channel(router.address) as channel:
            stub = router_pb2_grpc.RouterServiceStub(channel)
            meter.start()
            port = int(router.address.rsplit(":", 1)[1])
            result = await run_sip_load(stub, redis, tenant, port, workdir / "sip", plan_from(bench.args), bench.say)
            result["cpu_percent"] = meter.stop()
    finally:
        router.stop()
    for line in summary_lines(result):
        bench.say(line)
    return {"status": "measured", **result}
