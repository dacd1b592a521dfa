"""The router's teams (S2.3): the HTTP side of domain/teams.py. Admins write; supervisors read
the teams they supervise."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import teams
from callcenter.services.gateway.web import BACKENDS, accepts, json_reply, read_json, user_of

routes = web.RouteTableDef()


def _team(team) -> dict:
    """A team as JSON, empty lists included (MessageToDict leaves them out)."""
    lists = {"member_agent_ids": list(team.member_agent_ids), "supervisor_usernames": list(team.supervisor_usernames)}
    return {"team_id": team.team_id, "name": team.name, **lists}


@routes.get("/api/v1/teams")
@accepts()
async def list_teams(request: web.Request) -> web.Response:
    """Every team (admins), or the teams the supervisor supervises, by id."""
    found = await teams.list_teams(user_of(request), request.app[BACKENDS])
    return json_reply({"teams": [_team(t) for t in found]})


@routes.get("/api/v1/teams/{team_id}")
@accepts()
async def get_team(request: web.Request) -> web.Response:
    team = await teams.get_team(user_of(request), request.app[BACKENDS], request.match_info["team_id"])
    return json_reply({"team": _team(team)})


@routes.put("/api/v1/teams/{team_id}")
@accepts(body=teams.TEAM_FIELDS)
async def put_team(request: web.Request) -> web.Response:
    """Creates or replaces a team: {name, member_agent_ids, supervisor_usernames} (admins)."""
    body = await read_json(request)
    team = await teams.upsert_team(user_of(request), request.app[BACKENDS], request.match_info["team_id"], body)
    return json_reply({"team": _team(team)})


@routes.delete("/api/v1/teams/{team_id}")
@accepts()
async def delete_team(request: web.Request) -> web.Response:
    await teams.delete_team(user_of(request), request.app[BACKENDS], request.match_info["team_id"])
    return json_reply({"deleted": request.match_info["team_id"]})
