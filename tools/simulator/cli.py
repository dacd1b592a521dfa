"""`python -m callcenter.tools.simulator` / `callcenter simulate`: the options of a simulation."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import pathlib
import sys
from typing import TYPE_CHECKING

from callcenter.core.settings import load
from callcenter.tools.simulator.config import (
    CAMPAIGN_MODES,
    PBX_CONTRACTS,
    RING_TIMERS,
    SIM_QUEUES,
    SimulationConfig,
    SimulatorEnvironment,
    format_weights,
    parse_weights,
)

if TYPE_CHECKING:  # gRPC is imported when a simulation runs, not when the CLI is built
    from callcenter.tools.simulator.pbx import SimulationResult
    from callcenter.tools.simulator.side_effects import SideEffect

# `callcenter up --demo`: half an hour of a call centre in a minute, until Ctrl+C.
DEMO_SPEED = 30.0
# The PBX contract the command line plays (--pbx-contract).
DEFAULT_PBX_CONTRACT = "v2"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulation's options, for `python -m callcenter.tools.simulator` and `callcenter simulate`."""
    d = SimulationConfig()
    env = load(SimulatorEnvironment)
    parser.add_argument(
        "--router",
        default=env.router,
        help="router gRPC address, or several IPv4 host:port of its replicas separated by commas"
        " (default: %(default)s, or CALLCENTER_ROUTER_ADDR)",
    )
    parser.add_argument(
        "--speed", type=float, default=d.speed, help="time compression: 30 plays 30 minutes in one (default: 1)"
    )
    parser.add_argument("--rate", type=float, default=d.rate_per_min, help="new calls per simulated minute (Poisson)")
    parser.add_argument(
        "--duration",
        type=float,
        default=d.duration_s,
        help="wall-clock seconds of arrivals; 0 runs until Ctrl+C (default: %(default)s)",
    )
    parser.add_argument("--calls", type=int, default=None, help="stop after this many calls")
    parser.add_argument("--agents", type=int, default=d.agents, help="agents in the team (default: %(default)s)")
    parser.add_argument(
        "--never-answer", type=int, default=d.never_answer_agents, help="agents who never pick up (failover shows)"
    )
    parser.add_argument(
        "--answer-probability", type=float, default=d.answer_probability, help="chance an agent picks up an offer"
    )
    parser.add_argument("--answer-delay", type=float, default=d.answer_delay.median_s, help="median seconds to pick up")
    parser.add_argument("--talk", type=float, default=d.talk.median_s, help="median talk seconds (lognormal)")
    parser.add_argument("--patience", type=float, default=d.patience.median_s, help="median seconds a caller waits")
    parser.add_argument("--vip", type=float, default=d.vip_fraction, help="share of known clients who are VIPs")
    parser.add_argument(
        "--returning", type=float, default=d.returning_fraction, help="share of calls from known clients"
    )
    parser.add_argument("--ring-timeout", type=float, default=d.ring_timeout_s, help="queue ring timeout, seconds")
    parser.add_argument("--wrap-up", type=float, default=d.wrap_up_s, help="queue wrap-up, seconds")
    parser.add_argument("--drain", type=float, default=d.drain_s, help="wall-clock seconds to let calls finish")
    parser.add_argument("--summary-every", type=float, default=d.summary_every_s, help="seconds between summaries")
    parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable runs)")
    parser.add_argument("--prefix", default=d.prefix, help="prefix of the queues and agents created")
    parser.add_argument("--call-log", type=pathlib.Path, help="write one JSON line per finished call here")
    parser.add_argument(
        "--stats",
        default=env.stats,
        help="stats service gRPC address: create CRM leads for some calls and move them through the"
        " pipeline there (default: none, or CALLCENTER_STATS_ADDR)",
    )
    parser.add_argument("--lead-share", type=float, default=0.5, help="share of new callers with a lead (--stats)")
    parser.add_argument(
        "--pbx-contract",
        choices=PBX_CONTRACTS,
        default=DEFAULT_PBX_CONTRACT,
        help="v2: one PbxSession stream for all calls, the PBX runs the ring timer, resumes after a"
        " break; v1: a WatchCall stream per call, ring-outs left to the router (default: %(default)s)",
    )
    parser.add_argument("--pbx-id", default=d.pbx_id, help="v2: the PBX's id (default: <prefix>-<run tag>)")
    parser.add_argument(
        "--pbx-lease", type=float, default=d.pbx_lease_s, help="v2: session lease, wall-clock seconds (1-300)"
    )
    parser.add_argument(
        "--ring-timer",
        choices=RING_TIMERS,
        default=d.ring_timer,
        help="v2: who ends an unanswered ring: the PBX (reports NO_ANSWER) or the router (default: %(default)s)",
    )
    parser.add_argument(
        "--campaign",
        type=int,
        default=d.campaign_contacts,
        help="v2: run a campaign of this many contacts on the sales queue (the PBX dials them)",
    )
    parser.add_argument("--campaign-mode", choices=CAMPAIGN_MODES, default=d.campaign_mode, help="the campaign's mode")
    parser.add_argument(
        "--customer-answer",
        type=float,
        default=d.customer_answer_probability,
        help="chance a dialled customer answers (else busy 0.1, failed 0.05, no answer: at most 0.85)",
    )
    parser.add_argument("--dial-delay", type=float, default=d.dial_delay.median_s, help="median seconds a dial takes")
    parser.add_argument(
        "--chats",
        type=float,
        default=d.chats_per_min,
        help="new chats per simulated minute (ConversationService; 0: none, the default; the demo plays some)",
    )
    parser.add_argument(
        "--chat-queues",
        default=",".join(d.chat_queues),
        help=f"the simulation's queues chats go to, of {', '.join(SIM_QUEUES)} (default: %(default)s)",
    )
    parser.add_argument(
        "--chat-channels",
        default=format_weights(d.chat_channels),
        help="chat channels with their weights (default: %(default)s)",
    )
    parser.add_argument(
        "--chat-topics",
        default=format_weights(d.chat_topics),
        help="chat topics with their weights (default: %(default)s)",
    )
    parser.add_argument(
        "--chat-messages", type=float, default=d.chat_messages.median_s, help="median customer messages per chat"
    )
    parser.add_argument(
        "--chat-reply-delay",
        type=float,
        default=d.chat_reply_delay.median_s,
        help="median seconds an agent takes to reply to a chat (lognormal, sigma 0.8: some miss the deadline)",
    )
    parser.add_argument(
        "--chat-think", type=float, default=d.chat_think.median_s, help="median seconds a customer takes to write again"
    )
    parser.add_argument(
        "--chat-known", type=float, default=d.chat_known_fraction, help="share of chats from known clients"
    )
    parser.add_argument(
        "--chat-capacity", type=int, default=d.chat_capacity, help="queue: open chats an agent holds per channel"
    )
    parser.add_argument(
        "--first-response",
        type=float,
        default=d.first_response_s,
        help="queue: first reply deadline of a chat, seconds",
    )
    parser.add_argument(
        "--reply", type=float, default=d.reply_s, help="queue: deadline of later replies of a chat, seconds"
    )
    parser.add_argument(
        "--recorder",
        default=env.recorder,
        help="recorder gRPC address: stream each answered call's audio there (default: none,"
        " or CALLCENTER_RECORDER_ADDR)",
    )


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    d = SimulationConfig()
    return SimulationConfig(
        router=args.router,
        credentials=load(SimulatorEnvironment).grpc,
        speed=args.speed,
        rate_per_min=args.rate,
        duration_s=args.duration if args.duration and args.duration > 0 else None,
        max_calls=args.calls,
        agents=args.agents,
        never_answer_agents=min(args.never_answer, args.agents),
        answer_probability=args.answer_probability,
        answer_delay=dataclasses.replace(d.answer_delay, median_s=args.answer_delay),
        talk=dataclasses.replace(d.talk, median_s=args.talk),
        patience=dataclasses.replace(d.patience, median_s=args.patience),
        vip_fraction=args.vip,
        returning_fraction=args.returning,
        ring_timeout_s=args.ring_timeout,
        wrap_up_s=args.wrap_up,
        drain_s=args.drain,
        summary_every_s=args.summary_every,
        seed=args.seed,
        prefix=args.prefix,
        pbx_contract=args.pbx_contract,
        pbx_id=args.pbx_id,
        pbx_lease_s=args.pbx_lease,
        ring_timer=args.ring_timer,
        campaign_contacts=args.campaign,
        campaign_mode=args.campaign_mode,
        customer_answer_probability=args.customer_answer,
        dial_delay=dataclasses.replace(d.dial_delay, median_s=args.dial_delay),
        chats_per_min=args.chats,
        chat_queues=tuple(name.strip() for name in args.chat_queues.split(",") if name.strip()),
        chat_channels=parse_weights(args.chat_channels),
        chat_topics=parse_weights(args.chat_topics),
        chat_messages=dataclasses.replace(d.chat_messages, median_s=args.chat_messages),
        chat_reply_delay=dataclasses.replace(d.chat_reply_delay, median_s=args.chat_reply_delay),
        chat_think=dataclasses.replace(d.chat_think, median_s=args.chat_think),
        chat_known_fraction=args.chat_known,
        chat_capacity=args.chat_capacity,
        first_response_s=args.first_response,
        reply_s=args.reply,
    )


