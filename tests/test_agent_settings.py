"""An agent's profile, declared once: the docs' table, every field over gRPC, bounds and
unknown fields refused naming the field, nothing half-stored."""

from __future__ import annotations

import pathlib
import re

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import agent_settings


def test_the_routing_rules_doc_carries_the_generated_table_of_every_field():
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "routing-rules.md").read_text()
    table = re.search(r"<!-- agent-fields:begin -->\n(.*?)\n<!-- agent-fields:end -->", doc, re.S).group(1)
    assert table == agent_settings.fields_table()


def test_every_field_is_a_field_of_the_agent_message():
    assert agent_settings.FIELD_NAMES == set(pb.Agent.DESCRIPTOR.fields_by_name) - {"status"}


def test_a_profile_survives_redis_and_protobuf_unchanged():
    values = agent_settings.validate(
        {"id": "anna", "name": "Anna K.", "endpoint": "sip:anna@pbx", "queues": ["a", "b", "a"], "skills": {"de": 7}}
    )
    assert values["queues"] == ("a", "b")  # duplicates dropped
    stored = {k: str(v) for k, v in agent_settings.to_redis(values).items()}
    assert agent_settings.from_redis(stored) == values
    message = agent_settings.to_pb(values, pb.Agent())
    assert agent_settings.validate(agent_settings.from_pb(message)) == values


@pytest.mark.parametrize(
    ("agent", "field"),
    [
        (pb.Agent(id="anna"), "agent.endpoint"),
        (pb.Agent(id="", endpoint="1001"), "agent.id"),
        (pb.Agent(id="an na", endpoint="1001"), "agent.id"),
        (pb.Agent(id="anna", endpoint="x" * 257), "agent.endpoint"),
        (pb.Agent(id="anna", endpoint="1001\r\nVia: evil"), "agent.endpoint"),
        (pb.Agent(id="anna", endpoint="1001", queues=[f"q{i}" for i in range(65)]), "agent.queues"),
        (pb.Agent(id="anna", endpoint="1001", queues=["sales", "bad name"]), "agent.queues[1]"),
        (pb.Agent(id="anna", endpoint="1001", skills={"de": 101}), "agent.skills[de]"),
        (pb.Agent(id="anna", endpoint="1001", skills={f"s{i}": 1 for i in range(65)}), "agent.skills"),
        (pb.Agent(id="anna", endpoint="1001", tier=101), "agent.tier"),
        (pb.Agent(id="anna", endpoint="1001", tier=-1), "agent.tier"),
        (pb.Agent(id="anna", endpoint="1001", queues=["nowhere"]), "agent.queues[0]"),
    ],
)
async def test_a_bad_profile_is_refused_naming_the_field_and_nothing_is_stored(router_stub, agent, field):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await router_stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(field), raised.value.details()
    listed = await router_stub.ListAgents(pb.ListAgentsRequest())
    assert [a.id for a in listed.agents] == []


def test_an_unknown_field_from_a_file_is_refused():
    with pytest.raises(agent_settings.SettingError, match="agent.email"):
        agent_settings.validate({"id": "anna", "endpoint": "1001", "email": "a@b"})
