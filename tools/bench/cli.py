"""`python -m callcenter.tools.bench` / `callcenter bench`: the options. Building them imports nothing
heavy; the bench itself is callcenter.tools.bench.runner."""

from __future__ import annotations

import argparse
import pathlib
import sys


def _scale_list(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("counts must be at least 1")
    return values


SECTIONS = ("echo", "router", "conversations", "timers", "scale", "pbx", "sip", "outbound", "recorder", "stats")


def _sections(text: str) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"sections are {', '.join(SECTIONS)}; got {text!r}")
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench's options, for `python -m callcenter.tools.bench` and `callcenter bench`."""
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per section (default: 10)")
    parser.add_argument("--clients", type=int, default=1, help="load-generator processes (default: 1)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per load generator")
    parser.add_argument("--payload", type=int, default=64, help="echo payload bytes (about a RouteCallRequest)")
    parser.add_argument(
        "--scale", type=_scale_list, default=[10, 1000, 10000], help="agent counts for the scale section"
    )
    parser.add_argument("--scale-seconds", type=float, default=5.0, help="seconds of load per scale point")
    parser.add_argument(
        "--scale-rounds", type=int, default=2, help="rounds over the agent counts, alternating order (default: 2)"
    )
    parser.add_argument("--scale-concurrency", type=int, default=4, help="requests in flight in the scale section")
    parser.add_argument("--probe-concurrency", type=int, default=4, help="parallel timer probes of each kind")
    parser.add_argument("--ring-timeout-ms", type=int, default=200, help="ring timeout of the failover probes")
    parser.add_argument("--wrap-up-ms", type=int, default=300, help="wrap-up of the wrap-up probes")
    parser.add_argument(
        "--pbx-in-flight",
        type=_scale_list,
        default=[100, 400],
        help="calls in flight of the PBX-at-load section, one point each (default: 100,400)",
    )
    parser.add_argument("--pbx-seconds", type=float, default=45.0, help="seconds of load per PBX point (default: 45)")
    parser.add_argument("--pbx-agents", type=int, default=50, help="agents of the PBX section (default: 50)")
    parser.add_argument("--pbx-replicas", type=int, default=3, help="router processes of the PBX section (default: 3)")
    parser.add_argument(
        "--pbx-clients",
        type=int,
        default=3,
        help="PBX processes, one session each; the last leaves the ring timer to the router (default: 3)",
    )
    parser.add_argument("--pbx-ring-timeout-ms", type=int, default=2000, help="ring timeout of the PBX section")
    parser.add_argument("--pbx-wrap-up-ms", type=int, default=1000, help="wrap-up of the PBX section")
    parser.add_argument(
        "--pbx-ring-grace-ms", type=int, default=2000, help="the routers' CALLCENTER_PBX_RING_GRACE_MS (default: 2000)"
    )
    parser.add_argument("--sip-rate", type=float, default=20.0, help="new SIP calls per second (default: 20)")
    parser.add_argument("--sip-seconds", type=float, default=60.0, help="seconds of SIP calls (default: 60)")
    parser.add_argument("--sip-agents", type=int, default=200, help="agents of the SIP section (default: 200)")
    parser.add_argument("--sip-ring-timeout-ms", type=int, default=2000, help="ring timeout of the SIP section")
    parser.add_argument("--sip-wrap-up-ms", type=int, default=1000, help="wrap-up of the SIP section")
    parser.add_argument(
        "--outbound-contacts", type=int, default=10_000, help="contacts of the outbound campaign (default: 10000)"
    )
    parser.add_argument("--outbound-agents", type=int, default=50, help="agents of the outbound section (default: 50)")
    parser.add_argument(
        "--outbound-answer", type=float, default=0.3, help="chance a dialled customer answers (default: 0.3)"
    )
    parser.add_argument(
        "--outbound-seconds", type=float, default=None, help="seconds of the outbound section (default: --seconds)"
    )
    parser.add_argument("--upload-concurrency", type=int, default=8, help="recorder uploads in flight per client")
    parser.add_argument("--upload-audio-s", type=float, default=60.0, help="seconds of audio per recorder upload")
    parser.add_argument(
        "--sections",
        type=_sections,
        default=list(SECTIONS),
        help="comma-separated sections to run: echo (both ceilings), router, timers, scale, pbx, sip, outbound,"
        " recorder,"
        " stats"
        " (default: all; the recorder and stats when their services are there)",
    )
    parser.add_argument(
        "--secure",
        action="store_true",
        help="run every service with TLS and every client with a token, as in production (docs/security.md)",
    )
    parser.add_argument(
        "--profile-router",
        type=pathlib.Path,
        help="run the router under cProfile and write its profile here (diagnostic; slows the router)",
    )
    parser.add_argument(
        "--output", type=pathlib.Path, default=pathlib.Path("bench-results.json"), help="where to write the JSON"
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Runs the bench with options parsed by a parser given add_arguments; the exit code."""
    counts = (
        args.clients,
        args.concurrency,
        args.scale_rounds,
        args.scale_concurrency,
        args.probe_concurrency,
        args.pbx_agents,
        args.pbx_replicas,
        args.pbx_clients,
        args.pbx_ring_timeout_ms,
        args.sip_agents,
        args.sip_ring_timeout_ms,
        args.outbound_contacts,
        args.outbound_agents,
    )
    durations = (
        args.seconds,
        args.scale_seconds,
        args.upload_audio_s,
        args.pbx_seconds,
        args.sip_seconds,
        args.sip_rate,
    )
    if args.pbx_wrap_up_ms < 0 or args.pbx_ring_grace_ms < 0:
        print("bench: the PBX wrap-up and ring grace must not be negative", file=sys.stderr)
        return 2
    if not 0 <= args.outbound_answer <= 0.85 or (args.outbound_seconds is not None and args.outbound_seconds <= 0):
        print("bench: --outbound-answer must be 0-0.85 and --outbound-seconds above 0", file=sys.stderr)
        return 2
    if min(counts) < 1 or args.upload_concurrency < 1 or min(durations) <= 0:
        print("bench: counts must be at least 1 and durations above 0", file=sys.stderr)
        return 2
    from callcenter.tools.bench.runner import run_from_args as run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m callcenter.tools.bench",
        description="Benchmark the router against this machine's gRPC/Redis ceiling",
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
