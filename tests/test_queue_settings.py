"""A queue's settings, declared once: the docs' table, gRPC bounds and unknown values."""

from __future__ import annotations

import pathlib
import re

import grpc
import pytest
from google.protobuf import duration_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.queue_settings import QUEUE_SETTINGS, settings_table


def test_the_routing_rules_doc_carries_the_generated_table_of_every_setting():
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "routing-rules.md").read_text()
    table = re.search(r"<!-- queue-settings:begin -->\n(.*?)\n<!-- queue-settings:end -->", doc, re.S).group(1)
    assert table == settings_table()


def test_every_setting_is_a_field_of_the_queue_message():
    assert {s.name for s in QUEUE_SETTINGS} == set(pb.Queue.DESCRIPTOR.fields_by_name) - {"name", "counts"}


def _seconds(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n)


@pytest.mark.parametrize(
    ("queue", "field"),
    [
        (pb.Queue(name="q", ring_timeout=_seconds(10_000 * 365 * 86_400)), "queue.ring_timeout"),
        (pb.Queue(name="q", wrap_up=_seconds(2 * 86_400)), "queue.wrap_up"),
        (pb.Queue(name="q", max_call_lifetime=_seconds(8 * 86_400)), "queue.max_call_lifetime"),
        (pb.Queue(name="q", max_wait=duration_pb2.Duration(seconds=1, nanos=500)), "queue.max_wait"),
        (pb.Queue(name="q", strategy=4), "queue.strategy"),
        (pb.Queue(name="q", skill_order=9), "queue.skill_order"),
        (pb.Queue(name="q", max_queue_length=-1), "queue.max_queue_length"),
        (pb.Queue(name="q", required_skills={"de": 101}), "queue.required_skills[de]"),
    ],
)
async def test_a_queue_setting_out_of_bounds_or_unknown_is_invalid_argument_naming_it(router_stub, queue, field):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=queue))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field + ":"), refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await router_stub.GetQueue(pb.GetQueueRequest(name="q"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND  # nothing half-stored


async def test_a_stored_queue_comes_back_with_every_setting_and_its_defaults(router_stub):
    sent = pb.Queue(name="q", ring_timeout=_seconds(7), wrap_up=_seconds(0), sticky=True, dialed_numbers=["+491"])
    stored = (await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=sent))).queue
    got = (await router_stub.GetQueue(pb.GetQueueRequest(name="q"))).queue
    got.ClearField("counts")
    assert got == stored
    assert (stored.ring_timeout.seconds, stored.wrap_up.seconds, stored.sticky) == (7, 0, True)
    assert stored.strategy == pb.STRATEGY_LONGEST_IDLE and stored.max_call_lifetime.seconds == 4 * 3600
