"""docs/pbx-integration.md's worked example (the v1 sequence) runs as written and prints what
the document says, against a real router with the bundled example queues."""

from __future__ import annotations

import asyncio
import importlib.resources
import pathlib
import re
import sys

import grpc

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc

DOC = pathlib.Path(__file__).parent.parent / "docs" / "pbx-integration.md"


def _block(kind: str, after: str) -> str:
    """The first ```kind block after the heading `after`."""
    text = DOC.read_text()
    return re.search(rf"```{kind}\n(.*?)```", text[text.index(after) :], flags=re.S).group(1)


def _shape(text: str) -> list[str]:
    """Lines with every number replaced (times, versions of the clock, the ring timeout differ)."""
    return [re.sub(r"\d+", "N", line) for line in text.strip().splitlines()]


async def test_the_documented_v1_sequence_still_runs_as_written(start_replica, tmp_path):
    example = pathlib.Path(str(importlib.resources.files("callcenter") / "examples" / "queues.toml"))
    replica = await start_replica(config_file=example)
    address = f"127.0.0.1:{replica.port}"
    async with grpc.aio.insecure_channel(address) as channel:  # the 5 s ring timeout, made short
        stub = router_pb2_grpc.RouterServiceStub(channel)
        sales = (await stub.GetQueue(pb.GetQueueRequest(name="sales"))).queue
        sales.ClearField("counts")
        sales.ring_timeout.FromMilliseconds(300)
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=sales))
    script = tmp_path / "pbx_example.py"
    script.write_text(_block("python", "## Worked example"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), address, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    printed, documented = _shape(out.decode()), _shape(_block("text", "Its output"))
    # The PBX's own lines come in the documented order; the watch stream's lines interleave
    # with them as the scheduler has it, and a watcher that wakes late (a busy machine)
    # reports the call as it is then, so it may skip a step: what it prints is a subsequence
    # of the documented watch lines, ending in the final states.
    watched = [line for line in printed if line.startswith("  watch")]
    assert [line for line in printed if line not in watched] == [
        line for line in documented if not line.startswith("  watch")
    ]
    expected = iter(line for line in documented if line.startswith("  watch"))
    assert all(line in expected for line in watched), watched
    for final in ("  watch: CALL_STATE_COMPLETED vN agent=boris", "  watch: CALL_STATE_TIMED_OUT vN"):
        assert final in watched
