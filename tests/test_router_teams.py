"""Teams in the router (S2.3): stored, listed, deleted over real gRPC, each change one event
the stats apply to their team members (the pay rules per team read them)."""

from __future__ import annotations

import grpc
import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.event_stream import decode, stream_key
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.payroll import teams_of


async def add_agents(stub, *agent_ids: str) -> None:
    for agent_id in agent_ids:
        agent = pb.Agent(id=agent_id, name=agent_id.title(), endpoint=f"sip:{agent_id}@pbx", queues=["sales"])
        await stub.UpsertAgent(pb.UpsertAgentRequest(agent=agent))


async def team_events(redis, tenant: str) -> list[tuple[str, events_pb2.Event]]:
    wanted = (events_pb2.EVENT_TYPE_TEAM_UPDATED, events_pb2.EVENT_TYPE_TEAM_DELETED)
    entries = [(i, decode(i, f)) for i, f in await redis.xrange(stream_key(tenant))]
    return [(i, e) for i, e in entries if e.type in wanted]


async def test_a_team_is_stored_listed_and_deleted_with_one_event_per_change(router_stub, redis, tenant):
    await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
    await add_agents(router_stub, "anna", "boris", "vera")
    team = pb.Team(team_id="north", name="North", member_agent_ids=["boris", "anna"], supervisor_usernames=["sue"])
    stored = (await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=team))).team
    assert list(stored.member_agent_ids) == ["anna", "boris"]  # sorted
    changed = pb.Team(team_id="north", name="North", member_agent_ids=["anna", "vera"], supervisor_usernames=["sue"])
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=changed))
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=pb.Team(team_id="south", name="South")))

    got = (await router_stub.GetTeam(pb.GetTeamRequest(team_id="north"))).team
    assert (got.name, list(got.member_agent_ids), list(got.supervisor_usernames)) == (
        "North",
        ["anna", "vera"],
        ["sue"],
    )
    listed = (await router_stub.ListTeams(pb.ListTeamsRequest())).teams
    assert [t.team_id for t in listed] == ["north", "south"]

    await router_stub.DeleteTeam(pb.DeleteTeamRequest(team_id="south"))
    assert [t.team_id for t in (await router_stub.ListTeams(pb.ListTeamsRequest())).teams] == ["north"]
    events = [e for _, e in await team_events(redis, tenant)]
    assert [(events_pb2.EventType.Name(e.type), e.team_id, list(e.member_agent_ids), e.reason) for e in events] == [
        ("EVENT_TYPE_TEAM_UPDATED", "north", ["anna", "boris"], "created"),
        ("EVENT_TYPE_TEAM_UPDATED", "north", ["anna", "vera"], "updated"),
        ("EVENT_TYPE_TEAM_UPDATED", "south", [], "created"),
        ("EVENT_TYPE_TEAM_DELETED", "south", [], ""),
    ]


async def test_a_team_upserted_in_the_router_reaches_the_stats_team_members(router_stub, redis, tenant, make_consumer):
    await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
    await add_agents(router_stub, "anna", "boris")
    team = pb.Team(team_id="north", name="North", member_agent_ids=["anna", "boris"])
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=team))
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=pb.Team(team_id="south", member_agent_ids=["boris"])))
    await router_stub.DeleteTeam(pb.DeleteTeamRequest(team_id="south"))

    # the router's own stream entries, applied by the stats consumer as it reads them
    entries = [(i, f) for i, f in await redis.xrange(stream_key(tenant)) if f["type"].startswith("TEAM_")]
    await make_consumer("teams").apply(entries)
    keys = StatsKeys(tenant)
    assert await redis.hget(keys.team_members("north"), "members") == "anna,boris"
    assert await teams_of(redis, keys) == {"anna": ["north"], "boris": ["north"]}


@pytest.mark.parametrize(
    ("team", "field"),
    [
        (pb.Team(team_id="", name="x"), "team.team_id"),
        (pb.Team(team_id="no way"), "team.team_id"),
        (pb.Team(team_id="t", name="a\nb"), "team.name"),
        (pb.Team(team_id="t", member_agent_ids=["anna", "anna"]), "team.member_agent_ids"),
        (pb.Team(team_id="t", member_agent_ids=["bad,id"]), "team.member_agent_ids[0]"),
        (pb.Team(team_id="t", member_agent_ids=[f"a{i}" for i in range(501)]), "team.member_agent_ids"),
        (pb.Team(team_id="t", supervisor_usernames=[f"s{i}" for i in range(51)]), "team.supervisor_usernames"),
    ],
)
async def test_a_bad_team_is_refused_naming_the_field(router_stub, team, field):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=team))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (err.value.details() or "")


async def test_an_unknown_team_or_member_is_not_found(router_stub):
    for call in (
        router_stub.GetTeam(pb.GetTeamRequest(team_id="nobody")),
        router_stub.DeleteTeam(pb.DeleteTeamRequest(team_id="nobody")),
        router_stub.UpsertTeam(pb.UpsertTeamRequest(team=pb.Team(team_id="t", member_agent_ids=["ghost"]))),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_deleted_agent_leaves_their_teams(router_stub, redis, tenant):
    await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
    await add_agents(router_stub, "anna", "boris")
    team = pb.Team(team_id="north", member_agent_ids=["anna", "boris"])
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=team))
    await router_stub.DeleteAgent(pb.DeleteAgentRequest(agent_id="boris"))
    got = (await router_stub.GetTeam(pb.GetTeamRequest(team_id="north"))).team
    assert list(got.member_agent_ids) == ["anna"]
    _, last = (await team_events(redis, tenant))[-1]
    assert (last.team_id, list(last.member_agent_ids), last.reason) == ("north", ["anna"], "agent_deleted")


async def test_the_teams_of_one_supervisor_or_one_member_follow_every_change(router_stub):
    await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
    await add_agents(router_stub, "anna", "boris")

    async def of(**only) -> list[str]:
        return [t.team_id for t in (await router_stub.ListTeams(pb.ListTeamsRequest(**only))).teams]

    north = pb.Team(team_id="north", member_agent_ids=["anna"], supervisor_usernames=["sue@example.org"])
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=north))
    south = pb.Team(team_id="south", member_agent_ids=["anna", "boris"], supervisor_usernames=["tom"])
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=south))
    assert (await of(member_agent_id="anna"), await of(member_agent_id="boris")) == (["north", "south"], ["south"])
    sue, tom = {"supervisor_username": "sue@example.org"}, {"supervisor_username": "tom"}
    assert (await of(**sue), await of(**tom)) == (["north"], ["south"])
    # replaced: anna and tom leave south; deleted: north is nobody's
    moved = pb.Team(team_id="south", member_agent_ids=["boris"], supervisor_usernames=["sue@example.org"])
    await router_stub.UpsertTeam(pb.UpsertTeamRequest(team=moved))
    await router_stub.DeleteTeam(pb.DeleteTeamRequest(team_id="north"))
    assert (await of(member_agent_id="anna"), await of(member_agent_id="boris")) == ([], ["south"])
    assert (await of(**sue), await of(**tom)) == (["south"], [])
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await of(supervisor_username="tom", member_agent_id="anna")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