def side_effects_from_args(args: argparse.Namespace) -> list[SideEffect]:
    """The side effects the options ask for: a call log, recordings streamed to the recorder
    while agents talk, CRM leads created and moved through the pipeline in the stats service."""
    from callcenter.tools.simulator.side_effects import CallLog

    effects: list[SideEffect] = []
    if getattr(args, "call_log", None):
        effects.append(CallLog(args.call_log))
    if getattr(args, "recorder", ""):
        from callcenter.tools.simulator import recorder

        if not recorder.available():
            raise ValueError("--recorder needs the recorder's generated code (callcenter.recorder.v1)")
        effects.append(recorder.Recordings(args.recorder, credentials=load(SimulatorEnvironment).grpc))
    if getattr(args, "stats", ""):
        from callcenter.tools.simulator import leads

        if not leads.available():
            raise ValueError("--stats needs the stats service's generated code (callcenter.stats.v1)")
        effects.append(
            leads.Leads(args.stats, lead_fraction=args.lead_share, credentials=load(SimulatorEnvironment).grpc)
        )
    return effects


def report(result: SimulationResult, out=None) -> None:
    out = out or sys.stdout
    print(f"final states: {result.final_states} in {result.elapsed_s:.1f} s", file=out, flush=True)
    if result.chats.get("chats"):
        print(f"chats: {result.chats}", file=out, flush=True)


