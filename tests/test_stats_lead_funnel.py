"""The lead funnel (S1.9): how many leads entered each stage in a period and the conversion
from each stage to the next, in total, per agent and per team, counted once per event."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core import errors
from callcenter.services.stats.stats import PeriodSpec
from tests.stats_fixtures import utc_ms

DAY = PeriodSpec(time_zone="UTC", day="2026-03-02")


def entered(funnel) -> dict[str, int]:
    return {stage.stage: stage.entered for stage in funnel.stages}


def conversion(funnel) -> dict[str, float]:
    return {stage.stage: round(stage.conversion_percent, 1) for stage in funnel.stages}


async def pipeline(script, moves: dict[str, tuple[str, list[str]]]) -> None:
    """Leads created for agents logged in to a queue, each moved along its stages (keys
    "anna#2" name anna's second lead)."""
    script.at("2026-03-02 08:00")
    for agent, queue in {agent.split("#")[0]: queue for agent, (queue, _) in moves.items()}.items():
        await script.login(agent, [queue])
    for number, (agent, (_queue, stages)) in enumerate(moves.items()):
        script.at(f"2026-03-02 09:{number:02d}")
        lead = f"F{number}"
        await script.emit("LEAD_CREATED", lead_id=lead, agent_id=agent.split("#")[0], lead_stage="lead")
        for stage in stages:
            script.advance(60)
            await script.emit("LEAD_STAGE_CHANGED", lead_id=lead, lead_stage=stage)


async def test_the_funnel_counts_each_stage_entered_and_the_conversion_to_the_next(stats, script, make_consumer):
    await pipeline(
        script,
        {
            "anna": ("sales", ["in_work", "payment", "fulfilled"]),
            "anna#2": ("sales", ["in_work", "payment"]),
            "anna#3": ("sales", ["in_work"]),
            "anna#4": ("sales", ["refused"]),
        },
    )
    await make_consumer().drain()
    _, groups, total = await stats.lead_funnel(DAY, "none", [], [])
    assert groups == [total]
    assert entered(total) == {"lead": 4, "in_work": 3, "payment": 2, "fulfilled": 1, "refused": 1}
    assert conversion(total) == {"lead": 75.0, "in_work": 66.7, "payment": 50.0, "fulfilled": 0.0, "refused": 0.0}


async def test_the_funnel_groups_by_agent_and_by_team_with_totals(stats, script, make_consumer):
    await pipeline(
        script,
        {
            "anna": ("sales", ["in_work", "payment"]),
            "boris": ("support", ["in_work"]),
            "boris#2": ("support", []),
        },
    )
    await make_consumer().drain()
    _, by_agent, total = await stats.lead_funnel(DAY, "agent", ["anna", "boris"], [])
    assert [(g.agent_id, entered(g)["lead"], entered(g)["in_work"], entered(g)["payment"]) for g in by_agent] == [
        ("anna", 1, 1, 1),
        ("boris", 2, 1, 0),
    ]
    assert (entered(total)["lead"], entered(total)["in_work"], entered(total)["payment"]) == (3, 2, 1)
    _, by_team, team_total = await stats.lead_funnel(DAY, "team", [], ["sales", "support"])
    assert [(g.queue, entered(g)["lead"]) for g in by_team] == [("sales", 1), ("support", 2)]
    assert entered(team_total) == entered(total)


async def test_a_redelivered_event_is_counted_once(stats, script, make_consumer):
    await pipeline(script, {"anna": ("sales", ["in_work"])})
    consumer = make_consumer()
    entries = await consumer.read_new()
    await consumer.apply(entries)
    await consumer.apply(entries)
    _, _, total = await stats.lead_funnel(DAY, "none", [], [])
    assert (entered(total)["lead"], entered(total)["in_work"]) == (1, 1)


async def test_another_day_has_an_empty_funnel(stats, script, make_consumer):
    await pipeline(script, {"anna": ("sales", ["in_work"])})
    await make_consumer().drain()
    _, _, total = await stats.lead_funnel(PeriodSpec(time_zone="UTC", day="2026-03-03"), "none", [], [])
    assert set(entered(total).values()) == {0}


@pytest.mark.parametrize(
    ("group_by", "agents", "queues", "field"),
    [
        ("team", ["anna"], [], "queues"),
        ("none", ["anna"], ["sales"], "queues"),
        ("none", [f"a{i}" for i in range(201)], [], "agent_ids"),
        ("none", [""], [], "agent_ids"),
        ("week", [], [], "group_by"),
    ],
)
async def test_a_bad_funnel_request_names_its_field(stats, group_by, agents, queues, field):
    with pytest.raises(errors.InvalidArgument) as refused:
        await stats.lead_funnel(DAY, group_by, agents, queues)
    assert refused.value.field == field


async def test_the_funnel_rpc_answers_per_agent(stats_stub, script, make_consumer):
    await pipeline(script, {"anna": ("sales", ["in_work"])})
    await make_consumer().drain()
    reply = await stats_stub.GetLeadFunnel(
        spb.GetLeadFunnelRequest(
            period=spb.Period(time_zone="UTC", day="2026-03-02"),
            agent_ids=["anna"],
            group_by=spb.LEAD_FUNNEL_GROUPING_AGENT,
        )
    )
    assert [(g.agent_id, [s.entered for s in g.stages]) for g in reply.groups] == [("anna", [1, 1, 0, 0, 0])]
    assert reply.range.start.ToMilliseconds() == utc_ms("2026-03-02 00:00")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stats_stub.GetLeadFunnel(spb.GetLeadFunnelRequest(group_by=7))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "group_by" in refused.value.details()
