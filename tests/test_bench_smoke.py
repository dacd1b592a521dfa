"""A smoke run of the benchmark with tiny numbers: every section runs and the JSON has the
figures. Timings are not asserted (the machine is shared); docs/performance.md has them."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_tiny_bench_run_prints_the_table_and_writes_every_section(tmp_path):
    output = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.bench",
            "--seconds",
            "0.2",
            "--concurrency",
            "2",
            "--scale",
            "3,12",
            "--scale-seconds",
            "0.15",
            "--scale-rounds",
            "1",
            "--scale-concurrency",
            "1",
            "--probe-concurrency",
            "1",
            "--ring-timeout-ms",
            "50",
            "--wrap-up-ms",
            "50",
            "--upload-concurrency",
            "1",
            "--upload-audio-s",
            "2",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ceiling: gRPC echo" in done.stdout and "router: call lifecycle" in done.stdout
    assert "stats" in done.stdout and "recorder" in done.stdout
    results = json.loads(output.read_text())
    s = results["sections"]
    assert s["echo"]["latency"]["n"] > 0 and s["echo_redis"]["latency"]["n"] > 0
    life = s["router_lifecycle"]
    assert life["latency"]["n"] > 0 and life["errors"] == 0
    assert 0 < life["rpc_ratio_to_echo"] and set(life["rpc_latency"]) == {
        "RouteCall",
        "ReportOfferOutcome",
        "HangupCall",
    }
    for phase in ("idle", "under_load"):
        assert s["timers"][phase]["failover_event_lateness"]["n"] > 0
        assert s["timers"][phase]["wrap_up_release_lateness"]["n"] > 0
    assert [p["agents"] for p in s["scale"]] == [3, 12] and all(p["route"]["n"] > 0 for p in s["scale"])
    # The recorder and the stats are measured when their services are there (other teams';
    # a failure of theirs is reported in the results, not raised), else placeholders stand.
    recorder, stats = s["recorder"], s["stats"]
    for section in (recorder, stats):
        status = section["status"]
        assert status in ("measured", "not yet measured (service not built)") or status.startswith("failed:")
    if recorder["status"] == "measured":
        assert recorder["latency"]["n"] > 0 and recorder["audio_mb_per_s"] > 0
    if stats["status"] == "measured":
        assert stats["events_per_s"] > 0 and stats["lag"]["n"] > 0 and stats["load"]["latency"]["n"] > 0
    assert results["machine"]["cores"] >= 1
