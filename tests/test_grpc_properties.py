"""Every RPC of the router, stats and recorder services, fed requests generated from the
protos' descriptors, answers as a service should: never UNKNOWN or INTERNAL (a crash) nor
UNAVAILABLE, a status message short enough for the client to receive, a unary answer always
within its deadline (DEADLINE_EXCEEDED is a hang), and afterwards the services
still answer health checks and what was made before (a queue, an agent, a call record, a lead,
a recording) reads back unchanged.

The RPCs are enumerated from the generated service descriptors, so a new RPC is covered by
adding it to its proto. The requests are drawn from the message descriptors: values of each
field's type, ids of objects that exist, and mutations (Timestamps and Durations with seconds
or nanos out of range, year 9999, int64 extremes; negative and huge numbers; enum values no
proto declares; very long strings, control characters; huge repeated and map fields). Client-
and bidirectional-streaming RPCs get short streams of such messages; a streaming answer is
read for a few messages, then the call is cancelled (an open stream may wait for events).

Hypothesis runs derandomized (the same examples every run) with a few examples per RPC, so
the whole test stays well under a minute and a half on a busy two-core machine (about 25 s
idle); EXAMPLES below says how to search harder.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import pathlib
import re
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor as pbd
from google.protobuf import duration_pb2, message_factory, text_format, timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from callcenter.api.recorder.v1 import recorder_pb2, recorder_pb2_grpc
from callcenter.api.router.v1 import campaigns_pb2, conversations_pb2, router_pb2, router_pb2_grpc, segments_pb2
from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc
from tests.helpers import multi_callable
from tests.recorder_fixtures import metadata, tone, upload

SERVICES = {
    "router": router_pb2.DESCRIPTOR.services_by_name["RouterService"],
    "stats": stats_pb2.DESCRIPTOR.services_by_name["StatsService"],
    "recorder": recorder_pb2.DESCRIPTOR.services_by_name["RecorderService"],
    "campaigns": campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"],  # served by the router
    "segments": segments_pb2.DESCRIPTOR.services_by_name["SegmentService"],  # served by the router
    "conversations": conversations_pb2.DESCRIPTOR.services_by_name["ConversationService"],  # served by the router
}
# To search harder locally: GRPC_PROPERTIES_EXAMPLES=400 GRPC_PROPERTIES_RANDOM=1 (new examples each run).
EXAMPLES = int(os.environ.get("GRPC_PROPERTIES_EXAMPLES", "25"))  # per RPC answering once
STREAM_EXAMPLES = max(EXAMPLES * 2 // 5, 1)  # per RPC answering with a stream (each may take STREAM_PATIENCE_S)
RANDOM = bool(os.environ.get("GRPC_PROPERTIES_RANDOM"))
UNARY_DEADLINE_S = 10.0  # far beyond any honest answer, even on a loaded machine
STREAM_PATIENCE_S = 0.5  # the deadline of a streaming answer (an open stream is cancelled then)
STREAM_READS = 3  # messages read of a streaming answer before the call is cancelled
NEVER = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE}

# ---- values -----------------------------------------------------------------------------------

YEAR_9999 = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a Timestamp may hold
INSIDE = (946_684_800, 4_102_444_799)  # 2000-01-01 .. 2099-12-31T23:59:59 (the services' window)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
_INT_RANGE = {
    pbd.FieldDescriptor.TYPE_INT32: INT32,
    pbd.FieldDescriptor.TYPE_SINT32: INT32,
    pbd.FieldDescriptor.TYPE_SFIXED32: INT32,
    pbd.FieldDescriptor.TYPE_INT64: INT64,
    pbd.FieldDescriptor.TYPE_SINT64: INT64,
    pbd.FieldDescriptor.TYPE_SFIXED64: INT64,
    pbd.FieldDescriptor.TYPE_UINT32: UINT32,
    pbd.FieldDescriptor.TYPE_FIXED32: UINT32,
    pbd.FieldDescriptor.TYPE_UINT64: UINT64,
    pbd.FieldDescriptor.TYPE_FIXED64: UINT64,
}
# Strings that mean something to some field somewhere: days, time zones, stages, numbers,
# and the shapes that break naive parsing (separators of stored lists, key syntax, paths).
MEANINGFUL = [
    "",
    "2026-03-02",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "1999-12-31",
    "2100-01-01",
    "UTC",
    "Europe/Berlin",
    "Pacific/Kiritimati",
    "Nowhere/Atlantis",
    "../../../etc/passwd",
    "lead",
    "won",
    "+4930123456",
    "sip:anna@pbx",
    "a,b",
    "a|b",
    "{x}",
    "*",
    "%s%n",
    "\\",
    "-1",
    "1e300",
    "NaN",
]
CONTROL = st.text(st.characters(codec="utf-8", max_codepoint=0x1F) | st.sampled_from("\x7f\u2028\ufeff\U0010ffff"))


# Named functions, not lambdas, for .map(): Hypothesis labels a mapped strategy by its function,
# and a lambda's label is read from its source with ast.parse, which CPython 3.11 can fail with
# "SystemError: AST constructor recursion depth mismatch" (cpython gh-106905) mid-run.
def _repeated(t: tuple[str, int]) -> str:
    return t[0] * t[1]


def _ms_as_nanos(ms: int) -> int:
    return ms * 1_000_000


def _small_repeated(t: tuple[Any, int]) -> list[Any]:
    return [_small(t[0])] * t[1]


def _small_map(t: tuple[Any, int]) -> dict[str, Any]:
    return {f"k{i}": _small(t[0]) for i in range(t[1])}


def _no_map(t: tuple[Any, int]) -> dict[str, Any]:
    return {}


def _stream_of(t: tuple[Any, list[Any], bool]) -> list[Any]:
    """Nothing (a stream closed at once) or the opening message and the others."""
    return [] if t[2] and not t[1] else [t[0], *t[1]]


def _long_text() -> st.SearchStrategy[str]:
    return st.tuples(
        st.characters(codec="utf-8", exclude_categories=["Cs"]), st.sampled_from([300, 5_000, 70_000])
    ).map(_repeated)


def strings(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ids),
        st.sampled_from(MEANINGFUL),
        st.text(max_size=24),
        CONTROL,
        _long_text(),
    )


def integers(low: int, high: int, mutate: bool) -> st.SearchStrategy[int]:
    small = st.integers(max(low, -5), min(high, 5_000))
    if not mutate:
        return small
    extremes = [v for v in (low, high, -1, 2**31 - 1, -(2**31), 2**32, 2**53, 10**12) if low <= v <= high]
    return st.one_of(small, st.sampled_from(extremes), st.integers(low, high))


def timestamps(mutate: bool) -> st.SearchStrategy[timestamp_pb2.Timestamp]:
    seconds = st.integers(*INSIDE)
    nanos = st.integers(0, 999_999_999)
    if mutate:
        seconds = st.one_of(
            seconds,
            st.sampled_from(
                [0, -1, 5, 946_684_799, 4_102_444_800, YEAR_9999, YEAR_9999 + 1, -62_135_596_801, 10**12, *INT64]
            ),
        )
        nanos = st.one_of(nanos, st.sampled_from([-1, 10**9, 2**31 - 1, -(2**31)]))
    return st.builds(timestamp_pb2.Timestamp, seconds=seconds, nanos=nanos)


def durations(mutate: bool) -> st.SearchStrategy[duration_pb2.Duration]:
    seconds = st.integers(0, 4 * 3600)
    nanos = st.integers(0, 999).map(_ms_as_nanos)
    if mutate:
        seconds = st.one_of(
            seconds,
            st.sampled_from([-1, -5, 86_400 * 366, 315_576_000_000, 315_576_000_001, 10**12, 3 * 10**9 * 100, *INT64]),
        )
        nanos = st.one_of(nanos, st.integers(-999_999_999, 999_999_999), st.sampled_from([10**9, -(10**9), *INT32]))
    return st.builds(duration_pb2.Duration, seconds=seconds, nanos=nanos)


def floats(single: bool, mutate: bool) -> st.SearchStrategy[float]:
    width = 32 if single else 64
    if not mutate:
        return st.floats(-1e6, 1e6, width=width)
    return st.one_of(
        st.floats(width=width), st.sampled_from([math.nan, math.inf, -math.inf, 1e300 if not single else 3e38])
    )


def enums(enum: pbd.EnumDescriptor, mutate: bool) -> st.SearchStrategy[int]:
    known = [v.number for v in enum.values]
    if not mutate:
        return st.sampled_from(known)
    unknown = [max(known) + 1, 4, 99, -1, *INT32]
    return st.one_of(st.sampled_from(known), st.sampled_from(unknown))


def _small(value: Any) -> Any:
    """A value cut to a size that may be repeated thousands of times."""
    return value[:32] if isinstance(value, str | bytes) else value


def _huge(element: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """One element repeated many times (drawing thousands of elements would be slow)."""
    return st.tuples(element, st.sampled_from([1_000, 20_000])).map(_small_repeated)


class Requests:
    """Strategies of request messages from their descriptors; `ids` are ids of objects that
    exist, so that a share of the requests reaches past the lookup."""

    MAX_DEPTH = 4

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def scalar(self, field: pbd.FieldDescriptor, mutate: bool) -> st.SearchStrategy[Any]:
        t = field.type
        if t in _INT_RANGE:
            return integers(*_INT_RANGE[t], mutate)
        if t == pbd.FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if t == pbd.FieldDescriptor.TYPE_STRING:
            return strings(self.ids) if mutate else st.one_of(st.sampled_from(self.ids), st.text(max_size=12))
        if t == pbd.FieldDescriptor.TYPE_BYTES:
            small = st.binary(max_size=64)
            return st.one_of(small, st.sampled_from([b"\0" * 100_001, b"RIFF" + b"\xff" * 40])) if mutate else small
        if t in (pbd.FieldDescriptor.TYPE_FLOAT, pbd.FieldDescriptor.TYPE_DOUBLE):
            return floats(t == pbd.FieldDescriptor.TYPE_FLOAT, mutate)
        if t == pbd.FieldDescriptor.TYPE_ENUM:
            return enums(field.enum_type, mutate)
        raise AssertionError(f"no strategy for {field.full_name} (type {t})")

    def value(self, field: pbd.FieldDescriptor, mutate: bool, depth: int) -> st.SearchStrategy[Any]:
        """A single value of the field (an element of it when repeated)."""
        if field.message_type is None:
            return self.scalar(field, mutate)
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            return timestamps(mutate)
        if name == "google.protobuf.Duration":
            return durations(mutate)
        return self.message(field.message_type, mutate, depth + 1)

    def field(self, field: pbd.FieldDescriptor, mutate: bool, depth: int) -> st.SearchStrategy[Any]:
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
            keys, values = self.value(key, mutate, depth), self.value(value, mutate, depth)
            few = st.dictionaries(keys, values, max_size=3)
            if not mutate:
                return few
            many = st.tuples(values, st.sampled_from([1_000, 20_000])).map(
                _small_map if key.type == pbd.FieldDescriptor.TYPE_STRING else _no_map
            )
            return st.one_of(few, many)
        one = self.value(field, mutate, depth)
        if field.is_repeated:
            few = st.lists(one, max_size=3)
            # A message repeated thousands of times is drawn of valid shape: were its own lists
            # huge too (a segment's conditions and their values), the request would be gigabytes.
            many = _huge(self.value(field, False, depth) if field.message_type is not None else one)
            return st.one_of(few, many) if mutate else few
        return one

    def message(self, d: pbd.Descriptor, mutate: bool | None = None, depth: int = 0, first_choice: bool = False):
        """A message of descriptor d. mutate None: drawn per message (valid shapes or
        mutations). first_choice: each oneof set to its first member (the hello of a stream)."""

        @st.composite
        def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
            mutating = draw(st.booleans()) if mutate is None else mutate
            msg = message_factory.GetMessageClass(d)()
            if depth >= self.MAX_DEPTH:
                return msg
            chosen: set[str] = set()
            for oneof in d.oneofs:
                members = [f.name for f in oneof.fields]
                pick = members[0] if first_choice else draw(st.sampled_from([None, *members]))
                if pick is not None:
                    chosen.add(pick)
            for f in d.fields:
                if f.containing_oneof is not None and f.name not in chosen:
                    continue
                if f.containing_oneof is None and not draw(st.booleans()):
                    continue  # left unset
                value = draw(self.field(f, mutating, depth))
                target = getattr(msg, f.name)
                if f.message_type is not None and f.message_type.GetOptions().map_entry:
                    if f.message_type.fields_by_name["value"].message_type is None:
                        target.update(value)
                    else:
                        for k, v in value.items():
                            target[k].CopyFrom(v)
                elif f.is_repeated:
                    target.extend(value)
                elif f.message_type is not None:
                    target.CopyFrom(value)
                else:
                    setattr(msg, f.name, value)
            return msg

        return build()

    def stream(self, d: pbd.Descriptor) -> st.SearchStrategy[list[Any]]:
        """A short request stream: mostly opening as a client should (the first member of
        each oneof, e.g. a hello or the metadata), then any messages."""
        opening = st.one_of(self.message(d, first_choice=True), self.message(d))
        return st.tuples(opening, st.lists(self.message(d), max_size=3), st.booleans()).map(_stream_of)


class Sent:
    """A generated request (or request stream) whose repr, in hypothesis' reports, stays short."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        messages = self.value if isinstance(self.value, list) else [self.value]
        text = " | ".join(text_format.MessageToString(m, as_one_line=True) for m in messages[:5])
        return _shorten(text or "(empty)", 2_000)


