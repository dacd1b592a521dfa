"""The router's teams (S2.3) for gateway users: admins write them, supervisors read the teams
they supervise. A supervisor named in a team's supervisor_usernames sees and steers its
members like the agents of their queues; an agent of a team sees and takes its team tasks
(`team:<team_id>`). Which teams a user has is read at each API request (`with_router_teams`)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import grpc
import structlog

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import USERNAME, User
from . import access

log = structlog.get_logger(__name__)

MAX_MEMBERS = 500  # as the router (services/router/model.py)
MAX_SUPERVISORS = 50
MAX_NAME = 256
TEAM_FIELDS = ("name", "member_agent_ids", "supervisor_usernames")
TASK_PREFIX = "team:"  # a task's team is a queue's name, or team:<team_id> for a router team


async def with_router_teams(backends: Backends, user: User) -> User:
    """The user with their router teams: a supervisor's (and their members), an agent's own.
    Admins see everything anyway. When the router does not answer, none (rights only shrink)."""
    if user.role not in ("supervisor", "agent"):
        return user
    if user.role == "agent" and not user.agent_id:
        return user
    if user.role == "agent":
        ask = pb.ListTeamsRequest(member_agent_id=user.agent_id)
    else:
        ask = pb.ListTeamsRequest(supervisor_username=user.username)
    try:
        reply: pb.ListTeamsResponse = await backends.router.ListTeams(ask, timeout=backends.timeout_s)
    except grpc.aio.AioRpcError as exc:
        log.warning("teams.unavailable", code=exc.code().name, user=user.username)
        return user
    mine = list(reply.teams)  # only the user's own (the router's indexes)
    if user.role == "agent":
        return dataclasses.replace(user, router_teams=tuple(t.team_id for t in mine))
    members = frozenset(a for t in mine for a in t.member_agent_ids)
    return dataclasses.replace(user, router_teams=tuple(t.team_id for t in mine), team_agents=members)


def team_id_of_task(team: str) -> str | None:
    """The router team of a task's team field ("team:north" -> "north"); None for a queue."""
    return team[len(TASK_PREFIX) :] if team.startswith(TASK_PREFIX) else None


def check_team_id(team_id: str, field: str = "team_id") -> str:
    return ids.check_name(team_id, field)


async def _get(backends: Backends, team_id: str) -> pb.Team:
    reply: pb.GetTeamResponse = await backends.router.GetTeam(
        pb.GetTeamRequest(team_id=team_id), timeout=backends.timeout_s
    )
    return reply.team


async def get_team(user: User, backends: Backends, team_id: str) -> pb.Team:
    """A team the user may see: every team for admins, a supervisor's own (404 otherwise)."""
    access.require_role(user, "admin", "supervisor")
    check_team_id(team_id)
    if not access.sees_all(user) and team_id not in user.router_teams:
        raise NotFound(f"team {team_id} does not exist")
    return await _get(backends, team_id)


async def list_teams(user: User, backends: Backends) -> list[pb.Team]:
    """Every team (admins), the teams a supervisor supervises."""
    access.require_role(user, "admin", "supervisor")
    ask = pb.ListTeamsRequest() if access.sees_all(user) else pb.ListTeamsRequest(supervisor_username=user.username)
    reply: pb.ListTeamsResponse = await backends.router.ListTeams(ask, timeout=backends.timeout_s)
    return list(reply.teams)


def _names(body: dict[str, Any], field: str, most: int, pattern: re.Pattern[str] | None) -> list[str]:
    value = body.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(field, "must be a list of strings")
    if len(value) > most:
        raise InvalidArgument(field, f"at most {most} entries")
    for i, v in enumerate(value):
        if pattern is None:
            ids.check_name(v, f"{field}[{i}]")
        elif not pattern.fullmatch(v):
            raise InvalidArgument(f"{field}[{i}]", "must be a user name: 1-64 letters, digits or _.@-")
    if len(set(value)) != len(value):
        raise InvalidArgument(field, "names an entry twice")
    return value


async def upsert_team(user: User, backends: Backends, team_id: str, body: dict[str, Any]) -> pb.Team:
    """Creates or replaces a team (admins): {name, member_agent_ids, supervisor_usernames}."""
    access.require_role(user, "admin")
    check_team_id(team_id)
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > MAX_NAME or any(c in name for c in "\r\n\0"):
        raise InvalidArgument("name", f"must be a string of at most {MAX_NAME} characters, without line breaks")
    team = pb.Team(
        team_id=team_id,
        name=name,
        member_agent_ids=_names(body, "member_agent_ids", MAX_MEMBERS, None),
        supervisor_usernames=_names(body, "supervisor_usernames", MAX_SUPERVISORS, USERNAME),
    )
    reply: pb.UpsertTeamResponse = await backends.router.UpsertTeam(
        pb.UpsertTeamRequest(team=team), timeout=backends.timeout_s
    )
    return reply.team


async def delete_team(user: User, backends: Backends, team_id: str) -> None:
    """Deletes a team (admins); 404 when there is none."""
    access.require_role(user, "admin")
    check_team_id(team_id)
    await backends.router.DeleteTeam(pb.DeleteTeamRequest(team_id=team_id), timeout=backends.timeout_s)


async def team_members(user: User, backends: Backends, team_id: str) -> list[str]:
    """The members of a team the user may see (for team figures and team tasks)."""
    if access.sees_all(user) or team_id in user.router_teams:
        return list((await _get(backends, team_id)).member_agent_ids)
    raise NotFound(f"team {team_id} does not exist")