async def run(args: argparse.Namespace, stop: asyncio.Event | None = None) -> SimulationResult:
    from callcenter.tools.simulator.pbx import Simulation

    result = await Simulation(config_from_args(args), side_effects_from_args(args)).run(stop)
    report(result)
    return result


async def run_until_terminated(args: argparse.Namespace) -> SimulationResult:
    """Runs until the duration/number of calls is over or SIGINT/SIGTERM arrives (then the
    calls in progress drain)."""
    from callcenter.core.lifecycle import wait_for_termination

    stop = asyncio.Event()

    async def watch_signals() -> None:
        await wait_for_termination()
        stop.set()

    watcher = asyncio.create_task(watch_signals())
    try:
        return await run(args, stop)
    finally:
        watcher.cancel()


#: The contacts of the demo's progressive campaign on the sales queue (docs/outbound.md).
DEMO_CAMPAIGN_CONTACTS = 200
#: The demo's chats per simulated minute on the support queue (docs/simulator.md#chats).
DEMO_CHATS_PER_MIN = 4.0


async def demo(
    router_address: str,
    stop: asyncio.Event,
    speed: float = DEMO_SPEED,
    recorder_address: str = "",
    stats_address: str = "",
) -> SimulationResult:
    """`callcenter up --demo`: plays calls against the router at router_address until `stop`
    is set, with a summary every 5 s; with recorder_address, answered calls are recorded;
    with stats_address, CRM leads are created and moved along."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = ["--router", router_address, "--speed", str(speed), "--duration", "0", "--drain", "3"]
    argv += ["--campaign", str(DEMO_CAMPAIGN_CONTACTS)]  # outbound work beside the inbound calls
    argv += ["--chats", str(DEMO_CHATS_PER_MIN)]  # and chats: the conversations' board fills
    args = parser.parse_args(argv + ["--recorder", recorder_address, "--stats", stats_address])
    return await run(args, stop)


def run_from_args(args: argparse.Namespace) -> int:
    """Runs a simulation from parsed options (those of add_arguments); the exit code."""
    import grpc

    from callcenter.core.config import CommonConfig
    from callcenter.core.logs import configure_logging

    common = CommonConfig.from_env()
    configure_logging(common.log_format, load(SimulatorEnvironment).log_level)
    try:
        result = asyncio.run(run_until_terminated(args))
    except ValueError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except grpc.aio.AioRpcError as exc:
        print(f"simulate: the router at {args.router} refused: {exc.code().name} {exc.details()}", file=sys.stderr)
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED and getattr(args, "pbx_contract", "") == "v2":
            print("simulate: that router has no PbxSession (PBX contract v2); try --pbx-contract v1", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    return 0 if result.counters["routed"] or not result.counters["calls"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m callcenter.tools.simulator",
        description="Play a virtual PBX and a team of agents against a running router",
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