# ---- calls ------------------------------------------------------------------------------------


def invoke(channel: grpc.Channel, method: pbd.MethodDescriptor, request: Any) -> tuple[str, str]:
    """Calls the RPC with a deadline; returns (outcome, details), outcome a status code's
    name, or "OPEN" for a streaming answer still going when it was cancelled. (A blocking
    client: grpc.aio's reports INTERNAL itself when it writes on after the server ended a
    stream with its status.)"""
    serialize = message_factory.GetMessageClass(method.input_type).SerializeToString
    deserialize = message_factory.GetMessageClass(method.output_type).FromString
    stub = multi_callable(channel, method, request_serializer=serialize, response_deserializer=deserialize)
    sent = iter(request) if method.client_streaming else request
    if not method.server_streaming:
        try:
            stub(sent, timeout=UNARY_DEADLINE_S)
        except grpc.RpcError as failed:
            return failed.code().name, failed.details() or ""
        return "OK", ""
    call = stub(sent, timeout=STREAM_PATIENCE_S)
    try:
        for read, _reply in enumerate(call, 1):
            if read == STREAM_READS:
                return "OPEN", ""
        return "OK", ""
    except grpc.RpcError as failed:
        if failed.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return "OPEN", ""  # still open, waiting for events as a watch does
        return failed.code().name, failed.details() or ""
    finally:
        call.cancel()


