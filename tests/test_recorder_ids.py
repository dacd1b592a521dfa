"""The recorder takes the agent, lead and call ids of an upload only by the rules the router and
stats apply (one declaration, callcenter/core/ids.py and call_ids.py): a line break, a
separator, a path or an overlong id is INVALID_ARGUMENT naming the field, and nothing of the
upload is stored (no catalog key, no event, no file). Real recorder and router over gRPC."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2 as pb
from callcenter.api.router.v1 import router_pb2 as rpb
from callcenter.core.config import key_prefix
from tests.recorder_fixtures import metadata, refusal, tone, upload

BAD_AGENT_IDS = {
    "crlf": "anna\r\nX-Injected: 1",
    "lf-at-the-end": "anna\n",
    "parent-path": "../../etc/passwd",
    "slash": "team/anna",
    "separator": "anna|bob",
    "comma": "anna,bob",
    "space": "anna b",
    "nul": "anna\x00",
    "non-ascii": "änna",
    "leading-dot": ".anna",
    "too-long": "a" * 65,
}
BAD_LEAD_IDS = {
    "crlf": "L-1\r\nL-2",
    "lf-at-the-end": "L-1\n",
    "parent-path": "../L-1",
    "space": "L 1",
    "separator": "L|1",
    "too-long": "L" * 129,
}
BAD_CALL_IDS = {
    "crlf": "c1\r\nc2",
    "space": "c 1",
    "nul": "c\x001",
    "too-long": "c" * 256,
}
CASES = [
    *(pytest.param("agent_id", v, id=f"agent_id-{k}") for k, v in BAD_AGENT_IDS.items()),
    *(pytest.param("lead_id", v, id=f"lead_id-{k}") for k, v in BAD_LEAD_IDS.items()),
    *(pytest.param("call_id", v, id=f"call_id-{k}") for k, v in BAD_CALL_IDS.items()),
]


async def _stored_anything(recorder, redis, tenant) -> list[str]:
    """Whatever an upload leaves behind: any key of the tenant (catalog, locks, the event
    stream), any file (staged or published)."""
    left = [key async for key in redis.scan_iter(match=f"{key_prefix(tenant)}*")]  # the stream included
    root = recorder.config.recordings_dir
    left += [str(p) for p in root.rglob("*") if p.is_file()]
    return left


@pytest.mark.parametrize(("field", "value"), CASES)
async def test_an_upload_with_a_bad_id_is_invalid_argument_naming_the_field_and_nothing_is_stored(
    recorder, recorder_stub, redis, tenant, field, value
):
    call_id = value if field == "call_id" else "c1"
    meta = metadata(call_id, **({field: value} if field != "call_id" else {}))
    refused = await refusal(recorder_stub, [pb.UploadRecordingRequest(metadata=meta)])
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.details()
    assert refused.details().startswith(f"metadata.{field}: "), refused.details()
    assert "\r" not in refused.details() and "\n" not in refused.details()  # quoted, never raw
    assert await _stored_anything(recorder, redis, tenant) == []


@pytest.mark.parametrize(
    ("agent_id", "lead_id", "call_id"),
    [
        ("anna", "L-1", "c1"),
        ("anna.b-2_x", "crm:L#7_a.b-c", "a84b4c76e66710@pc33.example.com"),
        ("A" * 64, "L" * 128, "x" * 255),
        ("", "", "c-without-agent-or-lead"),  # both are optional
    ],
)
async def test_ids_by_the_rules_are_stored_and_found_by_them(recorder_stub, agent_id, lead_id, call_id):
    stored = await upload(recorder_stub, tone(0.05), metadata(call_id, agent_id=agent_id, lead_id=lead_id))
    assert (stored.agent_id, stored.lead_id, stored.call_id) == (agent_id, lead_id, call_id)
    if agent_id:
        found = await recorder_stub.ListRecordings(pb.ListRecordingsRequest(agent_id=agent_id))
        assert [r.id for r in found.recordings] == [stored.id]


@pytest.mark.parametrize(
    ("field", "value"),
    [("agent_id", BAD_AGENT_IDS["crlf"]), ("lead_id", BAD_LEAD_IDS["parent-path"]), ("call_id", BAD_CALL_IDS["crlf"])],
)
async def test_listing_by_a_bad_id_is_invalid_argument_naming_the_filter(recorder_stub, field, value):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await recorder_stub.ListRecordings(pb.ListRecordingsRequest(**{field: value}))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(f"{field}: ")


async def test_the_router_refuses_the_same_agent_ids_it_is_one_rule(router_stub, recorder_stub):
    """Every agent id the recorder refuses the router refuses too, and one the router takes the
    recorder takes: neither can hold a recording or an agent the other could not name."""
    await router_stub.UpsertQueue(rpb.UpsertQueueRequest(queue=rpb.Queue(name="sales")))
    for value in BAD_AGENT_IDS.values():
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await router_stub.GetAgent(rpb.GetAgentRequest(agent_id=value))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (value, refused.value.details())
        assert refused.value.details().startswith("agent_id: ")
    good = "anna.b-2_x"
    await router_stub.UpsertAgent(
        rpb.UpsertAgentRequest(agent=rpb.Agent(id=good, endpoint="sip:anna@pbx", queues=["sales"]))
    )
    assert (await router_stub.GetAgent(rpb.GetAgentRequest(agent_id=good))).agent.id == good
    stored = await upload(recorder_stub, tone(0.05), metadata("c-good", agent_id=good))
    assert stored.agent_id == good