def verdict(method: pbd.MethodDescriptor, outcome: str, details: str) -> str:
    """What is wrong with an answer ("" when nothing)."""
    if outcome in {code.name for code in NEVER}:
        return f"{method.name} answered {outcome}: {details[:300]}"
    if outcome == "DEADLINE_EXCEEDED" and not method.server_streaming:
        return f"{method.name} ran past its {UNARY_DEADLINE_S} s deadline"
    if "metadata size exceeds" in details:  # the client dropped the answer: its status is lost
        return f"{method.name}'s status message was too long for the client: {details[:300]}"
    return ""


# ---- the services and what exists before the run -----------------------------------------------


def ms_duration(ms: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromMilliseconds(ms)
    return d


async def make_objects(router, recorder, stats_domain, kept: bool) -> dict[str, str]:
    """A queue with an agent who answered a call (a call record), a lead and a recording of
    that call. The kept objects are never named by a generated request; the others' ids are
    (a logged-out agent in its queue, a waiting call, a client, a recording, a lead)."""
    p = "keep" if kept else "fuzz"
    queue, agent, call, lead = f"{p}-q", f"{p}-agent", f"{p}-call", f"{p}-lead"
    rpb = router_pb2
    await router.UpsertQueue(
        rpb.UpsertQueueRequest(queue=rpb.Queue(name=queue, ring_timeout=ms_duration(5000), wrap_up=ms_duration(0)))
    )
    await router.UpsertAgent(
        rpb.UpsertAgentRequest(agent=rpb.Agent(id=agent, name=p.title(), endpoint=f"sip:{agent}@pbx", queues=[queue]))
    )
    if kept:
        await router.LoginAgent(rpb.LoginAgentRequest(agent_id=agent))
        routed = await router.RouteCall(rpb.RouteCallRequest(call_id=call, caller="+4930999", queue=queue))
        await router.ReportOfferOutcome(
            rpb.ReportOfferOutcomeRequest(
                call_id=call, offer_id=routed.call.offer.offer_id, outcome=rpb.OFFER_OUTCOME_ANSWERED
            )
        )
        await router.HangupCall(rpb.HangupCallRequest(call_id=call))
    else:
        await router.RouteCall(rpb.RouteCallRequest(call_id=call, caller="+4930111", queue=queue))  # waits
        await router.UpsertClient(rpb.UpsertClientRequest(client=rpb.Client(number="+4930111", manager_id=agent)))
    stored = await upload(recorder, tone(0.1), metadata(call, agent_id=agent, lead_id=lead))
    await stats_domain.lead_created(lead, agent, "lead", None)
    return {"queue": queue, "agent": agent, "call": call, "lead": lead, "recording": stored.id, "number": "+4930111"}


async def snapshot(router, stats, recorder, kept: dict[str, str]) -> dict[str, Any]:
    """How the kept objects read back."""
    audio = b"".join(
        [
            reply.data
            async for reply in recorder.DownloadRecording(
                recorder_pb2.DownloadRecordingRequest(recording_id=kept["recording"])
            )
        ]
    )
    return {
        "queue": await router.GetQueue(router_pb2.GetQueueRequest(name=kept["queue"])),
        "agent": await router.GetAgent(router_pb2.GetAgentRequest(agent_id=kept["agent"])),
        "call record": await stats.GetCallRecord(stats_pb2.GetCallRecordRequest(call_id=kept["call"])),
        "lead": await stats.GetLead(stats_pb2.GetLeadRequest(lead_id=kept["lead"])),
        "recording": await recorder.GetRecording(recorder_pb2.GetRecordingRequest(recording_id=kept["recording"])),
        "audio": hashlib.sha256(audio).hexdigest(),
    }


async def healthy(port: int, service: pbd.ServiceDescriptor) -> list[str]:
    """The health states the server reports for the empty name and its service's."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return [
            health_pb2.HealthCheckResponse.ServingStatus.Name(
                (await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)).status
            )
            for name in ("", service.full_name)
        ]


def fuzz(ports: dict[str, int], ids: list[str]) -> list[str]:
    """Runs hypothesis over every RPC (in a thread of its own, with blocking clients, while
    the services serve on the test's event loop); returns what went wrong, per RPC."""
    requests = Requests(ids)
    problems: list[str] = []
    for service_name, service in SERVICES.items():
        with grpc.insecure_channel(f"127.0.0.1:{ports[service_name]}") as channel:
            for method in service.methods:
                try:
                    property_of(method, requests, channel)()
                except Exception as failed:  # the property's AssertionError, or hypothesis' Flaky
                    problems.append(_described(failed))
    return problems


def property_of(method: pbd.MethodDescriptor, requests: Requests, channel: grpc.Channel) -> Callable[[], None]:
    """The property of one RPC, as a hypothesis test to call."""
    streamed = method.client_streaming
    generated = (requests.stream(method.input_type) if streamed else requests.message(method.input_type)).map(Sent)

    @settings(
        max_examples=STREAM_EXAMPLES if method.server_streaming else EXAMPLES,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(request=generated)
    def answers_well(request: Sent) -> None:
        note(f"sent: {request!r}")
        problem = verdict(method, *invoke(channel, method, request.value))
        assert not problem, problem

    return answers_well


def _described(failed: BaseException) -> str:
    """A failure with its notes (hypothesis' falsifying example) and, for a group (a flaky
    failure), each of its exceptions."""
    text = f"{type(failed).__name__}: {failed}"
    notes = "\n".join(getattr(failed, "__notes__", []))
    parts = [text, _shorten(notes)] if notes else [text]
    parts += ["  " + _described(inner) for inner in getattr(failed, "exceptions", ())]
    return "\n".join(parts)


def _shorten(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


@pytest.mark.timeout(max(240, EXAMPLES * 4))
async def test_no_rpc_crashes_or_hangs_on_generated_requests_and_nothing_made_before_changes(
    start_replica, start_stats, start_recorder, make_consumer, stats
):
    replica = await start_replica()
    recorder_service = await start_recorder()
    addresses = {
        "router": replica.port,
        "campaigns": replica.port,
        "segments": replica.port,
        "conversations": replica.port,
        "recorder": recorder_service.port,
    }
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{addresses['router']}") as router_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{addresses['recorder']}") as recorder_channel,
    ):
        router = router_pb2_grpc.RouterServiceStub(router_channel)
        recorder = recorder_pb2_grpc.RecorderServiceStub(recorder_channel)
        kept = await make_objects(router, recorder, stats, kept=True)
        pool = await make_objects(router, recorder, stats, kept=False)
        await make_consumer().drain()  # the call record and the leads are in before stats serves
        stats_service = await start_stats()
        addresses["stats"] = stats_service.port
        async with grpc.aio.insecure_channel(f"127.0.0.1:{addresses['stats']}") as stats_channel:
            stats_stub = stats_pb2_grpc.StatsServiceStub(stats_channel)
            before = await snapshot(router, stats_stub, recorder, kept)
            ids = [*pool.values(), "offer-1", f"{pool['call']}#1", "pbx-fuzz"]
            problems = await asyncio.to_thread(fuzz, addresses, ids)
            assert not problems, "\n\n".join(problems)
            for name, service in SERVICES.items():
                assert await healthy(addresses[name], service) == ["SERVING", "SERVING"], name
            after = await snapshot(router, stats_stub, recorder, kept)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, {name: (before[name], after[name]) for name in changed}


# ---- every time, duration and enum of every request, one field at a time -------------------------

OK_TIME = 1_772_438_400  # 2026-03-02T08:00:00Z
BAD_TIMESTAMPS = {
    "nanos -1": (OK_TIME, -1),
    "nanos 1e9": (OK_TIME, 10**9),
    "year 9999": (YEAR_9999, 0),
    "past year 9999": (YEAR_9999 + 1, 0),
    "before year 1": (-62_135_596_801, 0),
    "1e12 s": (10**12, 0),
    "int64 max s": (INT64[1], 0),
    "int64 min s": (INT64[0], 0),
}
BAD_DURATIONS = {
    "nanos 1e9": (1, 10**9),
    "nanos of the other sign": (1, -1),
    "10,000 years": (315_576_000_000, 0),
    "past 10,000 years": (315_576_000_001, 0),
    "1e12 s": (10**12, 0),
    "int64 max s": (INT64[1], 0),
    "int64 min s": (INT64[0], 0),
}
# What a request needs besides the field tried, so that the field is what is refused (an id
# checked first, say). A new RPC whose times are refused only after its ids gets a line here.
BASE: dict[str, dict[str, Any]] = {
    "UpsertQueue": {"queue": {"name": "bounds-q"}},
    "CreateLead": {"lead_id": "L-bounds"},
    "AssignLead": {"lead_id": "L-bounds", "agent_id": "anna"},
    "ChangeLeadStage": {"lead_id": "L-bounds", "stage": "lead"},
    "GetLead": {"lead_id": "L-bounds"},
    "UploadRecording": {
        "metadata": {"call_id": "c-bounds", "codec": 1, "sample_rate_hz": 8000, "leg": 1, "agent_id": "anna"}
    },
    "PbxSession": {"hello": {"pbx_id": "pbx-bounds"}},
}


def output_only_fields() -> set[str]:
    """Fields of request messages that the protos document as "ignored in requests" (the
    router echoes a queue's counts and an agent's status), as "Message.field"."""
    found: set[str] = set()
    for proto in pathlib.Path(__file__).parent.parent.joinpath("protos").rglob("*.proto"):
        messages: list[str] = []
        comment = ""
        for line in proto.read_text().splitlines():
            text = line.strip()
            if m := re.match(r"message (\w+) \{", text):
                messages.append(m.group(1))
            elif text == "}" and messages:
                messages.pop()
            if text.startswith("//"):
                comment += text
                continue
            if (m := re.match(r"[\w.]+ (\w+) = \d+;", text)) and "ignored in requests" in comment and messages:
                found.add(f"{messages[-1]}.{m.group(1)}")
            comment = ""
    return found


def request_fields(d: pbd.Descriptor, path: str = "", depth: int = 0):
    """(dotted path, field) of every field a request may carry, into nested messages (not
    into maps, Timestamps, Durations, or fields ignored in requests)."""
    ignored = OUTPUT_ONLY
    for f in d.fields:
        if f"{d.name}.{f.name}" in ignored:
            continue
        here = f"{path}{f.name}"
        yield here, f
        kind = f.message_type
        if (
            kind is not None
            and not kind.GetOptions().map_entry
            and not kind.full_name.startswith("google.")
            and depth < 4
        ):
            yield from request_fields(kind, here + ".", depth + 1)


OUTPUT_ONLY = output_only_fields()


def set_path(msg: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for name in parents:
        msg = getattr(msg, name)
    target = getattr(msg, last)
    if isinstance(value, int) and not hasattr(target, "CopyFrom"):
        setattr(msg, last, value)
    else:
        target.CopyFrom(value)


def with_valid_siblings(msg: Any, path: str) -> None:
    """Sets the other Timestamps beside the one tried to valid times (an unset start would be
    refused before a bad end)."""
    *parents, last = path.split(".")
    parent = msg
    for name in parents:
        parent = getattr(parent, name)
    for f in parent.DESCRIPTOR.fields:
        if f.name != last and f.message_type is not None and f.message_type.full_name == "google.protobuf.Timestamp":
            later = f.name in ("end", "start_time_to")
            getattr(parent, f.name).CopyFrom(timestamp_pb2.Timestamp(seconds=OK_TIME + (3600 if later else 0)))


def cases(kind: str) -> list[tuple[pbd.MethodDescriptor, str, str, Any]]:
    """(method, field path, what is wrong, the bad value) for every field of the kind
    ("time" for Timestamps and Durations, "enum") of every request of the three services."""
    out = []
    for service in SERVICES.values():
        for method in service.methods:
            for path, f in request_fields(method.input_type):
                name = f.message_type.full_name if f.message_type else ""
                if kind == "time" and name == "google.protobuf.Timestamp":
                    out += [
                        (method, path, what, timestamp_pb2.Timestamp(seconds=s, nanos=n))
                        for what, (s, n) in BAD_TIMESTAMPS.items()
                    ]
                elif kind == "time" and name == "google.protobuf.Duration":
                    out += [
                        (method, path, what, duration_pb2.Duration(seconds=s, nanos=n))
                        for what, (s, n) in BAD_DURATIONS.items()
                    ]
                elif kind == "enum" and f.enum_type is not None and not f.is_repeated:
                    undeclared = max(v.number for v in f.enum_type.values) + 1
                    out += [(method, path, f"undeclared {undeclared}", undeclared), (method, path, "undeclared -1", -1)]
    return out


def bad_request(method: pbd.MethodDescriptor, path: str, value: Any) -> Any:
    request = message_factory.GetMessageClass(method.input_type)()
    text_format.Parse(_text(BASE.get(method.name, {})), request)
    set_path(request, path, value)
    with_valid_siblings(request, path)
    return [request] if method.client_streaming else request


def _text(fields: dict[str, Any]) -> str:
    return " ".join(
        f"{k} {{ {_text(v)} }}" if isinstance(v, dict) else f"{k}: {v!r}".replace("'", '"') for k, v in fields.items()
    )


def refusals(ports: dict[str, int], kind: str) -> list[str]:
    """Sends each bad request (blocking clients, in a thread); what was not refused right."""
    problems = []
    names = {service.full_name: name for name, service in SERVICES.items()}
    channels = {name: grpc.insecure_channel(f"127.0.0.1:{port}") for name, port in ports.items()}
    try:
        for method, path, what, value in cases(kind):
            channel = channels[names[method.containing_service.full_name]]
            outcome, details = invoke(channel, method, bad_request(method, path, value))
            if outcome != "INVALID_ARGUMENT" or not details.startswith(path + ":"):
                problems.append(f"{method.name} {path} = {what}: {outcome} {details[:200]!r}")
    finally:
        for channel in channels.values():
            channel.close()
    return problems


async def started(start_replica, start_stats, start_recorder) -> dict[str, int]:
    router = (await start_replica()).port
    return {
        "router": router,
        "campaigns": router,
        "segments": router,
        "conversations": router,
        "stats": (await start_stats()).port,
        "recorder": (await start_recorder()).port,
    }


def test_the_cases_cover_the_times_the_issue_names():
    tried = {(m.name, path) for m, path, _, _ in cases("time")}
    for expected in [
        ("UpsertQueue", "queue.ring_timeout"),
        ("UpsertQueue", "queue.wrap_up"),
        ("ExtendWrapUp", "extra"),
        ("PbxSession", "hello.lease"),
        ("GetBoard", "overdue_after"),
        ("GetAgentStats", "period.hour"),
        ("GetQueueStats", "period.range.end"),
        ("GetQueueStats", "service_level_threshold"),
        ("GetLead", "period.range.start"),
        ("ListLeads", "period.hour"),
        ("ListCallRecords", "received.start"),
        ("ListCallRecords", "max_talk_time"),
        ("CreateLead", "occurred_at"),
        ("AssignLead", "occurred_at"),
        ("ChangeLeadStage", "occurred_at"),
        ("ListRecordings", "start_time_from"),
        ("UploadRecording", "metadata.start_time"),
    ]:
        assert expected in tried
    assert not {p for _, p in tried if p.startswith(("queue.counts", "agent.status"))}  # ignored in requests


async def test_every_out_of_range_time_or_duration_of_every_request_is_invalid_argument_naming_it(
    start_replica, start_stats, start_recorder
):
    ports = await started(start_replica, start_stats, start_recorder)
    problems = await asyncio.to_thread(refusals, ports, "time")
    assert not problems, "\n".join(problems)


async def test_every_undeclared_enum_value_of_every_request_is_invalid_argument_naming_it(
    start_replica, start_stats, start_recorder
):
    ports = await started(start_replica, start_stats, start_recorder)
    problems = await asyncio.to_thread(refusals, ports, "enum")
    assert not problems, "\n".join(problems)


async def test_a_queue_with_an_undeclared_strategy_is_refused_and_not_stored(router_stub):
    for strategy in (4, 99, -1):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await router_stub.UpsertQueue(
                router_pb2.UpsertQueueRequest(queue=router_pb2.Queue(name="q4", strategy=strategy)), timeout=10
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details().startswith("queue.strategy:"), refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await router_stub.GetQueue(router_pb2.GetQueueRequest(name="q4"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
